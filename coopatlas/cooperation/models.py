"""Partnerships, conventions, projects and who funds what.

A partnership is the long-lived relation between authorities; projects serve it over
programme periods (seed 002: the relation comes first). Every fact links a Source.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from coopatlas.core.models import TimeStamped
from coopatlas.core.text import fold

MONEY = {"max_digits": 16, "decimal_places": 2}


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Soumis")
    PUBLISHED = "published", _("Publié")
    ARCHIVED = "archived", _("Archivé")


class RecordQuerySet(models.QuerySet):
    """The one definition of what the public sees (issue 8): `public()`; editors' lists
    use `live()` (not deleted, whatever the publication state)."""

    def public(self) -> RecordQuerySet:
        return self.filter(self.model.public_q())

    def live(self) -> RecordQuerySet:
        return self.filter(self.model.live_q())


class Record(TimeStamped):
    """Fields every editable fact carries: its source, publication state and version."""

    # Records a row is shown through: a convention is public only while its partnership
    # is, a funding line while its project (and its funder, if an actor) is. Nullable keys
    # only bind when set.
    PUBLIC_PARENTS: tuple[str, ...] = ()

    objects = RecordQuerySet.as_manager()

    source = models.ForeignKey("core.Source", on_delete=models.PROTECT, related_name="+")
    publication_status = models.CharField(
        max_length=12, choices=PublicationStatus.choices, default=PublicationStatus.PUBLISHED, db_index=True
    )
    version = models.PositiveIntegerField(default=1)
    is_synthetic = models.BooleanField(default=False)
    # Editing workflow (issue 3): deletion is reversible, so a deleted record keeps its row;
    # a reviewer's comment travels with a returned record; the yearly campaign asks editors
    # to confirm records not confirmed for 12 months.
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    returned_comment = models.TextField(blank=True, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @classmethod
    def public_q(cls, prefix: str = "") -> Q:
        """Published and not deleted, its parents too; `prefix` reaches it through a relation
        (`Partnership.public_q("partnership")` on PartnershipParty)."""
        return cls._own_and_parents_q(
            prefix, {"publication_status": PublicationStatus.PUBLISHED, "deleted_at__isnull": True}
        )

    @classmethod
    def live_q(cls, prefix: str = "") -> Q:
        """Not deleted, nor its parents."""
        return cls._own_and_parents_q(prefix, {"deleted_at__isnull": True}, live=True)

    @classmethod
    def _own_and_parents_q(cls, prefix: str, own: dict, live: bool = False) -> Q:
        p = f"{prefix}__" if prefix else ""
        q = Q(**{p + key: value for key, value in own.items()})
        for name in cls.PUBLIC_PARENTS:
            field = cls._meta.get_field(name)
            parent = field.related_model
            sub = parent.live_q(p + name) if live else parent.public_q(p + name)
            if field.null:
                sub |= Q(**{f"{p}{name}__isnull": True})
            q &= sub
        return q

    @property
    def is_public(self) -> bool:
        """This row's own state (its parents are checked by `public_q`)."""
        return self.deleted_at is None and self.publication_status == PublicationStatus.PUBLISHED


class Organisation(Record):
    """An actor that is not a local authority: association, NGO, operator, network, State service."""

    class Kind(models.TextChoices):
        ASSOCIATION = "association", _("Association")
        NGO = "ngo", _("ONG")
        FOUNDATION = "foundation", _("Fondation")
        OPERATOR = "operator", _("Opérateur public")
        NETWORK = "network", _("Réseau (RRMA, association de collectivités)")
        STATE_SERVICE = "state", _("Service de l'État")
        EMBASSY = "embassy", _("Ambassade / SCAC")
        MULTILATERAL = "multilateral", _("Organisation multilatérale")
        COMPANY = "company", _("Entreprise")
        OTHER = "other", _("Autre")

    name = models.CharField(max_length=300)
    acronym = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    iati_type = models.ForeignKey(
        "reference.OrganisationType", on_delete=models.PROTECT, null=True, blank=True
    )
    country = models.ForeignKey("geo.Country", on_delete=models.PROTECT, null=True, blank=True)
    iati_identifier = models.CharField(max_length=100, null=True, blank=True, unique=True)
    siren = models.CharField(max_length=9, null=True, blank=True, unique=True)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    slug = models.SlugField(max_length=200, unique=True)
    search_name = models.CharField(max_length=400, db_index=True, editable=False)

    class Meta:
        verbose_name = _("acteur")
        verbose_name_plural = _("acteurs")
        ordering = ["name"]

    def save(self, *args, **kwargs):
        self.search_name = fold(f"{self.name} {self.acronym}")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def get_absolute_url(self) -> str:
        return reverse("atlas:organisation", kwargs={"slug": self.slug})


