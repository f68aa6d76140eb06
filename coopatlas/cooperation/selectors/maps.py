"""The partnership map (GeoJSON)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import (
    Case,
    CharField,
    F,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from coopatlas.core.freshness import cached_read
from coopatlas.geo.models import (
    AdministrativeArea,
    Country,
    LocalAuthority,
)

from ..models import (
    PartnershipParty,
)
from ._common import _url, _url_maker
from ._filters import _level1_area_code
from .countries import country_get
from .partnerships import _partnerships_base
from .search import _rounded

# Above this many partnerships the map of all countries is drawn as an overview (French
# région × partner country): 10,000 individual links weigh 5 MB, the overview about 200 KB.
MAP_DETAIL_LIMIT = 1500


@dataclass(frozen=True)
class _Spot:
    """The partner end of an overview line: a country, or a region of one country."""

    name: str
    latitude: float | None
    longitude: float | None
    key: str  # slug of the country page, or code of the region page
    iso2: str


def partnerships_geojson(*, country: str | None = None, overview: bool | None = None) -> dict:
    """The partnership map's data: detailed per authority, or an overview at large scale.

    Without a country and above MAP_DETAIL_LIMIT partnerships (or with overview=True) the
    links are grouped by French région and partner country; each feature carries `w`, the
    number of partnerships it stands for, and links to the filtered list.
    """
    return cached_read(
        f"map:{country}:{overview}", lambda: _partnerships_geojson(country=country, overview=overview)
    )


def _partnerships_geojson(*, country: str | None, overview: bool | None) -> dict:
    if country:
        country_get(iso2=country)
        country = country.upper()
    if overview is None:
        overview = _partnership_ids(country).count() > MAP_DETAIL_LIMIT
    if overview:
        grouped = _partnerships_geojson_overview(country=country)
        # A country whose partner authorities have no region with coordinates keeps the
        # detailed map rather than an empty one.
        if grouped["features"] or country is None:
            return grouped
    return _partnerships_geojson_detail(country=country)


def _partnership_ids(country: str | None):
    qs = _partnerships_base()
    if country:
        qs = qs.filter(
            id__in=PartnershipParty.objects.filter(authority__country_id=country).values("partnership_id")
        )
    return qs


def _french_region_area():
    """The région's area of a French authority: its area, or that area's parent (département)."""
    return Case(
        When(authority__area__level__gte=2, then=F("authority__area__parent_id")),
        default=F("authority__area_id"),
    )


def _overview_pairs(country: str | None) -> dict[tuple, int]:
    """{(French région area id, partner country or partner region code): partnerships}."""
    # The partner's region (three joins) only for one country's map.
    partner_area = _level1_area_code("authority__area") if country else Value(None, CharField())
    rows = (
        PartnershipParty.objects.filter(partnership_id__in=_partnership_ids(country).values("id"))
        .annotate(region_area=_french_region_area(), partner_area=partner_area)
        .values_list("partnership_id", "authority__country_id", "region_area", "partner_area")
    )
    french: dict[int, set] = defaultdict(set)
    foreign: dict[int, set] = defaultdict(set)
    for pid, iso, region_area, partner_area in rows.iterator(chunk_size=5000):
        if iso == "FR":
            if region_area:
                french[pid].add(region_area)
        elif country is None:
            foreign[pid].add(iso)
        elif partner_area:
            foreign[pid].add(partner_area)
    pairs: dict[tuple, int] = defaultdict(int)
    for pid, regions in french.items():
        for region in regions:
            for iso in foreign.get(pid, ()):
                pairs[(region, iso)] += 1
    return dict(pairs)


def _partnerships_geojson_overview(*, country: str | None = None) -> dict:
    """French région × partner country; for one country, French région × partner region
    (its level-1 area), so a country of thousands of partnerships stays a small map."""
    # The counts are in no language: read once per stamp, the English map reuses them.
    pairs = cached_read(f"map-pairs:{country}", lambda: _overview_pairs(country), per_language=False)
    areas = {
        a["id"]: a
        for a in AdministrativeArea.objects.filter(id__in={r for r, _ in pairs}).values(
            "id", "name", "name_fr", "latitude", "longitude"
        )
    }
    region_codes = dict(
        LocalAuthority.objects.filter(
            country_id="FR", kind="region", area_id__in=areas, is_synthetic=False
        ).values_list("area_id", "insee_code")
    )
    if country is None:
        countries = {
            c.iso2: _Spot(c.name, c.latitude, c.longitude, c.slug, c.iso2)
            for c in Country.objects.filter(iso2__in={i for _, i in pairs})
        }
        spot_url = _url_maker("atlas:country", "slug")
    else:
        countries = {
            a.code: _Spot(a.display_name, a.latitude, a.longitude, a.code, country)
            for a in AdministrativeArea.objects.filter(code__in={i for _, i in pairs})
        }
        spot_url = _url_maker("atlas:area", "code")
    list_url = _url("atlas:partnership_list")
    features, weights_fr, weights_xx = [], defaultdict(int), defaultdict(int)
    for (region, iso), n in sorted(pairs.items()):
        area, partner = areas.get(region), countries.get(iso)
        if not area or area["latitude"] is None or not partner or partner.latitude is None:
            continue
        weights_fr[region] += n
        weights_xx[iso] += n
        params = {"country": iso} if country is None else {"country": country, "area": iso}
        if region_codes.get(region):
            params["french_region"] = region_codes[region]
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [
                        [_rounded(area["longitude"]), _rounded(area["latitude"])],
                        [_rounded(partner.longitude), _rounded(partner.latitude)],
                    ],
                },
                "properties": {
                    "t": f"{area['name_fr'] or area['name']} – {partner.name} ({n})",
                    "u": list_url + "?" + urlencode(params),
                    "w": n,
                },
            }
        )
    for region, n in weights_fr.items():
        area = areas[region]
        code = region_codes.get(region)
        region_params = {"french_region": code} if code else {}
        if country:
            region_params["country"] = country
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [_rounded(area["longitude"]), _rounded(area["latitude"])],
                },
                "properties": {
                    "n": f"{area['name_fr'] or area['name']} ({n})",
                    "k": "fr",
                    "c": "FR",
                    "u": list_url + ("?" + urlencode(region_params) if region_params else ""),
                    "w": n,
                },
            }
        )
    for iso, n in weights_xx.items():
        partner = countries[iso]
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [_rounded(partner.longitude), _rounded(partner.latitude)],
                },
                "properties": {
                    "n": f"{partner.name} ({n})",
                    "k": "partner",
                    "c": partner.iso2,
                    "u": spot_url(partner.key),
                    "w": n,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "overview": True,
        "features": features,
        "keys": {
            "t": "title",
            "u": "html_url",
            "n": "name",
            "c": "country",
            "k": "side",
            "w": "partnerships",
        },
    }


def _partnerships_geojson_detail(*, country: str | None = None) -> dict:
    """Lines between each French party and each foreign party, and a point per authority.

    Short property names keep a big country's map small: t title, u page, s status,
    f French authority, p partner, pc its country; on points n name, u page, c country, k 'fr'|'partner',
    m number of partnerships. Coordinates are rounded to 4 decimals (about 11 m).
    """
    qs = _partnership_ids(country)
    partnership_url = _url_maker("atlas:partnership", "slug")
    authority_url = _url_maker("atlas:authority", "slug")
    rows = (
        PartnershipParty.objects.filter(partnership_id__in=qs.values("id"))
        .values_list(
            "partnership_id",
            "partnership__title",
            "partnership__slug",
            "partnership__status",
            "authority_id",
            "authority__name",
            "authority__slug",
            "authority__country_id",
            Coalesce("authority__latitude", "authority__area__latitude", "authority__country__latitude"),
            Coalesce("authority__longitude", "authority__area__longitude", "authority__country__longitude"),
        )
        .order_by("partnership_id", "authority_id")
    )
    partnerships: dict[int, dict] = {}
    points: dict[int, list] = {}
    for pid, title, slug, status, aid, name, aslug, iso, lat, lon in rows.iterator(chunk_size=5000):
        entry = partnerships.setdefault(
            pid, {"t": title, "u": partnership_url(slug), "s": status, "fr": [], "xx": []}
        )
        if lat is None or lon is None:
            continue
        point = points.get(aid)
        if point is None:
            point = points[aid] = [name, aslug, iso, _rounded(lon), _rounded(lat), 0]
        point[5] += 1
        entry["fr" if iso == "FR" else "xx"].append(aid)
    features = []
    for entry in partnerships.values():
        for fr in entry["fr"]:
            for xx in entry["xx"]:
                a, b = points[fr], points[xx]
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {"type": "LineString", "coordinates": [[a[3], a[4]], [b[3], b[4]]]},
                        "properties": {
                            "t": entry["t"],
                            "u": entry["u"],
                            "s": entry["s"],
                            "f": a[0],
                            "p": b[0],
                            "pc": b[2],
                        },
                    }
                )
    for name, aslug, iso, lon, lat, n in points.values():
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "n": name,
                    "u": authority_url(aslug),
                    "c": iso,
                    "k": "fr" if iso == "FR" else "partner",
                    "m": n,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "keys": {
            "t": "title",
            "u": "html_url",
            "s": "status",
            "f": "french_authority",
            "p": "partner_authority",
            "pc": "partner_country",
            "n": "name",
            "c": "country",
            "k": "side",
            "m": "partnerships",
        },
    }


def project_map_status(*, project) -> dict:
    """Whether a project shows on the map (drawn through the partnerships it serves) and,
    if not, why: {"on_map": bool, "reason": code, "message": text}. The first missing link
    in the chain is named: published project, a partnership, a published partnership, a
    party with coordinates (its own, its territory's or its country's, as the map reads)."""
    from django.utils.translation import gettext as _

    from ..models import Project

    def answer(reason: str, message: str) -> dict:
        return {"on_map": reason == "", "reason": reason, "message": message}

    if not Project.objects.public().filter(pk=project.pk).exists():
        return answer(
            "not_public",
            _(
                "Ce projet n'est pas sur la carte : il n'est pas encore publié (la carte ne montre "
                "que les fiches publiées)."
            ),
        )
    links = list(project.partnerships.values_list("pk", flat=True))
    if not links:
        return answer(
            "no_partnership",
            _(
                "Ce projet n'est pas sur la carte : il n'est lié à aucun partenariat, et la carte "
                "dessine les partenariats."
            ),
        )
    public = _partnerships_base().filter(pk__in=links)
    if not public.exists():
        return answer(
            "partnership_not_public",
            _("Ce projet n'est pas sur la carte : aucun des partenariats qu'il sert n'est publié."),
        )
    placed = (
        PartnershipParty.objects.filter(partnership_id__in=public.values("id"))
        .annotate(
            lat=Coalesce("authority__latitude", "authority__area__latitude", "authority__country__latitude")
        )
        .filter(lat__isnull=False)
    )
    if not placed.exists():
        return answer(
            "no_coordinates",
            _(
                "Ce projet n'est pas sur la carte : aucune collectivité de ses partenariats n'a de "
                "position connue (ni la sienne, ni celle de son territoire ou de son pays)."
            ),
        )
    return answer("", "")
