"""A released tranche is the ministry's disbursement on the grant's funding line (issue 12)."""

from decimal import Decimal as D

from coopatlas.calls import services
from coopatlas.cooperation.models import Payment

from .conftest import paris

BEFORE = paris(2026, 3, 1, 10, 0, 0)


def test_released_tranche_records_one_disbursement(world):
    app = services.application_start(
        actor=world["users"]["editor"],
        call=world["call"],
        project=world["project"],
        requested="960000",
        now=BEFORE,
    )
    services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)
    services.decision_record(actor=world["admin"], application=app, granted=True, amount="900000", now=BEFORE)
    app.refresh_from_db()
    first = app.tranches.get(condition="signature")
    assert not Payment.objects.exists()  # granted is committed, not paid
    services.tranche_approve(actor=world["admin"], tranche=first)
    pay = Payment.objects.get()
    assert (pay.line, pay.kind, pay.amount, pay.provider.acronym, pay.is_planned) == (
        app.funding_line,
        "3",
        first.amount,
        "DAECT",
        False,
    )
    assert pay.receiver == world["commune"]  # the project's lead authority
    assert pay.amount < D("900000")
    services.tranche_approve(actor=world["admin"], tranche=first)  # approved again: paid once
    assert Payment.objects.count() == 1
