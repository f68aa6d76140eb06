"""Issue 15 (reads) and issue 13 (the public's questions): search ranking, groups and
labels; one first page on SQLite and PostgreSQL; keyset pages equal to offset pages;
facets over the facet ids; the home page's latest list without facets."""

import pytest

from coopatlas.cooperation import selectors as s
from coopatlas.cooperation.filters import filters_from_params
from coopatlas.geo.models import AuthorityKind

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()


def _departement(code: str, name: str):
    return f.DepartementFactory(insee_code=code, name=name)


@pytest.fixture
def homonyms():
    """Three fictional communes of one name in three fictional départements (as the three
    Montreuil of France), and a longer name that starts like them."""
    out = {}
    for code, dept_name in (("9A", "Seine-Fictive"), ("9B", "Pas-Fictif"), ("9C", "Vendée-Fictive")):
        out[code] = f.CommuneFactory(name="Montcreuse", parent=_departement(code, dept_name))
    out["long"] = f.CommuneFactory(name="Montcreuse-Juigné", parent=_departement("9D", "Maine-Fictif"))
    return out


def test_homonyms_are_labelled_with_their_departement(homonyms):
    found = s.search_suggest(q="montcreuse")
    labels = [r["label"] for r in found if r["kind"] == "authority"]
    assert "Montcreuse (9A – Seine-Fictive)" in labels
    assert "Montcreuse (9B – Pas-Fictif)" in labels
    assert "Montcreuse (9C – Vendée-Fictive)" in labels
    assert len(set(labels)) == len(labels)  # no two read alike


def test_the_three_montreuil_of_the_reference_data_read_apart():
    from coopatlas.geo.models import LocalAuthority

    if not LocalAuthority.objects.filter(insee_code="93048", kind="commune").exists():
        pytest.skip("the reference communes are not loaded")
    labels = [r["label"] for r in s.search_suggest(q="Montreuil")]
    assert "Montreuil (93 – Seine-Saint-Denis)" in labels


def test_exact_names_come_before_longer_ones(homonyms):
    found = [r for r in s.search_suggest(q="Montcreuse") if r["kind"] == "authority"]
    assert [r["label"].startswith("Montcreuse (") for r in found[:3]] == [True, True, True]
    assert found[3]["label"].startswith("Montcreuse-Juigné")


def test_typing_a_country_offers_the_country_first():
    qm = f.CountryFactory(iso2="QM", name_fr="Malistan", name_en="Malistan", slug="malistan")
    for i in range(12):  # more partner authorities than the type-ahead shows
        f.ForeignAuthorityFactory(country=qm, name=f"Malistan-Ville {i}")
    found = s.search_suggest(q="malistan")
    assert found[0]["kind"] == "country" and found[0]["code"] == "QM"
    assert found[0]["group"] == "country" and found[0]["group_label"] == "Pays"
    assert any(r["group"] == "partner_authority" for r in found)


def test_mali_typed_offers_mali():
    """Issue 13: « "Mali" typed in the search box does not offer the country »."""
    from coopatlas.geo.models import Country

    if not Country.objects.filter(iso2="ML").exists():
        f.CountryFactory(iso2="ML", name_fr="Mali", name_en="Mali", slug="mali")
    found = s.search_suggest(q="Mali")
    assert found[0]["kind"] == "country" and found[0]["code"] == "ML"


def test_suggestions_are_grouped_by_kind_french_then_partner():
    qm = f.CountryFactory(iso2="QM", name_fr="Pays Q", name_en="Country Q", slug="pays-q")
    f.CommuneFactory(name="Zanzibarville")
    f.ForeignAuthorityFactory(country=qm, name="Zanzibarville", kind=AuthorityKind.MUNICIPALITE)
    found = s.search_suggest(q="zanzibarville")
    groups = [r["group"] for r in found]
    assert groups == ["french_authority", "partner_authority"]
    assert found[1]["label"] == "Zanzibarville (Municipalité, Pays Q)"


