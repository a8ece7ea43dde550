"""How the OpenAPI schema describes what drf-spectacular cannot see for itself: the token
scheme, the error answers every operation may give, the headers that carry versions, retry
times and the authentication challenge, and exactly which bodies the server accepts (no field
it does not know, text it does not refuse, files only where files can travel, one of the
transition's forms)."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from accounts.tokens import CHALLENGE
from helpdesk.fields import OneLineSerializerField
from tickets import uploads, workflow
from tickets.errors import refusals
from tickets.status import Status
from tickets.text import BIDI_CONTROLS

from .serializers import MAX_ID, ErrorSerializer, StrictSerializer


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
    401: "Not signed in (`not_authenticated`), or refused (`authentication_failed`): an "
    "`Authorization` header that is not `Bearer` with a live token (another scheme, a "
    "malformed header, an invalid, expired or revoked token) is refused, never answered from "
    "the session. Every 401 carries `WWW-Authenticate: " + CHALLENGE + "`",
    403: "Signed in, but not allowed to do this (your role, or the workflow for this step), or "
    "a staff session without two-factor authentication set up (`two_factor_required`)",
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
E406 = _error("Only `application/json` answers are made: leave out `Accept` or accept it.")
E413 = _error("The request body is too large (`payload_too_large`).")
E415 = _error("The body's `Content-Type` is not one this operation reads.")
E429 = _error("Too many requests: wait for `Retry-After` seconds.")
PREPARING = _error(
    "A big range not worked out yet (`report_preparing`): retry after `Retry-After` seconds."
)
# Every operation: who you are, what you may see, how fast, in which format.
ALWAYS = {401: E401, 403: E403, 406: E406, 429: E429}
LIST_ERRORS = {400: E400, **ALWAYS}
READ_ERRORS = {**LIST_ERRORS, 404: E404}
WRITE_ERRORS = {
    **READ_ERRORS,
    **{status: _refusal(status, codes) for status, codes in refusals().items()},
    413: E413,
    415: E415,
}

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    description="Seconds to wait before retrying.",
    response=[202, 429],
)
WWW_AUTHENTICATE = OpenApiParameter(
    "WWW-Authenticate",
    {"type": "string", "enum": [CHALLENGE]},
    OpenApiParameter.HEADER,
    description="How to authenticate: with a Bearer token.",
    response=[401],
    required=True,
)
ETAG = OpenApiParameter(
    "ETag",
    {"type": "string", "pattern": r'^"[0-9]+"$'},
    OpenApiParameter.HEADER,
    description='The ticket\'s version, e.g. "3": send it back in If-Match.',
    response=[200, 201],
    required=True,
)
# As tickets.api.views.IF_MATCH reads it: the ETag ("3"), weak (W/"3") or bare (3), or "*".
IF_MATCH_PATTERN = r'^(W/)?("[0-9]{1,10}"|[0-9]{1,10})$|^\*$'
IF_MATCH_HEADER = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='The ticket\'s ETag as you saw it, e.g. "3"; a stale one gives 409.',
    pattern=IF_MATCH_PATTERN,
)
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
TICKET_ID = OpenApiParameter("id", ID, OpenApiParameter.PATH, description="The ticket id.")
ATTACHMENT_ID = OpenApiParameter("id", ID, OpenApiParameter.PATH, description="The file id.")

# Text as DRF's CharField takes it: never a NUL character and, unless it may be blank, more
# than the white space it trims (str.strip()'s, spelled out: regex dialects differ on \s).
# Where it may be blank, drf-spectacular adds the empty string as the other of two forms.
NO_NUL = r"[^\u0000]"
WHITE_SPACE = "".join(f"\\u{code:04x}" for code in range(0x10000) if chr(code).isspace())
SOME_TEXT = rf"^{NO_NUL}*[^\u0000{WHITE_SPACE}]{NO_NUL}*$"
NON_EMPTY_TEXT = rf"^{NO_NUL}+$"
# A one-line text (OneLineSerializerField) loses controls, surrogates and bidirectional
# controls before it is checked (tickets.text.one_line): one character must be none of those.
DROPPED_FROM_A_LINE = "".join(
    # Ranges in literal characters: schemathesis misreads ranges spelled with \\u escapes.
    # (Lone surrogates, which one_line drops too, cannot be written into the schema's JSON.)
    [r"\u0000", "\x01-\x1f", "\x7f-\x9f", *sorted(BIDI_CONTROLS)]
)
SOME_LINE = rf"^{NO_NUL}*[^{DROPPED_FROM_A_LINE}{WHITE_SPACE}]{NO_NUL}*$"


def _text_pattern(field: serializers.CharField) -> str:
    if isinstance(field, OneLineSerializerField) and not field.allow_blank:
        return SOME_LINE
    return NON_EMPTY_TEXT if field.allow_blank else SOME_TEXT


def _is_file(schema: dict[str, Any]) -> bool:
    return schema.get("format") == "binary" or schema.get("items", {}).get("format") == "binary"


# What an upload may be, by the media types of the accepted extensions.
UPLOAD_TYPES = ", ".join(
    sorted({uploads.CONTENT_TYPES.get(ext, "text/plain") for ext in uploads.accepted_extensions()})
)
FOLLOWER_USER_ID = OpenApiParameter(
    "user_id", ID, OpenApiParameter.PATH, description="The follower's user id."
)


class AutoSchema(openapi.AutoSchema):
    """Every operation is throttled (429 says when to come back) and authenticated (401 says
    how); bodies say exactly what the server reads."""

    def get_override_parameters(self) -> list[Any]:
        return [*super().get_override_parameters(), RETRY_AFTER, WWW_AUTHENTICATE]

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        is_text = isinstance(field, serializers.CharField) and direction == "request"
        if is_text and schema and not any(isinstance(v, RegexValidator) for v in field.validators):
            schema.setdefault("pattern", _text_pattern(field))
        return schema

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictSerializer):
            schema["additionalProperties"] = False  # StrictSerializer refuses unknown fields
        return schema

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        for media_type, content in (body or {}).get("content", {}).items():
            if "oneOf" in self._component_of(content).get("schema", {}):
                body["required"] = True  # each of its forms has a field it requires
            self._as_sent_in(media_type, content)
        return body

    def _component_of(self, content: dict[str, Any]) -> dict[str, Any]:
        name = content["schema"].get("$ref", "").rpartition("/")[2]
        key = (name, ResolvedComponent.SCHEMA)
        if not name or key not in self.registry._components:
            return {}
        return {"name": name, "schema": self.registry[key].schema}

    def _as_sent_in(self, media_type: str, content: dict[str, Any]) -> None:
        """The body's schema for one media type: JSON carries no files; a form carries no
        null (it has no way to say it) and its files are of the types accepted."""
        component = self._component_of(content)
        properties = component.get("schema", {}).get("properties", {})
        files = [field for field, schema in properties.items() if _is_file(schema)]
        if not files:
            return
        name, variant = component["name"], dict(component["schema"])
        if media_type == "application/json":
            suffix = "JSON"
            variant["properties"] = {f: s for f, s in properties.items() if f not in files}
            variant["required"] = [f for f in variant.get("required", []) if f not in files]
        else:
            suffix = "Form"
            variant["properties"] = {
                field: {key: value for key, value in schema.items() if key != "nullable"}
                for field, schema in properties.items()
            }
            for field in files:
                variant["properties"][field]["maxItems"] = uploads.max_files()
            content["encoding"] = {field: {"contentType": UPLOAD_TYPES} for field in files}
        if not variant.get("required", True):
            del variant["required"]
        named = ResolvedComponent(
            name=name.removesuffix("Request") + suffix + "Request",
            type=ResolvedComponent.SCHEMA,
            schema=variant,
            object=f"{name}-{suffix}",
        )
        self.registry.register_on_missing(named)
        content["schema"] = named.ref


# --- The transition's body: one of three forms ------------------------------------------------

# What people can name as an action (auto_close is the system's alone).
PEOPLE_ACTIONS = sorted(
    {g.action for rule in workflow.RULES.values() for g in rule.grants if g.actor != "system"}
    | {workflow.REASSIGN.action}
)
ASSIGNING = sorted(action for action in PEOPLE_ACTIONS if workflow.ACTIONS[action].assignee_label)
NOT_ASSIGNING = sorted(set(PEOPLE_ACTIONS) - set(ASSIGNING))
# "assigned" is reached with an assignee, which only the assigning actions carry.
TARGETS = [status.value for status in Status if status != Status.ASSIGNED]


def _choices(schema: dict[str, Any], choices: list[str]) -> dict[str, Any]:
    """A choice field's schema with fewer choices (its enum named afresh by the enum hook)."""
    kept = {key: value for key, value in schema.items() if key != "x-spec-enum-id"}
    if "description" in kept:  # without the list of every choice
        kept["description"] = kept["description"].split("\n\n* ")[0]
    return {**kept, "enum": choices}


