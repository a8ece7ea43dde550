"""Who may reach what: every URL pattern of the site, asked for by six people.

The patterns come from the URLconf itself (django.urls.get_resolver), so a new URL that has
no row in ACCESS below fails test_every_url_has_an_access_rule until someone decides who may
use it. Each URL is requested with real objects behind its arguments — Carla's ticket, a file
on it, her API token — as: nobody signed in, Carla (the owner), Nick (another customer), Alex
(the agent on the ticket), Bo (another agent) and Mia (a manager).

What is compared is the kind of answer, not the page:

    LOGIN  redirect to the sign-in page (pages) or to the admin's (admin)
    E401   401 with a challenge (API)
    E404   404: "does not exist" for whoever may not know it exists
    E405   the method is not allowed (checked for everyone alike)
    IN     let in: any other answer below 500 — a page, a redirect elsewhere, a 400 for the
           empty form we send, a 409 from the workflow

POST-only endpoints get an empty POST: the refusal must come before any validation.

Every API URL is also asked for by each of them with an Authorization header that is not a
live Bearer token: the API is signed in by a token or by the session, never by the session
when the header names something else, so the answer is 401 for everyone.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.tokens import api_token_create
from knowledge.services import article_create, article_images_add
from tickets import macros, saved_views, services
from tickets.models import (
    DigestSubscription,
    Holiday,
    InboundMessage,
    Notification,
    SlaPolicy,
    StatusHistory,
    Team,
    WorkingHours,
)
from tickets.rules import automations, triggers
from tickets.status import Status

LOGIN, E401, E404, E405, IN = "login", "401", "404", "405", "in"
PERSONAS = ["anonymous", "customer", "neighbour", "agent", "other_agent", "manager"]
# Refusals first: the people who may not act must not be helped by one who may.
ORDER = ["anonymous", "neighbour", "other_agent", "customer", "agent", "manager"]


def everyone(outcome):
    return (outcome,) * 6


#                          anonymous customer neighbour agent other_agent manager
PUBLIC = everyone(IN)
SIGNED_IN = (LOGIN, IN, IN, IN, IN, IN)
OWNER = (LOGIN, IN, E404, E404, E404, E404)  # the customer's own things (pages)
CUSTOMERS = (LOGIN, IN, IN, E404, E404, E404)  # customer pages without an object
OWNER_OR_STAFF = (LOGIN, IN, E404, IN, IN, IN)  # a ticket's file: its customer and staff
STAFF = (LOGIN, E404, E404, IN, IN, IN)
MANAGERS = (LOGIN, E404, E404, E404, E404, IN)
API_SIGNED_IN = (E401, IN, IN, IN, IN, IN)
API_OWNER_OR_STAFF = (E401, IN, E404, IN, IN, IN)
API_MANAGERS = (E401, E404, E404, E404, E404, IN)
API_STAFF = (E401, E404, E404, IN, IN, IN)
API_MANAGERS_WRITE = (E401, E404, E404, "403", "403", IN)
ADMIN = (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, IN)  # only managers are staff
# Staff inside the admin, refused by the admin's own permissions (read-only records).
ADMIN_403 = (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, "403")
ADMIN_404 = (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, E404)

GET, POST = "get", "post"

# route (as the resolver spells it) → (method, expected outcome per persona in PERSONAS order)
ACCESS: dict[str, tuple[str, tuple[str, ...]]] = {
    "": (GET, PUBLIC),
    # Probes for load balancers and orchestrators: nothing secret in them (tests/ops).
    "healthz": (GET, PUBLIC),
    "readyz": (GET, PUBLIC),
    # Prometheus only: from METRICS_ALLOWED_IPS or with METRICS_TOKEN (unset here), never
    # by signing in.
    "metrics": (GET, everyone(E404)),
    # accounts
    "accounts/signup/": (GET, PUBLIC),  # signed-in people are sent home
    "accounts/signup/done/": (GET, PUBLIC),
    "accounts/login/": (GET, PUBLIC),
    "accounts/logout/": (POST, PUBLIC),
    "accounts/profile/": (GET, SIGNED_IN),
    "accounts/profile/tokens/": (POST, SIGNED_IN),
    "accounts/profile/tokens/<int:pk>/revoke/": (POST, (LOGIN, IN, E404, E404, E404, E404)),
    "accounts/password_change/": (GET, SIGNED_IN),
    "accounts/password_change/done/": (GET, SIGNED_IN),
    "accounts/password_reset/": (GET, PUBLIC),
    "accounts/password_reset/done/": (GET, PUBLIC),
    "accounts/reset/<uidb64>/<token>/": (GET, PUBLIC),
    "accounts/reset/done/": (GET, PUBLIC),
    "accounts/login/verify/": (GET, everyone(LOGIN)),  # no sign-in waiting for its code
    "accounts/two-factor/": (GET, STAFF),
    "accounts/two-factor/setup/": (GET, STAFF),
    "accounts/two-factor/backup-codes/": (POST, STAFF),
    "accounts/two-factor/remove/": (POST, STAFF),
    "accounts/security-policy/": (GET, MANAGERS),
    # the customer portal
    "tickets/": (GET, CUSTOMERS),
    "tickets/new/": (GET, CUSTOMERS),
    "tickets/<int:pk>/": (GET, OWNER),
    "tickets/<int:pk>/reply/": (POST, OWNER),
    "tickets/<int:pk>/action/": (POST, OWNER),
    "tickets/<int:pk>/rating/": (POST, OWNER),
    # the agents' workspace
    "agent/": (GET, STAFF),
    "agent/bulk/": (POST, STAFF),
    "agent/views/": (POST, STAFF),
    # a shared view: a manager's to delete
    "agent/views/<int:pk>/delete/": (POST, MANAGERS),
    "agent/news/": (GET, STAFF),
    "agent/tickets/new/": (GET, STAFF),
    "agent/availability/": (POST, STAFF),
    "agent/tickets/<int:pk>/team/": (POST, STAFF),
    # teams: managers' pages
    "agent/teams/": (GET, MANAGERS),
    "agent/teams/new/": (GET, MANAGERS),
    "agent/teams/<int:pk>/": (GET, MANAGERS),
    "agent/teams/<int:pk>/capacity/<int:user_id>/": (POST, MANAGERS),
    # rules: managers' pages
    "agent/rules/triggers/": (GET, MANAGERS),
    "agent/rules/triggers/new/": (GET, MANAGERS),
    "agent/rules/triggers/<int:pk>/": (GET, MANAGERS),
    "agent/rules/triggers/<int:pk>/move/": (POST, MANAGERS),
    "agent/rules/triggers/<int:pk>/switch/": (POST, MANAGERS),
    "agent/rules/automations/": (GET, MANAGERS),
    "agent/rules/automations/new/": (GET, MANAGERS),
    "agent/rules/automations/<int:pk>/": (GET, MANAGERS),
    "agent/rules/automations/<int:pk>/switch/": (POST, MANAGERS),
    "agent/tickets/<int:pk>/": (GET, STAFF),
    "agent/tickets/<int:pk>/reply/": (POST, STAFF),
    "agent/tickets/<int:pk>/action/": (POST, STAFF),
    "agent/tickets/<int:pk>/update/": (POST, STAFF),
    "agent/tickets/<int:pk>/presence/": (POST, STAFF),
    # the e-mail a ticket or reply came from, as it arrived: staff only, never its customer
    "agent/emails/<int:pk>/": (GET, STAFF),
    "agent/tickets/<int:pk>/followers/": (POST, STAFF),
    "agent/tickets/<int:pk>/followers/<int:user_id>/remove/": (POST, STAFF),
    # macros: a shared one is used by all staff and kept by managers (tests/tickets/test_macros.py)
    "agent/tickets/<int:pk>/macros/<int:macro_id>/": (GET, STAFF),
    "agent/macros/": (GET, STAFF),
    "agent/macros/new/": (GET, STAFF),
    "agent/macros/<int:pk>/": (GET, MANAGERS),
    "agent/macros/<int:pk>/delete/": (POST, MANAGERS),
    # reports
    "reports/": (GET, MANAGERS),
    "reports/summary.csv": (GET, MANAGERS),
    "reports/tickets.csv": (GET, MANAGERS),
    "reports/summary.xlsx": (GET, MANAGERS),
    "reports/tickets.xlsx": (GET, MANAGERS),
    "reports/workload.csv": (GET, MANAGERS),
    "reports/satisfaction/comments/": (GET, MANAGERS),
    "reports/charts/<slug:name>.svg": (GET, MANAGERS),
    "reports/dashboard/": (GET, MANAGERS),
    "reports/dashboard/data/": (GET, MANAGERS),
    "reports/digests/": (GET, MANAGERS),
    # Mia's own digest: another manager's answers 404 (tests/tickets/test_digests.py).
    "reports/digests/<int:pk>/active/": (POST, MANAGERS),
    "reports/digests/<int:pk>/delete/": (POST, MANAGERS),
    # files
    "attachments/<int:pk>/": (GET, OWNER_OR_STAFF),
    # the help centre: public articles for everyone (the article here is public; who reads
    # which visibility is tests/knowledge/test_help_centre.py and test_isolation.py)
    "help/": (GET, PUBLIC),
    "help/search/": (GET, PUBLIC),
    "help/service/<int:pk>/": (GET, PUBLIC),
    # an image of the public article (a staff-only article's: tests/knowledge/test_images.py)
    "help/images/<int:pk>/": (GET, PUBLIC),
    "help/<slug:slug>/": (GET, PUBLIC),
    "help/<slug:slug>/feedback/": (POST, PUBLIC),  # the empty form: 400 for everyone
    # the knowledge base's staff pages; the report is for managers
    "help/staff/": (GET, STAFF),
    "help/staff/new/": (GET, STAFF),
    "help/staff/find/": (GET, STAFF),
    "help/staff/report/": (GET, MANAGERS),
    "help/staff/report.csv": (GET, MANAGERS),
    "help/staff/<int:pk>/": (GET, STAFF),
    "help/staff/<int:pk>/edit/": (GET, STAFF),
    "help/staff/<int:pk>/images/": (POST, STAFF),  # the empty form: 400 for staff
    "help/staff/<int:pk>/publish/": (POST, STAFF),
    "help/staff/<int:pk>/archive/": (POST, STAFF),
    # the API
    "api/v1/me/": (GET, API_SIGNED_IN),
    "api/v1/categories/": (GET, API_SIGNED_IN),
    # Teams are staff's to read (agents: those not restricted, and their own), managers' to
    # change (tests/routing/test_api.py).
    "api/v1/teams/": (GET, API_STAFF),
    "api/v1/teams/<int:pk>/": (GET, API_STAFF),
    # Each agent's load and capacity: managers'; your own availability: PUT only
    # (tests/api/test_access.py), any other method refused alike.
    "api/v1/agents/": (GET, API_MANAGERS),
    "api/v1/agents/<int:pk>/": (GET, API_MANAGERS),
    "api/v1/me/availability/": (GET, (E401, *(E405,) * 5)),
    # Moving a ticket between teams is staff's: Carla sees her ticket, and is refused.
    "api/v1/tickets/<int:pk>/team/": (POST, (E401, "403", E404, IN, IN, IN)),
    # Rules are staff's to read, managers' to write (tests/rules/test_api.py): an agent's
    # write is refused (403), a customer is not told they exist.
    "api/v1/triggers/": (GET, API_STAFF),
    "api/v1/triggers/<int:pk>/": (GET, API_STAFF),
    "api/v1/triggers/test/": (POST, API_MANAGERS_WRITE),
    "api/v1/automations/": (GET, API_STAFF),
    "api/v1/automations/<int:pk>/": (GET, API_STAFF),
    "api/v1/automations/test/": (POST, API_MANAGERS_WRITE),
    "api/v1/tickets/": (GET, API_SIGNED_IN),
    "api/v1/tickets/<int:pk>/": (GET, API_OWNER_OR_STAFF),
    "api/v1/tickets/<int:pk>/comments/": (GET, API_OWNER_OR_STAFF),
    "api/v1/tickets/<int:pk>/transitions/": (POST, API_OWNER_OR_STAFF),
    # Carla sees her ticket, so she is answered by the workflow (409 here, 403 when open).
    "api/v1/tickets/<int:pk>/take/": (POST, API_OWNER_OR_STAFF),
    "api/v1/tickets/<int:pk>/assign/": (POST, API_OWNER_OR_STAFF),
    "api/v1/tickets/<int:pk>/attachments/": (GET, API_OWNER_OR_STAFF),
    # Followers are staff's to manage: Carla sees her ticket, so she is refused, not misled.
    "api/v1/tickets/<int:pk>/followers/": (GET, (E401, "403", E404, IN, IN, IN)),
    # DELETE only (tests/api/test_followers.py): any other method is refused alike.
    "api/v1/tickets/<int:pk>/followers/<int:user_id>/": (GET, (E401, *(E405,) * 5)),
    "api/v1/attachments/<int:pk>/": (GET, API_OWNER_OR_STAFF),
    "api/v1/attachments/<int:pk>/download/": (GET, API_OWNER_OR_STAFF),
    "api/v1/reports/summary/": (GET, API_MANAGERS),
    # the knowledge base: read by everyone as visibility allows (the article is public),
    # written by staff (the empty POSTs: 400 for staff, refused before for the others)
    "api/v1/kb/articles/": (POST, (E401, "403", "403", IN, IN, IN)),
    "api/v1/kb/articles/<slug:slug>/": (GET, PUBLIC),
    "api/v1/kb/articles/<slug:slug>/feedback/": (POST, PUBLIC),
    "api/v1/kb/search/": (GET, PUBLIC),
    "api/v1/kb/suggestions/": (GET, PUBLIC),
    "api/v1/schema/": (GET, PUBLIC),  # the API's description is public, its data is not
    "api/v1/docs/": (GET, PUBLIC),
    "api/v1/redoc/": (GET, PUBLIC),
    "api/v1/": (GET, everyone(E404)),  # any unknown path under the API
    # E-mail providers' webhooks: no session opens them, only the provider's signature and our
    # secret (tests/inbound/test_webhooks.py); without them the answer is 400 for everyone.
    "inbound/mailgun/": (POST, PUBLIC),
    "inbound/postmark/": (POST, PUBLIC),
    # the admin: staff (managers) only; what they may do inside is the admin's permissions
    "admin/": (GET, ADMIN),
    "admin/login/": (GET, everyone(LOGIN)),  # the admin signs in through the site's sign-in
    "admin/logout/": (POST, PUBLIC),
    "admin/password_change/": (GET, ADMIN),
    "admin/password_change/done/": (GET, ADMIN),
    "admin/autocomplete/": (GET, ADMIN_403),  # without its parameters
    "admin/jsi18n/": (GET, ADMIN),
    "admin/r/<path:content_type_id>/<path:object_id>/": (GET, ADMIN_404),  # no public page
    "admin/accounts/user/<id>/password/": (GET, ADMIN),
    # Nobody, staff included, reads another person's TOTP secret or QR code
    # (OTP_ADMIN_HIDE_SENSITIVE_DATA = True).
    "admin/otp_totp/totpdevice/<int:pk>/config/": (GET, ADMIN_403),
    "admin/otp_totp/totpdevice/<int:pk>/qrcode/": (GET, ADMIN_403),
    "admin/<app_label>/": (GET, ADMIN),  # an app's index (the resolver lists the apps)
    "admin/(?P<url>.*)$": (GET, ADMIN_404),
}
# Each model registered in the admin brings the same six URLs, all for staff only; the
# records that are history or outbox cannot be added or deleted, even by staff (403).
ADMIN_MODELS = {
    "auth/group": set(),
    "accounts/user": set(),
    "tickets/slapolicy": set(),
    "tickets/workinghours": set(),
    "tickets/holiday": set(),
    "tickets/category": {"delete/"},  # retired, never deleted: tickets refer to them
    "knowledge/article": {"add/", "delete/"},  # written on the staff pages, which keep revisions
    "tickets/ticket": {"add/", "delete/"},
    "tickets/statushistory": {"add/", "delete/"},
    "tickets/fieldchange": {"add/", "delete/"},
    "tickets/attachment": {"add/", "delete/"},
    "tickets/notification": {"add/", "delete/"},
    "tickets/inboundmessage": {"add/", "delete/"},
    "otp_totp/totpdevice": set(),
    "otp_static/staticdevice": set(),
    "axes/accessattempt": {"add/"},  # sign-in records are made by signing in, not by hand
    "axes/accesslog": {"add/"},
    "axes/accessfailurelog": {"add/"},
}
ADMIN_MODEL_URLS = {
    "": "",
    "add/": "add/",
    "history/": "<path:object_id>/history/",
    "delete/": "<path:object_id>/delete/",
    "change/": "<path:object_id>/change/",
    "object/": "<path:object_id>/",  # redirects to change/
}
for _model, _refused in ADMIN_MODELS.items():
    for _view, _path in ADMIN_MODEL_URLS.items():
        ACCESS[f"admin/{_model}/{_path}"] = (GET, ADMIN_403 if _view in _refused else ADMIN)


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    found = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found.extend(_routes(pattern, route))
        elif isinstance(pattern, URLPattern):
            # The admin's app index lists the registered apps; one rule covers them all.
            found.append(re.sub(r"\^\(\?P<app_label>[^)]*\)/\$$", "<app_label>/", route))
    return found


ROUTES = _routes(get_resolver())


def test_every_url_has_an_access_rule():
    missing = [route for route in ROUTES if route not in ACCESS]
    assert not missing, (
        "These URLs have no row in tests/security/test_access_matrix.py ACCESS; decide who "
        f"may use them and add one: {missing}"
    )


def test_every_access_rule_names_a_url_that_exists():
    stale = sorted(set(ACCESS) - set(ROUTES))
    assert not stale, f"ACCESS rows for URLs that no longer exist: {stale}"


# --- The world the requests are made in ---------------------------------------------------


@pytest.fixture
def world(customer, neighbour, agent, other_agent, manager, make_ticket, category):
    """Carla's ticket worked by Alex, with her file on a reply and her API token."""
    ticket = make_ticket(Status.IN_PROGRESS)
    reply = services.comment_add(
        ticket_id=ticket.pk,
        author=customer,
        body="The log",
        attachments=[SimpleUploadedFile("vpn.log", b"timeout", "text/plain")],
    )
    token, _secret = api_token_create(user=customer, name="laptop script")
    email = InboundMessage(
        digest="0" * 64,
        source=InboundMessage.Source.PIPE,
        state=InboundMessage.State.PROCESSED,
        sender=customer.email,
        ticket=ticket,
        comment=reply,
    )
    email.raw.save("message.eml", ContentFile(b"From: carla@example.com\r\n\r\nThe log"))
    objects = {
        "ticket": ticket,
        "attachment": reply.attachments.get(),
        "email": email,
        "token": token,
        "user": customer,
        "group": Group.objects.create(name="Night shift"),
        "category": category,
        "statushistory": StatusHistory.objects.filter(ticket=ticket).first(),
        "notification": Notification.objects.first(),
        "slapolicy": SlaPolicy.objects.first(),
        "workinghours": WorkingHours.objects.first(),
        "holiday": Holiday.objects.create(date="2030-12-25", name="Christmas"),
        "digest": DigestSubscription.objects.create(manager=manager, frequency="weekly"),
        "macro": macros.macro_save(actor=manager, title="Thanks", body="Thank you", shared=True),
        "saved_view": saved_views.save_view(
            user=manager, name="Breached", query=QueryDict("view=open&sla=breached"), shared=True
        ),
        "article": article_create(
            by=agent,
            title="VPN drops",
            body_markdown="Update the profile.",
            category=category,
            publish=True,
        ),
        "team": Team.objects.create(name="Network"),
        "trigger": triggers.trigger_save(
            by=manager,
            name="VPN",
            event="created",
            conditions_=[{"field": "service", "op": "is", "value": category.pk}],
            actions_=[{"type": "set_priority", "value": "high"}],
        ),
        "automation": automations.automation_save(
            by=manager,
            name="Remind",
            conditions_=[{"field": "time_in_status", "op": "at_least", "value": "3d"}],
            actions_=[{"type": "add_note", "body": "Chase."}],
        ),
    }
    objects["team"].members.add(agent)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
    [objects["article_image"]] = article_images_add(
        article_id=objects["article"].pk,
        by=agent,
        files=[SimpleUploadedFile("map.png", png, "image/png")],
    )
    people = {
        "anonymous": None,
        "customer": customer,
        "neighbour": neighbour,
        "agent": agent,
        "other_agent": other_agent,
        "manager": manager,
    }
    return objects, people


