"""Request body parsers with a size limit: a huge body is refused, never read whole."""

import json
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json as drf_json


class PayloadTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def body_limit() -> int:
    """The largest JSON body accepted: Django's limit for non-file request data."""
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser that reads at most the configured number of bytes and turns every
    malformed body (bad UTF-8, NaN, nesting too deep to parse) into a 400."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        parser_context = parser_context or {}
        limit = body_limit()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            return json.loads(raw.decode(encoding), parse_constant=parse_constant)
        except (ValueError, RecursionError, LookupError) as error:
            raise ParseError(f"JSON parse error - {error}") from None
