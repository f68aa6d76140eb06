"""IATI reads: which projects an export holds, and the imported "other actors"."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet
from lxml import etree

from coopatlas.cooperation.models import (
    FundingContribution,
    Organisation,
    Payment,
    Project,
    ProjectOperator,
    ProjectParticipant,
)
from coopatlas.geo.selectors import authority_get, country_get

from .codes import XML_LANG, transaction_type_names

EXPORT_CHUNK = 500


def projects_for_export(
    *, authority: str | None = None, country: str | None = None, include_imported: bool = False
) -> QuerySet:
    """Public projects; imported ones only on request (they are other publishers' data)."""
    qs = Project.objects.public() if include_imported else Project.objects.atlas()
    if authority:
        found = authority_get(key=authority, field="authority")
        funded = FundingContribution.objects.public().filter(funder_authority=found)
        qs = qs.filter(Q(participants__authority=found) | Q(id__in=funded.values("project_id")))
    if country:
        qs = qs.filter(countries=country_get(iso2=country.upper()))
    return qs.distinct()


def projects_for_filters(*, filters) -> QuerySet:
    """The atlas's project list filters (q, country, area, theme, sdg, status, years…)."""
    from coopatlas.cooperation import selectors

    # The atlas selectors own the filter semantics; we reuse their queryset unchanged.
    ids = selectors.project_queryset(filters=filters).values("id")
    return Project.objects.atlas().filter(id__in=ids)


def project_export_rows(projects: QuerySet) -> Iterable[Project]:
    """The projects with what an activity shows; only public funding lines and actors."""
    return (
        projects.select_related("source__document", "iati_import", "iati_published")
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=ProjectParticipant.objects.select_related(
                    "authority__gazetteer_entry__parent__parent__parent"
                ),
            ),
            Prefetch(
                "operator_links",
                queryset=ProjectOperator.objects.filter(Organisation.public_q("organisation")).select_related(
                    "organisation"
                ),
            ),
            Prefetch(
                "funding",
                queryset=FundingContribution.objects.public()
                .select_related("funder_authority", "funder_organisation")
                .prefetch_related(
                    Prefetch(
                        "payments",
                        queryset=Payment.objects.public().select_related(
                            "provider_authority",
                            "provider_organisation",
                            "receiver_authority",
                            "receiver_organisation",
                        ),
                    )
                ),
            ),
            "countries",
            "areas",
            "places",
            "sector_links",
            "theme_links__theme__sectors",
            "sdg_goals",
            "sdg_targets",
            "marker_links",
        )
        .order_by("id")
        .iterator(chunk_size=EXPORT_CHUNK)
    )


def known_publisher_ids() -> set[str]:
    """Organisation identifiers known to be IATI publishers: the reference list and the
    identifiers of publishers whose files were imported (the Validator's Registry list)."""
    from .codes import known_publishers
    from .models import ImportedActivity

    ids = {row["ref"] for row in known_publishers()}
    ids.update(
        ImportedActivity.objects.exclude(reporting_ref="").values_list("reporting_ref", flat=True).distinct()
    )
    return ids


def imported_activities_for(*, country: str | None, area: str | None, limit: int = 50) -> dict:
    """Other donors' activities (imported from IATI) in a country or an area, for its page."""
    from coopatlas.cooperation.selectors.projects import projects_in_areas
    from coopatlas.geo.models import AdministrativeArea

    # Through the link tables' indexes (no join, hence no DISTINCT): the projects of one
    # area or country, not every project joined to its areas (44 ms per fiche at 10x).
    qs = Project.objects.imported()
    if country:
        in_country = Project.countries.through.objects.filter(country_id=country.upper())
        qs = qs.filter(id__in=in_country.values("project_id"))
    if area:
        qs = qs.filter(id__in=projects_in_areas(AdministrativeArea.objects.filter(code=area).values("id")))
    rows = qs.select_related("iati_import").order_by("iati_import__reporting_name", "title")[:limit]
    results = [
        {
            "title": p.title,
            "iati_identifier": p.iati_identifier,
            "publisher": p.iati_import.reporting_name if hasattr(p, "iati_import") else "",
            "status": p.get_status_display(),
            "start_year": p.start_year,
            "end_year": p.end_year,
            "budget": str(p.budget) if p.budget is not None else None,
            "currency": p.currency,
            "html_url": p.get_absolute_url(),
        }
        for p in rows
    ]
    # A COUNT only when the page is full (most areas have none or a few: one query saved).
    return {"count": len(results) if len(results) < limit else qs.count(), "results": results}


