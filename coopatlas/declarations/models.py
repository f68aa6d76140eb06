"""The yearly declaration of official development aid (e-APD, art. L1115-6 CGCT).

One Declaration per (authority, year). Its content lives in numbered versions: a validated
version is locked, and a correction after validation starts a new version, the old one kept.
The national report counts, for each declaration, its latest validated version
(`DeclarationVersion.is_counted`, maintained by the services).

Amounts are stored as whole cents (BigInteger): SQLite keeps DECIMAL columns as floating
point, so a SUM over 50,000 lines could drift by a cent; integer sums are exact on every
database, and the API shows them as decimal strings.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MARKER_KEYS = ("gender", "environment", "biodiversity", "nutrition", "inclusion")


class RuleSet(models.Model):
    """The rules that apply to one declaration year (loaded from data/rules.yaml, editable
    in the admin). Changing them calls for `load_declaration_rules`, which re-checks lines."""

    year = models.PositiveSmallIntegerField(unique=True)
    oda_list_year = models.PositiveSmallIntegerField(
        help_text="Year of the DAC list of ODA recipients (geo.CountryOdaStatus) applied"
    )
    refugee_max_months = models.PositiveSmallIntegerField(default=12)
    scholarships_oda_only = models.BooleanField(default=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class LineType(models.Model):
    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="line_types")
    code = models.SlugField(max_length=20)
    name_fr = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    counts_as_oda = models.BooleanField(default=True)
    bilateral = models.BooleanField(
        default=True, help_text="False for core contributions to multilateral bodies"
    )
    crs_channel = models.CharField(max_length=5, blank=True, help_text="Default CRS channel")
    crs_aid_type = models.CharField(max_length=4, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["ruleset", "position"]
        constraints = [models.UniqueConstraint(fields=["ruleset", "code"], name="linetype_ruleset_code")]

    def __str__(self) -> str:
        return self.name_fr


class MarkerRule(models.Model):
    """A policy marker asked in that year's declaration, and its OECD code."""

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="markers")
    key = models.CharField(max_length=20, choices=[(k, k) for k in MARKER_KEYS])
    marker = models.ForeignKey("reference.PolicyMarker", on_delete=models.PROTECT, related_name="+")
    name_fr = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ruleset", "key"], name="markerrule_ruleset_key")]


class RecipientRegion(models.Model):
    """A DAC regional recipient ("Afrique, régional"…) for lines without one country."""

    code = models.CharField(max_length=5, primary_key=True)
    name_fr = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_fr


class Campaign(models.Model):
    """The yearly declaration window (15 April – 31 May of the following year)."""

    year = models.PositiveSmallIntegerField(unique=True)
    opens_on = models.DateField()
    closes_on = models.DateField()
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                name="campaign_dates_ordered", condition=Q(closes_on__gte=models.F("opens_on"))
            )
        ]

    def __str__(self) -> str:
        return str(self.year)


class Declaration(models.Model):
    authority = models.ForeignKey(
        "geo.LocalAuthority", on_delete=models.PROTECT, related_name="aid_declarations"
    )
    year = models.PositiveSmallIntegerField(db_index=True)
    is_synthetic = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "authority__name"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "year"], name="declaration_authority_year")
        ]

    def __str__(self) -> str:
        return f"{self.authority} – {self.year}"


class State(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Soumise")
    VALIDATED = "validated", _("Validée")
    RETURNED = "returned", _("Renvoyée")


class DeclarationVersion(models.Model):
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    nothing_to_declare = models.BooleanField(default=False)
    is_counted = models.BooleanField(
        default=False, db_index=True, help_text="The validated version the report counts"
    )
    return_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["declaration", "number"]
        constraints = [
            models.UniqueConstraint(fields=["declaration", "number"], name="declversion_declaration_number"),
            models.UniqueConstraint(
                fields=["declaration"], condition=Q(is_counted=True), name="declversion_one_counted"
            ),
            models.CheckConstraint(
                name="declversion_counted_is_validated", condition=Q(is_counted=False) | Q(state="validated")
            ),
        ]

    @property
    def is_editable(self) -> bool:
        return self.state in (State.DRAFT, State.RETURNED)

    def __str__(self) -> str:
        return f"{self.declaration} v{self.number}"


class DeclarationLine(models.Model):
    # No index on the recipient, channel and sector keys: SQLite would walk such an index to
    # GROUP BY it across every year's lines instead of reading the year's lines only.
    version = models.ForeignKey(DeclarationVersion, on_delete=models.CASCADE, related_name="lines")
    line_type = models.SlugField(max_length=20, help_text="A LineType code of the year")
    amount_cents = models.BigIntegerField()
    country = models.ForeignKey(
        "geo.Country", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    region = models.ForeignKey(
        RecipientRegion, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    channel = models.ForeignKey(
        "reference.Channel", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    sector = models.ForeignKey(
        "reference.Sector", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    marker_gender = models.PositiveSmallIntegerField(default=0)
    marker_environment = models.PositiveSmallIntegerField(default=0)
    marker_biodiversity = models.PositiveSmallIntegerField(default=0)
    marker_nutrition = models.PositiveSmallIntegerField(default=0)
    marker_inclusion = models.PositiveSmallIntegerField(default=0)
    project = models.ForeignKey(
        "cooperation.Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="aid_declaration_lines",
    )
    under_12_months = models.BooleanField(
        null=True, blank=True, help_text="Refugee lines: people in France < 12 months"
    )
    comment = models.TextField(blank=True)
    # Set by the services from the year's rules (re-set when the rules are reloaded), so the
    # report filters in SQL instead of re-applying rules line by line.
    counts_as_oda = models.BooleanField(default=True)
    not_oda_reason = models.CharField(max_length=500, blank=True)
    # The declaration's year while this line's version is the counted one, else NULL (set by
    # declaration_validate): the report reads one indexed table instead of joining three.
    counted_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["version", "id"]
        constraints = [
            models.CheckConstraint(name="declline_amount_positive", condition=Q(amount_cents__gt=0)),
            models.CheckConstraint(
                name="declline_country_or_region", condition=Q(country__isnull=True) | Q(region__isnull=True)
            ),
            *[
                models.CheckConstraint(
                    name=f"declline_marker_{k}_0_2", condition=Q(**{f"marker_{k}__lte": 2})
                )
                for k in MARKER_KEYS
            ],
        ]
        indexes = [
            models.Index(fields=["version", "line_type"]),
            models.Index(fields=["counted_year", "counts_as_oda"]),
        ]

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_cents) / 100

    def __str__(self) -> str:
        return f"{self.line_type} {self.amount} €"


class Reminder(models.Model):
    """A reminder sent to an authority that had not declared (who, when, to whom)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reminders")
    authority = models.ForeignKey("geo.LocalAuthority", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.TextField(blank=True, help_text="E-mail addresses, one a line")
