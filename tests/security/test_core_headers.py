"""Security headers on pages, the API and the API docs: CSP, framing, sniffing, referrer,
opener, permissions, request ids, and no-store for anything personal."""

import base64
import hashlib
import re
from pathlib import Path

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tokens import api_token_create

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
    "img-src": {"'self'", "data:"},
}


def csp(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response["Content-Security-Policy"]
    policy = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            policy[words[0]] = words[1:]
    return policy


def assert_strict(response) -> None:
    policy = csp(response)
    for directive, sources in REQUIRED.items():
        assert set(policy[directive]) == sources, directive
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def assert_hardened(response) -> None:
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


@pytest.fixture
def token(agent):
    _row, raw = api_token_create(user=agent, name="script")
    return raw


def test_it_sends_a_strict_policy_on_pages(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_strict(response)
    assert_hardened(response)


def test_it_sends_a_strict_policy_on_signed_in_pages(client, agent):
    client.force_login(agent)
    response = client.get(reverse("agent:queue"))
    assert response.status_code == 200
    assert_strict(response)
    assert_hardened(response)


def test_it_sends_the_headers_on_the_api(db, token):
    api = APIClient()
    response = api.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert_strict(response)
    assert_hardened(response)


def test_signed_in_pages_are_never_stored(client, customer):
    client.force_login(customer)
    response = client.get(reverse("portal:ticket_list"))
    assert response.status_code == 200
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives
    assert "public" not in directives


def test_api_responses_are_never_stored(db, token):
    api = APIClient()
    for headers in ({"HTTP_AUTHORIZATION": f"Bearer {token}"}, {}):
        response = api.get(reverse("api:me"), **headers)
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= directives, response.status_code


def test_a_public_static_file_may_be_cached(client, db):
    response = client.get("/static/css/helpdesk.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_each_response_carries_a_request_id(client, db):
    first = client.get(reverse("login"))["X-Request-ID"]
    second = client.get(reverse("login"))["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_a_sane_request_id_from_a_proxy_is_kept_and_junk_is_replaced(client, db):
    kept = client.get(reverse("login"), HTTP_X_REQUEST_ID="lb-7f3a9c21-0001")
    assert kept["X-Request-ID"] == "lb-7f3a9c21-0001"
    junk = client.get(reverse("login"), HTTP_X_REQUEST_ID='x" onload="alert(1)')
    assert re.fullmatch(r"[0-9a-f]{32}", junk["X-Request-ID"])


def test_swagger_ui_runs_without_inline_script(client, db):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    # Every script is a file from this site; the start-up script is one too.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    start = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1)
    script = client.get(start.replace("&amp;", "&"))
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    # The template's own <style> is allowed by its hash, nothing else inline.
    styles = re.findall(r"<style\b[^>]*>(.*?)</style>", html, re.DOTALL)
    policy = csp(response)
    for css in styles:
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["style-src"]


def test_redoc_may_add_styles_but_never_scripts_inline(client, db):
    response = client.get(reverse("api:redoc"))
    assert response.status_code == 200
    policy = csp(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]
    assert not any("sha256" in source for source in policy["style-src"])  # would cancel it


def test_no_template_has_inline_styles_scripts_or_handlers():
    """Pages are served under a CSP without 'unsafe-inline': inline code would not run.
    (E-mail templates are not pages: mail clients need inline styles.)"""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        if "emails" in path.parts:
            continue
        text = path.read_text()
        for pattern in (r"\sstyle=", r"<script(?![^>]*\bsrc=)", r"<style\b", r"\son[a-z]+="):
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


def test_no_template_script_reads_the_csrf_cookie():
    """The CSRF cookie is HttpOnly: forms send the token they were given instead."""
    for path in list((ROOT / "templates").rglob("*.html")) + list((ROOT / "static").rglob("*.js")):
        assert "document.cookie" not in path.read_text(), path
