"""Reads for sources: every fact with all its sources, and each source document's lines.

`sources_for(records)` reads the sources of a whole page of records (of any models) in a
fixed number of queries: one per model type for the additional citations and deduced
values, one for who declared the user-entered facts. Each record then answers
`record_sources(record)` from memory: its own `source` first, then its citations in order,
then the values deduced rather than stated (type "inference"), each a plain dict.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Prefetch, Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import AppError, NotFound
from .models import Change, Citation, Inference, Source, SourceDocument, SourceText
from .shapes import shaped

DECLARATION_KEY = "atlas-declaration"  # the document of what users declare (editing)
_CACHE = "_coopatlas_sources"
WINDOW = 40  # lines shown around the cited ones on a document's page
PAGE_LINES = 200  # lines per page when no line is asked for
MAX_RANGE = 400  # the most lines one page shows


def _lines_label(start: int | None, end: int | None) -> str:
    if not start:
        return ""
    end = end or start
    return f"{start}–{end}" if end != start else str(start)


def source_link(document: SourceDocument | None, start: int | None, end: int | None) -> str | None:
    """The address of the cited lines on the document's page (`?lines=17-20#L17`)."""
    if document is None or not document.line_count:
        return None
    try:
        url = reverse("core:source_document", kwargs={"key": document.key})
    except NoReverseMatch:
        return None
    if not start:
        return url
    end = end or start
    lines = f"{start}-{end}" if end != start else str(start)
    return f"{url}?lines={lines}#L{start}"


def source_dict(source: Source | None) -> dict | None:
    """One citation as the pages, JSON and CSV show it."""
    if source is None:
        return None
    doc = source.document if source.document_id else None
    lines = _lines_label(source.line_start, source.line_end)
    if source.is_synthetic:
        label = _("Donnée synthétique (tests de charge)")
    else:
        label = (doc.key if doc else source.url) + (
            (", " + _("lignes %(lines)s") % {"lines": lines}) if lines else ""
        )
    return {
        "type": "citation",
        "label": label,
        "document": {"key": doc.key, "title": doc.title, "url": doc.url or None} if doc else None,
        "line_start": source.line_start,
        "line_end": source.line_end,
        "lines": lines,
        "url": source.url or (doc.url if doc else "") or None,
        "html_url": source_link(doc, source.line_start, source.line_end),
        "quote": source.quote,
        "is_synthetic": source.is_synthetic,
    }


# How a deduced field is named to people (the French interface never shows code names);
# a field not listed here falls back to the model field's verbose name.
INFERRED_FIELD_LABELS = {
    "kind": gettext_lazy("type"),
    "status": gettext_lazy("statut"),
    "participants": gettext_lazy("rôles des participants"),
    "operators": gettext_lazy("opérateurs"),
    "registered_by": gettext_lazy("ambassade qui l'a enregistrée"),
}


def _inferred_field_label(x: Inference) -> str:
    name = x.field.split(".")[0]
    if name in INFERRED_FIELD_LABELS:
        return str(INFERRED_FIELD_LABELS[name])
    model = ContentType.objects.get_for_id(x.content_type_id).model_class()
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - not a model field: say the name as it is
        return name


def _inference_dict(x: Inference) -> dict:
    label = _inferred_field_label(x)
    return {
        "type": "inference",
        "label": _("déduit : %(field)s") % {"field": label},
        "field": x.field,
        "field_label": label,
        "reasoning": x.reasoning,
        "document": None,
        "lines": "",
        "url": None,
        "html_url": None,
        "quote": "",
        "is_synthetic": False,
    }


def _declarant(change: Change | None) -> str:
    """Who declared a fact, as the public may know it: the authority or service, no person."""
    user = change.user if change is not None else None
    if user is None:
        return _("un utilisateur de l'atlas")
    names: list[str] = []
    for m in user.memberships.all():
        names += [a.name for a in m.authorities.all()]
        if m.role == "embassy" and m.country_id:
            names.append(_("ambassade de France (%(country)s)") % {"country": m.country_id})
        if m.organisation_id:
            names.append(m.organisation.name)
        if m.role == "admin":
            names.append(_("ministère (DAECT)"))
    return ", ".join(dict.fromkeys(names)) or _("un utilisateur de l'atlas")


