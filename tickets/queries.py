"""Reads: what a user may see. Every page, API view, download and export starts here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.contrib.postgres.search import SearchQuery
from django.core import signing
from django.db import connection
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk import replica

from . import teams, versions
from .models import (
    Attachment,
    Comment,
    InboundMessage,
    Rating,
    StatusHistory,
    Ticket,
    TicketFollower,
    parse_reference,
    priority_rank,
    sla_sort_key,
)
from .reports import figures
from .reports.filters import RESOLVED_BASIS
from .status import ACTIVE_STATUSES, Status

if TYPE_CHECKING:
    from accounts.models import User


def visible_to(user: User) -> QuerySet[Ticket]:
    """Tickets `user` may know exist: a customer's own and those they follow (exactly those
    tickets, nothing else of their customers'); every ticket for managers; for agents every
    ticket but those of a restricted team they are not in (tickets.teams); else none."""
    if not user.is_authenticated or not user.is_active:
        return Ticket.objects.none()
    if user.is_manager:
        return Ticket.objects.all()
    if user.is_agent:
        return Ticket.objects.filter(teams.visible_tickets(user))
    # One IN over a UNION, not an OR: the planner counts the customer's few tickets right
    # (an OR with a subquery it guesses at half the table) and reads them by their index.
    own = Ticket.objects.filter(customer=user).values("pk").order_by()
    followed = TicketFollower.objects.filter(user=user).values("ticket_id").order_by()
    return Ticket.objects.filter(pk__in=own.union(followed))


def active_agents() -> QuerySet[User]:
    """Everyone who can be put on a ticket."""
    from accounts.models import STAFF_ROLES, User

    return User.objects.filter(is_active=True, role__in=STAFF_ROLES).order_by("display_name")


def staff_members() -> QuerySet[User]:
    """Everyone who has worked tickets, deactivated people included: reports and the queue
    filter on them (they did the work), nothing assigns to them."""
    from accounts.models import STAFF_ROLES, User

    return User.objects.filter(role__in=STAFF_ROLES).order_by("-is_active", "display_name")


def customer_tickets(user: User, *, show: str = "open") -> QuerySet[Ticket]:
    """A customer's own tickets, latest activity they can see first; show is open, closed or
    all."""
    return _portal_list(visible_to(user).filter(customer=user), user=user, show=show)


def followed_tickets(user: User, *, show: str = "open") -> QuerySet[Ticket]:
    """The tickets `user` follows (tickets.followers), in the same order and by the same
    `show` as customer_tickets."""
    return _portal_list(visible_to(user).filter(followers__user=user), user=user, show=show)


def _portal_list(tickets: QuerySet[Ticket], *, user: User, show: str) -> QuerySet[Ticket]:
    updated = versions.updated_field_for(user)
    tickets = tickets.select_related("assignee").order_by(f"-{updated}", "-id")
    if show == "open":
        return tickets.exclude(status=Status.CLOSED)
    if show == "closed":
        return tickets.filter(status=Status.CLOSED)
    return tickets


def internal_notes_hidden(user: User, *, comment: str = "") -> Q:
    """Internal notes are for staff: the condition that leaves them out for everyone else.
    `comment` is the path to the comment from the rows filtered ("comment__" for files);
    rows with no comment at all are kept."""
    if user.is_agent:
        return Q()
    return ~Q(**{f"{comment}is_internal": True})


def customer_by_id(raw: str) -> User | None:
    """The active customer whose id `raw` is, if it is one (a prefilled "report for")."""
    from accounts.models import Role, User

    if not raw.isdigit():
        return None
    return User.objects.filter(pk=int(raw), role=Role.CUSTOMER, is_active=True).first()


def readable_comments(user: User) -> QuerySet[Comment]:
    """Comments `user` may read anywhere."""
    return Comment.objects.filter(internal_notes_hidden(user))


def comments_visible_to(user: User, ticket: Ticket) -> QuerySet[Comment]:
    """The conversation as `user` may read it."""
    return ticket.comments.select_related("author").filter(internal_notes_hidden(user))


def conversation(user: User, ticket: Ticket) -> QuerySet[Comment]:
    """The comments `user` may read, oldest first, with their authors and files."""
    files = Attachment.objects.order_by("created_at", "id")
    return comments_visible_to(user, ticket).prefetch_related(
        Prefetch("attachments", queryset=files)
    )


# --- The e-mails tickets came from (staff only) ---------------------------------------


def original_emails_visible_to(user: User) -> QuerySet[InboundMessage]:
    """The stored e-mails that made a ticket or a reply, for staff; nobody else reads them
    (a customer's own mail may carry what they were asked to leave out, and what was cut
    from it as quoted history)."""
    if not (user.is_authenticated and user.is_active and user.is_agent):
        return InboundMessage.objects.none()
    return InboundMessage.objects.filter(
        ticket__in=visible_to(user), state=InboundMessage.State.PROCESSED
    ).exclude(raw="")


def with_original_emails(comments: QuerySet[Comment]) -> QuerySet[Comment]:
    """Staff's conversation: each comment that came by e-mail carries the id of that e-mail
    (`original_email_id`, else None)."""
    made_by = InboundMessage.objects.filter(comment=OuterRef("pk")).exclude(raw="")
    return comments.annotate(original_email_id=Subquery(made_by.values("pk")[:1]))


def opening_email_id(ticket: Ticket) -> int | None:
    """The e-mail that made the ticket, if one did."""
    return (
        InboundMessage.objects.filter(ticket=ticket, comment__isnull=True)
        .filter(state=InboundMessage.State.PROCESSED)
        .exclude(raw="")
        .values_list("pk", flat=True)
        .first()
    )


def opening_attachments(ticket: Ticket) -> QuerySet[Attachment]:
    """The files sent with the report itself."""
    return ticket.attachments.filter(comment__isnull=True).order_by("id")


def attachments_visible_to(user: User) -> QuerySet[Attachment]:
    """Files on tickets `user` may see, except those of internal notes for non-staff."""
    return Attachment.objects.filter(
        internal_notes_hidden(user, comment="comment__"), ticket__in=visible_to(user)
    )


# --- The agent queue --------------------------------------------------------------------

QUEUE_VIEWS = {
    "unassigned": _("Unassigned"),
    "mine": _("Mine"),
    "my_teams": _("My teams"),
    "open": _("All open"),
    "on_hold": _("On hold"),
    "resolved": _("Recently resolved"),
    "closed": _("Closed"),
    "all": _("All"),
}
# name → (label, ordering). Every ordering ends in the primary key, which makes it total, as
# keyset paging needs. "priority_rank" is annotated (urgent first).
QUEUE_SORTS = {
    "priority": (_("Priority, then oldest"), [("priority_rank", False), ("created_at", False)]),
    "newest": (_("Newest first"), [("created_at", True)]),
    "oldest": (_("Oldest first"), [("created_at", False)]),
    "updated": (_("Recently updated"), [("updated_at", True)]),
    "sla": (_("SLA due first"), [("sla_sort_at", False)]),
}
QUEUE_SLA_FILTERS = {
    "breached": _("Past due"),
    "soon": _("Due soon"),
    "paused": _("Paused (on hold)"),
}


@dataclass(frozen=True)
class QueueFilters:
    view: str = "open"
    sort: str = "priority"
    status: str = ""
    priority: str = ""
    category_id: int | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    q: str = ""
    sla: str = ""
    # Drill-down from the report: the tickets behind one of its numbers (reports.figures), or
    # one reason a ticket needs attention (figures.ATTENTION; no range).
    figure: str = ""
    basis: str = RESOLVED_BASIS
    start: date | None = None
    end: date | None = None


# The figures the queue can show the tickets of: the report's, then "needs attention".
QUEUE_FIGURES = {
    **{name: label for name, (label, _range, _q) in figures.FIGURES.items()},
    **figures.ATTENTION,
}


def figure_filter(filters: QueueFilters, *, now: datetime) -> Q:
    """The tickets behind a report's number, exactly as the report counts them."""
    name = filters.figure
    if not name:
        return Q()
    if name in figures.ATTENTION:
        return figures.attention(name, now=now, prefix="metrics__")
    prefix = "metrics__"
    ranged = figures.in_range(name, filters.start, filters.end, filters.basis, prefix=prefix)
    return ranged & figures.figure(name, as_of=now, prefix=prefix)


