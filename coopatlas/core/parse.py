"""The one parser for numbers that come from outside (query strings, forms, JSON, files).

Python's `int()` and `Decimal()` accept far more than a person means by a number: every
Unicode digit ("١٢", "５"), `str.isdigit()` says yes to "²" and "⑨" that `int()` then
refuses, `Decimal("1e1000")` is "finite" and breaks the first `quantize`, and NaN or
Infinity pass a `< 0` check. Every number from outside goes through here: ASCII digits
only, bounded, and a bad value is an `AppError` naming the field and the fix (a 422 on the
API, a form error on pages, an exit code on the CLI), never a 500.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError

# Database integer columns (PostgreSQL bigint / SQLite INTEGER): an id beyond this cannot exist.
ID_MAX = 2**63 - 1
ID_MIN = -(2**63)
_INT = re.compile(r"[+-]?[0-9]+")
# French amounts: "1 145 000,50", "1145000.50", "1 145 000 €". The separators between
# thousands may be spaces, no-break spaces (U+00A0) or narrow no-break spaces (U+202F).
_GROUPING = str.maketrans("", "", " \u00a0\u202f\u2009_")
_DECIMAL = re.compile(r"([+-]?)([0-9]+)(?:[.,]([0-9]+))?")
_MAX_TEXT = 64  # longer than any number we store: refuse before doing any work on it


class BadNumber(AppError):
    """A number refused by this module; `reason` says why, for callers that word it their way:
    "syntax" (not a number), "range" (outside the bounds), "too_large" (more digits than the
    column holds), "places" (more decimals than it keeps)."""

    def __init__(self, message: str, *, field: str, reason: str, problem: str = ""):
        super().__init__(message, field=field)
        self.reason = reason
        # The message without the field's name, for a caller that names it itself
        # (argparse says "argument --workers: …").
        self.problem = problem or message


def _refusal(field: str, problem: str, reason: str) -> BadNumber:
    return BadNumber(
        _("%(field)s : %(problem)s") % {"field": field, "problem": problem},
        field=field,
        reason=reason,
        problem=problem,
    )


def is_ascii_digits(text: str, *, max_length: int = 19) -> bool:
    """True for a non-empty run of 0-9 only (unlike `str.isdigit`, which accepts "²" and "١")."""
    return isinstance(text, str) and 0 < len(text) <= max_length and text.isascii() and text.isdigit()


def _shown(value) -> str:
    text = str(value)
    return text if len(text) <= 30 else text[:30] + "…"


def parse_int(
    value, *, field: str, minimum: int | None = None, maximum: int | None = None, hint: str = ""
) -> int:
    """An integer written with ASCII digits (an optional sign), within [minimum, maximum].

    Accepts an `int` (JSON) or a string; refuses bool, float, "²", "⑨", "١٢", "1e3", "".
    `hint` ends the message with an example of a good value."""
    if isinstance(value, bool) or value is None:
        number = None
    elif isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        # A long run of digits is still a number, only too large: say so (the range below),
        # not "not a number". Beyond _MAX_TEXT characters no work is done on it.
        number = int(text) if len(text) <= _MAX_TEXT and _INT.fullmatch(text) else None
    suffix = f" ({hint})" if hint else ""
    if number is None:
        raise _refusal(
            field,
            _("« %(value)s » n'est pas un nombre entier ; écrivez-le avec les chiffres 0 à 9%(hint)s.")
            % {"value": _shown(value), "hint": suffix},
            "syntax",
        )
    # No integer column holds more than 64 bits: that is the bound where the caller sets none.
    low_bound = ID_MIN if minimum is None else minimum
    high_bound = ID_MAX if maximum is None else maximum
    if number < low_bound or number > high_bound:
        low = "" if minimum is None else str(minimum)
        high = "" if maximum is None else str(maximum)
        if number > high_bound and maximum is None:
            high = str(ID_MAX)
        if number < low_bound and minimum is None:
            low = str(ID_MIN)
        raise _refusal(
            field,
            _(
                "%(value)s est hors des bornes (de %(low)s à %(high)s)%(hint)s ; "
                "donnez une valeur dans ces bornes."
            )
            % {"value": _shown(number), "low": low or "…", "high": high or "…", "hint": suffix},
            "range",
        )
    return number


def cli_int(text: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """argparse's `type=` for the commands' integers: the same rule as every number from
    outside (ASCII digits; Python's int() would take « ٣ » as 3). argparse names the
    option ("argument --workers: …"), so the message does not."""
    import argparse

    try:
        return parse_int(text, field="argument", minimum=minimum, maximum=maximum)
    except BadNumber as exc:
        raise argparse.ArgumentTypeError(exc.problem) from None


def parse_optional_int(
    value, *, field: str, minimum: int | None = None, maximum: int | None = None, hint: str = ""
) -> int | None:
    """As `parse_int`, but None or a blank string gives None (an optional parameter)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_int(value, field=field, minimum=minimum, maximum=maximum, hint=hint)


def parse_id(value, *, field: str) -> int:
    """A record's primary key from a URL, a form or JSON: a positive integer a column can hold."""
    return parse_int(value, field=field, minimum=1, maximum=ID_MAX)


def parse_decimal(
    value,
    *,
    field: str,
    max_digits: int,
    decimal_places: int,
    minimum: Decimal | int | None = None,
    grouping: bool = True,
) -> Decimal:
    """A decimal number that fits a `DecimalField(max_digits, decimal_places)`.

    Strings take ASCII digits, an optional sign, a point or a French comma before the
    decimals and (with `grouping`) spaces or no-break spaces between thousands; an `int`
    or a finite `Decimal`/`float` from JSON is checked the same way. Refuses NaN,
    Infinity, exponents ("1e1000"), more decimals than the column keeps and more digits
    than it holds. Returns the value quantized to `decimal_places`."""
    amount = _to_decimal(value, grouping=grouping)
    if amount is None:
        raise BadNumber(
            _(
                "%(field)s : « %(value)s » n'est pas un nombre ; écrivez-le avec les "
                "chiffres 0 à 9 et une virgule ou un point avant les décimales, comme "
                "« 1 145 000,50 »."
            )
            % {"field": field, "value": _shown(value)},
            field=field,
            reason="syntax",
        )
    whole_digits = max_digits - decimal_places
    if abs(amount) >= Decimal(10) ** whole_digits:
        raise BadNumber(
            _(
                "%(field)s : %(value)s est trop grand (au plus %(digits)s chiffres avant la "
                "virgule) ; vérifiez l'unité."
            )
            % {"field": field, "value": _shown(value), "digits": whole_digits},
            field=field,
            reason="too_large",
        )
    step = Decimal(1).scaleb(-decimal_places)
    if amount != amount.quantize(step):
        raise BadNumber(
            _("%(field)s : %(value)s a plus de %(places)s décimales ; arrondissez-le.")
            % {"field": field, "value": _shown(value), "places": decimal_places},
            field=field,
            reason="places",
        )
    if minimum is not None and amount < minimum:
        raise BadNumber(
            _(
                "%(field)s : %(value)s est inférieur au minimum %(minimum)s ; donnez une "
                "valeur d'au moins %(minimum)s."
            )
            % {"field": field, "value": _shown(value), "minimum": minimum},
            field=field,
            reason="range",
        )
    return amount.quantize(step)


def parse_optional_decimal(
    value,
    *,
    field: str,
    max_digits: int,
    decimal_places: int,
    minimum: Decimal | int | None = None,
    grouping: bool = True,
) -> Decimal | None:
    """As `parse_decimal`, but None or a blank string gives None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_decimal(
        value,
        field=field,
        max_digits=max_digits,
        decimal_places=decimal_places,
        minimum=minimum,
        grouping=grouping,
    )


def _to_decimal(value, *, grouping: bool) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Decimal(value) if abs(value) < 10**40 else None
    if isinstance(value, float | Decimal):
        try:
            amount = Decimal(str(value)) if isinstance(value, float) else value
        except InvalidOperation:
            return None
        if not amount.is_finite() or abs(amount.adjusted()) > 40:
            return None
        return amount
    text = str(value).strip()
    if len(text) > _MAX_TEXT:
        return None
    text = text.removesuffix("€").strip()
    if grouping:
        text = text.translate(_GROUPING)
    match = _DECIMAL.fullmatch(text)
    if not match:
        return None
    sign, whole, decimals = match.groups()
    return Decimal(f"{sign}{whole}.{decimals or '0'}")


# --------------------------------------------------------------------------- form fields
# Django's form fields call int()/Decimal() too ("١٢" is 12 to them, "1e1000" a Decimal):
# these go through the parsers above and keep Django's bounds, widgets and messages.

INT_COLUMN_MAX = 2**31 - 1  # PostgreSQL integer: the smallest integer column we use


class AsciiIntegerField(forms.IntegerField):
    """An IntegerField that takes ASCII digits only and never more than an integer column."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_value", INT_COLUMN_MAX)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_int(value, field=self.label or "valeur")
        except AppError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


