"""Staff write, publish and archive articles on their own pages; agents link articles from
the composer and write one from a ticket; managers read the deflection report."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from knowledge.models import Article, ArticleLink, ArticleStatus, SearchEvent
from tickets import services as ticket_services
from tickets.models import Comment
from tickets.reports import filters
from tickets.status import Status

from .conftest import signed_in

FORM = {
    "title": "Printer jams",
    "body_markdown": "Open tray 2 and pull the paper **straight** out.",
    "tags": "printer, paper",
    "visibility": "public",
}


def test_an_agent_writes_and_publishes_an_article(agent, category):
    client = signed_in(agent)
    response = client.post("/help/staff/new/", {**FORM, "category": category.pk, "publish": "1"})
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/help/staff/{article.pk}/"
    assert article.status == ArticleStatus.PUBLISHED
    assert "<strong>straight</strong>" in client.get(f"/help/{article.slug}/").text


def test_a_refused_article_form_keeps_what_was_typed(agent):
    response = signed_in(agent).post("/help/staff/new/", {**FORM, "title": ""})
    assert response.status_code == 400
    assert "pull the paper" in response.text


def test_editing_a_published_article_on_the_page_leaves_a_pending_draft(agent, write, client):
    article = write("Live")
    staff = signed_in(agent)
    response = staff.post(
        f"/help/staff/{article.pk}/edit/",
        {**FORM, "title": "Live, better", "slug": article.slug},
    )
    assert response.status_code == 302
    assert "Live, better" not in client.get(f"/help/{article.slug}/").text
    assert "Pending edit" in staff.get(f"/help/staff/{article.pk}/").text
    staff.post(f"/help/staff/{article.pk}/publish/")
    assert "Live, better" in client.get(f"/help/{article.slug}/").text


def test_archiving_takes_an_article_away_from_readers(agent, write, client):
    article = write("Old news")
    signed_in(agent).post(f"/help/staff/{article.pk}/archive/")
    assert client.get(f"/help/{article.slug}/").status_code == 404


def test_create_article_from_a_ticket_prefills_the_resolution(agent, make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    client = signed_in(agent)
    page = client.get(f"/agent/tickets/{ticket.pk}/").text
    assert f"/help/staff/new/?ticket={ticket.pk}" in page
    form = client.get(f"/help/staff/new/?ticket={ticket.pk}").text
    assert "Re-issued your VPN certificate." in form
    client.post("/help/staff/new/", {**FORM, "ticket": ticket.pk})
    assert Article.objects.get().source_ticket == ticket


def test_a_ticket_that_does_not_exist_is_404_on_the_new_article_page(agent):
    assert signed_in(agent).get("/help/staff/new/?ticket=999999").status_code == 404
    assert signed_in(agent).get("/help/staff/new/?ticket=abc").status_code == 404


def test_the_composer_finds_articles_customers_may_read_without_javascript(
    agent, library, make_ticket
):
    ticket = make_ticket(Status.IN_PROGRESS)
    page = signed_in(agent).get("/help/staff/find/", {"q": "vpn", "ticket": ticket.pk}).text
    assert f"http://127.0.0.1:8000/help/{library['public'].slug}/" in page
    assert library["staff"].title not in page  # internal: never linked for a customer


def test_the_composer_search_api_leaves_out_internal_articles_when_asked(agent, library):
    client = signed_in(agent)
    every = client.get("/api/v1/kb/search/", {"q": "vpn"}).json()
    linkable = client.get("/api/v1/kb/search/", {"q": "vpn", "audience": "customers"}).json()
    assert library["staff"].slug in {hit["article"]["slug"] for hit in every}
    assert library["staff"].slug not in {hit["article"]["slug"] for hit in linkable}


def test_article_links_in_sent_replies_are_counted(
    agent, customer, library, make_ticket, django_capture_on_commit_callbacks
):
    ticket = make_ticket(Status.IN_PROGRESS)
    public, staff = library["public"], library["staff"]
    body = f"See https://help.example.com/help/{public.slug}/ and /help/{public.slug}/ again."
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_services.comment_add(ticket_id=ticket.pk, author=agent, body=body)
        ticket_services.comment_add(
            ticket_id=ticket.pk, author=agent, body=f"/help/{staff.slug}/", internal=True
        )
        ticket_services.comment_add(
            ticket_id=ticket.pk, author=customer, body=f"/help/{public.slug}/"
        )
    assert list(ArticleLink.objects.values_list("article", "comment")) == [(public.pk, reply.pk)]


@pytest.mark.parametrize("count", [2, 20])
def test_staff_list_and_detail_take_constant_queries(
    count, write, agent, django_assert_max_num_queries
):
    articles = [write(f"Article {n}") for n in range(count)]
    client = signed_in(agent)
    client.get("/help/staff/")
    # session, user, (2FA device check), count, page of articles with their service
    with django_assert_max_num_queries(6):
        assert client.get("/help/staff/").status_code == 200
    # session, user, (2FA), the article with its service, draft and author, revisions
    with django_assert_max_num_queries(6):
        assert client.get(f"/help/staff/{articles[-1].pk}/").status_code == 200


def test_the_report_shows_what_readers_missed(manager, library, client):
    client.get("/help/search/", {"q": "printer on fire"})
    client.post(f"/help/{library['public'].slug}/feedback/", {"helpful": "no"})
    page = signed_in(manager).get("/help/staff/report/")
    assert page.status_code == 200
    assert "printer on fire" in page.text
    assert library["public"].title in page.text


def test_the_report_takes_constant_queries(manager, library, django_assert_max_num_queries):
    client = signed_in(manager)
    client.get("/help/staff/report/")
    # session, user, (2FA), deflection, no results, feedback, linked, stale
    with django_assert_max_num_queries(9):
        client.get("/help/staff/report/")


def test_a_reply_row_written_around_the_services_counts_no_link(
    agent, library, make_ticket, django_capture_on_commit_callbacks
):
    # The count is the reply service's explicit step (knowledge.services.reply_sent), not a
    # listener on every Comment saved.
    ticket = make_ticket(Status.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True):
        Comment.objects.create(ticket=ticket, author=agent, body=f"/help/{library['public'].slug}/")
    assert not ArticleLink.objects.exists()


def test_the_report_covers_the_chosen_days(manager, library, client):
    client.get("/help/search/", {"q": "printer on fire"})
    SearchEvent.objects.update(created_at=timezone.now() - timedelta(days=40))
    client.get("/help/search/", {"q": "scanner smoke"})
    reports = signed_in(manager)
    recent = reports.get("/help/staff/report/").text  # the last 30 days, as the ticket reports
    assert "scanner smoke" in recent and "printer on fire" not in recent
    today = filters.today()
    earlier = reports.get(
        "/help/staff/report/",
        {"start": (today - timedelta(days=60)).isoformat(), "end": (today - timedelta(days=20))},
    ).text
    assert "printer on fire" in earlier and "scanner smoke" not in earlier


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-02-30"}, "Enter a day as YYYY-MM-DD"),
        ({"start": "1999-12-31"}, "Enter a day in the years 2000 to 2100"),
        ({"start": "2030-01-02", "end": "2030-01-01"}, "The range must start before it ends."),
        ({"start": "2000-01-01", "end": "2020-01-01"}, "A report covers at most"),
    ],
)
def test_a_bad_report_range_is_400_with_the_ticket_reports_reason(params, message, manager):
    client = signed_in(manager)
    page = client.get("/help/staff/report/", params)
    assert page.status_code == 400
    assert message in page.text
    download = client.get("/help/staff/report.csv", params)
    assert download.status_code == 400
    assert message in download.content.decode()


def test_the_report_downloads_as_csv(manager, library, client, customer):
    client.get("/help/search/", {"q": "=cmd|' /C calc'!A0"})
    client.post(f"/help/{library['public'].slug}/feedback/", {"helpful": "no"})
    signed_in(customer).get("/api/v1/kb/suggestions/", {"q": "vpn drops"})
    today = filters.today().isoformat()
    response = signed_in(manager).get("/help/staff/report.csv", {"start": today, "end": today})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"kb-deflection-{today}-{today}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["section", "item", "value", "more"]
    assert ["range", "first_day", today, ""] in rows
    assert ["deflection", "offered_articles", "1", ""] in rows
    assert ["deflection", "left_without_ticket", "1", ""] in rows
    assert ["helpful_yes_no", library["public"].title, "0", "1"] in rows
    searched = [row for row in rows if row[0] == "search_without_result"]
    assert searched and searched[0][1].startswith("'=")  # a formula is defused


def test_the_csv_is_for_managers_only(agent, customer, client):
    assert signed_in(agent).get("/help/staff/report.csv").status_code in (403, 404)
    assert signed_in(customer).get("/help/staff/report.csv").status_code in (403, 404)
    assert client.get("/help/staff/report.csv").status_code in (302, 403, 404)
