"""Query-string filters of the atlas lists, shared by the pages, the open API and IATI.

One parser for both, so `?country=ML&theme=eau-et-assainissement` means the same on a page,
its JSON/CSV twin and `/api/v1/`. Unknown parameters are ignored (links stay stable when we
add some); a known parameter with a bad value raises AppError naming it and what it accepts.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError
from coopatlas.core.parse import BadNumber, parse_int
from coopatlas.core.text import fold

PAGE_SIZE_DEFAULT = 25
PAGE_SIZE_MAX = 200
Q_MAX_LENGTH = 200
YEAR_MIN, YEAR_MAX = 1900, 2100

_ISO2 = re.compile(r"^[A-Z]{2}$")
_AREA = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
_REGION = re.compile(r"^[0-9]{2}$")
_DEPARTEMENT = re.compile(r"^([0-9]{2}|2[AB]|97[0-9])$")
_TOKEN = re.compile(r"^[a-z0-9_-]{1,120}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class AtlasFilters:
    q: str = ""
    country: str | None = None
    area: str | None = None
    french_region: str | None = None
    french_departement: str | None = None
    kind: str | None = None
    authority_kind: str | None = None
    theme: str | None = None
    sdg: int | None = None
    status: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    page: int = 1
    page_size: int = PAGE_SIZE_DEFAULT
    # Keyset cursor: the sort key of the last row seen (`next_after` of the page before).
    # A deep page then costs what the first one does, where OFFSET reads every row before it.
    after: str = ""

    @property
    def words(self) -> list[str]:
        """The folded words of q: every one must match (AND), each anywhere it applies."""
        return fold(self.q).split()

    def as_params(self) -> dict[str, str]:
        """The non-default filters as query-string values (for links and facet URLs)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, "") or (f.name, value) in (("page", 1), ("page_size", PAGE_SIZE_DEFAULT)):
                continue
            out[f.name] = str(value)
        return out

    def replace(self, **changes) -> AtlasFilters:
        return AtlasFilters(**{**asdict(self), **changes})


def _text(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):  # a QueryDict gives str; a plain dict might not
        value = str(value)
    # PostgreSQL refuses NUL in strings, and control characters never belong in a filter.
    return _CONTROL.sub(" ", value).strip()


def _int(params: Mapping[str, str], name: str, *, low: int, high: int, hint: str) -> int | None:
    raw = _text(params, name)
    if raw == "":
        return None
    try:  # the one parser of numbers from outside: ASCII digits only, bounded
        value = parse_int(raw, field=name, minimum=low, maximum=high)
    except BadNumber as exc:
        if exc.reason == "syntax":
            raise AppError(
                _("« %(name)s » doit être un nombre entier (%(hint)s) ; reçu « %(raw)s ».")
                % {"name": name, "hint": hint, "raw": raw[:40]},
                field=name,
            ) from exc
        raise AppError(
            _("« %(name)s » doit être compris entre %(low)s et %(high)s (%(hint)s) ; reçu %(raw)s.")
            % {"name": name, "low": low, "high": high, "hint": hint, "raw": raw[:40]},
            field=name,
        ) from exc
    return value


def _code(params: Mapping[str, str], name: str, pattern: re.Pattern, *, upper: bool, hint: str) -> str | None:
    raw = _text(params, name)
    if raw == "":
        return None
    value = raw.upper() if upper else raw.lower()
    if not pattern.match(value):
        raise AppError(
            _("« %(name)s » : valeur « %(raw)s » non reconnue ; attendu %(hint)s.")
            % {"name": name, "raw": raw[:40], "hint": hint},
            field=name,
        )
    return value


