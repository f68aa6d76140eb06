"""Editing space: "partner not found? add it" in one step, and the embassy's list of
added foreign authorities to confirm. Writes go through geo.partners."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coopatlas.accounts import services as account_services
from coopatlas.accounts.permissions import PermissionDenied, can_invite_partner, scope_of
from coopatlas.cooperation.models import PartnerConfirmation, Partnership, Project
from coopatlas.cooperation.partner_side import (
    partner_answer_record,
    partner_correction_propose,
    partner_records_for,
)
from coopatlas.core.errors import AppError
from coopatlas.geo import partners
from coopatlas.geo.gazetteer import authority_label
from coopatlas.geo.models import AuthorityKind, LocalAuthority

from .errors import form_add_app_error
from .forms import _picker

FOREIGN_KINDS = [(k, v) for k, v in AuthorityKind.choices if k not in partners.FRENCH_ONLY_KINDS]


class PartnerAddForm(forms.Form):
    country = forms.CharField(label=_("Pays (code ISO : ML, MG, HT…)"), max_length=2)
    name = forms.CharField(label=_("Nom, tel que la collectivité l'écrit"), max_length=300)
    kind = forms.ChoiceField(label=_("Type"), choices=FOREIGN_KINDS)
    parent = _picker(
        _("Territoire parent (région, cercle…)"),
        "authorities",
        many=False,
        help_text=_("Choisissez-le dans la liste : il doit être du même pays."),
    )
    latitude = forms.FloatField(label=_("Latitude"), required=False)
    longitude = forms.FloatField(label=_("Longitude"), required=False)
    place = forms.IntegerField(
        label=_("Lieu GeoNames (identifiant)"),
        required=False,
        widget=forms.TextInput(attrs={"data-picker": "places", "autocomplete": "off"}),
    )
    alternate_names = forms.CharField(
        label=_("Autres noms (un par ligne)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm_new = forms.BooleanField(
        label=_("Aucune de ces propositions : c'est bien une autre collectivité"), required=False
    )


@login_required
def partner_add(request):
    similar = []
    form = PartnerAddForm(request.POST or None, initial={"country": request.GET.get("pays", "")})
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            a = partners.foreign_authority_create(
                user=request.user,
                country=cd["country"],
                name=cd["name"],
                kind=cd["kind"],
                parent=cd["parent"] or None,
                latitude=cd["latitude"],
                longitude=cd["longitude"],
                place=cd["place"],
                alternate_names=cd["alternate_names"].splitlines(),
                confirm_new=cd["confirm_new"],
            )
        except AppError as exc:
            similar = (exc.errors or {}).get("similar", [])
            errors = {k: v for k, v in (exc.errors or {}).items() if k != "similar"}
            exc.errors = errors or None
            form_add_app_error(form, exc)
        else:
            messages.success(request, gettext("%(label)s ajoutée.") % {"label": authority_label(a)})
            return redirect(a.get_absolute_url())
    return render(request, "editor/partner_add.html", {"form": form, "similar": similar})


@login_required
def partner_review(request):
    """Foreign authorities added by editors, waiting for the embassy of their country."""
    scope = scope_of(request.user)
    if not (scope.admin or scope.countries):
        return render(
            request,
            "editor/forbidden.html",
            {"message": gettext("Réservé aux agents d'ambassade et aux administrateurs.")},
            status=403,
        )
    waiting = LocalAuthority.objects.filter(to_verify=True, is_current=True).select_related(
        "country", "parent", "source"
    )
    if not scope.admin:
        waiting = waiting.filter(country_id__in=scope.countries)
    if request.method == "POST":
        a = get_object_or_404(LocalAuthority, pk=request.POST.get("authority"))
        try:
            partners.foreign_authority_confirm(user=request.user, authority=a)
        except PermissionDenied as exc:
            return render(request, "editor/forbidden.html", {"message": exc.message}, status=403)
        messages.success(request, gettext("%(name)s confirmée.") % {"name": a.name})
        return redirect("editor:partner_review")
    rows = [{"authority": a, "label": authority_label(a)} for a in waiting[:500]]
    return render(request, "editor/partner_review.html", {"rows": rows})


# --- the partner side -------------------------------------------------------------------


class PartnerInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse électronique de l'agent de la collectivité partenaire"), max_length=254
    )


@login_required
def partner_invite(request, pk: int):
    """« Inviter la partie partenaire »: the link is e-mailed and shown here once."""
    authority = get_object_or_404(LocalAuthority.objects.select_related("country"), pk=pk)
    if not can_invite_partner(user=request.user, authority=authority):
        return render(
            request,
            "editor/forbidden.html",
            {
                "message": gettext(
                    "Seuls l'ambassade de son pays, un administrateur ou le rédacteur d'une "
                    "collectivité française en partenariat avec elle invitent la partie partenaire."
                )
            },
            status=403,
        )
    form = PartnerInviteForm(request.POST or None)
    link = None
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = account_services.partner_invitation_create(
                user=request.user,
                authority=authority,
                email=form.cleaned_data["email"],
                site=request.build_absolute_uri("/").rstrip("/"),
            )
        except AppError as exc:
            form_add_app_error(form, exc)
        else:
            link = request.build_absolute_uri(reverse("accounts:invitation", kwargs={"token": token}))
            messages.success(
                request, gettext("Invitation envoyée à %(email)s.") % {"email": invitation.email}
            )
            form = PartnerInviteForm()
    return render(
        request,
        "editor/partner_invite.html",
        {"form": form, "authority": authority, "label": authority_label(authority), "link": link},
    )


class PartnerAnswerForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Votre réponse"),
        widget=forms.RadioSelect,
        choices=[
            (PartnerConfirmation.State.CONFIRMED, PartnerConfirmation.State.CONFIRMED.label),
            (PartnerConfirmation.State.CONTESTED, PartnerConfirmation.State.CONTESTED.label),
        ],
    )
    reason = forms.CharField(
        label=_("Motif (si vous contestez)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    account = forms.CharField(
        label=_("Résultats et besoins, selon votre collectivité"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@login_required
def partner_side(request):
    """The partner officer's page: each partnership and project naming its authority,
    confirmed, contested or waiting for its answer."""
    scope = scope_of(request.user)
    if not scope.partner_authorities and not (
        scope.editor_authorities
        and PartnerConfirmation.objects.filter(authority_id__in=scope.editor_authorities).exists()
    ):
        return render(
            request,
            "editor/forbidden.html",
            {
                "message": gettext(
                    "Réservé aux agents des collectivités partenaires (sur invitation) et aux "
                    "rédacteurs d'une collectivité française à qui l'on demande de confirmer un "
                    "partenariat."
                )
            },
            status=403,
        )
    errors, status = {}, 200
    if request.method == "POST":
        kind, key = request.POST.get("kind"), request.POST.get("record", "")
        model = {"partnership": Partnership, "project": Project}.get(kind)
        record = model.objects.filter(pk=key).first() if model and key.isdigit() else None
        authority_key = request.POST.get("authority", "")
        authority = (
            LocalAuthority.objects.filter(pk=authority_key).first() if authority_key.isdigit() else None
        )
        form = PartnerAnswerForm(request.POST)
        correcting = request.POST.get("action") == "correct"
        if record is not None and authority is not None and correcting:
            try:
                partner_correction_propose(
                    user=request.user,
                    record=record,
                    authority=authority,
                    changes={"description": request.POST.get("description", "")},
                )
            except PermissionDenied as exc:
                return render(request, "editor/forbidden.html", {"message": exc.message}, status=403)
            except AppError as exc:
                errors[(kind, key)] = exc.message
                status = 422
            else:
                messages.success(
                    request,
                    gettext(
                        "Correction proposée : elle paraîtra une fois validée par l'ambassade ou "
                        "le ministère."
                    ),
                )
                return redirect("editor:partner_side")
        elif record is None or authority is None:
            errors[(kind, key)] = gettext("Enregistrement introuvable : rechargez la page.")
            status = 404
        elif form.is_valid():
            try:
                partner_answer_record(
                    user=request.user, record=record, authority=authority, **form.cleaned_data
                )
            except PermissionDenied as exc:
                return render(request, "editor/forbidden.html", {"message": exc.message}, status=403)
            except AppError as exc:
                errors[(kind, key)] = exc.message
                status = 422
            else:
                messages.success(
                    request, gettext("Réponse enregistrée : %(title)s.") % {"title": record.title}
                )
                return redirect("editor:partner_side")
        else:
            errors[(kind, key)] = " ".join(e for v in form.errors.values() for e in v)
            status = 422
    groups = partner_records_for(user=request.user)
    for group in groups:
        for row in group["rows"]:
            row["error"] = errors.get((row["kind"], str(row["record"].pk)))
            answer = row["answer"]
            row["form"] = PartnerAnswerForm(
                initial={"state": answer.state, "reason": answer.reason, "account": answer.account}
                if answer
                else None,
                auto_id=f"id_{row['kind']}{row['record'].pk}_%s",
            )  # one form per row
    return render(request, "editor/partner_side.html", {"groups": groups}, status=status)


urlpatterns = [
    path("partenaires/ajouter/", partner_add, name="partner_add"),
    path("partenaires/a-verifier/", partner_review, name="partner_review"),
    path("partenaires/<int:pk>/inviter/", partner_invite, name="partner_invite"),
    path("partie-partenaire/", partner_side, name="partner_side"),
]