def _narratives(el, lang: str = "") -> list[dict]:
    """Each narrative with its language (the activity's default when it names none)."""
    if el is None:
        return []
    return [
        {"lang": n.get(XML_LANG) or lang, "text": (n.text or "").strip()}
        for n in el.findall("narrative")
        if (n.text or "").strip()
    ]


def _value(el) -> dict:
    value = el.find("value") if el is not None else None
    if value is None:
        return {"value": None, "currency": None, "value_date": None}
    return {
        "value": (value.text or "").strip(),
        "currency": value.get("currency"),
        "value_date": value.get("value-date"),
    }


def _org_name(el) -> dict | None:
    if el is None:
        return None
    names = _narratives(el)
    return {
        "ref": el.get("ref"),
        "name": names[0]["text"] if names else (el.get("ref") or ""),
        "activity_id": el.get("provider-activity-id") or el.get("receiver-activity-id"),
    }


def published_activity(*, project) -> dict | None:
    """What another publisher published about an imported project, read from the activity
    kept whole at import: every transaction, yearly budget, planned disbursement, region,
    location, result, document, related activity and narrative in each language."""
    imported = getattr(project, "iati_import", None) if project.is_imported else None
    if imported is None or not imported.original:
        return None
    act = etree.fromstring(imported.original)
    lang = act.get(XML_LANG) or imported.language or ""
    default_currency = act.get("default-currency")
    codes = transaction_type_names()
    transactions = []
    for t in act.findall("transaction"):
        kind = t.find("transaction-type")
        code = kind.get("code") if kind is not None else ""
        when = t.find("transaction-date")
        money = _value(t)
        transactions.append(
            {
                "type": code,
                "type_name": codes.get(code, code),
                "date": when.get("iso-date") if when is not None else None,
                **money,
                "currency": money["currency"] or default_currency,
                "provider": _org_name(t.find("provider-org")),
                "receiver": _org_name(t.find("receiver-org")),
            }
        )

    def periods(tag: str) -> list[dict]:
        out = []
        for b in act.findall(tag):
            money = _value(b)
            out.append(
                {
                    "type": b.get("type"),
                    "status": b.get("status"),
                    "start": b.find("period-start").get("iso-date")
                    if b.find("period-start") is not None
                    else None,
                    "end": b.find("period-end").get("iso-date") if b.find("period-end") is not None else None,
                    **money,
                    "currency": money["currency"] or default_currency,
                }
            )
        return out

    locations = []
    for loc in act.findall("location"):
        pos = loc.findtext("point/pos")
        locations.append(
            {
                "ref": loc.get("ref"),
                "name": (_narratives(loc.find("name")) or [{"text": ""}])[0]["text"],
                "point": pos.strip() if pos else None,
                "administrative": [
                    {"vocabulary": a.get("vocabulary"), "level": a.get("level"), "code": a.get("code")}
                    for a in loc.findall("administrative")
                ],
            }
        )
    return {
        "publisher": imported.reporting_name,
        "publisher_ref": imported.reporting_ref,
        "last_updated": imported.last_updated,
        "titles": _narratives(act.find("title"), lang),
        "descriptions": [
            {"type": d.get("type") or "1", "narratives": _narratives(d, lang)}
            for d in act.findall("description")
        ],
        "recipient_countries": [
            {"code": c.get("code"), "percentage": c.get("percentage")}
            for c in act.findall("recipient-country")
        ],
        "recipient_regions": [
            {
                "code": r.get("code"),
                "vocabulary": r.get("vocabulary") or "1",
                "percentage": r.get("percentage"),
            }
            for r in act.findall("recipient-region")
        ],
        "locations": locations,
        "budgets": periods("budget"),
        "planned_disbursements": periods("planned-disbursement"),
        "transactions": transactions,
        "results": [
            {
                "type": r.get("type"),
                "titles": _narratives(r.find("title")),
                "indicators": [
                    (_narratives(i.find("title")) or [{"text": ""}])[0]["text"]
                    for i in r.findall("indicator")
                ],
            }
            for r in act.findall("result")
        ],
        "documents": [
            {
                "url": d.get("url"),
                "format": d.get("format"),
                "title": (_narratives(d.find("title")) or [{"text": d.get("url") or ""}])[0]["text"],
                "categories": [c.get("code") for c in d.findall("category")],
            }
            for d in act.findall("document-link")
        ],
        "related": [{"ref": r.get("ref"), "type": r.get("type")} for r in act.findall("related-activity")],
    }


def published_activity_for(*, slug: str) -> dict | None:
    project = Project.objects.public().filter(slug=slug).select_related("iati_import").first()
    return published_activity(project=project) if project is not None else None
