"""What the import of the state's atlas keeps beside the records it writes.

`AtlasRecord`: one fiche (prjId) as last read, the project and partnership it became, and
what the atlas model has no column for (SDG levels, dated embassy contacts). `ReviewItem`:
a name or a grouping the importer could not settle alone; an administrator settles it in
the editing space and the next run follows the choice.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AtlasRecord(models.Model):
    prj_id = models.CharField(max_length=40, unique=True)
    url = models.URLField(max_length=1000)
    file = models.CharField(max_length=1000, blank=True, help_text="File it was last read from")
    project = models.OneToOneField(
        "cooperation.Project", on_delete=models.SET_NULL, null=True, blank=True, related_name="atlas_record"
    )
    partnership = models.ForeignKey(
        "cooperation.Partnership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="atlas_records",
    )
    title_looks_cut = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True, help_text="The fiche as parsed")
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("fiche de l'atlas de l'État")
        verbose_name_plural = _("fiches de l'atlas de l'État")
        ordering = ["prj_id"]

    def __str__(self) -> str:
        return f"prjId {self.prj_id}"


class AtlasSdg(models.Model):
    """An SDG of a fiche with the level the atlas gives it (the project keeps the goal)."""

    record = models.ForeignKey(AtlasRecord, on_delete=models.CASCADE, related_name="sdgs")
    goal = models.ForeignKey("reference.SdgGoal", on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "goal"], name="atlas_sdg_unique")]


class AtlasContact(models.Model):
    """The embassy contact a fiche names, dated by the fiche (or "none" when it says so)."""

    class Role(models.TextChoices):
        CORRESPONDENT = "correspondent", _("Correspondant coopération décentralisée")
        COUNSELLOR = "counsellor", _("Conseiller de coopération")

    record = models.ForeignKey(AtlasRecord, on_delete=models.CASCADE, related_name="contacts")
    role = models.CharField(max_length=20, choices=Role.choices)
    contact = models.ForeignKey(
        "cooperation.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_none = models.BooleanField(default=False, help_text="The fiche says there is none")
    as_of = models.DateField(null=True, blank=True, help_text="Date of the fiche that names it")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "role"], name="atlas_contact_one_per_role"),
            models.CheckConstraint(
                name="atlas_contact_person_or_none",
                condition=Q(is_none=True, contact__isnull=True) | Q(is_none=False),
            ),
        ]


class ReviewItem(models.Model):
    class Kind(models.TextChoices):
        FRENCH = "french", _("Collectivité française")
        PARTNER = "partner", _("Collectivité partenaire")
        GROUPING = "grouping", _("Regroupement de périodes")

    class Status(models.TextChoices):
        OPEN = "open", _("À trancher")
        SETTLED = "settled", _("Tranché")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=400, help_text="Folded name (and country), or the grouping key")
    label = models.CharField(max_length=500, help_text="The name as written, or the grouping")
    country = models.ForeignKey("geo.Country", on_delete=models.SET_NULL, null=True, blank=True)
    prj_ids = models.JSONField(default=list, blank=True)
    candidates = models.JSONField(default=list, blank=True, help_text='[{"code", "label"}]')
    choice = models.CharField(max_length=300, blank=True, help_text="Code chosen (or 'new', 'separate')")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    settled_by_email = models.EmailField(blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("point à trancher (import de l'atlas)")
        ordering = ["status", "kind", "label"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="review_item_unique_key"),
            models.CheckConstraint(
                name="review_item_settled_has_choice",
                condition=~Q(status="settled") | ~Q(choice=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"