class TransitionBodySchema(OpenApiSerializerExtension):
    """TransitionSerializer reads `action` or `to`, and `assignee` only with an assigning
    action: as three forms, each closed, of which a body matches exactly one. The forms take
    every other field the serializer declares."""

    target_class = "tickets.api.serializers.TransitionSerializer"

    def map_serializer(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction != "request":
            return schema
        properties = schema["properties"]
        shared = {f: s for f, s in properties.items() if f not in ("action", "to", "assignee")}
        forms = {
            "TransitionByActionRequest": (
                "An action from the ticket's `actions`.",
                {"action": _choices(properties["action"], NOT_ASSIGNING)},
                ["action"],
            ),
            "TransitionAssignRequest": (
                "An assigning action, with the agent.",
                {
                    "action": _choices(properties["action"], ASSIGNING),
                    "assignee": properties["assignee"],
                },
                ["action", "assignee"],
            ),
            "TransitionToStatusRequest": (
                "The status to move to: the step from the ticket's status to it.",
                {"to": _choices(properties["to"], TARGETS)},
                ["to"],
            ),
        }
        references = []
        for name, (description, own, required) in forms.items():
            form = ResolvedComponent(
                name=name,
                type=ResolvedComponent.SCHEMA,
                object=name,
                schema={
                    "type": "object",
                    "description": description,
                    "properties": {**own, **shared},
                    "required": required,
                    "additionalProperties": False,
                },
            )
            auto_schema.registry.register_on_missing(form)
            references.append(form.ref)
        return {
            "oneOf": references,
            "description": "An action, an assigning action with its agent, or a target status; "
            "nothing else (unknown fields are refused).",
        }
