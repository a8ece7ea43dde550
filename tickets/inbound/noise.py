"""Mail no person wrote for us to answer: auto-replies, lists, bounces, our own mail.

Answering any of these makes loops with other robots (another help desk, a vacation
responder), so such a message makes no ticket, no reply and no automatic answer.
"""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings

from .parsing import ParsedMessage

ROBOT_SENDERS = frozenset(
    {"mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply", "donotreply"}
)
BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})


def is_bounce(message: ParsedMessage) -> bool:
    return message.report_type == "delivery-status"


def own_addresses() -> set[str]:
    addresses = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1], settings.INBOUND_ADDRESS}
    return {address.lower() for address in addresses if address}


def noise_reason(message: ParsedMessage) -> str:
    """Why `message` is not a person writing to us, or "" when it is."""
    headers = message.headers
    if is_bounce(message):
        return "a delivery status report (bounce)"
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto[:40]}"
    if headers.get("precedence", "").strip().lower() in BULK_PRECEDENCE:
        return f"Precedence: {headers['precedence'].strip()[:20]}"
    for name in ("x-autoreply", "x-autorespond"):
        if name in headers:
            return f"{name} header"
    if "list-id" in headers or "list-unsubscribe" in headers:
        return "a mailing list message"
    sender = message.sender.lower()
    local = sender.partition("@")[0].partition("+")[0]
    if local in ROBOT_SENDERS:
        return f"an automatic sender ({local})"
    if is_our_address(sender):
        return "our own address"
    return ""


def is_our_address(address: str) -> bool:
    """Whether `address` is the help desk's own: its sender, its inbound address, or a
    ticket's reply address."""
    address = address.lower()
    return address in own_addresses() or _is_our_reply_address(address)


def _is_our_reply_address(sender: str) -> bool:
    inbound = settings.INBOUND_ADDRESS.lower()
    if not inbound or "@" not in sender:
        return False
    local, _, domain = sender.rpartition("@")
    own_local, _, own_domain = inbound.rpartition("@")
    return domain == own_domain and local.partition("+")[0] == own_local
