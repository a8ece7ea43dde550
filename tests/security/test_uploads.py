"""Files people attach: what is accepted, how it is named and stored, how it is served, and
that nothing stays on disk when what it was attached to is not saved."""

import io
import zipfile
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from tickets import services, uploads
from tickets.models import Attachment, Comment, Ticket
from tickets.status import Status

MIDDLEWARE = "tickets.uploads.RequestSizeLimitMiddleware"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zip_of(
    {
        "[Content_Types].xml": b"<Types/>",
        "word/document.xml": b"<w:document/>",
    }
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def report(customer, *files, **fields):
    return services.ticket_create(
        customer=customer,
        created_by=customer,
        subject=fields.get("subject", "Printer"),
        description="It jams.",
        attachments=list(files),
    )


# --- What is accepted -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("screen.png", PNG),
        ("photo.JPG", JPEG),
        ("invoice.pdf", PDF),
        ("logs.zip", zip_of({"a.log": b"line"})),
        ("report.docx", DOCX),
        ("trace.log", "Zeitüberschreitung beim Verbinden\n".encode()),
        ("export.csv", b"\xef\xbb\xbfname;count\nVPN;3\n"),  # UTF-8 with a byte order mark
        ("config.json", b'{"proxy": "10.0.0.1"}'),
        ("mail.eml", b"From: a@example.com\r\nSubject: hi\r\n\r\nbody"),
    ],
)
def test_genuine_files_of_accepted_types_are_stored(customer, name, content, media):
    ticket = report(customer, SimpleUploadedFile(name, content, "application/octet-stream"))
    [attachment] = ticket.attachments.all()
    assert attachment.original_name == name
    assert attachment.file.read() == content


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("holiday.png", EXE, "is not really a PNG file"),
        ("holiday.png", HTML, "is not really a PNG file"),
        ("scan.pdf", PNG, "is not really a PDF file"),
        ("report.docx", EXE, "is not really a DOCX file"),
        ("notes.txt", EXE, "is not plain text"),
        ("notes.log", b"abc\x00def", "is not plain text"),
        ("notes.csv", b"caf\xe9;latin-1", "is not plain text"),
        ("data.json", PNG, "is not plain text"),
    ],
)
def test_a_file_whose_content_does_not_match_its_name_is_refused(
    customer, name, content, reason, media
):
    with pytest.raises(ValidationError) as error:
        report(customer, SimpleUploadedFile(name, content, "image/png"))
    [message] = error.value.message_dict["attachments"]
    assert reason in message and name in message
    assert not Ticket.objects.exists() and not stored_files(media)


def test_the_form_explains_why_a_renamed_program_is_refused(client, customer, media):
    client.force_login(customer)
    response = client.post(
        reverse("portal:ticket_new"),
        {
            "subject": "Broken screen",
            "description": "See the photo.",
            "priority": "normal",
            "attachments": [SimpleUploadedFile("photo.png", EXE, "image/png")],
        },
    )
    assert response.status_code == 400
    assert (
        "“photo.png” is not really a PNG file" in response.context["form"].errors["attachments"][0]
    )
    assert b"is not really a PNG file" in response.content
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    assert not stored_files(media)


