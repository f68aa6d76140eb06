"""Atlas selectors: filters, facets, pagination, details, country fiche, map, suggest.

The session database may already hold reference and demo data: every test builds its own
fictional records (private-use country codes QM/QN, région 99, département 96) and filters
on them, so no assertion depends on what was loaded.
"""

import pytest
from django.urls import reverse

from coopatlas.cooperation import selectors as s
from coopatlas.cooperation.filters import AtlasFilters, filters_from_params
from coopatlas.core.errors import AppError, NotFound

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def atlas():
    return f.small_atlas()


def slugs(result):
    return sorted(r["slug"] for r in result["results"])


def plist(**params):
    return s.partnership_list(filters=filters_from_params({k: str(v) for k, v in params.items()}))


# --- filters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, field",
    [
        ({"page": "-1"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page_size": "100000"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"country": "XX"}, "country"),
        ({"country": "Mali"}, "country"),
        ({"sdg": "99"}, "sdg"),
        ({"sdg": "six"}, "sdg"),
        ({"year_from": "abc"}, "year_from"),
        ({"year_from": "2020", "year_to": "2010"}, "year_from"),
        ({"q": "x" * 10000}, "q"),
        ({"theme": "pas-un-theme-zz"}, "theme"),
        ({"theme": "<script>"}, "theme"),
        ({"area": "ZZ-99"}, "area"),
        ({"french_region": "Bretagne"}, "french_region"),
        ({"french_departement": "999"}, "french_departement"),
    ],
)
def test_bad_filter_values_raise_apperror_naming_the_parameter(params, field):
    with pytest.raises(AppError) as err:
        filters_from_params(params)
    assert err.value.field == field
    assert field in err.value.message


def test_filters_parse_and_normalise(atlas):
    filters = filters_from_params(
        {
            "country": "qm",
            "page": "2",
            "page_size": "10",
            "sdg": "6",
            "q": " Zörglüb\x00 ",
            "unknown": "ignored",
            "theme": atlas["root"].slug,
        }
    )
    assert filters.country == "QM" and filters.page == 2 and filters.page_size == 10
    assert filters.sdg == 6 and filters.words == ["zorglub"]
    assert filters.as_params()["country"] == "QM"
    assert filters_from_params({}) == AtlasFilters()


def test_status_and_kind_are_checked_against_the_list_they_filter(atlas):
    with pytest.raises(AppError) as err:
        plist(status="ongoing")  # a project status, not a partnership one
    assert err.value.field == "status" and "active" in err.value.message
    with pytest.raises(AppError):
        plist(kind="commune")
    assert s.project_list(filters=filters_from_params({"status": "ongoing"}))["count"] >= 1


# --- partnership list ----------------------------------------------------------------


def test_published_only_and_summary_shape(atlas):
    result = plist(french_region="99")
    assert slugs(result) == ["zorglub-quenard", "zorglub-quimbe"]  # the draft is not shown
    p1 = next(r for r in result["results"] if r["slug"] == "zorglub-quimbe")
    assert p1["html_url"] == "/partenariats/zorglub-quimbe/"
    assert p1["api_url"] == "/api/v1/partnerships/zorglub-quimbe"
    assert p1["kind"] == "cooperation" and p1["status"] == "active" and p1["start_year"] == 1984
    french, partner = p1["parties"]  # French side first
    assert french["name"] == "Zörglüb-lès-Bains" and french["insee_code"] == "96001"
    assert french["siren"] == "900000001" and french["country"] == "FR"
    assert french["html_url"].startswith("/collectivites/")
    assert partner["country"] == "QM" and partner["kind"] == "cercle"
    assert p1["countries"] == ["QM"]
    assert p1["themes"][0]["slug"] == atlas["leaf"].slug
    source = p1["sources"][0]
    assert source["document"]["key"] == "test-atlas" and source["lines"] == "27–28"
    assert source["quote"] == "une citation"


@pytest.mark.parametrize(
    "q", ["zorglub les bains", "ZORGLÜB", "vieux zorglub", "96001", "96999", "900000001", "quimbe zorglub"]
)
def test_q_folds_accents_and_matches_names_aliases_and_codes(atlas, q):
    assert "zorglub-quimbe" in slugs(plist(q=q))


def test_q_words_must_all_match(atlas):
    assert slugs(plist(q="zorglub nowhere-zz")) == []


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"country": "QM"}, ["zorglub-quimbe"]),
        ({"country": "QN"}, ["zorglub-quenard"]),
        ({"area": "QM-1"}, ["zorglub-quimbe"]),  # the partner's area is QM-11, child of QM-1
        ({"area": "QM-11"}, ["zorglub-quimbe"]),
        ({"french_departement": "96"}, ["zorglub-quenard", "zorglub-quimbe"]),
        ({"french_region": "99", "kind": "twinning"}, ["zorglub-quenard"]),
        ({"french_region": "99", "authority_kind": "departement"}, ["zorglub-quenard"]),
        ({"french_region": "99", "status": "ended"}, ["zorglub-quenard"]),
        ({"french_region": "99", "sdg": "6"}, ["zorglub-quimbe"]),
        ({"french_region": "99", "year_from": "2001"}, ["zorglub-quimbe"]),  # no end: running
        ({"french_region": "99", "year_to": "1985"}, ["zorglub-quimbe"]),
        (
            {"french_region": "99", "year_from": "1995", "year_to": "1996"},
            ["zorglub-quenard", "zorglub-quimbe"],
        ),
    ],
)
def test_partnership_filters(atlas, params, expected):
    assert slugs(plist(**params)) == expected


