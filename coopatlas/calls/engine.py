"""The eligibility engine: pure functions over an application snapshot, rule by rule.

No database here: `selectors.snapshot_of` builds the `Snapshot` from a project (or an
application's saved version), `evaluate` checks it against a call's cleaned rules
(rules.ruleset_validate) and returns one `Check` per rule with its reason, in French, and
the figure it used. Money is Decimal throughout; shares are computed exactly and only
rounded for display.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from .figures import euros, pct  # noqa: F401  (re-exported: engine.pct, engine.euros)
from .rules import CATEGORIES, DOCUMENTS, PREREQUISITES

HUNDRED = Decimal(100)
FRENCH = "french_authority"
FOREIGN = "foreign_authority"
OTHER = "other"


@dataclass(frozen=True)
class CountryFacts:
    iso2: str
    name: str
    # among "ldc", "cicid_priority", "oda_eligible", "not_eligible" (selectors.country_categories)
    categories: frozenset[str]


@dataclass(frozen=True)
class Line:
    """One resource of the financing plan other than the grant asked for."""

    funder: str  # FRENCH, FOREIGN or OTHER
    amount: Decimal
    nature: str = "cash"  # or "in_kind"
    label: str = ""


@dataclass(frozen=True)
class Snapshot:
    total_budget: Decimal | None
    requested: Decimal | None
    lines: tuple[Line, ...] = ()
    countries: tuple[CountryFacts, ...] = ()
    duration_months: int | None = None
    french_authorities: int = 1
    documents: frozenset[str] = frozenset()
    prerequisites: dict = field(default_factory=dict)  # key -> True / False / None (unknown)
    sectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    key: str
    ok: bool | None  # None: cannot be decided yet (a figure is missing)
    reason: str
    figure: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- formatting


def pct_against(value: Decimal, limit: Decimal) -> str:
    """As `pct`, with the decimals needed to show a figure just past its limit (70,001 %
    rather than a puzzling "70 % > 70 %")."""
    text = pct(value)
    if value != limit and text == pct(limit):
        q = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize()
        text = f"{q:f}".replace(".", ",") + " %"
    return text


def share(part: Decimal, whole: Decimal) -> Decimal:
    return part * HUNDRED / whole


# --------------------------------------------------------------------------- caps


def country_cap(rules: dict, country: CountryFacts) -> tuple[Decimal | None, str]:
    """The most favourable cap among the categories the country is in, and the words for
    the category applied ("pays éligible à l'APD non prioritaire")."""
    caps = {k: Decimal(v) for k, v in rules["ministry_share"]["caps_by_category"].items()}
    applicable = [(caps[c], c) for c in caps if c in country.categories]
    if not applicable:
        return None, str(CATEGORIES["not_eligible"])
    cap, cat = max(applicable, key=lambda t: t[0])
    label = str(CATEGORIES[cat])
    # Say which better category the country misses, as the call texts do.
    better = [c for c, v in caps.items() if v > cap and c not in country.categories]
    if cat == "oda_eligible" and "cicid_priority" in better:
        label = _("pays éligible à l'APD non prioritaire")
    elif cat == "oda_eligible" and "ldc" in better:
        label = _("pays éligible à l'APD hors pays moins avancés")
    return cap, label


def ministry_cap(rules: dict, snap: Snapshot) -> tuple[Decimal | None, str]:
    """The cap of the grant's share of the budget for this project and why."""
    ms = rules["ministry_share"]
    if ms.get("flat_rate") is not None:
        return Decimal(ms["flat_rate"]), _("taux unique de l'instrument")
    countries = {c.iso2: c for c in snap.countries}
    if len(countries) > 1 and ms.get("multi_country_rate") is not None:
        return Decimal(ms["multi_country_rate"]), _("projet multi-pays (%(n)s pays)") % {"n": len(countries)}
    if not countries or not ms["caps_by_category"]:
        return None, ""
    caps = [country_cap(rules, c) + (c,) for c in countries.values()]
    if any(cap is None for cap, _label, _c in caps):
        _cap, label, c = next(t for t in caps if t[0] is None)
        return None, _("%(label)s (%(country)s) : aucun plafond prévu") % {"label": label, "country": c.name}
    cap, label, c = min(caps, key=lambda t: t[0])
    if len(caps) > 1:
        # Several countries and no multi-country rate: the strictest cap holds (our
        # reading, inferred: the documents do not say).
        label = _("%(label)s (%(country)s, plafond le plus strict des pays du projet)") % {
            "label": label,
            "country": c.name,
        }
    return cap, label


