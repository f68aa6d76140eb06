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
