"""From what a person types in a plain text field to the objects the services take.

Every picker degrades to a text input that accepts a code (an authority's INSEE code,
SIREN, `iso:ML-5` or slug; a DAC sector code; an SDG target code…), one entry per line for
lists. Errors are AppError naming the form field, so they land under that field.
"""

from __future__ import annotations

import re

from django.db.models import Model
from django.utils import translation
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError
from coopatlas.core.parse import is_ascii_digits, parse_decimal
from coopatlas.core.text import is_lookup_key
from coopatlas.geo import selectors as geo
from coopatlas.reference import lookups


def lines(text: str | None) -> list[str]:
    """One entry per line (commas and semicolons also separate short codes)."""
    out = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            out.append(line)
    return out


def tokens(text: str | None) -> list[str]:
    return [t for t in re.split(r"[\s,;]+", text or "") if t]


def _head(entry: str) -> str:
    """A picker writes `code — label`: keep the code."""
    return entry.split(" — ", 1)[0].strip()


def _shown(entry) -> str:
    """What an error message quotes back: the label a picker wrote (`code — label`), the
    officer's own words otherwise, never a code the page added."""
    text = str(entry)
    return text.split(" — ", 1)[1].strip() if " — " in text else text.strip()


def one(model: type[Model], lookup: str, value, *, field: str, hint: str, entry=None):
    usable = value not in (None, "") and (not isinstance(value, str) or is_lookup_key(value))
    found = model.objects.filter(**{lookup: value}).first() if usable else None
    return _found(found, value, field=field, hint=hint, entry=entry)


def _found(found, value, *, field: str, hint: str, entry=None):
    if found is None:
        shown = _shown(entry if entry is not None else value)
        message = _("« %(value)s » introuvable ; %(hint)s") % {"value": shown[:60], "hint": hint}
        raise AppError(message, field=field)
    return found


def authority(code: str, *, field: str):
    from coopatlas.geo.selectors import authority_get

    code = _head(code)
    if code.startswith("gaz:"):  # a gazetteer entry: its authority, created on first use
        from coopatlas.geo.partners import foreign_authority_from_entry

        try:
            return foreign_authority_from_entry(code=code)
        except AppError as exc:
            raise AppError(exc.message, field=field) from exc
    try:
        return authority_get(key=code, field=field)
    except AppError as exc:
        raise AppError(exc.message, field=field) from exc


def authorities(text: str, *, field: str) -> list:
    return [authority(entry, field=field) for entry in lines(text)]


def _split_last(entry: str, *, field: str, what: str) -> tuple[str, str]:
    """`code — label ; value` or `code value`: the code and the trailing value."""
    if ";" in entry:
        head, value = entry.rsplit(";", 1)
    else:
        parts = entry.rsplit(None, 1)
        if len(parts) != 2:
            raise AppError(
                _("« %(entry)s » : ajoutez %(what)s après le code.") % {"entry": entry[:60], "what": what},
                field=field,
            )
        head, value = parts
    return _head(head), value.strip()


def _role(value: str, choices) -> str:
    """A role written as its label (« chef de file », in the page's language or in French) or
    as its code (lead): the code. Anything else is left for the service to refuse."""
    wanted = value.strip().lower()
    for code, label in choices:
        with translation.override("fr"):
            french = str(label).lower()
        if wanted in (code, str(label).lower(), french):
            return code
    return value.strip()


def participants(text: str, *, field: str = "participants") -> list[tuple]:
    """`code` (partner) or `code ; chef de file` (or `; lead`): the authority and its role."""
    from coopatlas.cooperation.models import ProjectParticipant

    out = []
    for entry in lines(text):
        role = "partner"
        if ";" in entry:
            head, role = (p.strip() for p in entry.rsplit(";", 1))
            role = _role(role, ProjectParticipant.Role.choices)
        else:
            head = entry
        out.append((authority(head, field=field), role))
    return out


def organisation(slug: str, *, field: str):
    from coopatlas.cooperation.models import Organisation

    return one(
        Organisation,
        "slug",
        _head(slug),
        field=field,
        hint=_("donnez l'identifiant d'un acteur existant, ou créez-le d'abord."),
    )


def operators(text: str, *, field: str = "operators") -> list[tuple]:
    """`slug` (implementing) or `slug ; Responsable` (or `; accountable`): actor and role."""
    from coopatlas.cooperation.models import ProjectOperator

    out = []
    for entry in lines(text):
        role = "implementing"
        head = entry
        if ";" in entry:
            head, role = (p.strip() for p in entry.rsplit(";", 1))
            role = _role(role, ProjectOperator.Role.choices)
        out.append((organisation(head, field=field), role))
    return out


