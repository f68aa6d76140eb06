"""Issue 8: a record deleted through the editing services leaves every public output.

One record of each kind is deleted (as the ministry's administrator, through
`editing.record_delete`), then every public output is read as an anonymous visitor: the
atlas pages and lists (HTML, CSV, JSON), the read API (lists and details), the map's
GeoJSON, the search suggestions, the country summaries, the home figures and the IATI XML
from the CLI and from the API. Each record carries an ASCII marker; before the deletion
the marker must show somewhere (so the test can fail), after it nowhere.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from coopatlas.accounts.tests.world import build_world
from coopatlas.cooperation import editing
from coopatlas.cooperation.models import (
    Contact,
    Convention,
    FundingContribution,
    Organisation,
    PartnerRequest,
    Programme,
)
from coopatlas.documents.services import document_upload

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

LISTS = [
    "partnership_list",
    "project_list",
    "authority_list",
    "organisation_list",
    "programme_list",
    "partner_request_list",
]


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    w = build_world()
    # Markers only these records carry (ASCII, so HTML escaping cannot hide them).
    line = FundingContribution.objects.get(project=w["project"], funder_organisation=w["org"])
    FundingContribution.objects.filter(pk=line.pk).update(
        amount=Decimal("654321.00"), note="ligne-fictive-654321"
    )
    PartnerRequest.objects.filter(pk=w["request"].pk).update(description="demande-fictive-qm")
    w["line"] = FundingContribution.objects.get(pk=line.pk)
    w["convention"] = Convention.objects.get(partnership=w["p1"])
    # IATI publishes a project only with a DAC sector (rule 6.2.2, issue 12): give them one.
    from coopatlas.cooperation.models import ProjectSector

    for key in ("project", "project2"):
        ProjectSector.objects.create(project=w[key], sector_id="15112", percentage=Decimal("100"))
    return w


def _records(w) -> dict:
    """kind → (the record to delete, its markers)."""
    return {
        "partnership": (w["p1"], ["zorglub-quimbe"]),
        "project": (w["project"], ["puits-quimbe"]),
        "funding": (w["line"], ["ligne-fictive-654321", "654321"]),
        "convention": (w["convention"], ["Convention Zorglub 1985"]),
        "organisation": (w["org"], ["aaq-test", "Amis de Quimb"]),
        "programme": (w["programme"], ["programme-quimbe"]),
        "partner_request": (w["request"], ["demande-fictive-qm"]),
        "contact": (w["contact"], ["Agent fictif"]),
    }


def _public_urls(w) -> list[str]:
    atlas = [
        reverse("atlas:home"),
        reverse("atlas:country_list"),
        reverse("atlas:search") + "?q=quimbe",
        reverse("atlas:suggest") + "?q=quimb",
        reverse("atlas:suggest") + "?q=aaq",
        reverse("atlas:suggest") + "?q=zorglub",
        reverse("atlas:map_data"),
        reverse("atlas:map_data") + "?country=QM",
        reverse("atlas:map_data") + "?overview=1",
        reverse("atlas:area", kwargs={"code": "QM-1"}),
    ]
    for name in LISTS:
        base = reverse(f"atlas:{name}")
        atlas += [base, base + "?format=json", base + "?format=csv"]
        api = reverse(f"api:{name}")
        atlas += [api, api + "?q=quimbe"]
    for country in ("qm", "qn"):
        page = reverse("atlas:country", kwargs={"slug": country})
        atlas += [
            page,
            page + "?format=json",
            reverse("api:country_summary", kwargs={"iso2": country.upper()}),
        ]
    for key in ("commune", "cercle", "dept", "ville", "region"):
        slug = w[key].slug
        page = reverse("atlas:authority", kwargs={"slug": slug})
        atlas += [page, page + "?format=json", reverse("api:authority_detail", kwargs={"key": slug})]
    details = [
        ("partnership", "zorglub-quimbe"),
        ("partnership", "zorglub-quenard"),
        ("project", "puits-quimbe"),
        ("project", "projet-quenard"),
        ("organisation", "aaq-test"),
        ("programme", "programme-quimbe"),
    ]
    for kind, slug in details:
        page = reverse(f"atlas:{kind}", kwargs={"slug": slug})
        atlas += [page, page + "?format=json", reverse(f"api:{kind}_detail", kwargs={"slug": slug})]
    atlas.append(reverse("api:partner_request_detail", kwargs={"pk": w["request"].pk}))
    atlas.append(reverse("api:map_partnerships"))
    atlas.append(reverse("api:iati_activities"))
    return atlas


def _outputs(w, tmp_path) -> dict[str, str]:
    """Every public output, as text, by URL (and 'cli:export-iati'). A 404 counts as
    empty: its message repeats the key the visitor asked for, nothing more."""
    client = Client()
    out = {}
    for url in _public_urls(w):
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        out[url] = body.decode() if response.status_code == 200 else ""
    xml = tmp_path / "iati.xml"
    call_command("export_iati", output=str(xml))
    out["cli:export-iati"] = Path(xml).read_text()
    return out


def _showing(outputs: dict[str, str], markers: list[str]) -> list[str]:
    return sorted(url for url, text in outputs.items() if any(m in text for m in markers))


@pytest.mark.parametrize(
    "kind",
    [
        "partnership",
        "project",
        "funding",
        "convention",
        "organisation",
        "programme",
        "partner_request",
        "contact",
    ],
)
def test_a_deleted_record_leaves_every_public_output(world, tmp_path, kind):
    record, markers = _records(world)[kind]
    before = _showing(_outputs(world, tmp_path), markers)
    assert before, f"the {kind} should show somewhere before its deletion"
    admin = world["users"]["admin"]
    record.refresh_from_db()
    editing.record_delete(actor=admin, record=record, version=record.version)
    after = _outputs(world, tmp_path)
    assert _showing(after, markers) == [], f"the deleted {kind} still shows"
    own = {
        "partnership": "zorglub-quimbe",
        "project": "puits-quimbe",
        "organisation": "aaq-test",
        "programme": "programme-quimbe",
    }.get(kind)
    if own:  # its own pages answer 404 (and were 200 before)
        pages = [u for u in after if u.rstrip("/").split("?")[0].endswith(own)]
        assert pages and all(after[u] == "" for u in pages)
        assert set(pages) <= set(before)


def test_iati_cli_and_api_leave_out_a_deleted_project(world, tmp_path):
    """The defect of issue 8: the IATI selector filtered on publication status only."""
    project = world["project"]
    editing.record_delete(actor=world["users"]["admin"], record=project, version=project.version)
    xml = tmp_path / "iati.xml"
    call_command("export_iati", output=str(xml))
    assert "puits-quimbe" not in xml.read_text()
    response = Client().get(reverse("api:iati_activities"))
    assert response.status_code == 200
    assert b"puits-quimbe" not in b"".join(response.streaming_content)


@pytest.mark.parametrize("kind", ["project", "partnership"])
def test_a_deleted_records_documents_are_not_downloadable(world, kind):
    owner = world["project"] if kind == "project" else world["p1"]
    convention = world["convention"]
    editor = world["users"]["editor"]
    docs = [
        document_upload(
            actor=editor, record=owner, file=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
        ),
        document_upload(
            actor=editor,
            record=convention,
            file=SimpleUploadedFile("b.pdf", PDF, content_type="application/pdf"),
        ),
    ]
    client = Client()
    urls = [reverse("documents:download", kwargs={"pk": d.pk}) for d in docs]
    assert [client.get(u).status_code for u in urls] == [200, 200]
    owner.refresh_from_db()
    editing.record_delete(actor=world["users"]["admin"], record=owner, version=owner.version)
    # A project's documents go with it; a partnership's, and its conventions' documents too.
    expected = [404, 200] if kind == "project" else [404, 404]
    assert [client.get(u).status_code for u in urls] == expected


def test_a_deleted_actor_is_not_named_by_the_records_that_cite_it(world):
    """A programme carried by, or a request registered by, a deleted actor stays public
    without naming it; its contacts and financing lines leave with it."""
    org = world["org"]
    editing.record_delete(actor=world["users"]["admin"], record=org, version=org.version)
    client = Client()
    programme = client.get(reverse("api:programme_detail", kwargs={"slug": "programme-quimbe"})).json()
    assert programme["carrier"] is None
    request = client.get(reverse("api:partner_request_detail", kwargs={"pk": world["request"].pk})).json()
    assert request["registered_by"] is None
    assert not Contact.objects.public().filter(organisation=org).exists()
    assert not FundingContribution.objects.public().filter(funder_organisation=org).exists()
    assert Organisation.objects.public().filter(pk=org.pk).exists() is False
    assert Programme.objects.public().filter(slug="programme-quimbe").exists()