def _declaration_dict(source: dict, record: Model, change: Change | None) -> dict:
    when = change.at if change is not None else getattr(record, "created_at", None)
    who = _declarant(change)
    date = when.date().isoformat() if when else None
    label = (
        _("Déclaré par %(who)s le %(date)s") % {"who": who, "date": date}
        if date
        else _("Déclaré par %(who)s") % {"who": who}
    )
    return {
        **source,
        "type": "declaration",
        "label": label,
        "declared_by": who,
        "declared_on": date,
        "html_url": None,
    }


def _main_source(record: Model) -> Source | None:
    if getattr(record, "source_id", None) is None:
        return None
    return record.source  # select_related("source__document") by the callers


def sources_for(records: Iterable[Model]) -> list[Model]:
    """Read the sources of these records at once; each then answers `record_sources`.

    Queries: one for citations and one for deduced values, whatever the model types (a
    fiche passes its record and its related lines together: issue 15), one for the
    declarations' authors (with two prefetches): constant in the number of records.
    """
    records = [r for r in records if r is not None and r.pk is not None]
    by_type: dict[ContentType, list[Model]] = defaultdict(list)
    for r in records:
        by_type[ContentType.objects.get_for_model(r, for_concrete_model=False)].append(r)
    extra: dict[tuple[int, int], list[Source]] = defaultdict(list)
    inferred: dict[tuple[int, int], list[Inference]] = defaultdict(list)
    if by_type:
        of_records = Q()
        for ct, items in by_type.items():
            of_records |= Q(content_type=ct, object_id__in=[r.pk for r in items])
        for c in shaped(
            Citation.objects.filter(of_records)
            .select_related("source__document")
            .order_by("content_type_id", "object_id", "position"),
            "sources_for.citations",
        ):
            extra[(c.content_type_id, c.object_id)].append(c.source)
        for x in shaped(Inference.objects.filter(of_records), "sources_for.inferences"):
            inferred[(x.content_type_id, x.object_id)].append(x)
    declared = [
        r
        for r in records
        if (s := _main_source(r)) is not None and s.document_id and s.document.key == DECLARATION_KEY
    ]
    changes = _creations(declared)
    for ct, items in by_type.items():
        for r in items:
            main = _main_source(r)
            out = []
            if main is not None:
                d = source_dict(main)
                if main.document_id and main.document.key == DECLARATION_KEY:
                    d = _declaration_dict(d, r, changes.get((r._meta.label_lower, r.pk)))
                out.append(d)
            seen = {main.pk} if main is not None else set()
            for s in extra[(ct.pk, r.pk)]:
                if s.pk not in seen:
                    seen.add(s.pk)
                    out.append(source_dict(s))
            out += [_inference_dict(x) for x in inferred[(ct.pk, r.pk)]]
            setattr(r, _CACHE, out)
    return records


def _creations(records: list[Model]) -> dict[tuple[str, int], Change]:
    if not records:
        return {}
    from coopatlas.accounts.models import Membership

    wanted: dict[str, list[int]] = defaultdict(list)
    for r in records:
        wanted[r._meta.label_lower].append(r.pk)
    out: dict[tuple[str, int], Change] = {}
    for label, ids in wanted.items():
        rows = (
            Change.objects.filter(model=label, object_id__in=ids)
            .select_related("user")
            .order_by("object_id", "at", "id")
            .prefetch_related(
                Prefetch(
                    "user__memberships",
                    queryset=Membership.objects.select_related("organisation").prefetch_related(
                        "authorities"
                    ),
                )
            )
        )
        for c in rows:
            out.setdefault((label, c.object_id), c)
    return out


def record_sources(record: Model) -> list[dict]:
    """All the record's sources, in order (read by `sources_for`, else one record's now)."""
    if record is None:
        return []
    if not hasattr(record, _CACHE):
        sources_for([record])
    return getattr(record, _CACHE, [])


# --------------------------------------------------------------------------- documents