def country(iso2: str, *, field: str):
    """A code (`ML`, or `ML — Mali` as the picker writes it) or a country's name as typed
    without the picker (« Mali », « Sénégal »)."""
    head = _head(iso2)
    found = lookups.country_by_code(head)
    if found is None and len(head) > 2:
        named = geo.country_search(q=head, limit=2)
        if named and named[0][0] == geo.COUNTRY_EXACT:
            found = named[0][1]
    return _found(
        found,
        _head(iso2),
        field=field,
        hint=_("tapez le nom du pays (par exemple « Mali ») et choisissez-le dans la liste proposée."),
        entry=iso2,
    )


def countries(text: str, *, field: str = "countries") -> list:
    """One country a line (the picker's `code — name`, or a name); a line of bare codes
    (« ML SN ») is still read code by code."""
    entries = []
    for line in lines(text):
        codes = tokens(line)
        if " — " not in line and all(len(c) == 2 for c in codes):
            entries += codes
        else:
            entries.append(line)
    return [country(c, field=field) for c in entries]


def areas(text: str, *, field: str = "areas") -> list:
    return [
        _found(
            lookups.area_by_code(_head(c)),
            _head(c),
            field=field,
            hint=_(
                "tapez le nom de la région ou de la province (par exemple « Mopti ») et "
                "choisissez-la dans la liste proposée, qui l'écrit « Région de Mopti (Mali) »."
            ),
            entry=c,
        )
        for c in lines(text)
    ]


def places(text: str, *, field: str = "places") -> list:
    """GeoNames ids, one per line (the picker writes `2253354 — Dakar`)."""
    from coopatlas.geo.models import Place

    out = []
    for entry in lines(text):
        code = _head(entry)
        if not is_ascii_digits(code, max_length=12):
            raise AppError(
                _(
                    "« %(code)s » n'est pas un lieu choisi dans la liste : tapez le nom "
                    "du lieu (par exemple « Dakar ») et choisissez-le parmi ceux proposés, "
                    "qui l'écrivent « Dakar (Sénégal) »."
                )
                % {"code": _shown(entry)[:60]},
                field=field,
            )
        out.append(
            one(
                Place,
                "geonames_id",
                int(code),
                field=field,
                hint=_(
                    "ce lieu n'est pas dans l'atlas ; tapez son nom et choisissez-le dans la liste proposée."
                ),
                entry=entry,
            )
        )
    return out


def partnerships(text: str, *, field: str = "partnerships") -> list:
    from coopatlas.cooperation.models import Partnership

    return [
        one(
            Partnership,
            "slug",
            _head(s),
            field=field,
            hint=_(
                "tapez le nom de l'une des collectivités et choisissez le partenariat dans la liste proposée."
            ),
            entry=s,
        )
        for s in lines(text)
    ]


def sectors(text: str, *, field: str = "sectors") -> list[tuple]:
    """`14030 ; 60` per line: the DAC sector and its percentage."""
    out = []
    for entry in lines(text):
        what = _("la part du secteur en pourcentage (par exemple 60)")
        code, pct = _split_last(entry, field=field, what=what)
        sector = _found(
            lookups.sector_by_code(code),
            code,
            field=field,
            hint=_(
                "tapez un mot du secteur (par exemple « eau potable » ou « état civil ») et "
                "choisissez-le dans la liste proposée."
            ),
            entry=entry.rsplit(";", 1)[0],
        )
        try:
            value = parse_decimal(
                pct.strip().rstrip("%").strip(),
                field=field,
                max_digits=5,
                decimal_places=2,
                minimum=0,
                grouping=False,
            )
        except AppError as exc:
            raise AppError(
                _(
                    "« %(pct)s » n'est pas un pourcentage pour le secteur « %(sector)s » ; "
                    "écrivez un nombre de 0 à 100 (60 ou 33,5)."
                )
                % {"pct": pct[:20], "sector": sector.name},
                field=field,
            ) from exc
        out.append((sector, value))
    return out


def sdg_goals(text: str, *, field: str = "sdg_goals") -> list:
    return [
        _found(
            lookups.sdg_goal_by_number(token.upper().removeprefix("ODD").strip()),
            token,
            field=field,
            hint=_("un ODD est un nombre de 1 à 17."),
        )
        for token in tokens(text)
    ]


def sdg_targets(text: str, *, field: str = "sdg_targets") -> list:
    return [
        _found(
            lookups.sdg_target_by_code(_head(c)), _head(c), field=field, hint=_("donnez une cible ODD (6.1).")
        )
        for c in lines(text)
    ]


def as_lines(values) -> str:
    return "\n".join(str(v) for v in values)
