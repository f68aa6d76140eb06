"""Hostile input on the declaration pages and API: never a 500 (issue 8)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from coopatlas.declarations.models import Declaration, DeclarationLine

from .conftest import YEAR

API = "/api/v1/declarations"
UNICODE_DIGITS = ["²", "⑨", "١٢", "２０２３", "1e1000", "9" * 40, "abc"]


@pytest.mark.parametrize("year", UNICODE_DIGITS)
def test_report_year_unicode_digits_answer_422_naming_year(client, db, year):
    r = client.get(f"{API}/report", {"year": year})
    assert r.status_code == 422 and "year" in r.json()["errors"], r.content


@pytest.mark.parametrize("number", UNICODE_DIGITS)
def test_declaration_version_param_answers_422(client, world, number):
    client.force_login(world["users"]["a"])
    client.post(reverse("declarations:new", kwargs={"slug": world["a"].slug}), {"year": YEAR})
    pk = Declaration.objects.get(authority=world["a"], year=YEAR).pk
    r = client.get(reverse("declarations:declaration", kwargs={"pk": pk}), {"version": number})
    assert r.status_code == 422 and "version" in r.content.decode()
    r = client.get(
        reverse("declarations:declaration", kwargs={"pk": pk}), {"version": number, "format": "json"}
    )
    assert r.status_code == 422 and r.json()["errors"].get("version")


def test_anonymous_post_to_an_unknown_declaration_is_404(client, db):
    r = client.post(reverse("declarations:action", kwargs={"pk": 987654, "action": "line"}), {"amount": "5"})
    assert r.status_code == 404
    r = client.post(
        reverse("declarations:action", kwargs={"pk": 987654, "action": "submit"}),
        HTTP_ACCEPT="application/json",
    )
    assert r.status_code == 404 and r.json()["errors"]


@pytest.mark.parametrize("line", ["abc", "²", "١", "", "9" * 40])
def test_delete_line_with_a_bad_line_id_writes_nothing_and_says_so(client, world, line):
    client.force_login(world["users"]["a"])
    client.post(reverse("declarations:new", kwargs={"slug": world["a"].slug}), {"year": YEAR})
    pk = Declaration.objects.get(authority=world["a"], year=YEAR).pk
    action = reverse("declarations:action", kwargs={"pk": pk, "action": "line"})
    client.post(action, {"type": "awareness", "amount": "5"})
    assert DeclarationLine.objects.filter(version__declaration_id=pk).count() == 1
    r = client.post(
        reverse("declarations:action", kwargs={"pk": pk, "action": "delete-line"}),
        {"line": line},
        follow=True,
    )
    assert r.status_code == 200 and "line" in r.content.decode()
    assert DeclarationLine.objects.filter(version__declaration_id=pk).count() == 1


@pytest.mark.parametrize("amount", ["1e1000", "NaN", "Infinity", "١٢", "²", "-0", "1e2"])
def test_line_amount_from_outside_is_refused_with_422(client, world, tokens, amount):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens['a']}"}
    r = client.post(
        API,
        json.dumps({"authority": world["a"].insee_code, "year": YEAR}),
        content_type="application/json",
        **headers,
    )
    pk = r.json()["id"]
    r = client.post(
        f"{API}/{pk}/lines",
        json.dumps({"amount": amount, "type": "awareness"}),
        content_type="application/json",
        **headers,
    )
    assert r.status_code == 422 and r.json()["errors"].get("amount"), r.content
    assert not DeclarationLine.objects.filter(version__declaration_id=pk).exists()


def test_marker_in_unicode_digits_is_refused_on_the_page(client, world):
    client.force_login(world["users"]["a"])
    client.post(reverse("declarations:new", kwargs={"slug": world["a"].slug}), {"year": YEAR})
    pk = Declaration.objects.get(authority=world["a"], year=YEAR).pk
    action = reverse("declarations:action", kwargs={"pk": pk, "action": "line"})
    r = client.post(action, {"type": "awareness", "amount": "5", "marker_gender": "²"}, follow=True)
    assert r.status_code == 200 and "marqueur" in r.content.decode()
    assert not DeclarationLine.objects.filter(version__declaration_id=pk).exists()
