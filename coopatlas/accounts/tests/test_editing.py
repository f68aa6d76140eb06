"""Workflow, history and restore, optimistic concurrency, deletion, yearly confirmation,
export and erasure, through the editing services."""

import csv
import io
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from coopatlas.accounts.permissions import PermissionDenied
from coopatlas.cooperation import editing, editing_selectors, selectors
from coopatlas.cooperation.models import Contact, FundingContribution, Partnership, Project
from coopatlas.core.errors import AppError
from coopatlas.core.models import Change
from coopatlas.core.testing import assert_nothing_written, table_counts

from .world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def _public_slugs() -> set[str]:
    from coopatlas.cooperation.filters import filters_from_params

    data = selectors.partnership_list(filters=filters_from_params({}), all_rows=True)
    return {r["slug"] for r in data["results"]}


def test_workflow_draft_submitted_published_archived(world):
    editor, embassy, admin = (world["users"][k] for k in ("editor", "embassy", "admin"))
    p = editing.partnership_create(
        actor=editor,
        slug="zorglub-quimbe-2",
        title="Nouveau lien",
        kind="cooperation",
        parties=[world["commune"], world["cercle"]],
    )
    assert p.publication_status == "draft" and p.version == 1
    assert "zorglub-quimbe-2" not in _public_slugs()
    with pytest.raises(AppError, match="Soumis"):
        editing.record_publish(actor=admin, record=p)  # a draft is submitted first
    p = editing.record_submit(actor=editor, record=p)
    with pytest.raises(PermissionDenied):
        editing.record_publish(actor=editor, record=p)  # an editor does not validate
    with pytest.raises(AppError, match="comment"):
        editing.record_return(actor=embassy, record=p, comment="  ")
    p = editing.record_return(actor=embassy, record=p, comment="Précisez l'année de début.")
    assert (p.publication_status, p.returned_comment) == ("draft", "Précisez l'année de début.")
    p = editing.record_submit(actor=editor, record=p)
    assert p.returned_comment == ""
    p = editing.record_publish(actor=embassy, record=p)  # the embassy validates for QM
    assert p.publication_status == "published"
    assert "zorglub-quimbe-2" in _public_slugs()
    p = editing.record_archive(actor=admin, record=p)
    assert "zorglub-quimbe-2" not in _public_slugs()
    actions = [c.action for c in Change.objects.filter(model="cooperation.partnership", object_id=p.pk)]
    assert actions == ["create", "status", "status", "status", "status", "status"]


def test_project_financing_lines_follow_the_project(world):
    editor, admin = world["users"]["editor"], world["users"]["admin"]
    project = editing.project_create(
        actor=editor,
        slug="forage-test",
        title="Forage",
        budget="1000",
        links={"participants": [(world["commune"], "lead"), (world["cercle"], "partner")]},
    )
    line = editing.funding_add(actor=editor, project=project, amount="600", funder_authority=world["commune"])
    assert line.publication_status == "draft"
    with pytest.raises(AppError, match="budget"):
        editing.funding_add(actor=editor, project=project, amount="500", funder_authority=world["commune"])
    assert project.funding.count() == 1  # the refused line was not written
    project = editing.record_submit(actor=editor, record=project)
    editing.record_publish(actor=admin, record=project)
    line.refresh_from_db()
    assert line.publication_status == "published"
    detail = selectors.project_detail(slug="forage-test")
    assert detail["title"] == "Forage"