@dataclass
class QueuePage:
    tickets: list[Ticket]
    next_cursor: str | None = None
    previous_cursor: str | None = None


def _view_filter(view: str, user: User) -> Q:
    if view == "unassigned":
        return Q(status=Status.OPEN)
    if view == "mine":
        return Q(assignee=user, status__in=ACTIVE_STATUSES)
    if view == "my_teams":
        return Q(team_id__in=teams.teams_of(user).values("pk"), status__in=ACTIVE_STATUSES)
    if view == "on_hold":
        return Q(status=Status.ON_HOLD)
    if view == "resolved":
        return Q(status=Status.RESOLVED)
    if view == "closed":
        return Q(status=Status.CLOSED)
    if view == "all":
        return Q()
    return Q(status__in=ACTIVE_STATUSES)


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def search_terms(text: str) -> list[str]:
    """The words of a search, as typed: an e-mail address whole (one term, as the search
    document keeps it: its parts are everywhere), else letters and digits."""
    addresses = EMAIL.findall(text)
    return addresses + re.findall(r"\w+", EMAIL.sub(" ", text))


def prefix_query(terms: list[str]) -> SearchQuery:
    """Every word, the last one also as the start of a longer one (it may still be being
    typed: "mailb" finds "mailbox"), in the `helpdesk` configuration (English, accents
    folded: migration 0027). Whole words elsewhere keep the planner's estimates exact."""
    return SearchQuery(prefix_raw(terms), config="helpdesk", search_type="raw")


