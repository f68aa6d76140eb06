"""Reads of the atlas import: the review queue and the choices already made."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AtlasRecord, ReviewItem


def settled_choices() -> dict[tuple[str, str], str]:
    """(kind, key) -> the administrator's choice, for the next import to follow."""
    return {
        (kind, key): choice
        for kind, key, choice in ReviewItem.objects.filter(status=ReviewItem.Status.SETTLED).values_list(
            "kind", "key", "choice"
        )
    }


def review_items(*, status: str | None = ReviewItem.Status.OPEN) -> QuerySet[ReviewItem]:
    qs = ReviewItem.objects.select_related("country")
    return qs.filter(status=status) if status else qs


def review_queue() -> dict:
    """What the review page shows (and its JSON twin): open items first, then settled."""
    open_items = list(review_items())
    settled = list(review_items(status=ReviewItem.Status.SETTLED).order_by("-settled_at")[:50])
    return {
        "open": [_item_dict(i) for i in open_items],
        "settled": [_item_dict(i) for i in settled],
        "records": AtlasRecord.objects.count(),
    }


def _item_dict(item: ReviewItem) -> dict:
    return {
        "id": item.pk,
        "kind": item.kind,
        "kind_label": str(item.get_kind_display()),
        "label": item.label,
        "country": item.country.name if item.country_id else "",
        "prj_ids": item.prj_ids,
        "candidates": item.candidates,
        "choice": item.choice,
        "settled_by": item.settled_by_email,
        "settled_at": item.settled_at.isoformat() if item.settled_at else None,
    }
