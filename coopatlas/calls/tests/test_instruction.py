"""Before the committee (issue 10, round 4): the amount the ministry proposes (bounds,
the call's budget), the optional opinion of a regional network (who may give it, its
deadline, reminders), and the committee's ranked list with the budget consumed."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core import mail
from django.utils import timezone

from coopatlas.accounts.permissions import PermissionDenied
from coopatlas.calls import selectors, services
from coopatlas.calls.models import Opinion
from coopatlas.core.errors import AppError, Conflict
from coopatlas.core.testing import assert_nothing_written, table_counts

from .conftest import paris
from .test_services import BEFORE, start


def submitted(world, requested="960000"):
    app = start(world, requested=requested)
    services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)
    app.refresh_from_db()
    return app


def call_2025(world, budget="1000000"):
    """A call under the 2025 example rules (grant 10 000 – 400 000 €)."""
    call = services.call_create(
        actor=world["admin"],
        slug="aap-2025-exemple",
        title="AAP exemple 2025",
        ruleset=world["rulesets"]["daect-generaliste-v2"],
        opens_at=paris(2026, 1, 5, 9, 0, 0),
        deadline_at=paris(2026, 3, 29, 12, 0, 0),
        opinion_deadline_at=paris(2026, 4, 30, 18, 0, 0),
        budget=budget,
    )
    return services.call_open(actor=world["admin"], call=call)


# --------------------------------------------------------------------------- proposed amount


def test_the_proposed_amount_is_at_most_the_amount_asked(world):
    app = submitted(world)
    before = table_counts()
    with pytest.raises(AppError) as exc:
        services.application_propose(actor=world["admin"], application=app, amount="970 000")
    assert exc.value.field == "proposed" and "dépasse le montant demandé" in exc.value.message
    assert "proposez au plus" in exc.value.message
    assert_nothing_written(before)
    answer = services.application_propose(actor=world["admin"], application=app, amount="800 000,00")
    assert answer["application"].proposed == D("800000.00") and answer["warning"] == ""
    assert answer["budget"]["committed"] == D("800000.00")
    assert answer["budget"]["proposed_left"] == D("200000.00")


@pytest.mark.parametrize(
    "amount, accepted, words",
    [
        ("9999,99", False, "sous la subvention minimale"),
        ("10000", True, ""),
        ("400000", True, ""),
        ("400000,01", False, "subvention maximale"),
        ("-5", False, "proposed"),
        ("abc", False, "proposed"),
    ],
)
def test_the_proposed_amount_follows_the_calls_grant_bounds(world, amount, accepted, words):
    call = call_2025(world)
    app = services.application_start(
        actor=world["users"]["editor"], call=call, project=world["project"], requested="500000", now=BEFORE
    )
    app.status = "submitted"  # the bounds are the call's, whatever the eligibility
    app.save(update_fields=["status"])
    if accepted:
        services.application_propose(actor=world["admin"], application=app, amount=amount)
        app.refresh_from_db()
        assert app.proposed == D(amount.replace(",", "."))
        return
    before = table_counts()
    with pytest.raises(AppError) as exc:
        services.application_propose(actor=world["admin"], application=app, amount=amount)
    assert exc.value.field == "proposed" and words in exc.value.message
    assert_nothing_written(before)


def test_proposals_beyond_the_budget_are_kept_with_a_warning(world):
    from coopatlas.calls.models import Call

    Call.objects.filter(pk=world["call"].pk).update(budget=D("500000"))
    world["call"].refresh_from_db()
    app = submitted(world)
    answer = services.application_propose(actor=world["admin"], application=app, amount="600000")
    assert answer["application"].proposed == D("600000.00")
    warning = answer["warning"].replace("\u202f", " ").replace("\u00a0", " ")
    assert "dépassent de 100 000 €" in warning and "500 000 €" in warning


def test_only_the_ministry_proposes_and_only_for_a_submitted_application(world):
    app = start(world)
    with pytest.raises(Conflict) as exc:
        services.application_propose(actor=world["admin"], application=app, amount="1000")
    assert exc.value.field == "proposed"
    services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)
    for who in ("editor", "embassy", "facilitator"):
        with pytest.raises(PermissionDenied):
            services.application_propose(actor=world["users"][who], application=app, amount="1000")


def test_the_proposed_amount_through_the_page(client, world):
    app = submitted(world)
    client.force_login(world["admin"])
    url = f"/appels/candidatures/{app.pk}/propose/"
    r = client.post(url, {"proposed": "970000"})
    assert r.status_code == 422 and "dépasse le montant demandé" in r.content.decode()
    r = client.post(url, {"proposed": "800 000"}, follow=True)
    assert r.status_code == 200
    app.refresh_from_db()
    assert app.proposed == D("800000.00")
    page = r.content.decode()
    assert "Montant proposé enregistré." in page
    assert 'name="proposed"' in page and 'value="800000,00"' in page


def test_the_proposed_amount_through_the_api(client, world):
    from coopatlas.accounts import services as accounts

    app = submitted(world)
    token = accounts.token_create(user=world["admin"])[1]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/calls/applications/{app.pk}/proposed"
    r = client.post(url, {"proposed": "970000"}, content_type="application/json", headers=headers)
    assert r.status_code == 422 and list(r.json()["errors"]) == ["proposed"]
    r = client.post(url, {"proposed": "800000"}, content_type="application/json", headers=headers)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["proposed"] == "800000.00" and body["budget"]["proposed_left"] == "200000.00"
    editor = accounts.token_create(user=world["users"]["editor"])[1]
    r = client.post(
        url,
        {"proposed": "1000"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {editor}"},
    )
    assert r.status_code == 403


# --------------------------------------------------------------------------- regional network


@pytest.fixture
def network(world):
    """The facilitator's organisation, made a regional network (RRMA) for these tests."""
    from coopatlas.cooperation.models import Organisation

    org = world["org"]
    Organisation.objects.filter(pk=org.pk).update(kind=Organisation.Kind.NETWORK)
    org.refresh_from_db()
    return org


