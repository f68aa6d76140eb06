"""Pages of matchmaking: a partner request (public part; the conversation for its parties
and the embassy), suggestions for an authority, notifications, joining a programme.

AppErrors become a message on the page (nothing written), PermissionDenied a 403 page,
NotFound a 404, through the editing space's one mapping (`editor.views.guarded`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coopatlas.accounts.permissions import PermissionDenied, scope_of
from coopatlas.cooperation.models import PartnerRequest, Programme
from coopatlas.core.errors import AppError, NotFound, http_status_of
from coopatlas.editor.views import guarded
from coopatlas.geo.models import LocalAuthority

from . import selectors, services, suggestions
from .models import Interest, JoinRequest


def request_detail(request, pk: int):
    """Public page of a request; POST: interest, message or close (signed-in parties)."""
    if request.method == "POST":
        return _request_post(request, pk)
    try:
        data = selectors.request_page(pk=pk, user=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    scope = scope_of(request.user)
    record = PartnerRequest.objects.select_related("authority").get(pk=pk)
    if (
        scope.admin
        or record.authority.country_id in scope.countries
        or record.authority_id in scope.partner_authorities
    ):
        data["suggested_french"] = suggestions.suggestions_for_request(request=record)["french"]
    if request.GET.get("format") == "json":
        return JsonResponse(
            {k: v for k, v in data.items() if k != "conversations"}, json_dumps_params={"ensure_ascii": False}
        )
    return render(request, "matchmaking/request.html", {"data": data, "title": data["title"]})


@guarded
def _request_post(request, pk: int):
    record = get_object_or_404(
        PartnerRequest.objects.live().select_related("authority__country", "contact"), pk=pk
    )
    action = request.POST.get("action")
    try:
        if action == "interest":
            authority = LocalAuthority.objects.filter(pk=request.POST.get("authority") or 0).first()
            services.interest_express(
                actor=request.user,
                request=record,
                authority=authority,
                message=request.POST.get("message", ""),
            )
            messages.success(request, _("Votre intérêt est transmis à l'ambassade et à la collectivité."))
        elif action == "message":
            interest = get_object_or_404(Interest, pk=request.POST.get("interest") or 0, request=record)
            services.message_post(actor=request.user, interest=interest, body=request.POST.get("body", ""))
            messages.success(request, _("Message envoyé."))
        elif action in ("close", "reopen"):
            services.request_close(actor=request.user, request=record, reopen=action == "reopen")
            messages.success(request, _("État de la demande mis à jour."))
        else:
            messages.error(request, _("action : choisissez « intérêt », « message » ou « fermer »."))
    except PermissionDenied:
        raise
    except AppError as exc:
        messages.error(request, exc.message)
    return redirect(record.get_absolute_url())


@guarded
def authority_suggestions(request, pk: int):
    authority = get_object_or_404(LocalAuthority, pk=pk, country_id="FR")
    scope = scope_of(request.user)
    if not (scope.admin or authority.pk in scope.editor_authorities):
        raise PermissionDenied(
            _("Les suggestions de %(name)s sont réservées à ses rédacteurs.") % {"name": authority.name},
            field="authority",
        )
    data = suggestions.suggestions_for_authority(authority=authority)
    if request.GET.get("format") == "json":
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    return render(
        request,
        "matchmaking/suggestions.html",
        {"data": data, "title": _("Suggestions pour %(name)s") % {"name": authority.name}},
    )


@guarded
def notifications(request):
    data = selectors.notification_list(user=request.user)
    if request.method == "POST":
        services.notifications_read(user=request.user)
        return redirect("matchmaking:notifications")
    return render(request, "matchmaking/notifications.html", {"data": data, "title": _("Notifications")})


@guarded
@require_POST
def programme_join(request, slug: str):
    programme = get_object_or_404(Programme.objects.public(), slug=slug)
    authority = LocalAuthority.objects.filter(pk=request.POST.get("authority") or 0).first()
    try:
        services.join_request_create(
            actor=request.user,
            programme=programme,
            authority=authority,
            message=request.POST.get("message", ""),
        )
        messages.success(request, _("Demande d'adhésion envoyée au porteur du programme."))
    except PermissionDenied:
        raise
    except AppError as exc:
        messages.error(request, exc.message)
    return redirect("matchmaking:programme", slug=slug)


@guarded
def programme_members(request, slug: str):
    """The joining side of a programme: ask to join, and for its carrier, decide."""
    programme = get_object_or_404(Programme.objects.public(), slug=slug)
    if request.method == "POST":
        join = get_object_or_404(JoinRequest, pk=request.POST.get("join") or 0, programme=programme)
        try:
            services.join_request_decide(
                actor=request.user, join=join, accept=request.POST.get("accept") == "1"
            )
            messages.success(request, _("Réponse enregistrée."))
        except PermissionDenied:
            raise
        except AppError as exc:
            messages.error(request, exc.message)
        return redirect("matchmaking:programme", slug=slug)
    scope = scope_of(request.user)
    carries = services._carries(request.user, programme)
    return render(
        request,
        "matchmaking/programme.html",
        {
            "programme": programme,
            "pending": selectors.join_requests_pending(programme=programme) if carries else [],
            "carries": carries,
            "join_as": LocalAuthority.objects.filter(pk__in=scope.editor_authorities, country_id="FR")
            .exclude(programmes=programme)
            .order_by("name"),
            "title": programme.title,
        },
    )


@guarded
def my_requests(request):
    """A foreign authority's own officer (role partner): its requests and their state,
    and a form to register a new one, which waits for the embassy's validation."""
    from coopatlas.reference.models import Theme

    scope = scope_of(request.user)
    if not scope.partner_authorities:
        raise PermissionDenied(
            _(
                "Cette page est celle des agents de collectivités partenaires étrangères (invités "
                "par l'ambassade) ; une ambassade enregistre une demande depuis l'espace de saisie."
            ),
            field="user",
        )
    authorities = LocalAuthority.objects.filter(pk__in=scope.partner_authorities).order_by("name")
    themes = Theme.objects.filter(parent__parent__isnull=True)
    values = {"authority": "", "description": "", "wishes": "", "themes": []}
    status = 200
    if request.method == "POST":
        values = {
            "authority": request.POST.get("authority", ""),
            "description": request.POST.get("description", ""),
            "wishes": request.POST.get("wishes", ""),
            "themes": request.POST.getlist("themes"),
        }
        key = values["authority"] if values["authority"].isdigit() else 0
        authority = authorities.filter(pk=key).first()
        chosen = list(themes.filter(pk__in=[t for t in values["themes"] if t.isdigit()]))
        try:
            if authority is None:
                raise AppError(
                    _("authority : choisissez la collectivité pour laquelle vous déposez la demande."),
                    field="authority",
                )
            record = services.partner_request_submit(
                actor=request.user,
                authority=authority,
                description=values["description"],
                wishes=values["wishes"],
                themes=chosen,
            )
            messages.success(
                request,
                _("Demande enregistrée : l'ambassade la validera avant sa publication."),
            )
            return redirect(record.get_absolute_url())
        except PermissionDenied:
            raise
        except AppError as exc:
            messages.error(request, exc.message)
            status = http_status_of(exc)  # the one mapping: a refused form is a 422, as in the editor
    return render(
        request,
        "matchmaking/my_requests.html",
        {
            "data": {"requests": selectors.partner_requests_of(user=request.user)},
            "authorities": authorities,
            "themes": themes,
            "values": values,
            "title": _("Mes demandes de partenariat"),
        },
        status=status,
    )
