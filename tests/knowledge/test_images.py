"""Images in articles: attached on the edit page with the checks of ticket attachments, put in
the text as Markdown, and served only to those who may read the article."""

from pathlib import Path, PurePosixPath

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge import services
from knowledge.models import ArticleImage, Visibility

from .conftest import signed_in

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def image(name: str = "screen.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def attach(article, agent, *files):
    return services.article_images_add(article_id=article.pk, by=agent, files=list(files))


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("screen.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("a.gif", GIF, "image/gif"),
    ],
)
def test_images_are_accepted_and_stored_under_random_names(
    name, content, kind, write, agent, media
):
    article = write("Printer jams")
    [stored] = attach(article, agent, image(name, content))
    assert (stored.original_name, stored.content_type, stored.size) == (name, kind, len(content))
    # The stored file is named by chance, not by the author (whose "a.gif" a random name may
    # happen to end in): its own name shares no more than the extension with theirs.
    stored_name = PurePosixPath(stored.file.name)
    assert stored_name.parts[0] == "kb-images"
    assert stored_name.stem != PurePosixPath(name).stem and len(stored_name.stem) >= 16


# The bad-file corpus: what a careless or hostile author might upload as an "image".
BAD_FILES = [
    ("program.exe", EXE),  # not an image type at all
    ("invoice.pdf", PDF),  # a type tickets accept, but no image
    ("logo.svg", SVG),  # an image that can carry script
    ("page.html", HTML),
    ("program.png", EXE),  # renamed program
    ("page.png", HTML),  # renamed web page
    ("photo.jpg", PNG),  # one image type dressed as another
    ("empty.png", b""),
    ("notes.png", b"just text, not a picture"),
    ("...png", PNG),  # no usable name
    ("photo.png\u202egnp.exe", EXE),  # right-to-left override hiding .exe
]


@pytest.mark.parametrize(("name", "content"), BAD_FILES)
def test_the_bad_file_corpus_is_refused_and_nothing_is_kept(name, content, write, agent, media):
    article = write("Printer jams")
    with pytest.raises(ValidationError) as refused:
        attach(article, agent, image("fine.png"), image(name, content))
    assert "attachments" in refused.value.message_dict
    assert not ArticleImage.objects.exists()
    assert stored_files(media) == []


def test_too_many_and_too_large_images_are_refused(write, agent, settings):
    article = write("Printer jams")
    settings.ATTACHMENT_MAX_FILES = 2
    with pytest.raises(ValidationError, match="at most 2"):
        attach(article, agent, *(image(f"{n}.png") for n in range(3)))
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="larger than"):
        attach(article, agent, image())
    assert not ArticleImage.objects.exists()


def test_customers_cannot_attach_images(write, customer):
    article = write("Printer jams")
    with pytest.raises(PermissionError):
        attach(article, customer, image())


def test_an_agent_attaches_on_the_edit_page_and_inserts_the_markdown(write, agent):
    article = write("Printer jams")
    client = signed_in(agent)
    response = client.post(
        f"/help/staff/{article.pk}/images/", {"attachments": [image("tray.png")]}
    )
    assert response.status_code == 302
    stored = ArticleImage.objects.get()
    page = client.get(f"/help/staff/{article.pk}/edit/").text
    markdown = f"![tray](/help/images/{stored.pk}/)"
    assert markdown in page
    edited = services.article_edit(
        article_id=article.pk,
        by=agent,
        title=article.title,
        body_markdown=f"Open the tray.\n\n{markdown}",
        category=article.category,
        tags="",
        visibility=article.visibility,
    )
    services.article_publish(article_id=edited.pk, by=agent)
    shown = signed_in(None).get(f"/help/{article.slug}/").text
    assert f'<img src="/help/images/{stored.pk}/" alt="tray">' in shown


def test_a_refused_image_is_a_form_error_on_the_edit_page(write, agent):
    article = write("Printer jams")
    response = signed_in(agent).post(
        f"/help/staff/{article.pk}/images/", {"attachments": [image("program.png", EXE)]}
    )
    assert response.status_code == 400
    assert "is not really a PNG file" in response.text
    assert 'value="Printer jams"' in response.text  # the article's form is still there
    empty = signed_in(agent).post(f"/help/staff/{article.pk}/images/", {})
    assert empty.status_code == 400
    assert "Choose an image" in empty.text


def test_the_edit_page_with_images_takes_constant_queries(
    write, agent, django_assert_max_num_queries
):
    article = write("Printer jams")
    attach(article, agent, *(image(f"{n}.png") for n in range(3)))
    client = signed_in(agent)
    client.get(f"/help/staff/{article.pk}/edit/")
    # session, user, (2FA), the article with its draft, services (form choices), images
    with django_assert_max_num_queries(7):
        assert client.get(f"/help/staff/{article.pk}/edit/").status_code == 200


# Who may see an article's image: exactly who may read the article (staff: all, drafts too).
SEES = {
    "anonymous": {"public"},
    "customer": {"public", "customers"},
    "agent": {"public", "customers", "staff", "draft", "archived"},
    "manager": {"public", "customers", "staff", "draft", "archived"},
}


@pytest.mark.parametrize("who", list(SEES))
def test_an_image_is_served_only_to_who_may_read_its_article(who, library, agent, clients):
    images = {kind: attach(article, agent, image())[0] for kind, article in library.items()}
    for kind, stored in images.items():
        response = clients[who].get(f"/help/images/{stored.pk}/")
        expected = 200 if kind in SEES[who] else 404
        assert response.status_code == expected, (who, kind)
        if expected == 200:
            assert response["Content-Type"] == "image/png"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert "private" in response["Cache-Control"]
            assert b"".join(response.streaming_content) == PNG


def test_an_image_stops_being_served_when_its_article_turns_internal(library, agent, client):
    article = library["public"]
    [stored] = attach(article, agent, image())
    assert client.get(f"/help/images/{stored.pk}/").status_code == 200
    services.article_edit(
        article_id=article.pk,
        by=agent,
        title=article.title,
        body_markdown=article.body_markdown,
        category=article.category,
        tags=article.tags,
        visibility=Visibility.STAFF,
    )
    services.article_publish(article_id=article.pk, by=agent)
    assert client.get(f"/help/images/{stored.pk}/").status_code == 404


def test_an_image_that_does_not_exist_is_404(client, db):
    assert client.get("/help/images/999999/").status_code == 404