def test_the_api_refuses_a_web_page_renamed_png_with_the_reason(customer, make_ticket, media):
    ticket = make_ticket(Status.IN_PROGRESS)
    api = APIClient()
    api.force_login(customer)
    response = api.post(
        reverse("api:ticket-comments", args=[ticket.pk]),
        {"body": "Screenshot", "attachments": [SimpleUploadedFile("shot.png", HTML, "image/png")]},
        format="multipart",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "invalid"
    assert "is not really a PNG file" in response.json()["errors"]["attachments"][0]
    assert not Comment.objects.filter(body="Screenshot").exists() and not stored_files(media)


def test_an_extension_nobody_can_check_is_refused_even_if_configured(settings, customer):
    settings.ATTACHMENT_EXTENSIONS = [*settings.ATTACHMENT_EXTENSIONS, ".html"]
    with pytest.raises(ValidationError) as error:
        report(customer, SimpleUploadedFile("page.html", HTML, "text/html"))
    assert "cannot be checked" in error.value.message_dict["attachments"][0]


def test_the_recorded_type_comes_from_the_content_not_from_the_client(customer):
    ticket = report(customer, SimpleUploadedFile("notes.txt", b"plain words", "text/html"))
    assert ticket.attachments.get().content_type == "text/plain"


# --- Names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.txt", "win.txt"),
        ("in\u202evoice.txt", "invoice.txt"),  # right-to-left override
        ("zero\u200bwidth\ufeff.txt", "zerowidth.txt"),
        ("bell\x07and\x1bescape.txt", "bellandescape.txt"),
        ("tab\tand  spaces .txt", "tab and spaces .txt"),
        ("...hidden.txt", "hidden.txt"),
        ("trailing.txt. . ", "trailing.txt"),
    ],
)
def test_file_names_are_cleaned_before_anyone_sees_them(customer, sent, kept):
    upload = SimpleUploadedFile("x.txt", b"hello", "text/plain")
    upload._name = sent  # what a client can send, bypassing Django's own basename
    ticket = report(customer, upload)
    assert ticket.attachments.get().original_name == kept


def test_a_very_long_name_is_shortened_and_keeps_its_extension(customer):
    upload = SimpleUploadedFile("a" * 250 + ".txt", b"hello", "text/plain")
    name = report(customer, upload).attachments.get().original_name
    assert len(name) <= uploads.MAX_NAME_LENGTH and name.endswith("a.txt")


@pytest.mark.parametrize(
    "sent",
    [
        "photo\u202egnp.exe",  # shows as "photoexe.png" but is an .exe
        "evil.png\x00.exe",
        "evil.png%00.exe",
    ],
)
def test_a_disguised_program_name_is_refused(customer, sent):
    upload = SimpleUploadedFile("x.png", PNG, "image/png")
    upload._name = sent
    with pytest.raises(ValidationError) as error:
        report(customer, upload)
    assert "not a file type we accept" in error.value.message_dict["attachments"][0]


@pytest.mark.parametrize("sent", [".txt", "\u202e.txt", "../.txt", "   "])
def test_a_name_with_nothing_left_is_refused(customer, sent):
    upload = SimpleUploadedFile("x.txt", b"hello", "text/plain")
    upload._name = sent
    with pytest.raises(ValidationError) as error:
        report(customer, upload)
    assert error.value.message_dict["attachments"] == [str(uploads.NAME_UNUSABLE)]


# --- Storage and serving --------------------------------------------------------------------


def test_files_are_stored_under_a_random_name_that_no_url_serves(client, customer, media):
    ticket = report(customer, SimpleUploadedFile("secret-plan.txt", b"plan", "text/plain"))
    attachment = ticket.attachments.get()
    stored = attachment.file.name
    assert stored.startswith("attachments/") and "secret" not in stored
    assert (media / stored).read_bytes() == b"plan"
    static_roots = [Path(p).resolve() for p in django_settings.STATICFILES_DIRS]
    static_roots.append(Path(django_settings.STATIC_ROOT).resolve())
    assert not any(
        Path(django_settings.MEDIA_ROOT).resolve().is_relative_to(r) for r in static_roots
    )
    client.force_login(customer)
    for url in (f"/{stored}", f"/media/{stored}", f"/{django_settings.MEDIA_URL}{stored}"):
        assert client.get(url.replace("//", "/")).status_code == 404


