"""Every rule about uploaded files and every message about them, and the clean-up of files
whose ticket or reply never committed. Forms and services ask here; the services only store
what check_files() returns.

At most ATTACHMENT_MAX_FILES files are taken at a time, each at most ATTACHMENT_MAX_BYTES. A
file is accepted when its name ends in an accepted extension (ATTACHMENT_EXTENSIONS) *and*
its content is what that extension says: magic bytes for binary formats (the `filetype`
package), valid UTF-8 without NUL bytes for text formats, which have no magic. A renamed
program or web page is refused whatever its name.

Names are cleaned before anything else looks at them: no folders, no control or bidirectional
formatting characters (a right-to-left override, U+202E, makes "photo<U+202E>gnp.exe" look
like "photoexe.png"), no leading dots, a bounded length. The file is stored under a random
name (models.attachment_path) and only ever served by the permission-checked download view
(views/files.py).

A request's whole body is bounded too, before anything reads it: RequestSizeLimitMiddleware
answers 413 to a body larger than request_limit().
"""

from __future__ import annotations

import codecs
import itertools
import logging
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from helpdesk.http import is_api

log = logging.getLogger(__name__)

TOO_MANY_FILES = _("Attach at most %(count)s files at a time.")
FILE_TYPE_REFUSED = _("“%(name)s” is not a file type we accept. Accepted: %(types)s.")
FILE_TOO_LARGE = _("“%(name)s” is larger than the %(limit)s MB limit.")
NAME_UNUSABLE = _("A file has no usable name; rename it and try again.")
CONTENT_MISMATCH = _(
    "“%(name)s” is not really a %(kind)s file: its content does not match its name. "
    "Attach the file as it is, without renaming it."
)
TEXT_NOT_PLAIN = _(
    "“%(name)s” is not plain text (UTF-8 without binary content), so it cannot be attached "
    "as a %(kind)s file."
)
CANNOT_CHECK = _("“%(name)s”: files of this type cannot be checked, so they are not accepted.")
FILES_TOO_LARGE = _("The files together are larger than the %(limit)s allowed at a time.")
REQUEST_TOO_LARGE = _(
    "What you sent is larger than the %(limit)s allowed at a time. Attach fewer or smaller "
    "files and try again."
)

# The longest name kept (the extension included); longer ones are shortened, not refused.
MAX_NAME_LENGTH = 120
# Unicode categories never kept in a name: control, format (bidi overrides, zero-width),
# surrogate, private use, unassigned, line and paragraph separators.
DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}

# What the content of a file with each extension must be, as `filetype` names the kinds.
# Office documents are zip containers that `filetype` does not always recognise as such.
MAGIC_KINDS: dict[str, set[str]] = {
    ".png": {"png", "apng"},
    ".jpg": {"jpg"},
    ".jpeg": {"jpg"},
    ".gif": {"gif"},
    ".webp": {"webp"},
    ".bmp": {"bmp"},
    ".tif": {"tif"},
    ".tiff": {"tif"},
    ".heic": {"heic"},
    ".avif": {"avif"},
    ".pdf": {"pdf"},
    ".zip": {"zip"},
    ".gz": {"gz"},
    ".7z": {"7z"},
    ".docx": {"docx", "zip"},
    ".xlsx": {"xlsx", "zip"},
    ".pptx": {"pptx", "zip"},
    ".odt": {"odt", "zip"},
    ".ods": {"ods", "zip"},
    ".odp": {"odp", "zip"},
    ".doc": {"doc"},
    ".xls": {"xls"},
    ".ppt": {"ppt"},
    ".rtf": {"rtf"},
    ".mp4": {"mp4"},
    ".mov": {"mov"},
}
# Text formats have no magic: they must decode as UTF-8 and hold no NUL byte.
TEXT_EXTENSIONS = {".txt", ".log", ".csv", ".json", ".xml", ".eml", ".md", ".ini", ".conf"}

