"""Projects: list, fiche, funding lines."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    F,
    Q,
    QuerySet,
)
from django.utils.translation import gettext as _

from coopatlas.cooperation.filters import AtlasFilters, check_choice
from coopatlas.cooperation.partner_side import partner_side_of
from coopatlas.core.errors import NotFound
from coopatlas.core.freshness import cached_read
from coopatlas.core.shapes import kept_prefetch, shaped, shaped_first
from coopatlas.geo.models import (
    AdministrativeArea,
    AuthorityKind,
)

from ..models import (
    FundingContribution,
    FundingInstrument,
    Organisation,
    Partnership,
    Payment,
    Project,
    ProjectOperator,
    ProjectParticipant,
    ProjectPolicyMarker,
    ProjectSector,
    ProjectStatus,
    ProjectTheme,
)
from ._common import (
    AUTHORITY_REF_FIELDS,
    FACET_LIMIT,
    ORGANISATION_REF_FIELDS,
    PARTY_FIELDS,
    _area_dict,
    _country_dict,
    _iso,
    _label,
    _money,
    _organisation_ref,
    _theme_dict,
    _theme_path_dict,
    _theme_subtree_ids,
    _themes_by_id,
    _url,
    all_fields,
    authority_joins,
    authority_ref,
    is_lookup_key,
    ref_fields,
)
from ._facets import (
    _facet_areas,
    _facet_choice,
    _facet_countries,
    _facet_sdg,
    _facet_themes,
    _french_options,
    _kind_options,
    facets_of_links,
)
from ._filters import (
    _authority_place_qs,
    _authority_word_q,
    _facet_ids,
    _list_result,
    _paginate,
    _period_q,
    facet_key,
    summaries,
    title_word_q,
)
from ._sources import _sources, sources_for

# --------------------------------------------------------------------------------------
# Projects
# --------------------------------------------------------------------------------------


def project_queryset(*, filters: AtlasFilters) -> QuerySet:
    """The published projects matching the atlas filters, for exports (IATI)."""
    return _project_filtered(filters, _themes_by_id())


def in_country_q(iso2: str) -> Q:
    """The one rule of a project's country, for the list's `country=` and the country fiche:
    named for the country, or with a participant there. One IN over a UNION of the two: two
    OR'ed INs cost a fifth more in the count, the page and every facet (10x, first request)."""
    named = Project.countries.through.objects.filter(country_id=iso2).values_list("project_id", flat=True)
    there = ProjectParticipant.objects.filter(authority__country_id=iso2).values_list("project_id", flat=True)
    return Q(id__in=named.union(there))


def _project_filtered(f: AtlasFilters, themes_by_id) -> QuerySet:
    # Other publishers' activities imported from IATI show as "other actors", not here.
    qs = Project.objects.atlas()
    check_choice(field="status", value=f.status, choices=ProjectStatus.choices)
    check_choice(field="authority_kind", value=f.authority_kind, choices=AuthorityKind.choices)
    for word in f.words:
        people = ProjectParticipant.objects.filter(_authority_word_q(word, "authority"))
        qs = qs.filter(title_word_q(word) | Q(id__in=people.values("project_id")))
    areas = Project.areas.through.objects
    if f.country:
        qs = qs.filter(in_country_q(f.country))
    if f.area:
        in_area = (
            Q(administrativearea__code=f.area)
            | Q(administrativearea__parent__code=f.area)
            | Q(administrativearea__parent__parent__code=f.area)
        )
        by_authority = _authority_place_qs(
            f.replace(country=None, french_region=None, french_departement=None, authority_kind=None),
            "authority",
        )[0]
        qs = qs.filter(
            Q(id__in=areas.filter(in_area).values("project_id"))
            | Q(id__in=ProjectParticipant.objects.filter(by_authority).values("project_id"))
        )
    for cond in _authority_place_qs(f.replace(country=None, area=None), "authority"):
        qs = qs.filter(id__in=ProjectParticipant.objects.filter(cond).values("project_id"))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.theme:
        qs = qs.filter(
            id__in=ProjectTheme.objects.filter(theme_id__in=_theme_subtree_ids(f.theme, themes_by_id)).values(
                "project_id"
            )
        )
    if f.sdg:
        qs = qs.filter(id__in=Project.sdg_goals.through.objects.filter(sdggoal_id=f.sdg).values("project_id"))
    return qs.filter(_period_q(f))