def _parse_lines(value: str | None, count: int) -> tuple[int, int] | None:
    """'17' or '17-20' (ASCII digits only) → (17, 20); None if absent; AppError if bad."""
    if value in (None, ""):
        return None
    parts = value.strip().replace("–", "-").split("-")
    if len(parts) > 2 or not all(p.isascii() and p.isdigit() and len(p) <= 7 for p in parts):
        raise AppError(
            _(
                "lines : « %(value)s » n'est pas un numéro ou une plage de lignes ; "
                "écrivez par exemple lines=17 ou lines=17-20."
            )
            % {"value": value[:20]},
            field="lines",
        )
    start, end = int(parts[0]), int(parts[-1])
    if not 1 <= start <= end <= count:
        raise AppError(
            _(
                "lines : les lignes %(start)s–%(end)s ne sont pas dans le document "
                "(lignes 1 à %(count)s, la première avant la dernière)."
            )
            % {"start": start, "end": end, "count": count},
            field="lines",
        )
    return start, end


def _parse_page(value: str | None, pages: int) -> int:
    if value in (None, ""):
        return 1
    if not (value.isascii() and value.isdigit() and len(value) <= 7) or not 1 <= int(value) <= pages:
        raise AppError(
            _("page : donnez un numéro de page entre 1 et %(pages)s.") % {"pages": pages}, field="page"
        )
    return int(value)


def source_document_detail(*, key: str, lines: str | None = None, page: str | None = None) -> dict:
    """A window of a document's text with its line numbers, the asked lines highlighted.

    With `lines`, the window is the cited lines and WINDOW lines around them; without, a
    page of PAGE_LINES lines: a 10,000-line guide never goes out whole.
    """
    doc = (
        SourceDocument.objects.filter(key=key).first()
        if key and len(key) <= 64 and key.isascii() and "\x00" not in key
        else None
    )
    if doc is None:
        raise NotFound(
            _(
                "Aucun document source « %(key)s » : les documents cités sont listés "
                "sur la page « Données, licence et sources »."
            )
            % {"key": key[:64]},
            field="key",
        )
    stored = SourceText.objects.filter(document=doc).values_list("text", flat=True).first()
    text_lines = (stored or "").splitlines()
    count = len(text_lines)
    pages = max(1, -(-count // PAGE_LINES))
    asked = _parse_lines(lines, count) if count else None
    if asked is not None:
        start, end = asked
        first = max(1, start - WINDOW)
        last = min(count, min(end, start + MAX_RANGE - 1) + WINDOW)
        current = (start - 1) // PAGE_LINES + 1
    else:
        current = _parse_page(page, pages)
        first = (current - 1) * PAGE_LINES + 1
        last = min(count, current * PAGE_LINES)
        start = end = None
    url = reverse("core:source_document", kwargs={"key": doc.key})
    rows = (
        [
            {"number": n, "text": text_lines[n - 1], "cited": start is not None and start <= n <= end}
            for n in range(first, last + 1)
        ]
        if count
        else []
    )
    return {
        "key": doc.key,
        "title": doc.title,
        "publisher": doc.publisher,
        "url": doc.url or None,
        "licence": doc.licence,
        "published_on": doc.published_on.isoformat() if doc.published_on else None,
        "line_count": count,
        "has_text": bool(count),
        "lines": {"start": start, "end": end} if start else None,
        "first": first if count else None,
        "last": last if count else None,
        "rows": rows,
        "page": current,
        "num_pages": pages,
        "previous_url": f"{url}?page={(first - 2) // PAGE_LINES + 1}" if count and first > 1 else None,
        "next_url": f"{url}?page={last // PAGE_LINES + 1}" if count and last < count else None,
        "html_url": url,
    }


def source_document_list() -> list[dict]:
    return [
        {
            "key": d.key,
            "title": d.title,
            "publisher": d.publisher,
            "line_count": d.line_count,
            "html_url": reverse("core:source_document", kwargs={"key": d.key}),
        }
        for d in SourceDocument.objects.filter(source_text__isnull=False)
        .order_by("key")
        .only("key", "title", "publisher", "line_count")
    ]
