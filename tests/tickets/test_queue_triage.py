"""The queue for triage: saved views (personal, and shared by managers), sortable column
headers, and long subjects kept to one line."""

import pytest
from django.test import Client
from django.urls import reverse

from tickets import saved_views
from tickets.models import SavedView
from tickets.status import Status

QUEUE = reverse("agent:queue")


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def save(client, name, query, **extra):
    return client.post(
        reverse("agent:saved_view_create"), {"name": name, "query": query, **extra}, follow=True
    )


def test_an_agent_saves_the_queue_as_shown_and_opens_it_again(agent, make_ticket):
    make_ticket(priority="high")
    alex = signed_in(agent)
    query = "view=all&priority=high&q=vpn&cursor=abc&figure=reopened&start=2026-01-01&page=3"
    response = save(alex, "Urgent VPN", query)
    assert "View “Urgent VPN” saved." in response.content.decode()
    view = SavedView.objects.get()
    # What chooses the tickets and their order; no page cursor, no drill-down range.
    assert (view.owner, view.query) == (agent, "view=all&q=vpn&priority=high")
    page = alex.get(QUEUE + "?" + view.query).content.decode()
    assert f'<a href="?{view.query}" aria-current="page">Urgent VPN</a>' in page.replace(
        "&amp;", "&"
    )


def test_a_manager_shares_a_view_and_an_agent_may_not(agent, other_agent, manager):
    refused = save(signed_in(agent), "Everyone's", "view=all", shared="on")
    assert "You are not allowed" in refused.content.decode()
    assert not SavedView.objects.exists()
    save(signed_in(manager), "Breached", "view=open&sla=breached", shared="on")
    shared = SavedView.objects.get()
    assert shared.owner is None
    assert "Breached" in signed_in(other_agent).get(QUEUE).content.decode()
    # Only a manager deletes it.
    url = reverse("agent:saved_view_delete", args=[shared.pk])
    assert signed_in(other_agent).post(url).status_code == 404
    assert signed_in(manager).post(url).status_code == 302
    assert not SavedView.objects.exists()


def test_ones_own_views_are_ones_own(agent, other_agent):
    save(signed_in(agent), "Alex's own list", "view=mine")
    mine = SavedView.objects.get()
    bo = signed_in(other_agent)
    assert "own list" not in bo.get(QUEUE).content.decode()
    assert bo.post(reverse("agent:saved_view_delete", args=[mine.pk])).status_code == 404
    assert SavedView.objects.filter(pk=mine.pk).exists()


@pytest.mark.parametrize(
    ("name", "query", "message"),
    [
        ("Mine", "view=mine", "There is already a view with this name."),
        ("mine", "view=all", "There is already a view with this name."),
        ("Odd", "view=all&priority=bogus", "These filters were not understood"),
        ("", "view=all", "Give the view a name."),
    ],
)
def test_a_view_that_cannot_be_kept_is_refused_with_a_reason(agent, name, query, message):
    alex = signed_in(agent)
    save(alex, "Mine", "view=mine")
    response = save(alex, name, query)
    assert message in response.content.decode()
    assert SavedView.objects.count() == 1


def test_each_agent_keeps_a_bounded_number_of_views(agent):
    alex = signed_in(agent)
    for i in range(saved_views.PER_PERSON):
        SavedView.objects.create(name=f"v{i}", owner=agent, query="view=all")
    response = save(alex, "One more", "view=all")
    assert "delete one first" in response.content.decode()


def test_column_headers_sort_and_say_which_way(agent, make_ticket):
    make_ticket()
    alex = signed_in(agent)
    page = alex.get(QUEUE, {"view": "all"}).content.decode()
    assert 'aria-sort="ascending"><a href="?view=all&amp;sort=priority">Priority' in page
    assert '<a href="?view=all&amp;sort=oldest">Age' in page
    page = alex.get(QUEUE, {"view": "all", "sort": "oldest"}).content.decode()
    assert 'aria-sort="descending"><a href="?view=all&amp;sort=newest">Age' in page


def test_a_long_subject_stays_on_one_line_and_whole_on_hover(agent, make_ticket):
    subject = "x" * 200
    make_ticket(Status.OPEN, subject=subject)
    page = signed_in(agent).get(QUEUE, {"view": "all"}).content.decode()
    assert '<td class="subject" data-label="Subject"><a href=' in page
    assert f'title="{subject}">{subject}</a>' in page
