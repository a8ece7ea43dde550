"""`manage.py receive_email < message.eml`: hand one e-mail to the help desk (an MTA pipe)."""

import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from tickets.inbound import receive
from tickets.models import InboundMessage

EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the message and tries again later


class Command(BaseCommand):
    help = "Read one raw e-mail message from standard input and act on it."

    def handle(self, *args, **options) -> None:
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            self.stderr.write("No message on standard input.")
            sys.exit(EX_TEMPFAIL)
        try:
            record = receive(raw, source=InboundMessage.Source.PIPE)
        except DatabaseError as error:
            self.stderr.write(f"Not received, try again later: {error}")
            sys.exit(EX_TEMPFAIL)
        what = f" (ticket {record.ticket_id})" if record.ticket_id else ""
        reason = f": {record.reason}" if record.reason else ""
        self.stdout.write(f"{record.state}{what}{reason}")