def test_theme_filter_includes_descendants(atlas):
    for theme in ("root", "child", "leaf"):
        assert slugs(plist(theme=atlas[theme].slug)) == ["zorglub-quimbe"]


def test_partnership_facets_count_the_filtered_set(atlas):
    facets = plist(french_region="99")["facets"]
    as_map = {name: {v["value"]: v["count"] for v in values} for name, values in facets.items()}
    assert as_map["country"] == {"QM": 1, "QN": 1}
    assert as_map["area"] == {"QM-1": 1}
    assert as_map["french_region"] == {"99": 2}
    assert as_map["french_departement"] == {"96": 2}
    assert as_map["authority_kind"] == {"commune": 1, "departement": 1}
    assert as_map["kind"] == {"cooperation": 1, "twinning": 1}
    assert as_map["status"] == {"active": 1, "ended": 1}
    assert as_map["theme"] == {atlas["root"].slug: 1, atlas["child"].slug: 1, atlas["leaf"].slug: 1}
    country = next(v for v in facets["country"] if v["value"] == "QM")
    assert country["label"] == "Pays fictif QM"
    region = facets["french_region"][0]
    assert region["label"] == "Région Zorglubie"


def test_pagination(atlas):
    first = plist(french_region="99", page_size="1")
    second = plist(french_region="99", page_size="1", page="2")
    beyond = plist(french_region="99", page_size="1", page="3")
    assert first["count"] == 2 and first["num_pages"] == 2 and len(first["results"]) == 1
    assert first["results"][0]["slug"] != second["results"][0]["slug"]
    assert beyond["results"] == [] and beyond["count"] == 2


def test_query_count_does_not_grow_with_page_size(atlas, django_assert_max_num_queries):
    qo = f.CountryFactory(iso2="QO")
    theme = atlas["leaf"]
    for i in range(30):
        f.PartnershipFactory(
            parties=[f.CommuneFactory(parent=atlas["dept"]), f.AuthorityFactory(country=qo)],
            themes=[theme],
            title=f"Lot {i}",
        )
    filters = {"country": "QO", "theme": theme.slug}
    counts = []
    for size in ("2", "30"):
        with django_assert_max_num_queries(30) as ctx:
            result = plist(**filters, page_size=size)
        counts.append(len(ctx.captured_queries))
        assert len(result["results"]) == int(size)
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(12) as ctx:  # CSV export: no facets, all rows
        rows = s.partnership_list(filters=filters_from_params(filters), all_rows=True)
        listed = list(rows["results"])  # streamed: read while iterated
    assert rows["count"] == 30 == len(rows["results"]) == len(listed)


# --- details -------------------------------------------------------------------------


