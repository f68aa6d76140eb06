"""Bulk writes: the services' checks row by row, refused rows left out with the message,
links synced by difference, what save() derives derived."""

from __future__ import annotations

import pytest

from coopatlas.cooperation.bulk import PartnershipRow, ProjectRow, partnerships_bulk_save, projects_bulk_save
from coopatlas.cooperation.models import Partnership, Project, ProjectParticipant, ProjectTheme

from .factories import AuthorityFactory, CommuneFactory, SourceFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def test_partnerships_checked_like_the_service():
    source = SourceFactory()
    fr, fr2, partner = CommuneFactory(), CommuneFactory(), AuthorityFactory()
    good = PartnershipRow(
        partnership=Partnership(slug="bulk-good"),
        source=source,
        fields={"title": "Bien", "kind": "cooperation", "start_year": 2001},
        parties=[fr, partner],
    )
    french_only = PartnershipRow(
        partnership=Partnership(slug="bulk-french-only"),
        source=source,
        fields={"title": "Sans partenaire", "kind": "cooperation"},
        parties=[fr, fr2],
    )
    partnerships_bulk_save(rows=[good, french_only])
    assert good.error is None and set(good.partnership.parties.all()) == {fr, partner}
    assert (
        french_only.error.field == "parties" and "collectivité locale étrangère" in french_only.error.message
    )
    assert not Partnership.objects.filter(slug="bulk-french-only").exists()


def test_projects_written_then_updated_by_difference():
    source = SourceFactory()
    a, b = CommuneFactory(), AuthorityFactory()
    main, other = ThemeFactory(), ThemeFactory()
    row = ProjectRow(
        project=Project(slug="bulk-p"),
        source=source,
        fields={"title": "Projet Élevé", "start_year": 2010, "end_year": 2012},
        links={
            "participants": [(a, "lead"), (b, "partner")],
            "themes": [(main, True, None), (other, False, 3)],
        },
    )
    bad = ProjectRow(
        project=Project(slug="bulk-bad"),
        source=source,
        fields={"title": "Fin avant début", "start_year": 2015, "end_year": 2012},
    )
    projects_bulk_save(rows=[row, bad])
    p = Project.objects.get(slug="bulk-p")
    assert p.search_text == "projet eleve"  # what save() derives, derived here
    assert bad.error.field == "end_year" and not Project.objects.filter(slug="bulk-bad").exists()
    kept = ProjectParticipant.objects.get(project=p, authority=a).pk
    # the main theme moves to the other row: the partial unique constraint holds throughout
    again = ProjectRow(
        project=p,
        source=source,
        fields={"title": "Projet renommé"},
        links={"participants": [(a, "lead")], "themes": [(other, True, None), (main, False, 2)]},
    )
    projects_bulk_save(rows=[again])
    assert again.error is None
    assert list(ProjectParticipant.objects.filter(project=p).values_list("pk", flat=True)) == [kept]
    assert {(t.theme_id, t.is_main, t.priority) for t in ProjectTheme.objects.filter(project=p)} == {
        (other.pk, True, 1),
        (main.pk, False, 2),
    }
    assert Project.objects.get(pk=p.pk).search_text == "projet renomme"
