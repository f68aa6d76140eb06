"""Writes for sources and published figures."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from .models import PublishedFigure, Source, SourceDocument

SYNTHETIC_NOTE = "Synthetic record generated for scale tests; not a fact about a real authority."


def source_document_get_or_create(*, key: str, title: str, publisher: str = "", url: str = "",
                                  licence: str = "", published_on=None) -> SourceDocument:
    doc, _ = SourceDocument.objects.update_or_create(
        key=key, defaults={"title": title, "publisher": publisher, "url": url,
                           "licence": licence, "published_on": published_on},
    )
    return doc


def source_cite(*, document: SourceDocument | None = None, line_start: int | None = None,
                line_end: int | None = None, url: str = "", quote: str = "",
                note: str = "") -> Source:
    """Return the one Source for this citation, creating it on first use."""
    line_end = line_end or line_start
    existing = Source.objects.filter(document=document, line_start=line_start, line_end=line_end,
                                     quote=quote, url=url).first()
    if existing:
        return existing
    source = Source(document=document, line_start=line_start, line_end=line_end, url=url,
                    quote=quote, note=note)
    source.full_clean(validate_unique=False, validate_constraints=True)
    source.save()
    return source


def source_synthetic() -> Source:
    source, _ = Source.objects.get_or_create(
        is_synthetic=True, document=None, url="", quote="", defaults={"note": SYNTHETIC_NOTE}
    )
    return source


@transaction.atomic
def published_figure_set(*, metric: str, label: str, value: Decimal | int, source: Source,
                         unit: str = "count", country=None, authority=None, dimension: str = "",
                         dimension_value: str = "", year: int | None = None) -> PublishedFigure:
    figure, _ = PublishedFigure.objects.update_or_create(
        metric=metric, country=country, authority=authority, dimension=dimension,
        dimension_value=dimension_value, year=year,
        defaults={"label": label, "value": Decimal(value), "unit": unit, "source": source},
    )
    return figure
