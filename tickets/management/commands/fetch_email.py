"""`manage.py fetch_email`: fetch the IMAP mailbox once (what the beat job does each minute),
e.g. to see at once what a mailbox holds, or from cron instead of Celery beat."""

import imaplib
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from imap_tools.errors import ImapToolsError

from tickets.inbound import imap

EX_TEMPFAIL = 75  # sysexits.h: try again later


class Command(BaseCommand):
    help = "Receive the messages waiting in the mailbox INBOUND_IMAP_URL names, once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, help="at most this many messages (default: INBOUND_IMAP_BATCH)"
        )

    def handle(self, *args, limit: int | None, **options) -> None:
        if not settings.INBOUND_IMAP_URL:
            raise CommandError("INBOUND_IMAP_URL is not set: there is no mailbox to fetch from.")
        try:
            fetched = imap.fetch(limit=limit)
        except (OSError, imaplib.IMAP4.error, ImapToolsError, DatabaseError) as error:
            # The mail waits in the mailbox for the next fetch.
            self.stderr.write(f"Could not fetch, try again later: {error}")
            sys.exit(EX_TEMPFAIL)
        counts = ", ".join(f"{count} {state}" for state, count in sorted(fetched.counts.items()))
        self.stdout.write(f"{fetched.total} message(s){': ' + counts if counts else ''}")
