"""Campaign reminders leave the request: queued as a background job (ops.jobs), sent by
`coopatlas worker`, and every reminder e-mail lands in its recipient's "Mes messages"."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from coopatlas.declarations.models import Reminder
from coopatlas.ops.models import Job, OutboxMessage

from .conftest import YEAR


@pytest.fixture(autouse=True)
def _worker_keeps_the_test_connection(monkeypatch):
    """The worker calls close_old_connections() between tasks; on PostgreSQL (CONN_MAX_AGE 0)
    that closes the test's own connection, inside its transaction. In production it is right."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def test_reminders_are_sent_by_the_worker_and_kept_in_the_outbox(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "coopatlas.ops.mail.RecordingEmailBackend"
    client.force_login(world["users"]["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("declarations:campaign", kwargs={"year": YEAR}))
    job = Job.objects.get(kind="campaign_remind")
    assert answer.status_code == 302 and answer.url == reverse("ops:job", kwargs={"pk": job.pk})
    assert not Reminder.objects.exists()  # nothing sent inside the request

    with django_capture_on_commit_callbacks(execute=True):  # the mail goes after the commit
        call_command("coopatlas_worker", max_tasks=1, verbosity=0)

    job.refresh_from_db()
    assert job.status == "done" and "Relance envoyée" in job.message, job.message
    assert Reminder.objects.filter(authority=world["b"]).exists()
    kept = OutboxMessage.objects.filter(to="editor-b@example.org").get()
    assert kept.user == world["users"]["b"] and str(YEAR) in kept.subject


def test_an_editor_may_not_queue_reminders(client, world):
    client.force_login(world["users"]["a"])
    answer = client.post(reverse("declarations:campaign", kwargs={"year": YEAR}), follow=True)
    assert not Job.objects.exists() and "administrateurs du ministère" in answer.content.decode()