def _pk(objects: dict, route: str) -> str:
    if "attachments/<int:pk>" in route:
        return str(objects["attachment"].pk)
    if "emails/<int:pk>" in route:
        return str(objects["email"].pk)
    if "tokens/<int:pk>" in route:
        return str(objects["token"].pk)
    if "agent/macros/<int:pk>" in route:
        return str(objects["macro"].pk)
    if "agent/views/<int:pk>" in route:
        return str(objects["saved_view"].pk)
    if "digests/<int:pk>" in route:
        return str(objects["digest"].pk)
    if route.startswith("help/images/"):
        return str(objects["article_image"].pk)
    if route.startswith("help/staff/"):
        return str(objects["article"].pk)
    if route.startswith("help/service/"):
        return str(objects["category"].pk)
    if "teams/<int:pk>" in route:
        return str(objects["team"].pk)
    if route.startswith("api/v1/agents/"):
        return str(objects["team"].members.get().pk)
    if "triggers/<int:pk>" in route:
        return str(objects["trigger"].pk)
    if "automations/<int:pk>" in route:
        return str(objects["automation"].pk)
    return str(objects["ticket"].pk)


def _object_id(objects: dict, route: str) -> str:
    model = route.split("/")[2] if route.count("/") > 3 else ""
    found = objects.get(model)
    return str(found.pk) if found is not None else "999999"


