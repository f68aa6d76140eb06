"""The outbox (every e-mail kept for its recipients), /healthz, /metrics, request ids."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.core.mail import EmailMessage, send_mail
from django.urls import reverse

from coopatlas.accounts.models import User
from coopatlas.ops.models import OutboxMessage

RECORDING = "coopatlas.ops.mail.RecordingEmailBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def recording(settings):
    settings.EMAIL_BACKEND = RECORDING  # pytest-django had put locmem in its place
    settings.COOPATLAS_EMAIL_DELIVERY = LOCMEM
    return settings


@pytest.mark.django_db
def test_every_mail_sent_with_django_core_mail_is_delivered_and_kept_per_recipient(recording):
    anne = User.objects.create_user(email="anne@example.org", password="x" * 20)
    sent = EmailMessage(
        "Relance APD",
        "Votre déclaration est attendue.",
        "atlas@example.org",
        to=["Anne <ANNE@example.org>"],
        cc=["bureau@example.org"],
        bcc=["anne@example.org"],
    ).send()
    assert sent == 1 and len(mail.outbox) == 1  # delivered once, by the inner backend
    rows = {m.to.lower(): m for m in OutboxMessage.objects.all()}
    assert set(rows) == {"anne@example.org", "bureau@example.org"}  # one copy per address
    assert rows["anne@example.org"].user == anne and rows["bureau@example.org"].user is None
    assert rows["anne@example.org"].delivered and rows["anne@example.org"].subject == "Relance APD"


@pytest.mark.django_db
def test_a_mail_that_fails_to_deliver_is_kept_marked_undelivered(recording):
    recording.COOPATLAS_EMAIL_DELIVERY = "coopatlas.ops.tests.test_ops.BrokenBackend"
    assert send_mail("Objet", "Texte", None, ["x@example.org"], fail_silently=True) == 0
    kept = OutboxMessage.objects.get()
    assert kept.to == "x@example.org" and not kept.delivered
    with pytest.raises(ConnectionRefusedError):
        send_mail("Objet", "Texte", None, ["x@example.org"])


class BrokenBackend(mail.backends.base.BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")


@pytest.mark.django_db
def test_my_messages_shows_mine_and_not_others(client, recording):
    anne = User.objects.create_user(email="anne@example.org", password="x" * 20)
    send_mail("Pour Anne", "Bonjour Anne", None, ["anne@example.org"])
    send_mail("Pour Paul", "Bonjour Paul", None, ["paul@example.org"])
    client.force_login(anne)
    page = client.get(reverse("ops:messages")).content.decode()
    assert "Pour Anne" in page and "Bonjour Anne" in page and "Pour Paul" not in page
    client.logout()
    assert client.get(reverse("ops:messages")).status_code == 302  # signed-in only


@pytest.mark.django_db
def test_healthz_reports_database_migrations_disk_cache_storage(client):
    answer = client.get("/healthz", HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    checks = json.loads(answer.content)
    assert all(value == "OK" for value in checks.values())
    assert {"Database", "MigrationsApplied", "DiskSpace", "Cache", "Storage"} <= {
        name.split("(")[0] for name in checks
    }


@pytest.mark.django_db
def test_healthz_fails_when_the_disk_is_over_the_limit(client, settings):
    settings.COOPATLAS_HEALTH_MAX_DISK_PERCENT = 0
    answer = client.get("/healthz", HTTP_ACCEPT="application/json")
    assert answer.status_code == 500 and "full" in json.loads(answer.content)["DiskSpace()"]


@pytest.mark.django_db
def test_metrics_from_the_machine_itself_or_with_the_token_only(client, settings):
    client.get("/")
    local = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    body = local.content.decode()
    assert local.status_code == 200
    assert (
        "django_http_requests_latency_seconds_by_view_method" in body
        and 'coopatlas_jobs{status="queued"}' in body
    )
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.5").status_code == 403
    assert (
        client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 403
    )
    assert client.post("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 405  # read-only
    settings.COOPATLAS_METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200


@pytest.mark.django_db
def test_each_answer_carries_a_request_id_and_keeps_a_sane_one_given(client):
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 36
    assert client.get("/healthz", HTTP_X_REQUEST_ID="proxy-abc-12345")["X-Request-ID"] == "proxy-abc-12345"
    assert client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"] != "bad id"


def test_logs_are_json_lines_with_the_request_id():
    import logging

    import structlog

    from coopatlas.ops import logs

    formatter = structlog.stdlib.ProcessorFormatter(processor=logs.RENDERER, foreign_pre_chain=logs.PRE_CHAIN)
    structlog.contextvars.bind_contextvars(request_id="req-123456")
    try:
        record = logging.LogRecord("coopatlas.x", logging.WARNING, __file__, 1, "disk %s", ("low",), None)
        line = json.loads(formatter.format(record))
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
    assert line["event"] == "disk low" and line["request_id"] == "req-123456" and line["level"] == "warning"