def test_authorities_the_atlas_speaks_of_come_first_among_equal_matches():
    """Among names that match as well (here the same name), an authority with a published
    partnership, project, programme or request comes before the others; an unpublished
    partnership does not count (the rule of the authority list, asked row by row)."""
    qm = f.CountryFactory(iso2="QM")
    quiet = [f.CommuneFactory(name="Zorbavilles") for _ in range(6)]
    draft_only = f.CommuneFactory(name="Zorbavilles")
    f.PartnershipFactory(
        parties=[draft_only, f.ForeignAuthorityFactory(country=qm)], publication_status="draft"
    )
    involved = f.CommuneFactory(name="Zorbavilles")
    f.PartnershipFactory(parties=[involved, f.ForeignAuthorityFactory(country=qm)])
    found = [r["html_url"] for r in s.search_suggest(q="zorbavilles") if r["group"] == "french_authority"]
    assert found[0].rstrip("/").endswith(involved.slug)
    assert len(found) == 5 and not any(u.rstrip("/").endswith(draft_only.slug) for u in found[:1])
    assert quiet[0].id < involved.id  # by name and id alone it would not be first


def test_search_is_accent_and_case_insensitive(homonyms):
    assert [r["label"] for r in s.search_suggest(q="MONTCREUSE-JUIGNE")] == [
        "Montcreuse-Juigné (9D – Maine-Fictif)"
    ]


def test_the_search_page_shows_group_headings(client, homonyms):
    html = client.get("/recherche/", {"q": "montcreuse"}).content.decode()
    assert "Collectivités françaises" in html and "Montcreuse (9A – Seine-Fictive)" in html


# --- one order on both databases ------------------------------------------------------


def test_projects_without_a_start_year_come_last_on_every_database():
    qm = f.CountryFactory(iso2="QM")
    undated = f.ProjectFactory(title="AAA sans date", start_year=None, end_year=None, countries=[qm])
    dated = f.ProjectFactory(title="ZZZ daté", start_year=2020, end_year=None, countries=[qm])
    result = s.project_list(filters=filters_from_params({"country": "QM"}))
    assert [r["slug"] for r in result["results"]] == [dated.slug, undated.slug]


def test_the_project_order_says_nulls_last_in_sql():
    """PostgreSQL sorts NULL first in a descending order unless told: the SQL must say it."""
    from django.db import connection

    from coopatlas.cooperation.models import Project
    from coopatlas.cooperation.selectors.projects import _project_rows

    sql = str(_project_rows(Project.objects.all()).query).upper()
    if connection.vendor == "postgresql":
        assert "NULLS LAST" in sql
    else:  # SQLite before 3.30 has no NULLS LAST; Django emulates it with an IS NULL key
        assert "NULLS LAST" in sql or "IS NULL" in sql


# --- home and facets ----------------------------------------------------------------------


def test_the_home_page_computes_no_facet(client, django_assert_max_num_queries):
    from coopatlas.cooperation.tests.factories import small_atlas

    small_atlas()
    latest = s.partnership_list(filters=filters_from_params({"page_size": "10"}), facets=False)
    assert latest["facets"] == {} and latest["results"]


def test_authority_facets_count_the_same_over_the_ids():
    qm = f.CountryFactory(iso2="QM")
    a = f.ForeignAuthorityFactory(country=qm, name="Ville Q un")
    b = f.ForeignAuthorityFactory(country=qm, name="Ville Q deux")
    french = f.CommuneFactory()
    f.PartnershipFactory(parties=[french, a])
    f.PartnershipFactory(parties=[french, b])
    result = s.authority_list(filters=filters_from_params({"country": "QM"}))
    assert result["count"] == 2
    assert {o["value"]: o["count"] for o in result["facets"]["country"]} == {"QM": 2}


# --- keyset pages ---------------------------------------------------------------------------