def url_for(route: str, objects: dict) -> str:
    """The route with real values for its arguments."""
    from django.contrib.contenttypes.models import ContentType

    path = route
    path = path.replace("<int:pk>", _pk(objects, route))
    path = path.replace("<uidb64>/<token>", "MQ/set-password")
    path = path.replace("<slug:name>", "weekly")
    path = path.replace("<slug:slug>", objects["article"].slug)
    path = path.replace("<id>", str(objects["user"].pk))
    user_id = objects["team"].members.get() if "capacity/" in route else objects["user"]
    path = path.replace("<int:user_id>", str(user_id.pk))
    path = path.replace("<int:macro_id>", str(objects["macro"].pk))
    if "<path:content_type_id>" in path:
        ticket_type = ContentType.objects.get_for_model(objects["ticket"])
        path = path.replace("<path:content_type_id>", str(ticket_type.pk))
        path = path.replace("<path:object_id>", str(objects["ticket"].pk))
    path = path.replace("<path:object_id>", _object_id(objects, route))
    path = path.replace("<app_label>", "tickets")
    path = path.replace("(?P<url>.*)$", "no-such-page/")
    assert not re.search(r"[<>^$()]", path), f"no value for an argument of {route}"
    return "/" + path


def outcome(response) -> str:
    status = response.status_code
    assert status < 500, f"{status} from {response.request['PATH_INFO']}"
    if status in (301, 302):
        location = response["Location"]
        if location.startswith(("/accounts/login/", "/admin/login/")):
            return LOGIN
        return IN
    if status in (401, 403, 404, 405):
        return str(status)
    return IN


