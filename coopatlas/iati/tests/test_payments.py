"""Payments on financing lines (issue 12): the service's checks, the export as IATI transactions
and planned disbursements, and a call's released tranche recorded as the ministry's disbursement."""

from datetime import date
from decimal import Decimal

import pytest

from coopatlas.cooperation.models import Payment, Project
from coopatlas.cooperation.services import payment_add, payment_warning
from coopatlas.core.errors import AppError
from coopatlas.iati.export import activity_element
from coopatlas.iati.selectors import project_export_rows


def _line(project, **kw):
    return project.funding.get(**kw)


def test_payment_defaults_provider_and_receiver(fixed_project):
    line = _line(fixed_project, year=2022)  # the funder's line
    pay = payment_add(line=line, kind="3", paid_on=date(2022, 5, 2), amount="50 000,00", source=line.source)
    assert (pay.provider, pay.receiver.name, pay.currency, pay.amount) == (
        line.funder_organisation,
        "Ille-et-Vilaine",
        "EUR",
        Decimal("50000.00"),
    )
    spent = payment_add(
        line=_line(fixed_project, year=2021),
        kind="4",
        paid_on=date(2021, 9, 1),
        amount="1200",
        source=line.source,
    )
    assert spent.provider.name == "Ille-et-Vilaine" and spent.receiver is None


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"amount": "0"}, "amount", "supérieur à zéro"),
        ({"amount": "-5"}, "amount", "négatif"),
        ({"amount": "douze"}, "amount", "n'est pas un montant"),
        ({"kind": "9"}, "kind", "n'est pas un type de paiement"),
        ({"paid_on": date(2031, 1, 1)}, "paid_on", "dans le futur"),
        ({"paid_on": None}, "paid_on", "date du paiement"),
        ({"currency": "euros"}, "currency", ""),
        ({"kind": "4", "is_planned": True}, "is_planned", "seul un décaissement"),
    ],
)
def test_bad_payment_is_refused_and_nothing_written(fixed_project, kwargs, field, words):
    line = _line(fixed_project, year=2022)
    args = {"kind": "3", "paid_on": date(2022, 5, 2), "amount": "10", **kwargs}
    with pytest.raises(AppError) as exc:
        payment_add(line=line, source=line.source, today=date(2025, 1, 1), **args)
    assert exc.value.field == field and words in exc.value.message
    assert not Payment.objects.exists()


def test_planned_payment_may_be_in_the_future_and_overpaying_warns(fixed_project):
    line = _line(fixed_project, year=2022)
    payment_add(
        line=line, kind="3", paid_on=date(2031, 1, 1), amount="1", source=line.source, is_planned=True
    )
    payment_add(line=line, kind="3", paid_on=date(2022, 5, 2), amount="150000", source=line.source)
    assert payment_warning(line) is None
    payment_add(line=line, kind="3", paid_on=date(2022, 6, 2), amount="10", source=line.source)
    assert "dépassent le montant engagé" in payment_warning(line)


def test_payments_exported_as_transactions(fixed_project):
    line = _line(fixed_project, year=2022)
    line.funder_organisation.iati_identifier = "FR-3"
    line.funder_organisation.save()
    payment_add(
        line=line,
        kind="3",
        paid_on=date(2022, 5, 2),
        amount="60000",
        currency="XOF",
        value_date=date(2022, 5, 1),
        source=line.source,
        provider_activity_id="FR-3-CML1234",
        note="Premier versement",
    )
    payment_add(
        line=_line(fixed_project, year=2021),
        kind="4",
        paid_on=date(2021, 9, 1),
        amount="1200",
        source=line.source,
    )
    payment_add(
        line=line, kind="3", paid_on=date(2026, 1, 15), amount="9000", source=line.source, is_planned=True
    )
    act = activity_element(Project.objects.get(pk=fixed_project.pk), today=date(2025, 6, 1))
    rows = {
        t.find("transaction-type").get("code"): t
        for t in act.iter("transaction")
        if t.find("transaction-type").get("code") in ("3", "4")
    }
    paid = rows["3"]
    assert paid.find("transaction-date").get("iso-date") == "2022-05-02"
    value = paid.find("value")
    assert (value.text, value.get("currency"), value.get("value-date")) == ("60000", "XOF", "2022-05-01")
    provider = paid.find("provider-org")
    assert (provider.get("ref"), provider.get("provider-activity-id")) == ("FR-3", "FR-3-CML1234")
    assert paid.findtext("receiver-org/narrative") == "Ille-et-Vilaine"
    assert paid.findtext("description/narrative") == "Premier versement"
    assert rows["4"].findtext("provider-org/narrative") == "Ille-et-Vilaine"
    planned = act.find("planned-disbursement")
    assert planned.find("period-start").get("iso-date") == "2026-01-15"
    assert planned.findtext("value") == "9000"
    # schema order: planned-disbursement sits between budget and transaction
    tags = [el.tag for el in act]
    assert tags.index("planned-disbursement") > max(i for i, t in enumerate(tags) if t == "budget")
    assert tags.index("planned-disbursement") < tags.index("transaction")


