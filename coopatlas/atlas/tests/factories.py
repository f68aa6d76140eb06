"""Factories for the atlas page tests: fictitious records, never facts about real authorities.

Countries and areas are fetched when the reference data already has them (get_or_create), so
the tests run the same on an empty database and on one loaded with `load_reference`.
"""

import uuid

import factory
from factory.django import DjangoModelFactory

from coopatlas.cooperation import models as coop
from coopatlas.core import models as core
from coopatlas.geo import models as geo
from coopatlas.reference import models as ref


class SourceDocumentFactory(DjangoModelFactory):
    class Meta:
        model = core.SourceDocument
        django_get_or_create = ("key",)

    key = "atlas-test"
    title = "Document de test de l'atlas"


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = core.Source

    document = factory.SubFactory(SourceDocumentFactory)
    line_start = factory.Sequence(lambda n: 10 + n)
    line_end = factory.LazyAttribute(lambda o: o.line_start + 2)
    # Unique across processes too (a sequence restarts at 0 in each one).
    quote = factory.LazyFunction(lambda: f"citation de test {uuid.uuid4().hex[:8]}")


class CountryFactory(DjangoModelFactory):
    class Meta:
        model = geo.Country
        django_get_or_create = ("iso2",)

    iso2 = "ZZ"
    iso3 = factory.LazyAttribute(lambda o: f"{o.iso2}X")
    name_fr = factory.LazyAttribute(lambda o: f"Pays {o.iso2}")
    name_en = factory.LazyAttribute(lambda o: f"Country {o.iso2}")
    slug = factory.LazyAttribute(lambda o: f"pays-{o.iso2.lower()}")
    latitude = 10.0
    longitude = 0.0


class AreaFactory(DjangoModelFactory):
    class Meta:
        model = geo.AdministrativeArea
        django_get_or_create = ("code",)

    country = factory.SubFactory(CountryFactory)
    code = factory.LazyAttribute(lambda o: f"{o.country.iso2}-9")
    name = "Région Test"
    level = 1
    latitude = 12.0
    longitude = -2.0


class AuthorityFactory(DjangoModelFactory):
    class Meta:
        model = geo.LocalAuthority

    name = factory.Sequence(lambda n: f"Collectivité Test {n}")
    kind = geo.AuthorityKind.COMMUNE
    country = factory.SubFactory(CountryFactory)
    slug = factory.Sequence(lambda n: f"collectivite-test-{n}")
    latitude = 47.0
    longitude = 2.0


class ThemeFactory(DjangoModelFactory):
    class Meta:
        model = ref.Theme
        django_get_or_create = ("slug",)

    name_fr = "Thème de test"
    name_en = "Test theme"
    slug = "theme-de-test-atlas"
    level = 1


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = coop.Organisation

    name = factory.Sequence(lambda n: f"Association Test {n}")
    kind = coop.Organisation.Kind.ASSOCIATION
    slug = factory.Sequence(lambda n: f"association-test-{n}")
    source = factory.SubFactory(SourceFactory)


class PartnershipFactory(DjangoModelFactory):
    class Meta:
        model = coop.Partnership

    title = factory.Sequence(lambda n: f"Partenariat Test {n}")
    slug = factory.Sequence(lambda n: f"partenariat-test-{n}")
    kind = coop.PartnershipKind.COOPERATION_AGREEMENT
    status = coop.PartnershipStatus.ACTIVE
    start_year = 1990
    source = factory.SubFactory(SourceFactory)


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = coop.Project

    title = factory.Sequence(lambda n: f"Projet Test {n}")
    slug = factory.Sequence(lambda n: f"projet-test-{n}")
    status = coop.ProjectStatus.ONGOING
    start_year = 2016
    source = factory.SubFactory(SourceFactory)


class ProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = coop.Programme

    title = factory.Sequence(lambda n: f"Programme Test {n}")
    slug = factory.Sequence(lambda n: f"programme-test-{n}")
    source = factory.SubFactory(SourceFactory)


def atlas_world(*, title: str | None = None) -> dict:
    """A small connected world: a French and a foreign authority, a partnership, a project
    with a financing plan, a programme, a partner request, a contact and published figures."""
    france = CountryFactory(
        iso2="FR", iso3="FRA", name_fr="France", name_en="France", slug="france", latitude=46.6, longitude=2.4
    )
    zz = CountryFactory(iso2="ZZ", iso3="ZZX", name_fr="Pays Test", name_en="Test Country", slug="pays-test")
    area = AreaFactory(country=zz, code="ZZ-9", name="Région Test")
    theme = ThemeFactory()
    french = AuthorityFactory(
        country=france,
        kind=geo.AuthorityKind.DEPARTEMENT,
        name="Département Test",
        insee_code="9T",
        latitude=48.1,
        longitude=-1.7,
    )
    foreign = AuthorityFactory(
        country=zz,
        kind=geo.AuthorityKind.REGION,
        name="Région Partenaire",
        area=area,
        foreign_code="ZZ-9",
        latitude=14.5,
        longitude=-4.2,
    )
    org = OrganisationFactory(name="Association Test Amitié")
    partnership = PartnershipFactory(
        title=title or "Département Test – Région Partenaire", description="Coopération de test."
    )
    for authority in (french, foreign):
        coop.PartnershipParty.objects.create(partnership=partnership, authority=authority)
    partnership.themes.add(theme)
    partnership.organisations.add(org)
    project = ProjectFactory(title="Électrification de test", budget="1000.00")
    project.partnerships.add(partnership)
    project.countries.add(zz)
    coop.ProjectParticipant.objects.create(
        project=project, authority=french, role=coop.ProjectParticipant.Role.LEAD
    )
    coop.ProjectParticipant.objects.create(project=project, authority=foreign)
    coop.ProjectTheme.objects.create(project=project, theme=theme, is_main=True)
    coop.FundingContribution.objects.create(
        project=project, funder_authority=french, amount="600.00", source=SourceFactory()
    )
    coop.FundingContribution.objects.create(
        project=project,
        funder_organisation=org,
        amount="400.00",
        source=SourceFactory(),
        nature=coop.FundingContribution.Nature.IN_KIND,
    )
    programme = ProgrammeFactory(
        title="Programme Test Eau", carrier_organisation=org, budget_per_member="5000.00"
    )
    programme.countries.add(zz)
    coop.ProgrammeMembership.objects.create(programme=programme, authority=french)
    request = coop.PartnerRequest.objects.create(
        authority=foreign, source=SourceFactory(), description="Cherche un partenaire test."
    )
    coop.Contact.objects.create(
        role="Correspondant test", country=zz, source=SourceFactory(), organisation=org
    )
    core.PublishedFigure.objects.create(
        metric="active_partnerships",
        label="Partenariats actifs",
        value=58,
        unit="count",
        country=zz,
        source=SourceFactory(),
    )
    return {
        "france": france,
        "country": zz,
        "area": area,
        "theme": theme,
        "french": french,
        "foreign": foreign,
        "organisation": org,
        "partnership": partnership,
        "project": project,
        "programme": programme,
        "request": request,
    }
