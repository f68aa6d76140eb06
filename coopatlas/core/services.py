"""Writes for sources and published figures."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

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
            f"document {document.key} : le texte contient un caractère NUL ; "
            "enregistrez le fichier en texte UTF-8.",
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
                f"{name} : dites de quoi la valeur est déduite (raisonnement vide).", field="inferred"
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