def prefix_raw(terms: list[str]) -> str:
    """prefix_query()'s text, as to_tsquery reads it."""
    *whole, last = terms
    return " & ".join([*(f"'{term}'" for term in whole), f"'{last}':*"])


def search(tickets: QuerySet[Ticket], text: str, *, user: User) -> QuerySet[Ticket]:
    """Tickets whose reference, subject, description, customer, comments or notes match
    `text`, as far as `user` may read them (a customer's search never looks into internal
    notes or staff-only notes).

    PostgreSQL matches every word, stemmed, accents folded, also as a prefix, against the
    ticket's search document (TicketSearch, one GIN index); SQLite falls back to a
    case-insensitive substring match of the whole text.
    """
    text = text.strip()
    if not text:
        return tickets
    by_reference = Q(pk=reference) if (reference := parse_reference(text)) else Q(pk__in=[])
    if connection.vendor == "postgresql":
        terms = search_terms(text)
        if not terms:
            return tickets.filter(by_reference)
        document = "search_document__staff" if user.is_agent else "search_document__customer"
        return tickets.filter(by_reference | Q(**{document: prefix_query(terms)}))
    in_comments = readable_comments(user).filter(body__icontains=text).values("ticket_id")
    in_notes = StatusHistory.objects.filter(note__icontains=text)
    if not user.is_agent:
        in_notes = in_notes.filter(note_public=True)
    matches = (
        by_reference
        | Q(subject__icontains=text)
        | Q(description__icontains=text)
        | Q(pk__in=in_comments)
        | Q(pk__in=in_notes.values("ticket_id"))
    )
    if user.is_agent:
        matches |= Q(customer__display_name__icontains=text) | Q(customer__email__icontains=text)
    return tickets.filter(matches)


def queue_tickets(user: User, filters: QueueFilters, *, searched: bool = True) -> QuerySet[Ticket]:
    """The queue's rows before paging: one view, the filters, the search, the sort."""
    tickets = (
        visible_to(user)
        .filter(_view_filter(filters.view, user))
        .select_related("customer", "assignee", "category")
        .annotate(priority_rank=priority_rank(), sla_sort_at=sla_sort_key())
    )
    if filters.sla:
        tickets = tickets.filter(_sla_filter(filters.sla))
    if filters.figure:
        tickets = tickets.filter(figure_filter(filters, now=timezone.now()))
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.category_id:
        tickets = tickets.filter(category_id=filters.category_id)
    if filters.assignee_id:
        tickets = tickets.filter(assignee_id=filters.assignee_id)
    if filters.team_id:
        tickets = tickets.filter(team_id=filters.team_id)
    return search(tickets, filters.q, user=user) if searched else tickets


def _sla_filter(name: str) -> Q:
    now = timezone.now()
    if name in ("breached", "soon"):
        return figures.attention(name, now=now)
    if name == "paused":
        return Q(status=Status.ON_HOLD)
    return Q()


def _ordering(sort: str, user: User | None = None) -> list[tuple[str, bool]]:
    """The sort's keys, then the primary key in the same direction: a total order that one
    index reads straight through (Ticket.Meta.indexes). "Recently updated" is by the last
    change `user` can see (versions.updated_field_for)."""
    keys = QUEUE_SORTS.get(sort, QUEUE_SORTS["priority"])[1]
    updated = versions.updated_field_for(user)
    keys = [(updated if name == "updated_at" else name, desc) for name, desc in keys]
    return [*keys, ("id", keys[-1][1])]


