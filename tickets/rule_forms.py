"""The form of a trigger or automation on the managers' pages: its conditions and actions as
rows of plain fields (tickets.rules checks what they add up to), and a ticket to try it on."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category, Team, Ticket, Trigger, parse_reference
from .queries import active_agents
from .rules import actions, conditions
from .status import Priority

BLANK = [("", "—")]
NO_SUCH_TICKET = _("No ticket has this reference.")


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    sample = forms.CharField(
        label=_("Ticket to test on"),
        required=False,
        max_length=30,
        help_text=_("A reference such as HD-12: see what the rule would do to it, unsaved."),
    )

    def __init__(self, *args, timed: bool = False, rows: tuple[int, int] = (4, 3), **kwargs):
        super().__init__(*args, **kwargs)
        self.timed = timed
        self.condition_rows, self.action_rows = rows
        if not timed:
            self.fields["event"] = forms.ChoiceField(label=_("When"), choices=Trigger.Event.choices)
        fields = [(n, f.label) for n, f in conditions.FIELDS.items() if timed or not f.timed]
        ops = list(conditions.OP_LABELS.items())
        for i in range(1, self.condition_rows + 1):
            self.fields[f"c{i}_field"] = forms.ChoiceField(
                label=_("Condition %(n)s") % {"n": i}, choices=BLANK + fields, required=False
            )
            self.fields[f"c{i}_op"] = forms.ChoiceField(
                label=_("Test %(n)s") % {"n": i}, choices=ops, required=False
            )
            self.fields[f"c{i}_value"] = forms.CharField(
                label=_("Value %(n)s") % {"n": i}, required=False, max_length=500
            )
        kinds = [(name, kind.label) for name, kind in actions.KINDS.items()]
        teams = [(t.pk, t.name) for t in Team.objects.order_by("name")]
        agents = [(a.pk, a.display_name) for a in active_agents()]
        for i in range(1, self.action_rows + 1):
            self.fields[f"a{i}_type"] = forms.ChoiceField(
                label=_("Action %(n)s") % {"n": i}, choices=BLANK + kinds, required=False
            )
            self.fields[f"a{i}_priority"] = forms.ChoiceField(
                label=_("Priority"), choices=BLANK + Priority.choices, required=False
            )
            self.fields[f"a{i}_team"] = forms.ChoiceField(
                label=_("Team"), choices=BLANK + teams, required=False
            )
            self.fields[f"a{i}_agent"] = forms.ChoiceField(
                label=_("Agent"), choices=BLANK + agents, required=False
            )
            self.fields[f"a{i}_email"] = forms.CharField(
                label=_("Follower's e-mail"), required=False, max_length=320
            )
            self.fields[f"a{i}_to"] = forms.ChoiceField(
                label=_("To"),
                choices=BLANK
                + [
                    (r, label)
                    for r, label in zip(actions.RECIPIENTS, RECIPIENT_LABELS, strict=True)
                ]
                + [(s.value, s.label) for s in actions.TARGETS],
                required=False,
                help_text=_("Who a message goes to, or where the ticket moves."),
            )
            self.fields[f"a{i}_subject"] = forms.CharField(
                label=_("Subject"), required=False, max_length=200
            )
            self.fields[f"a{i}_text"] = forms.CharField(
                label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 2})
            )

    def condition_fields(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"c{i}_{part}"] for part in ("field", "op", "value")]
            for i in range(1, self.condition_rows + 1)
        ]

    def action_fields(self) -> list[list[forms.BoundField]]:
        parts = ("type", "priority", "team", "agent", "email", "to", "subject", "text")
        return [[self[f"a{i}_{p}"] for p in parts] for i in range(1, self.action_rows + 1)]

    def rule_conditions(self) -> list[dict]:
        """The filled rows as stored conditions (names of services and teams as their ids)."""
        data, found = self.cleaned_data, []
        for i in range(1, self.condition_rows + 1):
            name = data.get(f"c{i}_field")
            if not name:
                continue
            value = data.get(f"c{i}_value", "").strip()
            model = {"service": Category, "team": Team}.get(name)
            if model is not None and not value.isdigit():
                match = model.objects.filter(name__iexact=value).first()
                value = match.pk if match else value
            found.append({"field": name, "op": data.get(f"c{i}_op"), "value": value})
        return found

    def rule_actions(self) -> list[dict]:
        data, found = self.cleaned_data, []
        for i in range(1, self.action_rows + 1):
            kind = data.get(f"a{i}_type")
            if not kind:
                continue
            text = data.get(f"a{i}_text", "")
            found.append(
                {
                    "type": kind,
                    "value": {
                        "set_priority": data.get(f"a{i}_priority"),
                        "assign_team": data.get(f"a{i}_team"),
                        "assign_agent": data.get(f"a{i}_agent"),
                        "add_follower": data.get(f"a{i}_email"),
                    }.get(kind),
                    "to": data.get(f"a{i}_to"),
                    "subject": data.get(f"a{i}_subject"),
                    "body": text,
                    "note": text,
                }
            )
        return found

    def clean_sample(self) -> Ticket | None:
        text = self.cleaned_data["sample"].strip()
        if not text:
            return None
        pk = parse_reference(text)
        ticket = Ticket.objects.select_related("customer").filter(pk=pk).first() if pk else None
        if ticket is None:
            raise forms.ValidationError(NO_SUCH_TICKET)
        return ticket


RECIPIENT_LABELS = [
    _("Message: the customer"),
    _("Message: the assignee"),
    _("Message: the managers"),
    _("Message: the ticket's team"),
]


def initial_for(conditions_: list[dict], actions_: list[dict]) -> dict:
    """A saved rule's conditions and actions as the form's rows."""
    initial: dict = {}
    for i, c in enumerate(conditions_, start=1):
        initial.update(
            {f"c{i}_field": c["field"], f"c{i}_op": c["op"], f"c{i}_value": c.get("value") or ""}
        )
    for i, a in enumerate(actions_, start=1):
        kind = a["type"]
        initial[f"a{i}_type"] = kind
        key = {
            "set_priority": "priority",
            "assign_team": "team",
            "assign_agent": "agent",
            "add_follower": "email",
        }.get(kind)
        if key:
            initial[f"a{i}_{key}"] = a["value"]
        if "to" in a:
            initial[f"a{i}_to"] = a["to"]
        initial[f"a{i}_subject"] = a.get("subject", "")
        initial[f"a{i}_text"] = a.get("body") or a.get("note") or ""
    return initial


def rows_for(conditions_: list[dict], actions_: list[dict]) -> tuple[int, int]:
    return (max(4, len(conditions_) + 1), max(3, len(actions_) + 1))