_FRENCH = str.maketrans({",": "\u202f", ".": ","})
_INPUT_EN = str.maketrans({",": "\u202f"})


def _english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "fr").startswith("en")


def _grouped(value: Decimal, places: int | None, table) -> str:
    if places is None:
        places = 0 if value == value.to_integral_value() else 2
    # Python groups by "," and marks decimals by "."; one C-level translate gives the
    # language's marks (the committee writes 2,000 rows × 4 amounts with it).
    text = format(value, f",.{places}f")
    return text.translate(table) if table is not None else text


def amount_display(value: Decimal, *, places: int | None = 2, for_input: bool = False) -> str:
    """48000 → « 48 000,00 » in French (narrow no-break spaces, decimal comma), « 48,000.00 »
    in English. `places=None`: cents only when there are some (« 600 », « 1 340,11 »).
    `for_input`: the value of an input, grouped by narrow no-break spaces in every language
    (what `_to_decimal(grouping=True)` reads back: a comma there would read as decimals)."""
    english = _english()
    table = (_INPUT_EN if for_input else None) if english else _FRENCH
    return _grouped(Decimal(value), places, table)


def money_formatter(currency: str = "EUR", *, places: int | None = 2):
    """`money_display` with the language read once: for lists of many amounts."""
    currency = currency or "EUR"
    english = _english()
    table = None if english else _FRENCH
    if english and currency == "EUR":
        head, tail = "€", ""
    else:
        head, tail = "", "\u00a0" + ("€" if currency == "EUR" else currency)

    def write(value) -> str:
        if value is None or value == "":
            return ""
        return f"{head}{_grouped(Decimal(value), places, table)}{tail}"

    return write


