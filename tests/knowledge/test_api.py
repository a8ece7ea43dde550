"""The knowledge base API: read by visibility, written by staff, searched, given feedback."""

import pytest

from knowledge.models import Article, ArticleFeedback, ArticleStatus

from .test_help_centre import SEES

API = "/api/v1/kb"


@pytest.mark.parametrize("who", list(SEES))
def test_the_list_and_each_article_follow_visibility(who, library, clients):
    client = clients[who]
    listed = {row["slug"] for row in client.get(f"{API}/articles/").json()}
    assert listed == {library[kind].slug for kind in SEES[who]}
    for kind, article in library.items():
        code = client.get(f"{API}/articles/{article.slug}/").status_code
        may = kind in SEES[who] or (who in ("agent", "manager"))  # staff read drafts too
        assert code == (200 if may else 404), (kind, code)


def test_staff_list_drafts_others_cannot(library, clients):
    drafts = clients["agent"].get(f"{API}/articles/", {"status": "draft"}).json()
    assert [row["slug"] for row in drafts] == [library["draft"].slug]
    as_customer = clients["customer"].get(f"{API}/articles/", {"status": "draft"}).json()
    assert library["draft"].slug not in {row["slug"] for row in as_customer}


@pytest.mark.parametrize("who", list(SEES))
def test_search_follows_visibility(who, library, clients):
    hits = clients[who].get(f"{API}/search/", {"q": "vpn"}).json()
    assert {hit["article"]["slug"] for hit in hits} == {library[k].slug for k in SEES[who]}


def test_staff_write_and_publish_through_the_api(clients, category):
    client = clients["agent"]
    body = {"title": "Reset MFA", "body_markdown": "Ask us.", "service": category.pk}
    created = client.post(f"{API}/articles/", body, content_type="application/json")
    assert created.status_code == 201
    slug = created.json()["slug"]
    assert created.json()["status"] == ArticleStatus.DRAFT
    edited = client.put(
        f"{API}/articles/{slug}/",
        {**body, "body_markdown": "Ask **us**.", "publish": True},
        content_type="application/json",
    )
    assert edited.status_code == 200
    assert "<strong>us</strong>" in edited.json()["body_html"]
    assert Article.objects.get().status == ArticleStatus.PUBLISHED


@pytest.mark.parametrize("who", ["anonymous", "customer"])
def test_readers_cannot_write(who, library, clients):
    client = clients[who]
    body = {"title": "Mine", "body_markdown": "x"}
    assert client.post(f"{API}/articles/", body, content_type="application/json").status_code in (
        401,
        403,
    )
    slug = library["public"].slug
    assert client.put(
        f"{API}/articles/{slug}/", body, content_type="application/json"
    ).status_code in (401, 403)


def test_feedback_through_the_api(library, clients):
    slug = library["public"].slug
    answer = clients["anonymous"].post(
        f"{API}/articles/{slug}/feedback/", {"helpful": True}, content_type="application/json"
    )
    assert answer.status_code == 204
    assert ArticleFeedback.objects.get().helpful is True
    hidden = clients["customer"].post(
        f"{API}/articles/{library['staff'].slug}/feedback/",
        {"helpful": True},
        content_type="application/json",
    )
    assert hidden.status_code == 404


def test_the_api_is_in_the_openapi_schema(client):
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]
    assert {
        "/api/v1/kb/articles/",
        "/api/v1/kb/articles/{slug}/",
        "/api/v1/kb/articles/{slug}/feedback/",
        "/api/v1/kb/search/",
        "/api/v1/kb/suggestions/",
    } <= set(paths)


def test_the_api_list_takes_constant_queries(write, clients, django_assert_max_num_queries):
    for n in range(20):
        write(f"Article {n}")
    # the articles with their services
    with django_assert_max_num_queries(1):
        assert len(clients["anonymous"].get(f"{API}/articles/").json()) == 20
