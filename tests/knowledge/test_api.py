"""The knowledge base API: read by visibility, written by staff, searched, given feedback."""

import pytest

from knowledge.models import Article, ArticleFeedback, ArticleStatus

from .test_help_centre import SEES

API = "/api/v1/kb"


@pytest.mark.parametrize("who", list(SEES))
def test_the_list_and_each_article_follow_visibility(who, library, clients):
    client = clients[who]
    listed = {row["slug"] for row in client.get(f"{API}/articles/").json()["results"]}
    assert listed == {library[kind].slug for kind in SEES[who]}
    for kind, article in library.items():
        code = client.get(f"{API}/articles/{article.slug}/").status_code
        may = kind in SEES[who] or (who in ("agent", "manager"))  # staff read drafts too
        assert code == (200 if may else 404), (kind, code)


def test_staff_list_drafts_others_cannot(library, clients):
    drafts = clients["agent"].get(f"{API}/articles/", {"status": "draft"}).json()["results"]
    assert [row["slug"] for row in drafts] == [library["draft"].slug]
    as_customer = clients["customer"].get(f"{API}/articles/", {"status": "draft"}).json()
    assert library["draft"].slug not in {row["slug"] for row in as_customer["results"]}


@pytest.mark.parametrize("who", ["agent", "manager"])
def test_staff_reach_archived_articles_by_status(who, library, clients):
    client = clients[who]
    archived = client.get(f"{API}/articles/", {"status": "archived"}).json()["results"]
    assert [row["slug"] for row in archived] == [library["archived"].slug]
    assert archived[0]["status"] == ArticleStatus.ARCHIVED
    one = client.get(f"{API}/articles/{library['archived'].slug}/")
    assert one.status_code == 200
    assert one.json()["status"] == ArticleStatus.ARCHIVED
    searched = client.get(f"{API}/articles/", {"status": "archived", "q": "vpn"}).json()
    assert [row["slug"] for row in searched["results"]] == [library["archived"].slug]


@pytest.mark.parametrize("who", ["anonymous", "customer"])
def test_readers_never_reach_archived_articles(who, library, clients):
    client = clients[who]
    listed = client.get(f"{API}/articles/", {"status": "archived"}).json()["results"]
    assert library["archived"].slug not in {row["slug"] for row in listed}
    assert all(row["status"] == ArticleStatus.PUBLISHED for row in listed)
    assert client.get(f"{API}/articles/{library['archived'].slug}/").status_code == 404


def test_the_list_comes_a_page_at_a_time_by_title(write, clients):
    for n in range(7):
        write(f"Article {n}")
    client = clients["anonymous"]
    seen, url, pages = [], f"{API}/articles/?page_size=3", 0
    while url:
        page = client.get(url).json()
        seen += [row["title"] for row in page["results"]]
        url, pages = page["next"], pages + 1
    assert seen == [f"Article {n}" for n in range(7)]
    assert pages == 3
    back = client.get(page["previous"]).json()
    assert [row["title"] for row in back["results"]] == ["Article 3", "Article 4", "Article 5"]


@pytest.mark.parametrize(
    "params", [{"page_size": "0"}, {"page_size": "101"}, {"cursor": "not-a-cursor!"}]
)
def test_bad_paging_parameters_are_400(params, clients):
    assert clients["anonymous"].get(f"{API}/articles/", params).status_code == 400


def test_a_search_through_the_list_is_one_page_of_the_best(library, clients):
    page = clients["anonymous"].get(f"{API}/articles/", {"q": "vpn", "page_size": 1}).json()
    assert page["next"] is None
    assert [row["slug"] for row in page["results"]] == [library["public"].slug]


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
    # the page of articles with their services
    with django_assert_max_num_queries(1):
        assert len(clients["anonymous"].get(f"{API}/articles/").json()["results"]) == 20