# --------------------------------------------------------------------------- rules


def _missing(key: str, what: str) -> Check:
    return Check(key, None, _("%(what)s manquant : impossible de vérifier cette règle.") % {"what": what})


def check_budget(rules: dict, snap: Snapshot) -> Check:
    if not snap.total_budget:
        return _missing("budget", _("budget total du projet"))
    resources = sum((line.amount for line in snap.lines), Decimal(0)) + (snap.requested or 0)
    figure = euros(resources)
    if resources != snap.total_budget:
        gap = snap.total_budget - resources
        return Check(
            "budget",
            False,
            _(
                "ressources %(resources)s ≠ budget %(budget)s (écart %(gap)s) : le plan de "
                "financement doit être équilibré"
            )
            % {"resources": figure, "budget": euros(snap.total_budget), "gap": euros(gap)},
            figure,
        )
    return Check("budget", True, _("plan de financement équilibré (%(total)s)") % {"total": figure}, figure)


def check_ministry_share(rules: dict, snap: Snapshot) -> Check | None:
    cap, label = ministry_cap(rules, snap)
    if cap is None and not label:
        if rules["ministry_share"]["caps_by_category"] and not snap.countries:
            return _missing("ministry_share", _("pays partenaire"))
        return None
    if not snap.total_budget or snap.requested is None:
        return _missing("ministry_share", _("montant demandé ou budget total"))
    part = share(snap.requested, snap.total_budget)
    figure = pct(part) if cap is None else pct_against(part, cap)
    if cap is None:
        return Check(
            "ministry_share",
            False,
            _("part demandée %(part)s : %(why)s") % {"part": figure, "why": label},
            figure,
        )
    words = {"part": figure, "cap": pct(cap), "label": label}
    daect = rules.get("instrument", "daect_call") == "daect_call"
    if part > cap:
        text = (
            _("part du ministère %(part)s > plafond %(cap)s pour un %(label)s")
            if daect
            else _("part du financeur %(part)s > plafond %(cap)s (%(label)s)")
        )
        return Check("ministry_share", False, text % words, figure)
    text = (
        _("part du ministère %(part)s ≤ plafond %(cap)s pour un %(label)s")
        if daect
        else _("part du financeur %(part)s ≤ plafond %(cap)s (%(label)s)")
    )
    return Check("ministry_share", True, text % words, figure)


def _french_share(snap: Snapshot) -> tuple[Decimal, Decimal]:
    cash = sum((x.amount for x in snap.lines if x.funder == FRENCH and x.nature == "cash"), Decimal(0))
    kind = sum((x.amount for x in snap.lines if x.funder == FRENCH and x.nature != "cash"), Decimal(0))
    return cash + kind, kind


def check_authorities_share(rules: dict, snap: Snapshot) -> Check | None:
    minimum = rules["authorities"]["min_share"]
    if minimum is None:
        return None
    if not snap.total_budget:
        return _missing("authorities_share", _("budget total du projet"))
    total, _kind = _french_share(snap)
    part = share(total, snap.total_budget)
    words = {"part": pct(part), "min": pct(Decimal(minimum)), "amount": euros(total)}
    if part < Decimal(minimum):
        return Check(
            "authorities_share",
            False,
            _("part des collectivités françaises %(part)s (%(amount)s) < minimum %(min)s du budget") % words,
            pct(part),
        )
    return Check(
        "authorities_share",
        True,
        _("part des collectivités françaises %(part)s (%(amount)s) ≥ minimum %(min)s du budget") % words,
        pct(part),
    )