def ask(route: str, world, headers: dict[str, str] | None = None) -> tuple[str, dict]:
    """`route` asked for by each persona, with their Authorization header if `headers` has
    one: the request as a text, and the answer to each."""
    if route not in ROUTES:
        pytest.skip("not a URL of this site any more (see the stale-rule test)")
    objects, people = world
    method = ACCESS[route][0]
    url = url_for(route, objects)
    answers = {}
    for persona in ORDER:
        client = Client()
        if people[persona] is not None:
            client.force_login(people[persona])
        extra = {"HTTP_AUTHORIZATION": headers[persona]} if headers else {}
        answers[persona] = getattr(client, method)(url, **extra)
    return f"{method.upper()} {url}", answers


@pytest.mark.parametrize("route", sorted(ACCESS))
def test_each_url_lets_in_exactly_who_the_table_says(route, world):
    request, answers = ask(route, world)
    got = {persona: outcome(response) for persona, response in answers.items()}
    assert tuple(got[p] for p in PERSONAS) == ACCESS[route][1], f"{request}: {got}"


API_ROUTES = sorted(route for route in ACCESS if route.startswith("api/"))
# Another scheme, a malformed Bearer header, a Bearer "token" that is none, an empty header.
NOT_A_TOKEN = ["Token x", "Basic dXNlcjpwdw==", "Foo", "Bearer", "Bearer not-a-token", ""]


