from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.fields import OneLineFormField
from tickets.forms import MultipleFileField, ReportDayField, clean_report_range
from tickets.models import Category

from .models import (
    QUERY_MAX_LENGTH,
    REASON_MAX_LENGTH,
    TAGS_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Visibility,
)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the help centre"), max_length=QUERY_MAX_LENGTH, required=False
    )


class ArticleForm(forms.Form):
    title = OneLineFormField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    body_markdown = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_("Markdown: ## headings, - lists, `code`, [links](https://…)."),
    )
    category = forms.ModelChoiceField(
        label=_("Service"), queryset=Category.objects.all(), required=False
    )
    tags = forms.CharField(
        label=_("Tags"),
        max_length=TAGS_MAX_LENGTH,
        required=False,
        help_text=_("Separated by commas."),
    )
    visibility = forms.ChoiceField(label=_("Who may read it"), choices=Visibility.choices)
    slug = forms.SlugField(
        label=_("Address"),
        required=False,
        max_length=80,
        help_text=_("Change it only if you must: the old address keeps redirecting."),
    )


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label=_("Did this answer your question?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
    )
    reason = forms.CharField(
        label=_("What was missing? (optional)"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ArticleImagesForm(forms.Form):
    # "attachments": the field tickets.uploads names in what it refuses.
    attachments = MultipleFileField(
        label=_("Images"),
        help_text=_("PNG, JPEG, GIF or WebP, checked as ticket attachments are."),
    )


class ReportRangeForm(forms.Form):
    """The deflection report's days, read as the ticket reports read theirs."""

    start = ReportDayField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = ReportDayField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))

    def clean(self):
        data = super().clean()
        clean_report_range(self, data)
        return data
