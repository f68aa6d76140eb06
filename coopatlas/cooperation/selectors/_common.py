"""Shared helpers: what the public sees, links, labels, references to records."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from urllib.parse import quote

from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.translation import get_language

from coopatlas.core.memo import in_request, per_stamp
from coopatlas.core.text import is_lookup_key  # noqa: F401 (re-exported)
from coopatlas.geo.models import (
    AdministrativeArea,
    AuthorityKind,
    Country,
    LocalAuthority,
)
from coopatlas.reference.models import Theme

from ..models import (
    Organisation,
    PublicationStatus,
)

PUBLISHED = PublicationStatus.PUBLISHED
# What the public sees is defined once, on the records: `Model.objects.public()` and
# `Model.public_q(relation)` (cooperation/models.py, Record).

FACET_LIMIT = 50  # long facets (areas, départements) keep their biggest values
DETAIL_LIST_LIMIT = 200  # related lists on a fiche; the count is always given in full
COUNTRY_LIST_LIMIT = 100
_CODE_WORD = re.compile(r"^[0-9][0-9ab]{1,8}$")
_PLACEHOLDER = "zzkeyzz"
_INT_PLACEHOLDER = 987654321987654321

# --------------------------------------------------------------------------------------
# Small formatting helpers
# --------------------------------------------------------------------------------------

_url_cache: dict[tuple, str | None] = {}


def _template(name: str, kwarg: str | None) -> str | None:
    """The route with _PLACEHOLDER where its argument goes; `<int:…>` routes refuse a
    string, so they are reversed with a number and the number swapped for the placeholder."""
    if not kwarg:
        try:
            return reverse(name)
        except NoReverseMatch:  # a page another part has not built yet
            return None
    for sample in (_PLACEHOLDER, _INT_PLACEHOLDER):
        try:
            return reverse(name, kwargs={kwarg: sample}).replace(str(sample), _PLACEHOLDER)
        except NoReverseMatch:
            continue
    return None


def _url(name: str, kwarg: str | None = None, value: str | None = None) -> str | None:
    """reverse() once per route and language, then fill in: the map has 20,000 links."""
    key = (name, kwarg, get_language(), get_script_prefix())
    if key not in _url_cache:
        _url_cache[key] = _template(name, kwarg)
    template = _url_cache[key]
    if template is None:
        return None
    return template.replace(_PLACEHOLDER, quote(str(value), safe="")) if kwarg else template


def _url_maker(name: str, kwarg: str):
    """One reverse() for a whole list of links: `make(value)` only fills the prefix in
    (the map's 8,000 links spent most of their time in per-link thread-local lookups)."""
    template = _url(name, kwarg, _PLACEHOLDER)
    if template is None:
        return lambda value: None
    head, _sep, tail = template.partition(_PLACEHOLDER)
    return lambda value: f"{head}{quote(str(value), safe='')}{tail}"


def _money(value: Decimal | None) -> str | None:
    # The machine form of the JSON and CSV ("342405.50"), read back by programs; people
    # read amounts through core.parse.money_display.
    return None if value is None else f"{value:.2f}"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _number(value: Decimal) -> str:
    """58.00 → '58' (a count), 342405.50 → '342405.50'."""
    return str(int(value)) if value == value.to_integral_value() else f"{value:.2f}"


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _country_name_field() -> str:
    return Country.name_field()


def _p(prefix: str, name: str) -> str:
    return f"{prefix}__{name}" if prefix else name


def _country_dict(country: Country | None) -> dict | None:
    if country is None:
        return None
    return {
        "iso2": country.iso2,
        "name": country.name,
        "label": country.name,
        "html_url": _url("atlas:country", "slug", country.slug),
        "api_url": _url("api:country_summary", "iso2", country.iso2),
    }


def _area_dict(area: AdministrativeArea | None) -> dict | None:
    if area is None:
        return None
    return {
        "code": area.code,
        "name": area.display_name,
        "label": area.display_name,
        "level": area.level,
        "html_url": _url("atlas:area", "code", area.code),
    }


# What authority_ref and _organisation_ref read of an embedded row: `.only()` them on
# rows shown by name (a payment's parties), the columns a query builds being its cost.
AUTHORITY_REF_FIELDS = (
    "name", "kind", "country", "insee_code", "siren", "foreign_code", "area__code", "slug",
)  # fmt: skip
ORGANISATION_REF_FIELDS = ("name", "acronym", "kind", "slug")


# and what partner_side_of reads of a party or participant
PARTY_FIELDS = (*AUTHORITY_REF_FIELDS, "to_verify", "verified_at")


def ref_fields(relation: str, fields: tuple[str, ...]) -> list[str]:
    return [f"{relation}__{name}" for name in fields]


def all_fields(model) -> list[str]:
    """Every column of `model`, for `.only()` with a related row's few columns."""
    return [f.name for f in model._meta.concrete_fields]


def authority_ref(authority: LocalAuthority) -> dict:
    """How an authority appears inside another record (a party, a member, a funder)."""
    country = _authority_country(authority)
    return {
        "name": authority.name,
        "label": f"{authority.name} ({authority.country_id})",
        "kind": authority.kind,
        "kind_label": _label(AuthorityKind, authority.kind),
        "country": authority.country_id,
        "country_name": country.name,
        "is_french": authority.country_id == "FR",
        "insee_code": authority.insee_code,
        "siren": authority.siren,
        "foreign_code": authority.foreign_code or None,
        "area": authority.area.code if authority.area_id else None,
        "slug": authority.slug,
        "html_url": _url("atlas:authority", "slug", authority.slug),
        "api_url": _url("api:authority_detail", "key", authority.slug),
    }


def _organisation_ref(org: Organisation) -> dict:
    return {
        "name": org.name,
        "acronym": org.acronym,
        "label": str(org),
        "kind": org.kind,
        "kind_label": _label(Organisation.Kind, org.kind),
        "slug": org.slug,
        "html_url": _url("atlas:organisation", "slug", org.slug),
        "api_url": _url("api:organisation_detail", "slug", org.slug),
    }


def _theme_dict(theme: Theme) -> dict:
    return {"slug": theme.slug, "name": theme.name, "label": theme.name, "level": theme.level}


def _theme_path_dict(theme: Theme, themes_by_id: dict[int, Theme]) -> dict:
    path, node = [], theme
    while node is not None:
        path.append(node)
        node = themes_by_id.get(node.parent_id)
    out = _theme_dict(theme)
    out["path"] = [_theme_dict(t) for t in reversed(path)]
    out["label"] = " › ".join(t.name for t in reversed(path))
    return out


def _themes_by_id() -> dict[int, Theme]:
    """The theme tree, read once per data stamp in this process (core.memo); read-only."""
    return per_stamp("themes_by_id", lambda: {t.id: t for t in Theme.objects.all()})


def _countries_by_iso2() -> dict[str, Country]:
    """The countries, read once per data stamp in this process (core.memo); read-only."""
    return per_stamp("countries_by_iso2", lambda: {c.iso2: c for c in Country.objects.all()})


def authority_joins(relation: str = "") -> list[str]:
    """What an embedded authority joins for authority_ref: its area, and its country unless
    the kept copy serves it, i.e. in a request, which reads the stamp once (a selector
    called elsewhere would read the stamp for each authority)."""
    joins = [_p(relation, "area")]
    if not in_request():
        joins.append(_p(relation, "country"))
    return joins


def _authority_country(authority: LocalAuthority) -> Country:
    """The authority's country: joined by the query that read it, else the kept copy
    (embedded authorities are read without the join: issue 15)."""
    field = LocalAuthority._meta.get_field("country")
    if field.is_cached(authority):
        return authority.country
    country = _countries_by_iso2().get(authority.country_id)
    return country if country is not None else authority.country


def _theme_subtree_ids(slug: str, themes_by_id: dict[int, Theme]) -> list[int]:
    children = defaultdict(list)
    root = None
    for t in themes_by_id.values():
        children[t.parent_id].append(t.id)
        if t.slug == slug:
            root = t.id
    if root is None:
        return []
    out, todo = [], [root]
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(children[node])
    return out
