"""Forms parse and check input; the services decide."""

from datetime import date

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from helpdesk.fields import OneLineFormField

from . import limits, uploads, workflow
from .models import Category, DigestSubscription, Team
from .queries import (
    INVALID_CURSOR,
    QUEUE_FIGURES,
    QUEUE_SLA_FILTERS,
    QUEUE_SORTS,
    QUEUE_VIEWS,
    active_agents,
    cursor_fits,
    staff_members,
)
from .reports.filters import BASES, ReportRangeError, read_day, report_range
from .services import MOVE_TEAM, SELECT_TICKETS
from .status import HoldKind, Priority, Status
from .teams import visible_teams


class PlainSelect(forms.Select):
    """A <select> written in Python, straight from its choices. Django renders each option
    through a template (and builds a dict per option first), which costs milliseconds for a
    few hundred agents on every queue page."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        selected = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (choice, " selected" if str(choice) in selected else "", label)
                for choice, label in self.choices
            ),
        )
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


def agent_choice(**kwargs) -> forms.ModelChoiceField:
    """A choice among the agents (and managers), hundreds of them in a big help desk."""
    return forms.ModelChoiceField(queryset=active_agents(), widget=PlainSelect, **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files from one <input type=file multiple>."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def _attachments_field() -> MultipleFileField:
    return MultipleFileField(label=_("Attachments"), help_text=uploads.LIMITS_HELP)


CUSTOMER_PRIORITIES = [(p.value, p.label) for p in (Priority.LOW, Priority.NORMAL, Priority.HIGH)]


class TicketForm(forms.Form):
    subject = OneLineFormField(
        label=_("Subject"),
        max_length=limits.SUBJECT_MAX_LENGTH,
        help_text=_("A short summary, e.g. “VPN disconnects every few minutes”."),
    )
    category = forms.ModelChoiceField(
        label=_("Affected service"),
        queryset=Category.objects.filter(is_active=True),
        required=False,
        empty_label=_("Not sure"),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=CUSTOMER_PRIORITIES,
        initial=Priority.NORMAL,
        help_text=_("High if you cannot work; urgent is set by the help desk."),
    )
    description = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=limits.MESSAGE_MAX_LENGTH,
        help_text=_("What you did, what you expected, what happened instead, any error message."),
    )
    attachments = _attachments_field()


class AgentTicketForm(TicketForm):
    """A ticket staff report for a customer (phone, walk-in): who it is for comes first."""

    customer_email = forms.EmailField(
        label=_("Customer's e-mail address"),
        help_text=_("An existing customer, or a new one: they get an account and an e-mail."),
    )
    customer_name = OneLineFormField(
        label=_("Customer's name"),
        required=False,
        max_length=150,
        help_text=_("Only needed for a new customer."),
    )
    field_order = ["customer_email", "customer_name", "subject", "category", "priority"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].choices = Priority.choices
        self.fields["priority"].help_text = ""
        self.fields["description"].label = _("What the customer reports")
        self.fields["description"].help_text = ""


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=limits.MESSAGE_MAX_LENGTH,
    )
    attachments = _attachments_field()


NOTE_PUBLIC_LABEL = _("Show this note to the customer")


class NoteAudienceMixin:
    """A box staff tick to let the customer read a note that is otherwise for staff only."""

    def chosen_note_public(self) -> bool | None:
        """True if ticked; else None: the action's own audience (workflow.note_audience)."""
        return True if self.cleaned_data.get("note_public") else None


class ActionForm(NoteAudienceMixin, forms.Form):
    """A workflow button: which action, the version the page showed, a reason if asked, and
    who reads it where the writer may choose."""

    action = forms.CharField(max_length=32)
    version = forms.IntegerField(min_value=1)
    note = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limits.NOTE_MAX_LENGTH,
    )
    note_public = forms.BooleanField(label=NOTE_PUBLIC_LABEL, required=False)
    hold_kind = forms.ChoiceField(label=_("Waiting for"), choices=HoldKind.choices, required=False)


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How did we do?"),
        choices=[(i, str(i)) for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limits.RATING_COMMENT_MAX_LENGTH,
    )


class ReportDayField(forms.DateField):
    """A report's first or last day, read as the API reads it (reports.filters.read_day)."""

    def to_python(self, value):
        try:
            return read_day(value)
        except ReportRangeError as error:
            raise forms.ValidationError(error.message, code="invalid") from None


def clean_report_range(form: forms.Form, data: dict) -> None:
    """Fill in the report range's missing ends (reports.filters.report_range) or name the
    field at fault."""
    if "start" in form.errors or "end" in form.errors:
        return
    try:
        data["start"], data["end"] = report_range(start=data.get("start"), end=data.get("end"))
    except ReportRangeError as error:
        form.add_error(error.field, error.message)


class StaffChoiceField(forms.ModelChoiceField):
    """An agent to filter on: deactivated ones too, said so."""

    def label_from_instance(self, obj) -> str:
        if obj.is_active:
            return obj.display_name
        return _("%(name)s (deactivated)") % {"name": obj.display_name}


def staff_filter_choice(**kwargs) -> StaffChoiceField:
    return StaffChoiceField(queryset=staff_members(), widget=PlainSelect, **kwargs)


