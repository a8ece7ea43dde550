"""The XSS corpus through the knowledge base: an article's title, text and tags, and what a
reader searches for, come out inert on every page that shows them, and as JSON data in the API.
"""

from __future__ import annotations

import pytest
from django.test import Client

from knowledge import services
from knowledge.models import Visibility
from tickets.text import one_line

from .test_xss import PAYLOADS, assert_inert, signed_in


@pytest.fixture(params=PAYLOADS, ids=[f"p{i}" for i in range(len(PAYLOADS))])
def hostile_article(request, agent, category):
    payload = request.param
    article = services.article_create(
        by=agent,
        title=payload,
        body_markdown=f"{payload}\n\n# {payload}\n\n- {payload}\n\n`{payload}`\n\n[{payload}](x)",
        category=category,
        tags=payload,
        visibility=Visibility.PUBLIC,
        publish=True,
    )
    return payload, article


def test_article_pages_show_the_payload_as_text_only(
    hostile_article, category, customer, agent, manager
):
    payload, article = hostile_article
    title = one_line(payload)
    reader, staff, boss = Client(), signed_in(agent), signed_in(manager)
    reader.get("/help/search/", {"q": payload})  # a search with no result for the report
    pages = [
        (reader, "/help/", title),
        (reader, f"/help/service/{category.pk}/", title),
        (reader, f"/help/{article.slug}/", title),
        (signed_in(customer), f"/help/{article.slug}/", title),
        (staff, "/help/staff/", title),
        (staff, f"/help/staff/{article.pk}/", title),
        (staff, f"/help/staff/{article.pk}/edit/", None),
        (boss, "/help/staff/report/", None),
    ]
    for client, url, shows in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode(), url, shows=shows)


def test_the_search_page_shows_what_was_searched_as_text_only(hostile_article, agent):
    payload, _article = hostile_article
    for client in (Client(), signed_in(agent)):
        response = client.get("/help/search/", {"q": payload})
        assert response.status_code in (200, 400)
        assert_inert(response.content.decode(), "search")
    response = signed_in(agent).get("/help/staff/find/", {"q": payload})
    assert_inert(response.content.decode(), "composer search")


def test_the_api_returns_the_payload_as_json_data(hostile_article):
    payload, article = hostile_article
    client = Client()
    for url in (
        f"/api/v1/kb/articles/{article.slug}/",
        "/api/v1/kb/articles/",
        f"/api/v1/kb/search/?q={article.slug.split('-')[0] or 'x'}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "application/json"
    body = client.get(f"/api/v1/kb/articles/{article.slug}/").json()
    assert body["body_markdown"].startswith(payload)
    assert_inert(body["body_html"], "the API's body_html")