def test_partnership_detail(atlas):
    d = s.partnership_detail(slug="zorglub-quimbe")
    assert [p["name"] for p in d["parties"]] == ["Zörglüb-lès-Bains", "Cercle de Quimbé"]
    assert d["conventions"][0]["title"] == "Convention Zorglub 1985"
    assert d["conventions"][0]["estimated_commitment"] == "15000.00"
    assert d["projects"][0]["slug"] == "puits-quimbe" and d["project_count"] == 1
    assert [t["slug"] for t in d["themes"][0]["path"]] == [
        atlas["root"].slug,
        atlas["child"].slug,
        atlas["leaf"].slug,
    ]
    assert d["sources"][0]["document"]["title"] == "Document fictif"
    with pytest.raises(NotFound):
        s.partnership_detail(slug="zorglub-brouillon")  # a draft is not public
    with pytest.raises(NotFound) as err:
        s.partnership_detail(slug="nope-zz")
    assert "nope-zz" in err.value.message


def test_project_country_is_its_countries_or_a_participant_there(atlas):
    """`country=` on projects: a project named for the country, or one with a participant
    there (one UNION of the two), each once; a draft is not listed."""
    qm = atlas["cercle"].country
    f.ProjectFactory(slug="qm-par-pays", participants=[atlas["commune"]], countries=[qm])
    f.ProjectFactory(slug="qm-par-participant", participants=[atlas["cercle"]], countries=[])
    f.ProjectFactory(
        slug="qm-brouillon", participants=[atlas["cercle"]], publication_status=f.m.PublicationStatus.DRAFT
    )
    result = s.project_list(filters=filters_from_params({"country": "QM"}))
    assert slugs(result) == ["puits-quimbe", "qm-par-participant", "qm-par-pays"]
    assert result["count"] == 3
    statuses = {v["value"]: v["count"] for v in result["facets"]["status"]}
    assert sum(statuses.values()) == 3
    assert s.country_summary(iso2="QM")["figures"]["projects"] == 3  # the fiche, the same rule


def test_project_list_and_detail(atlas):
    result = s.project_list(filters=filters_from_params({"country": "QM"}))
    assert slugs(result) == ["puits-quimbe"]
    facets = {n: {v["value"]: v["count"] for v in vals} for n, vals in result["facets"].items()}
    assert facets["sdg"] == {6: 1} and facets["area"] == {"QM-1": 1}
    assert facets["french_region"] == {"99": 1} and facets["status"] == {"ongoing": 1}
    for params in (
        {"area": "QM-1"},
        {"french_departement": "96"},
        {"sdg": "6"},
        {"q": "puits quimbe"},
        {"q": "zorglub"},
        {"theme": atlas["root"].slug},
    ):
        assert "puits-quimbe" in slugs(s.project_list(filters=filters_from_params(params)))
    d = s.project_detail(slug="puits-quimbe")
    assert d["participants"][0]["role"] == "lead" and d["budget"] == "100000.00"
    assert [x["amount"] for x in d["funding"]] == ["700000.00", "340000.00"]
    assert d["funding"][0]["funder"]["acronym"] == "AAQ"
    assert d["funding"][1]["funder"]["insee_code"] == "96001"
    assert d["funding_totals"] == [{"currency": "EUR", "amount": "1040000.00"}]
    assert d["main_theme"]["slug"] == atlas["child"].slug
    assert d["partnerships"][0]["html_url"] == "/partenariats/zorglub-quimbe/"


def test_authority_list_and_detail(atlas):
    result = s.authority_list(filters=filters_from_params({"french_region": "99"}))
    names = [r["name"] for r in result["results"]]
    # The région takes part only in a draft: not (yet) in the atlas.
    assert names == ["Département Zorglubien", "Zörglüb-lès-Bains"]
    assert result["results"][1]["partnership_count"] == 1
    kinds = {v["value"]: v["count"] for v in result["facets"]["kind"]}
    assert kinds == {"commune": 1, "departement": 1}
    found = s.authority_list(filters=filters_from_params({"q": "96999"}))
    assert [r["name"] for r in found["results"]] == ["Zörglüb-lès-Bains"]
    d = s.authority_detail(slug=atlas["commune"].slug)
    assert d["insee_code"] == "96001" and d["parent_info"]["name"] == "Département Zorglubien"
    assert [p["slug"] for p in d["partnerships"]] == ["zorglub-quimbe"]
    assert d["programmes"][0]["slug"] == "programme-quimbe"
    assert {a["value"] for a in d["aliases"]} == {"96999", "Vieux-Zorglub"}
    cercle = s.authority_detail(slug=atlas["cercle"].slug)
    assert cercle["partner_requests"][0]["status"] == "open"
    assert cercle["partner_requests"][0]["html_url"] == f"/mise-en-relation/demandes/{atlas['request'].id}/"