def _after(keys: list[tuple[str, bool]], values: list) -> TupleGreaterThan | TupleLessThan:
    """Rows strictly after `values` in the ordering `keys` (keyset paging): a row-value
    comparison, (a, b, id) > (x, y, z), which PostgreSQL starts an index scan at."""
    descending = keys[0][1]
    lookup = TupleLessThan if descending else TupleGreaterThan
    return lookup(Tuple(*(F(name) for name, _d in keys)), values)


# What _encode gives out, as django.core.signing writes it: compressed JSON (a leading dot),
# the time and an HMAC-SHA256, each base64 or base62. Anything else is refused unread.
CURSOR_PATTERN = r"^\.?[A-Za-z0-9_-]+:[0-9A-Za-z]+:[A-Za-z0-9_-]{43}$"


def _encode(values: list, backwards: bool) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return signing.dumps({"v": plain, "b": backwards}, salt="queue-cursor", compress=True)


def _decode(cursor: str, keys: list[tuple[str, bool]]) -> tuple[list, bool] | None:
    try:
        data = signing.loads(cursor, salt="queue-cursor")
        values, backwards = list(data["v"]), bool(data["b"])
        if len(values) != len(keys):
            return None
        for i, (name, _descending) in enumerate(keys):
            if name.endswith("_at"):
                values[i] = datetime.fromisoformat(values[i])
            elif not isinstance(values[i], int):
                return None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return values, backwards


INVALID_CURSOR = _("This cursor is not one this list gave out for this sort; start again.")


def cursor_fits(cursor: str, *, sort: str) -> bool:
    """Whether `cursor` is one queue_page() handed out for `sort` (forms and the API refuse
    one that is not, rather than quietly showing the first page)."""
    return _decode(cursor, _ordering(sort)) is not None


def queue_page(user: User, filters: QueueFilters, *, cursor: str = "", size: int = 50) -> QueuePage:
    """One page of the queue by keyset: no OFFSET scan and no COUNT(*), however deep. A search
    reads from the replica when there is one (helpdesk.replica); the plain queue, which agents
    act on at once, from the primary."""
    if filters.q:
        return replica.call(_queue_page, user, filters, cursor=cursor, size=size)
    return _queue_page(user, filters, cursor=cursor, size=size)


def _queue_page(user: User, filters: QueueFilters, *, cursor: str, size: int) -> QueuePage:
    keys = _ordering(filters.sort, user)
    tickets = queue_tickets(user, filters, searched=False)
    decoded = _decode(cursor, keys) if cursor else None
    backwards = bool(decoded and decoded[1])
    if backwards:
        reversed_keys = [(name, not descending) for name, descending in keys]
        tickets = tickets.filter(_after(reversed_keys, decoded[0]))
        ordering = [f"{'' if d else '-'}{name}" for name, d in keys]
    else:
        if decoded:
            tickets = tickets.filter(_after(keys, decoded[0]))
        ordering = [f"{'-' if d else ''}{name}" for name, d in keys]
    rows = _page_rows(tickets, ordering, user=user, text=filters.q, limit=size + 1)
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    has_next = backwards or more
    has_previous = more if backwards else decoded is not None
    page = QueuePage(tickets=rows)
    if rows and has_next:
        page.next_cursor = _encode([getattr(rows[-1], n) for n, _d in keys], backwards=False)
    if rows and has_previous:
        page.previous_cursor = _encode([getattr(rows[0], n) for n, _d in keys], backwards=True)
    return page


# A searched page first reads this many tickets in its own order (_page_rows), and at most
# WALK_MAX if the matches it found there say that more would fill the page; past that, it
# takes the matches from the index if there are at most MATCHES_MAX of them.
SEARCH_WALK = 2_000
WALK_MAX = 20_000
MATCHES_MAX = 5_000
# Which of the given tickets match: each one's document read by its key and checked (the
# "|| ''" keeps the planner off the GIN index, whose every match would be read). A few
# microseconds a ticket, whatever the words.
MATCHING_AMONG = {
    "staff": "SELECT ticket_id FROM tickets_ticketsearch WHERE ticket_id = ANY(%s)"
    " AND (staff || ''::tsvector) @@ to_tsquery('helpdesk', %s)",
    "customer": "SELECT ticket_id FROM tickets_ticketsearch WHERE ticket_id = ANY(%s)"
    " AND (customer || ''::tsvector) @@ to_tsquery('helpdesk', %s)",
}
# Every match, from the GIN index, up to a bound.
MATCHING = {
    "staff": "SELECT ticket_id FROM tickets_ticketsearch"
    " WHERE staff @@ to_tsquery('helpdesk', %s) LIMIT %s",
    "customer": "SELECT ticket_id FROM tickets_ticketsearch"
    " WHERE customer @@ to_tsquery('helpdesk', %s) LIMIT %s",
}