def filters_from_params(params: Mapping[str, str]) -> AtlasFilters:
    """Parse and check the query string. Raises AppError(field=<param>) on a bad value.

    Codes are checked against the database (country, area, région, département, theme) so
    that `country=XX` says "unknown" instead of silently answering nothing.
    """
    q = _text(params, "q")
    if len(q) > Q_MAX_LENGTH:
        raise AppError(
            _("« q » : la recherche est limitée à %(Q_MAX_LENGTH)s caractères (reçu %(count)s).")
            % {"Q_MAX_LENGTH": Q_MAX_LENGTH, "count": len(q)},
            field="q",
        )
    year_from = _int(params, "year_from", low=YEAR_MIN, high=YEAR_MAX, hint=_("une année, ex. 2010"))
    year_to = _int(params, "year_to", low=YEAR_MIN, high=YEAR_MAX, hint=_("une année, ex. 2020"))
    if year_from and year_to and year_from > year_to:
        raise AppError(
            _("« year_from » (%(year_from)s) est postérieure à « year_to » (%(year_to)s).")
            % {"year_from": year_from, "year_to": year_to},
            field="year_from",
        )
    filters = AtlasFilters(
        q=q,
        country=_code(
            params,
            "country",
            _ISO2,
            upper=True,
            hint=_("un code pays ISO 3166-1 alpha-2, ex. ML pour le Mali"),
        ),
        area=_code(
            params,
            "area",
            _AREA,
            upper=True,
            hint=_("un code de subdivision ISO 3166-2, ex. ML-5 pour la région de Mopti"),
        ),
        french_region=_code(
            params,
            "french_region",
            _REGION,
            upper=True,
            hint=_("un code INSEE de région, ex. 53 pour la Bretagne"),
        ),
        french_departement=_code(
            params,
            "french_departement",
            _DEPARTEMENT,
            upper=True,
            hint=_("un code INSEE de département, ex. 35, 2A ou 971"),
        ),
        kind=_code(params, "kind", _TOKEN, upper=False, hint=_("un type, ex. cooperation")),
        authority_kind=_code(
            params, "authority_kind", _TOKEN, upper=False, hint=_("un type de collectivité, ex. commune")
        ),
        theme=_code(
            params,
            "theme",
            _TOKEN,
            upper=False,
            hint=_("le slug d'une thématique, ex. eau-et-assainissement"),
        ),
        sdg=_int(params, "sdg", low=1, high=17, hint=_("un numéro d'ODD de 1 à 17")),
        status=_code(params, "status", _TOKEN, upper=False, hint=_("un statut, ex. active")),
        year_from=year_from,
        year_to=year_to,
        page=_int(params, "page", low=1, high=10**6, hint=_("1 pour la première page")) or 1,
        page_size=_int(
            params, "page_size", low=1, high=PAGE_SIZE_MAX, hint=_("de 1 à %(max)s") % {"max": PAGE_SIZE_MAX}
        )
        or PAGE_SIZE_DEFAULT,
        after=_after(params),
    )
    _check_codes_exist(filters)
    return filters


AFTER_MAX_LENGTH = 400


def _after(params: Mapping[str, str]) -> str:
    raw = _text(params, "after")
    if raw and (len(raw) > AFTER_MAX_LENGTH or cursor_decode(raw) is None):
        raise AppError(
            _(
                "« after » : curseur « %(raw)s » illisible ; reprenez la valeur « next_after » "
                "de la page précédente, ou retirez ce paramètre pour la première page."
            )
            % {"raw": raw[:40]},
            field="after",
        )
    return raw


def cursor_encode(values: list) -> str:
    """The sort key of a row as a URL-safe token (JSON in base64, no padding)."""
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def cursor_decode(token: str) -> list | None:
    """The values of a cursor, or None when it is not one of ours."""
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or not all(v is None or isinstance(v, str | int) for v in values):
        return None
    return values


def _check_codes_exist(filters: AtlasFilters) -> None:
    from coopatlas.geo.models import AdministrativeArea, Country, LocalAuthority
    from coopatlas.reference.models import Theme

    if filters.country and not Country.objects.filter(iso2=filters.country).exists():
        raise AppError(
            _(
                "« country » : aucun pays de code « %(country)s » ; utilisez un code "
                "ISO 3166-1 alpha-2, ex. ML pour le Mali, BF pour le Burkina Faso."
            )
            % {"country": filters.country},
            field="country",
        )
    if filters.area and not AdministrativeArea.objects.filter(code=filters.area).exists():
        raise AppError(
            _(
                "« area » : aucun territoire de code « %(area)s » ; utilisez un code "
                "ISO 3166-2, ex. ML-5 (Mopti)."
            )
            % {"area": filters.area},
            field="area",
        )
    for name, kind in (("french_region", "region"), ("french_departement", "departement")):
        code = getattr(filters, name)
        if code and not LocalAuthority.objects.filter(country_id="FR", kind=kind, insee_code=code).exists():
            what = _("aucune région") if kind == "region" else _("aucun département")
            raise AppError(
                _("« %(name)s » : %(what)s de code INSEE « %(code)s ».")
                % {"name": name, "what": what, "code": code},
                field=name,
            )
    if filters.theme and not Theme.objects.filter(slug=filters.theme).exists():
        raise AppError(
            _(
                "« theme » : aucune thématique « %(theme)s » ; les slugs figurent "
                "dans les facettes « theme » des listes."
            )
            % {"theme": filters.theme},
            field="theme",
        )


def check_choice(*, field: str, value: str | None, choices) -> str | None:
    """Check a kind/status against the choices of the list it filters (they differ per list)."""
    if value is None:
        return None
    allowed = [c for c, _ in choices]
    if value not in allowed:
        raise AppError(
            _("« %(field)s » : valeur « %(value)s » non reconnue ici ; valeurs acceptées : %(allowed)s.")
            % {"field": field, "value": value, "allowed": ", ".join(allowed)},
            field=field,
        )
    return value
