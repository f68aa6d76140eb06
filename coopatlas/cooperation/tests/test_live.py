"""Record.live(): the editors' reads leave out what is deleted, and what belongs to a
deleted record (issue 8: one definition, as for public())."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from coopatlas.accounts.tests.world import build_world
from coopatlas.cooperation import editing, editing_selectors
from coopatlas.cooperation.models import Convention, FundingContribution, Partnership

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def test_a_deleted_partnerships_conventions_leave_the_authority_export(world):
    editor, admin, p1 = world["users"]["editor"], world["users"]["admin"], world["p1"]
    convention = Convention.objects.get(partnership=p1)
    data = editing_selectors.authority_export(actor=editor, authority=world["commune"])
    assert convention.pk in {c["id"] for c in data["conventions"]}
    editing.record_delete(actor=admin, record=p1, version=p1.version)
    data = editing_selectors.authority_export(actor=editor, authority=world["commune"])
    assert data["partnerships"] == [] and data["conventions"] == []
    assert Convention.objects.filter(pk=convention.pk).live().exists() is False
    assert Convention.objects.filter(pk=convention.pk).exists()  # the row stays


def test_live_and_public_differ_by_publication_state_only(world):
    draft = Partnership.objects.get(slug="zorglub-brouillon")
    assert Partnership.objects.live().filter(pk=draft.pk).exists()
    assert not Partnership.objects.public().filter(pk=draft.pk).exists()
    line = FundingContribution.objects.filter(project=world["project"]).first()
    assert FundingContribution.objects.public().filter(pk=line.pk).exists()
    type(world["project"]).objects.filter(pk=world["project"].pk).update(publication_status="draft")
    assert not FundingContribution.objects.public().filter(pk=line.pk).exists()
    assert FundingContribution.objects.live().filter(pk=line.pk).exists()


def test_the_partnership_picker_leaves_out_deleted_partnerships(world):
    admin, p1 = world["users"]["admin"], world["p1"]
    client = Client()
    client.force_login(world["users"]["editor"])
    url = reverse("editor:pick_partnerships") + "?q=zorglub"
    assert "zorglub-quimbe" in client.get(url).content.decode()
    editing.record_delete(actor=admin, record=p1, version=p1.version)
    assert "zorglub-quimbe" not in client.get(url).content.decode()


def test_the_partnership_picker_matches_words_as_the_public_lists(world):
    """The editor's picker and the public lists share one rule (selectors.title_word_q):
    each folded word in the title or the slug, in any order, accents and case aside; drafts
    are offered to a signed-in editor; a word nothing can hold matches nothing."""
    client = Client()
    client.force_login(world["users"]["editor"])
    url = reverse("editor:pick_partnerships")

    def codes(q):
        return {r["code"] for r in client.get(url, {"q": q}).json()["results"]}

    assert "zorglub-quimbe" in codes("QUIMBE zorglub")  # title « Zorglub – Quimbé »
    assert "zorglub-quimbe" in codes("quimbé")
    assert "zorglub-brouillon" in codes("brouillon")  # a draft, for its editors
    assert codes("quimbe brouillon") == set()
    assert codes("';--") == set() and codes("💩") == set()


def test_atlas_projects_are_public_and_our_own(world):
    """Project.objects.atlas(): the one rule the lists, the country fiches, the home count
    and the IATI export share. An imported IATI activity or a draft is not an atlas project;
    imported() is the other side (public only)."""
    from coopatlas.cooperation.models import Project

    project = world["project"]
    assert Project.objects.atlas().filter(pk=project.pk).exists()
    Project.objects.filter(pk=project.pk).update(is_imported=True)
    assert not Project.objects.atlas().filter(pk=project.pk).exists()
    assert Project.objects.imported().filter(pk=project.pk).exists()
    Project.objects.filter(pk=project.pk).update(publication_status="draft")
    assert not Project.objects.imported().filter(pk=project.pk).exists()
    Project.objects.filter(pk=project.pk).update(is_imported=False)
    assert not Project.objects.atlas().filter(pk=project.pk).exists()
