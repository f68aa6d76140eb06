"""Editing space: "partner not found? add it" in one step, and the embassy's list of
added foreign authorities to confirm. Writes go through geo.partners."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coopatlas.accounts.permissions import PermissionDenied, scope_of
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


urlpatterns = [
    path("partenaires/ajouter/", partner_add, name="partner_add"),
    path("partenaires/a-verifier/", partner_review, name="partner_review"),
]
