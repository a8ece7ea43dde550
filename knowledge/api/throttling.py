"""The suggestion endpoint is asked at every pause in typing: its own, tighter rate."""

from __future__ import annotations

from rest_framework import throttling

from tickets.api.throttling import _SettingsThrottle


class SuggestThrottle(_SettingsThrottle, throttling.SimpleRateThrottle):
    """Per signed-in user, or per client address for anonymous visitors."""

    scope = "kb_suggest"

    def get_cache_key(self, request, view) -> str:
        if request.user and request.user.is_authenticated:
            ident = str(request.user.pk)
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