def _project_rows(qs: QuerySet) -> QuerySet:
    return (
        qs.select_related("source__document")
        .prefetch_related(  # each one's query kept per shape (core.shapes)
            kept_prefetch(
                Project,
                "participants",
                "project_rows.participants",
                # the authorities' countries come from the kept copy (authority_ref)
                ProjectParticipant.objects.select_related(*authority_joins("authority"))
                .only("project", "authority", "role", *ref_fields("authority", PARTY_FIELDS))
                .order_by("role", "authority__name"),
            ),
            kept_prefetch(Project, "countries", "project_rows.countries"),
            kept_prefetch(
                Project,
                "theme_links",
                "project_rows.theme_links",
                ProjectTheme.objects.select_related("theme").order_by(
                    "-is_main", "priority", "theme__name_fr"
                ),
            ),
            kept_prefetch(Project, "sdg_goals", "project_rows.sdg_goals"),
            kept_prefetch(
                Project,
                "partnerships",
                "project_rows.partnerships",
                Partnership.objects.public().only("id", "slug", "title"),
            ),
        )
        # nulls_last: PostgreSQL puts NULL first in a descending order, SQLite last; both
        # must give the same first page.
        .order_by(F("start_year").desc(nulls_last=True), "title", "id")
    )


def _project_summary(p: Project) -> dict:
    participants = [
        {**authority_ref(x.authority), "role": x.role, "role_label": _label(ProjectParticipant.Role, x.role)}
        for x in p.participants.all()
    ]
    themes = [
        {**_theme_dict(t.theme), "is_main": t.is_main, "priority": t.priority} for t in p.theme_links.all()
    ]
    return {
        "slug": p.slug,
        "title": p.title,
        "summary": p.summary,
        "status": p.status,
        "status_label": _label(ProjectStatus, p.status),
        "start_year": p.start_year,
        "end_year": p.end_year,
        "countries": [_country_dict(c) for c in p.countries.all()],
        "participants": participants,
        "themes": themes,
        "main_theme": next((t for t in themes if t["is_main"]), None),
        "sdg_goals": sorted(g.number for g in p.sdg_goals.all()),
        "budget": _money(p.budget),
        "currency": p.currency,
        "partnerships": [
            {
                "slug": x.slug,
                "title": x.title,
                "label": x.title,
                "html_url": _url("atlas:partnership", "slug", x.slug),
                "api_url": _url("api:partnership_detail", "slug", x.slug),
            }
            for x in p.partnerships.all()
        ],
        "sources": _sources(p),
        "is_synthetic": p.is_synthetic,
        "html_url": _url("atlas:project", "slug", p.slug),
        "api_url": _url("api:project_detail", "slug", p.slug),
    }


def project_list(*, filters: AtlasFilters, all_rows: bool = False) -> dict:
    themes_by_id = _themes_by_id()
    qs = _project_filtered(filters, themes_by_id)
    count, rows, page = _paginate(_project_rows(qs), filters, all_rows)
    results = summaries(_project_summary, rows)
    facets = (
        {}
        if all_rows
        else cached_read(
            f"facets:project:{facet_key(filters)}",
            lambda: _project_facets(qs, _facet_ids(qs, count), count, themes_by_id),
        )
    )
    return _list_result(count, page, results, facets, filters)


def _project_facets(qs: QuerySet, ids, count: int, themes_by_id) -> dict:
    qs = Project.objects.filter(id__in=ids)
    people = ProjectParticipant.objects.filter(project_id__in=ids)
    # Where the projects are comes from their own countries and areas; the participants
    # give the French side only.
    french = facets_of_links(people, "authority", "project_id", count, partner_side=False)
    return {
        "country": _facet_countries(
            Project.countries.through.objects.filter(project_id__in=ids),
            "country_id",
            "project_id",
            exclude_fr=False,
        ),
        "area": _facet_areas(
            Project.areas.through.objects.filter(project_id__in=ids), "administrativearea", "project_id", None
        ),
        "french_region": _french_options(french["french_region"][:FACET_LIMIT], "region"),
        "french_departement": _french_options(french["french_departement"][:FACET_LIMIT], "departement"),
        "authority_kind": _kind_options(french["kind"]),
        "status": _facet_choice(qs, "status", ProjectStatus),
        "theme": _facet_themes(ProjectTheme.objects.filter(project_id__in=ids), "project_id", themes_by_id),
        "sdg": _facet_sdg(Project.sdg_goals.through.objects.filter(project_id__in=ids), "project_id"),
    }


