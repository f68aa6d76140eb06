"""The one error summary of every form page (editing space, accounts, declarations): all
the errors at once at the top of the page, each linked to its field, focus moved to it,
and « Erreur – » in the page title (RGAA 11.10, 11.11; WCAG 3.3.1)."""

from __future__ import annotations

from django import forms, template
from django.utils.translation import gettext as _

register = template.Library()


def _forms_of(items) -> list[forms.BaseForm]:
    out = []
    for item in items:
        if item is None or item == "":
            continue
        if isinstance(item, forms.BaseFormSet):
            out += [f for f in item.forms if f.is_bound]
            if item.is_bound:
                out.append(_FormsetErrors(item))
        elif isinstance(item, (list, tuple)):
            out += _forms_of(item)
        else:
            out.append(item)
    return out


class _FormsetErrors:
    """A formset's own errors (too many lines…) read like a form's non-field errors."""

    def __init__(self, formset):
        self.formset = formset

    @property
    def errors(self):
        return {"__all__": list(self.formset.non_form_errors())} if self.formset.non_form_errors() else {}

    fields: dict = {}


def error_entries(*items) -> list[dict]:
    """[{"href": "#id_field" or "", "label": …, "message": …}]: page-level messages (strings)
    first, then each form's errors in the order of its fields."""
    entries = [
        {"href": "", "label": "", "message": str(item)} for item in items if isinstance(item, str) and item
    ]
    for form in _forms_of(i for i in items if not isinstance(i, str)):
        errors = form.errors if getattr(form, "is_bound", True) else {}
        for name, messages in errors.items():
            bound = form[name] if name in form.fields else None
            for message in messages:
                if bound is None or bound.is_hidden:
                    entries.append({"href": "", "label": "", "message": str(message)})
                else:
                    entries.append(
                        {
                            "href": f"#{bound.id_for_label or bound.auto_id}",
                            "label": str(bound.label),
                            "message": str(message),
                        }
                    )
    return entries


@register.inclusion_tag("core/_error_summary.html")
def error_summary(*items):
    """`{% error_summary form formset page_error %}`: forms, formsets, or page-level messages."""
    return {"entries": error_entries(*items)}


@register.simple_tag
def error_title(*items) -> str:
    """« Erreur – » before the page title when the form came back with errors."""
    # Not inside an f-string: xgettext does not read calls there (it had no catalogue entry).
    return _("Erreur") + " – " if error_entries(*items) else ""