def test_authority_q_lists_the_involved_matches_by_name_alias_and_country(atlas):
    """Words narrow first (the indexed matches), then each match must be involved: the
    région matches « zorglub » by name but takes part only in a draft."""

    def names(q: str) -> list[str]:
        return sorted(r["name"] for r in s.authority_list(filters=filters_from_params({"q": q}))["results"])

    assert names("zorglub") == ["Département Zorglubien", "Zörglüb-lès-Bains"]
    assert names("vieux zorglub") == ["Zörglüb-lès-Bains"]  # an alias
    assert names("fictif") == ["Cercle de Quimbé", "Ville de Quenard"]  # their countries' names
    assert names("region zorglubie") == []  # only the draft's région has both words
    facets = s.authority_list(filters=filters_from_params({"q": "zorglub"}))["facets"]
    assert {v["value"]: v["count"] for v in facets["kind"]} == {"commune": 1, "departement": 1}


def test_authority_country_lists_the_involved_of_that_country_through_every_kind_of_link(atlas):
    """A partner country narrows each part of the involvement UNION: every kind of link
    still counts (a project only, a programme only, a request only), a draft does not, and
    France keeps the whole UNION with the same answer."""
    qm = atlas["cercle"].country
    by_project = f.AuthorityFactory(name="Commune QM par projet", country=qm)
    f.ProjectFactory(slug="projet-qm-seul", participants=[by_project], countries=[qm])
    by_programme = f.AuthorityFactory(name="Commune QM par programme", country=qm)
    f.ProgrammeFactory(slug="programme-qm-seul", members=[by_programme], countries=[qm])
    by_request = f.AuthorityFactory(name="Commune QM par demande", country=qm)
    f.PartnerRequestFactory(authority=by_request)
    in_draft = f.AuthorityFactory(name="Commune QM en brouillon", country=qm)
    f.PartnershipFactory(
        slug="brouillon-qm", parties=[atlas["dept"], in_draft], publication_status=f.m.PublicationStatus.DRAFT
    )
    f.AuthorityFactory(name="Commune QM sans lien", country=qm)

    def names(**params) -> list[str]:
        found = s.authority_list(filters=filters_from_params(params))
        assert found["count"] == len(found["results"])
        return sorted(r["name"] for r in found["results"])

    assert names(country="QM") == [
        "Cercle de Quimbé",
        "Commune QM par demande",
        "Commune QM par programme",
        "Commune QM par projet",
    ]
    facets = s.authority_list(filters=filters_from_params({"country": "QM"}))["facets"]
    assert facets["country"] == [{"value": "QM", "label": "Pays fictif QM", "count": 4}]
    assert "Zörglüb-lès-Bains" in names(country="FR", french_departement="96")
    assert "Commune QM par projet" not in names(country="FR", french_departement="96")


def test_organisation_programme_and_request_lists(atlas):
    orgs = s.organisation_list(filters=filters_from_params({"q": "amis quimbe"}))
    assert slugs(orgs) == ["aaq-test"]
    d = s.organisation_detail(slug="aaq-test")
    assert [p["slug"] for p in d["funded_projects"]] == ["puits-quimbe"]
    assert d["contacts"][0]["name"] == "Agent fictif"
    progs = s.programme_list(filters=filters_from_params({"country": "QM", "status": "open"}))
    assert slugs(progs) == ["programme-quimbe"]
    assert progs["results"][0]["member_count"] == 1
    assert progs["results"][0]["budget_per_member"] == "15000.00"
    assert s.programme_detail(slug="programme-quimbe")["members"][0]["insee_code"] == "96001"
    reqs = s.partner_request_list(filters=filters_from_params({"country": "QM", "theme": atlas["root"].slug}))
    assert [r["id"] for r in reqs["results"]] == [atlas["request"].id]
    assert reqs["facets"]["status"] == [{"value": "open", "label": "Ouverte", "count": 1}]
    assert s.partner_request_detail(pk=atlas["request"].id)["authority"]["country"] == "QM"


