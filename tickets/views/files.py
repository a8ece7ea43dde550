from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from tickets import queries
from tickets.models import Attachment


def download_response(attachment: Attachment) -> FileResponse:
    """A file as a download, never rendered in the browser: for the pages and the API."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("This file is no longer in storage.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Serve a file only to someone who may see it."""
    return download_response(get_object_or_404(queries.attachments_visible_to(request.user), pk=pk))
