"""A real SMTP server (aiosmtpd, in a thread of the test process) that behaves like the mail
servers notifications meet: it accepts, or answers 451 for a while, refuses one recipient
with 550, refuses us with 530, answers slowly, or holds a message until the test lets go.
It keeps every message it accepted."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message

from aiosmtpd.controller import Controller


class MailServer:
    """What the server says is set by the test at any moment, through these attributes:

    - `mail_reply`: the answer to MAIL FROM instead of 250 (e.g. a 530 for everyone);
    - `refuse`: recipient address → the answer to its RCPT TO (e.g. a 550);
    - `data_reply`: the answer to the message instead of 250 (e.g. a 451);
    - `delay`: seconds before the answer to the message. A real server has queued the
      message by then, so it is kept even when the client gave up waiting;
    - `quit_delay`: seconds before the answer to QUIT, after the message was accepted;
    - `stall_first`: hold the first message until `release` is set; a message whose client
      went away meanwhile is not kept.
    """

    def __init__(self) -> None:
        self.mail_reply: str | None = None
        self.refuse: dict[str, str] = {}
        self.data_reply: str | None = None
        self.delay = 0.0
        self.quit_delay = 0.0
        self.stall_first = False
        self.accepted: list[Message] = []
        self.mail_commands = 0  # conversations that got as far as MAIL FROM
        self.receiving = threading.Event()
        self.release = threading.Event()
        self._answering = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mail_commands += 1
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        first = not self.receiving.is_set()
        self.receiving.set()
        self._answering += 1
        try:
            if self.data_reply:
                return self.data_reply
            if self.delay:
                self.accepted.append(message_from_bytes(envelope.content))
                await asyncio.sleep(self.delay)
                return "250 Message accepted"
            if first and self.stall_first:
                await asyncio.to_thread(self.release.wait, 60)
            if server.transport is None or server.transport.is_closing():
                return "451 client went away"
            self.accepted.append(message_from_bytes(envelope.content))
            return "250 Message accepted"
        finally:
            self._answering -= 1

    async def handle_QUIT(self, server, session, envelope):
        if self.quit_delay:
            await asyncio.sleep(self.quit_delay)
        return "221 Bye"

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until no message is being answered (a slow answer outlives its client)."""
        deadline = time.monotonic() + timeout
        while self._answering and time.monotonic() < deadline:
            time.sleep(0.05)

    def subjects(self) -> list[str]:
        return [str(make_header(decode_header(m["Subject"]))) for m in self.accepted]

    def resolved(self) -> list[str]:
        return [s for s in self.subjects() if "Resolved" in s]

    def copies(self) -> Counter[str]:
        """How many times each Message-ID was accepted."""
        return Counter(m["Message-ID"] for m in self.accepted)

    def recipients(self) -> list[str]:
        return sorted(m["To"] for m in self.accepted)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Servers:
    """Starts MailServers on free ports and stops them all at the end of a test."""

    def __init__(self) -> None:
        self._running: list[tuple[MailServer, Controller]] = []

    def start(self, **behaviour) -> tuple[MailServer, int]:
        server, port = MailServer(), free_port()
        for name, value in behaviour.items():
            if not hasattr(server, name):
                raise TypeError(f"MailServer has no {name!r}")
            setattr(server, name, value)
        controller = Controller(server, hostname="127.0.0.1", port=port)
        controller.start()
        self._running.append((server, controller))
        return server, port

    def stop(self) -> None:
        for server, controller in self._running:
            server.release.set()
            controller.stop()
