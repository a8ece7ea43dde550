"""The help centre: who reads what, search, feedback, and how many queries each page takes."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from knowledge.models import ArticleFeedback, ArticleView, SearchEvent

from .conftest import signed_in

# Published articles each reader finds; drafts and archived ones nobody does.
SEES = {
    "anonymous": {"public"},
    "customer": {"public", "customers"},
    "agent": {"public", "customers", "staff"},
    "manager": {"public", "customers", "staff"},
}


@pytest.mark.parametrize("who", list(SEES))
def test_each_reader_opens_exactly_the_articles_meant_for_them(who, library, clients):
    client = clients[who]
    for kind, article in library.items():
        status = client.get(f"/help/{article.slug}/").status_code
        assert status == (200 if kind in SEES[who] else 404), (kind, status)


@pytest.mark.parametrize("who", list(SEES))
def test_search_finds_only_what_the_reader_may_read(who, library, clients):
    response = clients[who].get("/help/search/", {"q": "vpn"})
    assert response.status_code == 200
    found = {kind for kind, article in library.items() if article.title in response.text}
    assert found == SEES[who]


@pytest.mark.parametrize("who", list(SEES))
def test_browsing_a_service_lists_only_what_the_reader_may_read(who, library, clients, category):
    home = clients[who].get("/help/")
    page = clients[who].get(f"/help/service/{category.pk}/")
    found = {kind for kind, article in library.items() if article.title in page.text}
    assert found == SEES[who]
    assert f"{len(SEES[who])} article" in home.text


def test_a_service_with_nothing_to_read_is_404(library, category, write):
    from tickets.models import Category

    empty = Category.objects.create(name="Empty")
    assert Client().get(f"/help/service/{empty.pk}/").status_code == 404


def test_search_highlights_the_words_and_records_the_search(library, client):
    response = client.get("/help/search/", {"q": "vpn drops"})
    assert "<mark>" in response.text
    assert SearchEvent.objects.get().results == 1


def test_a_search_with_no_result_is_recorded_for_the_report(library, client):
    response = client.get("/help/search/", {"q": "printer on fire"})
    assert "No article matches" in response.text
    assert SearchEvent.objects.get().results == 0


def test_a_search_that_is_too_long_is_a_form_error(client):
    assert client.get("/help/search/", {"q": "x" * 201}).status_code == 400


def test_reading_counts_a_view(library, client):
    client.get(f"/help/{library['public'].slug}/")
    assert ArticleView.objects.filter(article=library["public"]).count() == 1


def test_anyone_who_reads_may_say_whether_it_helped(library, customer):
    article = library["customers"]
    client = signed_in(customer)
    response = client.post(
        f"/help/{article.slug}/feedback/", {"helpful": "no", "reason": "Which version?"}
    )
    assert response.status_code == 302
    feedback = ArticleFeedback.objects.get()
    assert (feedback.helpful, feedback.reason, feedback.user) == (False, "Which version?", customer)


def test_feedback_on_an_article_you_may_not_read_is_404(library, client):
    response = client.post(f"/help/{library['staff'].slug}/feedback/", {"helpful": "yes"})
    assert response.status_code == 404
    assert not ArticleFeedback.objects.exists()


def test_feedback_without_an_answer_is_a_form_error(library, client):
    response = client.post(f"/help/{library['public'].slug}/feedback/", {"helpful": "maybe"})
    assert response.status_code == 400


@pytest.mark.parametrize("count", [3, 30])
def test_the_home_page_takes_the_same_queries_for_any_number_of_articles(
    count, write, customer, django_assert_max_num_queries
):
    for n in range(count):
        write(f"Article {n}")
    client = signed_in(customer)
    client.get("/help/")
    # session, user, services with their counts, recent articles (with their service)
    with django_assert_max_num_queries(4):
        assert client.get("/help/").status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_service_search_and_article_pages_take_constant_queries(
    count, write, category, django_assert_max_num_queries
):
    articles = [write(f"Printer problem {n}", tags="printer, paper") for n in range(count)]
    client = Client()
    # the service, the page's count, its articles
    with django_assert_max_num_queries(3):
        client.get(f"/help/service/{category.pk}/")
    # the search, its record
    with django_assert_max_num_queries(2):
        client.get("/help/search/", {"q": "printer"})
    # the article (with its service), the view record
    with django_assert_max_num_queries(2):
        client.get(f"/help/{articles[-1].slug}/")


def test_reloading_an_article_counts_one_view_a_day(library, client, customer):
    slug = library["public"].slug
    for _ in range(3):
        client.get(f"/help/{slug}/")
    reader = signed_in(customer)
    for _ in range(2):
        reader.get(f"/help/{slug}/")
    assert ArticleView.objects.filter(article=library["public"]).count() == 2


def test_another_visitor_and_another_day_count_again(library, customer, neighbour):
    slug = library["public"].slug
    signed_in(customer).get(f"/help/{slug}/")
    signed_in(neighbour).get(f"/help/{slug}/")
    passer_by = Client(REMOTE_ADDR="203.0.113.9")
    passer_by.get(f"/help/{slug}/")
    passer_by.get(f"/help/{slug}/")
    Client(REMOTE_ADDR="203.0.113.10").get(f"/help/{slug}/")
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        passer_by.get(f"/help/{slug}/")
    assert ArticleView.objects.filter(article=library["public"]).count() == 5
