"""Reads for geography: find an authority by code or name, an area, a country, a place.

Search uses the folded `search_name` columns (accents and case removed, see core.text.fold),
prefix first through an index-friendly range, then substring as a fallback.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coopatlas.core.errors import NotFound
from coopatlas.core.memo import per_stamp
from coopatlas.core.shapes import shaped_first
from coopatlas.core.text import fold, is_lookup_key

from .models import AdministrativeArea, AuthorityAlias, Country, LocalAuthority, Place

HOW_TO_FIND = gettext_lazy(
    "Utilisez un code INSEE de commune (93048), un SIREN à 9 chiffres, ou la forme "
    "« commune:93048 », « departement:35 », « region:53 », « siren:223500018 », "
    "« iso:ML-5 » ; sinon cherchez la collectivité par son nom."
)
COMMUNE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
DEPARTEMENT_CODE = re.compile(r"^(\d{2,3}|2[AB])$")
# Kinds listed first when names tie: the bigger authority is the likelier answer.
KIND_RANK = {
    "region": 0,
    "departement": 1,
    "statut_particulier": 2,
    "metropole": 3,
    "cu": 4,
    "ca": 5,
    "ept": 6,
    "cc": 7,
    "commune": 8,
}


def _authorities() -> QuerySet[LocalAuthority]:
    return LocalAuthority.objects.select_related("country", "area", "parent")


def _prefix(field: str, value: str) -> Q:
    # A range on the indexed column lets SQLite and PostgreSQL use the b-tree; startswith
    # keeps the result exact whatever the collation.
    return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\uffff", f"{field}__startswith": value})


def authority_get(*, key: str, field: str = "key", kind: str | None = None) -> LocalAuthority:
    """The one lookup of an authority by key (issue 8): its slug, a current or former INSEE
    code, a SIREN, or a prefixed code (`commune:93048`, `siren:…`, `iso:ML-5`). Pages, APIs,
    pickers, importers and commands all call this; NotFound names `field` and the forms."""
    key = key.strip() if isinstance(key, str) else ""
    if not is_lookup_key(key):
        raise NotFound(
            _("Identifiant de collectivité illisible. %(how)s") % {"how": HOW_TO_FIND}, field=field
        )
    found = shaped_first(_authorities().filter(slug=key), "authority_get")
    if found is not None and (not kind or found.kind == kind):
        return found
    try:
        return authority_get_by_code(code=key, kind=kind)
    except NotFound as exc:
        raise NotFound(exc.message, field=field) from exc


def authority_get_by_code(*, code: str, kind: str | None = None) -> LocalAuthority:
    """One authority from an INSEE code (current or former), a SIREN or a prefixed code."""
    raw = (code or "").strip()
    prefix, _sep, value = raw.partition(":") if ":" in raw else ("", "", raw)
    prefix, value = prefix.strip().lower(), value.strip().upper()
    kind = kind or None
    found: LocalAuthority | None = None
    if prefix == "siren" or (not prefix and value.isdigit() and len(value) == 9):
        found = _authorities().filter(siren=value).first()
    elif prefix == "iso":
        found = _authorities().filter(foreign_code__iexact=value).exclude(country_id="FR").first()
    elif prefix in ("", "commune", "departement", "region", "statut_particulier"):
        wanted = prefix or kind
        if not wanted:
            wanted = (
                "commune"
                if COMMUNE_CODE.match(value)
                else ("departement" if DEPARTEMENT_CODE.match(value) else None)
            )
        if wanted:
            found = _authorities().filter(kind=wanted, insee_code=value).first()
        if found is None and wanted == "commune":
            found = _merged_commune(value)
    elif prefix in KIND_RANK:  # metropole:200046014… — groupements are known by SIREN
        found = _authorities().filter(kind=prefix, siren=value).first()
    if found is not None and kind and found.kind != kind:
        found = None
    if found is None:
        raise NotFound(
            _("Aucune collectivité pour le code « %(raw)s »%(value)s. %(HOW_TO_FIND)s")
            % {
                "raw": raw,
                "value": _(" (type %(kind)s)") % {"kind": kind} if kind else "",
                "HOW_TO_FIND": HOW_TO_FIND,
            },
            field="code",
        )
    return found


def _merged_commune(code: str) -> LocalAuthority | None:
    """The current commune that absorbed the commune once coded `code`."""
    alias = (
        AuthorityAlias.objects.filter(kind=AuthorityAlias.Kind.FORMER_CODE, value=code)
        .select_related("authority")
        .order_by("-authority__is_current")
        .first()
    )
    return _authorities().get(pk=alias.authority_id) if alias else None


def authority_search(*, q: str, country: str | None = None, limit: int = 10) -> list[LocalAuthority]:
    """Authorities whose name, alias (former name, other spelling), INSEE code or SIREN match."""
    text = fold(q or "")
    limit = max(1, min(int(limit), 100))
    if not text:
        return []
    base = _authorities()
    if country:
        base = base.filter(country_id=country.strip().upper())
    code = (q or "").strip().upper()
    if code.isdigit() or COMMUNE_CODE.match(code) or DEPARTEMENT_CODE.match(code):
        by_code = list(base.filter(Q(insee_code=code) | Q(siren=code))[:limit])
        alias_ids = AuthorityAlias.objects.filter(kind=AuthorityAlias.Kind.FORMER_CODE, value=code).values(
            "authority_id"
        )
        by_code += [a for a in base.filter(pk__in=alias_ids) if a not in by_code]
        if by_code:
            return _ranked(by_code, text)[:limit]

    pool = 200  # enough candidates to rank "Montreuil" before "Montreuil-Bellay"
    found = {a.pk: a for a in base.filter(_prefix("search_name", text))[:pool]}
    alias_ids = AuthorityAlias.objects.filter(_prefix("search_value", text)).values_list(
        "authority_id", flat=True
    )[:pool]
    for a in base.filter(pk__in=list(alias_ids)):
        found.setdefault(a.pk, a)
    if len(found) < limit:  # then words inside the name: "saint denis" in "La Plaine-Saint-Denis"
        for a in base.filter(search_name__indexed_contains=text)[:pool]:
            found.setdefault(a.pk, a)
    return _ranked(list(found.values()), text)[:limit]


def _ranked(items: list[LocalAuthority], text: str) -> list[LocalAuthority]:
    return sorted(
        items,
        key=lambda a: (
            a.search_name != text,
            not a.search_name.startswith(text),
            not a.is_current,
            KIND_RANK.get(a.kind, 9),
            -(a.population or 0),
            a.name,
        ),
    )


def area_get(*, code: str) -> AdministrativeArea:
    value = (code or "").strip().upper()
    area = AdministrativeArea.objects.select_related("country", "parent").filter(code=value).first()
    if area is None:
        raise NotFound(
            _(
                "Aucun territoire pour le code « %(code)s ». Utilisez un code ISO 3166-2 (ML-5 "
                "pour Mopti, ML-BKO, FR-35 pour l'Ille-et-Vilaine, FR-BRE)."
            )
            % {"code": code},
            field="code",
        )
    return area


def area_search(*, q: str, country: str | None = None, limit: int = 10) -> list[AdministrativeArea]:
    text = fold(q or "")
    if not text:
        return []
    qs = AdministrativeArea.objects.select_related("country")
    if country:
        qs = qs.filter(country_id=country.strip().upper())
    hits = list(qs.filter(Q(code__iexact=q.strip()) | Q(search_name__indexed_contains=text))[:200])
    return sorted(hits, key=lambda a: (not a.search_name.startswith(text), a.level, a.code))[:limit]


COUNTRY_EXACT, COUNTRY_PREFIX, COUNTRY_CONTAINS = 0, 1, 2


def _country_names() -> list[tuple[Country, frozenset[str], frozenset[str]]]:
    """Each country with its folded names and lower-case codes, kept per data stamp in this
    process (core.memo): folding ~1,000 names took a third of a type-ahead answer."""

    def compute():
        return [
            (
                c,
                frozenset(fold(n) for n in (c.name_fr, c.name_en, c.iso_name_fr, c.iso_name_en) if n),
                frozenset({c.iso2.lower(), (c.iso3 or "").lower()}),
            )
            for c in Country.objects.all()
        ]

    return per_stamp("country_names", compute)


def country_search(*, q: str, limit: int = 10) -> list[tuple[int, Country]]:
    """Countries a text names, best first, with their rank (exact name or code, name
    starting with the text, name holding every word at the start of one of its words): the
    usual and ISO names in both languages, accents and case folded. The public search box
    and the editor's country picker both ask here. About 250 rows: matched in Python."""
    words = fold(q or "").split()
    if not words:
        return []
    head = " ".join(words)
    # each word must start a word of a name: « mali » is not « Somalie »
    starts = [re.compile(rf"(?:^|[^a-z0-9]){re.escape(w)}") for w in words]
    out = []
    for c, names, codes in _country_names():
        if (len(words) == 1 and words[0] in codes) or head in names:
            rank = COUNTRY_EXACT
        elif all(any(s.search(n) for n in names) for s in starts):
            rank = COUNTRY_PREFIX if any(n.startswith(head) for n in names) else COUNTRY_CONTAINS
        else:
            continue
        out.append((rank, c))
    out.sort(key=lambda pair: (pair[0], pair[1].name))
    return out[:limit]


