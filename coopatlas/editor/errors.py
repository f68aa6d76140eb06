"""The one place where an AppError from the services becomes form errors."""

from __future__ import annotations

import re

from django import forms

from coopatlas.core.errors import AppError

# Service field names that the forms show under another field.
ALIASES = {
    "funder": "funder",
    "links": "__all__",
    "slug": "slug",
    "source": "__all__",
    "user": "__all__",
    "version": "__all__",
    "carrier": "__all__",
}


def _strip_prefix(field: str, message: str) -> str:
    """ "sectors: percentages add up to 90" → "percentages add up to 90" under Sectors."""
    return re.sub(rf"^\s*{re.escape(field)}\s*:\s*", "", message, count=1) or message


def form_add_app_error(form: forms.BaseForm, exc: AppError, *, prefix: str = "") -> None:
    """Put each of `exc.errors` under the form field it names (else at the top of the form).

    `prefix` maps a nested service field (financing line) to a formset form's field."""
    for key, messages in (exc.errors or {"__all__": [exc.message]}).items():
        name = ALIASES.get(key, key) if key else "__all__"
        name = name.removeprefix(prefix)
        target = name if name in form.fields else None
        for message in messages:
            text = _strip_prefix(key or "", str(message)) if target else str(message)
            form.add_error(target, text)
