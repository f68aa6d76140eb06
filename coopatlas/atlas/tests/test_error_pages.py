"""The refusals Django renders itself are atlas pages in the visitor's language: its own
403 (django.core.exceptions.PermissionDenied, 403.html) and the CSRF refusal
(settings.CSRF_FAILURE_VIEW), never Django's English technical text. The browser suite
sees them served with DEBUG off (test_browser_a11y.test_error_pages_served_as_in_production)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import permission_denied

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("prefix, lang", [("", "fr"), ("/en", "en")])
def test_a_form_without_its_csrf_token_gets_the_atlas_page(prefix, lang):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{prefix}/compte/connexion/", {"email": "a@example.org", "password": "x"})
    page = response.content.decode()
    assert response.status_code == 403
    assert f'<html lang="{lang}"' in page and "fr-header" in page
    assert "CSRF verification failed" not in page
    assert 'href="/"' in page or 'href="/en/"' in page  # a way back


def test_djangos_own_refusal_renders_the_atlas_403_page():
    request = RequestFactory().get("/quelque-part/")
    request.user = AnonymousUser()
    with translation.override("fr"):
        response = permission_denied(request, PermissionDenied("non"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "<title>Accès refusé — " in page and "<h1>Accès refusé</h1>" in page
    assert 'href="/"' in page


@pytest.mark.parametrize(
    "path, params, field",
    [
        ("/recherche/suggestions.json", {"q": "x" * 201}, "q"),
        ("/en/recherche/suggestions.json", {"q": "x" * 201}, "q"),
        ("/carte/partenariats.geojson", {"country": "Mali"}, "country"),
    ],
)
def test_data_addresses_refuse_bad_parameters_in_json(client, path, params, field):
    """The type-ahead and the map read these with a script: a refusal is JSON naming the
    parameter, never an HTML page the script cannot read."""
    response = client.get(path, params)
    assert response.status_code in (400, 422)
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert field in body["errors"] and field in body["detail"]


def test_an_address_no_view_answers_is_json_under_the_api_and_a_page_elsewhere(client):
    api = client.get("/api/v1/authorities")  # the API's is /api/v1/local-authorities…
    assert api.status_code == 404 and api["Content-Type"].startswith("application/json")
    assert "/api/v1/authorities" in api.json()["detail"] and "/api/v1/docs" in api.json()["detail"]
    page = client.get("/nulle-part/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    assert "Page introuvable" in page.content.decode()