def _pages_by_offset(selector, params, size):
    out, page = [], 1
    while True:
        result = selector(filters=filters_from_params({**params, "page_size": str(size), "page": str(page)}))
        out.append([r["slug"] for r in result["results"]])
        if page >= result["num_pages"]:
            return out
        page += 1


def _pages_by_keyset(selector, params, size):
    out, after = [], ""
    while True:
        result = selector(filters=filters_from_params({**params, "page_size": str(size), "after": after}))
        out.append([r["slug"] for r in result["results"]])
        after = result["next_after"]
        if not after:
            return out


@pytest.mark.parametrize("size", [1, 3, 4])
def test_keyset_pages_equal_offset_pages(size):
    qm = f.CountryFactory(iso2="QM")
    years = [2020, None, 2018, 2020, None, 2019, 2018]
    for i, year in enumerate(years):
        # same titles on purpose: the id breaks the tie, as in the ORDER BY
        f.ProjectFactory(title=f"Projet {i % 3}", start_year=year, end_year=None, countries=[qm])
        foreign = f.ForeignAuthorityFactory(country=qm, name=f"Ville {i % 2}")
        f.PartnershipFactory(parties=[f.CommuneFactory(), foreign], title=f"Lien {i % 3}")
    for selector in (s.project_list, s.partnership_list):
        offset = _pages_by_offset(selector, {"country": "QM"}, size)
        keyset = _pages_by_keyset(selector, {"country": "QM"}, size)
        assert keyset == offset
        flat = [slug for page in keyset for slug in page]
        assert len(flat) == len(set(flat)) == len(years)
    authorities = [
        [r["slug"] for r in page["results"]]
        for page in [s.authority_list(filters=filters_from_params({"country": "QM", "page_size": "100"}))]
    ][0]
    assert [x for p in _pages_by_keyset(s.authority_list, {"country": "QM"}, size) for x in p] == authorities


def test_a_bad_cursor_is_refused_naming_the_parameter(client):
    from coopatlas.core.errors import AppError

    with pytest.raises(AppError) as bad:
        filters_from_params({"after": "not a cursor!"})
    assert bad.value.field == "after" and "next_after" in str(bad.value)
    response = client.get("/partenariats/", {"after": "%%%", "format": "json"})
    assert response.status_code == 422 and "after" in response.content.decode()
    other_list = s.authority_list(filters=filters_from_params({"page_size": "1"}))["next_after"]
    if other_list:  # a cursor of three keys given to a list of two: refused, not a 500
        with pytest.raises(AppError):
            s.project_list(filters=filters_from_params({"after": other_list}))


def test_a_big_country_map_is_grouped_by_partner_region(monkeypatch):
    from coopatlas.cooperation.selectors import maps

    qm = f.CountryFactory(iso2="QM", latitude=10.0, longitude=-5.0)
    region = f.AreaFactory(country=qm, code="QM-1", name="Région Q", latitude=11.0, longitude=-6.0)
    french_region = f.AreaFactory(
        country=f.france(), code="FR-QQ", name="Région F", latitude=47.0, longitude=1.0
    )
    for i in range(3):
        foreign = f.ForeignAuthorityFactory(country=qm, area=region, name=f"Commune Q {i}")
        f.PartnershipFactory(parties=[f.CommuneFactory(area=french_region), foreign])
    detailed = s.partnerships_geojson(country="QM")
    assert "overview" not in detailed
    monkeypatch.setattr(maps, "MAP_DETAIL_LIMIT", 2)
    grouped = s.partnerships_geojson(country="QM", overview=None)
    points = [x for x in grouped["features"] if x["properties"].get("k") == "partner"]
    assert grouped.get("overview") is True
    assert len(points) == 1 and points[0]["properties"]["w"] == 3
    assert points[0]["properties"]["u"] == "/territoires/QM-1/"