def test_history_records_who_what_before_after_and_restore(world):
    editor, admin = world["users"]["editor"], world["users"]["admin"]
    p1 = world["p1"]
    # a draft: an editor's change to a published record waits for validation
    Partnership.objects.filter(pk=p1.pk).update(publication_status="draft")
    p1.refresh_from_db()
    original = p1.description
    v1 = p1.version
    p1 = editing.partnership_update(
        actor=editor, partnership=p1, version=v1, description="Première version", start_year=1985
    )
    p1 = editing.partnership_update(
        actor=editor,
        partnership=p1,
        version=p1.version,
        description="Deuxième version",
        themes=[world["root"]],
    )
    rows = editing_selectors.record_history(actor=editor, record=p1)
    assert [r["version"] for r in rows] == [v1 + 1, v1 + 2]
    assert rows[0]["user"] == "editor@example.org"
    assert rows[0]["before"] == {"description": original, "start_year": 1984}
    assert rows[0]["after"] == {"description": "Première version", "start_year": 1985}
    assert rows[1]["after"]["themes"] == [world["root"].pk]
    with pytest.raises(PermissionDenied):
        editing.record_restore(actor=editor, record=p1, to_version=v1 + 1)
    p1 = editing.record_restore(actor=admin, record=p1, to_version=v1 + 1)
    assert p1.description == "Première version" and p1.version == v1 + 3
    assert list(p1.themes.values_list("pk", flat=True)) == [world["leaf"].pk]
    last = Change.objects.filter(model="cooperation.partnership", object_id=p1.pk).last()
    assert (last.action, last.user_email, last.comment) == (
        "restore",
        "admin@example.org",
        f"version {v1 + 1}",
    )
    with pytest.raises(AppError, match="versions disponibles"):
        editing.record_restore(actor=admin, record=p1, to_version=99)


def test_project_restore_brings_back_child_rows(world):
    admin, project = world["users"]["admin"], world["project"]
    project = editing.project_update(actor=admin, project=project, version=project.version, summary="avant")
    keep = project.version
    roles = set(project.participants.values_list("authority_id", "role"))
    project = editing.project_update(
        actor=admin,
        project=project,
        version=project.version,
        links={"participants": [(world["commune"], "lead")]},
    )
    assert project.participants.count() == 1
    project = editing.record_restore(actor=admin, record=project, to_version=keep)
    assert set(project.participants.values_list("authority_id", "role")) == roles


def test_stale_version_is_refused_with_what_changed(world):
    editor, facilitator = world["users"]["editor"], world["users"]["admin"]
    p1 = world["p1"]
    read = p1.version
    editing.partnership_update(
        actor=facilitator, partnership=p1, version=read, description="Écrit par l'administrateur"
    )
    stale = Partnership.objects.get(pk=p1.pk)
    with pytest.raises(editing.Conflict) as exc:
        editing.partnership_update(
            actor=editor, partnership=stale, version=read, description="Écrit par le rédacteur"
        )
    err = exc.value
    assert err.http_status == 409 and err.version == read + 1
    assert err.changes["description"]["now"] == "Écrit par l'administrateur"
    assert err.changes["description"]["by"] == ["admin@example.org"]
    assert "description" in err.message
    stale.refresh_from_db()
    assert stale.description == "Écrit par l'administrateur" and stale.version == read + 1


def test_missing_or_bad_version_is_a_field_error(world):
    editor, p1 = world["users"]["editor"], world["p1"]
    for bad, status in ((None, 428), ("", 428), ("abc", 422), (0, 422), ("²", 422), ('"project-1-v1"', 422)):
        with pytest.raises(AppError) as exc:
            editing.partnership_update(actor=editor, partnership=p1, version=bad, title="x")
        assert exc.value.field == "version" and exc.value.http_status == status, bad
    p1.refresh_from_db()
    assert p1.title == "Zorglub – Quimbé"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs two connections (PostgreSQL); SQLite :memory: has one"
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_one_wins():  # pragma: no cover - PostgreSQL CI only
    world = build_world()
    p1, admin = world["p1"], world["users"]["admin"]
    results = []

    def save(text):
        try:
            editing.partnership_update(
                actor=admin,
                partnership=Partnership.objects.get(pk=p1.pk),
                version=p1.version,
                description=text,
            )
            results.append("ok")
        except editing.Conflict:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(t,)) for t in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]


def test_bad_input_writes_nothing(world):
    editor, p1 = world["users"]["editor"], world["p1"]
    version, counts = p1.version, table_counts()
    with pytest.raises(AppError) as exc:
        editing.partnership_update(
            actor=editor,
            partnership=p1,
            version=version,
            start_year=2000,
            end_year=1990,
            source=editing.SourceRef(url="https://example.org/x"),
        )
    assert exc.value.field == "end_year"
    assert_nothing_written(counts)
    p1.refresh_from_db()
    assert (p1.version, p1.start_year) == (version, 1984)


