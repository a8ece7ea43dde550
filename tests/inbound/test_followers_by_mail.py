"""Cc on mail in: the people copied follow the ticket, and followers answer by mail."""

import pytest

from accounts.models import Role, User
from accounts.services import user_create
from tickets import followers
from tickets.inbound import addresses, receive
from tickets.inbound.service import CC_FOLLOWERS_MAX, may_write_by_mail
from tickets.models import Comment, InboundMessage, Ticket, TicketFollower
from tickets.status import Status

from .conftest import mail

pytestmark = pytest.mark.django_db
State = InboundMessage.State


def followers_of(ticket):
    return sorted(row.user.email for row in TicketFollower.objects.filter(ticket=ticket))


def test_known_customers_in_cc_follow_the_new_ticket(customer, follower, neighbour):
    record = receive(mail(headers={"Cc": "Fran <FRAN@example.com>, nick@example.com"}))
    assert record.state == State.PROCESSED
    assert followers_of(record.ticket) == ["fran@example.com", "nick@example.com"]
    assert TicketFollower.objects.filter(added_by__isnull=True).count() == 2


def test_unknown_addresses_in_cc_get_an_account_when_unknown_senders_do(customer):
    record = receive(mail(headers={"Cc": "Dana Doe <dana@example.com>"}))
    dana = User.objects.get(email="dana@example.com")
    assert dana.is_customer and not dana.has_usable_password()
    assert followers_of(record.ticket) == ["dana@example.com"]


def test_unknown_addresses_in_cc_are_ignored_when_unknown_senders_are_refused(
    settings, customer, follower
):
    settings.INBOUND_UNKNOWN_SENDERS = "reject"
    record = receive(mail(headers={"Cc": "dana@example.com, fran@example.com"}))
    assert record.state == State.PROCESSED
    assert followers_of(record.ticket) == ["fran@example.com"]
    assert not User.objects.filter(email="dana@example.com").exists()


def test_staff_our_own_addresses_the_sender_and_deactivated_accounts_do_not_follow(
    customer, agent, follower
):
    follower.is_active = False
    follower.save()
    cc = (
        "alex@example.com, support@helpdesk.example, helpdesk@helpdesk.example, "
        "support+HD-1.abc@helpdesk.example, Carla@example.com, fran@example.com"
    )
    record = receive(mail(headers={"Cc": cc}))
    assert record.state == State.PROCESSED
    assert followers_of(record.ticket) == []
    assert User.objects.count() == 3  # nobody created for our own addresses


def test_a_message_copied_to_many_makes_a_few_followers(customer):
    cc = ", ".join(f"person{i}@example.com" for i in range(40))
    record = receive(mail(headers={"Cc": cc}))
    assert len(followers_of(record.ticket)) == CC_FOLLOWERS_MAX
    assert User.objects.filter(role=Role.CUSTOMER).count() == 1 + CC_FOLLOWERS_MAX


def test_an_address_that_looks_like_someone_elses_is_left_out(customer):
    # A Cyrillic a (U+0430): the same skeleton as Carla's address, so no account may take it.
    record = receive(mail(sender="dana@example.com", headers={"Cc": "c\u0430rla@example.com"}))
    assert record.state == State.PROCESSED
    assert followers_of(record.ticket) == []
    assert not User.objects.filter(email__startswith="c\u0430").exists()


def test_cc_on_a_reply_adds_followers_to_that_ticket(make_ticket, customer, follower):
    ticket = make_ticket(Status.IN_PROGRESS)
    record = receive(mail(subject=f"Re: [HD-{ticket.pk}] VPN", headers={"Cc": "fran@example.com"}))
    assert record.ticket == ticket and record.comment is not None
    assert followers_of(ticket) == ["fran@example.com"]


def test_a_follower_replies_by_subject_tag_and_by_reply_address(make_ticket, follower, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    followers.follower_add(ticket_id=ticket.pk, user=follower, added_by=agent)
    by_tag = receive(
        mail(sender="fran@example.com", subject=f"Re: [HD-{ticket.pk}] VPN", body="Me too.")
    )
    by_address = receive(
        mail(sender="fran@example.com", to=addresses.reply_address(ticket.pk), body="Still.")
    )
    assert by_tag.ticket == by_address.ticket == ticket
    assert [c.author for c in Comment.objects.filter(ticket=ticket)] == [follower, follower]
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_a_followers_mail_on_hold_leaves_it_on_hold(make_ticket, follower, agent):
    ticket = make_ticket(Status.ON_HOLD)
    followers.follower_add(ticket_id=ticket.pk, user=follower, added_by=agent)
    receive(mail(sender="fran@example.com", subject=f"Re: [HD-{ticket.pk}] VPN"))
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD


def test_someone_who_no_longer_follows_writes_a_ticket_of_their_own(make_ticket, follower, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    followers.follower_add(ticket_id=ticket.pk, user=follower, added_by=agent)
    followers.follower_remove(ticket_id=ticket.pk, user_id=follower.pk, removed_by=agent)
    record = receive(mail(sender="fran@example.com", subject=f"Re: [HD-{ticket.pk}] VPN"))
    assert record.ticket != ticket and record.ticket.customer == follower
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_stranger_copied_on_nothing_cannot_write_on_the_ticket(make_ticket, neighbour):
    ticket = make_ticket(Status.IN_PROGRESS)
    record = receive(mail(sender="nick@example.com", subject=f"Re: [HD-{ticket.pk}] VPN"))
    assert record.ticket != ticket
    assert Ticket.objects.filter(customer=neighbour).count() == 1


def test_who_may_write_on_a_ticket_by_mail(make_ticket, customer, follower, neighbour, agent):
    ticket = make_ticket()
    followers.follower_add(ticket_id=ticket.pk, user=follower, added_by=agent)
    assert may_write_by_mail(customer, ticket) and may_write_by_mail(follower, ticket)
    assert not may_write_by_mail(neighbour, ticket)
    other = user_create(email="olga@example.com", display_name="Olga", password=None)
    assert not may_write_by_mail(other, ticket)
    follower.is_active = False
    follower.save()
    assert not may_write_by_mail(follower, ticket)
