"""Issue 8: an editor's change to a published record waits for validation; the public
keeps the published version; a reviewer applies or returns it; minor fields apply at
once; the ministry's edits apply at once; the history records both."""

import pytest

from coopatlas.accounts.tests.world import build_world
from coopatlas.cooperation import editing, selectors
from coopatlas.cooperation.models import Contact, Partnership
from coopatlas.core.errors import Conflict
from coopatlas.core.models import Change, Revision
from coopatlas.editor import selectors as editor_selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def _published_p1(world) -> Partnership:
    p1 = world["p1"]
    assert p1.publication_status == "published"
    return p1


def test_an_editors_change_to_a_published_record_waits_and_the_public_sees_the_old(world):
    editor, p1 = world["users"]["editor"], _published_p1(world)
    version = p1.version
    result = editing.partnership_update(
        actor=editor, partnership=p1, version=version, description="Proposée par le rédacteur"
    )
    assert result.pending_revision.after == {"description": "Proposée par le rédacteur"}
    p1.refresh_from_db()
    assert (p1.description, p1.version) == ("", version)  # unchanged, not even its version
    assert selectors.partnership_detail(slug=p1.slug)["description"] in ("", None)
    assert not Change.objects.filter(
        object_id=p1.pk, model="cooperation.partnership", action="update"
    ).exists()
    # the reviewer's queue shows it; the editor's space shows it as pending
    queue = editor_selectors.review_queue(user=world["users"]["admin"])
    assert any(r.get("revision") and r["record"].pk == p1.pk for r in queue)
    mine = editor_selectors.pending_revisions(user=editor)
    assert [r["record"].pk for r in mine] == [p1.pk]


def test_a_reviewer_applies_it_and_the_history_names_both(world):
    editor, admin, p1 = world["users"]["editor"], world["users"]["admin"], _published_p1(world)
    editing.partnership_update(
        actor=editor, partnership=p1, version=p1.version, description="Proposée", start_year=1985
    )
    revision = editing.pending_revision(p1)
    with pytest.raises(editing.PermissionDenied):  # the editor does not validate its own
        editing.revision_apply(actor=editor, revision=revision)
    applied = editing.revision_apply(actor=admin, revision=revision)
    assert (applied.description, applied.start_year) == ("Proposée", 1985)
    assert applied.version == p1.version + 1 and applied.publication_status == "published"
    change = Change.objects.filter(object_id=p1.pk, model="cooperation.partnership").last()
    assert change.user_email == "admin@example.org" and "editor@example.org" in change.comment
    assert change.after == {"description": "Proposée", "start_year": 1985}
    revision.refresh_from_db()
    assert (revision.status, revision.decided_by_email) == ("applied", "admin@example.org")
    with pytest.raises(Conflict):  # applied once only
        editing.revision_apply(actor=admin, revision=revision)


def test_a_returned_revision_leaves_the_record_and_says_why(world):
    editor, admin, p1 = world["users"]["editor"], world["users"]["admin"], _published_p1(world)
    editing.partnership_update(actor=editor, partnership=p1, version=p1.version, description="À revoir")
    revision = editing.pending_revision(p1)
    with pytest.raises(editing.AppError, match="comment"):
        editing.revision_return(actor=admin, revision=revision, comment=" ")
    editing.revision_return(actor=admin, revision=revision, comment="Citez la convention.")
    p1.refresh_from_db()
    assert p1.description == "" and editing.pending_revision(p1) is None
    assert Revision.objects.get(pk=revision.pk).comment == "Citez la convention."


def test_a_revision_made_on_an_old_version_is_a_conflict(world):
    editor, admin, p1 = world["users"]["editor"], world["users"]["admin"], _published_p1(world)
    editing.partnership_update(
        actor=editor, partnership=p1, version=p1.version, description="Sur la version lue"
    )
    revision = editing.pending_revision(p1)
    editing.partnership_update(
        actor=admin, partnership=p1, version=p1.version, history="Écrit par le ministère entre-temps"
    )
    with pytest.raises(Conflict):
        editing.revision_apply(actor=admin, revision=revision)
    p1.refresh_from_db()
    assert p1.description == "" and p1.history == "Écrit par le ministère entre-temps"


def test_a_stale_proposal_is_a_conflict_and_writes_nothing(world):
    editor, p1 = world["users"]["editor"], _published_p1(world)
    with pytest.raises(Conflict):
        editing.partnership_update(actor=editor, partnership=p1, version=p1.version + 5, description="x")
    assert not Revision.objects.exists()


def test_a_newer_proposal_replaces_the_pending_one(world):
    editor, p1 = world["users"]["editor"], _published_p1(world)
    editing.partnership_update(actor=editor, partnership=p1, version=p1.version, description="Première")
    editing.partnership_update(actor=editor, partnership=p1, version=p1.version, description="Seconde")
    assert list(Revision.objects.values_list("status", "after")) == [
        ("superseded", {"description": "Première"}),
        ("pending", {"description": "Seconde"}),
    ]


def test_minor_fields_apply_at_once(world):
    editor = world["users"]["editor"]
    contact = Contact.objects.filter(authority=world["commune"]).first()
    if contact is None:
        contact = editing.contact_create(
            actor=world["users"]["admin"], role="Chargé", authority=world["commune"]
        )
    Contact.objects.filter(pk=contact.pk).update(publication_status="published")
    contact.refresh_from_db()
    assert editing.minor_fields()["contact"] >= {"email", "phone"}
    saved = editing.contact_update(
        actor=editor, contact=contact, version=contact.version, email="nouvelle@example.org"
    )
    assert getattr(saved, "pending_revision", None) is None
    assert Contact.objects.get(pk=contact.pk).email == "nouvelle@example.org"
    waits = editing.contact_update(
        actor=editor, contact=saved, version=saved.version, email="autre@example.org", role="Nouveau rôle"
    )
    assert waits.pending_revision is not None  # a mix waits as a whole
    assert Contact.objects.get(pk=contact.pk).email == "nouvelle@example.org"


def test_the_ministry_and_the_embassy_edit_published_records_at_once(world):
    project = world["project"]
    assert project.publication_status == "published"
    saved = editing.project_update(
        actor=world["users"]["embassy"], project=project, version=project.version, summary="Par l'ambassade"
    )
    assert getattr(saved, "pending_revision", None) is None and saved.summary == "Par l'ambassade"
    assert not Revision.objects.exists()


def test_the_write_api_answers_202_with_the_pending_revision_then_applies_it(client, world):
    from coopatlas.accounts import services as accounts

    p1 = _published_p1(world)
    editor = accounts.token_create(user=world["users"]["editor"])[1]
    admin = accounts.token_create(user=world["users"]["admin"])[1]
    url = f"/api/v1/partnerships/{p1.slug}"
    r = client.patch(
        url,
        {"description": "Par l'API", "version": p1.version},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {editor}",
    )
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["fields"]["description"] == ""
    assert body["pending_revision"]["after"] == {"description": "Par l'API"}
    r = client.post(
        f"{url}/revision",
        {"action": "apply"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {editor}",
    )
    assert r.status_code == 403
    r = client.post(
        f"{url}/revision",
        {"action": "apply"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {admin}",
    )
    assert r.status_code == 200, r.content
    assert r.json()["fields"]["description"] == "Par l'API"
    assert r.json()["pending_revision"] is None
    assert client.get(url).json()["version"] == p1.version + 1
