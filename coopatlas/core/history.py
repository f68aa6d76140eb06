"""Record history: snapshots of an editable record, the diff between two, and the Change log.

A snapshot is JSON: concrete fields by attribute name (`source_id`), plain many-to-many
fields as sorted id lists, and the child rows listed in CHILDREN (a partnership's parties,
a project's participants, sectors…) as lists of dicts. The editing layer
(`coopatlas.cooperation.editing`) records one Change per write, in the write's transaction.
"""

from __future__ import annotations

import json
import re

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model

from .models import Change

# Bookkeeping fields: never part of a diff, never restored.
SKIP = frozenset(
    {
        "id",
        "version",
        "created_at",
        "updated_at",
        "search_name",
        "search_text",
        "deleted_at",
        "confirmed_at",
        "publication_status",
        "returned_comment",
    }
)
# Child rows owned by a record (reverse foreign keys of its through models).
CHILDREN: dict[str, dict[str, tuple[str, ...]]] = {
    "cooperation.partnership": {"party_links": ("authority_id", "joined_year")},
    "cooperation.project": {
        "participants": ("authority_id", "role"),
        "operator_links": ("organisation_id", "role"),
        "theme_links": ("theme_id", "is_main", "priority"),
        "sector_links": ("sector_id", "percentage"),
        "marker_links": ("marker_id", "significance"),
    },
    "cooperation.programme": {"memberships": ("authority_id", "joined_year")},
}


def model_label(record: Model) -> str:
    return record._meta.label_lower


def _jsonable(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def snapshot(record: Model) -> dict:
    """The record's editable state as JSON-ready data (workflow fields apart)."""
    data: dict = {}
    for field in record._meta.concrete_fields:
        if field.attname in SKIP or field.name in SKIP:
            continue
        data[field.attname] = field.value_from_object(record)
    # Relations a list prefetched (the authority export: queries constant in the number of
    # records) are read from memory, in the same order the database query gives.
    cache = getattr(record, "_prefetched_objects_cache", {})
    for field in record._meta.many_to_many:
        if field.remote_field.through._meta.auto_created:
            if field.name in cache:
                data[field.name] = sorted(o.pk for o in cache[field.name])
            else:
                data[field.name] = sorted(getattr(record, field.name).values_list("pk", flat=True))
    for name, keys in CHILDREN.get(model_label(record), {}).items():
        if name in cache:
            rows = [{k: getattr(o, k) for k in keys} for o in cache[name]]
            rows.sort(key=lambda r: tuple((r[k] is not None, r[k]) for k in keys))
            data[name] = rows
        else:
            data[name] = [dict(r) for r in getattr(record, name).order_by(*keys).values(*keys)]
    return _jsonable(data)


def snapshot_prefetch(model: type[Model]) -> list[str]:
    """The relations `snapshot` reads, for `prefetch_related` on a list of records."""
    names = [f.name for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]
    return names + list(CHILDREN.get(model._meta.label_lower, {}))


def workflow_state(record: Model) -> dict:
    return _jsonable(
        {
            "publication_status": record.publication_status,
            "returned_comment": record.returned_comment,
            "deleted_at": record.deleted_at,
        }
    )


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose value differs: (before, after)."""
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def change_record(
    *, record: Model, action: str, user, before: dict, after: dict, comment: str = ""
) -> Change:
    """Log a change; `before`/`after` are full states, only the differences are kept."""
    changed_before, changed_after = diff(before, after)
    return Change.objects.create(
        model=model_label(record),
        object_id=record.pk,
        version=record.version,
        action=action,
        user=user if getattr(user, "pk", None) else None,
        user_email=getattr(user, "email", "") or "",
        before=changed_before,
        after=changed_after,
        snapshot={**snapshot(record), **workflow_state(record)},
        comment=comment,
    )


def change_list(*, record: Model) -> list[Change]:
    return list(
        Change.objects.filter(model=model_label(record), object_id=record.pk)
        .select_related("user")
        .order_by("at", "id")
    )


def changes_since(*, record: Model, version: int) -> dict[str, dict]:
    """What changed after `version`: per field, the value at that version and the value now."""
    out: dict[str, dict] = {}
    later = Change.objects.filter(
        model=model_label(record), object_id=record.pk, version__gt=version
    ).order_by("at", "id")
    for change in later:
        for key, old in change.before.items():
            entry = out.setdefault(key, {"was": old, "by": [], "now": None})
            if change.user_email and change.user_email not in entry["by"]:
                entry["by"].append(change.user_email)
        for key, new in change.after.items():
            out.setdefault(key, {"was": None, "by": [], "now": None})["now"] = new
    return out


def snapshot_apply(record: Model, data: dict) -> None:
    """Put a snapshot's concrete fields on the instance (not saved); relations separately."""
    for field in record._meta.concrete_fields:
        if field.attname in SKIP or field.name in SKIP or field.attname not in data:
            continue
        setattr(record, field.attname, field.to_python(data[field.attname]))


def snapshot_apply_relations(record: Model, data: dict) -> None:
    """After the record is saved: many-to-many ids and child rows as in the snapshot."""
    for field in record._meta.many_to_many:
        if field.remote_field.through._meta.auto_created and field.name in data:
            getattr(record, field.name).set(data[field.name])
    for name, keys in CHILDREN.get(model_label(record), {}).items():
        if name not in data:
            continue
        manager = getattr(record, name)
        manager.all().delete()
        owner = manager.field.name
        model = manager.model
        model.objects.bulk_create(model(**{owner: record}, **{k: row[k] for k in keys}) for row in data[name])


_ETAG = re.compile(r'(?:W/)?"?(?:([a-z_]+)-([0-9]+)-v)?([0-9]{1,12})"?', re.ASCII)


def etag(record: Model) -> str:
    """The record's entity tag: which record, at which version (strong: a version is one
    exact content)."""
    return f'"{record._meta.model_name}-{record.pk}-v{record.version}"'


def version_from_etag(value, record: Model | None = None) -> int:
    """The version in an ETag as `etag` makes it, or a plain number. ValueError otherwise,
    also when the ETag names another record than `record` (a client mixing up its reads)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    found = _ETAG.fullmatch(str(value).strip())
    if found is None:
        raise ValueError(value)
    model, pk, version = found.groups()
    if model and record is not None and (model, int(pk)) != (record._meta.model_name, record.pk):
        raise ValueError(value)
    return int(version)
