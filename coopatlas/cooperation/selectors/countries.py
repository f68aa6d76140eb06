"""The country fiche."""

from __future__ import annotations

from urllib.parse import quote

from django.utils.translation import gettext as _

from coopatlas.core.errors import NotFound
from coopatlas.core.freshness import count_once, first_rows
from coopatlas.core.models import PublishedFigure
from coopatlas.geo.models import (
    AdministrativeArea,
    AuthorityKind,
    Country,
    CountryOdaStatus,
    CountryProfile,
)

from ..models import (
    Contact,
    PartnerRequest,
    Partnership,
    PartnershipParty,
    PartnershipStatus,
    Programme,
    Project,
)
from ._common import (
    COUNTRY_LIST_LIMIT,
    _country_dict,
    _label,
    _number,
    _themes_by_id,
    _url,
    is_lookup_key,
)
from ._facets import _facet_authority_kinds, _facet_grouped, _facet_themes
from ._filters import _level1_area_code
from ._sources import _sources, source_dict, sources_for
from .partnerships import _partnership_rows, _partnership_summary, _partnerships_base
from .programmes import _programme_rows, _programme_summary
from .projects import in_country_q
from .requests import _contact_dict, _contact_rows, _figure_dict, _partner_request_summary, _request_rows

# --------------------------------------------------------------------------------------
# Country fiche
# --------------------------------------------------------------------------------------


def country_get(*, iso2: str) -> Country:
    code = (iso2 or "").upper()
    country = Country.objects.filter(iso2=code).first() if len(code) == 2 and is_lookup_key(code) else None
    if country is None:
        raise NotFound(
            _("Aucun pays de code « %(iso2)s » : utilisez un code ISO 3166-1 alpha-2, ex. ML pour le Mali.")
            % {"iso2": str(iso2)[:20]},
            field="iso2",
        )
    return country


def country_summary(*, iso2: str) -> dict:
    """The country's cooperation: figures the atlas counts next to the figures documents
    publish. The fiche adds other apps' parts to it (atlas.selectors.country_page)."""
    country = country_get(iso2=iso2)
    active = _partnerships_base().filter(
        status=PartnershipStatus.ACTIVE,
        id__in=PartnershipParty.objects.filter(authority__country=country).values("partnership_id"),
    )
    all_partnerships = _partnerships_base().filter(
        id__in=PartnershipParty.objects.filter(authority__country=country).values("partnership_id")
    )
    published = list(
        PublishedFigure.objects.filter(country=country)
        .select_related("source__document")
        .order_by("metric", "dimension", "dimension_value", "year")
    )
    active_ids = active.values("id")
    french = PartnershipParty.objects.filter(partnership_id__in=active_ids, authority__country_id="FR")
    foreign = PartnershipParty.objects.filter(partnership_id__in=active_ids, authority__country=country)
    by_kind = _facet_authority_kinds(french, "authority__kind", "partnership_id")
    by_area = _facet_grouped(foreign, _level1_area_code("authority__area"), "partnership_id")
    projects = Project.objects.atlas().filter(in_country_q(country.iso2))
    active_count = count_once(active)
    themes_by_id = _themes_by_id()
    return {
        "country": _country_block(country),
        "profile": _profile_dict(country),
        "figures": {
            "active_partnerships": {"counted": active_count, "published": _published_for(published, "", "")},
            "partnerships": count_once(all_partnerships),
            "projects": count_once(projects),
            "french_authorities": count_once(french.values("authority_id").distinct()),
            "partner_authorities": count_once(foreign.values("authority_id").distinct()),
            "by_french_kind": _side_by_side(
                [(r["value"], r["label"], r["count"]) for r in by_kind],
                published,
                "french_kind",
                lambda v: _label(AuthorityKind, v),
            ),
            "by_area": _side_by_side(_area_labels(by_area), published, "partner_area", _area_label),
        },
        "published_figures": [_figure_dict(x) for x in published],
        "themes": _facet_themes(
            Partnership.themes.through.objects.filter(partnership_id__in=all_partnerships.values("id")),
            "partnership_id",
            themes_by_id,
        ),
        "active_partnerships": [
            _partnership_summary(p)
            for p in sources_for(first_rows(_partnership_rows(active), COUNTRY_LIST_LIMIT))
        ],
        "active_partnerships_list_url": _list_url(
            "atlas:partnership_list", country=country.iso2, status="active"
        ),
        # Who works here, with whom: every public partnership whatever its status (issue 13;
        # the fiche listed only the active ones and its "all" link filtered on them).
        "partnerships": [
            _partnership_summary(p)
            for p in sources_for(first_rows(_partnership_rows(all_partnerships), COUNTRY_LIST_LIMIT))
        ],
        "partnerships_list_url": _list_url("atlas:partnership_list", country=country.iso2),
        "partner_requests": [
            _partner_request_summary(r)
            for r in sources_for(
                first_rows(
                    _request_rows(PartnerRequest.objects.public().filter(authority__country=country)),
                    COUNTRY_LIST_LIMIT,
                )
            )
        ],
        "programmes": [
            _programme_summary(p)
            for p in sources_for(
                first_rows(
                    _programme_rows(Programme.objects.public().filter(countries=country)).order_by(
                        "-is_open", "title"
                    ),
                    COUNTRY_LIST_LIMIT,
                )
            )
        ],
        "contacts": [
            _contact_dict(c) for c in sources_for(_contact_rows(Contact.objects.filter(country=country)))
        ],
        "html_url": _url("atlas:country", "slug", country.slug),
        "api_url": _url("api:country_summary", "iso2", country.iso2),
    }


