"""Uploaded documents (signed conventions, reports, photos) attached to a record.

Stored under MEDIA_ROOT (outside static files), named by a random key, never served
directly: `views.document_download` checks who may see it and sends it as a download."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Document(models.Model):
    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        PNG = "png", "PNG"
        JPEG = "jpeg", "JPEG"
        WEBP = "webp", "WebP"

    # Explicit nullable keys rather than a generic relation: real foreign keys, cascades
    # and exactly-one as a database constraint.
    convention = models.ForeignKey(
        "cooperation.Convention", on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    project = models.ForeignKey(
        "cooperation.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    partnership = models.ForeignKey(
        "cooperation.Partnership", on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    title = models.CharField(_("titre"), max_length=300, blank=True)
    file = models.FileField(upload_to="documents/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.CheckConstraint(
                name="document_exactly_one_record",
                condition=(
                    Q(convention__isnull=False, project__isnull=True, partnership__isnull=True)
                    | Q(convention__isnull=True, project__isnull=False, partnership__isnull=True)
                    | Q(convention__isnull=True, project__isnull=True, partnership__isnull=False)
                ),
            ),
            models.CheckConstraint(name="document_size_positive", condition=Q(size__gt=0)),
        ]

    def __str__(self) -> str:
        return self.title or self.original_name

    @property
    def record(self):
        return self.convention or self.project or self.partnership
