"""factory_boy factories for every model the atlas reads, for tests of any app.

The session database may hold the loaded reference and demo data, so factories never
collide with it: test countries use ISO codes reserved for private use (QM–QZ), French
test authorities use codes no real one has (région 99, département 96, commune 96xxx),
records are visibly fictional. FR itself is fetched or created (French parties need it).

    from coopatlas.cooperation.tests import factories as f
    fr = f.france(); ml = f.CountryFactory(iso2="QM")
    p = f.PartnershipFactory(parties=[f.CommuneFactory(), f.ForeignAuthorityFactory(country=ml)])
"""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils.text import slugify

from coopatlas.cooperation import models as m
from coopatlas.core.models import PublishedFigure, Source, SourceDocument
from coopatlas.geo import models as geo
from coopatlas.reference import models as ref

_PRIVATE_ISO2 = [f"Q{c}" for c in "MNOPQRSTUVWXYZ"]


def france() -> geo.Country:
    country, _ = geo.Country.objects.get_or_create(
        iso2="FR",
        defaults={
            "iso3": "FRA",
            "numeric": "250",
            "name_fr": "France",
            "name_en": "France",
            "slug": "france",
            "latitude": 46.6,
            "longitude": 2.4,
        },
    )
    return country


# --- core ------------------------------------------------------------------------------


class SourceDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceDocument
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"test-doc-{n}")
    title = factory.Sequence(lambda n: f"Document de test {n}")
    publisher = "Tests"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    document = factory.SubFactory(SourceDocumentFactory)
    line_start = factory.Sequence(lambda n: n + 1)
    line_end = factory.LazyAttribute(lambda o: o.line_start + 2)
    quote = factory.Sequence(lambda n: f"citation de test {n}")


class PublishedFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublishedFigure

    metric = "active_partnerships"
    label = "Partenariats actifs"
    value = Decimal("10")
    unit = "count"
    source = factory.SubFactory(SourceFactory)


# --- reference -------------------------------------------------------------------------


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ref.Theme
        django_get_or_create = ("slug",)

    name_fr = factory.Sequence(lambda n: f"Thème de test {n}")
    name_en = factory.LazyAttribute(lambda o: o.name_fr)
    slug = factory.LazyAttribute(lambda o: slugify(o.name_fr))
    parent = None
    level = factory.LazyAttribute(lambda o: (o.parent.level + 1) if o.parent else 1)


class SdgGoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ref.SdgGoal
        django_get_or_create = ("number",)

    number = 6
    name_fr = factory.LazyAttribute(lambda o: f"Objectif {o.number}")


class SectorCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ref.SectorCategory
        django_get_or_create = ("code",)

    code = "140"
    name_fr = "Distribution d'eau et assainissement"


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ref.Sector
        django_get_or_create = ("code",)

    code = "14030"
    name_fr = "Eau potable de base"
    category = factory.SubFactory(SectorCategoryFactory)


class PolicyMarkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ref.PolicyMarker
        django_get_or_create = ("code",)

    code = "1"
    slug = "gender"
    name_fr = "Égalité femmes-hommes"