def test_delete_is_reversible_and_hides_the_record_from_editing(world):
    editor, p1 = world["users"]["editor"], world["p1"]
    p1 = editing.record_delete(actor=editor, record=p1, version=p1.version)
    assert p1.deleted_at is not None
    with pytest.raises(editing.Conflict, match="supprimé"):
        editing.partnership_update(actor=editor, partnership=p1, version=p1.version, title="x")
    p1 = editing.record_undelete(actor=editor, record=p1)
    assert p1.deleted_at is None
    assert [c.action for c in Change.objects.filter(object_id=p1.pk, model="cooperation.partnership")] == [
        "delete",
        "undelete",
    ]


def test_funding_line_removed_and_brought_back(world):
    editor, project = world["users"]["editor"], world["project"]
    line = project.funding.first()
    amount = line.amount
    editing.record_delete(actor=editor, record=line, version=line.version)
    assert not FundingContribution.objects.filter(pk=line.pk).exists()
    back = editing.funding_undelete(actor=editor, line_id=line.pk)
    assert (back.pk, back.amount) == (line.pk, amount)


def test_yearly_confirmation_campaign(world):
    editor, commune = world["users"]["editor"], world["commune"]
    todo = editing_selectors.records_to_confirm(authority=commune)
    assert {(r["type"], r["id"]) for r in todo} >= {
        ("partnerships", world["p1"].pk),
        ("projects", world["project"].pk),
    }
    version = world["p1"].version
    editing.record_confirm(actor=editor, record=world["p1"])
    world["p1"].refresh_from_db()
    assert world["p1"].version == version  # "still true" changes no content
    todo = editing_selectors.records_to_confirm(authority=commune)
    assert ("partnerships", world["p1"].pk) not in {(r["type"], r["id"]) for r in todo}
    later = timezone.now() + timedelta(days=400)
    todo = editing_selectors.records_to_confirm(authority=commune, now=later)
    assert ("partnerships", world["p1"].pk) in {(r["type"], r["id"]) for r in todo}
    with pytest.raises(PermissionDenied):
        editing.record_confirm(actor=editor, record=world["p2"])


def test_export_json_and_csv_of_an_authority(world):
    editor, commune = world["users"]["editor"], world["commune"]
    Contact.objects.create(authority=commune, role='=HYPERLINK("http://x")', source=world["src"])
    data = editing_selectors.authority_export(actor=editor, authority=commune)
    assert {p["id"] for p in data["partnerships"]} == {world["p1"].pk}
    assert {p["id"] for p in data["projects"]} == {world["project"].pk}
    assert len(data["funding"]) == 2
    text = editing_selectors.authority_export_csv(actor=editor, authority=commune)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert {r["type"] for r in rows} >= {"partnerships", "projects", "funding", "contacts"}
    assert any(r["role"].startswith("'=HYPERLINK") for r in rows)  # formula neutralised
    with pytest.raises(PermissionDenied):
        editing_selectors.authority_export(actor=editor, authority=world["dept"])


def test_contact_erasure_keeps_the_role_and_scrubs_the_history(world):
    editor, commune = world["users"]["editor"], world["commune"]
    contact = editing.contact_create(
        actor=editor,
        role="Chargée de coopération",
        name="Personne Fictive",
        email="p.fictive@example.org",
        authority=commune,
    )
    contact = editing.contact_erase(actor=editor, contact=contact, version=contact.version)
    assert (contact.name, contact.email, contact.role) == ("", "", "Chargée de coopération")
    for change in Change.objects.filter(model="cooperation.contact", object_id=contact.pk):
        assert "p.fictive@example.org" not in str([change.before, change.after, change.snapshot])


def test_published_edit_by_the_ministry_applies_at_once_and_stays_published(world):
    admin, project = world["users"]["admin"], world["project"]
    project = editing.project_update(
        actor=admin, project=project, version=project.version, budget=Decimal("2500000")
    )
    assert project.publication_status == "published"
    assert Project.objects.get(pk=project.pk).budget == Decimal("2500000.00")


def test_deleted_records_leave_the_public_atlas(world):
    editor, p1 = world["users"]["editor"], world["p1"]
    editing.record_delete(actor=editor, record=p1, version=p1.version)
    assert "zorglub-quimbe" not in _public_slugs()
