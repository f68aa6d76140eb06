"""Bulk writes of partnerships and projects, for importers of thousands of records.

The same checks as `services.partnership_create/update` and `project_create/update`, row
by row, with their helpers (`_check_source`, `_set_fields`, `_check_period`,
`_partnership_check_parties`, `_project_check_links`); then one `bulk_create` /
`bulk_update` per table, in batches, and the link tables synced by difference (rows that
stay keep their ids, as `_sync_rows` does). What `save()` derives (`Project.search_text`,
`updated_at`) is derived here, since bulk writes skip `save()`. A row a check refuses is
left out and its `AppError` returned beside it; the caller reports it.

Measured (bench/stateatlas.py, 12,000 fiches): the per-record services spent ~0.2 s a
fiche, mostly in `full_clean`'s one query per check constraint and the link tables'
per-row writes; here the constraints' conditions are the period checks already made in
Python (`_check_period`) and the database keeps them as the last guard.

Called inside the caller's `transaction.atomic` (the import is one transaction).

A record whose fields or links an import changes gets its `version` moved on, as an edit
does: an editor form opened before the import then meets a Conflict instead of saving over
what the import wrote (`editing._lock`). A record the import leaves as it was keeps its
version (a re-import of the same file breaks no one's open form).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError
from coopatlas.core.models import Source
from coopatlas.geo.models import Country, LocalAuthority

from .models import (
    PartnerRequest,
    Partnership,
    PartnershipParty,
    Project,
    ProjectParticipant,
    ProjectTheme,
)
from .services import (
    PARTNERSHIP_FIELDS,
    PROJECT_FIELDS,
    ProjectLinks,
    _check_period,
    _check_source,
    _money,
    _partnership_check_parties,
    _priority,
    _project_check_links,
    _set_fields,
)

BATCH = 1000


@dataclass
class PartnershipRow:
    partnership: Partnership  # new (no pk, slug set) or as read from the database
    source: Source
    fields: dict
    parties: list[LocalAuthority]
    themes: list | None = None
    error: AppError | None = None


@dataclass
class ProjectRow:
    project: Project  # new (no pk, slug set) or as read from the database
    source: Source
    fields: dict
    links: ProjectLinks = field(default_factory=dict)
    error: AppError | None = None


def _clean_fields(instance: models.Model, *, exclude: list[str]) -> None:
    """full_clean without the per-row queries (uniqueness: checked per batch by the caller
    and the database; check constraints: `_check_period` and the database)."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors = exc.message_dict
        name, messages = next(iter(errors.items()))
        raise AppError(
            _("%(model)s, champ %(field)s : %(messages)s")
            % {"model": instance._meta.verbose_name, "field": name, "messages": " ".join(messages)},
            field=name,
            errors={k: list(v) for k, v in errors.items()},
        ) from exc


def _taken_slugs(model: type[models.Model], rows: list) -> set[str]:
    slugs = [
        getattr(r, model._meta.model_name).slug for r in rows if getattr(r, model._meta.model_name).pk is None
    ]
    taken: set[str] = set()
    for i in range(0, len(slugs), BATCH):
        taken |= set(model.objects.filter(slug__in=slugs[i : i + BATCH]).values_list("slug", flat=True))
    return taken


def _slug_error(slug: str, model: type[models.Model]) -> AppError:
    return AppError(
        _(
            "slug : « %(slug)s » est déjà pris par un autre enregistrement "
            "(%(model)s) ; choisissez-en un autre, ou modifiez cet enregistrement."
        )
        % {"slug": slug, "model": model._meta.verbose_name},
        field="slug",
    )


def _save(model: type[models.Model], instances: list, fields: list[str]) -> None:
    """Create the new instances, update the others on `fields` (+ updated_at)."""
    now = timezone.now()
    new = [o for o in instances if o.pk is None]
    old = [o for o in instances if o.pk is not None]
    for o in old:
        o.updated_at = now
    if new:
        model.objects.bulk_create(new, batch_size=BATCH)
        if any(o.pk is None for o in new):  # backends that return no ids
            ids = dict(model.objects.filter(slug__in=[o.slug for o in new]).values_list("slug", "pk"))
            for o in new:
                o.pk = ids[o.slug]
    if old:
        model.objects.bulk_update(old, [*fields, "source", "updated_at"], batch_size=BATCH)


