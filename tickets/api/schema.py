"""How the OpenAPI schema describes what drf-spectacular cannot see for itself: the token
scheme, the error answers every operation may give, and the headers that carry versions and
retry times."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from tickets.errors import refusals

from .serializers import ErrorSerializer


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token from your profile page: `Bearer hdt_…`.",
        }


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


# What each refusal means. Which codes the services' refusals answer with, and so which
# statuses a write may get, comes from tickets.errors, where the statuses are decided.
MEANINGS = {
    400: "Invalid input (`invalid`): `errors` names each field (unknown fields included)",
    401: "Not signed in, or the token is invalid, expired or revoked",
    403: "Signed in, but not allowed to do this (your role, or the workflow for this step)",
    404: "No such thing, or not yours to see",
    409: "The ticket's state refuses it (not possible from its status, or closed) or it "
    "changed since you read it (`ticket_changed`): reload and retry",
}


def _refusal(status: int, codes: list[str] | None = None) -> OpenApiResponse:
    if not codes:
        return _error(f"{MEANINGS[status]}.")
    listed = ", ".join(f"`{code}`" for code in codes)
    return _error(f"{MEANINGS[status]}. Refusals by the workflow or the services: {listed}.")


E400, E401, E403, E404 = (_refusal(status) for status in (400, 401, 403, 404))
E413 = _error("The request body is too large.")
E429 = _error("Too many requests: wait for `Retry-After` seconds.")
PREPARING = _error("A big range not worked out yet: being prepared; retry after `Retry-After`.")
READ_ERRORS = {400: E400, 401: E401, 403: E403, 404: E404, 429: E429}
WRITE_ERRORS = {
    **READ_ERRORS,
    **{status: _refusal(status, codes) for status, codes in refusals().items()},
    413: E413,
}

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    description="Seconds to wait before retrying.",
    response=[429],
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    description='The ticket\'s version, e.g. "3": send it back in If-Match.',
    response=[200, 201],
)
IF_MATCH_HEADER = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='The ticket\'s ETag as you saw it, e.g. "3"; a stale one gives 409.',
    pattern=r'^(W/)?"?\d{1,10}"?$|^\*$',
)
TICKET_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The ticket id.")
ATTACHMENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The file id.")
FOLLOWER_USER_ID = OpenApiParameter(
    "user_id", int, OpenApiParameter.PATH, description="The follower's user id."
)


class AutoSchema(openapi.AutoSchema):
    """Every operation is throttled, so every 429 says when to come back."""

    def get_override_parameters(self) -> list[Any]:
        return [*super().get_override_parameters(), RETRY_AFTER]