# The type recorded for a checked file (informational: downloads are always served as
# application/octet-stream, see views/files.py).
CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".txt": "text/plain",
    ".log": "text/plain",
    ".csv": "text/csv",
    ".json": "application/json",
    ".xml": "application/xml",
    ".eml": "message/rfc822",
}
SNIFF_BYTES = 8192  # what `filetype` looks at


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str  # cleaned, what people see
    content_type: str  # from the checked content, not from what the client claimed


def max_files() -> int:
    return settings.ATTACHMENT_MAX_FILES


def max_file_bytes() -> int:
    return settings.ATTACHMENT_MAX_BYTES


def accepted_extensions() -> set[str]:
    return {ext.lower() for ext in settings.ATTACHMENT_EXTENSIONS}


def _limits_help() -> str:
    return str(
        _("Up to %(count)s files, %(size)s MB each: screenshots, logs, documents.")
        % {"count": max_files(), "size": max_file_bytes() >> 20}
    )


# What an upload field says about the limits, read from settings when shown.
LIMITS_HELP = lazy(_limits_help, str)()


def check_files(files: Sequence[UploadedFile]) -> list[CheckedFile]:
    """Refuse (ValidationError on "attachments") files that are too many, too large, of a
    type we do not accept, or whose content is not what their name says. Returns them
    checked, with cleaned names, before anything is written."""
    if len(files) > max_files():
        raise _refuse(TOO_MANY_FILES, count=max_files())
    allowed = accepted_extensions()
    limit = max_file_bytes()
    checked = []
    for upload in files:
        name = clean_name(upload.name)
        if not name:
            raise ValidationError({"attachments": NAME_UNUSABLE})
        if extension(name) not in allowed:
            raise _refuse(FILE_TYPE_REFUSED, name=name, types=", ".join(sorted(allowed)))
        if upload.size > limit:
            raise _refuse(FILE_TOO_LARGE, name=name, limit=limit >> 20)
        checked.append(check_content(upload, name=name))
    check_total_size(files)
    return checked


