"""Reads of the calls app: open calls, snapshots for the engine, the committee's list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
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


@dataclass(frozen=True)
class ProjectFacts:
    """What the engine reads of a project, in a few narrow queries (no model instances:
    the eligibility of one application must stay well under 50 ms, bench/calls.py)."""

    pk: int
    title: str
    budget: Decimal | None
    start_date: date | None
    end_date: date | None
    start_year: int | None
    end_year: int | None
    confirmed_at: datetime | None
    countries: tuple[str, ...]  # ISO2, partner countries (the project's, its foreign participants')
    french: tuple[int, ...]  # French participating authorities, the lead first
    funding: tuple[dict, ...]
    documents: frozenset[str]
    sectors: tuple[str, ...]


def project_for_snapshot(pk: int) -> ProjectFacts:
    from coopatlas.cooperation.models import Convention, ProjectParticipant, ProjectSector
    from coopatlas.documents.models import Document

    row = (
        Project.objects.filter(pk=pk)
        .values("pk", "title", "budget", "start_date", "end_date", "start_year", "end_year", "confirmed_at")
        .get()
    )
    parts = list(
        ProjectParticipant.objects.filter(project_id=pk)
        .order_by("pk")
        .values_list("authority_id", "authority__country_id", "role")
    )
    countries = set(
        Project.countries.through.objects.filter(project_id=pk).values_list("country_id", flat=True)
    )
    countries |= {c for _a, c, _r in parts if c != "FR"}
    french = [a for a, c, r in parts if c == "FR" and r == "lead"] + [
        a for a, c, r in parts if c == "FR" and r != "lead"
    ]
    funding = tuple(
        FundingContribution.objects.filter(
            project_id=pk, deleted_at__isnull=True, is_annual=False, currency="EUR"
        )
        .order_by("pk")
        .values(
            "instrument",
            "amount",
            "nature",
            "funder_authority_id",
            "funder_authority__country_id",
            "funder_authority__name",
            "funder_organisation_id",
            "funder_organisation__name",
        )
    )
    titles = " ".join(
        (t or n).lower()
        for t, n in Document.objects.filter(project_id=pk).values_list("title", "original_name")
    )
    votes = list(
        Convention.objects.filter(partnership__projects=pk, deleted_at__isnull=True).values_list(
            "council_vote_on", flat=True
        )
    )
    documents = set()
    if row["budget"]:
        documents.add("budget")
    if votes or "convention" in titles:
        documents.add("convention")
    if any(votes) or "délibération" in titles or "deliberation" in titles:
        documents.add("deliberation")
    sectors = tuple(ProjectSector.objects.filter(project_id=pk).values_list("sector__code", flat=True))
    return ProjectFacts(
        **row,
        countries=tuple(sorted(countries)),
        french=tuple(french),
        funding=funding,
        documents=frozenset(documents),
        sectors=sectors,
    )


def project_countries(project: ProjectFacts) -> list[str]:
    return list(project.countries)


def french_authorities(project: ProjectFacts) -> list[int]:
    return list(project.french)


def _prerequisites(project: ProjectFacts, *, year: int) -> dict:
    from coopatlas.declarations.models import DeclarationVersion

    ids = list(project.french)
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
    reports_missing = (
        Application.objects.filter(lead_id__in=ids, status=ApplicationStatus.GRANTED)
        .exclude(project_id=project.pk)
        .filter(
            tranches__condition__in=["interim", "final"],
            tranches__approved_at__isnull=True,
            tranches__year__lt=year,
        )
        .exists()
    )
    return {
        "aid_declared_previous_year": bool(ids) and set(ids) <= declared,
        "records_confirmed_12_months": confirmed,
        "reports_filed": not reports_missing,
    }


def snapshot_of(*, project: ProjectFacts, call: Call, requested: Decimal | None) -> engine.Snapshot:
    """The application as the engine sees it, prefilled from the project: its budget, its
    financing plan (the call's own line, if any, is the amount asked), partners, dates,
    documents. Everything it reads is listed in `missing_of`."""
    lines, own = [], None
    for f in project.funding:
        if f["instrument"] == "daect_call" and own is None and f["funder_organisation_id"]:
            own = f["amount"]
            continue
        if f["funder_authority_id"] and f["funder_authority__country_id"] == "FR":
            who = engine.FRENCH
        elif f["funder_authority_id"]:
            who = engine.FOREIGN
        else:
            who = engine.OTHER
        label = f["funder_authority__name"] or f["funder_organisation__name"] or ""
        lines.append(engine.Line(funder=who, amount=f["amount"], nature=f["nature"], label=label))
    year = call.opens_at.year
    cats = country_categories(iso2s=list(project.countries), year=year)
    return engine.Snapshot(
        total_budget=project.budget,
        requested=requested if requested is not None else own,
        lines=tuple(lines),
        countries=tuple(cats[i] for i in sorted(cats)),
        duration_months=_months(project),
        french_authorities=len(project.french),
        documents=project.documents,
        prerequisites=_prerequisites(project, year=year),
        sectors=project.sectors,
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


def call_budget(*, call: Call) -> dict:
    """The call's budget consumed: granted, then granted plus what is proposed for the
    applications still waiting for a decision (one aggregate query)."""
    from django.db.models import Sum

    waiting = [ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED]
    agg = Application.objects.filter(call=call).aggregate(
        granted=Sum("granted", filter=Q(status=ApplicationStatus.GRANTED)),
        proposed=Sum("proposed", filter=Q(status__in=waiting)),
        requested=Sum("requested", filter=~Q(status=ApplicationStatus.DRAFT)),
    )
    cents = Decimal("0.01")  # SQLite's SUM drops the places of a decimal column
    granted = (agg["granted"] or Decimal(0)).quantize(cents)
    proposed = (agg["proposed"] or Decimal(0)).quantize(cents)
    committed = granted + proposed
    budget = call.budget
    return {
        "budget": budget,
        "requested": (agg["requested"] or Decimal(0)).quantize(cents),
        "granted": granted,
        "proposed": proposed,
        "committed": committed,
        "left": None if budget is None else budget - granted,
        "proposed_left": None if budget is None else budget - committed,
        "consumed_pct": (granted * 100 / budget) if budget else None,
        "committed_pct": (committed * 100 / budget) if budget else None,
    }


def committee(*, call: Call) -> dict:
    """The ranked list: eligible first, then by score (highest), then by amount asked.
    Two narrow queries (applications with project and lead names, their opinions) and plain
    rows: 2,000 model instances and per-row `reverse()` cost more than the SQL (bench/calls.py).
    Each row carries the budget consumed down to it (granted, else proposed), so the
    committee sees where the budget runs out."""
    from django.urls import reverse

    rows = list(
        Application.objects.filter(call=call)
        .exclude(status=ApplicationStatus.DRAFT)
        .values(
            "id",
            "status",
            "requested",
            "proposed",
            "granted",
            "verdict",
            "score",
            "project__title",
            "lead__name",
        )
    )
    opinions: dict[int, dict] = {}
    for app_id, country, acronym, name, verdict in Opinion.objects.filter(application__call=call).values_list(
        "application_id", "country_id", "network__acronym", "network__name", "verdict"
    ):
        opinions.setdefault(app_id, {})[country or acronym or name] = verdict
    order = {"eligible": 0, "incomplete": 1, "ineligible": 2}
    rows.sort(key=lambda a: (order.get(a["verdict"], 3), -(a["score"] or 0), a["requested"] or 0, a["id"]))
    url = reverse("calls:application", kwargs={"pk": 999999999}).replace("999999999", "%d")
    labels = {k: str(v) for k, v in ApplicationStatus.choices}
    verdicts = {k: str(v) for k, v in Opinion.Verdict.choices}
    pending = "…"
    running = Decimal(0)
    budget = call.budget
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
        row["url"] = url % row["id"]
        row["status_label"] = labels.get(row["status"], row["status"])
        mine = opinions.get(row["id"], {})
        row["opinions"] = mine
        row["opinions_text"] = ", ".join(
            f"{c} : {verdicts.get(v, pending) if v else pending}" for c, v in sorted(mine.items())
        )
        if row["status"] == ApplicationStatus.GRANTED:
            running += row["granted"] or 0
        elif row["status"] != ApplicationStatus.REFUSED:
            running += row["proposed"] or 0
        row["cumulated"] = running
        row["over_budget"] = budget is not None and running > budget
    money = call_budget(call=call)
    return {
        "call": call,
        "rows": rows,
        "totals": {
            "requested": money["requested"],
            "proposed": money["proposed"],
            "granted": money["granted"],
            "budget": budget,
        },
        "budget": money,
        "consumed_pct": money["consumed_pct"],
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
    if scope.organisations:
        cond |= Q(opinions__network_id__in=scope.organisations)
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