def project_detail(*, slug: str) -> dict:
    p = (
        shaped_first(_project_rows(Project.objects.public().filter(slug=slug)), "project_detail")
        if is_lookup_key(slug)
        else None
    )
    if p is None:
        raise NotFound(
            _("Aucun projet publié « %(slug)s » : cherchez-le avec la liste des projets (paramètre q).")
            % {"slug": slug[:100]},
            field="slug",
        )
    themes_by_id = _themes_by_id()
    funding = list(
        shaped(
            FundingContribution.objects.public()
            .filter(project=p)
            .select_related(
                *authority_joins("funder_authority"), "funder_organisation", "source__document"
            )  # the funders' countries come from the kept copy (authority_ref)
            .only(  # the funders' shown columns only
                *all_fields(FundingContribution),
                *ref_fields("funder_authority", AUTHORITY_REF_FIELDS),
                *ref_fields("funder_organisation", ORGANISATION_REF_FIELDS),
            )
            .order_by("-amount", "id"),
            "project_detail.funding",
        )
    )
    sources_for([p, *funding])  # the project's and its lines' sources in one read
    out = _project_summary(p)
    out["themes"] = [
        {**_theme_path_dict(t.theme, themes_by_id), "is_main": t.is_main, "priority": t.priority}
        for t in p.theme_links.all()
    ]
    out["main_theme"] = next((t for t in out["themes"] if t["is_main"]), None)
    # Read once, shown here and compared by project_overlaps.
    areas = list(shaped(p.areas.all(), "project_detail.areas"))
    places = list(shaped(p.places.all(), "project_detail.places"))
    sectors = list(
        shaped(ProjectSector.objects.filter(project=p).select_related("sector"), "project_detail.sectors")
    )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in funding:
        totals[line.currency] += line.amount
    out["partner_side"] = partner_side_of(record=p)
    out.update(
        {
            "context": p.context,
            "objective": p.objective,
            "description": p.description,
            "start_date": _iso(p.start_date),
            "end_date": _iso(p.end_date),
            "operators": [
                {
                    **_organisation_ref(o.organisation),
                    "role": o.role,
                    "role_label": _label(ProjectOperator.Role, o.role),
                }
                for o in shaped(
                    ProjectOperator.objects.filter(
                        Organisation.public_q("organisation"), project=p
                    ).select_related("organisation"),
                    "project_detail.operators",
                )
            ],
            "areas": [_area_dict(a) for a in areas],
            "places": [{"name": x.name, "latitude": x.latitude, "longitude": x.longitude} for x in places],
            "sectors": [
                {
                    "code": s.sector_id,
                    "name": s.sector.name,
                    "label": f"{s.sector_id} {s.sector.name}",
                    "percentage": f"{s.percentage:.2f}",
                }
                for s in sectors
            ],
            "sdg_targets": [
                {"code": t.code, "name": t.name, "label": f"{t.code} {t.name}"}
                for t in shaped(p.sdg_targets.all(), "project_detail.sdg_targets")
            ],
            "policy_markers": [
                {
                    "slug": m.marker.slug,
                    "name": m.marker.name,
                    "label": f"{m.marker.name} : {m.significance}",
                    "significance": m.significance,
                    "significance_label": _label(ProjectPolicyMarker.Significance, m.significance),
                }
                for m in shaped(
                    ProjectPolicyMarker.objects.filter(project=p).select_related("marker"),
                    "project_detail.markers",
                )
            ],
            "funding": [_funding_dict(x) for x in funding],
            "funding_totals": [{"currency": c, "amount": _money(a)} for c, a in sorted(totals.items())],
            "payments": project_payments(project=p, lines=funding),
            "beneficiaries": p.beneficiaries,
            "beneficiaries_count": p.beneficiaries_count,
            "results": p.results,
            "iati_identifier": p.iati_identifier,
            # the state atlas's prjId of an imported fiche: in the API (and the admin), never on a page
            "legacy_id": p.legacy_id,
        }
    )
    out["overlaps"] = project_overlaps(
        project=p, areas=areas, places=places, sector_codes=[s.sector_id for s in sectors]
    )
    return out


OVERLAP_LIMIT = 20


