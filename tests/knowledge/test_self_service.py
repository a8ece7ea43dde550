"""Suggestions on the new-ticket form, and whether the customer then wrote: the deflection."""

from datetime import timedelta

import pytest
from django.utils import timezone

from knowledge import reports
from knowledge.models import SelfServiceAttempt
from tickets import services as ticket_services

from .conftest import signed_in

SUGGEST = "/api/v1/kb/suggestions/"


def test_the_new_ticket_form_offers_a_look_first_search_without_javascript(customer):
    page = signed_in(customer).get("/tickets/new/").text
    assert 'action="/help/search/"' in page
    assert 'name="from" value="new"' in page
    assert "js/knowledge_suggest.js" in page


def test_typing_vpn_drops_suggests_the_vpn_article(library, customer):
    client = signed_in(customer)
    answer = client.get(SUGGEST, {"q": "vpn drops"}).json()
    titles = [hit["article"]["title"] for hit in answer["results"]]
    assert titles[0] == "VPN drops every few minutes"
    assert "VPN gateway runbook" not in titles
    attempt = SelfServiceAttempt.objects.get()
    assert str(attempt.key) == answer["attempt"]
    assert (attempt.customer, attempt.last_query) == (customer, "vpn drops")


def test_suggestions_typed_on_count_one_attempt(library, customer):
    client = signed_in(customer)
    client.get(SUGGEST, {"q": "vpn"})
    client.get(SUGGEST, {"q": "vpn drops"})
    attempt = SelfServiceAttempt.objects.get()
    assert attempt.suggestions_shown >= 2


def test_anonymous_and_staff_suggestions_make_no_attempt(library, client, agent):
    assert client.get(SUGGEST, {"q": "vpn"}).json()["attempt"] is None
    assert signed_in(agent).get(SUGGEST, {"q": "vpn"}).json()["attempt"] is None
    assert not SelfServiceAttempt.objects.exists()


def test_suggestions_are_throttled(library, customer, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "kb_suggest": "2/minute",
        },
    }
    client = signed_in(customer)
    codes = [client.get(SUGGEST, {"q": f"vpn {n}"}).status_code for n in range(3)]
    assert codes == [200, 200, 429]


def test_reading_a_suggestion_then_leaving_counts_as_deflected(library, customer, neighbour):
    client = signed_in(customer)
    client.get(SUGGEST, {"q": "vpn drops"})
    client.get(f"/help/{library['public'].slug}/?via=suggest")
    assert SelfServiceAttempt.objects.get().articles_viewed == 1

    # Nick was offered the same and wrote anyway.
    other = signed_in(neighbour)
    other.get("/help/search/", {"q": "vpn", "from": "new"})
    ticket_services.ticket_create(
        customer=neighbour, created_by=neighbour, subject="VPN", description="Still drops."
    )
    figures = reports.deflection(
        timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)
    )
    assert figures == {
        "total": 2,
        "deflected": 1,
        "viewed": 1,
        "viewed_and_left": 1,
        "rate": 50.0,
    }


def test_a_ticket_long_after_the_attempt_does_not_undo_the_deflection(library, customer):
    signed_in(customer).get(SUGGEST, {"q": "vpn drops"})
    SelfServiceAttempt.objects.update(started_at=timezone.now() - timedelta(days=2))
    ticket_services.ticket_create(
        customer=customer, created_by=customer, subject="Printer", description="Jammed."
    )
    figures = reports.deflection(
        timezone.now() - timedelta(days=3), timezone.now() + timedelta(days=1)
    )
    assert (figures["total"], figures["deflected"]) == (1, 1)


@pytest.mark.parametrize("q", ["", "x" * 201])
def test_bad_suggestion_queries_are_400(q, client):
    assert client.get(SUGGEST, {"q": q}).status_code == 400


def test_a_forged_attempt_key_is_ignored(library, customer, neighbour):
    signed_in(neighbour).get(SUGGEST, {"q": "vpn"})
    nicks = SelfServiceAttempt.objects.get()
    client = signed_in(customer)
    session = client.session
    session["kb_attempt"] = str(nicks.key)
    session.save()
    client.get(SUGGEST, {"q": "vpn"})
    client.get(f"/help/{library['public'].slug}/?via=suggest")
    nicks.refresh_from_db()
    assert nicks.articles_viewed == 0
    assert SelfServiceAttempt.objects.filter(customer=customer).count() == 1
