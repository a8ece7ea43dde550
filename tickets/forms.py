"""Forms parse and check input; the services decide."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Category
from .status import Priority


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
    return MultipleFileField(
        label=_("Attachments"),
        help_text=_("Up to %(count)s files, %(size)s MB each: screenshots, logs, documents.")
        % {"count": settings.ATTACHMENT_MAX_FILES, "size": settings.ATTACHMENT_MAX_BYTES >> 20},
    )


CUSTOMER_PRIORITIES = [(p.value, p.label) for p in (Priority.LOW, Priority.NORMAL, Priority.HIGH)]


class TicketForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
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
        max_length=20000,
        help_text=_("What you did, what you expected, what happened instead, any error message."),
    )
    attachments = _attachments_field()


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}), max_length=20000
    )
    attachments = _attachments_field()


class ActionForm(forms.Form):
    """A workflow button: which action, the version the page showed, and a reason if asked."""

    action = forms.CharField(max_length=32)
    version = forms.IntegerField(min_value=1)
    note = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


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
        max_length=2000,
    )
