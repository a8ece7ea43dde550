"""Fetch new mail from the help desk's IMAP mailbox (INBOUND_IMAP_URL) into `receive()`.

A message leaves the inbox only after what it caused has committed: to the processed folder,
or to the quarantine folder when it could not be processed. A fetcher that dies in between
leaves it in the inbox; the next fetch hands it to `receive()` again, which recognises it
and acts no more, and moves it then. Two fetchers at once are safe for the same reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from imap_tools import BaseMailBox, MailBox, MailBoxUnencrypted

from ..models import InboundMessage
from .service import receive

log = logging.getLogger(__name__)
State = InboundMessage.State


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: str
    folder: str
    secure: bool

    @classmethod
    def from_url(cls, url: str) -> Mailbox:
        """`imaps://user%40example.com:secret@imap.example.com:993/INBOX` (imap:// is
        unencrypted, for a server on this machine only)."""
        parts = urlsplit(url)
        if parts.scheme not in {"imap", "imaps"} or not parts.hostname or not parts.username:
            raise ImproperlyConfigured(
                "INBOUND_IMAP_URL must look like imaps://user:password@host/INBOX"
            )
        secure = parts.scheme == "imaps"
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if secure else 143),
            user=unquote(parts.username),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
            secure=secure,
        )

    def connect(self) -> BaseMailBox:
        timeout = settings.INBOUND_IMAP_TIMEOUT
        if self.secure:
            box = MailBox(self.host, self.port, timeout=timeout)
        else:
            box = MailBoxUnencrypted(self.host, self.port, timeout=timeout)
        return box.login(self.user, self.password, initial_folder=self.folder)


@dataclass
class Fetched:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, state: str) -> None:
        self.counts[state] = self.counts.get(state, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def fetch(*, url: str | None = None, limit: int | None = None) -> Fetched:
    """Receive up to `limit` messages waiting in the mailbox, oldest first."""
    mailbox = Mailbox.from_url(url or settings.INBOUND_IMAP_URL)
    limit = limit or settings.INBOUND_IMAP_BATCH
    done = Fetched()
    with mailbox.connect() as box:
        folders = {
            State.QUARANTINED: settings.INBOUND_IMAP_QUARANTINE_FOLDER,
            None: settings.INBOUND_IMAP_PROCESSED_FOLDER,
        }
        for folder in folders.values():
            if not box.folder.exists(folder):
                box.folder.create(folder)
        for uid in box.uids("ALL")[:limit]:
            raw = _raw(box, uid)
            if raw is None:
                continue  # moved by another fetcher meanwhile
            record = receive(raw, source=InboundMessage.Source.IMAP)
            box.move(uid, folders.get(record.state, folders[None]))
            done.add(record.state)
    return done


def _raw(box: BaseMailBox, uid: str) -> bytes | None:
    """The message exactly as stored: the bytes its digest is taken of."""
    status, data = box.client.uid("FETCH", uid, "(BODY.PEEK[])")
    for item in data if status == "OK" else []:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None
