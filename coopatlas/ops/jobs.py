"""Long jobs, run by the background worker (`coopatlas worker`) instead of inside a request.

Why django-tasks (Django's tasks API, backported) with django-tasks-db: it is the API Django
6 ships, so the code does not change when the project moves to Django 6; its database
backend needs no broker and works on SQLite (`make run`) as on PostgreSQL, and the queue
lives in the one database several app servers already share. procrastinate would need
PostgreSQL everywhere.

Each job is an ops.Job row (who, progress, result file) and one queued task carrying its id.
Kinds are registered here; their work calls the apps' own selectors and services."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _
from django_tasks import task

from coopatlas.core.errors import AppError

from . import services
from .models import Job

logger = logging.getLogger(__name__)

RUNNERS: dict[str, Callable[[Job], None]] = {}


def runner(kind: str):
    def register(function):
        RUNNERS[kind] = function
        return function

    return register


def job_enqueue(*, kind: str, label: str, params: dict, created_by) -> Job:
    """Record the job and queue it once the transaction commits (the worker must find the row)."""
    if kind not in RUNNERS:
        raise AppError(_("kind : tâche %(kind)s inconnue.") % {"kind": kind}, field="kind")
    job = services.job_create(kind=kind, label=label, params=params, created_by=created_by)
    transaction.on_commit(lambda: run_job.enqueue(job_id=job.pk))
    return job


@task()
def run_job(job_id: int) -> None:
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        return
    services.job_start(job=job)
    try:
        RUNNERS[job.kind](job)
    except AppError as exc:  # includes PermissionDenied: a message for the person who asked
        services.job_fail(job=job, message=exc.message)
    except Exception:
        logger.exception("job %s failed", job.pk)
        services.job_fail(
            job=job, message=_("Échec inattendu ; l'équipe technique a l'erreur dans ses journaux.")
        )
        raise


def _save_result(job: Job, *, data: bytes, filename: str, content_type: str) -> None:
    name = default_storage.save(f"jobs/{job.pk}/{filename}", ContentFile(data))
    services.job_finish(job=job, result_name=name, filename=filename, content_type=content_type)


@runner("authority_export")
def _authority_export(job: Job) -> None:
    from coopatlas.cooperation import editing_selectors
    from coopatlas.geo.models import LocalAuthority

    authority = LocalAuthority.objects.get(pk=job.params["authority"])
    fmt = job.params.get("fmt", "json")
    services.job_progress(job=job, done=0, total=1, message=_("Lecture des enregistrements…"))
    name = f"{authority.slug}-enregistrements.{fmt}"
    if fmt == "csv":
        body = editing_selectors.authority_export_csv(actor=job.created_by, authority=authority)
        _save_result(job, data=body.encode(), filename=name, content_type="text/csv; charset=utf-8")
    else:
        data = editing_selectors.authority_export(actor=job.created_by, authority=authority)
        text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
        _save_result(job, data=text.encode(), filename=name, content_type="application/json")


@runner("campaign_remind")
def _campaign_remind(job: Job) -> None:
    from coopatlas.declarations import services as declarations

    services.job_progress(job=job, done=0, total=1, message=_("Envoi des relances…"))
    result = declarations.campaign_remind(actor=job.created_by, year=job.params["year"])
    services.job_finish(
        job=job,
        message=_("Relance envoyée à %(reminded)s collectivité(s) (%(with_email)s avec une adresse).")
        % {"reminded": result["reminded"], "with_email": result["with_email"]},
    )