def money_display(value, currency: str = "EUR", *, places: int | None = 2) -> str:
    """The one way an amount of money is written for people (pages, messages, letters):
    « 21 000,00 € » in French (narrow no-break spaces between thousands, a no-break space
    before the symbol), « €21,000.00 » in English; another currency by its code
    (« 1 200,00 XOF »). `None` or "" gives "" (an empty cell)."""
    if value is None or value == "":
        return ""
    return money_formatter(currency, places=places)(Decimal(str(value)))


class AmountField(forms.DecimalField):
    """A DecimalField that takes French amounts ("1 145 000,50") and refuses NaN, Infinity,
    exponents and unicode digits; `max_digits`/`decimal_places` keep Django's messages.
    A text input (a number input refuses « 48 000,00 »), showing amounts the French way."""

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def prepare_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            return amount_display(value, places=self.decimal_places or 0, for_input=True)
        return value

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        return _to_decimal(value, grouping=True)

    def clean(self, value):
        amount = self.to_python(value)
        if amount is None and not (value in self.empty_values or not str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().clean(amount)


def decimal_or_none(value, *, grouping: bool = False) -> Decimal | None:
    """The strict reading of `parse_decimal` for files whose checker reports gaps itself
    (IATI values): a finite Decimal written with ASCII digits, or None."""
    return _to_decimal(value, grouping=grouping)
