"""Calls for proposals, their versioned rule sets, applications and their instruction.

Modelled after Hypha's shape (a round with its rules, submissions with revisions,
reviews and determinations): a `RuleSet` version is frozen once a call using it opens; an
`Application` keeps every submitted `ApplicationVersion`; opinions, scores and the
decision hang off the application; a grant becomes a FundingContribution of the project.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coopatlas.core.models import TimeStamped

MONEY = {"max_digits": 16, "decimal_places": 2}


class RuleSet(TimeStamped):
    """One version of a call's rules, as data (rules.ruleset_validate's output)."""

    class Origin(models.TextChoices):
        DOCUMENT = "document", _("Tiré des documents")
        EXAMPLE = "example", _("Exemple (hors documents)")

    key = models.SlugField(max_length=80)
    version = models.PositiveIntegerField(default=1)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    title = models.CharField(max_length=300)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    source = models.CharField(max_length=500)
    instrument = models.CharField(max_length=20, default="daect_call")
    rules = models.JSONField()
    frozen_at = models.DateTimeField(null=True, blank=True, help_text="Set when a call using it opens")

    class Meta:
        ordering = ["key", "-version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="ruleset_key_version")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class CallKind(models.TextChoices):
    GENERALIST = "generalist", _("Généraliste")
    THEMATIC = "thematic", _("Thématique")
    BILATERAL = "bilateral", _("Fonds conjoint bilatéral")
    TURNKEY = "turnkey", _("Programmes « clés en main »")


class CallQuerySet(models.QuerySet):
    def published(self):
        return self.exclude(opens_at__isnull=True).filter(is_published=True)

    def open_at(self, at):
        return self.published().filter(opens_at__lte=at, deadline_at__gt=at)


class Call(TimeStamped):
    objects = CallQuerySet.as_manager()

    slug = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(max_length=12, choices=CallKind.choices, default=CallKind.GENERALIST)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    text = models.TextField(blank=True)
    ruleset = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="calls")
    # Stored in UTC, entered and shown in Europe/Paris (settings.CALLS_TIME_ZONE).
    opens_at = models.DateTimeField()
    deadline_at = models.DateTimeField()
    opinion_deadline_at = models.DateTimeField(null=True, blank=True)
    committee_on = models.DateField(null=True, blank=True)
    notification_on = models.DateField(null=True, blank=True)
    budget = models.DecimalField(**MONEY, null=True, blank=True)
    eligible_countries = models.ManyToManyField("geo.Country", blank=True, related_name="calls")
    themes = models.ManyToManyField("reference.Theme", blank=True, related_name="calls")
    is_published = models.BooleanField(default=False, help_text="Opened by the ministry")
    results_published_at = models.DateTimeField(null=True, blank=True)
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                name="call_deadline_after_opening", condition=Q(deadline_at__gt=models.F("opens_at"))
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("calls:detail", kwargs={"slug": self.slug})

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.is_published and self.opens_at <= at < self.deadline_at


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Déposée")
    RETURNED = "returned", _("Renvoyée pour complément")
    GRANTED = "granted", _("Subvention accordée")
    REFUSED = "refused", _("Refusée")


class Application(TimeStamped):
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    project = models.ForeignKey("cooperation.Project", on_delete=models.PROTECT, related_name="applications")
    lead = models.ForeignKey("geo.LocalAuthority", on_delete=models.PROTECT, related_name="lead_applications")
    status = models.CharField(
        max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    requested = models.DecimalField(**MONEY, null=True, blank=True)
    proposed = models.DecimalField(**MONEY, null=True, blank=True)
    granted = models.DecimalField(**MONEY, null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    return_comment = models.TextField(blank=True)
    verdict = models.CharField(max_length=12, blank=True)  # engine.verdict of the last computation
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    funding_line = models.OneToOneField(
        "cooperation.FundingContribution",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="application",
    )
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["call", "project"], name="application_one_per_project"),
            models.CheckConstraint(name="application_requested_positive", condition=Q(requested__gte=0)),
        ]
        indexes = [models.Index(fields=["call", "status"])]

    def __str__(self) -> str:
        return f"{self.call} – {self.project}"

    def get_absolute_url(self) -> str:
        return reverse("calls:application", kwargs={"pk": self.pk})


class CoApplicant(models.Model):
    """A French authority applying (the lead included), each confirming."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="coapplicants")
    authority = models.ForeignKey("geo.LocalAuthority", on_delete=models.PROTECT, related_name="+")
    is_lead = models.BooleanField(default=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "authority"], name="coapplicant_unique")
        ]


class ApplicationVersion(models.Model):
    """What was submitted, every time (kept when the application is returned and resubmitted)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    checks = models.JSONField()
    verdict = models.CharField(max_length=12)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    return_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="application_version_unique")
        ]


class Opinion(models.Model):
    class Verdict(models.TextChoices):
        FAVOURABLE = "favourable", _("Favorable")
        RESERVED = "reserved", _("Réservé")
        UNFAVOURABLE = "unfavourable", _("Défavorable")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="opinions")
    # Either the embassy of a partner country (asked at submission) or a regional
    # multi-actor network (RRMA), asked by the ministry for an optional opinion.
    country = models.ForeignKey(
        "geo.Country", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    network = models.ForeignKey(
        "cooperation.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A network's own deadline (the embassies follow the call's opinion deadline).
    due_at = models.DateTimeField(null=True, blank=True)
    verdict = models.CharField(max_length=12, choices=Verdict.choices, blank=True)
    comment = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "country"], name="opinion_one_per_country"),
            models.UniqueConstraint(fields=["application", "network"], name="opinion_one_per_network"),
            models.CheckConstraint(
                name="opinion_country_or_network",
                condition=Q(country__isnull=False, network__isnull=True)
                | Q(country__isnull=True, network__isnull=False),
            ),
        ]

    @property
    def giver(self) -> str:
        """Who gives it, in words: the country's embassy or the network."""
        if self.network_id:
            return self.network.acronym or self.network.name
        return self.country.name_fr


class Score(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scores")
    criterion = models.CharField(max_length=60)
    value = models.PositiveSmallIntegerField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "criterion"], name="score_one_per_criterion")
        ]


class Tranche(models.Model):
    """One payment of a grant: released when its report is uploaded and approved."""

    class Condition(models.TextChoices):
        SIGNATURE = "signature", _("À la notification")
        INTERIM = "interim", _("Sur rapport intermédiaire approuvé")
        FINAL = "final", _("Sur rapport final approuvé")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="tranches")
    number = models.PositiveSmallIntegerField()
    year = models.PositiveSmallIntegerField()
    amount = models.DecimalField(**MONEY)
    condition = models.CharField(max_length=10, choices=Condition.choices)
    report = models.ForeignKey(
        "documents.Document", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="tranche_unique"),
            models.CheckConstraint(name="tranche_amount_positive", condition=Q(amount__gt=0)),
        ]
