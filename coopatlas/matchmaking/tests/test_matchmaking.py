"""Matchmaking (issue 14): interest, the private conversation, requests matched by the
partnership write service, joining programmes, explained suggestions, the evaluation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from coopatlas.accounts import services as accounts
from coopatlas.accounts.models import Membership, Role, User
from coopatlas.accounts.permissions import PermissionDenied
from coopatlas.accounts.tests.world import PASSWORD, build_world
from coopatlas.cooperation import services as cooperation
from coopatlas.cooperation.models import PartnerRequest, ProgrammeMembership, PublicationStatus
from coopatlas.cooperation.tests import factories as f
from coopatlas.core.errors import AppError, Conflict
from coopatlas.matchmaking import evaluate, selectors, services, suggestions
from coopatlas.matchmaking.models import Interest, JoinRequest, Message, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = build_world()
    partner = User.objects.create_user(email="partner@example.org", password=PASSWORD)
    Membership.objects.create(user=partner, role=Role.PARTNER).authorities.add(w["cercle"])
    w["users"]["partner"] = partner
    w["users"]["other_embassy"] = accounts.user_add(
        email="embassy-qn@example.org", role="embassy", country=w["qn"], password=PASSWORD
    )[0]
    w["other"] = f.CommuneFactory(name="Commune voisine test")
    w["users"]["other_editor"] = accounts.user_add(
        email="other@example.org", role="editor", authorities=[w["other"]], password=PASSWORD
    )[0]
    return w


def _interest(w, message="Bonjour, nous travaillons sur l'eau."):
    return services.interest_express(
        actor=w["users"]["editor"], request=w["request"], authority=w["commune"], message=message
    )


def test_interest_notifies_embassy_and_requesting_authority(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        interest = _interest(world)
    world["request"].refresh_from_db()
    assert world["request"].status == PartnerRequest.Status.IN_TALKS
    assert interest.messages.get().body.startswith("Bonjour")
    notified = set(Notification.objects.values_list("user__email", flat=True))
    assert notified == {"embassy@example.org", "partner@example.org"}
    assert sorted(m.to[0] for m in mail.outbox) == ["embassy@example.org", "partner@example.org"]
    assert "Zörglüb" in mail.outbox[0].body


@pytest.mark.parametrize(
    "message, field",
    [("", "message"), ("   ", "message"), ("x" * 5001, "message")],
)
def test_interest_bad_message_names_field_writes_nothing(world, message, field):
    with pytest.raises(AppError) as exc:
        _interest(world, message=message)
    assert exc.value.field == field
    assert not Interest.objects.exists() and not Notification.objects.exists()
    world["request"].refresh_from_db()
    assert world["request"].status == PartnerRequest.Status.OPEN


def test_interest_only_for_an_authority_of_ones_own(world):
    with pytest.raises(PermissionDenied) as exc:
        services.interest_express(
            actor=world["users"]["editor"],
            request=world["request"],
            authority=world["other"],
            message="Bonjour",
        )
    assert exc.value.field == "authority"
    with pytest.raises(AppError):  # a foreign authority does not answer as the French side
        services.interest_express(
            actor=world["users"]["admin"],
            request=world["request"],
            authority=world["ville"],
            message="Bonjour",
        )
    assert not Interest.objects.exists()


def test_interest_refused_on_closed_draft_or_expired_request(world):
    r = world["request"]
    PartnerRequest.objects.filter(pk=r.pk).update(status="closed")
    with pytest.raises(Conflict):
        _interest(world)
    PartnerRequest.objects.filter(pk=r.pk).update(status="open", publication_status=PublicationStatus.DRAFT)
    with pytest.raises(Conflict):
        _interest(world)
    old = timezone.now() - timedelta(days=400)
    PartnerRequest.objects.filter(pk=r.pk).update(
        publication_status=PublicationStatus.PUBLISHED, confirmed_at=old, created_at=old
    )
    r.refresh_from_db()
    assert selectors.request_is_expired(r)
    with pytest.raises(Conflict) as exc:
        _interest(world)
    assert exc.value.field == "confirmed_at"
    PartnerRequest.objects.filter(pk=r.pk).update(confirmed_at=timezone.now())  # the embassy confirms
    assert _interest(world).pk
    with pytest.raises(Conflict):  # twice from the same authority
        _interest(world)


# Who sees (and may write in) the conversation between the commune and the Cercle's request.
SEES = {
    "editor": True,  # the interested French authority
    "partner": True,  # the requesting authority's officer
    "embassy": True,  # the embassy of the request's country
    "admin": True,
    "facilitator": False,  # another French authority's network
    "other_editor": False,
    "other_embassy": False,
    "nobody": False,
}


@pytest.mark.parametrize("role, allowed", SEES.items())
def test_conversation_permission_matrix(world, role, allowed, client):
    interest = _interest(world, message="Message confidentiel qm-7")
    user = world["users"][role]
    assert selectors.can_see_interest(user=user, interest=interest) is allowed
    page = selectors.request_page(pk=world["request"].pk, user=user)
    assert bool(page["conversations"]) is allowed
    before = Message.objects.count()
    if allowed:
        services.message_post(actor=user, interest=interest, body="Réponse")
        assert Message.objects.count() == before + 1
    else:
        with pytest.raises(PermissionDenied):
            services.message_post(actor=user, interest=interest, body="Réponse")
        assert Message.objects.count() == before
    client.force_login(user)
    html = client.get(world["request"].get_absolute_url()).content.decode()
    assert ("Message confidentiel qm-7" in html) is allowed


def test_public_page_and_api_never_show_the_conversation(world, client):
    _interest(world, message="Message confidentiel qm-8")
    url = world["request"].get_absolute_url()
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cercle de Quimbé" in html and "Message confidentiel qm-8" not in html
    assert "Message confidentiel qm-8" not in client.get(url + "?format=json").content.decode()
    api = client.get(f"/api/v1/partner-requests/{world['request'].pk}")
    assert "qm-8" not in api.content.decode()


def test_draft_request_page_is_not_public(world, client):
    PartnerRequest.objects.filter(pk=world["request"].pk).update(publication_status=PublicationStatus.DRAFT)
    assert client.get(world["request"].get_absolute_url()).status_code == 404
    client.force_login(world["users"]["embassy"])  # the embassy moderates it
    assert client.get(world["request"].get_absolute_url()).status_code == 200


def test_interest_through_the_page_and_bad_input_message(world, client):
    client.force_login(world["users"]["editor"])
    url = world["request"].get_absolute_url()
    response = client.post(
        url, {"action": "interest", "authority": world["commune"].pk, "message": ""}, follow=True
    )
    assert response.status_code == 200
    assert "message : écrivez quelques mots" in response.content.decode()
    assert not Interest.objects.exists()
    client.post(url, {"action": "interest", "authority": world["commune"].pk, "message": "Bonjour"})
    assert Interest.objects.filter(authority=world["commune"]).exists()


def test_recording_the_partnership_marks_the_request_matched(world):
    _interest(world)
    p = cooperation.partnership_create(
        slug="zorglub-voisine-quimbe",
        title="Voisine – Quimbé",
        kind="cooperation",
        parties=[world["other"], world["cercle"]],
        source=world["src"],
    )
    world["request"].refresh_from_db()
    assert world["request"].status == PartnerRequest.Status.MATCHED
    assert world["request"].partnership == p
    page = selectors.request_page(pk=world["request"].pk)
    assert page["partnership"]["title"] == "Voisine – Quimbé"
    with pytest.raises(Conflict):  # a matched request is neither closed nor reopened
        services.request_close(actor=world["users"]["embassy"], request=world["request"])


def test_saving_an_old_partnership_again_leaves_requests_alone(world):
    """The demo loader saves partnerships again: parties already there do not match."""
    cooperation.partnership_update(
        partnership=world["p1"], parties=[world["commune"], world["cercle"]], title="Zorglub – Quimbé (bis)"
    )
    world["request"].refresh_from_db()
    assert world["request"].status == PartnerRequest.Status.OPEN


def test_close_and_reopen_by_embassy_only(world):
    with pytest.raises(PermissionDenied):
        services.request_close(actor=world["users"]["editor"], request=world["request"])
    r = services.request_close(actor=world["users"]["embassy"], request=world["request"])
    assert r.status == "closed"
    r = services.request_close(actor=world["users"]["partner"], request=r, reopen=True)
    assert r.status == "open"


def test_partner_officer_submits_a_request_moderated_by_embassy(world):
    r = services.partner_request_submit(
        actor=world["users"]["partner"], authority=world["cercle"], description="Nous cherchons une commune."
    )
    assert r.publication_status == PublicationStatus.SUBMITTED
    assert not PartnerRequest.objects.public().filter(pk=r.pk).exists()
    assert Notification.objects.filter(user=world["users"]["embassy"]).exists()
    with pytest.raises(PermissionDenied):
        services.partner_request_submit(
            actor=world["users"]["partner"], authority=world["ville"], description="Pas la mienne."
        )


def test_join_programme_request_accept(world):
    programme = world["programme"]
    join = services.join_request_create(
        actor=world["users"]["other_editor"],
        programme=programme,
        authority=world["other"],
        message="Nous venons",
    )
    assert Notification.objects.filter(user=world["users"]["facilitator"]).exists()  # it carries it
    with pytest.raises(Conflict):
        services.join_request_create(
            actor=world["users"]["other_editor"], programme=programme, authority=world["other"]
        )
    with pytest.raises(PermissionDenied):
        services.join_request_decide(actor=world["users"]["other_editor"], join=join, accept=True)
    assert not ProgrammeMembership.objects.filter(programme=programme, authority=world["other"]).exists()
    services.join_request_decide(actor=world["users"]["facilitator"], join=join, accept=True)
    assert ProgrammeMembership.objects.filter(programme=programme, authority=world["other"]).exists()
    assert JoinRequest.objects.get(pk=join.pk).state == "accepted"
    assert [p["title"] for p in selectors.authority_programmes(authority=world["other"])] == [
        "Programme Quimbé"
    ]
    with pytest.raises(Conflict):
        services.join_request_decide(actor=world["users"]["facilitator"], join=join, accept=False)


def test_programme_cost_range_and_missing_members(world):
    from coopatlas.cooperation.selectors import programme_detail

    with pytest.raises(AppError) as exc:
        cooperation.programme_update(programme=world["programme"], cost_min="5000", cost_max="1000")
    assert exc.value.field == "cost_max"
    cooperation.programme_update(
        programme=world["programme"], cost_min="1000", cost_max="5 000", min_members=3
    )
    data = programme_detail(slug="programme-quimbe")
    assert (data["cost_min"], data["cost_max"], data["members_missing"]) == ("1000.00", "5000.00", 2)


def test_suggestions_explain_neighbours_partner(world, monkeypatch):
    import copy

    from coopatlas.geo.models import AdministrativeArea

    # The reasons follow the weights: with the neighbours' partners weighed (the fitted file
    # may leave it at 0 on the demo), it is the first suggestion and says why.
    w = copy.deepcopy(suggestions.weights())
    w["partner"]["neighbour_partner"] = 2.0
    w["country"]["departement"] = 1.0
    monkeypatch.setattr(suggestions, "weights", lambda: w)

    fr_region = AdministrativeArea.objects.create(country_id="FR", code="FR-QZ", name="Région test", level=1)
    fr_dept = AdministrativeArea.objects.create(
        country_id="FR", code="FR-QZ1", name="Dépt test", level=2, parent=fr_region
    )
    type(world["commune"]).objects.filter(pk__in=[world["commune"].pk, world["other"].pk]).update(
        area=fr_dept
    )
    world["other"].refresh_from_db()
    data = suggestions.suggestions_for_authority(authority=world["other"])
    top = data["partners"][0]
    assert top["name"] == "Cercle de Quimbé"
    assert any("département" in r for r in top["reasons"])
    assert top["open_requests"][0]["id"] == world["request"].pk
    assert "QM" in [c["iso2"] for c in data["countries"][:3]]
    assert data["calls"] == []  # the calls source is pluggable (suggestions.register_source)
    french = suggestions.suggestions_for_request(request=world["request"])["french"]
    assert french and all(s["reasons"] for s in french)
    assert world["commune"].pk not in [s["id"] for s in french]  # already its partner


def test_suggestions_for_a_foreign_authority_refused(world):
    with pytest.raises(AppError) as exc:
        suggestions.suggestions_for_authority(authority=world["cercle"])
    assert exc.value.field == "authority"


def test_evaluation_figures_and_bad_share(world):
    result = evaluate.evaluate(synthetic=False, share=0.5, limit=10)
    assert result["hidden"] >= 1
    for key in ("recall_partner_at_10", "recall_country_at_3", "recall_country_at_10"):
        assert 0 <= result[key] <= 1
    with pytest.raises(AppError) as exc:
        evaluate.evaluate(synthetic=False, share=0.9)
    assert exc.value.field == "share"


def test_project_overlaps_in_place_and_sector_ours_and_iati(world, client):
    from coopatlas.cooperation.models import ProjectSector
    from coopatlas.cooperation.selectors import project_detail
    from coopatlas.reference.models import Sector

    water, other = (
        Sector.objects.filter(code__startswith="140")[:1].get(),
        Sector.objects.filter(code__startswith="151")[:1].get(),
    )
    ProjectSector.objects.create(project=world["project"], sector=water)
    theirs = f.ProjectFactory(
        title="Forage d'un autre bailleur", slug="forage-iati", start_year=2017, areas=[world["qm11"]],
        is_imported=True,
    )  # fmt: skip
    ProjectSector.objects.create(project=theirs, sector=water)
    elsewhere = f.ProjectFactory(
        title="Gouvernance ailleurs", slug="gouv-qm", start_year=2017, areas=[world["qm11"]]
    )
    ProjectSector.objects.create(project=elsewhere, sector=other)  # same place, another sector
    overlaps = project_detail(slug="puits-quimbe")["overlaps"]
    assert [o["slug"] for o in overlaps] == ["forage-iati"] and overlaps[0]["is_imported"]
    assert "puits-quimbe" in [o["slug"] for o in project_detail(slug="forage-iati")["overlaps"]]
    html = client.get("/projets/puits-quimbe/").content.decode()
    assert "Forage d&#x27;un autre bailleur" in html or "Forage d'un autre bailleur" in html


def test_area_page_and_foreign_authority_page_show_the_overlaps(world, client):
    """Coordination on the area's page, not only on the project fiche: the projects of the
    area side by side in one sector category, ours and another donor's (IATI)."""
    from coopatlas.cooperation.models import ProjectSector
    from coopatlas.cooperation.selectors import area_overlaps
    from coopatlas.reference.models import Sector

    water = Sector.objects.filter(code__startswith="140")[:1].get()
    ProjectSector.objects.create(project=world["project"], sector=water)
    theirs = f.ProjectFactory(
        title="Forage d'un autre bailleur", slug="forage-iati", start_year=2017, areas=[world["qm11"]],
        is_imported=True,
    )  # fmt: skip
    ProjectSector.objects.create(project=theirs, sector=water)
    lonely = f.ProjectFactory(title="Seul dans son secteur", slug="seul-qm", areas=[world["qm11"]])
    ProjectSector.objects.create(
        project=lonely, sector=Sector.objects.filter(code__startswith="151")[:1].get()
    )
    groups = area_overlaps(area_ids={world["qm11"].pk})
    assert [g["sector_category"] for g in groups] == ["140"]
    assert {p["slug"] for p in groups[0]["projects"]} == {"puits-quimbe", "forage-iati"}
    assert groups[0]["imported_count"] == 1
    for url in (world["qm11"].get_absolute_url(), f"/collectivites/{world['cercle'].slug}/"):
        html = client.get(url).content.decode()
        assert 'id="coordination"' in html, url
        coordination = html.split('id="coordination"')[1]
        assert "forage-iati" in coordination and "seul-qm" not in coordination


