"""The time zone a person reads times in: their own, chosen on the profile, or the help
desk's (HELPDESK_TIME_ZONE). Stored data and the API stay in UTC; this is for what people
read on pages."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import User

UNKNOWN_ZONE = _("Choose a time zone from the list.")


@cache
def names() -> list[str]:
    """Every zone the system knows, "Area/City" only (no legacy aliases like "EST5EDT")."""
    return sorted(name for name in zoneinfo.available_timezones() if "/" in name)


def validate(name: str) -> None:
    if name and name not in names():
        raise ValidationError(UNKNOWN_ZONE, code="unknown_time_zone")


def zone_for(user: User | None) -> zoneinfo.ZoneInfo:
    """Where `user` reads times: their zone if they chose one, else the help desk's."""
    chosen = getattr(user, "time_zone", "") if user is not None else ""
    return zoneinfo.ZoneInfo(chosen or settings.HELPDESK_TIME_ZONE)
