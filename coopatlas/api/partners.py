"""Foreign partner authorities over the API: search the atlas and the gazetteer, add a
missing one in one step (token), confirm one (embassy of its country, administrator).

GET  /api/v1/partners/search?q=Sikasso&country=ML  (public: reference data and public names)
POST /api/v1/partners                               (Bearer token) -> 201 the authority
POST /api/v1/partners/{slug}/confirm                (Bearer token)
POST /api/v1/partners/{slug}/invitations            (Bearer token) invite its partner officer
POST /api/v1/partners/{slug}/answers                (Bearer token) confirm or contest a
     partnership or project naming it (its partner officer; a French party's editor)
Errors are the one AppError shape (api.exception_handler): 422 naming the field, 403, 404.
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema

from coopatlas.accounts.bearer import AUTH
from coopatlas.core.errors import NotFound
from coopatlas.geo import gazetteer, partners
from coopatlas.geo.models import LocalAuthority

router = Router(tags=["partners"])


class PartnerIn(Schema):
    country: str
    name: str
    kind: str
    parent: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    place: int | None = None
    alternate_names: list[str] = []
    confirm_new: bool = False


def _out(a: LocalAuthority) -> dict:
    return {
        "slug": a.slug,
        "name": a.name,
        "kind": a.kind,
        "country": a.country_id,
        "parent": a.parent.slug if a.parent_id else None,
        "label": gazetteer.authority_label(a),
        "latitude": a.latitude,
        "longitude": a.longitude,
        "to_verify": a.to_verify,
        "verified_at": a.verified_at.isoformat() if a.verified_at else None,
        "aliases": [x.value for x in a.aliases.all()],
    }


class InvitationIn(Schema):
    email: str


class AnswerIn(Schema):
    partnership: str | None = None
    project: str | None = None
    state: str
    reason: str = ""
    account: str = ""


def _authority(slug: str, *, foreign: bool = True) -> LocalAuthority:
    found = LocalAuthority.objects.filter(slug=slug)
    if foreign:
        found = found.exclude(country_id="FR")
    a = found.first()
    if a is None:
        raise NotFound(_("Aucune collectivité étrangère « %(slug)s ».") % {"slug": slug}, field="slug")
    return a


@router.get("/search")
def search(request, q: str = "", country: str | None = None, limit: int = 12):
    return gazetteer.partner_search(q=q[:100], country=country, limit=limit)


@router.post("", auth=AUTH, response={201: dict})
def create(request, data: PartnerIn):
    a = partners.foreign_authority_create(user=request.auth, **data.dict())
    return JsonResponse(_out(a), status=201)


@router.post("/{slug}/confirm", auth=AUTH)
def confirm(request, slug: str):
    return _out(partners.foreign_authority_confirm(user=request.auth, authority=_authority(slug)))


@router.post("/{slug}/invitations", auth=AUTH, response={201: dict})
def invite(request, slug: str, data: InvitationIn):
    """The link is e-mailed to the invited officer; it is never returned here (a token in an
    API answer would outlive the e-mail's single use)."""
    from coopatlas.accounts import services as accounts

    invitation, _token = accounts.partner_invitation_create(
        user=request.auth,
        authority=_authority(slug),
        email=data.email,
        site=request.build_absolute_uri("/").rstrip("/"),
    )
    return JsonResponse(
        {
            "authority": slug,
            "email": invitation.email,
            "expires_at": invitation.expires_at.isoformat() if invitation.expires_at else None,
        },
        status=201,
    )


@router.post("/{slug}/answers", auth=AUTH)
def answer(request, slug: str, data: AnswerIn):
    from coopatlas.cooperation.models import Partnership, Project
    from coopatlas.cooperation.partner_side import answer_dict, partner_answer_record
    from coopatlas.core.errors import AppError

    if bool(data.partnership) == bool(data.project):
        raise AppError(
            _("Donnez soit « partnership » (slug du partenariat), soit « project » (slug du projet)."),
            field="partnership",
        )
    model, key = (Partnership, data.partnership) if data.partnership else (Project, data.project)
    record = model.objects.filter(model.live_q(), slug=key).first()
    if record is None:
        raise NotFound(_("Aucun enregistrement « %(slug)s ».") % {"slug": key[:80]}, field="partnership")
    saved = partner_answer_record(
        user=request.auth,
        record=record,
        authority=_authority(slug, foreign=False),
        state=data.state,
        reason=data.reason,
        account=data.account,
    )
    return answer_dict(saved)