@pytest.mark.parametrize(
    "role, status",
    [("partner", 200), ("editor", 403), ("embassy", 403), ("admin", 403), (None, 302)],
)
def test_my_requests_page_permission_matrix(world, client, role, status):
    if role:
        client.force_login(world["users"][role])
    response = client.get("/mise-en-relation/mes-demandes/")
    assert response.status_code == status
    if status == 200:
        assert "Cercle de Quimbé" in response.content.decode()


def test_partner_officer_creates_follows_and_answers_its_request(world, client):
    from coopatlas.cooperation import editing

    partner = world["users"]["partner"]
    client.force_login(partner)
    # bad input: the message names the field, nothing is written
    before = PartnerRequest.objects.count()
    response = client.post(
        "/mise-en-relation/mes-demandes/", {"authority": world["cercle"].pk, "description": "  "}
    )
    assert response.status_code == 422 and "description" in response.content.decode()
    response = client.post(
        "/mise-en-relation/mes-demandes/", {"authority": world["ville"].pk, "description": "Pas la mienne"}
    )
    assert response.status_code == 422 and PartnerRequest.objects.count() == before
    response = client.post(
        "/mise-en-relation/mes-demandes/",
        {"authority": world["cercle"].pk, "description": "Nous cherchons une commune pour l'eau.",
         "themes": [world["child"].pk]},
    )  # fmt: skip
    assert response.status_code == 302
    record = PartnerRequest.objects.get(description="Nous cherchons une commune pour l'eau.")
    assert record.publication_status == PublicationStatus.SUBMITTED and list(record.themes.all()) == [
        world["child"]
    ]
    page = client.get("/mise-en-relation/mes-demandes/").content.decode()
    assert f'data-request="{record.pk}"' in page and 'data-publication="submitted"' in page
    assert client.get(record.get_absolute_url()).status_code == 200  # its own, not yet public
    client.logout()
    assert client.get(record.get_absolute_url()).status_code == 404  # moderated: not public yet
    # the embassy validates it from its review queue, a French officer answers
    editing.record_publish(actor=world["users"]["embassy"], record=record)
    interest = services.interest_express(
        actor=world["users"]["editor"], request=record, authority=world["commune"], message="Intéressés !"
    )
    client.force_login(partner)
    html = client.get(record.get_absolute_url()).content.decode()
    assert "Intéressés !" in html
    response = client.post(
        record.get_absolute_url(), {"action": "message", "interest": interest.pk, "body": "Avec plaisir."}
    )
    assert response.status_code == 302
    assert Message.objects.filter(interest=interest, side="partner", body="Avec plaisir.").exists()
    assert Notification.objects.filter(user=world["users"]["editor"]).exists()


