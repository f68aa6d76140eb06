"""The authority export as a background job: queued by the page, run by `coopatlas worker`
(django-tasks' database backend), followed on its progress page, its file downloaded."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from coopatlas.accounts.tests.world import build_world
from coopatlas.ops.models import Job


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(autouse=True)
def _worker_keeps_the_test_connection(monkeypatch):
    """The worker calls close_old_connections() between tasks; on PostgreSQL (CONN_MAX_AGE 0)
    that closes the test's own connection, inside its transaction. In production it is right."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def test_export_runs_in_the_worker_with_a_progress_page(client, world, django_capture_on_commit_callbacks):
    editor, commune = world["users"]["editor"], world["commune"]
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("ops:export_start", args=[commune.pk, "json"]))
    job = Job.objects.get()
    assert answer.status_code == 302 and answer.url == reverse("ops:job", args=[job.pk])
    waiting = client.get(answer.url)
    assert job.status == "queued" and waiting["Refresh"] == "2"  # nothing ran inside the request
    assert "en attente" in waiting.content.decode()

    call_command("coopatlas_worker", max_tasks=1, verbosity=0)

    job.refresh_from_db()
    assert job.status == "done" and job.percent == 100, job.message
    page = client.get(reverse("ops:job", args=[job.pk]))
    assert "Refresh" not in page and reverse("ops:job_download", args=[job.pk]) in page.content.decode()
    download = client.get(reverse("ops:job_download", args=[job.pk]))
    data = json.loads(b"".join(download.streaming_content))
    assert data["authority"]["id"] == commune.pk
    assert job.label in client.get(reverse("ops:jobs")).content.decode()


def test_export_of_another_authority_is_refused_and_nothing_is_queued(client, world):
    client.force_login(world["users"]["editor"])
    answer = client.post(reverse("ops:export_start", args=[world["dept"].pk, "json"]))
    assert answer.status_code == 403 and not Job.objects.exists()
    assert client.get(reverse("ops:export_start", args=[world["commune"].pk, "json"])).status_code == 405


def test_a_job_of_someone_else_is_not_shown(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["users"]["editor"])
    client.post(reverse("ops:export_start", args=[world["commune"].pk, "csv"]))
    job = Job.objects.get()
    client.force_login(world["users"]["nobody"])
    assert client.get(reverse("ops:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("ops:job_download", args=[job.pk])).status_code == 404
