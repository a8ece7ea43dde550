"""The length limits are written once (tickets.limits, accounts.models): the columns, the
pages' forms and the API's serializers refuse the same input."""

import pytest

from accounts import forms as account_forms
from accounts import models as account_models
from tickets import forms, limits
from tickets.api import serializers
from tickets.models import Rating, Ticket


def max_length(form_or_serializer, field: str) -> int:
    return form_or_serializer.fields[field].max_length


@pytest.mark.parametrize(
    ("limit", "fields"),
    [
        (
            limits.SUBJECT_MAX_LENGTH,
            [
                Ticket._meta.get_field("subject").max_length,
                max_length(forms.TicketForm(), "subject"),
                max_length(serializers.TicketCreateSerializer(), "subject"),
            ],
        ),
        (
            limits.MESSAGE_MAX_LENGTH,
            [
                max_length(forms.TicketForm(), "description"),
                max_length(forms.ReplyForm(), "body"),
                max_length(forms.AgentReplyForm(), "body"),
                max_length(serializers.TicketCreateSerializer(), "description"),
                max_length(serializers.CommentCreateSerializer(), "body"),
            ],
        ),
        (
            limits.NOTE_MAX_LENGTH,
            [
                max_length(forms.ActionForm(), "note"),
                max_length(serializers.TransitionSerializer(), "note"),
                max_length(serializers.AssignSerializer(), "note"),
            ],
        ),
        (
            limits.RATING_COMMENT_MAX_LENGTH,
            [
                Rating._meta.get_field("comment").max_length,
                max_length(forms.RatingForm(), "comment"),
            ],
        ),
        (
            limits.SEARCH_MAX_LENGTH,
            [
                max_length(forms.QueueFilterForm(), "q"),
                max_length(serializers.TicketFilterSerializer(), "q"),
            ],
        ),
    ],
    ids=["subject", "message", "note", "rating", "search"],
)
def test_pages_api_and_columns_share_each_limit(limit, fields, db):
    assert set(fields) == {limit}


def test_account_limits_match_the_columns(db):
    user = account_models.User
    assert {
        user._meta.get_field("email").max_length,
        max_length(account_forms.SignUpForm(), "email"),
        max_length(account_forms.ProfileForm(), "email"),
        max_length(account_forms.PasswordResetForm(), "email"),
    } == {account_models.EMAIL_MAX_LENGTH}
    assert {
        user._meta.get_field("display_name").max_length,
        max_length(account_forms.SignUpForm(), "display_name"),
        max_length(account_forms.ProfileForm(), "display_name"),
    } == {account_models.DISPLAY_NAME_MAX_LENGTH}
    assert {
        account_models.ApiToken._meta.get_field("name").max_length,
        max_length(account_forms.ApiTokenForm(), "name"),
    } == {account_models.TOKEN_NAME_MAX_LENGTH}