def clean_name(raw: str | None) -> str:
    """The name people will see: the last path part, without control or formatting
    characters, leading dots or runs of spaces, at most MAX_NAME_LENGTH characters long.
    Returns "" when nothing usable is left."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if ch.isspace() or unicodedata.category(ch) not in DROPPED_CATEGORIES
    )
    name = " ".join(name.split())
    if not name.rpartition(".")[0 if "." in name else 2].strip(". "):
        return ""  # nothing but an extension, dots or spaces
    name = name.strip(". ")
    if len(name) > MAX_NAME_LENGTH:
        suffix = PurePath(name).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        name = name[: MAX_NAME_LENGTH - len(suffix)].rstrip(". ") + suffix
    return name


def extension(name: str) -> str:
    return PurePath(name).suffix.lower()


def _refuse(message, **params) -> ValidationError:
    return ValidationError({"attachments": message % params})


def _is_plain_text(upload: UploadedFile) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    upload.seek(0)
    try:
        for chunk in upload.chunks():
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        upload.seek(0)
    return True


def _magic_kind(upload: UploadedFile) -> str | None:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = filetype.guess(head)
    return kind.extension if kind else None


def check_content(upload: UploadedFile, *, name: str) -> CheckedFile:
    """Refuse (ValidationError on "attachments") a file whose content is not what its
    extension says. `name` is the cleaned name, whose extension is already accepted."""
    ext = extension(name)
    kind = ext.lstrip(".").upper()
    if ext in TEXT_EXTENSIONS:
        if not _is_plain_text(upload):
            raise _refuse(TEXT_NOT_PLAIN, name=name, kind=kind)
    elif ext in MAGIC_KINDS:
        if _magic_kind(upload) not in MAGIC_KINDS[ext]:
            raise _refuse(CONTENT_MISMATCH, name=name, kind=kind)
    else:
        raise _refuse(CANNOT_CHECK, name=name)
    return CheckedFile(
        upload=upload, name=name, content_type=CONTENT_TYPES.get(ext, "application/octet-stream")
    )


def request_limit() -> int:
    """The largest request body accepted, in bytes: ATTACHMENT_MAX_REQUEST_BYTES when set, else
    room for the most files of the largest size plus a megabyte for the text fields and the
    multipart framing."""
    configured = getattr(settings, "ATTACHMENT_MAX_REQUEST_BYTES", None)
    return configured or max_files() * max_file_bytes() + (1 << 20)


def check_total_size(files: Sequence[UploadedFile]) -> None:
    limit = request_limit()
    if sum(upload.size or 0 for upload in files) > limit:
        raise _refuse(FILES_TOO_LARGE, limit=filesizeformat(limit))


# --- Request size ---------------------------------------------------------------------------


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose declared body is larger than request_limit(), before
    anything (CSRF middleware, a form, a parser) reads it or spools its files to disk.

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves files out, and ATTACHMENT_MAX_BYTES is per
    file and checked only after the whole body has been received. Under WSGI a body without a
    Content-Length is not read at all, so the declared length is the one to check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = request_limit()
        if length > limit:
            return too_large_response(request, limit)
        return self.get_response(request)


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    message = str(REQUEST_TOO_LARGE % {"limit": filesizeformat(limit)})
    if is_api(request):
        return JsonResponse({"code": "payload_too_large", "detail": message}, status=413)
    body = render_to_string("portal/request_too_large.html", {"message": message}, request)
    # The body is left unread; the server closes the connection (a WSGI application may not
    # set hop-by-hop headers such as Connection itself).
    return HttpResponse(body, status=413)


# --- Files of a transaction that did not commit --------------------------------------------

_stored: ContextVar[list[tuple[Storage, str]] | None] = ContextVar("stored_uploads", default=None)


def remember_stored(storage: Storage, name: str) -> None:
    """Note a file just written, so that it is deleted if the enclosing write fails."""
    pending = _stored.get()
    if pending is not None:
        pending.append((storage, name))


@contextmanager
def removed_on_failure() -> Iterator[None]:
    """Delete the files stored inside the block if the block raises (its transaction rolls
    back). Use it around @transaction.atomic, as a decorator or a `with`. Nested blocks hand
    their files to the enclosing one, so a caller that wraps a service in a larger
    transaction can wrap that in removed_on_failure() too and have its failure covered."""
    pending: list[tuple[Storage, str]] = []
    outer = _stored.get()
    token = _stored.set(pending)
    try:
        yield
    except BaseException:
        _stored.reset(token)
        for storage, name in pending:
            try:
                storage.delete(name)
            except OSError:  # never hide the failure that got us here
                log.exception("could not delete %s after a failed write", name)
        raise
    _stored.reset(token)
    if outer is not None:
        outer.extend(pending)


# --- Files no attachment points at ------------------------------------------------------------

ATTACHMENTS_FOLDER = "attachments"
SWEEP_BATCH = 1000


def _stored_names(storage: Storage, folder: str) -> Iterator[str]:
    folders, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _stored_names(storage, f"{folder}/{sub}")


def sweep_orphans(*, older_than: timedelta, now: datetime | None = None) -> list[str]:
    """Delete stored files that no Attachment row names and that are older than `older_than`.

    removed_on_failure() deletes the files of a write that fails; a process killed between
    storing a file and committing its row leaves the file behind, and this finds it. Young
    files are left alone: their row may be about to commit.
    """
    from .models import Attachment

    storage = Attachment._meta.get_field("file").storage
    if not storage.exists(ATTACHMENTS_FOLDER):
        return []
    cutoff = (now or timezone.now()) - older_than
    removed: list[str] = []
    names = _stored_names(storage, ATTACHMENTS_FOLDER)
    while batch := list(itertools.islice(names, SWEEP_BATCH)):
        known = set(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))
        for name in batch:
            if name not in known and storage.get_modified_time(name) < cutoff:
                storage.delete(name)
                removed.append(name)
    if removed:
        log.warning("deleted %d stored files that no attachment names", len(removed))
    return removed
