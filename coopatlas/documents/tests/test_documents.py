"""Uploads: content checked by magic bytes, 20 MB cap, permission of the record, nothing
stored when refused; downloads only, and only of what the user may see."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coopatlas.accounts.permissions import PermissionDenied
from coopatlas.accounts.tests.world import build_world
from coopatlas.core.errors import AppError
from coopatlas.core.testing import assert_nothing_written, table_counts
from coopatlas.documents.models import Document
from coopatlas.documents.services import MAX_BYTES, document_upload

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def _stored(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _upload(name: str, data: bytes, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize(
    "name,data,kind",
    [
        ("convention.pdf", PDF, "pdf"),
        ("photo.png", PNG, "png"),
        ("photo.JPG", JPEG, "jpeg"),
        ("photo.webp", WEBP, "webp"),
        ("scan sans extension", PDF, "pdf"),
    ],
)
def test_accepted_by_content(world, settings, name, data, kind):
    doc = document_upload(
        actor=world["users"]["editor"],
        record=world["p1"],
        file=_upload(name, data),
        title="Convention signée",
    )
    assert doc.kind == kind and doc.size == len(data) and doc.partnership == world["p1"]
    assert doc.original_name == name
    stored = Path(doc.file.path)
    assert stored.read_bytes() == data
    assert str(stored).startswith(str(settings.MEDIA_ROOT))
    assert name not in stored.name  # stored under a random key, not the sender's name


REJECTIONS = [
    ("setup.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100, "n'est ni un PDF ni une image"),
    (
        "convention.pdf",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        "n'est ni un PDF ni une image",
    ),
    ("vide.pdf", b"", "est vide (0 octet)"),
    ("enorme.pdf", b"%PDF-" + b"0" * (MAX_BYTES + 1 - 5), "dépasse 20 Mo"),
]


@pytest.mark.parametrize(
    "name,data,message", REJECTIONS, ids=["exe-renamed-pdf", "html-named-pdf", "empty", "20MB-plus-1"]
)
def test_rejected_with_message_and_nothing_stored(world, settings, name, data, message):
    before = table_counts()
    with pytest.raises(AppError) as exc:
        document_upload(actor=world["users"]["editor"], record=world["p1"], file=_upload(name, data))
    assert message in exc.value.message and name in exc.value.message
    assert exc.value.field == "file"
    assert_nothing_written(before)
    assert _stored(settings) == []


def test_exactly_20_mb_is_accepted(world):
    data = b"%PDF-" + b"0" * (MAX_BYTES - 5)
    doc = document_upload(actor=world["users"]["admin"], record=world["p1"], file=io.BytesIO(data))
    assert doc.size == MAX_BYTES


def test_out_of_scope_upload_refused_and_nothing_stored(world, settings):
    before = table_counts()
    with pytest.raises(PermissionDenied):
        document_upload(actor=world["users"]["editor"], record=world["p2"], file=_upload("c.pdf", PDF))
    with pytest.raises(PermissionDenied):
        document_upload(actor=None, record=world["p1"], file=_upload("c.pdf", PDF))
    assert_nothing_written(before)
    assert Document.objects.count() == 0 and _stored(settings) == []


def test_only_conventions_projects_partnerships(world):
    with pytest.raises(AppError, match="convention, un projet ou un partenariat"):
        document_upload(actor=world["users"]["admin"], record=world["org"], file=_upload("c.pdf", PDF))


def test_embassy_attaches_to_a_project_of_its_country(world):
    doc = document_upload(
        actor=world["users"]["embassy"], record=world["project"], file=_upload("rapport.pdf", PDF)
    )
    assert doc.project == world["project"]


# --------------------------------------------------------------------------- downloads


def test_download_is_an_attachment_with_nosniff(world, client):
    doc = document_upload(
        actor=world["users"]["editor"], record=world["p1"], file=_upload('conv<script>"1.pdf', PDF)
    )
    response = client.get(f"/documents/{doc.pk}/telecharger/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "<script>" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF


def test_document_of_a_draft_is_hidden_from_the_public(world, client):
    draft = world["p3"]  # a draft partnership of the région and the Cercle de Quimbé
    doc = document_upload(actor=world["users"]["admin"], record=draft, file=_upload("brouillon.pdf", PDF))
    url = f"/documents/{doc.pk}/telecharger/"
    assert client.get(url).status_code == 404
    client.force_login(world["users"]["editor"])  # the commune is not a party of p3
    assert client.get(url).status_code == 404
    client.force_login(world["users"]["admin"])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "name, data, saved",
    [
        ("scan sans extension", PDF, "scan sans extension.pdf"),
        ("photo.exe", PNG, "photo.exe.png"),
        ("rapport.PDF", PDF, "rapport.PDF"),
        ("image.html", PNG, "image.html.png"),
        ("convention.pdf", PDF, "convention.pdf"),
    ],
)
def test_download_name_ends_with_the_checked_type(world, client, name, data, saved):
    doc = document_upload(actor=world["users"]["editor"], record=world["p1"], file=_upload(name, data))
    response = client.get(f"/documents/{doc.pk}/telecharger/")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert f'filename="{saved}"' in disposition or saved.replace(" ", "%20") in disposition, disposition