# --- geo -------------------------------------------------------------------------------


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = geo.Country
        django_get_or_create = ("iso2",)

    iso2 = factory.Sequence(lambda n: _PRIVATE_ISO2[n % len(_PRIVATE_ISO2)])
    iso3 = factory.LazyAttribute(lambda o: f"{o.iso2}X")
    name_fr = factory.LazyAttribute(lambda o: f"Pays fictif {o.iso2}")
    name_en = factory.LazyAttribute(lambda o: f"Fictional country {o.iso2}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name_fr))
    latitude = 12.5
    longitude = -8.0


class CountryOdaStatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = geo.CountryOdaStatus

    country = factory.SubFactory(CountryFactory)
    year = 2024
    category = geo.OdaCategory.LDC


class CountryProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = geo.CountryProfile

    country = factory.SubFactory(CountryFactory)
    summary = "Contexte fictif pour les tests."
    source = factory.SubFactory(SourceFactory)


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = geo.AdministrativeArea
        django_get_or_create = ("code",)

    country = factory.SubFactory(CountryFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.country.iso2}-{n % 1000}")
    name = factory.Sequence(lambda n: f"Région fictive {n}")
    level = factory.LazyAttribute(lambda o: (o.parent.level + 1) if o.parent else 1)
    parent = None
    latitude = 14.5
    longitude = -4.2


class AuthorityFactory(factory.django.DjangoModelFactory):
    """A foreign authority by default; see the French factories below."""

    class Meta:
        model = geo.LocalAuthority

    name = factory.Sequence(lambda n: f"Collectivité fictive {n}")
    kind = geo.AuthorityKind.MUNICIPALITE
    country = factory.SubFactory(CountryFactory)
    slug = factory.Sequence(lambda n: f"collectivite-test-{n}")
    latitude = 14.49
    longitude = -4.19


ForeignAuthorityFactory = AuthorityFactory


class RegionFactory(AuthorityFactory):
    name = factory.Sequence(lambda n: f"Région test {n}")
    kind = geo.AuthorityKind.REGION
    country = factory.LazyFunction(france)
    insee_code = "99"
    latitude = 48.1
    longitude = -2.8


class DepartementFactory(AuthorityFactory):
    name = factory.Sequence(lambda n: f"Département test {n}")
    kind = geo.AuthorityKind.DEPARTEMENT
    country = factory.LazyFunction(france)
    insee_code = "96"
    latitude = 48.1
    longitude = -1.6


class CommuneFactory(AuthorityFactory):
    name = factory.Sequence(lambda n: f"Commune test {n}")
    kind = geo.AuthorityKind.COMMUNE
    country = factory.LazyFunction(france)
    insee_code = factory.Sequence(lambda n: f"96{n % 1000:03d}")
    siren = factory.Sequence(lambda n: f"9{n % 10**8:08d}")
    latitude = 48.86
    longitude = 2.44


class AliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = geo.AuthorityAlias

    authority = factory.SubFactory(AuthorityFactory)
    kind = geo.AuthorityAlias.Kind.ALT_NAME
    value = factory.Sequence(lambda n: f"Autre nom {n}")


# --- cooperation -----------------------------------------------------------------------


class RecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    source = factory.SubFactory(SourceFactory)


class OrganisationFactory(RecordFactory):
    class Meta:
        model = m.Organisation

    name = factory.Sequence(lambda n: f"Association fictive {n}")
    acronym = factory.Sequence(lambda n: f"AF{n}")
    kind = m.Organisation.Kind.ASSOCIATION
    country = factory.LazyFunction(france)
    slug = factory.Sequence(lambda n: f"association-test-{n}")


class PartnershipFactory(RecordFactory):
    """`parties=[...]` adds the authorities; `themes=[...]` the themes."""

    class Meta:
        model = m.Partnership
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Partenariat fictif {n}")
    slug = factory.Sequence(lambda n: f"partenariat-test-{n}")
    kind = m.PartnershipKind.COOPERATION_AGREEMENT
    status = m.PartnershipStatus.ACTIVE
    start_year = 2010

    @factory.post_generation
    def parties(self, create, extracted, **kwargs):
        for authority in extracted or []:
            m.PartnershipParty.objects.create(partnership=self, authority=authority)

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if extracted:
            self.themes.add(*extracted)


class PartnershipPartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PartnershipParty

    partnership = factory.SubFactory(PartnershipFactory)
    authority = factory.SubFactory(AuthorityFactory)


class ConventionFactory(RecordFactory):
    class Meta:
        model = m.Convention

    partnership = factory.SubFactory(PartnershipFactory)
    title = factory.Sequence(lambda n: f"Convention fictive {n}")
    signed_year = 2012
    estimated_commitment = Decimal("15000.00")


class ProjectFactory(RecordFactory):
    """`participants=[(authority, role)]` or `[authority]`, `themes`, `countries`, `sdgs`."""

    class Meta:
        model = m.Project
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Projet fictif {n}")
    slug = factory.Sequence(lambda n: f"projet-test-{n}")
    status = m.ProjectStatus.ONGOING
    start_year = 2016
    budget = Decimal("100000.00")

    @factory.post_generation
    def participants(self, create, extracted, **kwargs):
        for item in extracted or []:
            authority, role = item if isinstance(item, tuple) else (item, "partner")
            m.ProjectParticipant.objects.create(project=self, authority=authority, role=role)

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        for i, theme in enumerate(extracted or []):
            m.ProjectTheme.objects.create(project=self, theme=theme, is_main=i == 0, priority=i + 1)

    @factory.post_generation
    def countries(self, create, extracted, **kwargs):
        if extracted:
            self.countries.add(*extracted)

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        if extracted:
            self.areas.add(*extracted)

    @factory.post_generation
    def sdgs(self, create, extracted, **kwargs):
        for number in extracted or []:
            self.sdg_goals.add(SdgGoalFactory(number=number))

    @factory.post_generation
    def partnerships(self, create, extracted, **kwargs):
        if extracted:
            self.partnerships.add(*extracted)


class FundingFactory(RecordFactory):
    class Meta:
        model = m.FundingContribution

    project = factory.SubFactory(ProjectFactory)
    funder_organisation = factory.SubFactory(OrganisationFactory)
    amount = Decimal("50000.00")
    instrument = m.FundingInstrument.GRANT


class ProgrammeFactory(RecordFactory):
    """`members=[authority]`, `countries=[country]`, `themes=[theme]`."""

    class Meta:
        model = m.Programme
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Programme fictif {n}")
    slug = factory.Sequence(lambda n: f"programme-test-{n}")
    carrier_organisation = factory.SubFactory(OrganisationFactory)
    budget_per_member = Decimal("15000.00")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        for authority in extracted or []:
            m.ProgrammeMembership.objects.create(programme=self, authority=authority)

    @factory.post_generation
    def countries(self, create, extracted, **kwargs):
        if extracted:
            self.countries.add(*extracted)

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if extracted:
            self.themes.add(*extracted)


class PartnerRequestFactory(RecordFactory):
    class Meta:
        model = m.PartnerRequest
        skip_postgeneration_save = True

    authority = factory.SubFactory(AuthorityFactory)
    description = "Recherche un partenaire (fictif)."
    registered_year = 2020

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if extracted:
            self.themes.add(*extracted)


class ContactFactory(RecordFactory):
    class Meta:
        model = m.Contact

    name = factory.Sequence(lambda n: f"Contact fictif {n}")
    role = "Correspondant coopération décentralisée"
    email = factory.Sequence(lambda n: f"contact{n}@example.org")
    country = factory.SubFactory(CountryFactory)


# --- a small fictional atlas ----------------------------------------------------------


def small_atlas() -> dict:
    """A small fictional atlas: two French sides, two partner countries, a hidden draft."""
    doc = SourceDocumentFactory(key="test-atlas", title="Document fictif")
    root = ThemeFactory(name_fr="Thème racine test")
    child = ThemeFactory(name_fr="Eau test", parent=root)
    leaf = ThemeFactory(name_fr="Assainissement test", parent=child)
    qm = CountryFactory(iso2="QM", name_fr="Pays fictif QM")
    qn = CountryFactory(iso2="QN", name_fr="Pays fictif QN")
    qm1 = AreaFactory(country=qm, code="QM-1", name="Région fictive Un")
    qm11 = AreaFactory(country=qm, code="QM-11", name="Cercle fictif", parent=qm1)
    region = RegionFactory(name="Région Zorglubie")
    dept = DepartementFactory(name="Département Zorglubien", parent=region)
    commune = CommuneFactory(
        name="Zörglüb-lès-Bains",
        parent=dept,
        insee_code="96001",
        siren="900000001",
        latitude=48.123456,
        longitude=2.987654,
    )
    geo.AuthorityAlias.objects.create(authority=commune, kind="former_code", value="96999")
    geo.AuthorityAlias.objects.create(authority=commune, kind="alt_name", value="Vieux-Zorglub")
    cercle = AuthorityFactory(
        name="Cercle de Quimbé", kind="cercle", country=qm, area=qm11, latitude=14.4999, longitude=-4.1999
    )
    ville = AuthorityFactory(name="Ville de Quenard", country=qn, latitude=None, longitude=None)
    src = SourceFactory(document=doc, line_start=27, line_end=28, quote="une citation")
    p1 = PartnershipFactory(
        title="Zorglub – Quimbé",
        slug="zorglub-quimbe",
        start_year=1984,
        parties=[commune, cercle],
        themes=[leaf],
        source=src,
    )
    p2 = PartnershipFactory(
        title="Département Zorglubien – Quenard",
        slug="zorglub-quenard",
        kind="twinning",
        status="ended",
        start_year=1990,
        end_year=2000,
        parties=[dept, ville],
    )
    p3 = PartnershipFactory(
        title="Brouillon Zorglub",
        slug="zorglub-brouillon",
        kind="friendship",
        status="active",
        start_year=2015,
        parties=[region, cercle],
        publication_status=m.PublicationStatus.DRAFT,
    )
    ConventionFactory(partnership=p1, title="Convention Zorglub 1985", signed_year=1985)
    org = OrganisationFactory(name="Association des Amis de Quimbé", acronym="AAQ", slug="aaq-test")
    project = ProjectFactory(
        title="Puits de Quimbé",
        slug="puits-quimbe",
        start_year=2016,
        participants=[(commune, "lead"), cercle],
        countries=[qm],
        areas=[qm11],
        themes=[child],
        sdgs=[6],
        partnerships=[p1],
    )
    FundingFactory(project=project, funder_organisation=org, amount=Decimal("700000.00"))
    FundingFactory(
        project=project,
        funder_organisation=None,
        funder_authority=commune,
        amount=Decimal("340000.00"),
        instrument="own_funds",
    )
    programme = ProgrammeFactory(
        title="Programme Quimbé",
        slug="programme-quimbe",
        carrier_organisation=org,
        members=[commune],
        countries=[qm],
        themes=[root],
    )
    request = PartnerRequestFactory(authority=cercle, themes=[root], registered_by=org)
    contact = ContactFactory(country=qm, organisation=org, name="Agent fictif")
    CountryProfileFactory(country=qm, summary="Pays fictif pour les tests.", source=src)
    CountryOdaStatusFactory(country=qm, year=2024, category="ldc")
    fig_src = SourceFactory(document=doc, line_start=40)
    PublishedFigureFactory(country=qm, value=Decimal("3"), source=fig_src)
    PublishedFigureFactory(
        country=qm, dimension="french_kind", dimension_value="commune", value=Decimal("2"), source=fig_src
    )
    PublishedFigureFactory(
        country=qm, dimension="partner_area", dimension_value="QM-1", value=Decimal("1"), source=fig_src
    )
    return locals()
