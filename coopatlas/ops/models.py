"""Operations records: every e-mail sent (the outbox) and every background job (progress)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One e-mail as sent, for one recipient address; `user` is the account with that address
    when there is one, so that it can read it in the editing space ("Mes messages")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox"
    )
    to = models.EmailField(_("destinataire"), max_length=254, db_index=True)
    from_email = models.CharField(_("expéditeur"), max_length=254)
    subject = models.CharField(_("objet"), max_length=998)
    body = models.TextField(_("texte"))
    sent_at = models.DateTimeField(_("envoyé le"), auto_now_add=True, db_index=True)
    delivered = models.BooleanField(_("remis au serveur de courrier"), default=False)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("message envoyé")
        verbose_name_plural = _("messages envoyés")

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class Job(models.Model):
    """A long job run by the background worker (`coopatlas worker`), with its progress.

    The task queue (django-tasks) carries the work; this row carries what a person watches:
    who asked, how far it is, and the file it produced."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("en attente")
        RUNNING = "running", _("en cours")
        DONE = "done", _("terminé")
        FAILED = "failed", _("échoué")

    kind = models.CharField(_("nature"), max_length=40)
    label = models.CharField(_("intitulé"), max_length=300)
    params = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    result_name = models.CharField(max_length=300, blank=True)  # file in the default storage
    result_filename = models.CharField(max_length=200, blank=True)  # name offered on download
    result_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("tâche de fond")
        verbose_name_plural = _("tâches de fond")

    def __str__(self) -> str:
        return self.label

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
