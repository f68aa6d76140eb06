"""The open API: status codes, shapes, CSV, GeoJSON, docs, and junk query strings."""

import csv
import io
import json
import re

import pytest

from coopatlas.cooperation.tests import factories as f
from coopatlas.core.export import BOM

pytestmark = pytest.mark.django_db

LISTS = ["partnerships", "projects", "local-authorities", "organisations", "programmes", "partner-requests"]


@pytest.fixture
def atlas():
    return f.small_atlas()


def get(client, path, **params):
    return client.get(f"/api/v1/{path}", params)


def parse_csv(response) -> list[dict]:
    text = response.content.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


@pytest.mark.parametrize("path", LISTS)
def test_lists_answer_the_envelope(client, atlas, path):
    response = get(client, path, country="QM")
    assert response.status_code == 200, response.content
    data = response.json()
    assert {"count", "page", "page_size", "num_pages", "results", "facets"} <= set(data)
    assert data["count"] >= 1 and data["filters"] == {"country": "QM"}
    for record in data["results"]:
        assert record["html_url"].startswith("/") and record["api_url"].startswith("/api/v1/")
        assert client.get(record["api_url"]).status_code == 200


def test_partnership_record_carries_parties_and_sources(client, atlas):
    data = get(client, "partnerships", q="zorglub quimbe").json()
    record = next(r for r in data["results"] if r["slug"] == "zorglub-quimbe")
    assert {"parties", "kind", "status", "start_year", "themes", "sources"} <= set(record)
    party = record["parties"][0]
    assert {party["name"], party["country"], party["kind"], party["insee_code"], party["siren"]} == {
        "Zörglüb-lès-Bains",
        "FR",
        "commune",
        "96001",
        "900000001",
    }
    detail = get(client, "partnerships/zorglub-quimbe").json()
    assert detail["sources"][0]["document"]["key"] == "test-atlas"
    assert detail["conventions"][0]["title"] == "Convention Zorglub 1985"


@pytest.mark.parametrize("key", ["slug", "96001", "900000001"])
def test_authority_detail_by_slug_insee_or_siren(client, atlas, key):
    key = atlas["commune"].slug if key == "slug" else key
    response = get(client, f"local-authorities/{key}")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Zörglüb-lès-Bains"


@pytest.mark.parametrize(
    "path",
    [
        "partnerships/nope-zz",
        "projects/nope-zz",
        "local-authorities/nope-zz",
        "organisations/nope-zz",
        "programmes/nope-zz",
        "partner-requests/999999999",
        "partner-requests/abc",
        "countries/XX/summary",
        "countries/Mali/summary",
        "partnerships/zorglub-brouillon",
    ],
)
def test_unknown_ids_answer_404_json(client, atlas, path):
    response = get(client, path)
    assert response.status_code == 404
    body = response.json()
    assert body["detail"] and isinstance(body["errors"], dict)


def test_country_summary(client, atlas):
    data = get(client, "countries/QM/summary").json()
    assert data["figures"]["active_partnerships"]["counted"] == 1
    assert data["figures"]["active_partnerships"]["published"][0]["value"] == "3"
    assert data["api_url"] == "/api/v1/countries/QM/summary"


def test_map_geojson(client, atlas):
    response = get(client, "map/partnerships.geojson", country="QM")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert any(x["properties"].get("u") == "/partenariats/zorglub-quimbe/" for x in data["features"])
    assert get(client, "map/partnerships.geojson").status_code == 200
    bad = get(client, "map/partnerships.geojson", country="Mali")
    assert bad.status_code == 422 and "country" in bad.json()["errors"]


