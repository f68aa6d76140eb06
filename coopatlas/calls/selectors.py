"""Reads of the calls app: open calls, snapshots for the engine, the committee's list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from coopatlas.cooperation.models import FundingContribution, Project
from coopatlas.geo.models import Country, CountryOdaStatus, OdaCategory

from . import engine
from .models import Application, ApplicationStatus, Call, Opinion

PARIS = ZoneInfo("Europe/Paris")


def paris(dt: datetime) -> datetime:
    return dt.astimezone(PARIS)


def calls_open(*, at: datetime | None = None) -> QuerySet[Call]:
    """Calls taking applications at `at` (now by default), the nearest deadline first."""
    return Call.objects.open_at(at or timezone.now()).select_related("ruleset").order_by("deadline_at")


def calls_past(*, at: datetime | None = None) -> QuerySet[Call]:
    return Call.objects.published().filter(deadline_at__lte=at or timezone.now()).order_by("-deadline_at")


def call_get(*, slug: str) -> Call:
    from django.utils.translation import gettext as _

    from coopatlas.core.errors import NotFound

    call = Call.objects.select_related("ruleset").filter(slug=slug).first()
    if call is None:
        raise NotFound(
            _("call : aucun appel « %(slug)s » ; voyez la liste des appels.") % {"slug": slug[:80]},
            field="call",
        )
    return call


# --------------------------------------------------------------------------- countries


def country_categories(*, iso2s: list[str], year: int | None = None) -> dict[str, engine.CountryFacts]:
    """Each country's categories for the engine, from the geo data (never re-encoded):
    ODA eligibility from `CountryOdaStatus` of the latest list year ≤ `year`, the least
    developed flag and the CICID 2018 priority list from `Country`. A priority country or
    an LDC counts as such only while ODA-eligible (seed 001, 1358-1366)."""
    countries = Country.objects.filter(iso2__in=iso2s)
    statuses = CountryOdaStatus.objects.filter(country_id__in=iso2s)
    if year:
        statuses = statuses.filter(year__lte=year)
    latest: dict[str, str] = {}
    for country_id, category in statuses.order_by("year").values_list("country_id", "category"):
        latest[country_id] = category
    out = {}
    for c in countries:
        status = latest.get(c.iso2)
        eligible = status is not None and status != OdaCategory.NOT_ELIGIBLE
        cats = {"oda_eligible"} if eligible else {"not_eligible"}
        if eligible and (c.is_least_developed or status == OdaCategory.LDC):
            cats.add("ldc")
        if eligible and c.is_cicid_priority:
            cats.add("cicid_priority")
        out[c.iso2] = engine.CountryFacts(iso2=c.iso2, name=c.name_fr, categories=frozenset(cats))
    return out


# --------------------------------------------------------------------------- snapshot


def _months(project: Project) -> int | None:
    if project.start_date and project.end_date:
        d = (
            (project.end_date.year - project.start_date.year) * 12
            + project.end_date.month
            - project.start_date.month
        )
        return d + (1 if project.end_date.day >= project.start_date.day else 0)
    if project.start_year and project.end_year:
        return (project.end_year - project.start_year + 1) * 12
    return None


def project_countries(project: Project) -> list[str]:
    iso = {c.iso2 for c in project.countries.all()}
    iso |= {p.authority.country_id for p in project.participants.all() if p.authority.country_id != "FR"}
    return sorted(iso)


def french_authorities(project: Project) -> list:
    return [p.authority for p in project.participants.all() if p.authority.country_id == "FR"]


def _documents(project: Project) -> frozenset[str]:
    have = set()
    if project.budget:
        have.add("budget")
    titles = " ".join((d.title or d.original_name).lower() for d in project.documents.all())
    conventions = [c for p in project.partnerships.all() for c in p.conventions.all() if c.deleted_at is None]
    if conventions or "convention" in titles:
        have.add("convention")
    if any(c.council_vote_on for c in conventions) or "délibération" in titles or "deliberation" in titles:
        have.add("deliberation")
    return frozenset(have)


def _prerequisites(project: Project, *, year: int, authorities: list) -> dict:
    from coopatlas.declarations.models import DeclarationVersion

    ids = [a.pk for a in authorities]
    declared = set(
        DeclarationVersion.objects.filter(
            declaration__authority_id__in=ids,
            declaration__year=year - 1,
            state__in=["submitted", "validated"],
        ).values_list("declaration__authority_id", flat=True)
    )
    confirmed = project.confirmed_at is not None and project.confirmed_at >= timezone.now() - timedelta(
        days=365
    )
    earlier = Application.objects.filter(lead_id__in=ids, status=ApplicationStatus.GRANTED).exclude(
        project=project
    )
    reports_missing = earlier.filter(
        tranches__condition__in=["interim", "final"],
        tranches__approved_at__isnull=True,
        tranches__year__lt=year,
    ).exists()
    return {
        "aid_declared_previous_year": bool(ids) and set(ids) <= declared,
        "records_confirmed_12_months": confirmed,
        "reports_filed": not reports_missing,
    }


def project_for_snapshot(pk: int) -> Project:
    return Project.objects.prefetch_related(
        "countries",
        "participants__authority",
        "documents",
        "partnerships__conventions",
        Prefetch(
            "funding",
            queryset=FundingContribution.objects.select_related("funder_authority", "funder_organisation"),
        ),
        "sector_links__sector",
    ).get(pk=pk)


def snapshot_of(*, project: Project, call: Call, requested: Decimal | None) -> engine.Snapshot:
    """The application as the engine sees it, prefilled from the project: its budget, its
    financing plan (the call's own line, if any, is the amount asked), partners, dates,
    documents. Everything it reads is listed in `missing_of`."""
    lines, own = [], None
    for f in project.funding.all():
        if f.deleted_at is not None or f.is_annual or f.currency != "EUR":
            continue
        if f.instrument == "daect_call" and own is None and f.funder_organisation_id:
            own = f.amount
            continue
        if f.funder_authority_id and f.funder_authority.country_id == "FR":
            who = engine.FRENCH
        elif f.funder_authority_id:
            who = engine.FOREIGN
        else:
            who = engine.OTHER
        lines.append(engine.Line(funder=who, amount=f.amount, nature=f.nature, label=str(f.funder)))
    year = call.opens_at.year
    cats = country_categories(iso2s=project_countries(project), year=year)
    french = french_authorities(project)
    return engine.Snapshot(
        total_budget=project.budget,
        requested=requested if requested is not None else own,
        lines=tuple(lines),
        countries=tuple(cats[i] for i in sorted(cats)),
        duration_months=_months(project),
        french_authorities=len(french),
        documents=_documents(project),
        prerequisites=_prerequisites(project, year=year, authorities=french),
        sectors=tuple(s.sector.code for s in project.sector_links.all()),
    )


def snapshot_as_json(snap: engine.Snapshot) -> dict:
    return {
        "total_budget": None if snap.total_budget is None else str(snap.total_budget),
        "requested": None if snap.requested is None else str(snap.requested),
        "lines": [
            {"funder": x.funder, "amount": str(x.amount), "nature": x.nature, "label": x.label}
            for x in snap.lines
        ],
        "countries": [
            {"iso2": c.iso2, "name": c.name, "categories": sorted(c.categories)} for c in snap.countries
        ],
        "duration_months": snap.duration_months,
        "french_authorities": snap.french_authorities,
        "documents": sorted(snap.documents),
        "prerequisites": snap.prerequisites,
        "sectors": list(snap.sectors),
    }


def eligibility(*, project: Project, call: Call, requested: Decimal | None) -> dict:
    snap = snapshot_of(project=project, call=call, requested=requested)
    eligible = frozenset(call.eligible_countries.values_list("iso2", flat=True))
    checks = engine.evaluate(call.ruleset.rules, snap, eligible_countries=eligible or None)
    return {"verdict": engine.verdict(checks), "checks": [c.as_dict() for c in checks], "snapshot": snap}


def missing_of(result: dict) -> list[str]:
    """What the call needs and the project lacks, in words (the failing or unknown checks)."""
    return [c["reason"] for c in result["checks"] if c["ok"] is not True]


# --------------------------------------------------------------------------- committee


@dataclass
class CommitteeRow:
    application: Application
    rank: int
    opinions: dict
    score: Decimal | None


def committee(*, call: Call) -> dict:
    """The ranked list: eligible first, then by score (highest), then by amount asked.
    Two queries: the applications (with project and lead) and their opinions."""
    apps = list(
        Application.objects.filter(call=call)
        .exclude(status=ApplicationStatus.DRAFT)
        .select_related("project", "lead")
        .only(
            "id",
            "status",
            "requested",
            "proposed",
            "granted",
            "verdict",
            "score",
            "project__title",
            "project__slug",
            "lead__name",
            "call_id",
            "submitted_at",
        )
    )
    opinions: dict[int, dict] = {}
    for app_id, country, verdict in Opinion.objects.filter(application__call=call).values_list(
        "application_id", "country_id", "verdict"
    ):
        opinions.setdefault(app_id, {})[country] = verdict
    order = {"eligible": 0, "incomplete": 1, "ineligible": 2}
    apps.sort(key=lambda a: (order.get(a.verdict, 3), -(a.score or 0), a.requested or 0, a.pk))
    granted = sum((a.granted or 0 for a in apps if a.status == ApplicationStatus.GRANTED), Decimal(0))
    proposed = sum((a.proposed or 0 for a in apps), Decimal(0))
    requested = sum((a.requested or 0 for a in apps), Decimal(0))
    rows = [CommitteeRow(a, i + 1, opinions.get(a.pk, {}), a.score) for i, a in enumerate(apps)]
    return {
        "call": call,
        "rows": rows,
        "totals": {"requested": requested, "proposed": proposed, "granted": granted, "budget": call.budget},
        "consumed_pct": (granted * 100 / call.budget) if call.budget else None,
    }


def applications_visible(*, user) -> QuerySet[Application]:
    """An authority sees its applications, an embassy those of its country, the ministry all."""
    from coopatlas.accounts.permissions import scope_of

    scope = scope_of(user)
    qs = Application.objects.select_related("call", "project", "lead")
    if scope.admin:
        return qs
    cond = Q(pk__in=[])
    if scope.editor_authorities:
        cond |= Q(coapplicants__authority_id__in=scope.editor_authorities)
    if scope.countries:
        cond |= Q(opinions__country_id__in=scope.countries)
    return qs.filter(cond).distinct()


def laureates(*, call: Call) -> list[Application]:
    if call.results_published_at is None:
        return []
    return list(
        call.applications.filter(status=ApplicationStatus.GRANTED)
        .select_related("project", "lead")
        .order_by("-granted")
    )


def call_counts() -> dict:
    return dict(Application.objects.values_list("status").annotate(n=Count("id")))


def today_paris() -> date:
    return timezone.now().astimezone(PARIS).date()


# --------------------------------------------------------------------------- simulator


def simulate(*, project: Project) -> dict:
    """Every open call and every instrument kept as a rule set (FICOL, the "1 %" laws),
    checked against the project as it stands; the grant asked is what the plan leaves to
    fund (budget minus the other lines), the most a funder could be asked for."""
    from .models import RuleSet

    answers = []
    for call in calls_open():
        result = eligibility(project=project, call=call, requested=None)
        snap = result["snapshot"]
        if snap.requested is None and snap.total_budget:
            gap = snap.total_budget - sum((x.amount for x in snap.lines), Decimal(0))
            result = eligibility(project=project, call=call, requested=max(gap, Decimal(0)))
        answers.append(_answer(call.title, "call", call.get_absolute_url(), result))
    latest: dict[str, RuleSet] = {}
    for rs in RuleSet.objects.exclude(instrument="daect_call").order_by("key", "version"):
        latest[rs.key] = rs
    for rs in latest.values():
        dummy = Call(opens_at=timezone.now(), ruleset=rs)
        snap = snapshot_of(project=project, call=dummy, requested=None)
        if rs.rules.get("one_percent"):
            checks = engine.one_percent(rs.rules, snap)
            verdict = "eligible" if any(c.ok for c in checks) else "ineligible"
            answers.append(
                {
                    "title": rs.title,
                    "kind": "instrument",
                    "url": "",
                    "verdict": verdict,
                    "checks": [c.as_dict() for c in checks],
                    "source": rs.source,
                }
            )
            continue
        gap = None
        if snap.total_budget:
            gap = max(snap.total_budget - sum((x.amount for x in snap.lines), Decimal(0)), Decimal(0))
        snap = engine.Snapshot(**{**snap.__dict__, "requested": gap})
        checks = engine.evaluate(rs.rules, snap)
        answers.append(
            {
                "title": rs.title,
                "kind": "instrument",
                "url": "",
                "verdict": engine.verdict(checks),
                "checks": [c.as_dict() for c in checks],
                "source": rs.source,
            }
        )
    return {"project": project.title, "results": answers}


def _answer(title: str, kind: str, url: str, result: dict) -> dict:
    return {
        "title": title,
        "kind": kind,
        "url": url,
        "verdict": result["verdict"],
        "checks": result["checks"],
        "source": "",
    }
