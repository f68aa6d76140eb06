from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def world(db):
    from coopatlas.accounts.tests.world import build_world
    from coopatlas.calls import services

    w = build_world()
    rulesets = {r.key + f"-v{r.version}": r for r in services.rulesets_load_shipped()}
    admin = w["users"]["admin"]
    call = services.call_create(
        actor=admin,
        slug="aap-test-2026",
        title="AAP généraliste test 2026",
        ruleset=rulesets["daect-generaliste-v1"],
        opens_at=paris(2026, 1, 5, 9, 0, 0),
        deadline_at=paris(2026, 3, 29, 12, 0, 0),  # the day clocks go forward (CEST)
        opinion_deadline_at=paris(2026, 4, 30, 18, 0, 0),
        budget="1000000",
    )
    call = services.call_open(actor=admin, call=call)
    w.update(call=call, rulesets=rulesets, admin=admin)
    return w
