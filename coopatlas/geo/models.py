"""Territories and the local authorities that govern them, in France and abroad."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from coopatlas.core.text import fold


class OdaCategory(models.TextChoices):
    LDC = "ldc", _("Pays les moins avancés")
    LOW_INCOME = "lic", _("Pays à faible revenu")
    LOWER_MIDDLE = "lmic", _("Pays à revenu intermédiaire (tranche inférieure)")
    UPPER_MIDDLE = "umic", _("Pays à revenu intermédiaire (tranche supérieure)")
    NOT_ELIGIBLE = "none", _("Non éligible à l'APD")


class Country(models.Model):
    iso2 = models.CharField(max_length=2, primary_key=True)
    iso3 = models.CharField(max_length=3, unique=True)
    numeric = models.CharField(max_length=3, blank=True)
    dac_code = models.CharField(max_length=5, blank=True, help_text="OECD DAC recipient code")
    # The names people read (« Russie »): ISO's where usual, else data/country_names.yaml's.
    name_fr = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    # ISO 3166's own names (« Russie, Fédération de »), for lookups and exchange formats.
    iso_name_fr = models.CharField(max_length=200, blank=True)
    iso_name_en = models.CharField(max_length=200, blank=True)
    slug = models.SlugField(max_length=120, unique=True)
    is_least_developed = models.BooleanField(default=False)
    is_cicid_priority = models.BooleanField(
        default=False, help_text="One of the 19 priority countries of the CICID of 8 Feb 2018"
    )
    is_recognised = models.BooleanField(default=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["name_fr"]
        verbose_name_plural = _("countries")

    @staticmethod
    def name_field() -> str:
        """The field holding a country's name in the active language: the one place the
        language picks it (Country.name, the basemap's labels, selectors' values())."""
        return "name_en" if (get_language() or "fr")[:2] == "en" else "name_fr"

    @property
    def name(self) -> str:
        return getattr(self, self.name_field())

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("atlas:country", kwargs={"slug": self.slug})


class CountryOdaStatus(models.Model):
    """ODA eligibility of a country for one year (the DAC list changes every few years)."""

    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="oda_statuses")
    year = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=4, choices=OdaCategory.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["country", "year"], name="oda_status_country_year")]

    @property
    def is_eligible(self) -> bool:
        return self.category != OdaCategory.NOT_ELIGIBLE


class AdministrativeArea(models.Model):
    """A territory: ISO 3166-2 subdivision abroad, région/département in France, or lower."""

    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="areas")
    code = models.CharField(max_length=20, unique=True, help_text="ISO 3166-2 (ML-5, FR-35…)")
    name = models.CharField(max_length=200)
    name_fr = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=60, blank=True, help_text="region, district, province…")
    level = models.PositiveSmallIntegerField(default=1)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    search_name = models.CharField(max_length=400, db_index=True, editable=False)

    class Meta:
        ordering = ["country_id", "code"]

    def save(self, *args, **kwargs):
        self.search_name = fold(f"{self.name_fr or ''} {self.name}")
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.name_fr or self.name

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("atlas:area", kwargs={"code": self.code})


class AuthorityKind(models.TextChoices):
    # France: collectivités
    COMMUNE = "commune", _("Commune")
    DEPARTEMENT = "departement", _("Département")
    REGION = "region", _("Région")
    STATUT_PARTICULIER = "statut_particulier", _("Collectivité à statut particulier")
    # France: groupements (act abroad only within their competences, 001: 1037–1042)
    METROPOLE = "metropole", _("Métropole")
    COMMUNAUTE_URBAINE = "cu", _("Communauté urbaine")
    COMMUNAUTE_AGGLOMERATION = "ca", _("Communauté d'agglomération")
    COMMUNAUTE_COMMUNES = "cc", _("Communauté de communes")
    EPT = "ept", _("Établissement public territorial")
    SYNDICAT = "syndicat", _("Syndicat")
    PNR = "pnr", _("Parc naturel régional")
    # Abroad
    CERCLE = "cercle", _("Cercle")
    DISTRICT = "district", _("District")
    PROVINCE = "province", _("Province")
    GOUVERNORAT = "gouvernorat", _("Gouvernorat")
    MUNICIPALITE = "municipalite", _("Municipalité")
    ETAT_FEDERE = "etat_federe", _("État fédéré")
    PREFECTURE = "prefecture", _("Préfecture")
    OTHER = "other", _("Autre collectivité")


GROUPEMENT_KINDS = frozenset({"metropole", "cu", "ca", "cc", "ept", "syndicat", "pnr"})


class LocalAuthority(models.Model):
    """A local authority, French (INSEE/SIREN) or foreign (never a State: 001: 1090–1101)."""

    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=30, choices=AuthorityKind.choices)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="authorities")
    area = models.ForeignKey(
        AdministrativeArea,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="authorities",
        help_text="Territory it governs or lies in (ML-5 for Mopti region)",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        help_text="Département of a commune, région of a département…",
    )
    insee_code = models.CharField(
        max_length=10,
        null=True,
        blank=True,
        db_index=True,
        help_text="Commune 93048, département 35, région 53 (unique per kind: région 53 ≠ département 53)",
    )
    siren = models.CharField(max_length=9, null=True, blank=True, unique=True)
    foreign_code = models.CharField(
        max_length=40, blank=True, help_text="Official code abroad where one exists"
    )
    population = models.PositiveIntegerField(null=True, blank=True)
    area_km2 = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    coordinates_from = models.CharField(
        max_length=20, blank=True, help_text="geonames, parent, country, source"
    )
    slug = models.SlugField(max_length=200, unique=True)
    search_name = models.CharField(max_length=400, db_index=True, editable=False)
    is_current = models.BooleanField(default=True, help_text="False once merged into another")
    is_synthetic = models.BooleanField(default=False)
    source = models.ForeignKey(
        "core.Source",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Needed for foreign authorities that no reference dataset carries",
    )
    # A foreign authority an editor added: "à vérifier" until an embassy agent of its country
    # or an administrator confirms it (geo.gazetteer.foreign_authority_confirm).
    to_verify = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_duplicates",
        help_text="The authority a duplicate was merged into",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("local authorities")
        indexes = [models.Index(fields=["country", "kind"])]
        constraints = [
            models.UniqueConstraint(fields=["kind", "insee_code"], name="authority_kind_insee_unique"),
            models.CheckConstraint(
                name="authority_siren_9_digits",
                condition=Q(siren__isnull=True) | Q(siren__regex=r"^[0-9]{9}$"),
            ),
            models.CheckConstraint(
                name="authority_lat_range",
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
            ),
            models.CheckConstraint(
                name="authority_lon_range",
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
            ),
        ]

    def save(self, *args, **kwargs):
        self.search_name = fold(self.name)
        super().save(*args, **kwargs)

    @property
    def is_french(self) -> bool:
        return self.country_id == "FR"

    @property
    def is_groupement(self) -> bool:
        return self.kind in GROUPEMENT_KINDS

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("atlas:authority", kwargs={"slug": self.slug})


class AuthorityAlias(models.Model):
    """Another name or a former code: a merged commune's old INSEE code, Timbuktu for Tombouctou."""

    class Kind(models.TextChoices):
        FORMER_CODE = "former_code", _("Ancien code INSEE")
        FORMER_NAME = "former_name", _("Ancien nom")
        ALT_NAME = "alt_name", _("Autre nom")

    authority = models.ForeignKey(LocalAuthority, on_delete=models.CASCADE, related_name="aliases")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.CharField(max_length=300)
    search_value = models.CharField(max_length=300, db_index=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["authority", "kind", "value"], name="alias_unique")]

    def save(self, *args, **kwargs):
        self.search_value = fold(self.value)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.value


