"""Documents on the edit pages: listed with download links, uploaded through the editing
space (content checked by the service, its message on the form), scope enforced; and the
project form's places (GeoNames ids) saved and read back."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from coopatlas.accounts.tests.world import build_world
from coopatlas.cooperation.models import Project
from coopatlas.documents.models import Document
from coopatlas.geo.models import Place

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FAKE_PDF = b"<!DOCTYPE html><html><body>pas un PDF</body></html>"


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def _client(world, role) -> Client:
    client = Client()
    client.force_login(world["users"][role])
    return client


def _stored(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _targets(world) -> dict:
    return {
        "projets": world["project"],
        "partenariats": world["p1"],
        "conventions": world["p1"].conventions.first(),
    }


@pytest.mark.parametrize("kind", ["projets", "partenariats", "conventions"])
def test_edit_page_has_the_upload_form(world, kind):
    record = _targets(world)[kind]
    body = _client(world, "admin").get(reverse("editor:edit", args=[kind, record.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in body and "fr-upload-group" in body
    assert 'accept=".pdf,.png,.jpg,.jpeg,.webp"' in body
    assert reverse("editor:document_add", args=[kind, record.pk]) in body
    assert " style=" not in body and "<script>" not in body


@pytest.mark.parametrize("kind", ["projets", "partenariats", "conventions"])
def test_upload_a_pdf_then_see_it_listed(world, settings, kind):
    record = _targets(world)[kind]
    client = _client(world, "admin")
    url = reverse("editor:document_add", args=[kind, record.pk])
    response = client.post(
        url,
        {
            "title": "Convention signée",
            "file": SimpleUploadedFile("signee.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("editor:edit", args=[kind, record.pk]))
    document = Document.objects.get()
    assert document.record == record and document.kind == "pdf" and len(_stored(settings)) == 1
    body = client.get(response["Location"]).content.decode()
    assert "Convention signée" in body and "ajouté" in body
    assert reverse("documents:download", args=[document.pk]) in body
    download = client.get(reverse("documents:download", args=[document.pk]))
    assert b"".join(download.streaming_content) == PDF


def test_fake_pdf_shows_the_message_and_stores_nothing(world, settings):
    project = world["project"]
    response = _client(world, "editor").post(
        reverse("editor:document_add", args=["projets", project.pk]),
        {
            "title": "Rapport",
            "file": SimpleUploadedFile("rapport.pdf", FAKE_PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 422
    errors = response.context["documents"]["form"].errors["file"]
    assert any("rapport.pdf" in e and "ni un PDF" in e for e in errors)
    body = response.content.decode()
    assert "fr-upload-group--error" in body and "rapport.pdf" in body
    assert Document.objects.count() == 0 and _stored(settings) == []


def test_out_of_scope_user_is_refused(world, settings):
    # The editor belongs to Zörglüb; project2 is Quenard's.
    response = _client(world, "editor").post(
        reverse("editor:document_add", args=["projets", world["project2"].pk]),
        {"file": SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")},
    )
    assert response.status_code == 403
    assert Document.objects.count() == 0 and _stored(settings) == []


def test_other_kinds_take_no_documents(world):
    org = world["org"]
    response = _client(world, "admin").post(
        reverse("editor:document_add", args=["acteurs", org.pk]),
        {"file": SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")},
    )
    assert response.status_code == 404


# --------------------------------------------------------------------------- places


def _form_data(response) -> dict:
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled or value is None:
            continue
        data[name] = (
            [str(getattr(v, "pk", v)) for v in value]
            if isinstance(value, list)
            else str(getattr(value, "pk", value))
        )
    return data


def test_project_places_saved_and_read_back(world):
    # Fictional places in the fictional country of the test atlas.
    a = Place.objects.create(
        geonames_id=99000001, name="Quimbé-Centre", country=world["qm"], latitude=14.5, longitude=-4.2
    )
    b = Place.objects.create(
        geonames_id=99000002, name="Zorgo", country=world["qm"], latitude=14.6, longitude=-4.1
    )
    # a draft: an editor's change to a published record waits for validation
    Project.objects.filter(pk=world["project"].pk).update(publication_status="draft")
    client = _client(world, "editor")
    project = world["project"]
    url = reverse("editor:edit", args=["projets", project.pk])
    page = client.get(url)
    assert 'data-picker="places"' in page.content.decode()
    data = _form_data(page)
    data["places"] = f"{a.pk} — Quimbé-Centre\n{b.pk}\n"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    project.refresh_from_db()
    assert set(project.places.all()) == {a, b}
    initial = client.get(url).context["form"]["places"].value()
    assert f"{a.pk} — Quimbé-Centre" in initial and f"{b.pk} — Zorgo" in initial

    data = _form_data(client.get(url))
    data["places"] = f"{b.pk}\n"
    assert client.post(url, data).status_code == 302
    assert list(project.places.all()) == [b]


def test_unknown_place_is_shown_on_the_field(world):
    client = _client(world, "editor")
    url = reverse("editor:edit", args=["projets", world["project"].pk])
    data = _form_data(client.get(url))
    version = world["project"].version
    for value in ("98999999", "Dakar"):
        data["places"] = value
        response = client.post(url, data)
        assert response.status_code == 422
        assert response.context["form"].errors["places"]
    world["project"].refresh_from_db()
    assert world["project"].version == version