class PartnershipKind(models.TextChoices):
    TWINNING = "twinning", _("Jumelage")
    COOPERATION_AGREEMENT = "cooperation", _("Convention de coopération décentralisée")
    FRAMEWORK_AGREEMENT = "framework", _("Accord-cadre")
    FRIENDSHIP = "friendship", _("Charte ou protocole d'amitié")
    LETTER_OF_INTENT = "intent", _("Lettre d'intention")
    OTHER = "other", _("Autre partenariat")


class PartnershipStatus(models.TextChoices):
    ACTIVE = "active", _("En cours")
    DORMANT = "dormant", _("En sommeil")
    ENDED = "ended", _("Terminé")
    PLANNED = "planned", _("En projet")
    UNKNOWN = "unknown", _("Non renseigné")


class SearchText(models.Model):
    """The record's text folded (core.text.fold) on the search index (core/search.py): `q=`
    and the type-ahead find a record by a word of its `SEARCH_FIELDS`, accents and case
    aside. Its slug alone need not say it: the state atlas's partnerships are
    « atlas-etat-<prjId> », and a folded word (« securite ») is not in an accented title
    (« sécurité »)."""

    SEARCH_FIELDS: tuple[str, ...] = ("title",)
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        abstract = True

    def set_search_text(self) -> None:
        """What the search reads; also called by bulk writes, which skip save()."""
        self.search_text = fold(" ".join(getattr(self, name) for name in self.SEARCH_FIELDS))

    def save(self, *args, **kwargs):
        self.set_search_text()
        super().save(*args, **kwargs)