def _sync_links(
    model: type[models.Model],
    *,
    owner: str,
    key: tuple[str, ...],
    wanted: dict[int, list[dict]],
    existing_owners: set[int],
    main_flag: str = "",
) -> set[int]:
    """Make `model` hold exactly `wanted[owner_pk]` for each owner given, by difference:
    rows that stay keep their ids; rows losing `main_flag` are saved before rows gaining
    it (a partial unique constraint allows one at a time), new rows last. Returns the
    owners whose rows changed."""
    owner_id = f"{owner}_id"
    current: dict[int, dict[tuple, models.Model]] = defaultdict(dict)
    ids = [pk for pk in wanted if pk in existing_owners]
    for i in range(0, len(ids), BATCH):
        for obj in model.objects.filter(**{f"{owner_id}__in": ids[i : i + BATCH]}):
            current[getattr(obj, owner_id)][tuple(getattr(obj, k) for k in key)] = obj
    delete, losing, other, create = [], [], [], []
    value_fields: set[str] = set()
    touched: set[int] = set()
    for pk, rows in wanted.items():
        have = current.get(pk, {})
        want = {tuple(r[k] for k in key): r for r in rows}
        gone = [o.pk for k, o in have.items() if k not in want]
        delete += gone
        if gone:
            touched.add(pk)
        for k, row in want.items():
            obj = have.get(k)
            if obj is None:
                create.append(model(**{owner_id: pk}, **row))
                touched.add(pk)
                continue
            changed = [f for f, v in row.items() if getattr(obj, f) != v]
            if changed:
                for f in changed:
                    setattr(obj, f, row[f])
                value_fields |= set(changed)
                touched.add(pk)
                (losing if main_flag and not row.get(main_flag) else other).append(obj)
    for i in range(0, len(delete), BATCH):
        model.objects.filter(pk__in=delete[i : i + BATCH]).delete()
    for group in (losing, other):
        if group:
            model.objects.bulk_update(group, sorted(value_fields), batch_size=BATCH)
    if create:
        model.objects.bulk_create(create, batch_size=BATCH)
    return touched & existing_owners


def _state(record: models.Model, fields) -> tuple | None:
    """What an import can change on a stored record, to tell later whether it did."""
    if record.pk is None:
        return None
    return (record.source_id, *(getattr(record, f) for f in sorted(fields)))


def _version_bump(model: type[models.Model], pks: set[int]) -> None:
    """Move the version of the stored records an import changed (one UPDATE a batch)."""
    ids = sorted(pks)
    for i in range(0, len(ids), BATCH):
        model.objects.filter(pk__in=ids[i : i + BATCH]).update(version=F("version") + 1)


def _countries_of(authorities) -> None:
    """`_partnership_check_parties` reads `authority.country`: one query for all."""
    missing = {a.country_id for a in authorities if "country" not in a._state.fields_cache}
    countries = Country.objects.in_bulk(list(missing))
    for a in authorities:
        if a.country_id in countries:
            a.country = countries[a.country_id]


def partnerships_bulk_save(*, rows: list[PartnershipRow]) -> list[PartnershipRow]:
    """Create or update each row's partnership; the rows come back, refused ones with
    their `error` set (nothing of theirs written)."""
    _countries_of([a for r in rows for a in r.parties])
    taken = _taken_slugs(Partnership, rows)
    ok: list[PartnershipRow] = []
    before: dict[int, tuple | None] = {}
    for row in rows:
        p = row.partnership
        try:
            if p.pk is None and p.slug in taken:
                raise _slug_error(p.slug, Partnership)
            _check_source(row.source)
            before[id(row)] = _state(p, PARTNERSHIP_FIELDS)
            _set_fields(p, row.fields, PARTNERSHIP_FIELDS)
            p.source = row.source
            _check_period(
                start_year=p.start_year, end_year=p.end_year, start_date=p.start_date, end_date=p.end_date
            )
            _partnership_check_parties(row.parties)
            _clean_fields(p, exclude=["source", "search_text"])
        except AppError as exc:
            row.error = exc
            continue
        p.set_search_text()
        ok.append(row)
    existing = {r.partnership.pk for r in ok if r.partnership.pk is not None}
    changed = {
        r.partnership.pk
        for r in ok
        if r.partnership.pk is not None and before[id(r)] != _state(r.partnership, PARTNERSHIP_FIELDS)
    }
    _save(Partnership, [r.partnership for r in ok], sorted(PARTNERSHIP_FIELDS | {"search_text"}))
    had = defaultdict(set)
    for pk, authority in PartnershipParty.objects.filter(partnership_id__in=list(existing)).values_list(
        "partnership_id", "authority_id"
    ):
        had[pk].add(authority)
    changed |= _sync_links(
        PartnershipParty,
        owner="partnership",
        key=("authority_id",),
        wanted={
            r.partnership.pk: [{"authority_id": a.pk} for a in {a.pk: a for a in r.parties}.values()]
            for r in ok
        },
        existing_owners=existing,
    )
    themed = [r for r in ok if r.themes is not None]
    changed |= _sync_links(
        Partnership.themes.through,
        owner="partnership",
        key=("theme_id",),
        wanted={r.partnership.pk: [{"theme_id": t.pk} for t in dict.fromkeys(r.themes)] for r in themed},
        existing_owners=existing,
    )
    _version_bump(Partnership, changed)
    _partner_requests_answer_many(
        {
            r.partnership.pk: [
                a.pk for a in r.parties if not a.is_french and a.pk not in had[r.partnership.pk]
            ]
            for r in ok
        }
    )
    return rows


