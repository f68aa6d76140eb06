"""Reads for the editing space: the records a person may work on, by publication state,
the review queue, deleted records. Permissions come from `accounts.permissions`; these
querysets only narrow the lists to the person's scope (every write re-checks)."""

from __future__ import annotations

from django.db.models import Model, Q, QuerySet

from coopatlas.accounts.permissions import Scope, can_publish, can_undelete, scope_of
from coopatlas.cooperation.models import (
    Contact,
    Convention,
    Organisation,
    PartnerRequest,
    Partnership,
    Project,
    PublicationStatus,
)
from coopatlas.geo.models import Country, LocalAuthority

# URL segment → model, in the order the dashboard shows them.
KINDS: dict[str, type[Model]] = {
    "partenariats": Partnership,
    "projets": Project,
    "conventions": Convention,
    "acteurs": Organisation,
    "contacts": Contact,
    "demandes": PartnerRequest,
}
KIND_OF_MODEL = {model: kind for kind, model in KINDS.items()}
STATES = [PublicationStatus.DRAFT, PublicationStatus.SUBMITTED, PublicationStatus.PUBLISHED,
          PublicationStatus.ARCHIVED]
LIST_LIMIT = 50


def _scoped(kind: str, scope: Scope) -> QuerySet:
    model = KINDS[kind]
    qs = model.objects.all()
    if scope.admin:
        return qs
    auth, countries = scope.editor_authorities, scope.countries
    none = Q(pk__in=[])
    if kind == "partenariats":
        cond = Q(party_links__authority_id__in=auth) if auth else none
    elif kind == "projets":
        cond = none
        if auth:
            cond |= (Q(participants__authority_id__in=auth)
                     | Q(partnerships__party_links__authority_id__in=auth))
        if countries:
            cond |= Q(countries__in=countries) | Q(participants__authority__country_id__in=countries)
    elif kind == "conventions":
        cond = Q(partnership__party_links__authority_id__in=auth) if auth else none
    elif kind == "acteurs":
        cond = Q(pk__in=scope.organisations)
    elif kind == "contacts":
        cond = none
        if auth:
            cond |= Q(authority_id__in=auth)
        if countries:
            cond |= Q(country_id__in=countries) | Q(authority__country_id__in=countries)
    else:  # partner requests: embassies register them
        cond = Q(authority__country_id__in=countries) if countries else none
    return qs.filter(cond).distinct()


def records_for(*, user, kind: str) -> QuerySet:
    """Live records of one kind within the user's scope."""
    return _scoped(kind, scope_of(user)).filter(deleted_at__isnull=True)


def dashboard(*, user) -> dict:
    """What « Mon espace » shows: scope, records by state (counts and the first rows)."""
    scope = scope_of(user)
    authorities = list(LocalAuthority.objects.filter(pk__in=scope.editor_authorities)
                       .order_by("name"))
    countries = list(Country.objects.filter(pk__in=scope.countries).order_by("iso2"))
    states = []
    for state in STATES:
        groups = []
        for kind in KINDS:
            qs = (_scoped(kind, scope).filter(deleted_at__isnull=True, publication_status=state)
                  .order_by("-updated_at"))
            count = qs.count()
            if count:
                groups.append({"kind": kind, "label": KINDS[kind]._meta.verbose_name_plural,
                               "count": count, "records": list(qs[:LIST_LIMIT])})
        states.append({"state": state, "label": PublicationStatus(state).label,
                       "count": sum(g["count"] for g in groups), "groups": groups})
    return {"scope": scope, "authorities": authorities, "countries": countries,
            "states": states}


def review_queue(*, user) -> list[dict]:
    """Submitted records the user may publish or return (administrators, embassies)."""
    scope = scope_of(user)
    if not (scope.admin or scope.countries):
        return []
    rows = []
    for kind, model in KINDS.items():
        qs = model.objects.filter(publication_status=PublicationStatus.SUBMITTED,
                                  deleted_at__isnull=True).order_by("updated_at")
        for record in qs:
            if can_publish(user=user, record=record):
                rows.append({"kind": kind, "record": record,
                             "label": model._meta.verbose_name})
    return rows


def deleted_records(*, user) -> list[dict]:
    scope = scope_of(user)
    rows = []
    for kind, model in KINDS.items():
        qs = _scoped(kind, scope).filter(deleted_at__isnull=False).order_by("-deleted_at")
        for record in qs[:200]:
            if can_undelete(user=user, record=record):
                rows.append({"kind": kind, "record": record,
                             "label": model._meta.verbose_name})
    return rows
