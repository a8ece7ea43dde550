"""Raw RFC 5322 bytes → what the help desk needs of a message, without ever raising.

Mail arrives in every state of repair: undeclared 8-bit headers, charsets Python does not
know, missing MIME boundaries, encoded words hiding line breaks. Each field is read on its
own and falls back to what can be recovered, so one broken header costs that header only.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from ..text import one_line

log = logging.getLogger(__name__)
# A message tree deeper or wider than this is not read further: no real mail needs it.
MAX_PARTS = 200
MAX_DEPTH = 12
# Headers the loop and noise rules look at.
NOISE_HEADERS = (
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "list-id",
    "list-unsubscribe",
    "return-path",
)
MESSAGE_ID = re.compile(r"<([^<>\s]{1,900})>")


@dataclass(frozen=True)
class Part:
    """A file that came with the message (attached or inline)."""

    name: str
    content_type: str
    payload: bytes


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str  # without angle brackets; "" when the message has none
    sender: str  # the From address as written; "" when there is none
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    text: str  # the text part, or the HTML part made text
    attachments: tuple[Part, ...]
    # Message-IDs this one answers: In-Reply-To first, then References newest first.
    refers_to: tuple[str, ...]
    headers: dict[str, str] = field(default_factory=dict)  # NOISE_HEADERS, lower-cased names
    content_type: str = "text/plain"
    report_type: str = ""  # multipart/report's report-type (delivery-status for a bounce)


def parse(raw: bytes) -> ParsedMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    sender_name, sender = parseaddr(_header(message, "from"))
    text, html, files = _walk(message)
    return ParsedMessage(
        message_id=_first_id(_header(message, "message-id")),
        sender=sender.strip(),
        sender_name=one_line(sender_name),
        to=_addresses(message, "to", "delivered-to", "x-original-to"),
        cc=_addresses(message, "cc"),
        subject=one_line(_header(message, "subject")),
        text=text if text.strip() else html_to_text(html),
        attachments=tuple(files),
        refers_to=_refers_to(message),
        headers={name: _header(message, name) for name in NOISE_HEADERS if name in message},
        content_type=message.get_content_type(),
        report_type=(message.get_param("report-type", "") or "").lower()
        if message.get_content_type() == "multipart/report"
        else "",
    )


def _header(message: Message, name: str) -> str:
    """A header's decoded value; a header the parser cannot decode is read as raw text."""
    try:
        value = message.get(name)
        return "" if value is None else str(value)
    except Exception:
        raw = message.get_all(name) or []
        return str(raw[0]) if raw else ""


def _addresses(message: Message, *names: str) -> tuple[str, ...]:
    values = []
    for name in names:
        try:
            values.extend(str(value) for value in message.get_all(name) or [])
        except Exception:
            log.debug("unreadable %s header", name)
    found = dict.fromkeys(address.strip() for _, address in getaddresses(values) if "@" in address)
    return tuple(found)


def _first_id(value: str) -> str:
    match = MESSAGE_ID.search(value)
    return match[1] if match else ""


def _refers_to(message: Message) -> tuple[str, ...]:
    ids = MESSAGE_ID.findall(_header(message, "in-reply-to"))
    ids += reversed(MESSAGE_ID.findall(_header(message, "references")))
    return tuple(dict.fromkeys(ids))


def _walk(message: Message) -> tuple[str, str, list[Part]]:
    """The first text body, the first HTML body and every file, in message order."""
    text = html = ""
    files: list[Part] = []
    for part in _leaves(message, depth=0, budget=[MAX_PARTS]):
        kind = part.get_content_type()
        if kind.startswith("multipart/"):
            kind = "text/plain"  # its boundary never came: what there is, is the text
        disposition = (part.get_content_disposition() or "").lower()
        name = _filename(part)
        if disposition != "attachment" and not name and kind == "text/plain" and not text:
            text = _text_of(part)
        elif disposition != "attachment" and not name and kind == "text/html" and not html:
            html = _text_of(part)
        elif name or disposition in {"attachment", "inline"} or not kind.startswith("text/"):
            payload = _bytes_of(part)
            if payload:
                files.append(
                    Part(name=name or _default_name(kind), content_type=kind, payload=payload)
                )
    return text, html, files


def _leaves(part: Message, *, depth: int, budget: list[int]) -> Iterator[Message]:
    if budget[0] <= 0:
        return
    budget[0] -= 1
    if part.is_multipart() and depth < MAX_DEPTH:
        payload = part.get_payload()
        for child in payload if isinstance(payload, list) else []:
            yield from _leaves(child, depth=depth + 1, budget=budget)
    else:
        yield part


def _filename(part: Message) -> str:
    try:
        return one_line(part.get_filename() or "")
    except Exception:
        return ""


def _default_name(content_type: str) -> str:
    if content_type == "message/rfc822":
        return "forwarded-message.eml"
    return "attachment." + content_type.rsplit("/", 1)[-1][:10]


def _bytes_of(part: Message) -> bytes:
    try:
        if part.get_content_type() == "message/rfc822" and isinstance(part, EmailMessage):
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                return inner[0].as_bytes(policy=email.policy.SMTP)
        payload = part.get_payload(decode=True)
    except Exception:
        return b""
    return payload if isinstance(payload, bytes) else b""


def _text_of(part: Message) -> str:
    """A text part decoded by its declared charset; an unknown or wrong charset is read as
    UTF-8 with replacement characters, never refused."""
    payload = _bytes_of(part)
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload.decode(charset, errors="replace")
    except LookupError:
        text = payload.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _TextOfHtml(HTMLParser):
    SKIPPED = frozenset({"script", "style", "head", "title", "template"})
    BREAKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "blockquote", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BREAKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.chunks.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """What a reader sees of an HTML body, as plain lines: no markup, scripts or styles."""
    if not html:
        return ""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.chunks).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
