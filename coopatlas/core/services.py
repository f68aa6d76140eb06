"""Writes for sources and published figures."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext as _

from .errors import AppError
from .models import Citation, Inference, PublishedFigure, Source, SourceDocument, SourceText

SYNTHETIC_NOTE = "Synthetic record generated for scale tests; not a fact about a real authority."


def source_document_get_or_create(
    *, key: str, title: str, publisher: str = "", url: str = "", licence: str = "", published_on=None
) -> SourceDocument:
    doc, _ = SourceDocument.objects.update_or_create(
        key=key,
        defaults={
            "title": title,
            "publisher": publisher,
            "url": url,
            "licence": licence,
            "published_on": published_on,
        },
    )
    return doc


@transaction.atomic
def source_document_text_set(*, document: SourceDocument, text: str) -> SourceDocument:
    """Store the document's text (the shipped copy), so its cited lines can be shown."""
    if "\x00" in text:
        raise AppError(
            _(
                "document %(key)s : le texte contient un caractère NUL ; "
                "enregistrez le fichier en texte UTF-8."
            )
            % {"key": document.key},
            field="text",
        )
    SourceText.objects.update_or_create(document=document, defaults={"text": text})
    line_count = len(text.splitlines())
    if document.line_count != line_count:
        document.line_count = line_count
        document.save(update_fields=["line_count"])
    return document


@transaction.atomic
def record_citations_set(*, record: models.Model, sources: list[Source]) -> list[Citation]:
    """Make the record's additional sources exactly `sources`, in this order.

    The record's own `source` is its first source: it is skipped here if repeated, and so
    is a source given twice.
    """
    content_type = ContentType.objects.get_for_model(record, for_concrete_model=False)
    main_id = getattr(record, "source_id", None)
    extra: list[Source] = []
    for source in sources:
        if source.pk != main_id and all(source.pk != s.pk for s in extra):
            extra.append(source)
    current = list(
        Citation.objects.filter(content_type=content_type, object_id=record.pk).order_by("position")
    )
    if [c.source_id for c in current] == [s.pk for s in extra]:
        return current
    Citation.objects.filter(content_type=content_type, object_id=record.pk).delete()
    return Citation.objects.bulk_create(
        Citation(content_type=content_type, object_id=record.pk, position=i, source=s)
        for i, s in enumerate(extra, start=1)
    )


@transaction.atomic
def record_inferences_set(*, record: models.Model, inferences: dict[str, str]) -> None:
    """Make the record's deduced values exactly `inferences` ({field: reasoning})."""
    content_type = ContentType.objects.get_for_model(record, for_concrete_model=False)
    for name, reasoning in inferences.items():
        if not str(reasoning).strip():
            raise AppError(
                _("%(name)s : dites de quoi la valeur est déduite (raisonnement vide).") % {"name": name},
                field="inferred",
            )
    wanted = {str(k): str(v).strip() for k, v in inferences.items()}
    current = {
        i.field: i.reasoning for i in Inference.objects.filter(content_type=content_type, object_id=record.pk)
    }
    if current == wanted:
        return
    Inference.objects.filter(content_type=content_type, object_id=record.pk).delete()
    Inference.objects.bulk_create(
        Inference(content_type=content_type, object_id=record.pk, field=k, reasoning=v)
        for k, v in sorted(wanted.items())
    )


def record_annotations_delete(*, model: type[models.Model], pk) -> None:
    """Forget a deleted record's citations and deduced values (no foreign key cascades)."""
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    Citation.objects.filter(content_type=content_type, object_id=pk).delete()
    Inference.objects.filter(content_type=content_type, object_id=pk).delete()


def source_cite(
    *,
    document: SourceDocument | None = None,
    line_start: int | None = None,
    line_end: int | None = None,
    url: str = "",
    quote: str = "",
    note: str = "",
) -> Source:
    """Return the one Source for this citation, creating it on first use."""
    line_end = line_end or line_start
    existing = Source.objects.filter(
        document=document, line_start=line_start, line_end=line_end, quote=quote, url=url
    ).first()
    if existing:
        return existing
    source = Source(
        document=document, line_start=line_start, line_end=line_end, url=url, quote=quote, note=note
    )
    source.full_clean(validate_unique=False, validate_constraints=True)
    source.save()
    return source