# --- country fiche, home, map ----------------------------------------------------------


def test_country_fiche_lists_every_partnership_whatever_its_status(atlas):
    """Issue 13: the fiche listed only active partnerships and its "all" link kept status=active."""
    for status in ("ended", "dormant", "planned"):
        parties = [atlas["commune"], atlas["cercle"]]
        f.PartnershipFactory(slug=f"ancien-{status}", status=status, parties=parties)
    d = s.country_summary(iso2="QM")
    listed = {p["slug"]: p["status"] for p in d["partnerships"]}
    assert {"zorglub-quimbe", "ancien-ended", "ancien-dormant", "ancien-planned"} <= set(listed)
    assert "status=" not in d["partnerships_list_url"] and "country=QM" in d["partnerships_list_url"]
    assert d["figures"]["partnerships"] == len(d["partnerships"])


def test_country_summary_puts_published_beside_counted(atlas):
    d = s.country_summary(iso2="qm")
    figures = d["figures"]
    assert figures["active_partnerships"]["counted"] == 1  # the draft does not count
    assert figures["active_partnerships"]["published"][0]["value"] == "3"
    assert figures["active_partnerships"]["published"][0]["source"]["lines"] == "40–42"
    kinds = {r["value"]: r for r in figures["by_french_kind"]}
    assert kinds["commune"]["counted"] == 1 and kinds["commune"]["published"] == "2"
    areas = {r["value"]: r for r in figures["by_area"]}
    assert areas["QM-1"]["counted"] == 1 and areas["QM-1"]["published"] == "1"
    assert areas["QM-1"]["label"] == "Région fictive Un"
    assert figures["projects"] == 1 and figures["partner_authorities"] == 1
    assert d["country"]["oda_status"]["category"] == "ldc"
    assert d["profile"]["summary"] == "Pays fictif pour les tests."
    assert d["profile"]["source"]["document"]["key"] == "test-atlas"
    assert [p["slug"] for p in d["active_partnerships"]] == ["zorglub-quimbe"]
    assert d["programmes"][0]["slug"] == "programme-quimbe"
    assert d["partner_requests"][0]["authority"]["name"] == "Cercle de Quimbé"
    assert d["contacts"][0]["email"].endswith("@example.org")
    assert {t["value"] for t in d["themes"]} == {atlas["root"].slug, atlas["child"].slug, atlas["leaf"].slug}
    assert len(d["published_figures"]) == 3
    with pytest.raises(NotFound):
        s.country_summary(iso2="XX")


def test_partnerships_geojson_is_small_and_rounded(atlas):
    data = s.partnerships_geojson(country="QM")
    lines = [x for x in data["features"] if x["geometry"]["type"] == "LineString"]
    points = [x for x in data["features"] if x["geometry"]["type"] == "Point"]
    assert len(lines) == 1
    assert lines[0]["geometry"]["coordinates"] == [[2.9877, 48.1235], [-4.1999, 14.4999]]
    assert lines[0]["properties"] == {
        "t": "Zorglub – Quimbé",
        "u": "/partenariats/zorglub-quimbe/",
        "s": "active",
        "f": "Zörglüb-lès-Bains",
        "p": "Cercle de Quimbé",
        "pc": "QM",
    }
    assert {p["properties"]["n"] for p in points} == {"Zörglüb-lès-Bains", "Cercle de Quimbé"}
    # Ville de Quenard has no coordinates: it falls back on its country's centroid.
    qn = s.partnerships_geojson(country="QN")
    assert any(x["geometry"]["coordinates"] == [-8.0, 12.5] for x in qn["features"])


