"""A small fictional atlas with one account per role, shared by the accounts and API tests.

Scopes (see `small_atlas`): the editor belongs to the commune Zörglüb (party of
`zorglub-quimbe`, lead of `puits-quimbe`); the facilitator was granted access by the
département (party of `zorglub-quenard`); the embassy is QM's (the project `puits-quimbe`
and the partner request of the Cercle de Quimbé lie there); `nobody` has no role.
"""

from __future__ import annotations

from decimal import Decimal

from coopatlas.accounts import services
from coopatlas.accounts.models import User
from coopatlas.cooperation.models import Project
from coopatlas.cooperation.tests import factories as f

PASSWORD = "correct horse battery"  # noqa: S105 - test accounts only


def build_world() -> dict:
    atlas = f.small_atlas()
    # The factory's financing lines exceed the budget; make the project consistent so
    # updates through the services are accepted.
    Project.objects.filter(pk=atlas["project"].pk).update(budget=Decimal("2000000.00"))
    atlas["project"].refresh_from_db()
    atlas["project2"] = f.ProjectFactory(
        title="Projet Quenard",
        slug="projet-quenard",
        participants=[(atlas["dept"], "lead"), atlas["ville"]],
        countries=[atlas["qn"]],
        partnerships=[atlas["p2"]],
    )
    users = {
        "editor": services.user_add(
            email="editor@example.org", role="editor", authorities=[atlas["commune"]], password=PASSWORD
        )[0],
        "facilitator": services.user_add(
            email="network@example.org",
            role="facilitator",
            authorities=[atlas["dept"]],
            password=PASSWORD,
            organisation=atlas["org"],
            programmes=[atlas["programme"]],
        )[0],
        "embassy": services.user_add(
            email="embassy@example.org", role="embassy", country=atlas["qm"], password=PASSWORD
        )[0],
        "admin": services.user_add(email="admin@example.org", role="admin", password=PASSWORD)[0],
        "nobody": User.objects.create_user(email="nobody@example.org", password=PASSWORD),
    }
    return {**atlas, "users": users}


# The permission matrix: (action, role, target, allowed). Targets: partnerships p1 (commune
# Zörglüb + Cercle de Quimbé, QM) and p2 (département + Ville de Quenard, QN); projects
# `project` (QM, led by the commune) and `project2` (QN, led by the département). For
# creates, the target names whose parties (p1/p2) or which foreign authority (cercle: QM,
# ville: QN) the new record has.
ROLES = ["editor", "facilitator", "embassy", "admin", "nobody"]
_IN = {  # role: targets in scope, per action family
    # an embassy records and corrects partnerships with an authority of its country (issue 9)
    "edit_partnership": {"editor": {"p1"}, "facilitator": {"p2"}, "embassy": {"p1"}, "admin": {"p1", "p2"}},
    "edit_project": {
        "editor": {"project"},
        "facilitator": {"project2"},
        "embassy": {"project"},
        "admin": {"project", "project2"},
    },
    "delete_project": {"editor": {"project"}, "facilitator": {"project2"}, "admin": {"project", "project2"}},
    "create_partnership": {
        "editor": {"p1"},
        "facilitator": {"p2"},
        "embassy": {"p1"},
        "admin": {"p1", "p2"},
    },
    "create_request": {"embassy": {"cercle"}, "admin": {"cercle", "ville"}},
    "publish_project": {"embassy": {"project"}, "admin": {"project", "project2"}},
    "submit_project": {
        "editor": {"project"},
        "facilitator": {"project2"},
        "embassy": {"project"},
        "admin": {"project", "project2"},
    },
    "history_project": {
        "editor": {"project"},
        "facilitator": {"project2"},
        "embassy": {"project"},
        "admin": {"project", "project2"},
    },
    "restore_project": {"admin": {"project", "project2"}},
}
_TARGETS = {
    "edit_partnership": ("p1", "p2"),
    "create_partnership": ("p1", "p2"),
    "create_request": ("cercle", "ville"),
}
MATRIX = [
    (action, role, target, target in _IN[action].get(role, set()))
    for action in _IN
    for role in ROLES
    for target in _TARGETS.get(action, ("project", "project2"))
]
