"""Documents on an S3-compatible store (COOPATLAS_STORAGE=s3, django-storages), against a
local S3: moto's server mode, started here on a free loopback port (a test dependency, never
used at run time). Upload, download, a missing object, and backup/restore with S3 documents
through the CLI, the way base.py chooses the store from the environment."""

from __future__ import annotations

import shutil
import socket
import sys

import pytest

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")
pytest.importorskip("storages.backends.s3")

from coopatlas.ops.tests.test_backup import POPULATE, _cli, _run, _tables  # noqa: E402

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, **KEYS)
    yield endpoint, client
    server.stop()


def _bucket(client, name: str) -> str:
    client.create_bucket(Bucket=name)
    return name


def _objects(client, bucket: str) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def _storage_settings(endpoint: str, bucket: str) -> dict:
    """What base.py builds from COOPATLAS_STORAGE=s3 and the COOPATLAS_S3_* variables."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "access_key": KEYS["aws_access_key_id"],
            "secret_key": KEYS["aws_secret_access_key"],
            "region_name": KEYS["region_name"],
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


def _s3_env(endpoint: str, bucket: str) -> dict:
    return {
        "COOPATLAS_STORAGE": "s3",
        "COOPATLAS_S3_BUCKET": bucket,
        "COOPATLAS_S3_ENDPOINT_URL": endpoint,
        "COOPATLAS_S3_ACCESS_KEY": KEYS["aws_access_key_id"],
        "COOPATLAS_S3_SECRET_KEY": KEYS["aws_secret_access_key"],
        "COOPATLAS_S3_REGION": KEYS["region_name"],
    }


@pytest.mark.django_db
def test_upload_and_download_through_the_s3_store(s3, settings, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from coopatlas.accounts.tests.world import build_world
    from coopatlas.documents.services import document_upload

    endpoint, s3_client = s3
    bucket = _bucket(s3_client, "coopatlas-pages")
    settings.STORAGES = {**settings.STORAGES, "default": _storage_settings(endpoint, bucket)}
    world = build_world()
    doc = document_upload(
        actor=world["users"]["editor"],
        record=world["p1"],
        file=SimpleUploadedFile("convention.pdf", PDF, content_type="application/pdf"),
    )
    assert _objects(s3_client, bucket) == {doc.file.name: PDF}  # in the bucket, not on disk
    response = client.get(f"/documents/{doc.pk}/telecharger/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    s3_client.delete_object(Bucket=bucket, Key=doc.file.name)
    assert client.get(f"/documents/{doc.pk}/telecharger/").status_code == 404  # not a 500


def test_backup_and_restore_with_documents_on_s3(s3, tmp_path, monkeypatch):
    """A database whose documents are in one bucket, backed up, restored into an empty
    database and an empty bucket: the same rows and the same objects, byte for byte."""
    endpoint, s3_client = s3
    source_bucket, target_bucket = _bucket(s3_client, "atlas-source"), _bucket(s3_client, "atlas-target")
    for key, value in _s3_env(endpoint, source_bucket).items():
        monkeypatch.setenv(key, value)
    empty = tmp_path / "empty"
    empty.mkdir()
    _run(empty, sys.executable, "manage.py", "migrate", "-v0")
    source, target, again = (tmp_path / name for name in ("source", "target", "again"))
    for folder in (source, target, again):
        shutil.copytree(empty, folder)  # the same migration rows in each
    _run(source, sys.executable, "-c", POPULATE)
    stored = _objects(s3_client, source_bucket)
    assert len(stored) == 1 and next(iter(stored.values())) == b"%PDF-1.4\n"
    assert not list(source.rglob("*.pdf"))  # nothing on the filesystem
    archive = tmp_path / "atlas.tar"
    assert "Sauvegarde écrite" in _cli(source, "backup", str(archive)).stdout

    monkeypatch.setenv("COOPATLAS_S3_BUCKET", target_bucket)
    assert "Restauration terminée" in _cli(target, "restore", str(archive)).stdout
    assert _objects(s3_client, target_bucket) == stored
    before, after = _tables(source / "coopatlas.sqlite3"), _tables(target / "coopatlas.sqlite3")
    assert before["documents_document"] and after == before

    # A second restore into the filled bucket is refused, and the bucket is left as it was.
    refused = _cli(again, "restore", str(archive), check=False)
    assert refused.returncode != 0 and "existe déjà" in (refused.stdout + refused.stderr)
    assert _objects(s3_client, target_bucket) == stored
    assert not _tables(again / "coopatlas.sqlite3")["documents_document"]