def test_overlaps_reach_sub_areas_parent_areas_and_places_and_not_other_sectors():
    """Issue 15's rewrite of the coordination read (driven from the link tables): a project
    in a sub-area, one in the parent area, one at the same place all meet; another sector,
    another place and an unpublished project do not."""
    from coopatlas.cooperation.models import ProjectSector
    from coopatlas.geo.models import Place
    from coopatlas.reference.models import Sector

    qm = f.CountryFactory(iso2="QM")
    region = f.AreaFactory(country=qm, code="QM-R")
    district = f.AreaFactory(country=qm, code="QM-R1", parent=region)
    well = Place.objects.create(geonames_id=990001, name="Puits", country=qm, latitude=1, longitude=1)
    far = Place.objects.create(geonames_id=990002, name="Loin", country=qm, latitude=2, longitude=2)
    water = Sector.objects.filter(code__startswith="140")[:1].get()
    other = Sector.objects.filter(code__startswith="151")[:1].get()

    def project(slug, sector, areas=(), places=(), **kwargs):
        p = f.ProjectFactory(
            slug=slug, title=slug, start_year=2018, end_year=2020, areas=list(areas), **kwargs
        )
        p.places.set(places)
        ProjectSector.objects.create(project=p, sector=sector)
        return p

    mine = project("mine", water, areas=[region], places=[well])
    project("in-district", water, areas=[district])
    project("at-the-well", water, places=[well])
    project("other-sector", other, areas=[region])
    project("far-away", water, places=[far])
    project("draft", water, areas=[region], publication_status="draft")
    found = {o["slug"] for o in s.project_detail(slug=mine.slug)["overlaps"]}
    assert found == {"in-district", "at-the-well"}
    assert {o["slug"] for o in s.project_detail(slug="in-district")["overlaps"]} == {"mine"}


def _area_world():
    from coopatlas.cooperation.models import ProjectSector
    from coopatlas.reference.models import Sector

    qm = f.CountryFactory(iso2="QM")
    region = f.AreaFactory(country=qm, code="QM-R")
    water = Sector.objects.filter(code__startswith="140")[:1].get()

    def project(slug, start, end, **kwargs):
        p = f.ProjectFactory(slug=slug, title=slug, start_year=start, end_year=end, areas=[region], **kwargs)
        ProjectSector.objects.create(project=p, sector=water)
        return p

    return region, project


def test_overlaps_keep_meeting_periods_imported_first_then_latest_start_unknown_last():
    _region, project = _area_world()
    mine = project("mine", 2018, 2020)
    project("before", 2010, 2017)
    project("after", 2021, 2024)
    project("open-ended", 2015, None)
    project("unknown-years", None, None)
    project("recent", 2019, 2022)
    project("theirs", 2016, 2019, is_imported=True)
    found = [o["slug"] for o in s.project_detail(slug=mine.slug)["overlaps"]]
    assert found == ["theirs", "recent", "open-ended", "unknown-years"]


def test_overlaps_kept_per_area_are_fresh_after_a_committed_write():
    """The area's projects are kept per stamp and shared by its fiches: a project added
    to the area shows on the next read after the commit, never a stale list."""
    from django.db import connection

    from coopatlas.core import freshness

    def commit():
        pending = connection.run_on_commit[:]
        del connection.run_on_commit[:]
        for _sids, func, _robust in pending:
            func()

    _region, project = _area_world()
    mine = project("mine", 2018, 2020)
    project("first", 2018, 2020)
    commit()
    freshness.local_pages_clear()
    assert [o["slug"] for o in s.project_detail(slug=mine.slug)["overlaps"]] == ["first"]
    assert [o["slug"] for o in s.project_detail(slug="first")["overlaps"]] == ["mine"]  # the kept read
    project("second", 2019, 2020)
    commit()
    assert [o["slug"] for o in s.project_detail(slug=mine.slug)["overlaps"]] == ["second", "first"]