def _partner_requests_answer_many(joined: dict[int, list[int]]) -> None:
    """`services._partner_requests_answer` for many partnerships: the open requests of
    foreign parties just added are matched, linked to their partnership."""
    by_authority = {a: pk for pk, authorities in joined.items() for a in authorities}
    if not by_authority:
        return
    open_requests = PartnerRequest.objects.filter(
        authority_id__in=list(by_authority),
        deleted_at__isnull=True,
        status__in=(PartnerRequest.Status.OPEN, PartnerRequest.Status.IN_TALKS),
    )
    for request in open_requests:
        request.status = PartnerRequest.Status.MATCHED
        request.partnership_id = by_authority[request.authority_id]
        request.version += 1
        request.save(update_fields=["status", "partnership", "version", "updated_at"])


M2M_LINKS = {  # link name -> (through model's other key)
    "partnerships": "partnership_id",
    "countries": "country_id",
    "sdg_goals": "sdggoal_id",
}


def projects_bulk_save(*, rows: list[ProjectRow]) -> list[ProjectRow]:
    """Create or update each row's project and the links it gives (each link list given
    replaces the current one, as in `project_update`); refused rows come back with `error`."""
    taken = _taken_slugs(Project, rows)
    ok: list[ProjectRow] = []
    before: dict[int, tuple | None] = {}
    for row in rows:
        p = row.project
        unsupported = set(row.links) - {*M2M_LINKS, "participants", "themes"}
        try:
            if unsupported:  # a programming error, said plainly rather than dropped
                raise AppError(
                    _("liens non pris en charge par l'écriture en masse : %(names)s.")
                    % {"names": ", ".join(sorted(unsupported))},
                    field="links",
                )
            if p.pk is None and p.slug in taken:
                raise _slug_error(p.slug, Project)
            _check_source(row.source)
            fields = dict(row.fields)
            if "budget" in fields:
                fields["budget"] = _money(fields["budget"], field="budget")
            before[id(row)] = _state(p, PROJECT_FIELDS)
            _set_fields(p, fields, PROJECT_FIELDS)
            p.source = row.source
            _check_period(
                start_year=p.start_year, end_year=p.end_year, start_date=p.start_date, end_date=p.end_date
            )
            _project_check_links(p, row.links)
            _clean_fields(p, exclude=["source", "search_text"])
            if p.budget is not None:
                raise AppError(
                    _(
                        "budget : l'écriture en masse ne vérifie pas le plan de financement ; "
                        "passez par project_update."
                    ),
                    field="budget",
                )
        except AppError as exc:
            row.error = exc
            continue
        p.set_search_text()
        ok.append(row)
    existing = {r.project.pk for r in ok if r.project.pk is not None}
    changed = {
        r.project.pk
        for r in ok
        if r.project.pk is not None and before[id(r)] != _state(r.project, PROJECT_FIELDS)
    }
    _save(Project, [r.project for r in ok], sorted(PROJECT_FIELDS | {"search_text"}))
    for name, other in M2M_LINKS.items():
        through = getattr(Project, name).through
        changed |= _sync_links(
            through,
            owner="project",
            key=(other,),
            wanted={
                r.project.pk: [{other: o.pk} for o in dict.fromkeys(r.links[name])]
                for r in ok
                if name in r.links
            },
            existing_owners=existing,
        )
    changed |= _sync_links(
        ProjectParticipant,
        owner="project",
        key=("authority_id",),
        wanted={
            r.project.pk: [{"authority_id": a.pk, "role": role} for a, role in r.links["participants"]]
            for r in ok
            if "participants" in r.links
        },
        existing_owners=existing,
    )
    changed |= _sync_links(
        ProjectTheme,
        owner="project",
        key=("theme_id",),
        wanted={
            r.project.pk: [
                {"theme_id": item[0].pk, "is_main": bool(item[1]), "priority": _priority(item, i)}
                for i, item in enumerate(r.links["themes"])
            ]
            for r in ok
            if "themes" in r.links
        },
        existing_owners=existing,
        main_flag="is_main",
    )
    _version_bump(Project, changed)
    return rows
