"""Payments of a project's financing lines (issue 12): disbursements, expenditures, incoming
funds, each on its line; they feed the project page and the IATI transactions."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coopatlas.accounts.permissions import require
from coopatlas.cooperation import editing
from coopatlas.cooperation.models import Payment
from coopatlas.cooperation.services import payment_warning
from coopatlas.core.errors import AppError
from coopatlas.core.parse import AmountField, amount_display, parse_id

from .errors import form_add_app_error
from .forms import party_from_text
from .views import _record, guarded


def _line_label(line) -> str:
    parts = [str(line.funder), f"{amount_display(line.amount)} {line.currency}"]
    if line.year:
        parts.append(str(line.year))
    return " — ".join(parts)


class PaymentForm(forms.Form):
    line = forms.ChoiceField(label=_("Ligne de financement"))
    kind = forms.ChoiceField(label=_("Type"), choices=Payment.Kind.choices, initial=Payment.Kind.DISBURSEMENT)
    paid_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    amount = AmountField(
        label=_("Montant"),
        min_value=0,
        decimal_places=2,
        max_digits=16,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 14}),
        help_text=_("Comme sur papier : 48 000,00"),
    )
    currency = forms.CharField(
        label=_("Devise"),
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"size": 4}),
        help_text=_("Vide : celle de la ligne"),
    )
    value_date = forms.DateField(
        label=_("Date de change"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Si le taux de change n'est pas celui du jour du paiement"),
    )
    provider = forms.CharField(
        label=_("Payé par"),
        required=False,
        widget=forms.TextInput(attrs={"data-picker": "funders", "autocomplete": "off"}),
        help_text=_("Vide : le financeur de la ligne (une dépense : la collectivité cheffe de file)"),
    )
    receiver = forms.CharField(
        label=_("Reçu par"),
        required=False,
        widget=forms.TextInput(attrs={"data-picker": "funders", "autocomplete": "off"}),
        help_text=_("Vide : la collectivité cheffe de file"),
    )
    provider_activity_id = forms.CharField(
        label=_("Identifiant IATI de l'activité du financeur"),
        required=False,
        max_length=200,
        help_text=_("S'il publie cette activité en IATI (ex. FR-3-CML1234)"),
    )
    is_planned = forms.BooleanField(label=_("Prévu (pas encore versé)"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(str(x.pk), _line_label(x)) for x in lines]

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper() or None


def _add(request, project, form, lines: dict) -> Payment:
    cd = form.cleaned_data
    line = lines.get(int(cd["line"]))
    if line is None:
        raise Http404
    parties = {}
    for role in ("provider", "receiver"):
        for kind, found in party_from_text(cd.get(role), field=role).items():
            parties[f"{role}_{kind}"] = found
    return editing.payment_add(
        actor=request.user,
        line=line,
        kind=cd["kind"],
        paid_on=cd["paid_on"],
        amount=cd["amount"],
        currency=cd.get("currency"),
        value_date=cd.get("value_date"),
        is_planned=cd.get("is_planned") or False,
        provider_activity_id=(cd.get("provider_activity_id") or "").strip(),
        note=cd.get("note") or "",
        **parties,
    )


@guarded
def payments_edit(request, pk: int):
    project = _record("projets", pk)
    require("edit", user=request.user, record=project)
    lines = {
        x.pk: x
        for x in project.funding.filter(deleted_at__isnull=True)
        .select_related("funder_authority", "funder_organisation")
        .order_by("pk")
    }
    status = 200
    form = PaymentForm(request.POST or None, lines=lines.values())
    if request.method == "POST" and request.POST.get("remove"):
        payment = Payment.objects.filter(
            pk=_int(request.POST["remove"]), line__in=list(lines.values())
        ).first()
        if payment is None:
            raise Http404
        editing.payment_remove(actor=request.user, payment=payment)
        messages.success(request, gettext("Paiement retiré."))
        return redirect("editor:payments", pk=project.pk)
    if request.method == "POST":
        if form.is_valid():
            try:
                payment = _add(request, project, form, lines)
            except AppError as exc:
                form_add_app_error(form, exc, prefix="")
                status = 422
            else:
                messages.success(request, gettext("Paiement enregistré."))
                warning = payment_warning(payment.line)
                if warning:
                    messages.warning(request, warning)
                return redirect("editor:payments", pk=project.pk)
        else:
            status = 422
    payments = (
        Payment.objects.filter(line__in=list(lines.values()), deleted_at__isnull=True)
        .select_related(
            "line__funder_authority",
            "line__funder_organisation",
            "provider_authority",
            "provider_organisation",
            "receiver_authority",
            "receiver_organisation",
        )
        .order_by("paid_on", "pk")
    )
    return render(
        request,
        "editor/payments_form.html",
        {
            "project": project,
            "form": form,
            "payments": payments,
            "has_lines": bool(lines),
            "title": gettext("Paiements"),
        },
        status=status,
    )


def _int(text: str) -> int:
    try:
        return parse_id(text, field="remove")
    except AppError as exc:
        raise Http404 from exc


urlpatterns = [path("projets/<int:pk>/paiements/", payments_edit, name="payments")]