def project_overlaps(
    *,
    project: Project,
    limit: int = OVERLAP_LIMIT,
    areas: list | None = None,
    places: list | None = None,
    sector_codes: list[str] | None = None,
) -> list[dict]:
    """Coordination (issue 14): other published projects, ours or other donors' imported
    from IATI, in the same place (an area, its parent or children, or a place) and the same
    sector (a DAC sector of the same 3-digit category) whose periods meet this one's.

    `areas`, `places`, `sector_codes`: the project's, when the caller (the fiche) has
    read them already; else they are read here."""
    if areas is None:
        areas = list(project.areas.all())
    if places is None:
        places = list(project.places.all())
    if sector_codes is None:
        sector_codes = list(ProjectSector.objects.filter(project=project).values_list("sector_id", flat=True))
    area_ids = {a.pk for a in areas} | {a.parent_id for a in areas if a.parent_id}
    place_ids = sorted(x.pk for x in places)
    categories = {code[:3] for code in sector_codes}
    if not (area_ids or place_ids) or not categories:
        return []
    # The published projects of each area (with its sub-areas) by sector category, kept per
    # stamp and shared by every project of the area: at 10x a region holds ~1,900 projects,
    # and reading them for each fiche cost 7-8 ms of PostgreSQL (the fiche's costliest
    # query). A place holds a few: read here.
    found: dict[int, tuple] = {}
    for area_id in sorted(area_ids):
        by_category = _area_projects_by_category(area_id)
        for category in categories:
            found.update(by_category.get(category, {}))
    if place_ids:
        at_places = Project.objects.public().filter(id__in=_projects_at_places(place_ids))
        for category, pid, *row in _by_category_rows(at_places):
            if category in categories:
                found[pid] = tuple(row)
    start, end = project.start_year, project.end_year
    rows = sorted(
        (row for pid, row in found.items() if pid != project.pk and _periods_meet(row, start, end)),
        key=_overlap_order,
    )
    return [
        {
            "title": title,
            "slug": slug,
            "is_imported": imported,
            "start_year": start_year,
            "end_year": end_year,
            "html_url": _url("atlas:project", "slug", slug),
        }
        for title, slug, imported, start_year, end_year in rows[:limit]
    ]


def _periods_meet(row: tuple, start: int | None, end: int | None) -> bool:
    """The row's years (its 4th and 5th values) meet start–end; unknown years are open."""
    return (row[3] or 0) <= (end or 9999) and (start or 0) <= (row[4] or 9999)


def _overlap_order(row: tuple) -> tuple:
    """Other donors' first, then the latest start (unknown last), then the title."""
    title, _slug, imported, start_year, _end = row
    return (not imported, -(start_year or 0), title)


def _by_category_rows(projects: QuerySet):
    """(sector category, project id, title, slug, is_imported, start_year, end_year) of these
    projects, one row per project and category."""
    rows = (
        ProjectSector.objects.filter(project__in=projects)
        .values_list(
            "sector_id", "project_id", "project__title", "project__slug", "project__is_imported",
            "project__start_year", "project__end_year",
        )
        .distinct()
    )  # fmt: skip
    for code, *rest in rows:
        yield (code[:3], *rest)


def _area_projects_by_category(area_id: int) -> dict[str, dict[int, tuple]]:
    """{category: {project id: (title, slug, is_imported, start_year, end_year)}} of the
    published projects in the area or its sub-areas, kept per stamp (language-free)."""

    def compute():
        groups: dict[str, dict[int, tuple]] = defaultdict(dict)
        projects = Project.objects.public().filter(id__in=projects_in_areas([area_id]))
        for category, pid, *row in _by_category_rows(projects):
            groups[category][pid] = tuple(row)
        return dict(groups)

    return cached_read(f"area_projects_by_category:{area_id}", compute, per_language=False)


def projects_in_areas(area_ids) -> QuerySet:
    """Ids of the projects in these areas or their sub-areas (the link table, by its index)."""
    areas = AdministrativeArea.objects.filter(Q(id__in=area_ids) | Q(parent_id__in=area_ids)).values("id")
    return Project.areas.through.objects.filter(administrativearea_id__in=areas).values("project_id")


def _projects_at_places(place_ids) -> QuerySet:
    return Project.places.through.objects.filter(place_id__in=place_ids).values("project_id")


def area_overlaps(*, area_ids: set[int], limit: int = OVERLAP_LIMIT) -> list[dict]:
    """Coordination on an area's page (issue 14): the published projects in the area (or
    its sub-areas), ours and other donors' imported from IATI, grouped by sector category
    (3-digit DAC code, as `project_overlaps`), keeping the categories where at least two
    projects whose periods meet work side by side. Largest groups first.

    Kept per stamp (cached_read): it reads every project of the area (1,926 for a region
    at 10x, 7.5 ms on PostgreSQL) and is the same for the area's page and each of its
    authorities' (44 foreign authorities per area at 10x)."""
    if not area_ids:
        return []
    ids = sorted(area_ids)
    return cached_read(f"area_overlaps:{limit}:{ids}", lambda: _area_overlaps(ids, limit))


