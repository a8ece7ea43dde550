"""Bounces: a delivery status notification (RFC 3464: multipart/report with
report-type=delivery-status) about a mail we sent marks its outbox row failed.

The report names the mail it is about by that mail's Message-ID, in the copy of the mail
(message/rfc822) or of its headers (text/rfc822-headers) it returns; every outbox row has a
Message-ID of its own (Notification.message_id). A report that the mail is only delayed, or
that names no mail of ours, changes nothing.
"""

from __future__ import annotations

import email
import email.policy
import logging
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser

from ..models import Notification
from .parsing import MESSAGE_ID, one_line

log = logging.getLogger(__name__)
# Per-recipient fields of a delivery-status part that say what happened.
FIELDS = ("action", "status", "diagnostic-code", "final-recipient")


@dataclass(frozen=True)
class Report:
    message_id: str  # of the mail that bounced, without angle brackets; "" when not given
    action: str  # failed, delayed, delivered, relayed, expanded; "" when not given
    status: str  # e.g. 5.1.1
    diagnostic: str  # the receiving server's words
    recipient: str

    @property
    def failed(self) -> bool:
        return self.action == "failed" or (not self.action and self.status.startswith("5"))

    def describe(self) -> str:
        said = " ".join(part for part in (self.status, self.diagnostic) if part)
        return f"{said or 'no status given'} (for {self.recipient or 'an unnamed recipient'})"


def read(raw: bytes) -> Report:
    """What a delivery status report says; empty fields for what it does not say or we
    cannot read."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    fields: dict[str, str] = {}
    message_id = ""
    for part in message.walk():
        kind = part.get_content_type()
        try:
            if kind == "message/delivery-status" and not fields:
                fields = _status_fields(part)
            elif kind == "message/rfc822" and not message_id:
                inner = part.get_payload()
                if isinstance(inner, list) and inner:
                    message_id = _id_of(inner[0])
            elif kind == "text/rfc822-headers" and not message_id:
                payload = part.get_payload(decode=True) or b""
                message_id = _id_of(BytesHeaderParser().parsebytes(payload))
        except Exception:
            log.debug("unreadable %s part in a bounce", kind, exc_info=True)
    return Report(
        message_id=message_id,
        action=fields.get("action", "").lower(),
        status=fields.get("status", ""),
        diagnostic=fields.get("diagnostic-code", "").partition(";")[2].strip()
        or fields.get("diagnostic-code", ""),
        recipient=fields.get("final-recipient", "").partition(";")[2].strip(),
    )


def _status_fields(part: Message) -> dict[str, str]:
    """The first recipient's fields (the report's first block is about the message)."""
    blocks = part.get_payload()
    if not isinstance(blocks, list):  # sent as text; read it block by block
        text = part.get_payload(decode=True) or b""
        blocks = [BytesHeaderParser().parsebytes(block) for block in text.split(b"\n\n")]
    for block in blocks[1:] or blocks:
        found = {name: one_line(str(block.get(name, ""))) for name in FIELDS}
        if found["action"] or found["status"]:
            return {name: value[:500] for name, value in found.items() if value}
    return {}


def _id_of(headers: Message) -> str:
    match = MESSAGE_ID.search(str(headers.get("message-id", "")))
    return match[1] if match else ""


def record(raw: bytes) -> str:
    """Mark the outbox row a bounce reports failed; why the bounce is not acted on further
    (the inbound message's recorded reason)."""
    report = read(raw)
    if not report.message_id:
        return "a delivery status report (bounce) naming no message"
    rows = Notification.objects.filter(message_id=f"<{report.message_id}>")
    if not report.failed:
        found = rows.values_list("pk", flat=True).first()
        about = f"notification {found}" if found else "a message that is not ours"
        return f"a delivery status report ({report.action or 'no action'}) about {about}"
    found = rows.values_list("pk", flat=True).first()
    if found is None:
        return f"a bounce of a message that is not ours: {report.describe()}"[:2000]
    rows.update(
        state=Notification.State.FAILED,
        next_attempt_at=None,
        last_error=f"bounced: {report.describe()}"[:2000],
    )
    log.warning("notification %s bounced: %s", found, report.describe())
    return f"a bounce of notification {found}, marked failed: {report.describe()}"[:2000]
