"""Managers see every received e-mail and why a quarantined one was not processed."""

import pytest
from django.urls import reverse

from tickets.inbound import receive
from tickets.models import InboundMessage

from .conftest import mail


@pytest.fixture
def admin_client(client, manager):
    client.force_login(manager)
    return client


@pytest.mark.django_db
def test_quarantined_mail_is_listed_with_its_reason(
    admin_client, agent, customer, django_assert_max_num_queries
):
    for number in range(5):
        receive(mail(subject=f"Message {number}"))
    receive(mail(sender="alex@example.com", subject="From staff"))
    url = reverse("admin:tickets_inboundmessage_changelist")

    with django_assert_max_num_queries(12):
        response = admin_client.get(url, {"state": InboundMessage.State.QUARANTINED})

    page = response.content.decode()
    assert response.status_code == 200
    assert "From staff" in page and "staff open tickets" in page
    assert "Message 1" not in page
    with django_assert_max_num_queries(12):
        assert admin_client.get(url).status_code == 200
