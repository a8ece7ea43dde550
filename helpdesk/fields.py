"""Fields for one-line texts (a ticket's subject, a person's display name): whatever way a
value comes in — a form, the API, the admin, a command, a fixture — it is stored as one clean
line (tickets.text.one_line)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from rest_framework import serializers

from tickets.text import one_line


class OneLineFormField(forms.CharField):
    """A form's one-line text: cleaned before it is checked, so the length and "required"
    apply to what will be stored, and a form shown again shows that."""

    def to_python(self, value: Any) -> str:
        return one_line(super().to_python(value))


class OneLineSerializerField(serializers.CharField):
    """The API's one-line text: cleaned before it is checked, as on a form. A NUL character
    is refused, as by every other text field of the API (its schema says so)."""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if isinstance(data, str) and "\x00" not in data:
            data = one_line(data)
        return super().run_validation(data)


class OneLineCharField(models.CharField):
    def to_python(self, value: Any) -> str | None:
        value = super().to_python(value)
        return value if value is None else one_line(value)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        # Saves that skip full_clean (a service's own save, bulk_create) are cleaned too.
        value = self.to_python(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def formfield(self, **kwargs: Any) -> forms.Field:
        return super().formfield(**{"form_class": OneLineFormField, **kwargs})
