"""The API reference page (/api/v1/docs): server-rendered from the schema ninja serves, so
every operation of /api/v1/openapi.json is on it, with its parameters, body and answers.
The expected operations are read from the schema in each test, never listed here."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from coopatlas.api.reference import api_reference, type_of
from coopatlas.cooperation.filters import PAGE_SIZE_MAX

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _articles(page: str) -> dict[str, str]:
    """Each operation's <article>, by its anchor."""
    out = {}
    for chunk in page.split('<article class="atlas-api-op"')[1:]:
        anchor = re.search(r'aria-labelledby="([^"]+)"', chunk).group(1)
        out[anchor] = html_lib.unescape(chunk.split("</article>")[0])
    return out


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/api/v1/openapi.json").json()


@pytest.mark.django_db
def test_every_operation_of_the_schema_is_on_the_reference_page(client, schema):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    articles = _articles(response.content.decode())
    operations = list(_operations(schema))
    assert len(articles) == len(operations)
    for path, method, op in operations:
        article = articles[f"op-{op['operationId']}"]
        assert (
            f">{method.upper()}</span>" in article
            and f'<code class="atlas-api-path">{path}</code>' in article
        )
        assert op.get("summary", "") in article
        for param in op.get("parameters", []):
            assert f"<code>{param['name']}</code>" in article, (op["operationId"], param["name"])
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" in body:
            component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
            for field in component.get("properties", {}):
                assert f"<code>{field}</code>" in article, (op["operationId"], field)
        for status in op["responses"]:
            assert f"<code>{status}</code>" in article, (op["operationId"], status)
    # Each tag is a section that the table of contents links.
    page = response.content.decode()
    for tag in {op["tags"][0] for _p, _m, op in operations}:
        assert f">{html_lib.escape(tag)}</a>" in page, tag


@pytest.mark.django_db
def test_every_schema_type_link_has_its_target(client):
    page = client.get("/api/v1/docs").content.decode()
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    targets = set(re.findall(r'href="#([^"]+)"', page))
    assert targets and not targets - ids, sorted(targets - ids)[:10]


@pytest.mark.django_db
def test_the_reference_works_without_javascript(client):
    """Everything is in the HTML answer: no Swagger UI bundle, no empty mount point."""
    page = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui" not in page and 'id="op-' in page
    assert 'href="/api/v1/docs/explorer"' in page  # the interactive explorer is a link away


@pytest.mark.django_db
def test_the_intro_reads_the_real_limits(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 3_000_000
    page = client.get("/api/v1/docs").content.decode()
    assert f"de 1 à {PAGE_SIZE_MAX}" in page
    assert "3,0 Mo" in page or "3.0 Mo" in page


@pytest.mark.django_db
def test_the_english_reference_is_in_english(client):
    client.cookies["django_language"] = "en"
    page = client.get("/api/v1/docs").content.decode()
    assert '<html lang="en"' in page
    for french in ("Paramètres", "Réponses", "Premiers pas", "obligatoire", "Corps de la requête"):
        assert french not in page, french
    for english in ("Parameters", "Responses", "Getting started", "Request body", "Interactive explorer"):
        assert english in page, english
    assert ' lang="en"' not in page.split("<main", 1)[1]  # the schema's English needs no mark here


@pytest.mark.django_db
def test_the_french_reference_marks_the_schemas_english(client):
    page = client.get("/api/v1/docs").content.decode()
    assert '<html lang="fr"' in page and "Paramètres" in page
    assert re.search(r'<span lang="en" class="fr-text--bold">Partnerships</span>', page)


def test_the_schema_does_not_depend_on_the_language():
    """Why the reference is built once per process (reference.served_reference)."""
    from django.utils import translation

    from coopatlas.api.api import api

    with translation.override("fr"):
        french = api.get_openapi_schema(path_params={})
    with translation.override("en"):
        english = api.get_openapi_schema(path_params={})
    assert french == english


@pytest.mark.django_db
def test_the_explorer_has_its_own_page_linked_back(client):
    page = client.get("/api/v1/docs/explorer").content.decode()
    assert 'id="swagger-ui"' in page and 'href="/api/v1/docs"' in page
    assert "#non-conformites" in page


@pytest.mark.parametrize(
    "schema, text, ref",
    [
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "string | null", None),
        ({"type": "array", "items": {"$ref": "#/components/schemas/LineIn"}}, "array of LineIn", "LineIn"),
        ({"type": "string", "enum": ["lead", "partner"]}, "string: lead, partner", None),
        ({"anyOf": [{"format": "date", "type": "string"}, {"type": "null"}]}, "string (date) | null", None),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, "object of integer", None),
        ({}, "any", None),
    ],
)
def test_type_in_words(schema, text, ref):
    assert type_of(schema) == {"text": text, "ref": ref}


def test_operations_keep_the_schemas_order_grouped_by_first_tag():
    schema = {
        "paths": {
            "/a": {"get": {"operationId": "a", "tags": ["one"], "responses": {}}},
            "/b": {"post": {"operationId": "b", "tags": ["two"], "responses": {}, "security": [{"T": []}]}},
            "/c": {"get": {"operationId": "c", "tags": ["one"], "responses": {}}},
        }
    }
    ref = api_reference(schema=schema)
    assert [(t["name"], [o["id"] for o in t["operations"]]) for t in ref["tags"]] == [
        ("one", ["a", "c"]),
        ("two", ["b"]),
    ]
    assert ref["tags"][1]["operations"][0]["token"] is True


def test_the_schema_is_built_once_per_process(client, monkeypatch):
    """ninja builds the OpenAPI schema again on each GET of openapi.json (~350 ms of CPU):
    the API keeps the one it built; the answer is the same."""
    import ninja.main

    from coopatlas.api.api import api

    calls = []
    real = ninja.main.get_schema

    def counting(**kwargs):
        calls.append(1)
        return real(**kwargs)

    monkeypatch.setattr(ninja.main, "get_schema", counting)
    monkeypatch.setattr(api, "_schemas", {}, raising=False)
    first = client.get("/api/v1/openapi.json")
    second = client.get("/api/v1/openapi.json")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and first.json()["paths"]
    assert len(calls) == 1