def check_in_kind(rules: dict, snap: Snapshot) -> Check | None:
    maximum = rules["authorities"]["in_kind_max_of_share"]
    if maximum is None:
        return None
    total, kind = _french_share(snap)
    if not total:
        return Check(
            "in_kind",
            None,
            _(
                "aucun apport des collectivités françaises : la valorisation ne peut "
                "être rapportée à leur part"
            ),
        )
    part = share(kind, total)
    words = {"part": pct(part), "max": pct(Decimal(maximum)), "kind": euros(kind), "total": euros(total)}
    if part > Decimal(maximum):
        return Check(
            "in_kind",
            False,
            _("valorisation %(kind)s = %(part)s de la part des collectivités (%(total)s) > maximum %(max)s")
            % words,
            pct(part),
        )
    return Check(
        "in_kind",
        True,
        _("valorisation %(kind)s = %(part)s de la part des collectivités (%(total)s) ≤ maximum %(max)s")
        % words,
        pct(part),
    )


def check_cofunders(rules: dict, snap: Snapshot) -> Check | None:
    minimum = rules.get("cofunders_min_share")
    if minimum is None:
        return None
    if not snap.total_budget or snap.requested is None:
        return _missing("cofunders_share", _("montant demandé ou budget total"))
    part = share(snap.total_budget - snap.requested, snap.total_budget)
    words = {"part": pct(part), "min": pct(Decimal(minimum))}
    ok = part >= Decimal(minimum)
    text = (
        _("part des autres financeurs %(part)s ≥ minimum %(min)s du coût total")
        if ok
        else _("part des autres financeurs %(part)s < minimum %(min)s du coût total")
    )
    return Check("cofunders_share", ok, text % words, pct(part))


def check_grant_bounds(rules: dict, snap: Snapshot) -> Check | None:
    low, high = rules["grant"]["min"], rules["grant"]["max"]
    if low is None and high is None:
        return None
    if snap.requested is None:
        return _missing("grant", _("montant demandé"))
    figure = euros(snap.requested)
    if low is not None and snap.requested < Decimal(low):
        return Check(
            "grant",
            False,
            _("montant demandé %(asked)s < minimum %(min)s") % {"asked": figure, "min": euros(Decimal(low))},
            figure,
        )
    if high is not None and snap.requested > Decimal(high):
        return Check(
            "grant",
            False,
            _("montant demandé %(asked)s > maximum %(max)s") % {"asked": figure, "max": euros(Decimal(high))},
            figure,
        )
    bounds = " – ".join(euros(Decimal(x)) if x is not None else "…" for x in (low, high))
    return Check(
        "grant",
        True,
        _("montant demandé %(asked)s dans les bornes %(bounds)s") % {"asked": figure, "bounds": bounds},
        figure,
    )


def check_duration(rules: dict, snap: Snapshot) -> Check | None:
    maximum = rules.get("max_duration_months")
    if maximum is None:
        return None
    if snap.duration_months is None:
        return _missing("duration", _("dates de début et de fin du projet"))
    words = {"n": snap.duration_months, "max": maximum}
    if snap.duration_months > maximum:
        return Check(
            "duration", False, _("durée %(n)s mois > maximum %(max)s mois") % words, str(snap.duration_months)
        )
    return Check(
        "duration", True, _("durée %(n)s mois ≤ maximum %(max)s mois") % words, str(snap.duration_months)
    )


def check_french_authorities(rules: dict, snap: Snapshot) -> Check | None:
    minimum = rules.get("min_french_authorities")
    if minimum is None:
        return None
    words = {"n": snap.french_authorities, "min": minimum}
    if snap.french_authorities < minimum:
        return Check(
            "french_authorities",
            False,
            _("%(n)s collectivité(s) française(s) < minimum %(min)s") % words,
            str(snap.french_authorities),
        )
    return Check(
        "french_authorities",
        True,
        _("%(n)s collectivité(s) française(s) ≥ minimum %(min)s") % words,
        str(snap.french_authorities),
    )