@pytest.mark.parametrize("url_name", ["attachment_download", "api:attachment-download"])
def test_a_file_is_served_as_an_inert_download(client, customer, url_name):
    upload = SimpleUploadedFile("page.txt", HTML, "text/html")
    attachment = report(customer, upload).attachments.get()
    client.force_login(customer)
    response = client.get(reverse(url_name, args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="page.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == HTML


def test_an_old_dirty_name_is_cleaned_when_served(client, customer):
    attachment = report(customer, SimpleUploadedFile("a.txt", b"x", "text/plain")).attachments.get()
    Attachment.objects.filter(pk=attachment.pk).update(original_name="in\u202evoice\r\n.txt")
    client.force_login(customer)
    response = client.get(reverse("attachment_download", args=[attachment.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="invoice .txt"'


# --- Size of the whole request --------------------------------------------------------------


@pytest.fixture
def size_limit(settings):
    """A 4 KB limit on the whole request, with the middleware in place."""
    settings.ATTACHMENT_MAX_REQUEST_BYTES = 4096
    if MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    return 4096


def test_the_request_size_limit_is_installed():
    """Without it a body of any size is read and its files spooled to disk before a form or
    a serializer can refuse them."""
    assert MIDDLEWARE in django_settings.MIDDLEWARE


def test_a_page_refuses_a_request_over_the_limit_with_413_and_saves_nothing(
    size_limit, client, customer, media
):
    client.force_login(customer)
    parts = [SimpleUploadedFile(f"log{i}.txt", b"x" * 1500, "text/plain") for i in range(3)]
    response = client.post(
        reverse("portal:ticket_new"),
        {
            "subject": "Logs",
            "description": "All of them",
            "priority": "normal",
            "attachments": parts,
        },
    )
    assert response.status_code == 413
    assert "larger than the 4.0\xa0KB allowed at a time" in response.content.decode()
    assert not Ticket.objects.exists() and not stored_files(media)


def test_the_api_refuses_a_request_over_the_limit_with_413_json(
    size_limit, customer, make_ticket, media
):
    ticket = make_ticket(Status.IN_PROGRESS)
    api = APIClient()
    api.force_login(customer)
    response = api.post(
        reverse("api:ticket-comments", args=[ticket.pk]),
        {"body": "big", "attachments": [SimpleUploadedFile("a.txt", b"x" * 5000, "text/plain")]},
        format="multipart",
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not Comment.objects.filter(body="big").exists() and not stored_files(media)


def test_a_request_under_the_limit_goes_through(size_limit, client, customer, media):
    client.force_login(customer)
    response = client.post(
        reverse("portal:ticket_new"),
        {
            "subject": "Log",
            "description": "One",
            "priority": "normal",
            "attachments": [SimpleUploadedFile("log.txt", b"x" * 1000, "text/plain")],
        },
    )
    assert response.status_code == 302 and len(stored_files(media)) == 1


def test_files_together_over_the_limit_are_refused_by_the_service_too(settings, customer, media):
    """Even where the middleware is not in front (a script calling the service)."""
    settings.ATTACHMENT_MAX_REQUEST_BYTES = 4096
    parts = [SimpleUploadedFile(f"log{i}.txt", b"x" * 1500, "text/plain") for i in range(3)]
    with pytest.raises(ValidationError) as error:
        report(customer, *parts)
    assert "files together are larger" in error.value.message_dict["attachments"][0]
    assert not stored_files(media)


def test_too_many_files_are_refused_before_any_is_stored(settings, customer, media):
    settings.ATTACHMENT_MAX_FILES = 2
    parts = [SimpleUploadedFile(f"log{i}.txt", b"line", "text/plain") for i in range(3)]
    with pytest.raises(ValidationError) as error:
        report(customer, *parts)
    assert error.value.message_dict["attachments"] == ["Attach at most 2 files at a time."]
    assert not stored_files(media) and not Ticket.objects.exists()


def test_an_oversized_file_is_refused_with_the_limit_in_megabytes(settings, customer):
    settings.ATTACHMENT_MAX_BYTES = 1 << 20
    big = SimpleUploadedFile("trace.log", b"x" * ((1 << 20) + 1), "text/plain")
    with pytest.raises(ValidationError) as error:
        report(customer, big)
    assert error.value.message_dict["attachments"] == ["“trace.log” is larger than the 1 MB limit."]


def test_the_request_cap_follows_the_file_limits_unless_configured(settings):
    settings.ATTACHMENT_MAX_REQUEST_BYTES = None
    settings.ATTACHMENT_MAX_FILES, settings.ATTACHMENT_MAX_BYTES = 2, 3 << 20
    assert uploads.request_limit() == (2 * 3 + 1) << 20
    settings.ATTACHMENT_MAX_REQUEST_BYTES = 4096
    assert uploads.request_limit() == 4096


def test_the_upload_fields_state_the_limits_uploads_applies(settings):
    from tickets.forms import ReplyForm

    settings.ATTACHMENT_MAX_FILES, settings.ATTACHMENT_MAX_BYTES = 3, 4 << 20
    help_text = str(ReplyForm().fields["attachments"].help_text)
    assert help_text == "Up to 3 files, 4 MB each: screenshots, logs, documents."


# --- Nothing left behind --------------------------------------------------------------------


def test_a_ticket_that_fails_after_its_files_were_written_leaves_no_file(customer, media):
    files = [SimpleUploadedFile("a.txt", b"a", "text/plain"), SimpleUploadedFile("b.png", PNG)]
    with (
        mock.patch("tickets.services.notifications.ticket_created", side_effect=RuntimeError),
        pytest.raises(RuntimeError),
    ):
        report(customer, *files)
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    assert not stored_files(media)


def test_a_reply_that_fails_after_its_files_were_written_leaves_no_file(
    customer, make_ticket, media
):
    ticket = make_ticket(Status.IN_PROGRESS)
    with (
        mock.patch("tickets.services.notifications.comment_added", side_effect=RuntimeError),
        pytest.raises(RuntimeError),
    ):
        services.comment_add(
            ticket_id=ticket.pk,
            author=customer,
            body="Here",
            attachments=[SimpleUploadedFile("a.txt", b"a", "text/plain")],
        )
    assert not Attachment.objects.exists() and not stored_files(media)


def test_a_failing_outer_transaction_that_asks_for_it_leaves_no_file(customer, media):
    with pytest.raises(RuntimeError), uploads.removed_on_failure(), transaction.atomic():
        report(customer, SimpleUploadedFile("a.txt", b"a", "text/plain"))
        assert len(stored_files(media)) == 1
        raise RuntimeError("the caller's own step fails")
    assert not Ticket.objects.exists() and not stored_files(media)


def test_a_successful_report_keeps_its_files(customer, media):
    report(customer, SimpleUploadedFile("a.txt", b"a", "text/plain"))
    assert len(stored_files(media)) == 1 and Attachment.objects.count() == 1


def test_the_sweep_deletes_old_files_no_attachment_names_and_nothing_else(customer, media):
    """A process killed between storing a file and committing its row leaves the file: the
    daily sweep finds it. Files of attachments, and files too young to judge, stay."""
    import os
    from datetime import timedelta

    from django.utils import timezone

    report(customer, SimpleUploadedFile("kept.txt", b"kept", "text/plain"))
    [kept] = stored_files(media)
    orphan = kept.parent / "0123456789abcdef0123456789abcdef.txt"
    orphan.write_bytes(b"left behind")
    young = kept.parent / "fedcba9876543210fedcba9876543210.txt"
    young.write_bytes(b"its row may be about to commit")
    # Ages by the app's clock (the file system stamps real time, which a test run under a
    # shifted clock does not share).
    now = timezone.now()
    for path, age in ((kept, timedelta(days=2)), (orphan, timedelta(days=2)), (young, timedelta())):
        stamp = (now - age).timestamp()
        os.utime(path, (stamp, stamp))

    removed = uploads.sweep_orphans(older_than=timedelta(days=1))

    assert [Path(name).name for name in removed] == [orphan.name]
    assert sorted(stored_files(media)) == sorted([kept, young])
    assert uploads.sweep_orphans(older_than=timedelta(days=1)) == []


def test_the_sweep_has_nothing_to_do_before_the_first_file(media):
    from datetime import timedelta

    assert uploads.sweep_orphans(older_than=timedelta(days=1)) == []
