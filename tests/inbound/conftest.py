"""Mail as customers' programs write it, built with the standard library."""

from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from tests import dovecot
from tests.conftest import require_service

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def inbound_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.INBOUND_ADDRESS = "support@helpdesk.example"
    settings.DEFAULT_FROM_EMAIL = "Help desk <helpdesk@helpdesk.example>"
    settings.INBOUND_UNKNOWN_SENDERS = "create"


def mail(
    *,
    sender: str = "Carla Customer <carla@example.com>",
    to: str = "support@helpdesk.example",
    subject: str = "VPN drops every hour",
    body: str | None = "Since Monday the VPN disconnects every hour.",
    html: str | None = None,
    files: list[tuple[str, str, bytes]] = (),
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="mail.example.com")
    for name, value in (headers or {}).items():
        message[name] = value
    if body is not None:
        message.set_content(body)
    if html is not None:
        if body is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, kind, payload in files:
        maintype, subtype = kind.split("/")
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


@pytest.fixture(scope="session")
def imap_server():
    """A real Dovecot IMAP server on a free local port, with one mailbox; its URL
    (tests/dovecot.py)."""
    try:
        with dovecot.running_dovecot() as url:
            yield url
    except dovecot.DovecotMissing as missing:
        require_service("Dovecot", str(missing))
    except dovecot.DovecotFailed as failed:
        pytest.fail(str(failed))
