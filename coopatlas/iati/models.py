"""What an IATI import leaves behind: the run, and per imported project what the
atlas model cannot hold (the publisher, its timestamps, an undated activity's stand-in date).
"""

from django.db import models

from coopatlas.core.models import TimeStamped


class ImportRun(TimeStamped):
    """One `import-iati` of one file (dry runs are rolled back and leave no row)."""

    file_name = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64, db_index=True)
    version = models.CharField(max_length=10)
    activities = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    organisations_created = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    source = models.ForeignKey("core.Source", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.activities} activities)"


class ImportedActivity(models.Model):
    """The IATI side of an imported project: who published it and when."""

    project = models.OneToOneField(
        "cooperation.Project", on_delete=models.CASCADE, related_name="iati_import"
    )
    run = models.ForeignKey(ImportRun, on_delete=models.PROTECT, related_name="activities_set")
    reporting_ref = models.CharField(max_length=200)
    reporting_type = models.CharField(max_length=3, blank=True)
    reporting_name = models.CharField(max_length=500, blank=True)
    reporting_authority = models.ForeignKey(
        "geo.LocalAuthority", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reporting_organisation = models.ForeignKey(
        "cooperation.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_activities",
    )
    last_updated = models.CharField(max_length=40, blank=True, help_text="last-updated-datetime as published")
    language = models.CharField(max_length=10, blank=True)
    extra = models.JSONField(
        default=dict, blank=True, help_text="Stand-in date of an undated activity, and the like"
    )
    original = models.TextField(
        blank=True,
        help_text="The <iati-activity> as published: everything the atlas model cannot hold "
        "(all transactions, yearly budgets, regions, results, documents, narratives in every "
        "language) is kept, shown and exported again unchanged",
    )

    def __str__(self) -> str:
        return f"{self.reporting_ref}: {self.project_id}"


class PublishedActivity(models.Model):
    """The identifier a project was first published under: kept for ever (IATI identifiers
    never change). `reporting_ref` is the publisher's identifier at that first publication:
    when the project is later published by another (an authority that got a SIREN, the
    ministry instead of the authority), the file names it as other-identifier type B1."""

    project = models.OneToOneField(
        "cooperation.Project", on_delete=models.CASCADE, related_name="iati_published"
    )
    identifier = models.CharField(max_length=200, unique=True)
    reporting_ref = models.CharField(max_length=200)
    first_published_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.identifier