def test_search_suggest_and_headline(atlas):
    found = s.search_suggest(q="zorglub les")
    assert found[0]["label"].startswith("Zörglüb-lès-Bains") and found[0]["kind"] == "authority"
    assert found[0]["code"] == "96001" and found[0]["html_url"].startswith("/collectivites/")
    assert s.search_suggest(q="96999")[0]["code"] == "96001"
    assert s.search_suggest(q="   ") == []
    # Words that a slug drops match no partnership (slug__contains="" matched every one).
    f.PartnershipFactory(parties=[atlas["commune"], atlas["ville"]])
    for q in ("💩", "٣٣", "';--", "\u200b"):
        assert [x for x in s.search_suggest(q=q) if x["kind"] == "partnership"] == [], q
    before = s.headline_figures()
    f.PartnershipFactory(parties=[atlas["commune"], atlas["ville"]])
    after = s.headline_figures()
    assert after["partnerships"] == before["partnerships"] + 1
    assert after["active_partnerships"] == before["active_partnerships"] + 1


def test_partnerships_geojson_overview_groups_by_french_region_and_partner_country(atlas):
    detail = s.partnerships_geojson()
    overview = s.partnerships_geojson(overview=True)
    assert overview["overview"] is True
    lines = [x for x in overview["features"] if x["geometry"]["type"] == "LineString"]
    points = [x for x in overview["features"] if x["geometry"]["type"] == "Point"]
    detail_lines = [x for x in detail["features"] if x["geometry"]["type"] == "LineString"]
    # Every detailed link whose French side has a région is counted once in the overview.
    assert 0 < sum(x["properties"]["w"] for x in lines) <= len(detail_lines)
    assert len(lines) <= len(detail_lines)
    for feature in lines:
        assert feature["properties"]["u"].startswith(reverse("atlas:partnership_list") + "?")
        assert "country=" in feature["properties"]["u"]
    sides = {x["properties"]["k"] for x in points}
    assert sides <= {"fr", "partner"}


def test_map_switches_to_the_overview_above_the_detail_limit(atlas, monkeypatch):
    monkeypatch.setattr(s.maps, "MAP_DETAIL_LIMIT", 0)
    assert s.partnerships_geojson().get("overview") is True
    # One country is grouped by partner region too (issue 15), unless none of its partner
    # authorities has a region with coordinates (QM's): then the detailed map stays.
    assert "overview" not in s.partnerships_geojson(country="QM")


def test_url_helpers_fill_integer_routes():
    """`_url` reversed every route with a string placeholder, so a `<int:…>` route (a
    declaration, a document download) silently gave None instead of its link."""
    from django.urls import reverse

    from coopatlas.cooperation.selectors._common import _url, _url_maker

    assert _url("declarations:declaration", "pk", 42) == reverse(
        "declarations:declaration", kwargs={"pk": 42}
    )
    make = _url_maker("documents:download", "pk")
    assert make(7) == reverse("documents:download", kwargs={"pk": 7})
    assert _url("atlas:country", "slug", "mali") == reverse("atlas:country", kwargs={"slug": "mali"})
    assert _url("no-such-route", "pk", 1) is None


