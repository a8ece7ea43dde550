"""Personal API tokens: create, revoke, and authenticate a request that carries one.

A token looks like `hdt_<43 url-safe characters>` and is sent as `Authorization: Bearer <token>`.
Only its SHA-256 digest is stored; the token itself is shown once, when it is created.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from helpdesk.security_log import log_event

from .models import TOKEN_NAME_MAX_LENGTH, ApiToken, User

if TYPE_CHECKING:
    from rest_framework.request import Request

TOKEN_PREFIX = "hdt_"  # noqa: S105  (a marker, not a secret)
SECRET_BYTES = 32  # 256 bits
PREFIX_SHOWN = len(TOKEN_PREFIX) + 8
MAX_TOKEN_LENGTH = 200
MAX_TOKENS_PER_USER = 20
# last_used_at is written at most this often per token: reads do not turn into writes.
LAST_USED_PRECISION = timedelta(minutes=1)
EXPIRY_CHOICES_DAYS = (30, 90, 365)

NAME_REQUIRED = _("Give the token a name, e.g. the script or tool that will use it.")
NAME_TOO_LONG = _("Keep the name to %(count)s characters.")
NAME_TAKEN = _("You already have a token with this name.")
TOO_MANY_TOKENS = _("You have %(count)s tokens, the most allowed. Revoke one you no longer use.")
INVALID_TOKEN = _("Invalid, expired or revoked API token.")
MALFORMED_HEADER = _("The Authorization header must be “Bearer <token>”.")


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Make a token for `user`. Returns the stored row and the token, which is not kept."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": NAME_REQUIRED})
    if len(name) > TOKEN_NAME_MAX_LENGTH:
        raise ValidationError({"name": NAME_TOO_LONG % {"count": TOKEN_NAME_MAX_LENGTH}})
    # Lock the owner so that two requests at once cannot both pass the limit check.
    User.objects.select_for_update().only("pk").get(pk=user.pk)
    count = ApiToken.objects.filter(user=user).count()
    if count >= MAX_TOKENS_PER_USER:
        raise ValidationError({"name": TOO_MANY_TOKENS % {"count": count}})
    if ApiToken.objects.filter(user=user, name__iexact=name).exists():
        raise ValidationError({"name": NAME_TAKEN})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    now = timezone.now()
    token = ApiToken(
        user=user,
        name=name,
        prefix=raw[:PREFIX_SHOWN],
        digest=_digest(raw),
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    try:
        with transaction.atomic():
            token.save()
    except IntegrityError as error:  # the same name, typed twice at once
        raise ValidationError({"name": NAME_TAKEN}) from error
    return token, raw


def api_token_revoke(*, user: User, token_id: int) -> ApiToken | None:
    """Delete one of `user`'s tokens; requests carrying it fail from now on. None: no such
    token of theirs."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is not None:
        token.delete()
    return token


def api_tokens_revoke_all(*, user: User, reason: str, actor: User | None = None) -> int:
    """Delete every token of `user`, as `api_token_revoke` deletes one: requests carrying any
    of them fail from now on. `reason` says why in the security log (e.g. "password_changed");
    `actor` is who did it when not the owner. Returns how many there were."""
    return api_tokens_revoke_for(users=[user], reason=reason, actor=actor)


def api_tokens_revoke_for(*, users: Iterable[User], reason: str, actor: User | None = None) -> int:
    """api_tokens_revoke_all for many users at once (e.g. a queryset), in a bounded number of
    queries however many they are: the users, their token counts, one delete. Each owner's
    revocation is logged. Returns the total."""
    owners = {user.pk: user for user in users}
    tokens = ApiToken.objects.filter(user__in=list(owners))
    counts = dict(tokens.order_by().values_list("user").annotate(count=Count("pk")))
    if not counts:
        return 0
    tokens.delete()
    for pk, count in counts.items():
        log_event(
            "api_tokens_revoked",
            user=owners[pk],
            reason=reason,
            count=count,
            actor_id=actor.pk if actor is not None else pk,
        )
    return sum(counts.values())


def api_tokens_of(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token `raw` stands for, with its user loaded; None if there is none."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > MAX_TOKEN_LENGTH:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(raw)).first()
    if token is None or token.is_expired or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


# The WWW-Authenticate header of every 401 from the API.
CHALLENGE = 'Bearer realm="api"'


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """DRF authentication by `Authorization: Bearer hdt_…`, as accounts.authentication decides:
    the token's owner, or a 401 for any Authorization header that is not a live token. Listed
    before the session's authentication, it leaves the session only requests without one."""

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        from .authentication import Method, authentication_of  # it imports this module

        decided = authentication_of(request)
        if decided.method is Method.REFUSED:
            raise exceptions.AuthenticationFailed(decided.detail)
        if decided.method is Method.BEARER:
            return decided.token.user, decided.token
        return None

    def authenticate_header(self, request: Request) -> str:
        # Makes unauthenticated API requests answer 401 with this challenge, not 403.
        return CHALLENGE