def test_csv_twin_has_every_row_flattened(client, atlas):
    response = get(client, "partnerships", french_region="99", format="csv", page_size="1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = parse_csv(response)
    assert len(rows) == 2  # all matches, not one page
    row = next(r for r in rows if r["slug"] == "zorglub-quimbe")
    assert row["parties"] == "Zörglüb-lès-Bains (FR) | Cercle de Quimbé (QM)"
    assert row["sources"] == "test-atlas, lignes 27–28"
    assert row["html_url"] == "/partenariats/zorglub-quimbe/"


def test_csv_neutralises_formulas(client, atlas):
    f.PartnershipFactory(
        title='=HYPERLINK("http://evil")', slug="zorglub-formula", parties=[atlas["commune"], atlas["ville"]]
    )
    f.PartnershipFactory(title="@SUM(A1)", slug="zorglub-at", parties=[atlas["commune"], atlas["ville"]])
    rows = parse_csv(get(client, "partnerships", country="QN", format="csv"))
    titles = {r["slug"]: r["title"] for r in rows}
    assert titles["zorglub-formula"] == '\'=HYPERLINK("http://evil")'
    assert titles["zorglub-at"] == "'@SUM(A1)"


@pytest.mark.parametrize("path", LISTS)
def test_every_list_exports_csv(client, atlas, path):
    response = get(client, path, country="QM", format="csv")
    assert response.status_code == 200
    rows = parse_csv(response)
    assert rows and "html_url" in rows[0]


JUNK = [
    ({"page": "-1"}, "page"),
    ({"page": "1.5"}, "page"),
    ({"page_size": "100000"}, "page_size"),
    ({"country": "XX"}, "country"),
    ({"country": "Mali"}, "country"),
    ({"sdg": "99"}, "sdg"),
    ({"year_from": "abc"}, "year_from"),
    ({"year_to": "99999999999999999999"}, "year_to"),
    ({"q": "x" * 10000}, "q"),
    ({"theme": "'; DROP TABLE x; --"}, "theme"),
    ({"format": "xlsx"}, "format"),
    ({"status": "n'importe"}, "status"),
    ({"area": "%00"}, "area"),
    ({"french_region": "\x00ab"}, "french_region"),
]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("params, field", JUNK)
def test_bad_values_answer_422_naming_the_parameter(client, atlas, path, params, field):
    response = get(client, path, **params)
    assert response.status_code == 422, (path, params, response.content[:300])
    body = response.json()
    assert field in body["errors"] and field in body["detail"]


ODD = [
    {"q": "Ségou ∆ 東京 🙂"},
    {"q": "\x01"},
    {"q": "%"},
    {"q": "_"},
    {"q": "' OR 1=1"},
    {"q": "a" * 200},
    {"unknown": "whatever", "another": ""},
    {"country": "qm"},
    {"kind": ""},
    {"page": "999999"},
    {"page": "1", "page_size": "200"},
    {"q": "zorglub", "sort": "nope", "page[]": "x"},
]
# NUL is refused at the one error boundary (PostgreSQL cannot store it): 422 naming the
# parameter, on every route (issue 8); other control characters are still blanked.
NUL = [({"q": "\x00\x01"}, "q"), ({"french_region": "\x00"}, "french_region")]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("params, field", NUL)
def test_nul_in_a_query_string_answers_422_naming_it(client, atlas, path, params, field):
    response = get(client, path, **params)
    assert response.status_code == 422 and field in response.json()["errors"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("params", ODD)
def test_odd_but_valid_query_strings_answer_200(client, atlas, path, params):
    response = get(client, path, **params)
    assert response.status_code == 200, (path, params, response.content[:300])
    assert "results" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "partnerships/%00",
        "projects/%C3%A9t%C3%A9",
        "local-authorities/%F0%9F%99%82",
        "countries/%00/summary",
        "local-authorities/commune:00000",
        "local-authorities/" + "9" * 300,
    ],
)
def test_odd_paths_never_500(client, atlas, path):
    response = client.get(f"/api/v1/{path}")
    assert response.status_code in (404, 422), response.content[:300]


def test_openapi_and_local_docs(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/partnerships" in schema["paths"]
    assert "/api/v1/countries/{iso2}/summary" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/v1/partnerships"]["get"]["parameters"]}
    assert {"q", "country", "kind", "theme", "status", "page", "page_size", "format"} <= params
    docs = client.get("/api/v1/docs/explorer")
    html = docs.content.decode()
    assert docs.status_code == 200 and "cdn" not in html.lower()
    # Every asset from this site (the atlas's footer links out, its scripts never do).
    assert not re.search(r'<(?:script|link|img)\b[^>]*(?:src|href)="(?:https?:)?//', html)
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js"):
        assert f"/api/v1/docs/assets/{asset}" in html
        assert client.get(f"/api/v1/docs/assets/{asset}").status_code == 200
    assert client.get("/api/v1/docs/assets/..%2Fsettings.py").status_code == 404


def test_openapi_operation_ids_are_unique(client):
    """Client generators name methods after operationId: the write API registered the same
    handler names for every resource, so ninja reused ids (contact_confirm and project_confirm
    were both "coopatlas_api_write_confirm")."""
    schema = client.get("/api/v1/openapi.json").json()
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, duplicates


def test_docs_page_is_an_atlas_page_with_a_language_switch(client):
    """The docs live inside the atlas's own page: header, footer, language switch; the
    page's own texts follow the language chosen."""
    html = client.get("/api/v1/docs").content.decode()
    assert "fr-header" in html and "fr-footer" in html and 'name="language"' in html
    assert "<h1>API ouverte : documentation</h1>" in html and 'id="op-project_create"' in html
    client.cookies["django_language"] = "en"
    english = client.get("/api/v1/docs").content.decode()
    assert '<html lang="en"' in english
    assert "API ouverte : documentation" not in english