class Partnership(SearchText, Record):
    """The relation between ≥ 2 authorities (at least one French, one foreign for DC)."""

    title = models.CharField(max_length=500)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=PartnershipKind.choices)
    # No silent "active": a status the source does not state stays unknown.
    status = models.CharField(
        max_length=10, choices=PartnershipStatus.choices, default=PartnershipStatus.UNKNOWN
    )
    start_year = models.PositiveSmallIntegerField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    first_convention_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Year the first convention (or letter of intent) was signed"
    )
    description = models.TextField(blank=True)
    history = models.TextField(blank=True)
    parties = models.ManyToManyField(
        "geo.LocalAuthority", through="PartnershipParty", related_name="partnerships"
    )
    themes = models.ManyToManyField("reference.Theme", blank=True, related_name="partnerships")
    organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="partnerships", help_text="Associations and operators involved"
    )

    class Meta:
        verbose_name = _("partenariat")
        verbose_name_plural = _("partenariats")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                name="partnership_end_after_start_year",
                condition=Q(end_year__isnull=True)
                | Q(start_year__isnull=True)
                | Q(end_year__gte=F("start_year")),
            ),
            models.CheckConstraint(
                name="partnership_end_after_start_date",
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
            ),
            models.CheckConstraint(
                name="partnership_years_plausible",
                condition=Q(start_year__isnull=True) | Q(start_year__gte=1900, start_year__lte=2100),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("atlas:partnership", kwargs={"slug": self.slug})


class PartnershipParty(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="party_links")
    authority = models.ForeignKey("geo.LocalAuthority", on_delete=models.PROTECT, related_name="party_links")
    joined_year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partnership", "authority"], name="party_unique")]


class Convention(Record):
    """A signed text: parties, purpose, duration, estimated commitments (001: 1133–1168)."""

    PUBLIC_PARENTS = ("partnership",)

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="conventions")
    title = models.CharField(max_length=500)
    parties = models.ManyToManyField("geo.LocalAuthority", related_name="conventions")
    purpose = models.TextField(blank=True)
    signed_on = models.DateField(null=True, blank=True)
    signed_year = models.PositiveSmallIntegerField(null=True, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(null=True, blank=True)
    estimated_commitment = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    language = models.CharField(max_length=10, default="fr")
    council_vote_on = models.DateField(null=True, blank=True, help_text="Date of the council's deliberation")
    legality_control_on = models.DateField(
        null=True, blank=True, help_text="Date sent to the prefecture's legality control"
    )

    class Meta:
        verbose_name = _("convention")
        verbose_name_plural = _("conventions")
        constraints = [
            models.CheckConstraint(
                name="convention_commitment_non_negative",
                condition=Q(estimated_commitment__isnull=True) | Q(estimated_commitment__gte=0),
            ),
            models.CheckConstraint(
                name="convention_ends_after_starts",
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("En projet")
    ONGOING = "ongoing", _("En cours")
    DORMANT = "dormant", _("En sommeil")
    COMPLETED = "completed", _("Terminé")
    CANCELLED = "cancelled", _("Abandonné")
    UNKNOWN = "unknown", _("Non renseigné")


class ProjectQuerySet(RecordQuerySet):
    def atlas(self) -> ProjectQuerySet:
        """The atlas's own projects: public, and not another publisher's activity imported
        from IATI (those show as "other actors" on a country's or an area's page). The one
        place for the rule: the lists, the country fiches, the home count and the IATI
        export all call it."""
        return self.public().filter(is_imported=False)

    def imported(self) -> ProjectQuerySet:
        """Public activities imported from another IATI publisher."""
        return self.public().filter(is_imported=True)


class Project(SearchText, Record):
    """A project (fiche-projet) serving one or more partnerships."""

    objects = ProjectQuerySet.as_manager()

    SEARCH_FIELDS = ("title", "summary")
    title = models.TextField(help_text="Never cut: the old atlas cut near 250 characters")
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.TextField(blank=True)
    context = models.TextField(blank=True, help_text="Context and history")
    objective = models.TextField(blank=True)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.UNKNOWN, db_index=True
    )
    start_year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    start_date = models.DateField(null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    partnerships = models.ManyToManyField(Partnership, blank=True, related_name="projects")
    authorities = models.ManyToManyField(
        "geo.LocalAuthority", through="ProjectParticipant", related_name="projects"
    )
    operators = models.ManyToManyField(
        Organisation, through="ProjectOperator", related_name="operated_projects"
    )
    countries = models.ManyToManyField(
        "geo.Country", blank=True, related_name="projects", help_text="Recipient countries"
    )
    areas = models.ManyToManyField("geo.AdministrativeArea", blank=True, related_name="projects")
    places = models.ManyToManyField("geo.Place", blank=True, related_name="projects")
    themes = models.ManyToManyField("reference.Theme", through="ProjectTheme", related_name="projects")
    sectors = models.ManyToManyField("reference.Sector", through="ProjectSector", related_name="projects")
    sdg_goals = models.ManyToManyField("reference.SdgGoal", blank=True, related_name="projects")
    sdg_targets = models.ManyToManyField("reference.SdgTarget", blank=True, related_name="projects")
    budget = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    beneficiaries = models.TextField(blank=True)
    beneficiaries_count = models.PositiveIntegerField(null=True, blank=True)
    results = models.TextField(blank=True)
    is_imported = models.BooleanField(default=False, help_text="Imported from another publisher")
    iati_identifier = models.CharField(max_length=200, null=True, blank=True, unique=True)
    # The state atlas's own identifier (prjId) of an imported fiche (stateatlas): what makes a
    # re-run update instead of duplicate. Shown in the API and the admin only.
    legacy_id = models.CharField(max_length=40, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("projet")
        verbose_name_plural = _("projets")
        ordering = ["-start_year", "title"]
        constraints = [
            models.CheckConstraint(
                name="project_budget_non_negative", condition=Q(budget__isnull=True) | Q(budget__gte=0)
            ),
            models.CheckConstraint(
                name="project_end_after_start_year",
                condition=Q(end_year__isnull=True)
                | Q(start_year__isnull=True)
                | Q(end_year__gte=F("start_year")),
            ),
            models.CheckConstraint(
                name="project_end_after_start_date",
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
            ),
        ]
        indexes = [
            # Other donors' activities imported from IATI: a few among our thousands. Without
            # it PostgreSQL scanned every project for them on each foreign authority's page
            # (15 ms at 10x, twice: the list and its count), since its estimate of "none"
            # made a scan look cheap.
            models.Index(fields=["id"], condition=Q(is_imported=True), name="project_imported_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("atlas:project", kwargs={"slug": self.slug})


class ProjectParticipant(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("Chef de file")
        PARTNER = "partner", _("Partenaire")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="participants")
    authority = models.ForeignKey(
        "geo.LocalAuthority", on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PARTNER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "authority"], name="participant_unique")]


class ProjectOperator(models.Model):
    class Role(models.TextChoices):
        IMPLEMENTING = "implementing", _("Opérateur de mise en œuvre")
        ACCOUNTABLE = "accountable", _("Responsable")
        EXTENDING = "extending", _("Maître d'ouvrage délégué")
        FUNDING = "funding", _("Financeur")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="operator_links")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="operator_links")
    role = models.CharField(max_length=15, choices=Role.choices, default=Role.IMPLEMENTING)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "organisation", "role"], name="operator_unique")
        ]