def check_countries(snap: Snapshot, eligible: frozenset[str] | None) -> Check | None:
    if not eligible:
        return None
    outside = [c.name for c in snap.countries if c.iso2 not in eligible]
    if not snap.countries:
        return _missing("countries", _("pays partenaire"))
    if outside:
        return Check(
            "countries",
            False,
            _("pays hors de l'appel : %(names)s") % {"names": ", ".join(outside)},
            ", ".join(outside),
        )
    return Check("countries", True, _("pays couverts par l'appel"), ", ".join(c.iso2 for c in snap.countries))


def check_documents(rules: dict, snap: Snapshot) -> list[Check]:
    out = []
    for key in rules["required_documents"]:
        label = str(DOCUMENTS[key])
        ok = key in snap.documents
        out.append(
            Check(
                f"document:{key}",
                ok,
                (_("pièce fournie : %(label)s") if ok else _("pièce manquante : %(label)s"))
                % {"label": label},
            )
        )
    return out


def check_prerequisites(rules: dict, snap: Snapshot) -> list[Check]:
    out = []
    for key in rules["prerequisites"]:
        label = str(PREREQUISITES[key])
        value = snap.prerequisites.get(key)
        if value is None:
            out.append(Check(f"prerequisite:{key}", None, _("à vérifier : %(label)s") % {"label": label}))
        else:
            text = _("prérequis rempli : %(label)s") if value else _("prérequis non rempli : %(label)s")
            out.append(Check(f"prerequisite:{key}", bool(value), text % {"label": label}))
    return out


def evaluate(rules: dict, snap: Snapshot, *, eligible_countries: frozenset[str] | None = None) -> list[Check]:
    """Every rule of the set, in a stable order; rules the set does not have are left out."""
    checks: list[Check | None] = [
        check_budget(rules, snap),
        check_ministry_share(rules, snap),
        check_authorities_share(rules, snap),
        check_in_kind(rules, snap),
        check_cofunders(rules, snap),
        check_grant_bounds(rules, snap),
        check_duration(rules, snap),
        check_french_authorities(rules, snap),
        check_countries(snap, eligible_countries),
    ]
    checks += check_documents(rules, snap)
    checks += check_prerequisites(rules, snap)
    return [c for c in checks if c is not None]


def verdict(checks: list[Check]) -> str:
    """ "eligible", "ineligible" (a rule fails) or "incomplete" (a figure is missing)."""
    if any(c.ok is False for c in checks):
        return "ineligible"
    if any(c.ok is None for c in checks):
        return "incomplete"
    return "eligible"


def one_percent(rules: dict, snap: Snapshot) -> list[Check]:
    """The "1 %" laws (seed 001, 1185-1260): open to a project in the service's sector."""
    labels = {
        "water_1pct": _("eau et assainissement"),
        "energy_1pct": _("énergie"),
        "waste_1pct": _("déchets"),
    }
    out = []
    op = rules["one_percent"] or {}
    for service, prefixes in op.get("sectors", {}).items():
        hits = [s for s in snap.sectors if any(s.startswith(p) for p in prefixes)]
        name = labels.get(service, service)
        if hits:
            out.append(
                Check(
                    service,
                    True,
                    _(
                        "secteur %(code)s : jusqu'à %(rate)s du budget du service %(name)s "
                        "peut financer ce projet (même secteur)"
                    )
                    % {"code": hits[0], "rate": pct(Decimal(op["max_rate"])), "name": name},
                    hits[0],
                )
            )
        else:
            out.append(
                Check(
                    service,
                    False,
                    _(
                        "aucun secteur CAD du projet dans le domaine %(name)s : le « 1 %% » "
                        "%(name)s ne s'applique qu'au même secteur"
                    )
                    % {"name": name},
                )
            )
    return out
