"""Home: headline figures and type-ahead search."""

from __future__ import annotations

from django.db.models import (
    Case,
    Q,
    Value,
    When,
)
from django.utils.text import slugify

from coopatlas.core.text import fold
from coopatlas.geo.models import (
    AuthorityAlias,
    AuthorityKind,
    Country,
    LocalAuthority,
)

from ..models import (
    Organisation,
    PartnerRequest,
    Partnership,
    PartnershipParty,
    PartnershipStatus,
    Programme,
    Project,
)
from ._common import _CODE_WORD, _label, _url
from ._filters import _authority_word_q
from .authorities import _involved_authorities
from .partnerships import _partnerships_base

# --------------------------------------------------------------------------------------
# Home: headline figures, type-ahead search, map
# --------------------------------------------------------------------------------------


def headline_figures() -> dict:
    partnerships = _partnerships_base()
    parties = PartnershipParty.objects.filter(Partnership.public_q("partnership"))
    return {
        "partnerships": partnerships.count(),
        "active_partnerships": partnerships.filter(status=PartnershipStatus.ACTIVE).count(),
        "projects": Project.objects.public().filter(is_imported=False).count(),
        "french_authorities": parties.filter(authority__country_id="FR")
        .values("authority_id")
        .distinct()
        .count(),
        "partner_authorities": parties.exclude(authority__country_id="FR")
        .values("authority_id")
        .distinct()
        .count(),
        "countries": parties.exclude(authority__country_id="FR")
        .values("authority__country_id")
        .distinct()
        .count(),
        "programmes": Programme.objects.public().filter(is_open=True).count(),
        "open_partner_requests": PartnerRequest.objects.public()
        .filter(status=PartnerRequest.Status.OPEN)
        .count(),
    }


def search_suggest(*, q: str, limit: int = 10) -> list[dict]:
    """Type-ahead over authorities (names, aliases, codes), countries, partnerships, actors.

    Names that start with the query come first; accents and case do not matter.
    """
    words = fold(q or "")[:100].split()
    if not words:
        return []
    limit = max(1, min(int(limit), 50))
    out: list[dict] = []
    authorities = LocalAuthority.objects.select_related("country", "area")
    for word in words:
        authorities = authorities.filter(_authority_name_or_code_q(word))
    head = fold(q)
    starts = Case(When(search_name__startswith=head, then=Value(0)), default=Value(1))
    involved = Case(When(id__in=_involved_authorities().values("id"), then=Value(0)), default=Value(1))
    for a in authorities.order_by(starts, involved, "name")[:limit]:
        code = a.insee_code or a.siren or a.foreign_code or (a.area.code if a.area_id else "")
        out.append(
            {
                "label": f"{a.name} ({_label(AuthorityKind, a.kind)}, {a.country.name})",
                "kind": "authority",
                "code": code,
                "html_url": _url("atlas:authority", "slug", a.slug),
            }
        )
    countries = Country.objects.all()
    for word in words:
        countries = countries.filter(Q(slug__contains=slugify(word)) | Q(iso2__iexact=word))
    for c in countries[:3]:
        out.append(
            {
                "label": c.name,
                "kind": "country",
                "code": c.iso2,
                "html_url": _url("atlas:country", "slug", c.slug),
            }
        )
    partnerships = _partnerships_base()
    for word in words:
        partnerships = partnerships.filter(slug__contains=slugify(word))
    for p in partnerships.only("slug", "title")[:5]:
        out.append(
            {
                "label": p.title,
                "kind": "partnership",
                "code": p.slug,
                "html_url": _url("atlas:partnership", "slug", p.slug),
            }
        )
    organisations = Organisation.objects.public()
    for word in words:
        organisations = organisations.filter(search_name__contains=word)
    for o in organisations[:3]:
        out.append(
            {
                "label": str(o),
                "kind": "organisation",
                "code": o.acronym or o.slug,
                "html_url": _url("atlas:organisation", "slug", o.slug),
            }
        )
    return out[:limit]


def _authority_name_or_code_q(word: str) -> Q:
    """Like the list search, without matching every authority of a country by its name."""
    q = _authority_word_q(word)
    if _CODE_WORD.match(word):
        return q
    aliases = AuthorityAlias.objects.filter(search_value__contains=word).values("authority_id")
    return Q(search_name__contains=word) | Q(id__in=aliases)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