class ProjectTheme(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="theme_links")
    theme = models.ForeignKey("reference.Theme", on_delete=models.PROTECT)
    is_main = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "theme"], name="project_theme_unique"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(is_main=True), name="project_one_main_theme"
            ),
        ]


class ProjectSector(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sector_links")
    sector = models.ForeignKey("reference.Sector", on_delete=models.PROTECT)
    percentage = models.DecimalField(max_digits=5, decimal_places=2, default=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "sector"], name="project_sector_unique"),
            models.CheckConstraint(
                name="sector_percentage_range", condition=Q(percentage__gt=0, percentage__lte=100)
            ),
        ]


class ProjectPolicyMarker(models.Model):
    class Significance(models.IntegerChoices):
        NOT_TARGETED = 0, _("Non ciblé")
        SIGNIFICANT = 1, _("Objectif significatif")
        PRINCIPAL = 2, _("Objectif principal")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="marker_links")
    marker = models.ForeignKey("reference.PolicyMarker", on_delete=models.PROTECT)
    significance = models.PositiveSmallIntegerField(choices=Significance.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "marker"], name="project_marker_unique"),
            models.CheckConstraint(
                name="marker_significance_0_2", condition=Q(significance__gte=0, significance__lte=2)
            ),
        ]


class FundingInstrument(models.TextChoices):
    OWN_FUNDS = "own_funds", _("Fonds propres")
    DAECT_CALL = "daect_call", _("Appel à projets DAECT (MEAE)")
    AFD_FICOL = "afd_ficol", _("AFD – FICOL")
    AFD_OTHER = "afd_other", _("AFD – autre")
    EU = "eu", _("Union européenne")
    # "% e", "% d" read as format directives to xgettext, which then marks them fuzzy (ignored).
    # xgettext:no-python-format
    WATER_1PCT = "water_1pct", _("1 % eau et assainissement (loi Oudin-Santini)")
    # xgettext:no-python-format
    ENERGY_1PCT = "energy_1pct", _("1 % énergie")
    # xgettext:no-python-format
    WASTE_1PCT = "waste_1pct", _("1 % déchets")
    GRANT = "grant", _("Subvention")
    PARTNER = "partner", _("Contribution du partenaire")
    OTHER = "other", _("Autre")


class FundingContribution(Record):
    """One line of a project's financing plan: who funds how much, in cash or in kind."""

    PUBLIC_PARENTS = ("project", "funder_organisation")

    class Nature(models.TextChoices):
        CASH = "cash", _("Numéraire")
        IN_KIND = "in_kind", _("Valorisation (en nature)")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="funding")
    funder_authority = models.ForeignKey(
        "geo.LocalAuthority", on_delete=models.PROTECT, null=True, blank=True, related_name="contributions"
    )
    funder_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="contributions"
    )
    instrument = models.CharField(
        max_length=20, choices=FundingInstrument.choices, default=FundingInstrument.OWN_FUNDS
    )
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="EUR")
    nature = models.CharField(max_length=10, choices=Nature.choices, default=Nature.CASH)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_annual = models.BooleanField(default=False, help_text="Amount is per year")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("ligne de financement")
        verbose_name_plural = _("lignes de financement")
        constraints = [
            models.CheckConstraint(name="funding_amount_non_negative", condition=Q(amount__gte=0)),
            models.CheckConstraint(
                name="funding_exactly_one_funder",
                condition=(
                    Q(funder_authority__isnull=False, funder_organisation__isnull=True)
                    | Q(funder_authority__isnull=True, funder_organisation__isnull=False)
                ),
            ),
            models.CheckConstraint(name="funding_currency_iso", condition=Q(currency__regex=r"^[A-Z]{3}$")),
        ]

    @property
    def funder(self):
        return self.funder_authority or self.funder_organisation


