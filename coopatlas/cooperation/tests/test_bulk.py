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


def test_an_import_that_changes_a_record_moves_its_version_so_an_open_form_conflicts():
    """An editor read version 1, an import then changed the record: the editor's save must
    meet a Conflict, not silently overwrite what the import wrote."""
    from coopatlas.cooperation import editing
    from coopatlas.core.errors import Conflict

    source = SourceFactory()
    fr, partner = CommuneFactory(), AuthorityFactory()
    row = PartnershipRow(
        partnership=Partnership(slug="bulk-v"),
        source=source,
        fields={"title": "Avant", "kind": "cooperation", "start_year": 2001},
        parties=[fr, partner],
    )
    partnerships_bulk_save(rows=[row])
    stored = Partnership.objects.get(slug="bulk-v")
    assert stored.version == 1
    # the same file again: nothing changes, the version stays (no one's form is broken)
    same = PartnershipRow(
        partnership=stored,
        source=source,
        fields={"title": "Avant", "kind": "cooperation", "start_year": 2001},
        parties=[fr, partner],
    )
    partnerships_bulk_save(rows=[same])
    assert Partnership.objects.get(pk=stored.pk).version == 1
    # a changed field moves it
    changed = PartnershipRow(
        partnership=Partnership.objects.get(pk=stored.pk),
        source=source,
        fields={"title": "Après l'import"},
        parties=[fr, partner],
    )
    partnerships_bulk_save(rows=[changed])
    assert Partnership.objects.get(pk=stored.pk).version == 2
    # a changed link alone moves it too
    other = AuthorityFactory()
    linked = PartnershipRow(
        partnership=Partnership.objects.get(pk=stored.pk),
        source=source,
        fields={},
        parties=[fr, partner, other],
    )
    partnerships_bulk_save(rows=[linked])
    assert Partnership.objects.get(pk=stored.pk).version == 3
    with pytest.raises(Conflict):
        editing._lock(Partnership.objects.get(pk=stored.pk), 1)
    assert Partnership.objects.get(pk=stored.pk).title == "Après l'import"


def test_a_project_import_moves_the_version_only_of_what_it_changed():
    source = SourceFactory()
    a = CommuneFactory()
    rows = [
        ProjectRow(project=Project(slug=f"bulk-pv{i}"), source=source, fields={"title": f"P{i}"})
        for i in range(2)
    ]
    projects_bulk_save(rows=rows)
    first, second = (Project.objects.get(slug=f"bulk-pv{i}") for i in range(2))
    projects_bulk_save(
        rows=[
            ProjectRow(
                project=first, source=source, fields={"title": "P0"}, links={"participants": [(a, "lead")]}
            ),
            ProjectRow(project=second, source=source, fields={"title": "P1"}),
        ]
    )
    assert Project.objects.get(pk=first.pk).version == 2  # a participant added
    assert Project.objects.get(pk=second.pk).version == 1  # nothing changed