def test_a_network_opinion_is_asked_by_the_ministry_and_given_by_its_facilitator(world, network):
    app = submitted(world)
    with pytest.raises(PermissionDenied):
        services.network_opinion_request(actor=world["users"]["editor"], application=app, network=network)
    opinion = services.network_opinion_request(
        actor=world["admin"],
        application=app,
        network=network,
        due_at=paris(2026, 4, 15, 18, 0, 0),
        now=BEFORE,
    )
    assert (opinion.network_id, opinion.country_id) == (network.pk, None)
    # the embassy does not answer for the network; the facilitator does
    with pytest.raises(PermissionDenied):
        services.opinion_give(
            actor=world["users"]["embassy"],
            application=app,
            network=network,
            verdict="favourable",
            now=BEFORE,
        )
    services.opinion_give(
        actor=world["users"]["facilitator"],
        application=app,
        network=network,
        verdict="reserved",
        comment="Le partenaire local manque de personnel.",
        now=BEFORE,
    )
    opinion.refresh_from_db()
    assert (opinion.verdict, opinion.by) == ("reserved", world["users"]["facilitator"])
    # the facilitator now sees the application (and only through that opinion)
    from coopatlas.calls import access

    assert access.may_see_application(world["users"]["facilitator"], app)
    row = selectors.committee(call=world["call"])["rows"][0]
    assert row["opinions_text"] == "AAQ : Réservé, QM : …"