@pytest.mark.parametrize(
    "role, status",
    [("facilitator", 200), ("carrier_editor", 200), ("admin", 200), ("editor", 403), ("embassy", 403),
     ("partner", 403), (None, 302)],
)  # fmt: skip
def test_programme_form_permission_matrix(world, client, role, status):
    """Its carrier edits a programme in the editing space: the members of its carrying
    organisation (the facilitator), the editors of a lead authority, the administrator."""
    programme = world["programme"]
    if role == "carrier_editor":
        programme.carrier_organisation = None
        programme.carrier_authority = world["other"]
        programme.save()
        user = world["users"]["other_editor"]
    else:
        user = world["users"].get(role)
    if user:
        client.force_login(user)
    response = client.get(f"/espace/programmes/{programme.pk}/")
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert 'name="cost_min"' in html and 'name="member_brings"' in html and 'name="countries"' in html


def test_programme_form_saves_french_amounts_and_refuses_a_bad_range(world, client):
    programme = world["programme"]
    client.force_login(world["users"]["facilitator"])
    url = f"/espace/programmes/{programme.pk}/"
    base = {
        "version": programme.version,
        "title": programme.title,
        "countries": [world["qm"].pk],
        "themes": [world["root"].pk, world["child"].pk],
        "duration_months": "36",
        "min_members": "4",
        "member_brings": "Une cotisation et un agent référent.",
        "member_gets": "Un appui technique et des échanges.",
        "is_open": "on",
    }
    response = client.post(url, {**base, "cost_min": "5 000", "cost_max": "1 000"})
    assert response.status_code == 422 and "coût annuel maximal" in response.content.decode()
    programme.refresh_from_db()
    assert programme.cost_min is None and programme.member_brings == ""  # nothing written
    response = client.post(url, {**base, "cost_min": "2 500", "cost_max": "4 000,50"})
    assert response.status_code == 302, response.content.decode()[:3000]
    programme.refresh_from_db()
    assert (str(programme.cost_min), str(programme.cost_max), programme.duration_months) == (
        "2500.00", "4000.50", 36,
    )  # fmt: skip
    assert programme.min_members == 4 and programme.member_gets.startswith("Un appui")
    assert set(programme.themes.all()) == {world["root"], world["child"]}
    client.force_login(world["users"]["editor"])
    assert client.post(url, {**base, "version": programme.version, "cost_min": "1"}).status_code == 403