def country_get(*, iso2: str) -> Country:
    value = (iso2 or "").strip().upper()
    country = Country.objects.filter(iso2=value).first()
    if country is None:
        raise NotFound(
            _(
                "Aucun pays pour le code « %(iso2)s ». Utilisez un code ISO 3166-1 alpha-2 (ML "
                "pour le Mali, BF, MG…)."
            )
            % {"iso2": iso2},
            field="iso2",
        )
    return country


def place_search(*, q: str, country: str | None = None, limit: int = 10) -> list[Place]:
    """GeoNames places by name or alternate spelling (Tombouctou finds Timbuktu)."""
    text = fold(q or "")
    if not text:
        return []
    qs = Place.objects.select_related("country", "area")
    if country:
        qs = qs.filter(country_id=country.strip().upper())
    raw = q.strip()
    hits = {p.pk: p for p in qs.filter(_prefix("search_name", text))[:100]}
    for p in qs.filter(Q(alternate_names__icontains=raw) | Q(alternate_names__icontains=text))[:100]:
        hits.setdefault(p.pk, p)
    return sorted(hits.values(), key=lambda p: (p.search_name != text, -(p.population or 0)))[:limit]


def country_labels() -> list[list]:
    """The basemap's country names in the page's language: [iso2, name, latitude,
    longitude, aid recipient (1/0)], the shipped country data's point rounded to 0.1°
    (enough to place a label). Aid recipients (a DAC code) are named before other places
    when labels would overlap: those are the partner countries people look for."""
    rows = Country.objects.filter(is_recognised=True).values_list(
        "iso2", Country.name_field(), "latitude", "longitude", "dac_code"
    )
    return [
        [
            iso2,
            name,
            None if lat is None else round(lat, 1),
            None if lon is None else round(lon, 1),
            int(bool(dac)),
        ]
        for iso2, name, lat, lon, dac in rows
    ]
