"""A small fixed project with every IATI-relevant fact, and helpers to count what is stored."""

from datetime import date
from decimal import Decimal

import pytest

from coopatlas.cooperation.models import (
    FundingContribution,
    Organisation,
    Project,
    ProjectOperator,
    ProjectParticipant,
    ProjectPolicyMarker,
    ProjectSector,
)
from coopatlas.core.services import source_cite, source_document_get_or_create
from coopatlas.geo.models import AdministrativeArea, Country, LocalAuthority
from coopatlas.geo.selectors import authority_get_by_code
from coopatlas.iati.models import ImportedActivity, ImportRun

COUNTED = [
    Project,
    Organisation,
    LocalAuthority,
    FundingContribution,
    ProjectParticipant,
    ProjectOperator,
    ProjectSector,
    ImportRun,
    ImportedActivity,
]


def db_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def fixed_project(db) -> Project:
    """Made-up test facts (not about the real authority beyond its official codes)."""
    doc = source_document_get_or_create(
        key="iati-test", title="IATI test fixture", published_on=date(2024, 3, 1)
    )
    source = source_cite(document=doc, line_start=1, quote="iati test fixture")
    lead = authority_get_by_code(code="departement:35")
    partner = LocalAuthority.objects.create(
        name="Commune test de Sévaré",
        kind="commune",
        country=Country.objects.get(iso2="ML"),
        area=AdministrativeArea.objects.get(code="ML-5"),
        slug="iati-test-sevare",
        source=source,
    )
    operator = Organisation.objects.create(
        name="Association test IATI",
        kind="association",
        country_id="FR",
        slug="iati-test-assoc",
        source=source,
    )
    funder = Organisation.objects.create(
        name="Bailleur test IATI",
        kind="operator",
        iati_identifier="XM-TEST-1",
        slug="iati-test-bailleur",
        source=source,
    )
    project = Project.objects.create(
        title="Eau potable à Sévaré (test IATI)",
        slug="iati-test-eau-sevare",
        summary="Forages et bornes-fontaines.",
        objective="Accès à l'eau potable.",
        status="ongoing",
        start_year=2021,
        end_year=2024,
        budget=Decimal("250000.00"),
        currency="EUR",
        source=source,
    )
    ProjectParticipant.objects.create(project=project, authority=lead, role="lead")
    ProjectParticipant.objects.create(project=project, authority=partner, role="partner")
    ProjectOperator.objects.create(project=project, organisation=operator, role="implementing")
    project.countries.add("ML")
    project.areas.add(AdministrativeArea.objects.get(code="ML-5"))
    ProjectSector.objects.create(project=project, sector_id="14030", percentage=Decimal("60"))
    ProjectSector.objects.create(project=project, sector_id="14050", percentage=Decimal("40"))
    project.sdg_goals.add(6)
    project.sdg_targets.add("6.1")
    ProjectPolicyMarker.objects.create(project=project, marker_id="1", significance=1)
    FundingContribution.objects.create(
        project=project, funder_authority=lead, amount=Decimal("100000.00"), year=2021, source=source
    )
    FundingContribution.objects.create(
        project=project,
        funder_organisation=funder,
        amount=Decimal("150000.00"),
        instrument="afd_other",
        year=2022,
        note="Subvention test",
        source=source,
    )
    FundingContribution.objects.create(
        project=project,
        funder_authority=partner,
        amount=Decimal("5000.00"),
        instrument="partner",
        nature="in_kind",
        source=source,
    )
    return project
