"""Reads of the ops app."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from .models import Job, OutboxMessage


def outbox_for(*, user) -> QuerySet[OutboxMessage]:
    """The messages sent to this account (or to its address before the account existed)."""
    return OutboxMessage.objects.filter(Q(user=user) | Q(user__isnull=True, to__iexact=user.email))


def jobs_for(*, user) -> QuerySet[Job]:
    return Job.objects.filter(created_by=user)


def job_for(*, user, pk: int) -> Job | None:
    return jobs_for(user=user).filter(pk=pk).first()


def queue_counts() -> dict[str, int]:
    counts = dict.fromkeys(Job.Status.values, 0)
    for status, n in Job.objects.values_list("status").annotate(n=Count("pk")):
        counts[status] = n
    return counts
