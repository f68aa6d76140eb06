"""Write services: bad input is refused with a message naming the field, nothing half-written."""

from decimal import Decimal

import pytest

from coopatlas.cooperation import services
from coopatlas.cooperation.models import FundingContribution, Partnership, Project
from coopatlas.cooperation.tests import factories as f
from coopatlas.core.errors import AppError
from coopatlas.geo.models import LocalAuthority

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return f.SourceFactory()


@pytest.fixture
def pair():
    return f.CommuneFactory(), f.ForeignAuthorityFactory(country=f.CountryFactory(iso2="QM"))


def _partnership(pair, source, **extra):
    return services.partnership_create(
        slug=extra.pop("slug", "test-pair"),
        title="Test pair",
        kind="cooperation",
        parties=list(pair),
        source=source,
        **extra,
    )


def test_partnership_create_links_both_parties(pair, source):
    partnership = _partnership(pair, source, start_year=1984, status="active")
    assert set(partnership.parties.all()) == set(pair)
    assert partnership.source == source and partnership.start_year == 1984


@pytest.mark.parametrize(
    "parties, message",
    [
        ("one", "au moins deux collectivités différentes"),
        ("same-twice", "au moins deux collectivités différentes"),
        ("two-french", "au moins une collectivité locale étrangère"),
        ("two-foreign", "au moins une collectivité territoriale française"),
    ],
)
def test_partnership_refuses_bad_parties(parties, message, source):
    french, foreign = f.CommuneFactory(), f.ForeignAuthorityFactory()
    chosen = {
        "one": [french],
        "same-twice": [french, french],
        "two-french": [french, f.CommuneFactory()],
        "two-foreign": [foreign, f.ForeignAuthorityFactory()],
    }[parties]
    before = Partnership.objects.count()
    with pytest.raises(AppError) as exc:
        _partnership(chosen, source)
    assert exc.value.field == "parties" and message in exc.value.message
    assert Partnership.objects.count() == before


def test_partnership_refuses_end_before_start(pair, source):
    before = Partnership.objects.count()
    with pytest.raises(AppError) as exc:
        _partnership(pair, source, start_year=2010, end_year=2005)
    assert exc.value.field == "end_year" and "est avant l'année de début" in exc.value.message
    assert Partnership.objects.count() == before


def test_partnership_refuses_unknown_kind_naming_the_field(pair, source):
    with pytest.raises(AppError) as exc:
        services.partnership_create(slug="x", title="X", kind="alliance", parties=list(pair), source=source)
    assert exc.value.field == "kind"


def test_partnership_refuses_unrecognised_country(source):
    unrecognised = f.CountryFactory(iso2="QN", is_recognised=False)
    with pytest.raises(AppError) as exc:
        _partnership([f.CommuneFactory(), f.ForeignAuthorityFactory(country=unrecognised)], source)
    assert "la France ne reconnaît pas" in exc.value.message


def test_partnership_needs_a_source(pair):
    with pytest.raises(AppError) as exc:
        services.partnership_create(slug="x", title="X", kind="other", parties=list(pair), source=None)
    assert exc.value.field == "source"


def test_partnership_update_replaces_parties_and_keeps_slug(pair, source):
    partnership = _partnership(pair, source)
    other = f.ForeignAuthorityFactory(country=pair[1].country)
    services.partnership_update(
        partnership=partnership, parties=[pair[0], other], description="Nouvelle description"
    )
    partnership.refresh_from_db()
    assert set(partnership.parties.all()) == {pair[0], other}
    assert partnership.slug == "test-pair" and partnership.description == "Nouvelle description"


def test_duplicate_slug_is_refused(pair, source):
    _partnership(pair, source)
    with pytest.raises(AppError) as exc:
        _partnership(pair, source)
    assert exc.value.field == "slug"


@pytest.mark.parametrize("kind", ["state", "État", "country"])
def test_a_foreign_state_is_never_a_partner(kind, source):
    country = f.CountryFactory(iso2="QO")
    before = LocalAuthority.objects.count()
    with pytest.raises(AppError) as exc:
        services.authority_create_foreign(
            slug="etat-fictif", name="État fictif", kind=kind, country=country, source=source
        )
    assert exc.value.field == "kind" and "n'est jamais un partenaire valable" in exc.value.message
    assert LocalAuthority.objects.count() == before


def test_a_french_commune_is_not_declared_by_hand(source):
    with pytest.raises(AppError) as exc:
        services.authority_create_foreign(
            slug="x", name="Montreuil", kind="commune", country=f.france(), source=source
        )
    assert exc.value.field == "country" and "commune:INSEE" in exc.value.message


def test_foreign_authority_area_must_be_in_its_country(source):
    country, elsewhere = f.CountryFactory(iso2="QP"), f.CountryFactory(iso2="QQ")
    with pytest.raises(AppError) as exc:
        services.authority_create_foreign(
            slug="x",
            name="X",
            kind="region",
            country=country,
            area=f.AreaFactory(country=elsewhere),
            source=source,
        )
    assert exc.value.field == "area"


