"""What every form of the site shares."""

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(
    form: forms.Form, error: ValidationError, *, unkeyed_field: str | None = None
) -> None:
    """Show a service's ValidationError on the form: messages keyed by one of its fields on
    that field, the others on `unkeyed_field` (None: the form as a whole)."""
    if not hasattr(error, "error_dict"):
        form.add_error(unkeyed_field, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)