def _country_block(country: Country) -> dict:
    oda = CountryOdaStatus.objects.filter(country=country).order_by("-year").first()
    return {
        **_country_dict(country),
        "iso3": country.iso3,
        "slug": country.slug,
        "name_fr": country.name_fr,
        "name_en": country.name_en,
        "dac_code": country.dac_code,
        "is_least_developed": country.is_least_developed,
        "is_cicid_priority": country.is_cicid_priority,
        "oda_status": {
            "year": oda.year,
            "category": oda.category,
            "label": oda.get_category_display(),
            "is_eligible": oda.is_eligible,
        }
        if oda
        else None,
        "latitude": country.latitude,
        "longitude": country.longitude,
    }


def _profile_dict(country: Country) -> dict | None:
    profile = CountryProfile.objects.filter(country=country).select_related("source__document").first()
    if profile is None:
        return None
    return {
        "summary": profile.summary,
        "history": profile.history,
        "context": profile.context,
        "embassy_service": profile.embassy_service,
        "source": source_dict(profile.source),
        "sources": _sources(profile),
    }


def _published_for(published, dimension: str, value: str) -> list[dict]:
    return [
        _figure_dict(x)
        for x in published
        if x.metric == "active_partnerships" and x.dimension == dimension and x.dimension_value == value
    ]


def _area_labels(pairs) -> list[tuple]:
    names = {
        a.code: a.display_name for a in AdministrativeArea.objects.filter(code__in=[v for v, _ in pairs])
    }
    return [(v, names.get(v, v), n) for v, n in pairs]


def _area_label(code: str) -> str:
    area = AdministrativeArea.objects.filter(code=code).first()
    return area.display_name if area else code


def _side_by_side(counted: list[tuple], published, dimension: str, label_of) -> list[dict]:
    """One row per value, counted by the atlas and (if a document gives it) published."""
    rows = {v: {"value": v, "label": label, "counted": n, "published": None} for v, label, n in counted}
    for x in published:
        if x.metric != "active_partnerships" or x.dimension != dimension:
            continue
        row = rows.setdefault(
            x.dimension_value,
            {
                "value": x.dimension_value,
                "label": label_of(x.dimension_value),
                "counted": 0,
                "published": None,
            },
        )
        row["published"] = _number(x.value)
        row["published_source"] = source_dict(x.source)
    return sorted(rows.values(), key=lambda r: (-r["counted"], r["label"]))


def _list_url(name: str, **params) -> str | None:
    base = _url(name)
    if base is None:
        return None
    return base + "?" + "&".join(f"{k}={quote(str(v))}" for k, v in params.items())
