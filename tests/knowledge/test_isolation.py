"""Staff-only articles never reach customers or anonymous visitors: not in a page, a search,
a suggestion, a service count or the API, by title, text or address."""

import pytest

from .conftest import signed_in

SECRET = "vpn-gw-2"  # searched for: only the internal runbook holds it (and "secret console")


@pytest.fixture
def readers(customer, neighbour):
    from django.test import Client

    return {"anonymous": Client(), "customer": signed_in(customer), "other": signed_in(neighbour)}


def _everything(client, library, category) -> str:
    staff = library["staff"]
    urls = [
        "/help/",
        f"/help/service/{category.pk}/",
        "/help/search/?q=vpn",
        "/help/search/?q=gateway+runbook",
        f"/help/search/?q={SECRET}",
        f"/help/{library['public'].slug}/",
        "/api/v1/kb/articles/",
        "/api/v1/kb/articles/?q=runbook",
        "/api/v1/kb/search/?q=gateway+runbook",
        "/api/v1/kb/suggestions/?q=gateway+runbook",
        "/api/v1/kb/suggestions/?q=vpn",
        f"/api/v1/kb/articles/{staff.slug}/",
        f"/help/{staff.slug}/",
        "/tickets/new/",
    ]
    return "\n".join(client.get(url).content.decode() for url in urls)


@pytest.mark.parametrize("who", ["anonymous", "customer", "other"])
def test_staff_only_articles_are_nowhere_for_readers(who, readers, library, category):
    seen = _everything(readers[who], library, category)
    staff = library["staff"]
    for secret in (staff.title, "secret console", staff.slug, "Runbook"):
        assert secret not in seen, secret
    for hidden in ("draft", "archived"):
        assert library[hidden].title not in seen


def test_staff_do_see_them(agent, library, category):
    seen = _everything(signed_in(agent), library, category)
    assert library["staff"].title in seen


@pytest.mark.parametrize("who", ["anonymous", "customer", "other"])
def test_a_staff_only_articles_image_is_404_for_readers(
    who, readers, library, agent, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from knowledge import services

    settings.MEDIA_ROOT = tmp_path
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
    [internal] = services.article_images_add(
        article_id=library["staff"].pk,
        by=agent,
        files=[SimpleUploadedFile("gateway.png", png, "image/png")],
    )
    assert readers[who].get(f"/help/images/{internal.pk}/").status_code == 404
    assert signed_in(agent).get(f"/help/images/{internal.pk}/").status_code == 200
