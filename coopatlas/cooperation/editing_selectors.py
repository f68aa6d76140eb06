"""Reads for the people who edit: an authority's records (all states, for its own export),
the yearly confirmation campaign, a record's history. Public pages never use these: they
read `selectors.py`, which shows published records only."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from coopatlas.accounts.permissions import PermissionDenied, can_export, require
from coopatlas.core import history
from coopatlas.core.export import rows_to_csv

from .editing import confirm_deadline
from .models import (
    Contact,
    Convention,
    FundingContribution,
    PartnerRequest,
    Partnership,
    Project,
    PublicationStatus,
)


def _authority_querysets(authority) -> dict[str, QuerySet]:
    partnerships = Partnership.objects.filter(party_links__authority=authority).distinct()
    projects = Project.objects.filter(
        Q(participants__authority=authority) | Q(partnerships__in=partnerships)
    ).distinct()
    # live(): not deleted, nor the partnership/project a row belongs to (Record.live_q).
    return {
        "partnerships": partnerships.live().order_by("title"),
        "conventions": Convention.objects.live()
        .filter(partnership__in=partnerships)
        .order_by("partnership__title", "title"),
        "projects": projects.live().order_by("title"),
        "funding": FundingContribution.objects.live()
        .filter(project__in=projects)
        .order_by("project__title", "pk"),
        "contacts": Contact.objects.live().filter(authority=authority).order_by("role"),
        "partner_requests": PartnerRequest.objects.live().filter(authority=authority),
    }


def _row(kind: str, record) -> dict:
    return {
        "type": kind,
        "id": record.pk,
        "title": str(record)[:300],
        "version": record.version,
        "publication_status": record.publication_status,
        "confirmed_at": record.confirmed_at,
        **history.snapshot(record),
    }


def records_to_confirm(*, authority, now=None) -> list[dict]:
    """The yearly campaign: the authority's live records not confirmed for 12 months
    (never confirmed counts as not confirmed); an edit counts as a confirmation."""
    deadline = confirm_deadline(now)
    stale = Q(confirmed_at__isnull=True) | Q(confirmed_at__lt=deadline)
    rows = []
    for kind, qs in _authority_querysets(authority).items():
        if kind == "funding":  # lines are confirmed with their project
            continue
        for record in qs.filter(stale).exclude(publication_status=PublicationStatus.ARCHIVED):
            rows.append(
                {
                    "type": kind,
                    "id": record.pk,
                    "title": str(record)[:300],
                    "version": record.version,
                    "publication_status": record.publication_status,
                    "confirmed_at": record.confirmed_at,
                }
            )
    return rows


def authority_export(*, actor, authority) -> dict:
    """Every live record of an authority, in every publication state, as JSON-ready data."""
    if not can_export(user=actor, authority=authority):
        raise PermissionDenied(
            _(
                "%(actor)s ne peut pas exporter les enregistrements de "
                "%(authority_name)s : réservé à ses rédacteurs et aux "
                "administrateurs."
            )
            % {"actor": getattr(actor, "email", "Un visiteur"), "authority_name": authority.name},
            field="authority",
        )
    return {
        "authority": {
            "id": authority.pk,
            "name": authority.name,
            "insee_code": authority.insee_code,
            "siren": authority.siren,
        },
        "exported_at": timezone.now().isoformat(),
        **{
            kind: [_row(kind, r) for r in qs.prefetch_related(*history.snapshot_prefetch(qs.model))]
            for kind, qs in _authority_querysets(authority).items()
        },
    }


def authority_export_csv(*, actor, authority) -> str:
    """The same records, one row each (a `type` column), for a spreadsheet."""
    data = authority_export(actor=actor, authority=authority)
    rows = [row for key, value in data.items() if isinstance(value, list) for row in value]
    return rows_to_csv(rows)


def record_history(*, actor, record) -> list[dict]:
    require("history", user=actor, record=record)
    return [
        {
            "version": c.version,
            "action": c.action,
            "at": c.at,
            "user": c.user_email,
            "before": c.before,
            "after": c.after,
            "comment": c.comment,
        }
        for c in history.change_list(record=record)
    ]
