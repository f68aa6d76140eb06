"""The one error boundary: AppError → its status for pages and the API; 413 for oversized
bodies; NUL characters refused with a 422 naming the field; the API's 500 is JSON."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from coopatlas.core.errors import AppError, NotFound, PayloadTooLarge, exit_code_of, http_status_of


def test_status_and_exit_code_come_from_the_error():
    assert http_status_of(AppError("x")) == 422 and http_status_of(NotFound("x")) == 404
    assert http_status_of(PayloadTooLarge("x")) == 413 and http_status_of(ValueError()) == 500
    assert exit_code_of(NotFound("x")) == 3 and exit_code_of(RuntimeError()) == 1


@pytest.mark.django_db
def test_api_body_over_the_limit_answers_413_json(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = client.post(
        "/api/v1/partnerships",
        json.dumps({"title": "x" * 2000}),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer nope",
    )
    assert r.status_code == 413 and r["Content-Type"].startswith("application/json")
    assert "Mo" in r.json()["detail"] and r.json()["errors"] == {"body": [r.json()["detail"]]}


@pytest.mark.django_db
def test_html_form_over_the_limit_answers_413_page(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = client.post(
        reverse("accounts:signin"),
        urlencode({"email": "a" * 3000}),
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code == 413 and r["Content-Type"].startswith("text/html")
    assert "Envoi trop volumineux" in r.content.decode()


def test_multipart_fields_over_the_limit_answer_413(client, settings, db):
    """Multipart bodies carry no fixed length check (files are exempt): Django raises while
    reading the fields, and the boundary turns it into the same 413."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = client.post(reverse("accounts:signin"), {"note": "a" * 3000})  # multipart
    assert r.status_code == 413


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/partenariats/", "/api/v1/partnerships"])
def test_nul_in_a_query_parameter_is_422_naming_it(client, path):
    r = client.get(path, {"q": "Mopti\x00"})
    assert r.status_code == 422
    if path.startswith("/api/"):
        assert r.json()["errors"] == {"q": [r.json()["detail"]]} and "U+0000" in r.json()["detail"]
    else:
        assert "U+0000" in r.content.decode() and "« q »" in r.content.decode()


@pytest.mark.django_db
def test_nul_in_a_json_body_is_422_naming_the_field_and_writes_nothing(client):
    from coopatlas.core.models import Source

    before = Source.objects.count()
    r = client.post(
        "/api/v1/partnerships",
        json.dumps({"kind": "twinning", "parties": ["a"], "title": "A\u0000B"}),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer nope",
    )
    assert r.status_code == 422 and "title" in r.json()["errors"], r.content
    assert Source.objects.count() == before


@pytest.mark.django_db
def test_nul_in_a_form_field_is_422(client):
    r = client.post(reverse("accounts:signin"), {"email": "a\x00@example.org", "password": "x"})
    assert r.status_code == 422 and "email" in r.content.decode()


@pytest.mark.django_db
def test_api_500_is_json_without_traceback(client, settings, monkeypatch):
    from coopatlas.cooperation import selectors

    def broken(**kwargs):
        raise RuntimeError("secret internal detail")

    settings.DEBUG = True  # ninja shows a traceback in DEBUG unless we handle it
    monkeypatch.setattr(selectors, "partner_request_detail", broken)
    r = client.get("/api/v1/partner-requests/1")
    assert r.status_code == 500 and r["Content-Type"].startswith("application/json")
    assert "secret" not in r.content.decode() and "Traceback" not in r.content.decode()
    assert r.json()["detail"]


@pytest.mark.django_db
def test_bad_page_parameter_answers_422_from_the_one_boundary(client):
    r = client.get("/partenariats/", {"page": "²"})
    assert r.status_code == 422
    r = client.get("/partenariats/", {"page": "١٢", "format": "json"})
    assert r.status_code == 422 and r.json()["errors"].get("page")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, body, field",
    [
        (
            "/api/v1/partnerships",
            {
                "slug": "x-y",
                "title": "T",
                "kind": "twinning",
                "parties": None,
                "organisations": None,
                "source_url": "https://example.org",
            },
            None,
        ),
        (
            "/api/v1/partner-requests",
            {"authority": None, "title": "T", "source_url": "https://example.org"},
            "authority",
        ),
    ],
)
def test_explicit_nulls_found_by_the_fuzz_test_are_422(client, path, body, field):
    """Regressions of the schemathesis run: a JSON null for a list or a required key was a 500."""
    from coopatlas.accounts import services as accounts

    user = accounts.user_add(email="nulls@example.org", role="admin")[0]
    token = accounts.token_create(user=user)[1]
    r = client.post(
        path, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert r.status_code in (400, 422), r.content
    if field:
        assert field in r.json()["errors"], r.content
