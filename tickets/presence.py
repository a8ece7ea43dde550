"""Who else is on a ticket: agents viewing its page, and whether they are typing a reply.

Kept in the shared presence cache (settings.PRESENCE_CACHE: Redis when there is one, so every
web process sees the same agents), never in a process's memory, and only for seconds: an
agent is "viewing" while their page polls (static/js/presence.js) and for VIEWING_SECONDS
after, "typing" for TYPING_SECONDS after the poll that said so.

Per ticket one key: who is there, each with when they last polled and until when they type;
every poll reads it, drops whoever stopped polling, puts its agent in and writes it back, with
the key's expiry renewed (two round trips to the cache). Two agents polling the same ticket
in the same millisecond can overwrite each other's entry; the one dropped is put back by its
next poll, a few seconds later. A presence the cache cannot give (Redis down) is an empty
one, not an error.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import caches

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

POLL_SECONDS = 3  # how often a ticket page or the queue asks (presence.js)
VIEWING_SECONDS = 15  # a page that stopped asking is gone after this (a few missed polls)
TYPING_SECONDS = 8  # "typing" outlasts the last key by about two polls


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    typing: bool


def _cache():
    return caches[settings.PRESENCE_CACHE]


def _key(ticket_id: int) -> str:
    return f"ticket:{ticket_id}:presence"


def presence_touch(
    *, ticket_id: int, user: User, typing: bool = False, now: float | None = None
) -> list[Viewer]:
    """`user` is viewing the ticket (and typing, if so): recorded for the next seconds.
    Returns the other agents viewing it now, by name."""
    now = time.time() if now is None else now
    cache = _cache()
    try:
        others = {
            user_id: entry
            for user_id, entry in (cache.get(_key(ticket_id)) or {}).items()
            if user_id != user.pk and entry["seen"] > now - VIEWING_SECONDS
        }
        mine = {
            "name": user.display_name,
            "seen": now,
            "typing_until": now + TYPING_SECONDS if typing else 0,
        }
        cache.set(_key(ticket_id), {**others, user.pk: mine}, VIEWING_SECONDS)
    except Exception:  # the cache's own errors (redis.RedisError, OSError, …)
        logger.warning("presence unavailable", exc_info=True)
        return []
    viewers = [
        Viewer(user_id=user_id, name=entry["name"], typing=entry["typing_until"] > now)
        for user_id, entry in others.items()
    ]
    return sorted(viewers, key=lambda viewer: (viewer.name.casefold(), viewer.user_id))


def presence_leave(*, ticket_id: int, user: User) -> None:
    """`user` left the ticket's page: no longer shown as viewing it."""
    cache = _cache()
    try:
        present = cache.get(_key(ticket_id)) or {}
        if present.pop(user.pk, None) is not None:
            cache.set(_key(ticket_id), present, VIEWING_SECONDS)
    except Exception:
        logger.warning("presence unavailable", exc_info=True)