def _page_rows(
    tickets: QuerySet[Ticket], ordering: list[str], *, user: User, text: str, limit: int
) -> list[Ticket]:
    """The first `limit` of `tickets` in `ordering` that match the search `text`.

    Which is cheaper depends on how common the words are, and the planner cannot tell for
    words that go together ("printer offline") or for a word's start: reading the page's
    order and keeping the matches is quick when they are common and reads the whole table
    when they are rare; reading every match from the search index is quick when they are
    rare and slow when they are common. So on PostgreSQL the first SEARCH_WALK tickets in
    order are read (their ids, from the sort index) and checked; if the matches there fill
    the page, or that is all there is, the page is those. If they show that a walk of up to
    WALK_MAX would fill it, that walk is made. Else the matches are rare: up to MATCHES_MAX
    of them are read from the index, and the page is the first of those in order (more
    than that, rare on this page but common elsewhere: the planner decides).
    """
    terms = search_terms(text.strip())
    if connection.vendor != "postgresql" or not terms:
        return list(search(tickets, text, user=user).order_by(*ordering)[:limit])
    document = "staff" if user.is_agent else "customer"
    raw = prefix_raw(terms)
    reference = parse_reference(text.strip())
    ordered = tickets.order_by(*ordering).values_list("pk", flat=True)

    def walk(size: int) -> tuple[list[int], bool]:
        """The matches among the first `size` in order, and whether that was all of them."""
        window = list(ordered[:size])
        with replica.read_connection().cursor() as cursor:
            cursor.execute(MATCHING_AMONG[document], [window, raw])
            hits = {pk for (pk,) in cursor.fetchall()} | {reference}
        return [pk for pk in window if pk in hits][:limit], len(window) < size

    found, everything = walk(SEARCH_WALK)
    if len(found) < limit and not everything:
        # Half as many again as the matches seen so far say would fill the page.
        needed = limit * SEARCH_WALK * 3 // (2 * (len(found) + 1))
        if needed <= WALK_MAX:
            found, everything = walk(needed)
    if len(found) == limit or everything:
        rows = tickets.in_bulk(found)
        return [rows[pk] for pk in found if pk in rows]
    with replica.read_connection().cursor() as cursor:
        cursor.execute(MATCHING[document], [raw, MATCHES_MAX + 1])
        matches = [pk for (pk,) in cursor.fetchall()]
    if len(matches) > MATCHES_MAX:
        return list(search(tickets, text, user=user).order_by(*ordering)[:limit])
    return list(tickets.filter(pk__in=[*matches, reference]).order_by(*ordering)[:limit])


def customer_other_tickets(ticket: Ticket, *, limit: int = 10) -> list[Ticket]:
    return list(
        Ticket.objects.filter(customer_id=ticket.customer_id)
        .exclude(pk=ticket.pk)
        .order_by("-created_at", "-id")[:limit]
    )


def ticket_visible_or_404(*, user: User, pk: int) -> Ticket:
    """The ticket `user` may see, with its people and service; 404 otherwise, whether or not
    it exists (a stranger learns nothing from the answer)."""
    # The rating rides along (one-to-one): whoever may see it reads it without a query.
    tickets = visible_to(user).select_related("customer", "assignee", "category", "rating", "team")
    return get_object_or_404(tickets, pk=pk)


def rating_seen_by(*, ticket: Ticket, viewer: User | None) -> Rating | None:
    """The customer's rating of `ticket` if `viewer` may read it: staff, and the customer who
    gave it; not the ticket's followers (rating, like the workflow's steps, is the customer's).
    Read from the ticket (ticket_visible_or_404 fetched it along)."""
    if viewer is None or not viewer.is_authenticated:
        return None
    if not (viewer.is_agent or ticket.customer_id == viewer.pk):
        return None
    try:
        return ticket.rating
    except Rating.DoesNotExist:
        return None


NEW_TICKETS_LIMIT = 100


def new_tickets_count(*, user: User, since: datetime) -> int:
    """How many tickets `user` may see were reported after `since` and are still waiting to
    be worked (the queue's "3 new tickets — show"); counted up to NEW_TICKETS_LIMIT, on the
    newest-first index, so an old `since` costs no more than a recent one."""
    new = visible_to(user).filter(created_at__gt=since, status__in=ACTIVE_STATUSES)
    return new.order_by("-created_at", "-id")[:NEW_TICKETS_LIMIT].count()
