"""Operations pages: health, metrics, the user's messages and background jobs."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from health_check.checks import Cache, Database, Storage
from health_check.views import HealthCheckView

from . import selectors
from .health import DiskSpace, MigrationsApplied


class Healthz(HealthCheckView):
    """200 when every check passes, 500 otherwise; JSON for `Accept: application/json`."""

    checks = [Database, MigrationsApplied, DiskSpace, Cache, Storage]


healthz = never_cache(Healthz.as_view())


def _metrics_allowed(request) -> bool:
    token = settings.COOPATLAS_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META:
        return False  # came through a proxy: not the machine itself
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _queue_metrics() -> str:
    counts = selectors.queue_counts()
    lines = [
        "# HELP coopatlas_jobs Background jobs by status (ops.Job).",
        "# TYPE coopatlas_jobs gauge",
    ]
    lines += [f'coopatlas_jobs{{status="{status}"}} {n}' for status, n in sorted(counts.items())]
    return "\n".join(lines) + "\n"


@never_cache
@require_GET
def metrics(request):
    """Prometheus text: django-prometheus's request/latency/error/database figures, plus the
    job queue. Read-only; see docs/operations.md for who may read it."""
    if not _metrics_allowed(request):
        return HttpResponseForbidden("metrics: send Authorization: Bearer $COOPATLAS_METRICS_TOKEN\n")
    from django_prometheus.exports import ExportToDjangoView

    response = ExportToDjangoView(request)
    body = response.content.decode() + _queue_metrics()
    return HttpResponse(body, content_type=response["Content-Type"])


@login_required
def messages_mine(request):
    page = Paginator(selectors.outbox_for(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "ops/messages.html", {"page": page})


@login_required
def jobs_mine(request):
    return render(request, "ops/jobs.html", {"jobs": selectors.jobs_for(user=request.user)[:50]})


@login_required
def job_detail(request, pk: int):
    job = selectors.job_for(user=request.user, pk=pk)
    if job is None:
        raise Http404(_("Tâche introuvable."))
    response = render(request, "ops/job.html", {"job": job})
    if not job.finished:
        response["Refresh"] = "2"  # the page follows the job without any script
    return response


@login_required
def job_download(request, pk: int):
    job = selectors.job_for(user=request.user, pk=pk)
    if job is None or not job.result_name or not default_storage.exists(job.result_name):
        raise Http404(_("Aucun fichier pour cette tâche."))
    return FileResponse(
        default_storage.open(job.result_name, "rb"),
        as_attachment=True,
        filename=job.result_filename or job.result_name.rsplit("/", 1)[-1],
        content_type=job.result_type or "application/octet-stream",
    )


@login_required
@require_POST
def export_start(request, authority: int, fmt: str):
    """The authority export as a background job: answers at once with its progress page."""
    from coopatlas.accounts.permissions import can_export
    from coopatlas.geo.models import LocalAuthority

    from .jobs import job_enqueue

    found = LocalAuthority.objects.filter(pk=authority).first()
    if found is None or fmt not in ("json", "csv"):
        raise Http404
    if not can_export(user=request.user, authority=found):
        return HttpResponseForbidden(
            _("Export réservé aux rédacteurs de la collectivité et aux administrateurs.")
        )
    job = job_enqueue(
        kind="authority_export",
        label=_("Export %(fmt)s des enregistrements de %(name)s") % {"fmt": fmt.upper(), "name": found.name},
        params={"authority": found.pk, "fmt": fmt},
        created_by=request.user,
    )
    return redirect("ops:job", pk=job.pk)
