from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from accounts.roles import agent_required
from tickets import queries, uploads
from tickets.models import Attachment, format_reference

# A file is never a page: even opened by hand it may run nothing, load nothing, frame nothing.
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def download_response(attachment: Attachment) -> FileResponse:
    """A file as a download, never rendered in the browser: for the pages and the API."""
    return file_download(attachment.file, name=attachment.original_name)


def file_download(stored: FieldFile, *, name: str) -> FileResponse:
    """A stored file as a download, never rendered in the browser.

    Always `Content-Disposition: attachment` with the generic binary type (so no type the
    uploader chose, text/html above all, ever reaches the browser), `nosniff`, and a
    Content-Security-Policy that sandboxes the response should a browser display it anyway.
    """
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404(_("This file is no longer in storage.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        # Names stored before names were cleaned may still hold control characters.
        filename=uploads.clean_name(name) or "file",
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Serve a file only to someone who may see it."""
    return download_response(get_object_or_404(queries.attachments_visible_to(request.user), pk=pk))


@agent_required
def original_email(request: HttpRequest, pk: int) -> FileResponse:
    """The e-mail that made a ticket or a reply, as it arrived (.eml): for staff only."""
    record = get_object_or_404(queries.original_emails_visible_to(request.user), pk=pk)
    return file_download(record.raw, name=f"{format_reference(record.ticket_id)}-e-mail-{pk}.eml")
