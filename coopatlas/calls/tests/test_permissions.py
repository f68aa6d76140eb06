"""Who may do what on calls and applications, at the service level: authority (the
project's editor), another authority (the facilitator of the département, not in the
project), the partner country's embassy (QM), the ministry (admin), a user without role
and an anonymous visitor. A refusal writes nothing."""

import pytest
from django.contrib.auth.models import AnonymousUser

from coopatlas.accounts.permissions import PermissionDenied
from coopatlas.calls import services
from coopatlas.core.testing import assert_nothing_written, table_counts

from .conftest import paris

NOW = paris(2026, 3, 1, 10, 0, 0)
ROLES = ["editor", "facilitator", "embassy", "admin", "nobody", "anonymous"]


def submitted(world):
    app = services.application_start(
        actor=world["users"]["editor"],
        call=world["call"],
        project=world["project"],
        requested="960000",
        now=NOW,
    )
    services.application_submit(actor=world["users"]["editor"], application=app, now=NOW)
    app.refresh_from_db()
    return app


def draft(world):
    return services.application_start(
        actor=world["users"]["editor"],
        call=world["call"],
        project=world["project"],
        requested="960000",
        now=NOW,
    )


def _network(world):
    """The facilitator's organisation, made a regional network (RRMA)."""
    from coopatlas.cooperation.models import Organisation

    Organisation.objects.filter(pk=world["org"].pk).update(kind=Organisation.Kind.NETWORK)
    world["org"].refresh_from_db()
    return world["org"]


def submitted_to_network(world):
    app = submitted(world)
    _network(world)
    services.network_opinion_request(
        actor=world["admin"],
        application=app,
        network=world["org"],
        due_at=paris(2026, 4, 1, 0, 0, 0),
        now=NOW,
    )
    return app


def submitted_with_network(world):
    app = submitted(world)
    _network(world)
    return app


ACTIONS = {
    "call_create": (
        None,
        lambda w, u, a: services.call_create(
            actor=u,
            slug="x",
            title="X",
            ruleset=w["call"].ruleset,
            opens_at=paris(2026, 5, 1, 0, 0, 0),
            deadline_at=paris(2026, 6, 1, 0, 0, 0),
        ),
    ),
    "ruleset_load": (
        None,
        lambda w, u, a: services.ruleset_load(actor=u, text="key: y\ntitle: Y\nsource: s\n"),
    ),
    "apply": (
        None,
        lambda w, u, a: services.application_start(
            actor=u, call=w["call"], project=w["project"], requested="960000", now=NOW
        ),
    ),
    "submit": (draft, lambda w, u, a: services.application_submit(actor=u, application=a, now=NOW)),
    "return": (
        submitted,
        lambda w, u, a: services.application_return(actor=u, application=a, comment="Complétez."),
    ),
    "opinion": (
        submitted,
        lambda w, u, a: services.opinion_give(
            actor=u, application=a, country=w["qm"], verdict="favourable", now=NOW
        ),
    ),
    "score": (
        submitted,
        lambda w, u, a: services.scores_set(
            actor=u, application=a, values={"pertinence": 1, "partenariat": 1, "faisabilite": 1, "impact": 1}
        ),
    ),
    "decide": (
        submitted,
        lambda w, u, a: services.decision_record(actor=u, application=a, granted=False, reason="Non."),
    ),
    "propose": (
        submitted,
        lambda w, u, a: services.application_propose(actor=u, application=a, amount="500000"),
    ),
    "network_request": (
        submitted_with_network,
        lambda w, u, a: services.network_opinion_request(actor=u, application=a, network=w["org"], now=NOW),
    ),
    "network_opinion": (
        submitted_to_network,
        lambda w, u, a: services.opinion_give(
            actor=u, application=a, network=w["org"], verdict="favourable", now=NOW
        ),
    ),
}
ALLOWED = {
    "call_create": {"admin"},
    "ruleset_load": {"admin"},
    "apply": {"editor", "admin"},
    "submit": {"editor", "admin"},
    "return": {"admin"},
    "opinion": {"embassy", "admin"},
    "score": {"admin"},
    "decide": {"admin"},
    "propose": {"admin"},
    "network_request": {"admin"},
    # the network's facilitator (its Membership.organisation), or the ministry
    "network_opinion": {"facilitator", "admin"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_matrix(world, action, role):
    user = AnonymousUser() if role == "anonymous" else world["users"][role]
    prepare, run = ACTIONS[action]
    app = prepare(world) if prepare else None
    before = table_counts()
    if role in ALLOWED[action]:
        run(world, user, app)
        return
    with pytest.raises(PermissionDenied) as exc:
        run(world, user, app)
    assert exc.value.field in ("user", "project")
    assert_nothing_written(before)


def test_who_sees_an_application(world):
    from coopatlas.calls.access import may_see_application
    from coopatlas.calls.selectors import applications_visible

    app = submitted(world)
    seen = {
        r: may_see_application(world["users"][r], app)
        for r in ("editor", "facilitator", "embassy", "admin", "nobody")
    }
    assert seen == {"editor": True, "facilitator": False, "embassy": True, "admin": True, "nobody": False}
    assert list(applications_visible(user=world["users"]["facilitator"])) == []
    assert list(applications_visible(user=world["users"]["embassy"])) == [app]
