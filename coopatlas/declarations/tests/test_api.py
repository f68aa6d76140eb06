"""The HTTP API, the exports and the pages."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
import zipfile

import pytest
from django.urls import reverse

from coopatlas.core.testing import assert_nothing_written, table_counts
from coopatlas.declarations.models import Declaration, DeclarationLine

from .conftest import YEAR

API = "/api/v1/declarations"


def call(client, method, path, token=None, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return getattr(client, method)(
        path, data=json.dumps(body) if body is not None else None, content_type="application/json", **headers
    )


@pytest.fixture
def declared(client, world, tokens):
    """A declares through the API (INSEE code), the ministry validates."""
    r = call(client, "post", API, tokens["a"], {"authority": world["a"].insee_code, "year": YEAR})
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    for line in (
        {
            "amount": "1000.10",
            "type": "project",
            "country": "ML",
            "sector": "14030",
            "channel": "12000",
            "markers": {"gender": 2},
        },
        {"amount": 300, "type": "refugees", "under_12_months": True},
        {"amount": "40.01", "type": "awareness"},
        {"amount": "=cmd", "type": "awareness"},
    ):
        r = call(client, "post", f"{API}/{pk}/lines", tokens["a"], line)
        assert r.status_code == (422 if line["amount"] == "=cmd" else 201), r.content
    assert call(client, "post", f"{API}/{pk}/submit", tokens["a"]).status_code == 200
    assert call(client, "post", f"{API}/{pk}/validate", tokens["admin"]).status_code == 200
    return pk


def test_report_json_shape(client, declared):
    r = client.get(f"{API}/report", {"year": YEAR})
    assert r.status_code == 200
    data = r.json()
    for key in (
        "total",
        "bilateral_excluding_refugees",
        "refugees",
        "awareness",
        "by_country",
        "top10_share",
        "markers",
        "declarants",
    ):
        assert key in data
    assert data["total"] == "1340.11" and data["refugees"] == "300.00"
    assert data["bilateral_excluding_refugees"] == "1040.11"
    assert data["by_country"] == [
        {
            "country": "ML",
            "label": data["by_country"][0]["label"],
            "amount": "1000.10",
            "cents": 100010,
            "lines": 1,
            "share": "0.9615",
            "rank": 1,
            "least_developed": True,
        }
    ]
    assert data["markers"]["gender"] == "1000.10" and data["declarants"] == 1


def test_bad_input_422_names_the_field_and_writes_nothing(client, world, tokens, declared):
    r = client.get(f"{API}/report", {"year": "20x3"})
    assert r.status_code == 422 and "year" in r.json()["errors"]
    pk = call(client, "post", API, tokens["b"], {"authority": world["b"].insee_code, "year": YEAR}).json()[
        "id"
    ]
    before = table_counts()
    r = call(
        client,
        "post",
        f"{API}/{pk}/lines",
        tokens["b"],
        {"amount": "-3", "type": "project", "markers": {"gender": 5}},
    )
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"amount", "markers.gender"}
    r = call(client, "post", f"{API}/{pk}/lines", tokens["b"], {"amount": "3", "kind": "x"})
    assert r.status_code == 422 and "kind" in r.json()["errors"]
    r = call(client, "post", API, tokens["b"], {"authority": "00000", "year": YEAR})
    assert r.status_code == 422 and "authority" in r.json()["errors"]
    r = call(client, "post", API, tokens["b"], {"authority": world["b"].insee_code, "year": 1980})
    assert r.status_code == 422 and "year" in r.json()["errors"]
    assert_nothing_written(before)
    assert Declaration.objects.filter(authority=world["b"]).count() == 1


def test_permissions_over_http(client, world, tokens, declared):
    r = call(client, "post", API, None, {"authority": world["a"].insee_code, "year": YEAR - 1})
    assert r.status_code == 401
    r = call(client, "post", API, tokens["b"], {"authority": world["a"].insee_code, "year": YEAR - 1})
    assert r.status_code == 403
    draft = call(client, "post", API, tokens["a"], {"authority": world["a"].siren, "year": YEAR - 1}).json()[
        "id"
    ]
    assert call(client, "get", f"{API}/{draft}", tokens["b"]).status_code == 404
    assert call(client, "get", f"{API}/{draft}", tokens["admin"]).status_code == 200
    assert (
        call(
            client, "post", f"{API}/{draft}/lines", tokens["b"], {"amount": "1", "type": "awareness"}
        ).status_code
        == 403
    )
    line = call(
        client, "post", f"{API}/{draft}/lines", tokens["a"], {"amount": "1", "type": "awareness"}
    ).json()["id"]
    assert (
        call(client, "patch", f"{API}/{draft}/lines/{line}", tokens["a"], {"amount": "2.50"}).json()["amount"]
        == "2.50"
    )
    assert call(client, "delete", f"{API}/{draft}/lines/{line}", tokens["b"]).status_code == 403
    assert call(client, "delete", f"{API}/{draft}/lines/{line}", tokens["a"]).status_code == 200
    assert call(client, "post", f"{API}/{declared}/validate", tokens["a"]).status_code in (403, 409)
    assert call(client, "post", f"{API}/{draft}/return", tokens["b"], {"comment": "x"}).status_code == 403
    # validated: locked (409) until a correction opens version 2
    r = call(client, "post", f"{API}/{declared}/lines", tokens["a"], {"amount": "1", "type": "awareness"})
    assert r.status_code == 409
    r = call(client, "post", f"{API}/{declared}/correct", tokens["a"])
    assert r.status_code == 200 and r.json()["version"]["number"] == 2
    assert len(r.json()["versions"]) == 2


def test_exports_parse(client, declared):
    r = client.get(f"{API}/report", {"year": YEAR, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert {"section": "total", "code": "total", "amount": "1340.11"}.items() <= rows[0].items()
    assert any(x["section"] == "by_country" and x["code"] == "ML" for x in rows)
    r = client.get(f"{API}/report", {"year": YEAR, "format": "xlsx"})
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert zf.testzip() is None
        sheet = ET.fromstring(zf.read("xl/worksheets/sheet1.xml"))
        ET.fromstring(zf.read("xl/workbook.xml"))
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    assert len(sheet.findall(".//m:row", ns)) == len(rows) + 1
    assert sheet.find(".//m:row[@r='2']/m:c[@r='D2']/m:v", ns).text == "1340.11"
    r = client.get(f"{API}/report", {"year": YEAR, "format": "crs"})
    crs = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
    assert len(crs) == 3
    ml = next(x for x in crs if x["recipient_iso2"] == "ML")
    assert (
        ml["purpose_code"],
        ml["channel_code"],
        ml["gender"],
        ml["disbursement_eur"],
        ml["flow_code"],
        ml["donor_code"],
    ) == ("14030", "12000", "2", "1000.10", "11", "4")
    assert sum(float(x["disbursement_eur"]) for x in crs) == pytest.approx(1340.11)


def test_pages(client, world, declared):
    r = client.get(reverse("declarations:report", kwargs={"year": YEAR}))
    assert r.status_code == 200 and "1\u202f340,11\xa0€</span> d’APD déclarée" in r.content.decode()
    assert (
        client.get(reverse("declarations:report", kwargs={"year": YEAR}), {"format": "json"}).json()["total"]
        == "1340.11"
    )
    assert client.get(reverse("declarations:report", kwargs={"year": 1995})).status_code == 422
    r = client.get(reverse("declarations:authority", kwargs={"slug": world["a"].slug}))
    assert r.status_code == 200 and "Version validée comptée" in r.content.decode()
    page = reverse("declarations:declaration", kwargs={"pk": declared})
    assert client.get(page).status_code == 200  # validated: public


def test_page_editing_as_signed_in_editor(client, world):
    client.force_login(world["users"]["a"])
    r = client.post(reverse("declarations:new", kwargs={"slug": world["a"].slug}), {"year": YEAR})
    pk = Declaration.objects.get(authority=world["a"], year=YEAR).pk
    assert r.status_code == 302
    action = reverse("declarations:action", kwargs={"pk": pk, "action": "line"})
    client.post(
        action, {"type": "refugees", "amount": "12,50", "under_12_months": "yes", "marker_gender": "1"}
    )
    client.post(action, {"type": "project", "amount": "-1"})
    r = client.get(reverse("declarations:declaration", kwargs={"pk": pk}), follow=True)
    assert DeclarationLine.objects.filter(version__declaration_id=pk).count() == 1
    assert "12,50" in r.content.decode()
    client.force_login(world["users"]["b"])
    r = client.post(action, {"type": "awareness", "amount": "5"}, follow=True)
    assert DeclarationLine.objects.filter(version__declaration_id=pk).count() == 1
    assert "ne peut pas déclarer" in r.content.decode() or r.status_code in (403, 404)
