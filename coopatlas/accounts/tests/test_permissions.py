"""The permission matrix through the editing services: every role × write action × in and
out of scope. The same table runs through the API in api/tests/test_write_api.py."""

import pytest

from coopatlas.accounts.permissions import PermissionDenied
from coopatlas.cooperation import editing
from coopatlas.cooperation.models import Project
from coopatlas.core.models import Change, Revision
from coopatlas.core.testing import assert_nothing_written, table_counts

from .world import MATRIX, build_world

pytestmark = pytest.mark.django_db

PARTIES = {"p1": ("commune", "cercle"), "p2": ("dept", "ville")}


@pytest.fixture
def world():
    return build_world()


def attempt(world, action: str, role: str, target: str) -> None:
    user = world["users"][role]
    record = world.get(target)
    if action == "edit_partnership":
        editing.partnership_update(
            actor=user, partnership=record, version=record.version, description="Mise à jour."
        )
    elif action == "edit_project":
        editing.project_update(actor=user, project=record, version=record.version, summary="Complété.")
    elif action == "delete_project":
        editing.record_delete(actor=user, record=record, version=record.version)
    elif action == "create_partnership":
        editing.partnership_create(
            actor=user,
            slug=f"nouveau-{target}",
            title="Nouveau",
            kind="cooperation",
            parties=[world[k] for k in PARTIES[target]],
        )
    elif action == "create_request":
        editing.partner_request_create(
            actor=user, authority=world[target], description="Cherche un partenaire."
        )
    elif action == "publish_project":
        Project.objects.filter(pk=record.pk).update(publication_status="submitted")
        record.refresh_from_db()
        editing.record_publish(actor=user, record=record)
    elif action == "submit_project":
        Project.objects.filter(pk=record.pk).update(publication_status="draft")
        record.refresh_from_db()
        editing.record_submit(actor=user, record=record)
    elif action == "history_project":
        from coopatlas.accounts.permissions import require

        require("history", user=user, record=record)
    elif action == "restore_project":
        admin = world["users"]["admin"]
        editing.project_update(actor=admin, project=record, version=record.version, summary="v2")
        record.refresh_from_db()
        editing.record_restore(actor=user, record=record, to_version=record.version)
    else:  # pragma: no cover
        raise AssertionError(action)


@pytest.mark.parametrize(
    ("action", "role", "target", "allowed"), MATRIX, ids=[f"{a}-{r}-{t}" for a, r, t, _ in MATRIX]
)
def test_permission_matrix_through_services(world, action, role, target, allowed):
    changes_before = Change.objects.count() + Revision.objects.count()
    counts = table_counts()
    if allowed:
        attempt(world, action, role, target)
        if action != "history_project":  # a change, or a revision waiting for validation
            assert Change.objects.count() + Revision.objects.count() > changes_before
    else:
        with pytest.raises(PermissionDenied) as exc:
            attempt(world, action, role, target)
        assert exc.value.http_status == 403
        assert "périmètre" in exc.value.message or "rôle" in exc.value.message
        # nothing written: no row in any table beyond the test's own set-up
        if action != "restore_project":
            assert_nothing_written(counts)


def test_moving_a_record_out_of_ones_scope_is_refused(world):
    """An editor cannot hand its partnership to authorities it does not belong to."""
    p1, editor = world["p1"], world["users"]["editor"]
    with pytest.raises(PermissionDenied):
        editing.partnership_update(
            actor=editor, partnership=p1, version=p1.version, parties=[world["dept"], world["ville"]]
        )
    assert set(p1.party_links.values_list("authority_id", flat=True)) == {
        world["commune"].pk,
        world["cercle"].pk,
    }


def test_facilitator_edits_the_programme_it_carries_and_its_network_only(world):
    from coopatlas.accounts.permissions import can_edit

    facilitator, editor = world["users"]["facilitator"], world["users"]["editor"]
    assert can_edit(user=facilitator, record=world["programme"])
    assert can_edit(user=facilitator, record=world["org"])
    assert not can_edit(user=editor, record=world["programme"])
    assert not can_edit(user=editor, record=world["org"])


def test_inactive_account_can_do_nothing(world):
    editor = world["users"]["editor"]
    editor.is_active = False
    editor.save()
    with pytest.raises(PermissionDenied):
        editing.partnership_update(
            actor=editor, partnership=world["p1"], version=world["p1"].version, description="x"
        )
