"""Queue views kept under a name: an agent's own, or shared with every agent by a manager.

A view is the queue's query string with only what chooses tickets and their order (the tab,
the filters, the search, the sort) — never a page cursor, never a drill-down's range — checked
by the queue's own form before it is kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .errors import NotPermitted
from .models import SavedView

if TYPE_CHECKING:
    from accounts.models import User

# What a saved view keeps, in the queue's URL order.
KEPT = ("view", "q", "status", "priority", "category", "assignee", "team", "sla", "sort")
PER_PERSON = 30  # an agent's own views; shared ones are for managers to keep tidy

NAME_TAKEN = _("There is already a view with this name.")
TOO_MANY = _("You have %(count)s saved views already; delete one first.")
NOT_UNDERSTOOD = _("These filters were not understood, so the view was not saved.")


def views_for(user: User) -> QuerySet[SavedView]:
    """The views `user` can open: their own, then the shared ones."""
    return SavedView.objects.filter(Q(owner=user) | Q(owner__isnull=True)).order_by(
        "owner", "name", "id"
    )


def clean_query(query: QueryDict, *, user: User) -> str:
    """The part of a queue URL a view keeps, checked by the queue's form as `user` would
    send it (ValidationError keyed "query" when it would not be understood)."""
    from .forms import QueueFilterForm

    kept = QueryDict(mutable=True)
    for key in KEPT:
        if value := query.get(key, "").strip():
            kept[key] = value
    if not QueueFilterForm(kept, user=user).is_valid():
        raise ValidationError({"query": NOT_UNDERSTOOD})
    return kept.urlencode()


@transaction.atomic
def save_view(*, user: User, name: str, query: QueryDict, shared: bool = False) -> SavedView:
    """Keep the queue as `query` shows it under `name`; a shared view is a manager's to make."""
    if not user.is_agent or (shared and not user.is_manager):
        raise NotPermitted()
    owner = None if shared else user
    if owner is not None and SavedView.objects.filter(owner=owner).count() >= PER_PERSON:
        raise ValidationError({"name": TOO_MANY % {"count": PER_PERSON}})
    view = SavedView(name=name.strip(), owner=owner, query=clean_query(query, user=user))
    view.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError as error:
        raise ValidationError({"name": NAME_TAKEN}) from error
    return view


def delete_view(*, user: User, view_id: int) -> None:
    """Delete one's own view; a manager deletes shared ones too. Anyone else's raises
    SavedView.DoesNotExist."""
    mine = Q(owner=user) | (Q(owner__isnull=True) if user.is_manager else Q(pk__in=[]))
    SavedView.objects.filter(mine).get(pk=view_id).delete()