def test_deleted_payment_is_not_exported(fixed_project):
    from django.utils import timezone

    line = _line(fixed_project, year=2022)
    pay = payment_add(line=line, kind="3", paid_on=date(2022, 5, 2), amount="7777", source=line.source)
    Payment.objects.filter(pk=pay.pk).update(deleted_at=timezone.now())
    # as the export reads it: only public payments of public lines
    (project,) = project_export_rows(Project.objects.filter(pk=fixed_project.pk))
    act = activity_element(project, today=date(2025, 6, 1))
    assert "7777" not in [t.findtext("value") for t in act.iter("transaction")]


# --------------------------------------------------------------------------- editor, API, page


@pytest.fixture
def world(db):
    from coopatlas.accounts import services as accounts
    from coopatlas.accounts.tests.world import build_world

    w = build_world()
    w["tokens"] = {role: accounts.token_create(user=user)[1] for role, user in w["users"].items()}
    w["line"] = w["project"].funding.order_by("pk").first()
    return w


def test_editor_records_a_payment_in_french_and_refuses_a_bad_one(client, world):
    from django.urls import reverse

    url = reverse("editor:payments", args=[world["project"].pk])
    client.force_login(world["users"]["nobody"])
    assert client.get(url).status_code == 403
    client.force_login(world["users"]["editor"])
    page = client.get(url)
    assert page.status_code == 200 and "Nouveau paiement" in page.content.decode()
    form = {"line": str(world["line"].pk), "kind": "3", "paid_on": "2024-02-01", "amount": "12 500,50"}
    bad = client.post(url, {**form, "amount": "12,5,0"})
    assert bad.status_code == 422 and not Payment.objects.exists()
    future = client.post(url, {**form, "paid_on": "2099-01-01"})
    assert future.status_code == 422 and "dans le futur" in future.content.decode()
    assert not Payment.objects.exists()
    done = client.post(url, form)
    assert done.status_code == 302
    pay = Payment.objects.get()
    assert (pay.amount, pay.line, pay.kind) == (Decimal("12500.50"), world["line"], "3")
    assert client.post(url, {"remove": str(pay.pk)}).status_code == 302
    assert not Payment.objects.exists()


def test_api_records_a_payment_and_warns_when_over_committed(client, world):
    line = world["line"]
    url = f"/api/v1/funding/{line.pk}/payments"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens']['editor']}"}
    body = {"kind": "3", "paid_on": "2024-02-01", "amount": str(line.amount)}
    refused = client.post(url, {**body, "amount": "0"}, content_type="application/json", **auth)
    assert refused.status_code == 422 and "amount" in refused.json()["errors"]
    nobody = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens']['nobody']}"}
    assert client.post(url, body, content_type="application/json", **nobody).status_code == 403
    assert not Payment.objects.exists()
    first = client.post(url, body, content_type="application/json", **auth)
    assert first.status_code == 201, first.content
    assert first.json()["warning"] is None
    second = client.post(url, {**body, "amount": "1"}, content_type="application/json", **auth)
    assert "dépassent le montant engagé" in second.json()["warning"]
    gone = client.delete(f"/api/v1/payments/{second.json()['id']}", **auth)
    assert gone.status_code == 200 and Payment.objects.count() == 1


def test_project_page_shows_payments(client, world):
    from coopatlas.cooperation.selectors import project_detail

    line = world["line"]
    payment_add(line=line, kind="3", paid_on=date(2024, 2, 1), amount="4321", source=line.source)
    data = project_detail(slug=world["project"].slug)
    assert [(p["kind"], p["amount"], p["date"]) for p in data["payments"]] == [("3", "4321.00", "2024-02-01")]
    page = client.get(world["project"].get_absolute_url())
    assert "data-payments" in page.content.decode() and "Décaissement" in page.content.decode()