def test_aliases_are_kept_in_sync(source):
    authority = services.authority_create_foreign(
        slug="tbk", name="Tombouctou", kind="other", country=f.CountryFactory(iso2="QR"), source=source
    )
    services.authority_alias_set(authority=authority, names=["Timbuktu", "Tumbutu"])
    services.authority_alias_set(authority=authority, names=["Timbuktu"])
    assert list(authority.aliases.values_list("value", flat=True)) == ["Timbuktu"]


@pytest.fixture
def project(source):
    return services.project_create(slug="test-project", title="Projet test", source=source, budget="1000.00")


def test_project_sectors_must_sum_to_100(source):
    water, sanitation = f.SectorFactory(code="14030"), f.SectorFactory(code="14031")
    before = Project.objects.count()
    with pytest.raises(AppError) as exc:
        services.project_create(
            slug="p", title="P", source=source, links={"sectors": [(water, 60), (sanitation, 30)]}
        )
    assert exc.value.field == "sectors" and "totalisent 90 et non 100" in exc.value.message
    assert Project.objects.count() == before


def test_project_end_before_start_and_negative_budget(source):
    with pytest.raises(AppError) as exc:
        services.project_create(slug="p", title="P", source=source, start_year=2018, end_year=2016)
    assert exc.value.field == "end_year"
    with pytest.raises(AppError) as exc:
        services.project_create(slug="p", title="P", source=source, budget="-5.00")
    assert exc.value.field == "budget" and "ne peut pas être négatif" in exc.value.message


def test_project_sdg_target_needs_its_goal(source):
    goal7 = f.SdgGoalFactory(number=7)
    target, _ = goal7.targets.get_or_create(code="7.1", defaults={"name_fr": "Énergie"})
    with pytest.raises(AppError) as exc:
        services.project_create(slug="p", title="P", source=source, links={"sdg_targets": [target]})
    assert exc.value.field == "sdg_targets"


def test_project_links_update_keeps_rows(project):
    water = f.SectorFactory(code="14030")
    services.project_update(project=project, links={"sectors": [(water, 100)]})
    first = project.sector_links.get().pk
    services.project_update(project=project, links={"sectors": [(water, 100)]})
    assert project.sector_links.get().pk == first


def test_funding_add_and_refusals(project, source):
    funder = f.CommuneFactory()
    line = services.funding_add(project=project, amount="600.00", funder_authority=funder, source=source)
    assert line.amount == Decimal("600.00")
    cases = [
        ({"amount": "-10.00", "funder_authority": funder}, "amount", "ne peut pas être négatif"),
        ({"amount": "12.345", "funder_authority": funder}, "amount", "plus de 2 décimales"),
        ({"amount": "douze", "funder_authority": funder}, "amount", "n'est pas un montant"),
        ({"amount": "10.00"}, "funder", "exactement un financeur"),
        (
            {"amount": "10.00", "funder_authority": funder, "funder_organisation": f.OrganisationFactory()},
            "funder",
            "exactement un financeur",
        ),
        ({"amount": "500.00", "funder_authority": funder}, "amount", "plus que son budget"),
    ]
    for kwargs, field, message in cases:
        with pytest.raises(AppError) as exc:
            services.funding_add(project=project, source=source, **kwargs)
        assert exc.value.field == field and message in exc.value.message, kwargs
    assert FundingContribution.objects.filter(project=project).count() == 1
    # A yearly subsidy is not a share of a one-off budget.
    services.funding_add(
        project=project, amount="500.00", funder_authority=funder, source=source, is_annual=True
    )


def test_convention_parties_must_be_partnership_parties(pair, source):
    partnership = _partnership(pair, source)
    with pytest.raises(AppError) as exc:
        services.convention_create(
            partnership=partnership,
            title="Convention",
            source=source,
            parties=[pair[0], f.ForeignAuthorityFactory()],
        )
    assert exc.value.field == "parties"
    convention = services.convention_create(
        partnership=partnership,
        title="Convention",
        source=source,
        parties=list(pair),
        estimated_commitment="23000.00",
    )
    assert convention.estimated_commitment == Decimal("23000.00")


def test_programme_has_one_carrier(source):
    with pytest.raises(AppError) as exc:
        services.programme_create(
            slug="prog",
            title="Programme",
            source=source,
            carrier_organisation=f.OrganisationFactory(),
            carrier_authority=f.CommuneFactory(),
        )
    assert exc.value.field == "carrier"


def test_partner_request_is_for_a_foreign_authority(source):
    with pytest.raises(AppError) as exc:
        services.partner_request_create(authority=f.CommuneFactory(), source=source)
    assert exc.value.field == "authority"


def test_contact_needs_an_employer_and_a_valid_email(source):
    with pytest.raises(AppError) as exc:
        services.contact_create(role="Chargé de mission", source=source)
    assert exc.value.field == "organisation"
    with pytest.raises(AppError) as exc:
        services.contact_create(
            role="Chargé de mission",
            source=source,
            email="pas-un-email",
            organisation=f.OrganisationFactory(),
        )
    assert exc.value.field == "email"