def source_synthetic() -> Source:
    source, _ = Source.objects.get_or_create(
        is_synthetic=True, document=None, url="", quote="", defaults={"note": SYNTHETIC_NOTE}
    )
    return source


@transaction.atomic
def published_figure_set(
    *,
    metric: str,
    label: str,
    value: Decimal | int,
    source: Source,
    unit: str = "count",
    country=None,
    authority=None,
    dimension: str = "",
    dimension_value: str = "",
    year: int | None = None,
) -> PublishedFigure:
    figure, _ = PublishedFigure.objects.update_or_create(
        metric=metric,
        country=country,
        authority=authority,
        dimension=dimension,
        dimension_value=dimension_value,
        year=year,
        defaults={"label": label, "value": Decimal(value), "unit": unit, "source": source},
    )
    return figure


# --------------------------------------------------------------------------- in bulk (importers)


def source_cite_many(*, document: SourceDocument, urls: list[str], note: str = "") -> dict[str, Source]:
    """`source_cite(document=…, url=…)` for many addresses at once: {url: Source}, the
    missing ones created in bulk (an importer cites one fiche address per record)."""
    wanted = list(dict.fromkeys(urls))
    found: dict[str, Source] = {}
    for i in range(0, len(wanted), 1000):
        for s in Source.objects.filter(
            document=document, line_start=None, line_end=None, quote="", url__in=wanted[i : i + 1000]
        ):
            found.setdefault(s.url, s)
    new = []
    for url in wanted:
        if url not in found:
            source = Source(document=document, url=url, note=note)
            source.full_clean(validate_unique=False, validate_constraints=False)
            new.append(source)
    Source.objects.bulk_create(new, batch_size=1000)
    if any(s.pk is None for s in new):  # backends that return no ids
        return source_cite_many(document=document, urls=wanted, note=note)
    found.update({s.url: s for s in new})
    return found


def record_citations_set_many(*, records: list[tuple[models.Model, list[Source]]]) -> None:
    """`record_citations_set` for many records of one model: current citations read once,
    those that differ replaced."""
    if not records:
        return
    content_type = ContentType.objects.get_for_model(records[0][0], for_concrete_model=False)
    current: dict = {}
    ids = [r.pk for r, _s in records]
    for i in range(0, len(ids), 1000):
        for c in Citation.objects.filter(content_type=content_type, object_id__in=ids[i : i + 1000]).order_by(
            "position"
        ):
            current.setdefault(c.object_id, []).append(c.source_id)
    stale, new = [], []
    for record, sources in records:
        main_id = getattr(record, "source_id", None)
        extra: list[int] = []
        for s in sources:
            if s.pk != main_id and s.pk not in extra:
                extra.append(s.pk)
        if current.get(record.pk, []) == extra:
            continue
        stale.append(record.pk)
        new += [
            Citation(content_type=content_type, object_id=record.pk, position=i, source_id=pk)
            for i, pk in enumerate(extra, start=1)
        ]
    for i in range(0, len(stale), 1000):
        Citation.objects.filter(content_type=content_type, object_id__in=stale[i : i + 1000]).delete()
    Citation.objects.bulk_create(new, batch_size=1000)


def record_inferences_set_many(*, records: list[models.Model], inferences: dict[str, str]) -> None:
    """`record_inferences_set` with the same deduced values on many records of one model."""
    if not records:
        return
    for name, reasoning in inferences.items():
        if not str(reasoning).strip():
            raise AppError(
                _("%(name)s : dites de quoi la valeur est déduite (raisonnement vide).") % {"name": name},
                field="inferred",
            )
    wanted = {str(k): str(v).strip() for k, v in inferences.items()}
    content_type = ContentType.objects.get_for_model(records[0], for_concrete_model=False)
    current: dict = {}
    ids = [r.pk for r in records]
    for i in range(0, len(ids), 1000):
        for inf in Inference.objects.filter(content_type=content_type, object_id__in=ids[i : i + 1000]):
            current.setdefault(inf.object_id, {})[inf.field] = inf.reasoning
    stale = [pk for pk in ids if current.get(pk, {}) != wanted]
    for i in range(0, len(stale), 1000):
        Inference.objects.filter(content_type=content_type, object_id__in=stale[i : i + 1000]).delete()
    Inference.objects.bulk_create(
        [
            Inference(content_type=content_type, object_id=pk, field=k, reasoning=v)
            for pk in stale
            for k, v in sorted(wanted.items())
        ],
        batch_size=1000,
    )
