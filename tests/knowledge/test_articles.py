"""Writing articles: sanitised on save, revisions kept, published over, stable addresses."""

import pytest
from django.core.exceptions import ValidationError

from knowledge import services
from knowledge.models import ArticleRevision, ArticleStatus, Visibility


def test_body_is_rendered_and_sanitised_when_saved(write):
    article = write(
        "Markdown",
        body_markdown="# Head\n\n<script>alert(1)</script> **bold** [x](javascript:alert(1))\n\n"
        "![pic](https://evil.example/track.png) ![ok](/help/images/7/) ![no](/static/img/x.png) "
        "![no](//evil.example/help/images/7/) ![no](/help/images/7/../../staff/)",
    )
    assert "<h2>Head</h2>" in article.body_html
    assert "<strong>bold</strong>" in article.body_html
    assert "<script>" not in article.body_html
    assert "&lt;script&gt;" in article.body_html
    assert "javascript:" not in article.body_html.replace("[x](javascript:alert(1))", "")
    assert "evil.example" not in article.body_html
    assert 'src="/help/images/7/"' in article.body_html
    assert article.body_html.count("src=") == 1
    assert "<script>alert(1)</script>" in article.body_text


def test_a_new_article_keeps_its_first_revision(write, agent):
    article = write("First", publish=False)
    revision = article.revisions.get()
    assert (revision.author, revision.title) == (agent, "First")
    assert article.status == ArticleStatus.DRAFT


def test_editing_a_published_article_keeps_the_live_text_until_published(write, other_agent):
    article = write("Live title", body_markdown="Live text")
    services.article_edit(
        article_id=article.pk,
        by=other_agent,
        title="New title",
        body_markdown="New text",
        category=article.category,
        tags="",
        visibility=Visibility.PUBLIC,
    )
    article.refresh_from_db()
    assert (article.title, article.body_markdown) == ("Live title", "Live text")
    assert article.draft.author == other_agent

    services.article_publish(article_id=article.pk, by=other_agent)
    article.refresh_from_db()
    assert (article.title, article.body_markdown, article.draft) == ("New title", "New text", None)
    assert "New text" in article.body_html
    assert ArticleRevision.objects.filter(article=article).count() == 2
    assert ArticleRevision.objects.filter(article=article, published_at__isnull=False).count() == 2


def test_editing_a_draft_changes_it_at_once(write, agent):
    article = write("Draft", publish=False)
    services.article_edit(
        article_id=article.pk,
        by=agent,
        title="Draft 2",
        body_markdown="text",
        category=None,
        tags="A, a,  b ",
        visibility=Visibility.STAFF,
    )
    article.refresh_from_db()
    assert (article.title, article.tags, article.visibility) == ("Draft 2", "a, b", "staff")


def test_a_renamed_address_keeps_redirecting(write, agent, client):
    article = write("Old name")
    services.article_edit(
        article_id=article.pk,
        by=agent,
        title="Old name",
        body_markdown=article.body_markdown,
        category=article.category,
        tags="",
        visibility=Visibility.PUBLIC,
        slug="new-name",
    )
    response = client.get("/help/old-name/?via=x")
    assert response.status_code == 301
    assert response["Location"] == "/help/new-name/?via=x"
    assert client.get("/help/new-name/").status_code == 200


def test_an_address_in_use_or_reserved_is_refused(write, agent):
    write("Taken")
    article = write("Mine")
    for slug in ("taken", "search"):
        with pytest.raises(ValidationError):
            services.article_edit(
                article_id=article.pk,
                by=agent,
                title="Mine",
                body_markdown="x",
                category=None,
                tags="",
                visibility=Visibility.PUBLIC,
                slug=slug,
            )


def test_titles_that_collide_get_their_own_addresses(write):
    assert [write("Same").slug, write("Same").slug, write("Search").slug] == [
        "same",
        "same-2",
        "search-article",
    ]


def test_customers_cannot_write_articles(customer):
    with pytest.raises(PermissionError):
        services.article_create(by=customer, title="x", body_markdown="y")


def test_publishing_twice_is_refused(write, agent):
    article = write("Once")
    with pytest.raises(ValidationError):
        services.article_publish(article_id=article.pk, by=agent)


def test_draft_from_ticket_takes_the_resolution_note(make_ticket):
    from tickets.status import Status

    ticket = make_ticket(Status.RESOLVED)
    draft = services.draft_from_ticket(ticket=ticket)
    assert draft["title"] == ticket.subject
    assert "Re-issued your VPN certificate." in draft["body_markdown"]
    assert ticket.description in draft["body_markdown"]


def test_html_written_around_the_services_is_cleaned_on_the_way_out(write, client):
    from knowledge.models import Article

    article = write("Tampered")
    Article.objects.filter(pk=article.pk).update(
        body_html='<p onclick="x()">Hi</p><script>1</script>'
    )
    page = client.get(f"/help/{article.slug}/").content.decode()
    assert "<p>Hi</p>" in page
    assert "onclick" not in page and "<script>1" not in page


def test_snippets_escape_everything_but_their_own_marks():
    from knowledge.search import START, STOP, highlight

    assert (
        highlight(f"<b>{START}vpn{STOP}</b> & co") == "&lt;b&gt;<mark>vpn</mark>&lt;/b&gt; &amp; co"
    )