def test_a_network_opinion_after_its_deadline_is_refused(world, network):
    app = submitted(world)
    services.network_opinion_request(
        actor=world["admin"],
        application=app,
        network=network,
        due_at=paris(2026, 3, 10, 18, 0, 0),
        now=BEFORE,
    )
    before = table_counts()
    with pytest.raises(AppError) as exc:
        services.opinion_give(
            actor=world["users"]["facilitator"],
            application=app,
            network=network,
            verdict="favourable",
            now=paris(2026, 3, 10, 18, 0, 0),
        )
    assert exc.value.field == "opinion_deadline_at" and "10/03/2026 à 18:00:00" in exc.value.message
    assert_nothing_written(before)


def test_only_a_network_may_be_asked_and_not_for_a_draft(world, network):
    from coopatlas.cooperation.models import Organisation

    draft = start(world)
    with pytest.raises(Conflict):
        services.network_opinion_request(actor=world["admin"], application=draft, network=network, now=BEFORE)
    services.application_submit(actor=world["users"]["editor"], application=draft, now=BEFORE)
    other = Organisation.objects.exclude(kind=Organisation.Kind.NETWORK).first()
    with pytest.raises(AppError) as exc:
        services.network_opinion_request(actor=world["admin"], application=draft, network=other, now=BEFORE)
    assert exc.value.field == "network"
    with pytest.raises(AppError) as exc:
        services.network_opinion_request(
            actor=world["admin"],
            application=draft,
            network=network,
            due_at=paris(2026, 2, 1, 0, 0, 0),
            now=BEFORE,
        )
    assert exc.value.field == "due_at"
    assert not Opinion.objects.filter(network=network).exists()


def test_networks_are_reminded_with_the_embassies(world, network, django_capture_on_commit_callbacks):
    app = submitted(world)
    services.network_opinion_request(actor=world["admin"], application=app, network=network, now=BEFORE)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.opinions_remind(actor=world["admin"], call=world["call"], now=BEFORE) == 2
    to = sorted(m.to[0] for m in mail.outbox)
    assert to == ["embassy@example.org", "network@example.org"]
    network_mail = next(m for m in mail.outbox if m.to == ["network@example.org"])
    assert "(AAQ)" in network_mail.body
    assert Opinion.objects.filter(application=app, reminded_at__isnull=False).count() == 2


def test_the_network_opinion_through_the_pages(client, world, network):
    app = submitted(world)
    client.force_login(world["admin"])
    page = client.get(f"/appels/candidatures/{app.pk}/").content.decode()
    assert "Demander l'avis d'un réseau régional" in page and f'value="{network.pk}"' in page
    due = selectors.paris(timezone.now() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(f"/appels/candidatures/{app.pk}/network/", {"network": network.pk, "due_at": due})
    assert r.status_code == 302
    client.force_login(world["users"]["facilitator"])
    page = client.get(f"/appels/candidatures/{app.pk}/").content.decode()
    assert f'data-network-opinion="{network.pk}"' in page and "Avis du réseau" in page
    r = client.post(
        f"/appels/candidatures/{app.pk}/opinion/",
        {"network": network.pk, "verdict": "favourable", "comment": ""},
        follow=True,
    )
    assert r.status_code == 200 and "Avis enregistré." in r.content.decode()
    assert Opinion.objects.get(application=app, network=network).verdict == "favourable"


# --------------------------------------------------------------------------- committee


def test_the_committee_shows_proposed_amounts_and_the_budget_consumed(client, world):
    app = submitted(world)
    services.application_propose(actor=world["admin"], application=app, amount="800000")
    client.force_login(world["admin"])
    page = client.get(f"/appels/{world['call'].slug}/comite/").content.decode()
    assert "960\u202f000,00\u00a0€" in page  # asked, grouped the French way
    assert "<td data-proposed>800\u202f000,00\u00a0€</td>" in page
    assert "accordé et proposé" in page and "80,0 %" in page
    data = client.get(f"/appels/{world['call'].slug}/comite/?format=json").json()
    assert data["budget"]["committed"] == "800000.00"
    assert data["results"][0]["cumulated"] == "800000.00" and data["results"][0]["over_budget"] is False
