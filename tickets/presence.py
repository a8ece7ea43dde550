"""Who else is on a ticket: agents viewing its page, and whether they are typing a reply.

Kept in the shared presence cache (settings.PRESENCE_CACHE: Redis when there is one, so every
web process sees the same agents), never in a process's memory, and only for seconds: an
agent is "viewing" while their page polls (static/js/presence.js) and for VIEWING_SECONDS
after, "typing" for TYPING_SECONDS after the poll that said so.

Per ticket, one key per viewing agent (written by that agent alone, with its own expiry)
and a roster: the ids of the agents who may be viewing, so that readers know which keys to
read. The roster is read and written back whole, so two agents arriving in the same instant
can drop each other from it; each poll puts its agent back in, so the roster is right again
one poll later. A presence the cache cannot give (Redis down) is an empty one, not an error.
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


def _roster_key(ticket_id: int) -> str:
    return f"ticket:{ticket_id}:viewers"


def _viewer_key(ticket_id: int, user_id: int) -> str:
    return f"ticket:{ticket_id}:viewer:{user_id}"


def presence_touch(
    *, ticket_id: int, user: User, typing: bool = False, now: float | None = None
) -> list[Viewer]:
    """`user` is viewing the ticket (and typing, if so): recorded for the next seconds.
    Returns the other agents viewing it now, by name. Three round trips to the cache."""
    now = time.time() if now is None else now
    cache = _cache()
    mine = {"name": user.display_name, "typing_until": now + TYPING_SECONDS if typing else 0}
    try:
        roster = [uid for uid in cache.get(_roster_key(ticket_id)) or [] if uid != user.pk]
        keys = {_viewer_key(ticket_id, uid): uid for uid in roster}
        found = cache.get_many(list(keys)) if keys else {}
        cache.set_many(
            {
                _viewer_key(ticket_id, user.pk): mine,
                _roster_key(ticket_id): sorted([user.pk, *(keys[key] for key in found)]),
            },
            VIEWING_SECONDS,
        )
    except Exception:  # the cache's own errors (redis.RedisError, OSError, …)
        logger.warning("presence unavailable", exc_info=True)
        return []
    viewers = [
        Viewer(user_id=keys[key], name=entry["name"], typing=entry["typing_until"] > now)
        for key, entry in found.items()
    ]
    return sorted(viewers, key=lambda viewer: (viewer.name.casefold(), viewer.user_id))


def presence_leave(*, ticket_id: int, user: User) -> None:
    """`user` left the ticket's page: no longer shown as viewing it."""
    try:
        _cache().delete(_viewer_key(ticket_id, user.pk))
    except Exception:
        logger.warning("presence unavailable", exc_info=True)
