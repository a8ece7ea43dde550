"""The API's documentation pages, served under the Content-Security-Policy.

Swagger UI runs its start-up script from a file of its own (no inline script); ReDoc, whose
style engine writes <style> elements as it renders, may add styles (never scripts) inline and
runs its search in a worker from a blob.
"""

import base64
import hashlib
import re
from functools import wraps

from csp.decorators import csp_update
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

STYLE_ELEMENT = re.compile(rb"<style\b[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def allow_own_style_elements(view):
    """Let the <style> elements of this page's own template through the Content-Security-Policy
    by their hashes (a page whose template is not ours to change), and nothing else inline."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        hashes = [
            f"'sha256-{base64.b64encode(hashlib.sha256(css).digest()).decode()}'"
            for css in STYLE_ELEMENT.findall(getattr(response, "content", b""))
        ]
        if hashes:
            response._csp_update = {"style-src": hashes}
        return response

    return wrapped


api_docs = allow_own_style_elements(SpectacularSwaggerSplitView.as_view(url_name="api:schema"))
api_redoc = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})(
    SpectacularRedocView.as_view(url_name="api:schema")
)