@pytest.mark.parametrize("route", API_ROUTES)
def test_an_authorization_header_that_is_not_a_token_is_401_on_every_api_url(route, world):
    # Each route starts at another header, so every persona meets every kind of header.
    shift = API_ROUTES.index(route) % len(NOT_A_TOKEN)
    headers = dict(zip(ORDER, NOT_A_TOKEN[shift:] + NOT_A_TOKEN[:shift], strict=True))
    request, answers = ask(route, world, headers)
    got = {
        persona: outcome(response)
        + ("" if response.get("WWW-Authenticate", "").startswith("Bearer ") else " unchallenged")
        for persona, response in answers.items()
    }
    assert set(got.values()) == {E401}, f"{request}: {got}"


# --- A restricted team's tickets ------------------------------------------------------------
# Carla's ticket moved into a team restricted to its members, Alex among them: to Bo, outside
# the team, it and everything on it are as foreign as to a neighbour (404), on pages, files
# and the API alike; Alex and Mia are let in as before.
TICKET_ROUTES = sorted(
    route
    for route, (_method, outcomes) in ACCESS.items()
    if route.startswith(("agent/tickets/<", "agent/emails/", "attachments/", "api/v1/tickets/<"))
    or route.startswith("api/v1/attachments/")
    if outcomes[PERSONAS.index("other_agent")] == IN
)


@pytest.mark.parametrize("route", TICKET_ROUTES)
def test_a_restricted_teams_ticket_is_404_to_an_agent_outside_the_team(route, world):
    from tickets import teams
    from tickets.models import Ticket

    objects, _people = world
    team = objects["team"]
    team.restricted = True
    team.save(update_fields=["restricted"])
    teams.forget_restricted_flag()  # what teams.team_save does
    Ticket.objects.filter(pk=objects["ticket"].pk).update(team=team)
    request, answers = ask(route, world)
    got = {persona: outcome(response) for persona, response in answers.items()}
    expected = dict(zip(PERSONAS, ACCESS[route][1], strict=True))
    assert got == {**expected, "other_agent": E404}, f"{request}: {got}"
