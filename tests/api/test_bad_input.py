"""Whatever a client sends, the answer is a 4xx that says what was wrong, never a 500."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from tickets.models import Ticket
from tickets.status import Status

from .conftest import api_url


@pytest.fixture
def alex(api, agent):
    return api(agent)


@pytest.fixture
def carla(api, customer):
    return api(customer)


def errors(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    return body["errors"]


def test_unknown_fields_are_refused_by_name(carla):
    response = carla.post(
        api_url("ticket-list"),
        {"subject": "VPN", "description": "Down", "status": "closed", "assignee": 1},
        format="json",
    )
    assert errors(response) == {
        "status": ["This field is not recognised."],
        "assignee": ["This field is not recognised."],
    }
    assert not Ticket.objects.exists()


def test_unknown_fields_are_named_alongside_missing_ones(carla):
    found = errors(carla.post(api_url("ticket-list"), {"subjekt": "VPN"}, format="json"))
    assert set(found) == {"subjekt", "subject", "description"}


def test_read_only_fields_cannot_be_written(carla, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    response = carla.post(
        api_url("ticket-comments", ticket.pk),
        {"body": "Hi", "author": 99, "created_at": "2020-01-01T00:00:00Z"},
        format="json",
    )
    assert set(errors(response)) == {"author", "created_at"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "resolve", "note": 42, "version": "three"}, "version"),
        ({"action": ["resolve"]}, "action"),
        ({"to": "exploded"}, "to"),
        ({"to": None}, "to"),
        ({"action": "teleport"}, "action"),
        ({"action": "hold", "to": "on_hold"}, "action"),
        ({}, "action"),
        ({"action": "resolve", "version": 0}, "version"),
        ({"action": "resolve", "version": 2**40}, "version"),
        ({"action": "assign", "assignee": "bo"}, "assignee"),
        ({"action": "assign", "assignee": 2**70}, "assignee"),
        ({"action": "hold", "assignee": 1}, "assignee"),
        ({"action": "hold", "note": "x" * 5001}, "note"),
        ({"action": "hold", "note": "bad \x00 byte"}, "note"),
    ],
)
def test_nonsense_transitions_are_field_errors(body, field, alex, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    response = alex.post(api_url("ticket-transitions", ticket.pk), body, format="json")
    assert field in errors(response)
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "", "description": "x"}, "subject"),
        ({"subject": "   ", "description": "x"}, "subject"),
        ({"subject": "x" * 201, "description": "x"}, "subject"),
        ({"subject": "x", "description": "x" * 20001}, "description"),
        ({"subject": {"nested": True}, "description": "x"}, "subject"),
        ({"subject": "x", "description": "x", "priority": "whenever"}, "priority"),
        ({"subject": "x", "description": "x", "category": "VPN"}, "category"),
        ({"subject": "x", "description": "x", "category": 424242}, "category"),
        ({"subject": "x", "description": "x", "category": -1}, "category"),
        ({"subject": "x", "description": "x", "customer": 10**30}, "customer"),
        ({"subject": "x", "description": "x", "attachments": "file.png"}, "attachments"),
    ],
)
def test_wrong_types_and_sizes_on_create(body, field, carla):
    assert field in errors(carla.post(api_url("ticket-list"), body, format="json"))


def test_a_lone_surrogate_never_reaches_the_database(carla):
    raw = '{"subject": "VPN \\ud800", "description": "x"}'
    response = carla.post(api_url("ticket-list"), raw, content_type="application/json")
    assert response.status_code == 201  # a subject is one clean line: the surrogate is dropped
    assert Ticket.objects.get().subject == "VPN"
    raw = '{"subject": "VPN", "description": "x \\ud800"}'
    response = carla.post(api_url("ticket-list"), raw, content_type="application/json")
    assert "description" in errors(response)


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'"a string"',
        b"null",
        b'{"subject": NaN, "description": "x"}',
        b"\xff\xfe\x00garbage",
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_malformed_bodies_are_400(raw, carla):
    response = carla.post(api_url("ticket-list"), raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"parse_error", "invalid"}


def test_a_huge_body_is_refused_without_being_read_whole(carla, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"subject": "x", "description": "y" * 5000})
    response = carla.post(api_url("ticket-list"), body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_a_huge_form_field_is_refused_too(carla, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = carla.post(
        api_url("ticket-list"), {"subject": "x", "description": "y" * 5000}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_an_unsupported_media_type_is_415(carla):
    response = carla.post(api_url("ticket-list"), "subject=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "exploded"}, "status"),
        ({"view": "everything"}, "view"),
        ({"priority": "asap"}, "priority"),
        ({"category": "abc"}, "category"),
        ({"assignee": str(2**70)}, "assignee"),
        ({"page_size": "1000"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"sort": "random"}, "sort"),
        ({"q": "x" * 201}, "q"),
        ({"q": "nul\x00"}, "q"),
        ({"stauts": "open"}, "stauts"),
    ],
)
def test_nonsense_filters_are_field_errors(params, field, alex):
    assert field in errors(alex.get(api_url("ticket-list"), params))


def test_a_garbage_cursor_is_a_field_error(alex, make_ticket):
    make_ticket()
    assert "cursor" in errors(alex.get(api_url("ticket-list"), {"cursor": "garbage"}))


def test_a_cursor_of_another_sort_is_a_field_error(alex, make_ticket):
    for _ in range(3):
        make_ticket()
    url = api_url("ticket-list")
    next_url = alex.get(url, {"sort": "newest", "page_size": 1}).json()["next"]
    [cursor] = parse_qs(urlsplit(next_url).query)["cursor"]
    assert alex.get(url, {"sort": "newest", "cursor": cursor}).status_code == 200
    assert "cursor" in errors(alex.get(url, {"sort": "priority", "cursor": cursor}))


def test_paging_parameters_on_the_conversation_are_checked(alex, make_ticket):
    ticket = make_ticket()
    url = api_url("ticket-comments", ticket.pk)
    assert "page_size" in errors(alex.get(url, {"page_size": "-3"}))
    assert "sort" in errors(alex.get(url, {"sort": "newest"}))
    assert "cursor" in errors(alex.get(url, {"cursor": "garbage"}))


@pytest.mark.parametrize("pk", [0, 2**63, 10**30])
def test_out_of_range_ids_are_404(pk, alex):
    assert alex.get(f"/api/v1/tickets/{pk}/").status_code == 404
    assert alex.get(f"/api/v1/attachments/{pk}/download/").status_code == 404


def test_undocumented_methods_are_405_in_json(alex, make_ticket):
    ticket = make_ticket()
    response = alex.delete(api_url("ticket-detail", ticket.pk))
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
