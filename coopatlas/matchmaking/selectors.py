"""Reads of matchmaking: a partner request's page (public part and, for its parties and
the embassy only, the conversations), notifications, programme joining state."""

from __future__ import annotations

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from coopatlas.accounts.permissions import can_edit, can_publish, scope_of
from coopatlas.cooperation.models import Contact, PartnerRequest, Programme, ProgrammeMembership
from coopatlas.cooperation.selectors import partner_request_detail
from coopatlas.cooperation.selectors._common import authority_ref
from coopatlas.core.errors import NotFound
from coopatlas.geo.models import LocalAuthority

from .models import Interest, JoinRequest, Notification


def interest_url(interest: Interest) -> str:
    return reverse("matchmaking:request", kwargs={"pk": interest.request_id}) + f"#interet-{interest.pk}"


def programme_url(programme: Programme) -> str:
    return reverse("atlas:programme", kwargs={"slug": programme.slug})


def request_is_expired(request: PartnerRequest, now=None) -> bool:
    """Expiry follows the yearly confirmation of every record (cooperation.editing's
    `confirm_deadline`, 12 months): a request neither confirmed nor edited for a year is
    expired until its embassy confirms it."""
    from coopatlas.cooperation.editing import confirm_deadline

    if request.status not in (PartnerRequest.Status.OPEN, PartnerRequest.Status.IN_TALKS):
        return False
    return (request.confirmed_at or request.created_at) < confirm_deadline(now)


def can_see_interest(*, user, interest: Interest) -> bool:
    """The conversation is private to the interested French authority's editors, the
    requesting authority's officers, the embassy of its country and administrators."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    scope = scope_of(user)
    return (
        scope.admin
        or interest.authority_id in scope.editor_authorities
        or interest.request.authority_id in scope.partner_authorities
        or interest.request.authority.country_id in scope.countries
    )


def visible_interests_q(user) -> Q:
    """`can_see_interest` as a filter (the conversation list of a request, the inbox)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    scope = scope_of(user)
    if scope.admin:
        return Q()
    return (
        Q(authority_id__in=scope.editor_authorities)
        | Q(request__authority_id__in=scope.partner_authorities)
        | Q(request__authority__country_id__in=scope.countries)
    )


def _can_see_unpublished(user, request: PartnerRequest) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        can_edit(user=user, record=request)
        or can_publish(user=user, record=request)
        or request.authority_id in scope_of(user).partner_authorities
    )


def _embassy_contact(request: PartnerRequest) -> dict | None:
    """The request's own contact, else the embassy's published contact in the country."""
    contact = request.contact if request.contact_id and request.contact.is_public else None
    if contact is None:
        qs = Contact.objects.public().filter(country_id=request.authority.country_id, authority__isnull=True)
        if request.registered_by_id:
            qs = qs.filter(organisation_id=request.registered_by_id) or qs
        contact = qs.order_by("pk").first()
    if contact is None:
        return None
    return {"name": contact.name, "role": contact.role, "email": contact.email, "phone": contact.phone}


def request_page(*, pk: int, user=None) -> dict:
    """The request's fiche: the public fields (the same dict as the atlas and the API),
    plus what this user may do and, for the parties and the embassy, the conversations."""
    request = (
        PartnerRequest.objects.live()
        .select_related("authority__country", "partnership", "contact")
        .filter(pk=pk)
        .first()
    )
    if request is None or not (request.is_public or _can_see_unpublished(user, request)):
        raise NotFound(_("Aucune demande de partenariat publiée n° %(pk)s.") % {"pk": pk}, field="id")
    if request.is_public:
        out = partner_request_detail(pk=pk)
    else:
        out = {
            "id": request.pk,
            "title": f"{request.authority.name} ({request.authority.country.name})",
            "authority": authority_ref(request.authority),
            "description": request.description,
            "wishes": request.wishes,
            "themes": [],
            "status": request.status,
            "status_label": request.get_status_display(),
            "registered_year": request.registered_year,
            "sources": [],
        }
    out["publication_status"] = request.publication_status
    out["since"] = request.registered_year or request.created_at.year
    out["expired"] = request_is_expired(request)
    out["embassy_contact"] = _embassy_contact(request)
    out["partnership"] = (
        {"title": request.partnership.title, "url": request.partnership.get_absolute_url()}
        if request.partnership_id and request.partnership.is_public
        else None
    )
    scope = scope_of(user) if user is not None else None
    out["answer_as"] = []
    if (
        scope is not None
        and request.is_public
        and not out["expired"]
        and request.status in (PartnerRequest.Status.OPEN, PartnerRequest.Status.IN_TALKS)
    ):
        taken = set(request.interests.values_list("authority_id", flat=True))
        out["answer_as"] = [
            {"id": a.pk, "name": a.name}
            for a in LocalAuthority.objects.filter(pk__in=scope.editor_authorities, country_id="FR")
            .exclude(pk__in=taken)
            .order_by("name")
        ]
    out["can_close"] = bool(
        scope is not None
        and request.status != PartnerRequest.Status.MATCHED
        and (
            scope.admin
            or request.authority.country_id in scope.countries
            or request.authority_id in scope.partner_authorities
        )
    )
    out["conversations"] = [
        {
            "id": i.pk,
            "authority": authority_ref(i.authority),
            "created_at": i.created_at,
            "messages": [
                {"author": m.author_email, "side": m.side, "body": m.body, "at": m.at}
                for m in i.messages.all()
            ],
        }
        for i in Interest.objects.filter(request=request)
        .filter(visible_interests_q(user))
        .select_related("authority__country", "request__authority")
        .prefetch_related("messages")
        .order_by("created_at")
    ]
    out["interest_count"] = request.interests.count()
    return out


def notification_list(*, user, limit: int = 50) -> dict:
    qs = Notification.objects.filter(user=user)
    return {
        "unread": qs.filter(read_at__isnull=True).count(),
        "results": [
            {"text": n.text, "url": n.url, "at": n.created_at, "unread": n.read_at is None}
            for n in qs[:limit]
        ],
    }


def authority_programmes(*, authority: LocalAuthority) -> list[dict]:
    """The programmes an authority belongs to (on its fiche)."""
    return [
        {"title": m.programme.title, "url": programme_url(m.programme), "joined_year": m.joined_year}
        for m in ProgrammeMembership.objects.filter(
            authority=authority, programme__in=Programme.objects.public()
        )
        .select_related("programme")
        .order_by("programme__title")
    ]


def join_requests_pending(*, programme: Programme) -> list[JoinRequest]:
    return list(
        JoinRequest.objects.filter(programme=programme, state=JoinRequest.State.PENDING)
        .select_related("authority")
        .order_by("created_at")
    )


def partner_requests_of(*, user) -> list[dict]:
    """The requests of the foreign authorities a partner officer answers for, whatever their
    publication state (its own, awaiting the embassy's validation, included), with their
    conversations' counts: the officer's page to follow them."""
    scope = scope_of(user)
    rows = (
        PartnerRequest.objects.live()
        .filter(authority_id__in=scope.partner_authorities)
        .select_related("authority__country")
        .annotate(n_interests=Count("interests", distinct=True), last=Max("interests__messages__at"))
        .order_by("-created_at")
    )
    return [
        {
            "id": r.pk,
            "url": r.get_absolute_url(),
            "authority": r.authority.name,
            "country": r.authority.country.name,
            "description": r.description,
            "status": r.status,
            "status_label": r.get_status_display(),
            "publication_status": r.publication_status,
            "publication_label": r.get_publication_status_display(),
            "interests": r.n_interests,
            "last_message_at": r.last,
        }
        for r in rows
    ]