class Payment(Record):
    """Money that moved (or is planned to) on a financing line: IATI's transactions beyond
    the commitment the line itself is (issue 12). `kind` values are IATI TransactionType
    codes, so the export and the import need no second mapping."""

    PUBLIC_PARENTS = ("line",)

    class Kind(models.TextChoices):
        INCOMING_FUNDS = "1", _("Fonds reçus")
        DISBURSEMENT = "3", _("Décaissement")
        EXPENDITURE = "4", _("Dépense")
        INCOMING_COMMITMENT = "11", _("Engagement reçu")

    line = models.ForeignKey(FundingContribution, on_delete=models.CASCADE, related_name="payments")
    kind = models.CharField(max_length=2, choices=Kind.choices, default=Kind.DISBURSEMENT)
    is_planned = models.BooleanField(default=False, help_text="Planned (not yet paid)")
    paid_on = models.DateField()
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="EUR")
    value_date = models.DateField(null=True, blank=True, help_text="Exchange-rate date, if not paid_on")
    provider_authority = models.ForeignKey(
        "geo.LocalAuthority", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    provider_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receiver_authority = models.ForeignKey(
        "geo.LocalAuthority", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receiver_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The funder's own IATI activity this money comes from, when it publishes one.
    provider_activity_id = models.CharField(max_length=200, blank=True)
    # Where the payment came from in another system (a call's tranche…): recorded once.
    origin = models.CharField(max_length=100, blank=True, db_index=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["paid_on", "pk"]
        constraints = [
            models.CheckConstraint(name="payment_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(name="payment_currency_iso", condition=Q(currency__regex=r"^[A-Z]{3}$")),
            models.CheckConstraint(
                name="payment_one_provider",
                condition=~Q(provider_authority__isnull=False, provider_organisation__isnull=False),
            ),
            models.CheckConstraint(
                name="payment_one_receiver",
                condition=~Q(receiver_authority__isnull=False, receiver_organisation__isnull=False),
            ),
        ]

    @property
    def provider(self):
        return self.provider_authority or self.provider_organisation

    @property
    def receiver(self):
        return self.receiver_authority or self.receiver_organisation


class Programme(SearchText, Record):
    """A turnkey or pooled programme that authorities can join, with a budget per member."""

    title = models.CharField(max_length=500)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    carrier_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="programmes"
    )
    carrier_authority = models.ForeignKey(
        "geo.LocalAuthority",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_programmes",
    )
    countries = models.ManyToManyField("geo.Country", blank=True, related_name="programmes")
    themes = models.ManyToManyField("reference.Theme", blank=True, related_name="programmes")
    budget_per_member = models.DecimalField(**MONEY, null=True, blank=True)
    budget_total = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    start_year = models.PositiveSmallIntegerField(null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_open = models.BooleanField(default=True, help_text="Open to new members")
    # What a joining authority needs to know (issue 14): how long, how many members are
    # needed to start, what it costs a member per year (a range), what it brings and gets.
    duration_months = models.PositiveSmallIntegerField(null=True, blank=True)
    min_members = models.PositiveSmallIntegerField(null=True, blank=True)
    cost_min = models.DecimalField(**MONEY, null=True, blank=True, help_text="Per member and per year")
    cost_max = models.DecimalField(**MONEY, null=True, blank=True, help_text="Per member and per year")
    member_brings = models.TextField(blank=True)
    member_gets = models.TextField(blank=True)
    members = models.ManyToManyField(
        "geo.LocalAuthority", through="ProgrammeMembership", related_name="programmes"
    )

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                name="programme_budget_non_negative",
                condition=(Q(budget_per_member__isnull=True) | Q(budget_per_member__gte=0))
                & (Q(budget_total__isnull=True) | Q(budget_total__gte=0)),
            ),
            models.CheckConstraint(
                name="programme_cost_range",
                condition=(Q(cost_min__isnull=True) | Q(cost_min__gte=0))
                & (Q(cost_min__isnull=True) | Q(cost_max__isnull=True) | Q(cost_min__lte=F("cost_max"))),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("atlas:programme", kwargs={"slug": self.slug})


class ProgrammeMembership(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="memberships")
    authority = models.ForeignKey("geo.LocalAuthority", on_delete=models.PROTECT)
    joined_year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "authority"], name="membership_unique")]


class PartnerRequest(Record):
    """A foreign authority looking for a French partner, registered by an embassy (001: 4913–5245)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Ouverte")
        IN_TALKS = "in_talks", _("En discussion")
        MATCHED = "matched", _("Partenaire trouvé")
        CLOSED = "closed", _("Close")

    authority = models.ForeignKey(
        "geo.LocalAuthority", on_delete=models.PROTECT, related_name="partner_requests"
    )
    registered_by = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="partner_requests"
    )
    description = models.TextField(blank=True)
    wishes = models.TextField(blank=True, help_text="Kind of French partner sought")
    themes = models.ManyToManyField("reference.Theme", blank=True, related_name="partner_requests")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    registered_year = models.PositiveSmallIntegerField(null=True, blank=True)
    # Issue 14: the partnership that answered it (set when the partnership between the
    # parties is recorded) and the embassy contact people should write to.
    partnership = models.ForeignKey(
        Partnership, on_delete=models.SET_NULL, null=True, blank=True, related_name="answered_requests"
    )
    contact = models.ForeignKey(
        "Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="partner_requests"
    )

    class Meta:
        verbose_name = _("demande de partenariat")
        verbose_name_plural = _("demandes de partenariat")

    def __str__(self) -> str:
        return f"{self.authority}"

    def get_absolute_url(self) -> str:
        return reverse("matchmaking:request", kwargs={"pk": self.pk})


class Contact(Record):
    """A person or a role to contact (embassy correspondent, officer in charge, DAECT…)."""

    PUBLIC_PARENTS = ("organisation",)

    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=300)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    authority = models.ForeignKey(
        "geo.LocalAuthority", on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    country = models.ForeignKey(
        "geo.Country", on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts"
    )
    themes = models.ManyToManyField("reference.Theme", blank=True, related_name="contacts")

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name or self.role


class PartnerConfirmation(models.Model):
    """The partner side's word on a partnership or a project naming its authority: confirmed
    or contested (with the reason), and its own account of results and needs. One row per
    record and authority, changed in place; every change is a core.Change line."""

    class State(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmé")
        CONTESTED = "contested", _("Contesté")
        # Asked of the French party when an embassy recorded the partnership; the party's
        # answer replaces it (issue 9).
        REQUESTED = "requested", _("Confirmation demandée")

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, null=True, blank=True, related_name="partner_confirmations"
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="partner_confirmations"
    )
    authority = models.ForeignKey(
        "geo.LocalAuthority", on_delete=models.PROTECT, related_name="partner_confirmations"
    )
    state = models.CharField(max_length=10, choices=State.choices)
    reason = models.TextField(blank=True, help_text="Why it is contested")
    account = models.TextField(blank=True, help_text="The partner side's results and needs")
    by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by_email = models.EmailField(blank=True)
    at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("réponse de la partie partenaire")
        constraints = [
            models.CheckConstraint(
                name="partner_confirmation_one_record",
                condition=Q(partnership__isnull=False, project__isnull=True)
                | Q(partnership__isnull=True, project__isnull=False),
            ),
            models.CheckConstraint(
                name="partner_confirmation_contest_has_reason",
                condition=~Q(state="contested") | ~Q(reason=""),
            ),
            models.UniqueConstraint(
                fields=["partnership", "authority"], name="partner_confirmation_partnership_unique"
            ),
            models.UniqueConstraint(
                fields=["project", "authority"], name="partner_confirmation_project_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authority_id} {self.state} {self.partnership_id or self.project_id}"

    @property
    def record(self):
        return self.partnership or self.project
