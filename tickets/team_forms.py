"""Forms of the team pages and the header's availability switch."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Availability

from .models import Category, Team
from .queries import active_agents


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=active_agents(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    strategy = forms.ChoiceField(label=_("Automatic assignment"), choices=Team.Strategy.choices)
    default_capacity = forms.IntegerField(
        label=_("Default capacity"),
        min_value=1,
        max_value=1000,
        initial=10,
        help_text=_(
            "Unfinished tickets per member (assigned, in progress, on hold), "
            "unless their own is set."
        ),
    )
    services = forms.ModelMultipleChoiceField(
        label=_("Services"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("New tickets for these services go to this team (taken from another team)."),
    )
    restricted = forms.BooleanField(
        label=_("Restricted to its members"),
        required=False,
        help_text=_("Agents outside the team neither see nor take its tickets."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = active_agents()
        self.fields["services"].queryset = Category.objects.order_by("name", "id")


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=0,
        max_value=1000,
        required=False,
        help_text=_("Empty: the team's default."),
    )


class AvailabilityForm(forms.Form):
    availability = forms.ChoiceField(label=_("Availability"), choices=Availability.choices)
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