class QueueFilterForm(forms.Form):
    """The queue's view, filters, search and sort, all in the URL so a view can be bookmarked."""

    view = forms.ChoiceField(choices=[], required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=limits.SEARCH_MAX_LENGTH)
    status = forms.ChoiceField(label=_("Status"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    category = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Category.objects.order_by("name"),
        required=False,
        empty_label=_("Any"),
    )
    assignee = staff_filter_choice(label=_("Assignee"), required=False, empty_label=_("Anyone"))
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("Any")
    )
    sla = forms.ChoiceField(label=_("SLA"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), choices=[], required=False)
    cursor = forms.CharField(
        required=False, max_length=limits.CURSOR_MAX_LENGTH, widget=forms.HiddenInput
    )
    # Drill-down from the report: the tickets behind one of its numbers.
    figure = forms.ChoiceField(required=False, choices=[], widget=forms.HiddenInput)
    basis = forms.ChoiceField(required=False, choices=list(BASES.items()), widget=forms.HiddenInput)
    start = ReportDayField(required=False, widget=forms.HiddenInput)
    end = ReportDayField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["team"].queryset = visible_teams(user)
        self.fields["sla"].choices = [("", _("Any")), *QUEUE_SLA_FILTERS.items()]
        self.fields["view"].choices = list(QUEUE_VIEWS.items())
        self.fields["sort"].choices = [(key, label) for key, (label, _o) in QUEUE_SORTS.items()]
        self.fields["status"].choices = [("", _("Any")), *list(Status.choices)]
        self.fields["priority"].choices = [("", _("Any")), *list(Priority.choices)]
        self.fields["figure"].choices = [("", ""), *QUEUE_FIGURES.items()]
        self.fields["assignee"].queryset = staff_members()

    def clean(self):
        data = super().clean()
        cursor = data.get("cursor")
        if cursor and not cursor_fits(cursor, sort=data.get("sort") or "priority"):
            self.add_error("cursor", INVALID_CURSOR)
        clean_report_range(self, data)
        return data


