"""Atlas pages: status codes, key content, JSON/CSV twins, errors, language, escaping."""

import csv
import io
import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse

from coopatlas.atlas.views import LISTS
from coopatlas.cooperation import selectors
from coopatlas.cooperation.filters import filters_from_params

from .factories import atlas_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return atlas_world()


def _same_json(data) -> object:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def test_home_shows_figures_map_search_and_partnership_list(client, world):
    response = client.get(reverse("atlas:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-atlas-map" in html and reverse("atlas:map_data") in html
    assert 'role="combobox"' in html and reverse("atlas:suggest") in html
    assert world["partnership"].title in html  # the map's text alternative
    assert "leaflet/leaflet.js" in html and "basemap-countries.geojson" in html
    assert "tile.openstreetmap" not in html  # no online tiles unless configured


def test_home_uses_online_tiles_only_when_configured(client, world, settings):
    settings.COOPATLAS_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    html = client.get(reverse("atlas:home")).content.decode()
    assert 'data-tile-url="https://tiles.example/{z}/{x}/{y}.png"' in html


@pytest.mark.parametrize(
    "name",
    [
        "partnership_list",
        "project_list",
        "authority_list",
        "organisation_list",
        "programme_list",
        "partner_request_list",
        "country_list",
    ],
)
def test_lists_answer_html_json_and_csv(client, world, name):
    url = reverse(f"atlas:{name}")
    page = client.get(url)
    assert page.status_code == 200
    assert "Télécharger en CSV" in page.content.decode()
    data = client.get(url, {"format": "json"}).json()
    assert data["count"] >= 1 and data["results"]
    response = client.get(url, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming == (name in LISTS)  # a list's full export is streamed (issue 15)
    rows = list(csv.reader(io.StringIO(_body(response)), delimiter=";"))
    assert len(rows) == data["count"] + 1 or len(rows) >= 2


def _body(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8-sig")


@pytest.mark.parametrize("dialect", ["people", "machine"])
def test_streamed_csv_is_the_csv_built_from_the_whole_list(client, world, dialect):
    """Issue 15: the full export is streamed, chunk by chunk, with the same text as the CSV
    built at once from the selector's whole list (as it was before streaming)."""
    from coopatlas.core.export import people_csv, rows_to_csv
    from coopatlas.geo.models import AdministrativeArea

    response = client.get(reverse("atlas:partnership_list"), {"format": "csv", "dialect": dialect})
    assert response.streaming
    rows = list(selectors.partnership_list(filters=filters_from_params({}), all_rows=True)["results"])
    assert len(rows) > 1
    if dialect == "machine":
        expected = rows_to_csv(rows)
    else:
        names = {a.code: a.display_name for a in AdministrativeArea.objects.all()}
        expected = people_csv(
            rows, absolute=lambda path: "http://testserver" + path, area_label=lambda c: names.get(c, c)
        )
    assert "\ufeff" + _body(response) == expected


def test_csv_stream_holds_one_row_and_writes_the_union_of_columns(monkeypatch):
    """Constant memory: the rows come from a generator, pieces leave before the last row is
    read, and a column first met in the last row still heads the file."""
    from coopatlas.core import export

    monkeypatch.setattr(export, "CHUNK_CHARS", 100)
    monkeypatch.setattr(export, "SPOOL_MEMORY", 1000)  # spooled to disk beyond 1 kB
    made = []

    def rows():
        for i in range(2000):
            made.append(i)
            yield {"n": i, "name": f"ligne {i}", **({"late": "=1+1"} if i == 1999 else {})}

    pieces = export.rows_to_csv_stream(rows())
    first = next(pieces)
    assert len(made) == 2000  # the first pass read every row (one at a time) for the header
    rest = list(pieces)
    assert len(rest) > 100 and all(len(p) < 200 for p in rest)
    text = first + "".join(rest)
    assert text.splitlines()[0] == "\ufeffn;name;late"
    assert text.splitlines()[-1] == "1999;ligne 1999;'=1+1"
    made.clear()
    assert text == export.rows_to_csv(rows())


def test_csv_for_people_and_for_machines(client, world):
    """Issue 13: French headers, labels, the partner's country, absolute URLs; dialect=machine
    keeps the JSON's field names."""
    url = reverse("atlas:partnership_list")
    people = list(csv.DictReader(io.StringIO(_body(client.get(url, {"format": "csv"}))), delimiter=";"))
    row = next(r for r in people if r["Titre"] == world["partnership"].title)
    assert {"Identifiant", "Statut", "Collectivités", "Pays partenaire", "Région partenaire", "Page"} <= set(
        row
    )
    assert "status_label" not in row and row["Statut"] == world["partnership"].get_status_display()
    assert row["Page"].startswith("http://testserver/partenariats/")
    assert row["Pays partenaire"]
    machine = _body(client.get(url, {"format": "csv", "dialect": "machine"}))
    assert machine.splitlines()[0].startswith("slug;title;kind;kind_label;status;status_label")
    bad = client.get(url, {"format": "csv", "dialect": "excel"})
    assert bad.status_code == 422 and "dialect" in bad.content.decode()


def test_people_csv_writes_amounts_with_a_decimal_comma():
    from coopatlas.core.export import people_csv

    text = people_csv(
        [{"title": "x", "budget": "48000.50", "html_url": "/p/"}], absolute=lambda p: "https://a.fr" + p
    )
    header, line = text.lstrip("\ufeff").splitlines()
    assert header == "Titre;Budget;Page" and line == "x;48000,50;https://a.fr/p/"


def test_people_csv_speaks_the_page_language(client, world):
    """On /en/ the CSV's headers are English and amounts take a decimal point; every header
    the French file names has its English (csv_headers.json, one entry per language)."""
    import json
    from pathlib import Path

    from django.utils import translation

    from coopatlas.core.export import people_csv

    with translation.override("en"):
        text = people_csv(
            [{"title": "x", "budget": "48000.50", "html_url": "/p/"}], absolute=lambda p: "https://a.fr" + p
        )
    header, line = text.lstrip("\ufeff").splitlines()
    assert header == "Title;Budget;Page" and line == "x;48000.50;https://a.fr/p/"
    data = json.loads((Path(__file__).parents[2] / "core" / "data" / "csv_headers.json").read_text("utf-8"))
    assert set(data["fr"]) == set(data["en"])
    response = client.get("/en/partenariats/", {"country": "ZZ", "format": "csv"})
    first = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[0]
    assert "Title" in first.split(";") and "Titre" not in first


def test_partnership_list_json_is_the_selector_dict(client, world):
    params = {"country": "ZZ"}
    expected = selectors.partnership_list(filters=filters_from_params(params))
    got = client.get(reverse("atlas:partnership_list"), {**params, "format": "json"}).json()
    assert got == _same_json(expected)
    assert [r["title"] for r in got["results"]] == [world["partnership"].title]


def test_partnership_list_facets_are_labelled_selects(client, world):
    html = client.get(reverse("atlas:partnership_list"), {"country": "ZZ"}).content.decode()
    assert '<label class="fr-label" for="facet-country">' in html
    assert '<option value="ZZ" selected>' in html
    assert "Retirer le filtre" in html  # the active filter can be dismissed


def test_partnership_fiche(client, world):
    p = world["partnership"]
    response = client.get(p.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        p.title,
        "Département Test",
        "Région Partenaire",
        "En cours",
        "1990",
        "Électrification de test",
        "Sources",
        "citation de test",
        "atlas-test",
    ):
        assert text in html, text
    got = client.get(p.get_absolute_url(), {"format": "json"}).json()
    assert got == _same_json(selectors.partnership_detail(slug=p.slug))


def test_project_fiche_shows_financing_plan_with_totals(client, world):
    html = client.get(world["project"].get_absolute_url()).content.decode()
    assert "Plan de financement" in html
    assert "600\xa0€" in html and "400\xa0€" in html and "1\u202f000\xa0€" in html
    assert "dont valorisation" in html and "Chef de file" in html


@pytest.mark.parametrize("key", ["french", "foreign", "organisation", "programme"])
def test_other_fiches(client, world, key):
    record = world[key]
    response = client.get(record.get_absolute_url())
    assert response.status_code == 200
    assert str(getattr(record, "title", None) or record.name) in response.content.decode()
    assert client.get(record.get_absolute_url(), {"format": "json"}).status_code == 200


def test_country_fiche_shows_counted_beside_published(client, world):
    url = reverse("atlas:country", kwargs={"slug": world["country"].slug})
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Compté par l’atlas" in html and "58" in html  # published figure beside the count
    assert "Programme Test Eau" in html and "Correspondant test" in html
    assert "Cherche un partenaire test." in html
    assert client.get(reverse("atlas:country", kwargs={"slug": "zz"})).status_code == 200


def test_area_page_lists_its_partnerships(client, world):
    pytest.importorskip("coopatlas.geo.selectors")
    response = client.get(reverse("atlas:area", kwargs={"code": "ZZ-9"}))
    assert response.status_code == 200
    assert world["partnership"].title in response.content.decode()


def test_search_page_and_suggest(client, world):
    html = client.get(reverse("atlas:search"), {"q": "partenaire"}).content.decode()
    assert "Région Partenaire" in html
    suggestions = client.get(reverse("atlas:suggest"), {"q": "region partenaire"}).json()
    assert any(s["html_url"] == world["foreign"].get_absolute_url() for s in suggestions)
    assert client.get(reverse("atlas:suggest")).json() == []


def test_map_data_is_geojson(client, world):
    data = client.get(reverse("atlas:map_data"), {"country": "ZZ"}).json()
    kinds = {f["geometry"]["type"] for f in data["features"]}
    assert data["type"] == "FeatureCollection" and kinds == {"LineString", "Point"}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"country": "QQ"}, "country"),
        ({"page": "zéro"}, "page"),
        ({"year_from": "2020", "year_to": "1990"}, "year_from"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_parameter_gives_422_page_naming_it(client, world, params, field):
    response = client.get(reverse("atlas:partnership_list"), params)
    html = response.content.decode()
    assert response.status_code == 422
    assert "fr-alert--error" in html and f"Paramètre « {field} »" in html
    as_json = client.get(reverse("atlas:partnership_list"), {**params, "format": "json"})
    if field != "format":
        assert as_json.status_code == 422 and as_json.json()["errors"].get(field)


def test_unknown_records_give_404_pages(client, world):
    for name in ("partnership", "project", "authority", "organisation", "programme", "country"):
        response = client.get(reverse(f"atlas:{name}", kwargs={"slug": "nexiste-pas"}))
        assert response.status_code == 404, name
        assert "Page introuvable" in response.content.decode()
    assert client.get("/pas/de/page/").status_code == 404


def test_language_switch_to_english(client, world):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("atlas:partnership_list")}
    )
    assert response.status_code == 302 and response["Location"] == "/en/partenariats/"
    html = client.get("/en/partenariats/").content.decode()
    assert '<html lang="en"' in html
    assert "Partnerships" in html and "Download as CSV" in html
    assert "Télécharger en CSV" not in html


def test_user_text_is_escaped(client):
    world = atlas_world(title="<script>alert('x')</script> Test")
    p = world["partnership"]
    for url in (p.get_absolute_url(), reverse("atlas:partnership_list"), reverse("atlas:home")):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert" in html, url


def test_an_authority_fiche_with_more_projects_than_it_shows_links_to_all_of_them(client, monkeypatch):
    """The fiche shows DETAIL_LIST_LIMIT projects (200); beyond that it says how many there
    are and links to the project list of the authority, as it does for partnerships."""
    from coopatlas.cooperation.selectors import authorities
    from coopatlas.cooperation.tests import factories as f

    monkeypatch.setattr(authorities, "DETAIL_LIST_LIMIT", 2)
    commune = f.CommuneFactory(name="Plounévézel", insee_code="29200")
    for _ in range(3):
        f.ProjectFactory(participants=[commune])
    page = client.get(reverse("atlas:authority", kwargs={"slug": commune.slug})).content.decode()
    assert "Voir les 3 projets" in page
    assert f"{reverse('atlas:project_list')}?q=29200" in page
    listed = client.get(reverse("atlas:project_list"), {"q": "29200", "format": "json"}).json()
    assert listed["count"] == 3