class Place(models.Model):
    """A GeoNames place (city, village) used for coordinates and alternate spellings."""

    geonames_id = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=200)
    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="places")
    area = models.ForeignKey(
        AdministrativeArea, on_delete=models.SET_NULL, null=True, blank=True, related_name="places"
    )
    admin1_code = models.CharField(max_length=20, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    population = models.PositiveIntegerField(null=True, blank=True)
    alternate_names = models.TextField(blank=True, help_text="'|'-separated")
    search_name = models.CharField(max_length=400, db_index=True, editable=False)

    def save(self, *args, **kwargs):
        self.search_name = fold(self.name)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.name


class CountryProfile(models.Model):
    """The country fiche's narrative: context and history, from a cited document."""

    country = models.OneToOneField(Country, on_delete=models.CASCADE, related_name="profile")
    summary = models.TextField(blank=True)
    history = models.TextField(blank=True)
    context = models.TextField(blank=True)
    embassy_service = models.CharField(max_length=300, blank=True)
    source = models.ForeignKey("core.Source", on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.country}"


class GazetteerEntry(models.Model):
    """A foreign territory a local authority may govern: région, cercle, commune…

    Reference data (coopatlas/geo/data/gazetteer.json.gz + world.json.gz), ~130k rows. It is
    not a LocalAuthority: the public atlas lists authorities, and most entries have no French
    partner. Picking an entry creates its LocalAuthority once (`authority`), on demand.
    """

    code = models.CharField(
        max_length=60, unique=True, help_text="Source and its code: iso:ML-5, gn1:MG.11, gn:2451185"
    )
    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="gazetteer")
    level = models.PositiveSmallIntegerField(
        help_text="1 région/province, 2 cercle/district, 3 commune/municipality"
    )
    kind = models.CharField(max_length=60, help_text="The country's own word, in French")
    kind_en = models.CharField(max_length=60, blank=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    area = models.ForeignKey(
        AdministrativeArea, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    place = models.ForeignKey(Place, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    population = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=40, help_text="iso3166-2, geonames")
    is_current = models.BooleanField(default=True, help_text="False for divisions a reform abolished")
    note = models.CharField(max_length=300, blank=True)
    authority = models.OneToOneField(
        LocalAuthority, on_delete=models.SET_NULL, null=True, blank=True, related_name="gazetteer_entry"
    )
    search_name = models.CharField(max_length=200, db_index=True, editable=False)

    class Meta:
        ordering = ["country_id", "level", "name"]
        verbose_name = _("entrée du répertoire géographique")
        verbose_name_plural = _("répertoire géographique")

    def __str__(self) -> str:
        return self.name


class GazetteerName(models.Model):
    """Every name an entry is known by, folded for search: Tombouctou, Timbuktu, Tananarive."""

    class Kind(models.TextChoices):
        NAME = "name", _("Nom")
        FRENCH = "fr", _("Nom français")
        ENGLISH = "en", _("Nom anglais")
        ALT_NAME = "alt", _("Autre nom")
        FORMER_NAME = "former", _("Ancien nom")

    entry = models.ForeignKey(GazetteerEntry, on_delete=models.CASCADE, related_name="names")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=200)
    search_value = models.CharField(max_length=200, db_index=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "value"], name="gazetteer_name_unique")]

    def __str__(self) -> str:
        return self.value
