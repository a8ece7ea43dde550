"""The agent workspace: queue, ticket page, replies and notes, conflicts, bulk actions."""

import pytest
from django.test import Client
from django.urls import reverse

from tickets import queries, services, teams
from tickets.models import Comment, FieldChange, Ticket
from tickets.status import Priority, Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def alex(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def mia(manager):
    client = Client()
    client.force_login(manager)
    return client


def detail(ticket):
    return reverse("agent:ticket_detail", args=[ticket.pk])


def act(client, ticket, action, note="", version=None, **extra):
    return client.post(
        reverse("agent:ticket_action", args=[ticket.pk]),
        {"action": action, "note": note, "version": version or ticket.version, **extra},
    )


def queue(client, **params):
    return client.get(reverse("agent:queue"), params)


def refs(response) -> list[str]:
    return [t.reference for t in response.context["page"].tickets]


# --- The queue ----------------------------------------------------------------------------


def test_the_views_show_what_they_say(alex, make_ticket, agent, other_agent):
    fresh = make_ticket(Status.OPEN)
    mine = make_ticket(Status.IN_PROGRESS)
    held = make_ticket(Status.ON_HOLD)
    done = make_ticket(Status.RESOLVED)
    closed = make_ticket(Status.CLOSED)
    theirs = make_ticket(Status.OPEN)
    services.ticket_take(ticket_id=theirs.pk, agent=other_agent)

    assert refs(queue(alex, view="unassigned")) == [fresh.reference]
    assert set(refs(queue(alex, view="mine"))) == {mine.reference, held.reference}
    assert set(refs(queue(alex, view="open"))) == {
        fresh.reference,
        mine.reference,
        held.reference,
        theirs.reference,
    }
    assert refs(queue(alex, view="on_hold")) == [held.reference]
    assert refs(queue(alex, view="resolved")) == [done.reference]
    assert closed.reference not in refs(queue(alex, view="open"))


def test_filters_and_priority_sort(alex, make_ticket, category, agent):
    low = make_ticket(priority=Priority.LOW)
    high = make_ticket(priority=Priority.HIGH)
    urgent = make_ticket(priority=Priority.URGENT, created_by=agent)
    assert refs(queue(alex, sort="priority")) == [urgent.reference, high.reference, low.reference]
    assert refs(queue(alex, priority="low")) == [low.reference]
    assert refs(queue(alex, sort="newest"))[0] == urgent.reference
    assert refs(queue(alex, sort="oldest"))[0] == low.reference
    assert set(refs(queue(alex, category=category.pk))) == {
        low.reference,
        high.reference,
        urgent.reference,
    }


def test_nonsense_filters_are_reported_not_a_crash(alex, make_ticket):
    make_ticket()
    response = queue(alex, status="exploded", category="abc", cursor="garbage")
    assert response.status_code == 400
    assert b"were not understood" in response.content


def test_search_finds_words_in_comments_not_just_subjects(alex, make_ticket, agent):
    printer = make_ticket(subject="Printer on floor 3", description="It jams.")
    vpn = make_ticket(subject="VPN drops", description="Every few minutes.")
    services.comment_add(
        ticket_id=vpn.pk, author=agent, body="The firewall resets idle tunnels.", internal=True
    )
    assert refs(queue(alex, q="firewall")) == [vpn.reference]
    assert refs(queue(alex, q="printer")) == [printer.reference]
    assert refs(queue(alex, q=vpn.reference)) == [vpn.reference]
    assert refs(queue(alex, q="nothing-like-this")) == []


def test_keyset_pages_cover_every_ticket_once_forwards_and_back(alex, make_ticket, monkeypatch):
    from tickets.views import agent as agent_views

    monkeypatch.setattr(agent_views, "QUEUE_PAGE_SIZE", 4)
    made = {make_ticket(priority=p).reference for p in ["low", "high", "normal"] * 3 + ["low"]}
    seen, pages, response = [], [], queue(alex, sort="priority")
    while True:
        pages.append(refs(response))
        seen += refs(response)
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
        response = queue(alex, sort="priority", cursor=cursor)
    assert len(seen) == len(made) == 10 and set(seen) == made
    assert [len(p) for p in pages] == [4, 4, 2]
    back = queue(alex, sort="priority", cursor=response.context["page"].previous_cursor)
    assert refs(back) == pages[1]


@pytest.mark.parametrize("count", [3, 40])
def test_the_queue_takes_the_same_queries_however_many_tickets(
    count, alex, make_ticket, django_assert_num_queries
):
    for i in range(count):
        make_ticket(Status.ASSIGNED if i % 2 else Status.OPEN)
    # session, user, the page of tickets (+customer, assignee, service), the filter form's
    # services, agents and teams, the saved views, the bulk form's teams. No team is
    # restricted (a flag in the shared cache): the page of tickets has no team subquery.
    with django_assert_num_queries(8) as captured:
        response = queue(alex)
    assert len(response.context["page"].tickets) == count
    assert "restricted" not in captured.captured_queries[2]["sql"]


@pytest.mark.parametrize("count", [3, 40])
def test_a_restricted_team_keeps_its_tickets_from_outsiders_in_as_many_queries(
    count, alex, make_ticket, manager, other_agent, django_assert_num_queries
):
    secret = teams.team_save(
        by=manager,
        name="Security",
        members=[other_agent],
        strategy="off",
        default_capacity=10,
        restricted=True,
    )
    hidden = make_ticket(Status.OPEN)
    Ticket.objects.filter(pk=hidden.pk).update(team=secret)
    for _ in range(count):
        make_ticket(Status.OPEN)
    teams.any_restricted()  # the flag, read once from the database and shared from then on
    # as above, the page of tickets with the team subquery
    with django_assert_num_queries(8) as captured:
        response = queue(alex)
    assert "restricted" in captured.captured_queries[2]["sql"]
    shown = {ticket.pk for ticket in response.context["page"].tickets}
    assert len(shown) == count and hidden.pk not in shown


def test_customers_never_reach_agent_pages(client, customer, make_ticket):
    ticket = make_ticket()
    client.force_login(customer)
    for url in (reverse("agent:queue"), detail(ticket)):
        assert client.get(url).status_code == 404
    assert act(client, ticket, "take").status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN


# --- The ticket page ----------------------------------------------------------------------


def test_the_ticket_page_shows_notes_apart_and_the_customers_other_tickets(
    alex, make_ticket, agent
):
    ticket = make_ticket(Status.IN_PROGRESS)
    older = make_ticket(Status.CLOSED, subject="Old keyboard issue")
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Checked logs", internal=True)
    page = alex.get(detail(ticket)).content.decode()
    assert "internal-note" in page and "Checked logs" in page
    assert older.reference in page and "Old keyboard issue" in page
    assert "Alex Agent started working on it" in page


@pytest.mark.parametrize("comments", [1, 25])
def test_the_ticket_page_takes_the_same_queries_however_long_the_conversation(
    comments, alex, make_ticket, agent, customer, django_assert_num_queries
):
    ticket = make_ticket(Status.IN_PROGRESS)
    for i in range(comments):
        services.comment_add(
            ticket_id=ticket.pk,
            author=agent if i % 2 else customer,
            body=f"m{i}",
            internal=bool(i % 2 and i % 3 == 1),
        )
    # session, user, ticket (+customer, assignee, service), comments (+authors), attachments,
    # opening attachments, the e-mail that opened the ticket (if one did), history (+actors),
    # field changes, the customer's other tickets, the services for the details form, the
    # followers (+users, who added them), the macros for the composer's picker, the teams
    # for the "Move to team" form
    with django_assert_num_queries(14):
        alex.get(detail(ticket))


def test_an_agent_sees_only_the_actions_the_workflow_allows(alex, make_ticket, other_agent):
    open_page = alex.get(detail(make_ticket(Status.OPEN))).content.decode()
    assert 'value="take"' in open_page and 'value="assign"' not in open_page
    mine = alex.get(detail(make_ticket(Status.IN_PROGRESS))).content.decode()
    assert 'value="hold"' in mine and 'value="resolve"' in mine
    assert 'value="close"' not in mine  # closing is a manager's call
    theirs = make_ticket(Status.OPEN)
    services.ticket_take(ticket_id=theirs.pk, agent=other_agent)
    other_page = alex.get(detail(theirs)).content.decode()
    assert 'value="start"' not in other_page


def test_a_manager_sees_reassign_and_close(mia, make_ticket):
    page = mia.get(detail(make_ticket(Status.IN_PROGRESS))).content.decode()
    assert 'value="reassign"' in page and 'value="close"' in page


def test_take_start_hold_and_resolve_from_the_page(alex, make_ticket, agent):
    ticket = make_ticket(Status.OPEN)
    for action, note in [
        ("take", ""),
        ("start", ""),
        ("hold", "Which OS?"),
        ("resume", ""),
        ("resolve", "Patched."),
    ]:
        ticket.refresh_from_db()
        assert act(alex, ticket, action, note).status_code == 302, action
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.assignee == agent


def test_a_resolution_without_a_note_is_refused_and_the_page_says_why(alex, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    response = act(alex, ticket, "resolve", "")
    assert response.status_code == 400 and b"Please give a reason" in response.content
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS


def test_a_stale_action_from_a_second_browser_is_refused_and_the_history_stays_a_chain(
    make_ticket, agent, other_agent
):
    first, second = Client(), Client()
    first.force_login(agent)
    second.force_login(other_agent)
    ticket = make_ticket(Status.OPEN)
    seen = ticket.version  # both pages were loaded now
    assert act(first, ticket, "take", version=seen).status_code == 302
    response = act(second, ticket, "take", version=seen)
    assert response.status_code == 409
    assert b"changed" in response.content
    assert response.context["ticket"].assignee == agent  # the fresh state is shown
    ticket.refresh_from_db()
    rows = list(ticket.history.values_list("from_status", "to_status"))
    assert rows == [(None, "open"), ("open", "assigned")] and ticket.assignee == agent


def test_a_reply_on_a_changed_ticket_is_refused_and_keeps_the_text(alex, make_ticket, customer):
    ticket = make_ticket(Status.IN_PROGRESS)
    seen = ticket.version
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Oh, and also...")
    response = alex.post(
        reverse("agent:ticket_reply", args=[ticket.pk]),
        {"body": "Fixed it for you", "visibility": "public", "version": seen},
    )
    assert response.status_code == 409
    assert b"Fixed it for you" in response.content and b"Oh, and also..." in response.content
    assert not Comment.objects.filter(body="Fixed it for you").exists()


def test_public_reply_and_internal_note_are_an_explicit_choice(alex, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    url = reverse("agent:ticket_reply", args=[ticket.pk])
    no_choice = alex.post(url, {"body": "Hmm", "version": ticket.version})
    assert no_choice.status_code == 400 and not Comment.objects.exists()
    alex.post(url, {"body": "Note to self", "visibility": "internal", "version": ticket.version})
    ticket.refresh_from_db()
    alex.post(url, {"body": "Hello!", "visibility": "public", "version": ticket.version})
    assert list(Comment.objects.values_list("body", "is_internal")) == [
        ("Note to self", True),
        ("Hello!", False),
    ]
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_priority_and_category_changes_are_recorded_from_the_page(alex, make_ticket):
    from tickets.models import Category

    ticket = make_ticket(Status.IN_PROGRESS)
    email = Category.objects.create(name="E-mail")
    alex.post(
        reverse("agent:ticket_update", args=[ticket.pk]),
        {
            "subject": ticket.subject,
            "priority": "urgent",
            "category": email.pk,
            "version": ticket.version,
        },
    )
    assert set(FieldChange.objects.values_list("field", flat=True)) == {"priority", "category"}
    page = alex.get(detail(ticket)).content.decode()
    assert "Priority changed from Normal to Urgent" in page
    assert "Service changed from VPN to E-mail" in page


def test_a_manager_reassigns_from_the_page(mia, make_ticket, other_agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    act(mia, ticket, "assign", assignee=other_agent.pk)
    ticket.refresh_from_db()
    assert ticket.assignee == other_agent
    assert "Reassigned from Alex Agent to Bo Agent" in mia.get(detail(ticket)).content.decode()


def test_an_agent_cannot_assign_by_posting_it(alex, make_ticket, other_agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    response = act(alex, ticket, "assign", assignee=other_agent.pk)
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).assignee != other_agent


# --- Bulk actions -------------------------------------------------------------------------


def test_bulk_take_reports_ticket_by_ticket(alex, make_ticket, other_agent, agent):
    free = make_ticket(Status.OPEN)
    taken = make_ticket(Status.OPEN)
    services.ticket_take(ticket_id=taken.pk, agent=other_agent)
    response = alex.post(
        reverse("agent:bulk"),
        {"tickets": [free.pk, taken.pk, 999999], "action": "take", "next": "/agent/?view=mine"},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert Ticket.objects.get(pk=free.pk).assignee == agent
    assert Ticket.objects.get(pk=taken.pk).assignee == other_agent
    assert any(free.reference in t and "1 ticket(s) updated" in t for t in texts)
    assert any(taken.reference in t and "already taken" in t for t in texts)
    assert any("HD-999999" in t and "No such ticket" in t for t in texts)
    assert response.request["QUERY_STRING"] == "view=mine"


def test_bulk_resolve_needs_the_note_for_each(alex, make_ticket):
    a, b = make_ticket(Status.IN_PROGRESS), make_ticket(Status.IN_PROGRESS)
    alex.post(reverse("agent:bulk"), {"tickets": [a.pk, b.pk], "action": "resolve"})
    assert set(Ticket.objects.values_list("status", flat=True)) == {"in_progress"}
    alex.post(
        reverse("agent:bulk"), {"tickets": [a.pk, b.pk], "action": "resolve", "note": "Fixed"}
    )
    assert set(Ticket.objects.values_list("status", flat=True)) == {"resolved"}


def test_bulk_hold_says_what_the_tickets_wait_for(alex, make_ticket):
    a, b = make_ticket(Status.IN_PROGRESS), make_ticket(Status.IN_PROGRESS)
    form = {"tickets": [a.pk, b.pk], "note": "Waiting for the supplier's part"}
    alex.post(reverse("agent:bulk"), {**form, "action": "hold", "hold_kind": "third_party"})
    assert set(Ticket.objects.values_list("status", "hold_kind")) == {("on_hold", "third_party")}
    # With another action the choice is left unsaid, not refused.
    response = alex.post(
        reverse("agent:bulk"), {**form, "action": "start", "hold_kind": "third_party"}
    )
    assert response.status_code == 302
    assert set(Ticket.objects.values_list("status", flat=True)) == {"in_progress"}


def test_bulk_without_a_needed_reason_says_so_once_and_keeps_what_was_typed(alex, make_ticket):
    """The reason is checked before any ticket is tried: one message naming the tickets that
    need it, nothing changed, and the form comes back as it was sent."""
    held, working = make_ticket(Status.ON_HOLD), make_ticket(Status.IN_PROGRESS)
    response = alex.post(
        reverse("agent:bulk"),
        {"tickets": [held.pk, working.pk], "action": "resolve", "note": "  "},
        follow=True,
    )

    texts = [str(m) for m in response.context["messages"]]
    assert len(texts) == 1
    assert held.reference in texts[0] and working.reference in texts[0]
    assert "Nothing was changed" in texts[0]
    assert set(Ticket.objects.values_list("status", flat=True)) == {"on_hold", "in_progress"}
    page = response.content.decode()
    assert '<option value="resolve" selected>' in page
    assert f'value="{held.pk}" id="select-{held.pk}" checked' in page


def test_bulk_keeps_the_note_and_the_refused_tickets_after_a_refusal(
    alex, make_ticket, other_agent, manager
):
    mine = make_ticket(Status.IN_PROGRESS)
    theirs = make_ticket(Status.IN_PROGRESS)
    services.ticket_assign(ticket_id=theirs.pk, assignee=other_agent, actor=manager)
    response = alex.post(
        reverse("agent:bulk"),
        {"tickets": [mine.pk, theirs.pk], "action": "resolve", "note": "Replaced the toner"},
        follow=True,
    )

    assert Ticket.objects.get(pk=mine.pk).status == Status.RESOLVED
    page = response.content.decode()
    assert 'value="Replaced the toner"' in page
    assert f'value="{theirs.pk}" id="select-{theirs.pk}" checked' in page
    # Read once: the next visit shows an empty form.
    assert "Replaced the toner" not in alex.get(reverse("agent:queue")).content.decode()


def test_bulk_start_work_resumes_a_ticket_on_hold(alex, make_ticket):
    """For the person choosing it, "Start work" on their ticket on hold is "Resume", not a
    refusal; and "Resume" on an assigned ticket starts it."""
    held, assigned = make_ticket(Status.ON_HOLD), make_ticket(Status.ASSIGNED)
    response = alex.post(
        reverse("agent:bulk"), {"tickets": [held.pk, assigned.pk], "action": "start"}, follow=True
    )
    assert set(Ticket.objects.values_list("status", flat=True)) == {"in_progress"}
    assert not any("not allowed" in str(m) for m in response.context["messages"])
    assert Ticket.objects.get(pk=held.pk).history.latest("id").from_status == Status.ON_HOLD


def test_bulk_with_nothing_selected_asks_for_a_selection(alex):
    response = alex.post(reverse("agent:bulk"), {"action": "take"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Select at least one ticket."]


def test_bulk_assign_is_for_managers(alex, mia, make_ticket, other_agent):
    ticket = make_ticket(Status.OPEN)
    data = {"tickets": [ticket.pk], "action": "assign", "assignee": other_agent.pk}
    alex.post(reverse("agent:bulk"), data)
    assert Ticket.objects.get(pk=ticket.pk).assignee is None
    mia.post(reverse("agent:bulk"), data)
    assert Ticket.objects.get(pk=ticket.pk).assignee == other_agent


def test_bulk_redirects_only_to_this_site(alex, make_ticket):
    ticket = make_ticket()
    response = alex.post(
        reverse("agent:bulk"),
        {"tickets": [ticket.pk], "action": "take", "next": "https://evil.example/"},
    )
    assert response.url == reverse("agent:queue")


def test_queue_paging_helpers_are_stable_on_ties(make_ticket, agent):
    for _ in range(5):
        make_ticket()
    filters = queries.QueueFilters(sort="priority")
    first = queries.queue_page(agent, filters, size=2)
    second = queries.queue_page(agent, filters, cursor=first.next_cursor, size=2)
    third = queries.queue_page(agent, filters, cursor=second.next_cursor, size=2)
    ids = [t.pk for page in (first, second, third) for t in page.tickets]
    assert len(ids) == len(set(ids)) == 5 and third.next_cursor is None
