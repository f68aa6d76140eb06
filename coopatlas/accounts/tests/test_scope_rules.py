"""Issue 8: refusals that name nothing the caller may not see, the embassy's contacts,
links to another authority's partnership, and one definition of an authority's records
(the lists and the per-record checks agree; the review queue's queries do not grow)."""

import pytest

from coopatlas.accounts import permissions
from coopatlas.accounts.permissions import PermissionDenied
from coopatlas.cooperation import editing
from coopatlas.cooperation.models import Contact, Partnership, Project, PublicationStatus
from coopatlas.cooperation.tests import factories as f
from coopatlas.core.testing import assert_nothing_written, table_counts
from coopatlas.editor import selectors as editor_selectors

from .world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def test_a_refusal_names_neither_a_persons_name_nor_a_drafts_title(world):
    """Before: "… ne peut pas modifier contact « Marie Secrète – Chargée … »"."""
    contact = f.ContactFactory(authority=world["dept"], name="Marie Secrète", role="Chargée de mission")
    draft = f.ProjectFactory(
        title="Projet confidentiel en brouillon",
        slug="brouillon-b",
        participants=[(world["dept"], "lead")],
        publication_status=PublicationStatus.DRAFT,
    )
    editor = world["users"]["editor"]
    for record, call in (
        (
            contact,
            lambda: editing.contact_update(actor=editor, contact=contact, version=contact.version, role="x"),
        ),
        (
            draft,
            lambda: editing.project_update(actor=editor, project=draft, version=draft.version, summary="x"),
        ),
    ):
        with pytest.raises(PermissionDenied) as exc:
            call()
        message = exc.value.message
        assert "Marie" not in message and "Chargée" not in message
        assert "confidentiel" not in message
        assert str(getattr(record, "slug", "") or record.pk) in message  # what was sent


def test_an_embassy_cannot_take_a_french_authoritys_contact_by_choosing_its_country(world):
    embassy = world["users"]["embassy"]
    counts = table_counts()
    with pytest.raises(PermissionDenied):
        editing.contact_create(
            actor=embassy,
            role="Élu aux relations internationales",
            authority=world["commune"],
            country=world["qm"],
        )
    assert_nothing_written(counts)
    french = f.ContactFactory(authority=world["commune"], country=world["qm"], role="Élu")
    assert not permissions.can_edit(user=embassy, record=french)
    assert french not in editor_selectors.records_for(user=embassy, kind="contacts")
    # its own country's contacts without an authority, and its authorities', stay its own
    own = editing.contact_create(
        actor=embassy, role="Correspondant", country=world["qm"], organisation=world["org"]
    )
    assert permissions.can_edit(user=embassy, record=own)
    assert own in editor_selectors.records_for(user=embassy, kind="contacts")


def test_a_project_is_not_linked_to_another_authoritys_partnership_without_it(world):
    editor, project, p2 = world["users"]["editor"], world["project"], world["p2"]
    counts = table_counts()
    with pytest.raises(PermissionDenied) as exc:
        editing.project_update(
            actor=editor, project=project, version=project.version, links={"partnerships": [world["p1"], p2]}
        )
    assert exc.value.field == "partnerships" and p2.slug in exc.value.message
    assert p2.title not in exc.value.message
    assert_nothing_written(counts)
    assert p2 not in project.partnerships.all()
    # the partnership's own side (here the ministry) may make the link
    editing.project_update(
        actor=world["users"]["admin"],
        project=project,
        version=project.version,
        links={"partnerships": [world["p1"], p2]},
    )
    assert p2 in project.partnerships.all()
    # and a link already there does not block the editor's other changes
    project.refresh_from_db()
    editing.project_update(
        actor=editor,
        project=project,
        version=project.version,
        summary="Complété",
        links={"partnerships": [world["p1"], p2]},
    )


@pytest.mark.parametrize("kind", list(editor_selectors.KINDS))
@pytest.mark.parametrize("role", ["editor", "facilitator", "embassy", "admin", "nobody"])
def test_the_editing_lists_and_the_per_record_check_are_one_rule(world, role, kind):
    user = world["users"][role]
    model = editor_selectors.KINDS[kind]
    listed = set(editor_selectors.records_for(user=user, kind=kind).values_list("pk", flat=True))
    allowed = {
        r.pk
        for r in model.objects.filter(deleted_at__isnull=True)
        if permissions.can_edit(user=user, record=r)
    }
    assert listed == allowed


