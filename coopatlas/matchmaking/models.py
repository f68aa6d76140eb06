"""Matchmaking (issue 14): interest in a partner request and its private conversation,
requests to join a programme, notifications in the editing space.

None of these is a `Record`: they are never public. A conversation is seen by the parties
(the interested French authority's editors, the requesting authority's partner officers)
and the embassy of the request's country only (`selectors.can_see_interest`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Interest(models.Model):
    """ "Je suis intéressé·e": one French authority's answer to a partner request, and the
    thread of messages that follows it."""

    request = models.ForeignKey(
        "cooperation.PartnerRequest", on_delete=models.CASCADE, related_name="interests"
    )
    authority = models.ForeignKey("geo.LocalAuthority", on_delete=models.PROTECT, related_name="interests")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("marque d'intérêt")
        constraints = [
            models.UniqueConstraint(fields=["request", "authority"], name="interest_unique_per_authority")
        ]

    def __str__(self) -> str:
        return f"{self.authority} → {self.request}"


class Message(models.Model):
    interest = models.ForeignKey(Interest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    author_email = models.EmailField(blank=True)
    # Which side wrote it: the French authority, the requesting authority, the embassy.
    side = models.CharField(max_length=10)
    body = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.author_email}: {self.body[:40]}"


class JoinRequest(models.Model):
    """An authority asks to join a programme; its carrier accepts (the authority becomes a
    member) or declines."""

    class State(models.TextChoices):
        PENDING = "pending", _("En attente")
        ACCEPTED = "accepted", _("Acceptée")
        DECLINED = "declined", _("Refusée")

    programme = models.ForeignKey(
        "cooperation.Programme", on_delete=models.CASCADE, related_name="join_requests"
    )
    authority = models.ForeignKey(
        "geo.LocalAuthority", on_delete=models.PROTECT, related_name="join_requests"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    message = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "authority"],
                condition=models.Q(state="pending"),
                name="join_request_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.authority} → {self.programme}"


class Notification(models.Model):
    """A line in the editing space ("you have a new message"); the e-mail goes alongside."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.text