def _area_overlaps(area_ids: list[int], limit: int) -> list[dict]:
    from coopatlas.reference.models import SectorCategory

    groups: dict[str, dict[int, tuple]] = defaultdict(dict)
    for area_id in area_ids:  # the same per-area rows as project_overlaps
        for category, projects in _area_projects_by_category(area_id).items():
            groups[category].update(projects)
    names = {c.code: c.name for c in SectorCategory.objects.filter(code__in=list(groups))}
    out = []
    for category, projects in groups.items():
        items = sorted(projects.values(), key=_overlap_order)
        # periods that meet: some pair whose years overlap (unknown years count as open)
        meets = any(_periods_meet(a, b[3], b[4]) for i, a in enumerate(items) for b in items[i + 1 :])
        if len(items) < 2 or not meets:
            continue
        out.append(
            {
                "sector_category": category,
                "sector_name": names.get(category, category),
                "count": len(items),
                "imported_count": sum(1 for x in items if x[2]),
                "projects": [
                    {
                        "title": t,
                        "slug": sl,
                        "is_imported": imp,
                        "start_year": st,
                        "end_year": en,
                        "html_url": _url("atlas:project", "slug", sl),
                    }
                    for t, sl, imp, st, en in items[:limit]
                ],
            }
        )
    out.sort(key=lambda g: (-g["count"], g["sector_category"]))
    return out


def _party_ref(authority, organisation) -> dict | None:
    if authority is not None:
        return authority_ref(authority)
    return _organisation_ref(organisation) if organisation is not None else None


# What a payment shows (and its own state, for is_public).
_PAYMENT_FIELDS = (
    "line", "kind", "is_planned", "paid_on", "amount", "currency", "value_date",
    "provider_activity_id", "note", "publication_status", "deleted_at",
)  # fmt: skip


def project_payments(*, project: Project, lines: list[FundingContribution] | None = None) -> list[dict]:
    """Payments of the project's public financing lines (disbursements, expenditures…), by date.

    `lines`: those public lines, when the caller (the fiche) has read them; a public
    payment's line is public (Payment.PUBLIC_PARENTS), so no line, no payment, no query."""
    if lines is not None and not lines:
        return []
    if lines is not None:
        # The lines are this project's public ones, so a payment of theirs is public when
        # its own state is (Payment.PUBLIC_PARENTS = its line): no join back through the
        # line, its project and its funder (issue 15: the fiche's costliest query to build).
        rows = Payment.objects.filter(line_id__in=[x.pk for x in lines])
    else:
        rows = Payment.objects.public().filter(line__project=project)
    rows = shaped(
        rows.select_related(  # the authorities' countries: the kept copy (authority_ref)
            *authority_joins("provider_authority"),
            "provider_organisation",
            *authority_joins("receiver_authority"),
            "receiver_organisation",
        )
        .only(  # the shown columns only: the columns a query builds are its cost
            *_PAYMENT_FIELDS,
            *ref_fields("provider_authority", AUTHORITY_REF_FIELDS),
            *ref_fields("receiver_authority", AUTHORITY_REF_FIELDS),
            *ref_fields("provider_organisation", ORGANISATION_REF_FIELDS),
            *ref_fields("receiver_organisation", ORGANISATION_REF_FIELDS),
        )
        .order_by("paid_on", "id"),
        "project_payments",
    )
    if lines is not None:
        rows = [x for x in rows if x.is_public]
    return [
        {
            "id": x.pk,
            "line": x.line_id,
            "kind": x.kind,
            "kind_label": _label(Payment.Kind, x.kind),
            "is_planned": x.is_planned,
            "date": _iso(x.paid_on),
            "amount": _money(x.amount),
            "currency": x.currency,
            "value_date": _iso(x.value_date),
            "provider": _party_ref(x.provider_authority, x.provider_organisation),
            "receiver": _party_ref(x.receiver_authority, x.receiver_organisation),
            "provider_activity_id": x.provider_activity_id,
            "note": x.note,
        }
        for x in rows
    ]


def _funding_dict(x: FundingContribution) -> dict:
    if x.funder_authority_id:
        funder = authority_ref(x.funder_authority)
    else:
        funder = _organisation_ref(x.funder_organisation)
    return {
        "id": x.pk,
        "version": x.version,  # for the write API's PATCH /funding/{id}
        "funder": funder,
        "label": f"{funder['name']} : {_money(x.amount)} {x.currency}",
        "instrument": x.instrument,
        "instrument_label": _label(FundingInstrument, x.instrument),
        "amount": _money(x.amount),
        "currency": x.currency,
        "nature": x.nature,
        "nature_label": _label(FundingContribution.Nature, x.nature),
        "year": x.year,
        "is_annual": x.is_annual,
        "note": x.note,
        "sources": _sources(x),
    }
