"""Where facts come from. Every record that states a fact points to a Source."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SourceDocument(models.Model):
    """A document we cite: a seed file (key '001'), a web page, an official dataset."""

    key = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=500)
    publisher = models.CharField(max_length=300, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    published_on = models.DateField(null=True, blank=True)
    licence = models.CharField(max_length=200, blank=True)
    # Lines of its text (SourceText), when the atlas holds it: its page can then be shown.
    line_count = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("core:source_document", kwargs={"key": self.key})


class SourceText(models.Model):
    """A document's own text, shipped in core/data/sources/ and loaded with the demo data, so
    every cited line can be shown (and every quote checked) without ../shared.

    Its own table, not a column of SourceDocument: every page joins sources to their
    document, and the 400 KB guide must not travel with each of those rows.
    """

    document = models.OneToOneField(
        SourceDocument, on_delete=models.CASCADE, primary_key=True, related_name="source_text"
    )
    text = models.TextField()

    class Meta:
        verbose_name = _("texte d'un document source")

    def __str__(self) -> str:
        return f"text of document #{self.document_id}"


class Source(models.Model):
    """One citation: a document with a line range (or a URL), and optionally a short quote.

    `is_synthetic` marks data generated for scale: never a fact about a real authority.
    """

    document = models.ForeignKey(
        SourceDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="citations"
    )
    line_start = models.PositiveIntegerField(null=True, blank=True)
    line_end = models.PositiveIntegerField(null=True, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    quote = models.TextField(blank=True)
    is_synthetic = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="source_has_document_or_url_or_synthetic",
                condition=Q(document__isnull=False) | ~Q(url="") | Q(is_synthetic=True),
            ),
            models.CheckConstraint(
                name="source_lines_ordered",
                condition=Q(line_start__isnull=True)
                | Q(line_end__isnull=True)
                | Q(line_end__gte=models.F("line_start")),
            ),
            models.UniqueConstraint(
                fields=["document", "line_start", "line_end", "quote"],
                name="source_unique_citation",
            ),
        ]
        verbose_name = _("source")

    def __str__(self) -> str:
        if self.is_synthetic:
            return "synthetic"
        where = self.document.key if self.document_id else self.url
        if self.line_start:
            return f"{where}: {self.line_start}–{self.line_end or self.line_start}"
        return where


class PublishedFigure(models.Model):
    """A figure a document publishes (Mali: 58 active partnerships), shown beside our count.

    `metric` names what the atlas itself can count for comparison (a selector key such as
    'active_partnerships'), with `dimension`/`dimension_value` for breakdowns
    ('french_kind'='commune', 'area'='ML-1').
    """

    metric = models.SlugField(max_length=100)
    label = models.CharField(max_length=300)
    value = models.DecimalField(max_digits=18, decimal_places=2)
    unit = models.CharField(max_length=20, blank=True, help_text="EUR, count, people…")
    country = models.ForeignKey(
        "geo.Country", on_delete=models.CASCADE, null=True, blank=True, related_name="published_figures"
    )
    authority = models.ForeignKey(
        "geo.LocalAuthority",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="published_figures",
    )
    dimension = models.CharField(max_length=50, blank=True)
    dimension_value = models.CharField(max_length=100, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    as_of = models.DateField(null=True, blank=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="figures")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "country", "authority", "dimension", "dimension_value", "year"],
                name="published_figure_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.value}"


class Change(models.Model):
    """One recorded change of an editable record: who, when, which fields before and after.

    `snapshot` is the record's whole state after the change (fields, many-to-many ids and
    child rows), so an administrator can restore any earlier version; `before`/`after` hold
    only the fields that changed, for the history shown to people and the 409 of a stale save.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Création")
        UPDATE = "update", _("Modification")
        DELETE = "delete", _("Suppression")
        UNDELETE = "undelete", _("Annulation de la suppression")
        RESTORE = "restore", _("Restauration d'une version")
        STATUS = "status", _("Changement d'état de publication")
        CONFIRM = "confirm", _("Confirmation annuelle")

    model = models.CharField(max_length=60, db_index=True, help_text="app_label.model_name")
    object_id = models.PositiveBigIntegerField(db_index=True)
    version = models.PositiveIntegerField(help_text="The record's version after the change")
    action = models.CharField(max_length=10, choices=Action.choices)
    user = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    # Kept when the account is removed, so the history still says who did it.
    user_email = models.EmailField(blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["model", "object_id", "at", "id"]
        indexes = [models.Index(fields=["model", "object_id", "version"])]

    def __str__(self) -> str:
        return f"{self.model}#{self.object_id} v{self.version} {self.action}"


class Citation(models.Model):
    """An additional source of a record, in order: `position` 1, 2… after the record's own
    `source` (position 0, kept on the record so every write path stays as it is).

    Generic (content type + id) rather than one many-to-many per model: the same citation
    list serves partnerships, conventions, projects, funding lines, organisations, contacts,
    authorities and country profiles, and one query per model type reads a whole page's.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    position = models.PositiveSmallIntegerField()
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="record_links")

    class Meta:
        ordering = ["content_type", "object_id", "position"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "position"], name="citation_unique_position"
            ),
            models.UniqueConstraint(
                fields=["content_type", "object_id", "source"], name="citation_unique_source"
            ),
            models.CheckConstraint(name="citation_position_after_main", condition=Q(position__gte=1)),
        ]
        verbose_name = _("citation")

    def __str__(self) -> str:
        return f"{self.content_type_id}#{self.object_id} [{self.position}] {self.source}"


class Inference(models.Model):
    """A value the sources do not state but that was deduced: shown as « déduit » with why.

    `field` names the record's field ("kind", "markers.gender", "participants"); `reasoning`
    says, in French, what the value was deduced from.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=100)
    reasoning = models.TextField()

    class Meta:
        ordering = ["content_type", "object_id", "field"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "field"], name="inference_unique_field"
            ),
            models.CheckConstraint(name="inference_has_reasoning", condition=~Q(reasoning="")),
        ]
        verbose_name = _("valeur déduite")

    def __str__(self) -> str:
        return f"{self.content_type_id}#{self.object_id} {self.field}: {self.reasoning[:40]}"


class Revision(models.Model):
    """An editor's change to a published record, waiting for validation (issue 8).

    The public keeps seeing the published version; `data` is the record's state as the
    change would make it (a history snapshot), applied by a reviewer (`revision_apply`) or
    returned with a comment. `before`/`after` hold only the changed fields, for people."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de validation")
        APPLIED = "applied", _("Validée")
        RETURNED = "returned", _("Renvoyée")
        SUPERSEDED = "superseded", _("Remplacée par une révision plus récente")

    model = models.CharField(max_length=60, db_index=True, help_text="app_label.model_name")
    object_id = models.PositiveBigIntegerField(db_index=True)
    base_version = models.PositiveIntegerField(help_text="The version the change was made on")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="revisions"
    )
    created_by_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by_email = models.EmailField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("révision en attente")
        verbose_name_plural = _("révisions en attente")
        constraints = [
            models.UniqueConstraint(
                fields=["model", "object_id"],
                condition=Q(status="pending"),
                name="revision_one_pending_per_record",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.object_id} ({self.get_status_display()})"


class DataVersion(models.Model):
    """One row: a stamp bumped after every committed write (coopatlas.core.freshness).

    Cached reads are keyed by it and public pages carry it as their ETag, so nothing
    computed before a write is served after it. `token` changes when the row is recreated
    (a flushed database), so a reused `version` number never matches an old cache entry.
    """

    version = models.BigIntegerField(default=0)
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    class Meta:
        db_table = "core_dataversion"
