"""The reply address of a ticket: plus-addressing with a token no one can guess.

Mail about ticket HD-1042 says `Reply-To: support+HD-1042.k3j9…@example.com`. The token is an
HMAC of the ticket's id under the site's secret, so an address can be neither guessed nor
moved to another ticket; a message to it joins that ticket.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from ..models import format_reference, parse_reference

SALT = "tickets.inbound.reply-address"
TOKEN_LENGTH = 20


def token(ticket_id: int) -> str:
    return salted_hmac(SALT, str(ticket_id), algorithm="sha256").hexdigest()[:TOKEN_LENGTH]


def reply_address(ticket_id: int) -> str:
    """Where replies about this ticket go; "" when no inbound address is configured."""
    inbound = settings.INBOUND_ADDRESS
    if not inbound:
        return ""
    local, _, domain = inbound.rpartition("@")
    return f"{local}+{format_reference(ticket_id)}.{token(ticket_id)}@{domain}"


def ticket_id_from(addresses: tuple[str, ...]) -> int | None:
    """The ticket named by a reply address among `addresses` whose token is right."""
    for address in addresses:
        local = address.rpartition("@")[0]
        _, plus, tag = local.partition("+")
        reference, dot, given = tag.rpartition(".")
        if not (plus and dot):
            continue
        ticket_id = parse_reference(reference)
        if ticket_id is not None and constant_time_compare(given.lower(), token(ticket_id)):
            return ticket_id
    return None
