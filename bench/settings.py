"""The production settings, plus the benchmark's ceiling view (bench/urls.py).

Served over plain HTTP on 127.0.0.1, so the HTTPS redirect is off; everything else is what
production runs (DEBUG off, persistent connections, PostgreSQL).
"""

from helpdesk.settings import *  # noqa: F403
from helpdesk.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
SECURE_SSL_REDIRECT = False
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
