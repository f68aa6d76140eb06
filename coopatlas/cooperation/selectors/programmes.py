"""Turnkey programmes: list and fiche."""

from __future__ import annotations

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from coopatlas.cooperation.filters import AtlasFilters, check_choice
from coopatlas.core.errors import NotFound
from coopatlas.core.shapes import kept_prefetch

from ..models import (
    Programme,
    ProgrammeMembership,
)
from ._common import (
    _country_dict,
    _money,
    _organisation_ref,
    _theme_dict,
    _theme_subtree_ids,
    _themes_by_id,
    _url,
    authority_joins,
    authority_ref,
    is_lookup_key,
)
from ._facets import _facet_countries, _facet_themes
from ._filters import _list_result, _paginate, _period_q, summaries, title_word_q
from ._sources import _sources

# --------------------------------------------------------------------------------------
# Programmes
# --------------------------------------------------------------------------------------

_PROGRAMME_STATUS = [("open", "Ouvert aux nouveaux membres"), ("closed", "Fermé")]


def _member_count():
    sub = (
        ProgrammeMembership.objects.filter(programme_id=OuterRef("id"))
        .order_by()
        .values("programme_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def _programme_rows(qs: QuerySet) -> QuerySet:
    return (
        qs.select_related(
            "carrier_organisation",
            *authority_joins("carrier_authority"),
            "source__document",
        )
        .prefetch_related(
            kept_prefetch(Programme, "countries", "programme_rows.countries"),
            kept_prefetch(Programme, "themes", "programme_rows.themes"),
        )
        # A subquery, not a GROUP BY over every joined column (issue 15): the same count.
        .annotate(member_count=_member_count())
        .order_by("title", "id")
    )


def _programme_summary(p: Programme) -> dict:
    if p.carrier_authority_id:
        carrier = authority_ref(p.carrier_authority)
    elif p.carrier_organisation_id and p.carrier_organisation.is_public:
        carrier = _organisation_ref(p.carrier_organisation)
    else:
        carrier = None
    return {
        "slug": p.slug,
        "title": p.title,
        "carrier": carrier,
        "countries": [_country_dict(c) for c in p.countries.all()],
        "themes": [_theme_dict(t) for t in p.themes.all()],
        "budget_per_member": _money(p.budget_per_member),
        "budget_total": _money(p.budget_total),
        "currency": p.currency,
        "start_year": p.start_year,
        "end_year": p.end_year,
        "is_open": p.is_open,
        "status": "open" if p.is_open else "closed",
        "member_count": getattr(p, "member_count", None),
        # Issue 14: what joining means, and whether it still lacks members to start.
        "duration_months": p.duration_months,
        "min_members": p.min_members,
        "cost_min": _money(p.cost_min),
        "cost_max": _money(p.cost_max),
        "member_brings": p.member_brings,
        "member_gets": p.member_gets,
        "members_missing": (
            max(0, p.min_members - p.member_count)
            if p.min_members and getattr(p, "member_count", None) is not None
            else 0
        ),
        "sources": _sources(p),
        "is_synthetic": p.is_synthetic,
        "html_url": _url("atlas:programme", "slug", p.slug),
        "api_url": _url("api:programme_detail", "slug", p.slug),
    }


def programme_list(*, filters: AtlasFilters, all_rows: bool = False) -> dict:
    themes_by_id = _themes_by_id()
    qs = Programme.objects.public()
    check_choice(field="status", value=filters.status, choices=_PROGRAMME_STATUS)
    for word in filters.words:
        qs = qs.filter(title_word_q(word))
    if filters.country:
        qs = qs.filter(
            id__in=Programme.countries.through.objects.filter(country_id=filters.country).values(
                "programme_id"
            )
        )
    if filters.theme:
        qs = qs.filter(
            id__in=Programme.themes.through.objects.filter(
                theme_id__in=_theme_subtree_ids(filters.theme, themes_by_id)
            ).values("programme_id")
        )
    if filters.status:
        qs = qs.filter(is_open=filters.status == "open")
    qs = qs.filter(_period_q(filters))
    count, rows, page = _paginate(_programme_rows(qs), filters, all_rows)
    facets = {}
    if not all_rows:
        ids = qs.values("id")
        status_rows = dict(qs.order_by().values_list("is_open").annotate(n=Count("id")))
        facets = {
            "status": [
                {"value": v, "label": label, "count": status_rows[v == "open"]}
                for v, label in _PROGRAMME_STATUS
                if status_rows.get(v == "open")
            ],
            "country": _facet_countries(
                Programme.countries.through.objects.filter(programme_id__in=ids),
                "country_id",
                "programme_id",
                exclude_fr=False,
            ),
            "theme": _facet_themes(
                Programme.themes.through.objects.filter(programme_id__in=ids), "programme_id", themes_by_id
            ),
        }
    return _list_result(count, page, summaries(_programme_summary, rows), facets, filters)


def programme_detail(*, slug: str) -> dict:
    p = _programme_rows(Programme.objects.public().filter(slug=slug)).first() if is_lookup_key(slug) else None
    if p is None:
        raise NotFound(
            _("Aucun programme publié « %(slug)s » : voyez la liste des programmes.") % {"slug": slug[:100]},
            field="slug",
        )
    out = _programme_summary(p)
    members = (
        ProgrammeMembership.objects.filter(programme=p)
        .select_related("authority__country", "authority__area")
        .order_by("authority__name")
    )
    out.update(
        {
            "description": p.description,
            "members": [{**authority_ref(m.authority), "joined_year": m.joined_year} for m in members],
        }
    )
    return out
