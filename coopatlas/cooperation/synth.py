"""A synthetic dataset at the scale of the state's atlas, for speed and memory benchmarks.

Every row made here is marked synthetic (`is_synthetic=True`, a synthetic Source, names
starting with "Synth"), and the authorities are synthetic too: no fact about a real authority
is ever invented. Countries, areas, themes and sectors are the real reference rows, so the
facets and maps behave as they will with real data.

National scale follows the state's atlas (DOMAIN.md): 12,129 projects by 4,756 French
authorities with 9,889 partner authorities in 140 countries, with the skew real data shows
(a few countries and big cities hold most). `10x` multiplies every count by ten.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError
from coopatlas.core.services import source_synthetic
from coopatlas.core.text import fold
from coopatlas.geo.models import AdministrativeArea, Country, LocalAuthority
from coopatlas.reference.models import SdgGoal, Sector, Theme

from .models import (
    FundingContribution,
    Partnership,
    PartnershipKind,
    PartnershipParty,
    PartnershipStatus,
    Payment,
    Project,
    ProjectParticipant,
    ProjectSector,
    ProjectStatus,
    ProjectTheme,
)


@dataclass(frozen=True)
class Scale:
    projects: int
    french: int
    foreign: int
    countries: int
    partnerships: int


SCALES = {
    "national": Scale(projects=12_129, french=4_756, foreign=9_889, countries=140, partnerships=10_400),
    "10x": Scale(projects=121_290, french=47_560, foreign=98_890, countries=140, partnerships=104_000),
}

# Share of French synthetic authorities by kind (roughly the real population of actors).
FRENCH_KINDS = [
    ("commune", 0.80),
    ("cc", 0.07),
    ("ca", 0.05),
    ("departement", 0.04),
    ("metropole", 0.015),
    ("region", 0.01),
    ("cu", 0.005),
    ("ept", 0.01),
]
FOREIGN_KINDS = ["commune", "commune", "commune", "region", "cercle", "province", "municipalite", "district"]
BATCH = 2_000


def _zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1.0 / (rank**s) for rank in range(1, n + 1)]


def synth_clear() -> int:
    """Delete every synthetic row, children first. Returns the number of projects removed."""
    projects = Project.objects.filter(is_synthetic=True)
    removed = projects.count()
    Payment.objects.filter(line__project__is_synthetic=True).delete()
    FundingContribution.objects.filter(project__is_synthetic=True).delete()
    for model in (ProjectParticipant, ProjectSector, ProjectTheme):
        model.objects.filter(project__is_synthetic=True).delete()
    Project.partnerships.through.objects.filter(project__is_synthetic=True).delete()
    Project.countries.through.objects.filter(project__is_synthetic=True).delete()
    Project.areas.through.objects.filter(project__is_synthetic=True).delete()
    Project.sdg_goals.through.objects.filter(project__is_synthetic=True).delete()
    projects.delete()
    PartnershipParty.objects.filter(partnership__is_synthetic=True).delete()
    Partnership.themes.through.objects.filter(partnership__is_synthetic=True).delete()
    Partnership.objects.filter(is_synthetic=True).delete()
    LocalAuthority.objects.filter(is_synthetic=True).delete()
    return removed


class _Generator:
    def __init__(self, scale: Scale, seed: int, log):
        self.scale = scale
        self.rng = random.Random(seed)
        self.log = log
        self.source = source_synthetic()

    # reference rows -----------------------------------------------------------------
    def load_reference(self) -> None:
        recipients = list(Country.objects.exclude(iso2="FR").exclude(dac_code="").order_by("iso2")) or list(
            Country.objects.exclude(iso2="FR").order_by("iso2")
        )
        if len(recipients) < 10:
            raise AppError(
                _(
                    "Les données de référence manquent : lancez d'abord `coopatlas "
                    "load-reference`, puis de nouveau `coopatlas synth`."
                ),
                field="countries",
            )
        # Put the documents' main partner countries first so the skew looks like real data.
        first = ["SN", "ML", "BF", "MA", "MG", "BJ", "TG", "HT", "TN", "VN", "CM", "NE"]
        recipients.sort(key=lambda c: (first.index(c.iso2) if c.iso2 in first else 99, c.iso2))
        self.rng.shuffle(recipients[len(first) :])
        self.countries = recipients[: self.scale.countries]
        self.country_weights = _zipf_weights(len(self.countries))
        areas: dict[str, list[int]] = {}
        for area_id, iso2 in AdministrativeArea.objects.filter(level=1).values_list("id", "country_id"):
            areas.setdefault(iso2, []).append(area_id)
        self.areas = areas
        area_coords = dict(
            (a["id"], (a["latitude"], a["longitude"]))
            for a in AdministrativeArea.objects.filter(level=1, latitude__isnull=False).values(
                "id", "latitude", "longitude"
            )
        )
        self.area_coords = area_coords
        self.fr_departements = list(
            AdministrativeArea.objects.filter(country_id="FR", level=2).values_list("id", flat=True)
        ) or self.areas.get("FR", [None])
        self.themes = list(Theme.objects.values_list("id", flat=True))
        self.sectors = list(Sector.objects.filter(withdrawn=False).values_list("code", flat=True))
        self.sdgs = list(SdgGoal.objects.values_list("number", flat=True))

    # authorities --------------------------------------------------------------------
    def _coords(self, area_id, country):
        lat, lon = self.area_coords.get(area_id, (country.latitude, country.longitude))
        if lat is None:
            return None, None
        return (round(lat + self.rng.uniform(-0.6, 0.6), 5), round(lon + self.rng.uniform(-0.6, 0.6), 5))

    def make_authorities(self) -> tuple[list[int], list[int]]:
        france = Country.objects.get(iso2="FR")
        kinds, weights = zip(*FRENCH_KINDS, strict=True)
        rows = []
        for i in range(self.scale.french):
            kind = self.rng.choices(kinds, weights)[0]
            area = self.rng.choice(self.fr_departements)
            lat, lon = self._coords(area, france)
            name = f"Synth {kind} FR {i + 1:06d}"
            rows.append(
                LocalAuthority(
                    name=name,
                    kind=kind,
                    country=france,
                    area_id=area,
                    latitude=lat,
                    longitude=lon,
                    coordinates_from="synthetic",
                    slug=f"synth-fr-{i + 1:06d}",
                    search_name=fold(name),
                    is_synthetic=True,
                    source=self.source,
                )
            )
        LocalAuthority.objects.bulk_create(rows, batch_size=BATCH)
        french = list(
            LocalAuthority.objects.filter(is_synthetic=True, country_id="FR")
            .order_by("id")
            .values_list("id", flat=True)
        )
        rows = []
        for i in range(self.scale.foreign):
            country = self.rng.choices(self.countries, self.country_weights)[0]
            area = self.rng.choice(self.areas.get(country.iso2) or [None])
            lat, lon = self._coords(area, country)
            kind = self.rng.choice(FOREIGN_KINDS)
            name = f"Synth {kind} {country.iso2} {i + 1:06d}"
            rows.append(
                LocalAuthority(
                    name=name,
                    kind=kind,
                    country=country,
                    area_id=area,
                    latitude=lat,
                    longitude=lon,
                    coordinates_from="synthetic",
                    slug=f"synth-x-{i + 1:06d}",
                    search_name=fold(name),
                    is_synthetic=True,
                    source=self.source,
                )
            )
        LocalAuthority.objects.bulk_create(rows, batch_size=BATCH)
        foreign = list(
            LocalAuthority.objects.filter(is_synthetic=True)
            .exclude(country_id="FR")
            .order_by("id")
            .values("id", "country_id", "area_id")
        )
        self.foreign_info = {f["id"]: (f["country_id"], f["area_id"]) for f in foreign}
        return french, [f["id"] for f in foreign]

    # partnerships and projects ------------------------------------------------------
    def make_partnerships(self, french: list[int], foreign: list[int]) -> list[tuple]:
        french_weights = _zipf_weights(len(french), 0.8)
        statuses = (
            [PartnershipStatus.ACTIVE] * 6
            + [PartnershipStatus.DORMANT] * 2
            + [PartnershipStatus.ENDED, PartnershipStatus.PLANNED]
        )
        kinds = (
            [PartnershipKind.COOPERATION_AGREEMENT] * 5
            + [PartnershipKind.TWINNING] * 3
            + [PartnershipKind.FRAMEWORK_AGREEMENT, PartnershipKind.FRIENDSHIP]
        )
        # Every foreign authority has at least one partner; the rest are drawn with skew.
        foreign_order = foreign + [
            self.rng.choice(foreign) for _ in range(max(0, self.scale.partnerships - len(foreign)))
        ]
        rows, pairs = [], []
        for i in range(self.scale.partnerships):
            fr = self.rng.choices(french, french_weights)[0]
            fx = foreign_order[i % len(foreign_order)]
            start = self.rng.randint(1961, 2025)
            status = self.rng.choice(statuses)
            end = self.rng.randint(start, 2026) if status == PartnershipStatus.ENDED else None
            rows.append(
                Partnership(
                    title=f"Synth partenariat {i + 1:06d}",
                    slug=f"synth-pa-{i + 1:06d}",
                    kind=self.rng.choice(kinds),
                    status=status,
                    start_year=start,
                    end_year=end,
                    first_convention_year=start,
                    is_synthetic=True,
                    source=self.source,
                )
            )
            pairs.append((fr, fx))
        for row in rows:
            row.set_search_text()  # bulk_create skips save()
        Partnership.objects.bulk_create(rows, batch_size=BATCH)
        ids = list(Partnership.objects.filter(is_synthetic=True).order_by("id").values_list("id", flat=True))
        links, theme_links = [], []
        for pid, (fr, fx) in zip(ids, pairs, strict=True):
            links += [
                PartnershipParty(partnership_id=pid, authority_id=fr),
                PartnershipParty(partnership_id=pid, authority_id=fx),
            ]
            if self.themes:
                theme_links.append(
                    Partnership.themes.through(partnership_id=pid, theme_id=self.rng.choice(self.themes))
                )
        PartnershipParty.objects.bulk_create(links, batch_size=BATCH)
        Partnership.themes.through.objects.bulk_create(theme_links, batch_size=BATCH)
        return list(zip(ids, pairs, strict=True))

    def make_projects(self, partnerships: list[tuple]) -> int:
        statuses = (
            [ProjectStatus.ONGOING] * 5
            + [ProjectStatus.COMPLETED] * 4
            + [ProjectStatus.PLANNED, ProjectStatus.DORMANT]
        )
        weights = _zipf_weights(len(partnerships), 0.5)
        chosen = partnerships + self.rng.choices(
            partnerships, weights, k=max(0, self.scale.projects - len(partnerships))
        )
        chosen = chosen[: self.scale.projects]
        rows = []
        for i, (_pid, _pair) in enumerate(chosen):
            start = self.rng.randint(1995, 2026)
            status = self.rng.choice(statuses)
            end = start + self.rng.randint(1, 4)
            budget = Decimal(self.rng.randint(5, 2_000) * 1_000)
            title = f"Synth projet {i + 1:06d}"
            rows.append(
                Project(
                    title=title,
                    slug=f"synth-pr-{i + 1:06d}",
                    status=status,
                    start_year=start,
                    end_year=end,
                    budget=budget,
                    currency="EUR",
                    search_text=fold(title),
                    summary="Projet synthétique généré pour les tests de charge.",
                    is_synthetic=True,
                    source=self.source,
                )
            )
        Project.objects.bulk_create(rows, batch_size=BATCH)
        ids = list(Project.objects.filter(is_synthetic=True).order_by("id").values_list("id", flat=True))
        through = Project.partnerships.through
        p_links, parts, countries, areas, themes, sectors, sdgs, funding = ([] for _ in range(8))
        for prid, (pid, (fr, fx)), row in zip(ids, chosen, rows, strict=True):
            iso2, area = self.foreign_info[fx]
            p_links.append(through(project_id=prid, partnership_id=pid))
            parts += [
                ProjectParticipant(project_id=prid, authority_id=fr, role="lead"),
                ProjectParticipant(project_id=prid, authority_id=fx, role="partner"),
            ]
            countries.append(Project.countries.through(project_id=prid, country_id=iso2))
            if area:
                areas.append(Project.areas.through(project_id=prid, administrativearea_id=area))
            if self.themes:
                themes.append(
                    ProjectTheme(project_id=prid, theme_id=self.rng.choice(self.themes), is_main=True)
                )
            if self.sectors:
                sectors.append(
                    ProjectSector(
                        project_id=prid, sector_id=self.rng.choice(self.sectors), percentage=Decimal(100)
                    )
                )
            if self.sdgs:
                sdgs.append(Project.sdg_goals.through(project_id=prid, sdggoal_id=self.rng.choice(self.sdgs)))
            own = (row.budget * Decimal(self.rng.choice([30, 40, 50, 60]))) / 100
            funding.append(
                FundingContribution(
                    project_id=prid,
                    funder_authority_id=fr,
                    amount=own,
                    instrument="own_funds",
                    year=row.start_year,
                    is_synthetic=True,
                    source=self.source,
                )
            )
            funding.append(
                FundingContribution(
                    project_id=prid,
                    funder_authority_id=fx,
                    amount=row.budget - own,
                    instrument="partner",
                    nature=self.rng.choice(["cash", "in_kind"]),
                    year=row.start_year,
                    is_synthetic=True,
                    source=self.source,
                )
            )
        through.objects.bulk_create(p_links, batch_size=BATCH)
        ProjectParticipant.objects.bulk_create(parts, batch_size=BATCH)
        Project.countries.through.objects.bulk_create(countries, batch_size=BATCH)
        Project.areas.through.objects.bulk_create(areas, batch_size=BATCH)
        ProjectTheme.objects.bulk_create(themes, batch_size=BATCH)
        ProjectSector.objects.bulk_create(sectors, batch_size=BATCH)
        Project.sdg_goals.through.objects.bulk_create(sdgs, batch_size=BATCH)
        FundingContribution.objects.bulk_create(funding, batch_size=BATCH)
        self._payments(funding, {r.pk: r for r in Project.objects.filter(id__in=ids).only("status")})
        return len(ids)

    def _payments(self, funding: list, projects: dict) -> None:
        """Issue 12: each begun project's own-funds line is partly disbursed to its foreign
        partner in the year it starts (a synthetic disbursement, as the rest)."""
        today = date.today()
        partner = {}
        for line in funding:
            if line.instrument == "partner":
                partner[line.project_id] = line.funder_authority_id
        payments = []
        for line in funding:
            project = projects.get(line.project_id)
            if line.instrument != "own_funds" or project is None or project.status == "planned":
                continue
            paid_on = date(line.year, 6, 30)
            if paid_on > today:
                continue
            payments.append(
                Payment(
                    line_id=line.pk,
                    kind=Payment.Kind.DISBURSEMENT,
                    paid_on=paid_on,
                    amount=(line.amount * Decimal(self.rng.choice([50, 75, 100])) / 100).quantize(
                        Decimal("0.01")
                    ),
                    currency=line.currency,
                    provider_authority_id=line.funder_authority_id,
                    receiver_authority_id=partner.get(line.project_id),
                    is_synthetic=True,
                    source=self.source,
                )
            )
        Payment.objects.bulk_create(payments, batch_size=BATCH)


def synth_generate(*, scale: str, seed: int = 1, log=print, size: Scale | None = None) -> dict[str, int]:
    """Replace the synthetic dataset by a new one at `scale`; real records are untouched.

    `size` overrides the named scale (tests use a small one).
    """
    if size is None and scale not in SCALES:
        raise AppError(
            _("Échelle inconnue %(scale)s : utilisez l'une de %(SCALES)s.")
            % {"scale": repr(scale), "SCALES": ", ".join(SCALES)},
            field="scale",
        )
    size = size or SCALES[scale]
    started = time.monotonic()
    with transaction.atomic():
        removed = synth_clear()
        if removed:
            log(f"Removed the previous synthetic dataset ({removed} projects).")
        gen = _Generator(size, seed, log)
        gen.load_reference()
        french, foreign = gen.make_authorities()
        log(f"Authorities: {len(french)} French, {len(foreign)} foreign (synthetic).")
        partnerships = gen.make_partnerships(french, foreign)
        log(f"Partnerships: {len(partnerships)}.")
        projects = gen.make_projects(partnerships)
        log(f"Projects: {projects}.")
    with connection.cursor() as cursor:  # fresh planner statistics for the new volume
        cursor.execute("ANALYZE")
    return {
        "french_authorities": len(french),
        "foreign_authorities": len(foreign),
        "countries": len({gen.foreign_info[f][0] for f in foreign}),
        "partnerships": len(partnerships),
        "projects": projects,
        "seconds": round(time.monotonic() - started, 1),
    }