class AgentReplyForm(forms.Form):
    """Public reply or internal note: the button pressed decides, never a default."""

    VISIBILITY = [("public", _("Reply to the customer")), ("internal", _("Internal note"))]

    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=limits.MESSAGE_MAX_LENGTH,
    )
    visibility = forms.ChoiceField(choices=VISIBILITY, required=False)
    # A "Send and …" button: the status to move to, and for a hold what it waits for, as
    # "on_hold:third_party" (tickets.combined). Those buttons send a public reply.
    then = forms.CharField(required=False, max_length=32)
    note = forms.CharField(
        label=_("Note for the status change (optional: else the reply is the note)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.NOTE_MAX_LENGTH,
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    # The ticket's last update as the page showed it (ISO 8601, to the microsecond): a plain
    # reply is not stale for comments added after it (versions.lock). Missing: any change is.
    seen_at = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    attachments = _attachments_field()
    # The macro the reply was written from (tickets.macros): counted, and its priority set.
    macro = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean_seen_at(self):
        try:
            moment = parse_datetime(self.cleaned_data["seen_at"])
        except ValueError:
            moment = None
        return moment if moment is not None and timezone.is_aware(moment) else None

    def clean(self):
        data = super().clean()
        target, _sep, kind = (data.get("then") or "").partition(":")
        if (target and target not in Status.values) or (kind and kind not in HoldKind.values):
            self.add_error(None, _("That way of sending could not be read; please try again."))
        data["target"], data["hold_kind"] = target or None, kind or None
        if not data.get("visibility"):
            if not target:
                self.add_error(None, _("Choose who reads it: send it, or save an internal note."))
            data["visibility"] = "public"
        return data


class AssignForm(forms.Form):
    assignee = agent_choice(label=_("Assign to"))
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=limits.NOTE_MAX_LENGTH)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = active_agents()


class FollowerForm(forms.Form):
    email = forms.EmailField(
        label=_("Add a follower"),
        max_length=320,
        help_text=_("The e-mail address of a customer's account."),
    )


class TicketUpdateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=limits.SUBJECT_MAX_LENGTH)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    category = forms.ModelChoiceField(
        label=_("Affected service"),
        queryset=Category.objects.filter(is_active=True),
        required=False,
        empty_label=_("Not set"),
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class TeamMoveForm(forms.Form):
    """The ticket page's "Move to team": the teams `user` works (tickets.teams)."""

    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("No team")
    )
    note = forms.CharField(
        label=_("Why (staff only)"), max_length=limits.NOTE_MAX_LENGTH, strip=True
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = visible_teams(user)


NO_TEAM = "none"


class BulkForm(NoteAudienceMixin, forms.Form):
    ACTIONS = [
        *((spec.name, spec.bulk_label or spec.label) for spec in workflow.BULK_ACTIONS),
        (MOVE_TEAM, _("Move to team")),
    ]

    tickets = forms.TypedMultipleChoiceField(
        coerce=int, choices=[], error_messages={"required": SELECT_TICKETS}
    )
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    assignee = agent_choice(label=_("Agent"), required=False, empty_label=_("Choose"))
    note = forms.CharField(
        label=_("Reason or note"), required=False, max_length=limits.NOTE_MAX_LENGTH
    )
    note_public = forms.BooleanField(label=NOTE_PUBLIC_LABEL, required=False)
    hold_kind = forms.ChoiceField(
        label=_("Waiting for (to hold)"), choices=HoldKind.choices, required=False
    )
    # A team's id, or NO_TEAM; the service decides whether the actor may move there.
    team = forms.CharField(label=_("Team (to move)"), required=False, max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = active_agents()
        # Any id is a valid choice here; the service decides, ticket by ticket.
        self.fields["tickets"].valid_value = lambda value: str(value).isdigit()

    def clean_team(self) -> Team | str | None:
        value = self.cleaned_data.get("team", "")
        if value in ("", NO_TEAM):
            return value or None
        team = Team.objects.filter(pk=int(value)).first() if value.isdigit() else None
        if team is None:
            raise forms.ValidationError(_("Choose a team from the list."))
        return team

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("assignee"):
            self.add_error("assignee", _("Choose the agent to assign the tickets to."))
        if data.get("action") == MOVE_TEAM:
            if "team" in data and data["team"] is None:
                self.add_error("team", _("Choose the team to move the tickets to."))
            elif data.get("team") == NO_TEAM:
                data["team"] = None
        else:
            data["team"] = None
        # What a hold waits for goes with holding only; another action leaves it unsaid.
        if data.get("action") != "hold":
            data["hold_kind"] = ""
        return data


class SavedViewForm(forms.Form):
    name = OneLineFormField(label=_("Name"), max_length=80)
    shared = forms.BooleanField(label=_("Share with every agent"), required=False)


class ReportFilterForm(forms.Form):
    """The report's range and slice, all in the URL so a view can be bookmarked."""

    start = ReportDayField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = ReportDayField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))
    agent = staff_filter_choice(label=_("Agent"), required=False, empty_label=_("All"))
    category = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Category.objects.order_by("name"),
        required=False,
        empty_label=_("All"),
    )
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    basis = forms.ChoiceField(
        label=_("Resolution figures count"), required=False, choices=list(BASES.items())
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = staff_members()
        self.fields["priority"].choices = [("", _("All")), *Priority.choices]

    def clean(self):
        data = super().clean()
        clean_report_range(self, data)
        return data

    def show_range(self, *, start: date, end: date) -> None:
        """Fill the date inputs with the range the report shows, a default end or start
        included (after validation: the values are shown, not checked again)."""
        if self.is_bound:
            self.data = self.data.copy()
            self.data["start"], self.data["end"] = start.isoformat(), end.isoformat()
        else:
            self.initial = {**self.initial, "start": start, "end": end}


class DigestSubscriptionForm(ReportFilterForm):
    """A report digest: how often, and the report's slice (the period is the range)."""

    start = None
    end = None
    frequency = forms.ChoiceField(
        label=_("How often"), choices=DigestSubscription.Frequency.choices
    )
    field_order = ["frequency", "agent", "category", "priority"]

    def report_slice(self) -> dict:
        data = self.cleaned_data
        return {
            "assignee_id": data["agent"].pk if data.get("agent") else None,
            "category_id": data["category"].pk if data.get("category") else None,
            "priority": data.get("priority") or "",
        }


class MacroForm(forms.Form):
    """A macro as its keeper writes it; tickets.macros.macro_save decides."""

    title = OneLineFormField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=limits.MESSAGE_MAX_LENGTH,
    )
    shared = forms.BooleanField(
        label=_("Shared with every agent"), required=False, help_text=_("Managers only.")
    )
    set_priority = forms.ChoiceField(
        label=_("Set the priority to"),
        choices=[("", _("Leave as it is")), *Priority.choices],
        required=False,
    )
    target_status = forms.ChoiceField(
        label=_("Then move the ticket to"),
        choices=[("", _("Leave as it is")), *Status.choices],
        required=False,
    )
    hold_kind = forms.ChoiceField(
        label=_("Waiting for (with On hold)"),
        choices=[("", "—"), *HoldKind.choices],
        required=False,
    )


class MacroSearchForm(forms.Form):
    macro_q = forms.CharField(required=False, max_length=limits.SEARCH_MAX_LENGTH)
    macro = forms.IntegerField(required=False, min_value=1)


class PresenceForm(forms.Form):
    """A ticket page's poll (tickets.views.live): the version it shows, whether its agent
    typed since the last poll, or that they are leaving the page."""

    version = forms.IntegerField(min_value=1)
    typing = forms.BooleanField(required=False)
    leaving = forms.BooleanField(required=False)


class QueueNewsForm(forms.Form):
    """The queue's poll: the moment the page was rendered (ISO 8601, with its offset)."""

    since = forms.CharField(max_length=40)

    def clean_since(self):
        try:
            moment = parse_datetime(self.cleaned_data["since"])
        except ValueError:
            moment = None
        if moment is None or not timezone.is_aware(moment):
            raise forms.ValidationError(_("Give a date and time with its offset (ISO 8601)."))
        return moment
