"""Tables behind the compliance warnings, editable by administrators (Django admin).

`load_compliance` fills them from `data/rules.yaml` (the guide's rules, cited by line);
administrators then add the entities France does not recognise or that are under
sanctions, and the competences of groupements. Nothing here blocks a write: the warnings
tell editors and the ministry what to check (the prefecture's legality control decides)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from coopatlas.geo.models import GROUPEMENT_KINDS, AuthorityKind


class Severity(models.TextChoices):
    WARNING = "warning", _("Avertissement")
    INFO = "info", _("À vérifier")


class Citation(models.Model):
    source_document = models.CharField(
        max_length=20, default="001", help_text="Key of the source document (seed number)"
    )
    source_lines = models.CharField(max_length=60, blank=True)
    quote = models.TextField(blank=True)

    class Meta:
        abstract = True


class Rule(Citation):
    code = models.SlugField(max_length=60, primary_key=True)
    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    is_active = models.BooleanField(default=True)
    threshold = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    also_when_cofunded = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title


class RestrictedEntityKind(Citation):
    """The kinds of partners the guide excludes (foreign State, unrecognised entity…)."""

    code = models.SlugField(max_length=40, primary_key=True)
    label = models.CharField(max_length=200)
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="entity_kinds")

    def __str__(self) -> str:
        return self.label


class RestrictedEntity(models.Model):
    """One entity of such a kind: a country, a part of one, an authority or an organisation.
    Filled by administrators from the official lists (no entry is invented in the data)."""

    kind = models.ForeignKey(RestrictedEntityKind, on_delete=models.PROTECT, related_name="entities")
    name = models.CharField(max_length=300)
    country = models.ForeignKey(
        "geo.Country", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    area = models.ForeignKey(
        "geo.AdministrativeArea", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    authority = models.ForeignKey(
        "geo.LocalAuthority", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "cooperation.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    legal_reference = models.CharField(max_length=300, blank=True, help_text="The act or list it comes from")
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "restricted entities"
        constraints = [
            models.CheckConstraint(
                name="restricted_entity_points_at_something",
                condition=(
                    models.Q(country__isnull=False)
                    | models.Q(area__isnull=False)
                    | models.Q(authority__isnull=False)
                    | models.Q(organisation__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Competence(Citation):
    """A field of competence, by the themes and DAC sectors that fall in it."""

    code = models.SlugField(max_length=40, primary_key=True)
    label = models.CharField(max_length=200)
    themes = models.ManyToManyField(
        "reference.Theme", blank=True, related_name="+", help_text="Covered with their sub-themes"
    )
    accepted_themes = models.ManyToManyField(
        "reference.Theme",
        blank=True,
        related_name="+",
        help_text="Broader themes accepted as they are (not their other sub-themes)",
    )
    sector_prefixes = models.CharField(
        max_length=300, blank=True, help_text="DAC sector codes or prefixes, comma-separated"
    )

    def __str__(self) -> str:
        return self.label

    def prefixes(self) -> list[str]:
        return [p.strip() for p in self.sector_prefixes.split(",") if p.strip()]


class GroupementCompetence(Citation):
    """Competences of groupements: of one authority, or of a kind whose (accent-folded)
    name matches a pattern ("syndicat" named "… des eaux" → water)."""

    authority_kind = models.CharField(
        max_length=30,
        blank=True,
        choices=[(k.value, k.label) for k in AuthorityKind if k.value in GROUPEMENT_KINDS],
    )
    name_pattern = models.CharField(
        max_length=200, blank=True, help_text="Regular expression on the folded name"
    )
    authority = models.ForeignKey(
        "geo.LocalAuthority", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    competence = models.ForeignKey(Competence, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="groupement_competence_has_target",
                condition=~models.Q(authority_kind="") | models.Q(authority__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        who = self.authority or f"{self.authority_kind} /{self.name_pattern}/"
        return f"{who} → {self.competence}"
