"""Synthetic yearly declarations for scale: 5,000 authorities × 10 lines × 5 years.

Everything made here is marked synthetic (`Declaration.is_synthetic`, authorities with
`is_synthetic=True` named "Synth…"): no fact about a real authority is invented. The
authorities of `coopatlas synth` are reused when present; missing ones are created.
Countries, sectors and channels are the real reference rows. Each declaration gets one
validated (counted) version, so the national report reads the whole dataset.
"""

from __future__ import annotations

import random
import time

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from coopatlas.core.text import fold
from coopatlas.geo.models import AdministrativeArea, LocalAuthority
from coopatlas.reference.models import Sector

from .models import MARKER_KEYS, Declaration, DeclarationLine, DeclarationVersion, RuleSet, State
from .services import oda_check, rules_for

BATCH = 5_000
TYPE_WEIGHTS = {
    "project": 50,
    "ngo-grant": 15,
    "refugees": 10,
    "awareness": 8,
    "scholarships": 5,
    "admin-costs": 5,
    "multilateral": 4,
    "emergency": 3,
}
KINDS = [
    ("commune", 0.80),
    ("cc", 0.07),
    ("ca", 0.05),
    ("departement", 0.04),
    ("metropole", 0.015),
    ("region", 0.01),
    ("cu", 0.005),
    ("ept", 0.01),
]


def synth_declarations_clear() -> int:
    """Remove synthetic declarations, children first (one DELETE per table)."""
    removed = Declaration.objects.filter(is_synthetic=True).count()
    DeclarationLine.objects.filter(version__declaration__is_synthetic=True).delete()
    DeclarationVersion.objects.filter(declaration__is_synthetic=True).delete()
    Declaration.objects.filter(is_synthetic=True).delete()
    return removed


def _authorities(rng: random.Random, count: int) -> list[int]:
    ids = list(
        LocalAuthority.objects.filter(country_id="FR", is_synthetic=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    missing = count - len(ids)
    if missing > 0:
        areas = list(
            AdministrativeArea.objects.filter(country_id="FR", level=2).values_list("pk", flat=True)
        ) or [None]
        kinds, weights = zip(*KINDS, strict=True)
        start = LocalAuthority.objects.filter(slug__startswith="synth-decl-").count()
        new = []
        for i in range(start, start + missing):
            kind = rng.choices(kinds, weights)[0]
            name = f"Synth déclarante {i + 1}"
            new.append(
                LocalAuthority(
                    name=name,
                    kind=kind,
                    country_id="FR",
                    area_id=rng.choice(areas),
                    slug=slugify(f"synth-decl-{i + 1}"),
                    search_name=fold(name),
                    is_synthetic=True,
                )
            )
        LocalAuthority.objects.bulk_create(new, batch_size=BATCH)
        ids = list(
            LocalAuthority.objects.filter(country_id="FR", is_synthetic=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:count]
        )
    return ids


def synth_declarations(
    *,
    authorities: int = 5_000,
    lines: int = 10,
    years: int = 5,
    last_year: int | None = None,
    seed: int = 1,
    log=print,
) -> dict:
    started = time.monotonic()
    rng = random.Random(seed)
    known = sorted(RuleSet.objects.values_list("year", flat=True))
    if not known:
        from coopatlas.core.errors import AppError

        raise AppError(
            _("Aucune règle de déclaration : lancez `manage.py load_declaration_rules`."), field="rules"
        )
    last_year = last_year or known[-1]
    year_list = [y for y in known if y <= last_year][-years:]
    with transaction.atomic():
        cleared = synth_declarations_clear()
        ids = _authorities(rng, authorities)
        sectors = list(Sector.objects.filter(withdrawn=False).values_list("code", flat=True))
        total_lines = 0
        for year in year_list:
            rules = rules_for(year=year)
            eligible = sorted(rules.eligible)
            # A skewed choice of countries, as real declarations show (a few hold most).
            weights = [1.0 / (r**1.1) for r in range(1, len(eligible) + 1)]
            rng.shuffle(eligible)
            types = [t for t in TYPE_WEIGHTS if t in rules.types]
            type_weights = [TYPE_WEIGHTS[t] for t in types]
            decls = Declaration.objects.bulk_create(
                [Declaration(authority_id=a, year=year, is_synthetic=True) for a in ids], batch_size=BATCH
            )
            versions = DeclarationVersion.objects.bulk_create(
                [
                    DeclarationVersion(declaration_id=d.pk, number=1, state=State.VALIDATED, is_counted=True)
                    for d in decls
                ],
                batch_size=BATCH,
            )
            batch: list[DeclarationLine] = []
            for v in versions:
                for _i in range(lines):
                    batch.append(
                        _line(rng, rules, v.pk, year, types, type_weights, eligible, weights, sectors)
                    )
                if len(batch) >= BATCH:
                    DeclarationLine.objects.bulk_create(batch, batch_size=BATCH)
                    total_lines += len(batch)
                    batch = []
            DeclarationLine.objects.bulk_create(batch, batch_size=BATCH)
            total_lines += len(batch)
            log(f"{year}: {len(decls)} declarations, {len(decls) * lines} lines")
    return {
        "cleared": cleared,
        "authorities": len(ids),
        "years": year_list,
        "lines": total_lines,
        "seconds": round(time.monotonic() - started, 1),
    }


def _line(rng, rules, version_id, year, types, type_weights, eligible, weights, sectors):
    line_type = rng.choices(types, type_weights)[0]
    country = None
    if line_type in ("project", "ngo-grant", "scholarships", "emergency"):
        # 1 % to a country outside the DAC list: kept, not counted (as in real files).
        country = "US" if rng.random() < 0.01 else rng.choices(eligible, weights)[0]
    u12 = (rng.random() < 0.9) if line_type == "refugees" else None
    counts, reason = oda_check(rules=rules, line_type=line_type, country_id=country, under_12_months=u12)
    markers = {f"marker_{k}": rng.choices((0, 1, 2), (70, 22, 8))[0] for k in MARKER_KEYS}
    channel = rules.types[line_type].crs_channel or None
    return DeclarationLine(
        version_id=version_id,
        line_type=line_type,
        country_id=country,
        amount_cents=int(rng.lognormvariate(9.5, 1.6) * 100) + 1,
        sector_id=rng.choice(sectors) if line_type != "refugees" else None,
        channel_id=channel,
        under_12_months=u12,
        counts_as_oda=counts,
        not_oda_reason=reason,
        counted_year=year,
        comment="Ligne synthétique",
        **markers,
    )
