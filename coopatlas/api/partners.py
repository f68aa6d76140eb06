"""Foreign partner authorities over the API: search the atlas and the gazetteer, add a
missing one in one step (token), confirm one (embassy of its country, administrator).

GET  /api/v1/partners/search?q=Sikasso&country=ML  (public: reference data and public names)
POST /api/v1/partners                               (Bearer token) -> 201 the authority
POST /api/v1/partners/{slug}/confirm                (Bearer token)
Errors are the one AppError shape (api.exception_handler): 422 naming the field, 403, 404.
"""

from django.http import JsonResponse
from ninja import Router, Schema

from coopatlas.core.errors import NotFound
from coopatlas.geo import gazetteer, partners
from coopatlas.geo.models import LocalAuthority

from .auth import AUTH

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


@router.get("/search")
def search(request, q: str = "", country: str | None = None, limit: int = 12):
    return gazetteer.partner_search(q=q[:100], country=country, limit=limit)


@router.post("", auth=AUTH, response={201: dict})
def create(request, data: PartnerIn):
    a = partners.foreign_authority_create(user=request.auth, **data.dict())
    return JsonResponse(_out(a), status=201)


@router.post("/{slug}/confirm", auth=AUTH)
def confirm(request, slug: str):
    a = LocalAuthority.objects.filter(slug=slug).exclude(country_id="FR").first()
    if a is None:
        raise NotFound(f"Aucune collectivité étrangère « {slug} ».", field="slug")
    return _out(partners.foreign_authority_confirm(user=request.auth, authority=a))
