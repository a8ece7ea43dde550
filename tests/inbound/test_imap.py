"""The beat job fetching from a real IMAP server (Dovecot): each message acted on once and
moved out of the inbox only after what it caused has committed."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from imap_tools import MailBoxUnencrypted

from tests import dovecot
from tickets import tasks
from tickets.inbound import imap
from tickets.models import InboundMessage, Ticket

from .conftest import mail

FOLDERS = ("INBOX", "Processed", "Quarantine")


@pytest.fixture
def mailbox(imap_server, settings):
    """The test's mailbox, emptied; settings point the fetcher at it."""
    settings.INBOUND_IMAP_URL = imap_server
    account = imap.Mailbox.from_url(imap_server)
    with dovecot.logged_in(
        lambda: MailBoxUnencrypted(account.host, account.port).login(account.user, account.password)
    ) as box:
        for folder in FOLDERS:
            if not box.folder.exists(folder):
                box.folder.create(folder)
            box.folder.set(folder)
            if uids := box.uids("ALL"):
                box.delete(uids)
        box.folder.set("INBOX")
        yield box


def uids_in(box, folder: str) -> list[str]:
    box.folder.set(folder)
    return box.uids("ALL")


@pytest.mark.django_db
def test_the_beat_job_turns_mail_in_the_inbox_into_tickets(mailbox, customer, agent):
    mailbox.append(mail(subject="Printer jams"), "INBOX")
    mailbox.append(mail(subject="Scanner"), "INBOX")
    mailbox.append(mail(sender="alex@example.com", subject="Staff"), "INBOX")
    mailbox.append(mail(headers={"Auto-Submitted": "auto-replied"}), "INBOX")

    assert tasks.fetch_inbound_mail() == 4

    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Printer jams", "Scanner"]
    assert uids_in(mailbox, "INBOX") == []
    assert len(uids_in(mailbox, "Processed")) == 3
    assert len(uids_in(mailbox, "Quarantine")) == 1
    quarantined = InboundMessage.objects.get(state=InboundMessage.State.QUARANTINED)
    assert quarantined.sender == "alex@example.com" and quarantined.reason


@pytest.mark.django_db
def test_a_fetcher_that_dies_before_moving_a_message_does_not_act_on_it_twice(
    mailbox, customer, monkeypatch
):
    mailbox.append(mail(subject="Once"), "INBOX")
    mailbox.append(mail(subject="Twice?"), "INBOX")

    def killed(self, uid, folder):
        raise ConnectionResetError("fetcher killed after the commit, before the move")

    with monkeypatch.context() as patched:
        patched.setattr(MailBoxUnencrypted, "move", killed)
        with pytest.raises(ConnectionResetError):
            tasks.fetch_inbound_mail()
    assert Ticket.objects.count() == 1
    assert len(uids_in(mailbox, "INBOX")) == 2

    assert tasks.fetch_inbound_mail() == 2

    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Once", "Twice?"]
    assert uids_in(mailbox, "INBOX") == []
    assert InboundMessage.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_fetchers_at_once_make_each_ticket_once(postgres, mailbox, customer):
    for number in range(12):
        mailbox.append(mail(subject=f"Message {number}"), "INBOX")
    errors = []

    def fetch():
        try:
            imap.fetch()
        except Exception as error:
            errors.append(error)
        finally:
            from django.db import connection

            connection.close()

    fetchers = [threading.Thread(target=fetch) for _ in range(2)]
    for fetcher in fetchers:
        fetcher.start()
    for fetcher in fetchers:
        fetcher.join(timeout=60)
    imap.fetch()  # whatever a fetcher left when it lost a race

    assert Ticket.objects.count() == 12
    assert InboundMessage.objects.count() == 12
    assert uids_in(mailbox, "INBOX") == []


def fetcher_env(*, imap_url: str, media_root: Path) -> dict[str, str]:
    """`manage.py fetch_email` run as its own process on the test database."""
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )
    return {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": database_url,
        "REDIS_URL": "",  # notifications are sent in the process, to nowhere
        "EMAIL_URL": "dummymail://",
        "MEDIA_ROOT": str(media_root),
        "INBOUND_IMAP_URL": imap_url,
        "INBOUND_ADDRESS": "support@helpdesk.example",
        "LOG_LEVEL": "ERROR",
    }


def run_fetch_email(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "fetch_email"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.django_db(transaction=True)
def test_a_fetcher_killed_mid_batch_loses_and_doubles_nothing(
    postgres, mailbox, imap_server, tmp_path
):
    count = 60
    for number in range(count):
        mailbox.append(
            mail(sender=f"person{number % 7}@example.org", subject=f"M{number}"), "INBOX"
        )
    env = fetcher_env(imap_url=imap_server, media_root=tmp_path)

    process = run_fetch_email(env)
    deadline = time.monotonic() + 60
    while InboundMessage.objects.count() < 3:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the fetcher processed nothing within 60 s"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert 3 <= InboundMessage.objects.count() < count, "not killed mid-batch"

    again = run_fetch_email(env)
    _out, err = again.communicate(timeout=300)

    assert again.returncode == 0, err.decode()
    subjects = Counter(Ticket.objects.values_list("subject", flat=True))
    assert subjects == Counter(f"M{number}" for number in range(count))
    assert InboundMessage.objects.count() == count
    assert uids_in(mailbox, "INBOX") == []
    assert len(uids_in(mailbox, "Processed")) == count


def test_fetch_email_without_a_mailbox_says_so(settings):
    from django.core.management import CommandError, call_command

    settings.INBOUND_IMAP_URL = ""

    with pytest.raises(CommandError, match="INBOUND_IMAP_URL"):
        call_command("fetch_email")


@pytest.mark.django_db
def test_fetch_email_reports_what_it_did(mailbox, customer, capsys):
    from django.core.management import call_command

    mailbox.append(mail(subject="By command"), "INBOX")
    mailbox.append(mail(headers={"Precedence": "bulk"}), "INBOX")

    call_command("fetch_email")

    assert capsys.readouterr().out.strip() == "2 message(s): 1 ignored, 1 processed"


def test_no_mailbox_configured_means_no_fetch(settings):
    settings.INBOUND_IMAP_URL = ""

    assert tasks.fetch_inbound_mail() == 0


@pytest.mark.parametrize(
    "url",
    ["http://x@host/INBOX", "imaps://host/INBOX", "imap://:pw@/INBOX"],
)
def test_a_wrong_mailbox_url_is_a_configuration_error(url):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        imap.Mailbox.from_url(url)


def test_the_mailbox_url_says_user_folder_and_encryption():
    box = imap.Mailbox.from_url("imaps://support%40example.com:p%40ss@imap.example.com/Help%20Desk")

    assert (box.user, box.password, box.host, box.port) == (
        "support@example.com",
        "p@ss",
        "imap.example.com",
        993,
    )
    assert box.folder == "Help Desk" and box.secure
