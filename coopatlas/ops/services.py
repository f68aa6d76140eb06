"""Writes of the ops app: the outbox, background jobs' progress."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Job, OutboxMessage


def _body_of(message) -> str:
    body = message.body or ""
    for content, mimetype in getattr(message, "alternatives", None) or ():
        if not body and mimetype == "text/plain":
            body = content
    return body


@transaction.atomic
def outbox_record(*, message, delivered: bool) -> list[OutboxMessage]:
    """Keep one copy of `message` (a django.core.mail EmailMessage) per recipient address."""
    addresses = []
    for address in message.recipients():
        address = (address or "").strip()
        if "<" in address and address.endswith(">"):  # "Name <a@b>"
            address = address.rsplit("<", 1)[1][:-1]
        if address and address.lower() not in {a.lower() for a in addresses}:
            addresses.append(address)
    users = {
        u.email.lower(): u
        for u in get_user_model().objects.filter(email__in=[a.lower() for a in addresses] + addresses)
    }
    rows = [
        OutboxMessage(
            user=users.get(address.lower()),
            to=address[:254],
            from_email=(message.from_email or "")[:254],
            subject=(message.subject or "")[:998],
            body=_body_of(message),
            delivered=delivered,
        )
        for address in addresses
    ]
    return OutboxMessage.objects.bulk_create(rows)


@transaction.atomic
def job_create(*, kind: str, label: str, params: dict, created_by) -> Job:
    job = Job(kind=kind, label=label[:300], params=params, created_by=created_by)
    job.full_clean()
    job.save()
    return job


def job_progress(*, job: Job, done: int, total: int | None = None, message: str | None = None) -> None:
    """Written by the worker outside any long transaction, so the progress page sees it at once."""
    fields = {"done": done}
    if total is not None:
        fields["total"] = total
    if message is not None:
        fields["message"] = message
    Job.objects.filter(pk=job.pk).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)


def job_start(*, job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    job.status = Job.Status.RUNNING


def job_finish(
    *, job: Job, result_name: str = "", filename: str = "", content_type: str = "", message: str = ""
):
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.DONE,
        finished_at=now,
        result_name=result_name,
        result_filename=filename,
        result_type=content_type,
        message=message,
        done=F("total"),
    )
    job.refresh_from_db()


def job_fail(*, job: Job, message: str) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED, finished_at=timezone.now(), message=message
    )
    job.refresh_from_db()