def test_the_authority_lists_five_facets_from_one_group_by_match_one_count_each():
    """The authority list sums its five facets from one GROUP BY over where each authority
    is; the oracle is one distinct count per facet, as the other lists still do it: French
    régions and départements through the parent chain (a région holding a département
    holding a commune), partner areas up to their level 1, countries and kinds."""
    from coopatlas.cooperation.selectors import authorities as a
    from coopatlas.cooperation.selectors._facets import (
        _facet_areas,
        _facet_authority_kinds,
        _facet_countries,
        _facet_grouped,
        _french_options,
    )
    from coopatlas.cooperation.selectors._filters import _facet_ids, _french_ancestor_code
    from coopatlas.geo.models import LocalAuthority

    region = f.RegionFactory(insee_code="88")
    dept = f.DepartementFactory(insee_code="979", parent=region)
    communes = [f.CommuneFactory(parent=dept) for _ in range(3)] + [f.CommuneFactory(parent=region)]
    qx = f.CountryFactory(iso2="QX")
    level1 = f.AreaFactory(country=qx, code="QX-1")
    level2 = f.AreaFactory(country=qx, code="QX-1-2", parent=level1)
    partners = [
        f.ForeignAuthorityFactory(country=qx, area=level2),
        f.ForeignAuthorityFactory(country=qx, area=level1),
        f.ForeignAuthorityFactory(country=qx, area=None, kind="region"),
    ]
    for n, commune in enumerate(communes):
        f.PartnershipFactory(parties=[commune, partners[n % 3]])
    f.PartnershipFactory(parties=[region, dept, partners[0]])
    for params in ({}, {"country": "QX"}, {"country": "FR"}, {"french_region": "88"}):
        qs = a._authority_filtered(filters_from_params(params), {})
        count = qs.count()
        ids = LocalAuthority.objects.filter(id__in=_facet_ids(qs, count))
        french = ids.filter(country_id="FR")
        oracle = {
            "country": _facet_countries(ids, "country_id", "id", exclude_fr=False),
            "kind": _facet_authority_kinds(ids, "kind", "id"),
            "area": _facet_areas(ids, "area", "id", "country_id"),
            "french_region": _french_options(
                _facet_grouped(french, _french_ancestor_code("", "region", depth=3), "id", 50), "region"
            ),
            "french_departement": _french_options(
                _facet_grouped(french, _french_ancestor_code("", "departement", depth=2), "id", 50),
                "departement",
            ),
        }
        assert a._authority_facets(qs, count) == oracle, params
    facets = a._authority_facets(a._authority_filtered(filters_from_params({"country": "FR"}), {}), 6)
    assert {o["value"]: o["count"] for o in facets["french_region"]}["88"] == 6  # itself, dept, 4 communes
    assert {o["value"]: o["count"] for o in facets["french_departement"]}["979"] == 4  # not the région
    qx_facets = a._authority_facets(a._authority_filtered(filters_from_params({"country": "QX"}), {}), 3)
    assert qx_facets["area"] == [{"value": "QX-1", "label": level1.display_name, "count": 2}]
    assert {o["value"]: o["count"] for o in qx_facets["kind"]}["region"] == 1


def test_a_lists_link_facets_read_once_agree_with_one_group_by_each(monkeypatch):
    """Partnership and project facets from their links to authorities: up to
    LINK_FACETS_ONE_READ_MAX records one read of the distinct (record, place) rows, above
    one GROUP BY per facet. Both ways give the same distinct counts, with records linked to
    several authorities of the same place, French parent chains and partner areas."""
    from coopatlas.cooperation.selectors import _facets

    region = f.RegionFactory(insee_code="87")
    dept = f.DepartementFactory(insee_code="978", parent=region)
    communes = [f.CommuneFactory(parent=dept) for _ in range(2)]
    qy = f.CountryFactory(iso2="QY")
    level1 = f.AreaFactory(country=qy, code="QY-1")
    level2 = f.AreaFactory(country=qy, code="QY-1-2", parent=level1)
    partners = [f.ForeignAuthorityFactory(country=qy, area=level2), f.ForeignAuthorityFactory(country=qy)]
    f.PartnershipFactory(parties=[communes[0], communes[1], dept, partners[0], partners[1]])
    f.PartnershipFactory(parties=[region, partners[0]])
    f.PartnershipFactory(parties=[communes[1], partners[1]])
    f.ProjectFactory(participants=[communes[0], dept, partners[0]], countries=[qy])
    f.ProjectFactory(participants=[communes[1], partners[1]], countries=[qy])

    def both(fn):
        one_read = fn()
        monkeypatch.setattr(_facets, "LINK_FACETS_ONE_READ_MAX", 0)
        grouped = fn()
        monkeypatch.undo()
        assert one_read == grouped
        return one_read

    for params in ({}, {"country": "QY"}, {"french_region": "87"}):
        facets = both(lambda params=params: s.partnership_list(filters=filters_from_params(params))["facets"])
        both(lambda params=params: s.project_list(filters=filters_from_params(params))["facets"])
    counts = {name: {o["value"]: o["count"] for o in opts} for name, opts in facets.items()}
    assert counts["french_region"]["87"] == 3  # once each, however many of its authorities
    assert counts["french_departement"]["978"] == 2  # not the région's own partnership
    assert counts["area"]["QY-1"] == 2 and counts["country"]["QY"] == 3
    assert counts["authority_kind"] == {"commune": 2, "departement": 1, "region": 1}