def test_the_scope_is_read_once_per_user_object(world, django_assert_num_queries):
    editor = world["users"]["editor"]
    permissions.scope_forget(editor)
    permissions.scope_of(editor)
    with django_assert_num_queries(0):
        permissions.scope_of(editor)


def _submitted_projects(world, n: int) -> None:
    for i in range(n):
        f.ProjectFactory(
            title=f"Projet soumis {i}",
            slug=f"soumis-{n}-{i}",
            participants=[(world["cercle"], "partner")],
            countries=[world["qm"]],
            publication_status=PublicationStatus.SUBMITTED,
        )


@pytest.mark.parametrize("role", ["embassy", "admin"])
def test_review_queue_queries_do_not_grow_with_the_records(world, role, django_assert_num_queries):
    """Before: one permission check (3–4 queries) per submitted record (150 for 47)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = world["users"][role]
    _submitted_projects(world, 2)
    permissions.scope_forget(user)
    with CaptureQueriesContext(connection) as few:
        small = editor_selectors.review_queue(user=user)
    _submitted_projects(world, 25)
    permissions.scope_forget(user)
    with django_assert_num_queries(len(few.captured_queries)):
        large = editor_selectors.review_queue(user=user)
    assert len(large) == len(small) + 25
    assert {r["record"].pk for r in large} >= set(
        Project.objects.filter(slug__startswith="soumis-").values_list("pk", flat=True)
    )


def test_review_queue_shows_an_embassy_only_its_countrys_records(world):
    _submitted_projects(world, 1)
    elsewhere = f.ProjectFactory(
        title="Ailleurs",
        slug="ailleurs",
        countries=[world["qn"]],
        participants=[(world["ville"], "partner")],
        publication_status=PublicationStatus.SUBMITTED,
    )
    queue = {r["record"].pk for r in editor_selectors.review_queue(user=world["users"]["embassy"])}
    assert elsewhere.pk not in queue and queue
    assert all(
        permissions.can_publish(user=world["users"]["embassy"], record=r["record"])
        for r in editor_selectors.review_queue(user=world["users"]["embassy"])
    )
    assert elsewhere.pk in {
        r["record"].pk for r in editor_selectors.review_queue(user=world["users"]["admin"])
    }
    assert Partnership.objects.exists() and Contact.objects.exists()


def _own_projects(world, n: int, *, tag: str, **extra) -> None:
    for i in range(n):
        f.ProjectFactory(
            title=f"Projet {tag} {i}",
            slug=f"{tag}-{n}-{i}",
            participants=[(world["commune"], "lead"), (world["cercle"], "partner")],
            countries=[world["qm"]],
            **extra,
        )


def test_authority_export_queries_do_not_grow_with_the_records(world, django_assert_num_queries):
    """Before: history.snapshot read each record's relations with their own queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from coopatlas.cooperation import editing_selectors

    editor, commune = world["users"]["editor"], world["commune"]
    _own_projects(world, 2, tag="export")
    permissions.scope_forget(editor)
    with CaptureQueriesContext(connection) as few:
        small = editing_selectors.authority_export(actor=editor, authority=commune)
    _own_projects(world, 20, tag="export")
    permissions.scope_forget(editor)
    with django_assert_num_queries(len(few.captured_queries)):
        large = editing_selectors.authority_export(actor=editor, authority=commune)
    assert len(large["projects"]) == len(small["projects"]) + 20
    row = next(p for p in large["projects"] if p["title"].startswith("Projet export"))
    assert {p["authority_id"] for p in row["participants"]} == {world["commune"].pk, world["cercle"].pk}


def test_deleted_records_queries_do_not_grow_with_the_records(world, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    admin = world["users"]["admin"]
    _own_projects(world, 2, tag="supprime", deleted_at=timezone.now())
    permissions.scope_forget(admin)
    with CaptureQueriesContext(connection) as few:
        small = editor_selectors.deleted_records(user=admin)
    _own_projects(world, 20, tag="supprime", deleted_at=timezone.now())
    permissions.scope_forget(admin)
    with django_assert_num_queries(len(few.captured_queries)):
        large = editor_selectors.deleted_records(user=admin)
    assert len(large) == len(small) + 20
