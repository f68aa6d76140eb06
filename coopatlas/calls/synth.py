"""A synthetic campaign for the benchmarks: calls and applications over the synthetic
projects (cooperation.synth), every row marked synthetic (calls and applications carry
`is_synthetic`, their titles start with "Synth"). Eligibility is computed by the engine
from each project's synthetic plan, the committee's inputs (scores, opinions) drawn at
random. Never touches a real record."""

from __future__ import annotations

import random
import time
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from coopatlas.cooperation.models import FundingContribution, Project, ProjectParticipant

from . import engine, selectors
from .models import Application, ApplicationStatus, ApplicationVersion, Call, CoApplicant, Opinion, RuleSet

BATCH = 500


def campaign_clear() -> int:
    calls = Call.objects.filter(is_synthetic=True)
    n = Application.objects.filter(call__in=calls).count()
    Application.objects.filter(call__in=calls).delete()
    calls.delete()
    return n


@transaction.atomic
def campaign_synth(*, applications: int = 2000, calls: int = 3, seed: int = 1, log=print) -> dict:
    started = time.monotonic()
    rng = random.Random(seed)
    campaign_clear()
    projects = list(Project.objects.filter(is_synthetic=True).order_by("id").values_list("id", "budget"))
    if len(projects) * calls < applications:
        from coopatlas.cooperation.synth import Scale, synth_generate

        n = applications
        synth_generate(
            scale="national",
            seed=seed,
            log=lambda *_a: None,
            size=Scale(projects=n, french=n // 2, foreign=n, countries=40, partnerships=n),
        )
        projects = list(Project.objects.filter(is_synthetic=True).order_by("id").values_list("id", "budget"))
    rulesets = list(RuleSet.objects.filter(instrument="daect_call").order_by("key", "version"))
    if not rulesets:
        from .services import rulesets_load_shipped

        rulesets = [r for r in rulesets_load_shipped() if r.instrument == "daect_call"]
    now = timezone.now()
    made = []
    for i in range(calls):
        call = Call.objects.create(
            slug=f"synth-appel-{i + 1}",
            title=f"Synth appel {i + 1}",
            summary="Appel synthétique pour les mesures de performance.",
            ruleset=rulesets[i % len(rulesets)],
            opens_at=now - timedelta(days=60),
            deadline_at=now - timedelta(days=1),
            budget=Decimal(5_000_000 * (i + 1)),
            is_published=True,
            is_synthetic=True,
        )
        made.append(call)
    ids = [p for p, _b in projects]
    budgets = dict(projects)
    leads = dict(
        ProjectParticipant.objects.filter(project_id__in=ids, role="lead").values_list(
            "project_id", "authority_id"
        )
    )
    country_of = dict(
        Project.countries.through.objects.filter(project_id__in=ids).values_list("project_id", "country_id")
    )
    own = dict(
        FundingContribution.objects.filter(project_id__in=ids, instrument="own_funds").values_list(
            "project_id", "amount"
        )
    )
    facts = selectors.country_categories(iso2s=sorted(set(country_of.values())), year=now.year)
    pairs = [(c, p) for c in made for p in ids]
    rng.shuffle(pairs)
    pairs = pairs[:applications]
    apps = []
    for call, pid in pairs:
        if pid not in leads:
            continue
        budget = budgets[pid] or Decimal(100_000)
        asked = (budget * Decimal(rng.choice([30, 40, 50, 60, 70]))) / 100
        apps.append(
            Application(
                call=call,
                project_id=pid,
                lead_id=leads[pid],
                status=rng.choice(
                    [ApplicationStatus.SUBMITTED] * 8
                    + [ApplicationStatus.RETURNED, ApplicationStatus.REFUSED]
                ),
                requested=asked.quantize(Decimal("0.01")),
                proposed=(asked * Decimal("0.8")).quantize(Decimal("0.01")),
                score=Decimal(rng.randint(20, 95)),
                submitted_at=call.deadline_at - timedelta(days=rng.randint(1, 50)),
                is_synthetic=True,
            )
        )
    Application.objects.bulk_create(apps, batch_size=BATCH)
    apps = list(Application.objects.filter(call__in=made).select_related("call__ruleset"))
    versions, coapps, opinions = [], [], []
    for app in apps:
        budget = budgets[app.project_id] or Decimal(100_000)
        french = own.get(app.project_id, Decimal(0))
        rest = max(budget - french - app.requested, Decimal(0))
        country = facts.get(country_of.get(app.project_id))
        snap = engine.Snapshot(
            total_budget=budget,
            requested=app.requested,
            lines=(engine.Line(engine.FRENCH, french), engine.Line(engine.FOREIGN, rest)),
            countries=(country,) if country else (),
            duration_months=rng.choice([12, 24, 36, 48]),
            documents=frozenset(rng.sample(["deliberation", "convention", "budget"], k=rng.randint(1, 3))),
            prerequisites={"aid_declared_previous_year": rng.random() < 0.8},
        )
        checks = engine.evaluate(app.call.ruleset.rules, snap)
        app.verdict = engine.verdict(checks)
        versions.append(
            ApplicationVersion(
                application=app,
                number=1,
                snapshot={"synthetic": True, "requested": str(app.requested), "total_budget": str(budget)},
                checks=[c.as_dict() for c in checks],
                verdict=app.verdict,
                submitted_at=app.submitted_at,
            )
        )
        coapps.append(
            CoApplicant(
                application=app, authority_id=app.lead_id, is_lead=True, confirmed_at=app.submitted_at
            )
        )
        if country:
            verdict = rng.choice(["favourable", "favourable", "reserved", "unfavourable", ""])
            opinions.append(
                Opinion(
                    application=app, country_id=country.iso2, verdict=verdict, at=now if verdict else None
                )
            )
    Application.objects.bulk_update(apps, ["verdict"], batch_size=BATCH)
    ApplicationVersion.objects.bulk_create(versions, batch_size=BATCH)
    CoApplicant.objects.bulk_create(coapps, batch_size=BATCH)
    Opinion.objects.bulk_create(opinions, batch_size=BATCH)
    seconds = time.monotonic() - started
    log(f"Synthetic campaign: {len(made)} calls, {len(apps)} applications (synthetic), {seconds:.1f} s.")
    return {"calls": len(made), "applications": len(apps), "seconds": seconds}
