"""From the names a fiche writes to authorities and countries, through geo's own lookups.

French authorities: `geo.selectors.authority_get` (codes) and `authority_search` (names and
aliases, former names included); partner authorities: `geo.gazetteer.partner_search`. No
second lookup lives here: this module only takes apart how people write names ("Conseil
général du Finistère", "CG29", "Ville de Montreuil (93)") and decides whether one answer is
certain. An uncertain name comes back with its candidates, for the review queue.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from coopatlas.core.errors import NotFound
from coopatlas.core.text import fold
from coopatlas.geo.gazetteer import bare_lead, core_name, split_lead, state_named
from coopatlas.geo.gazetteer import partner_search as gazetteer_partner_search
from coopatlas.geo.models import AuthorityAlias, Country, LocalAuthority
from coopatlas.geo.selectors import authority_get, authority_search

DATA = Path(__file__).resolve().parent / "data" / "names.yaml"
LINKS = ("de la ", "de l ", "des ", "du ", "de ", "d ")


@dataclass
class Resolution:
    name: str
    authority: LocalAuthority | None = None
    candidates: list[dict] = field(default_factory=list)  # [{"code", "label"}]
    via: str = ""  # the former name or alias it was found through, said in the report
    code: str = ""  # partner: the slug or gaz:<entry> partner_search gave, when certain
    create: bool = False  # a partner nobody knows: to be created "à vérifier"
    refusal: str = ""  # the name designates a State

    @property
    def certain(self) -> bool:
        return self.authority is not None or bool(self.code)


@functools.lru_cache(maxsize=1)
def names_data() -> dict:
    with open(DATA, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    data["_code"] = re.compile(data["departement_code"])
    data["_leads"] = sorted(data["french_leads"], key=len, reverse=True)
    return data


# « Ambassade de France au Mali », « … en Côte d'Ivoire », « … aux Comores »: the country
# follows « France » and its preposition.
POSTE_COUNTRY = re.compile(
    r"(?i)\bFrance\s+(?:aux|au|en|à|a|du|de la|de l'|d'|de|pour|près(?:\s+(?:de|du|le|la))?)"
    r"(?:\s+|(?<='))(.+)$"
)


def country_from(name: str, *, poste: str = "") -> Country | None:
    """The Country a fiche names ("Mali", "Territoires palestiniens"), else from its poste
    ("Ambassade de France au Mali"), through geo's one country-name lookup."""
    m = POSTE_COUNTRY.search(poste or "")
    for text in (name, m.group(1) if m else ""):
        text = (text or "").strip().rstrip(".")
        if text:
            found = state_named(text)
            if found is not None:
                return found
    return None


def _label(a: LocalAuthority) -> str:
    where = f", {a.parent.name}" if a.parent_id else ""
    code = a.insee_code or a.siren or a.slug
    return f"{a.name} ({a.get_kind_display()}{where}, {code})"


def _code(a: LocalAuthority) -> str:
    return a.slug


def split_french(name: str) -> tuple[list[str], str, str, str]:
    """(kinds the lead word means, the core name, its short form, département hint)."""
    data = names_data()
    text = " ".join(name.split())
    hint = ""
    m = re.search(r"\(([^)]+)\)\s*$", text)
    if m:
        hint, text = m.group(1).strip(), text[: m.start()].strip()
    folded = fold(text).replace("'", " ")
    for lead in data["_leads"]:
        if folded == lead or folded.startswith(lead + " "):
            rest = folded[len(lead) :].strip()
            linked = ""
            for link in LINKS:
                if rest.startswith(link):
                    linked, rest = link, rest[len(link) :]
                    break
            if not rest:
                continue
            info = data["french_leads"][lead]
            # the official code's own short form keeps the link: "CU d'Alençon"
            short = f"{info['short']} {linked}{rest}" if info.get("short") else ""
            return list(info["kinds"]), rest, short, hint
    return [], text, "", hint


def _departement_of(hint: str) -> str:
    """'93' or 'Seine-Saint-Denis' -> '93'; '' when the hint names no département."""
    if re.fullmatch(r"\d{2}|2[AB]|97\d", hint.upper()):
        return hint.upper()
    for a in authority_search(q=hint, country="FR", limit=5):
        if a.kind == "departement" and a.search_name == fold(hint):
            return a.insee_code
    return ""


ARTICLE = re.compile(r"^(?:la|le|les|l) ")


def _bare(text: str) -> str:
    """'la reunion' -> 'reunion': records drop the article ("Région Réunion")."""
    return ARTICLE.sub("", fold(text).replace("'", " "))


def _exact(a: LocalAuthority, wanted: set[str], alias_hits: dict[int, str]) -> bool:
    return _bare(a.search_name) in wanted or a.pk in alias_hits


class NameIndex:
    """The names a run looks up, read once: French authorities by their folded name and
    their aliases (former names included), foreign authorities and gazetteer entries per
    country (read the first time a fiche names the country).

    Only a fast path: a name that finds exactly one authority here is the one
    `resolve_french` / `resolve_partner` would have taken through geo's searches; any other
    answer (none, several) goes through those searches, which give the candidates. At the
    state's scale (12,000 fiches, ~3,000 distinct names) the searches cost ~0.1 s a name.
    """

    def __init__(self):
        self.french: dict[str, list[tuple]] = {}
        rows = LocalAuthority.objects.filter(country_id="FR").values_list(
            "pk", "kind", "is_current", "insee_code", "parent__kind", "parent__insee_code", "search_name"
        )
        for pk, kind, current, insee, parent_kind, parent_insee, search_name in rows.iterator(
            chunk_size=5000
        ):
            self.french.setdefault(_bare(search_name), []).append(
                (pk, kind, current, insee or "", parent_kind or "", parent_insee or "")
            )
        self.french_alias: dict[str, list[tuple[int, str]]] = {}
        aliases = AuthorityAlias.objects.filter(authority__country_id="FR").values_list(
            "search_value", "authority_id", "value"
        )
        for value, pk, written in aliases.iterator(chunk_size=5000):
            self.french_alias.setdefault(value, []).append((pk, written))
        self.by_pk = {t[0]: t for ts in self.french.values() for t in ts}
        self.partners: dict[str, dict[str, set[str]]] = {}

    def french_exact(self, wanted: set[str], kinds: list[str], dep: str) -> tuple[int | None, str]:
        """(the one authority's pk, the alias it was found through) or (None, '')."""
        hits: dict[int, str] = {}
        for w in wanted:
            for t in self.french.get(w, ()):
                hits.setdefault(t[0], "")
            for pk, written in self.french_alias.get(w, ()):
                if pk in self.by_pk:
                    hits.setdefault(pk, written)
        pool = [self.by_pk[pk] for pk in hits if not kinds or self.by_pk[pk][1] in kinds]
        if dep:
            pool = [t for t in pool if _tuple_in_departement(t, dep)]
        current = [t for t in pool if t[2]] or pool
        if len(current) != 1:
            return None, ""
        return current[0][0], hits[current[0][0]]

    def partner_codes(self, country: str, wanted: str) -> set[str]:
        names = self.partners.get(country)
        if names is None:
            names = self.partners[country] = self._partner_names(country)
        return names.get(wanted, set())

    @staticmethod
    def _partner_names(country: str) -> dict[str, set[str]]:
        from coopatlas.geo.models import GazetteerName

        out: dict[str, set[str]] = {}
        slugs = {}
        for pk, slug, name in LocalAuthority.objects.filter(country_id=country).values_list(
            "pk", "slug", "name"
        ):
            slugs[pk] = slug
            out.setdefault(core_name(name), set()).add(slug)
        for pk, value in AuthorityAlias.objects.filter(authority__country_id=country).values_list(
            "authority_id", "search_value"
        ):
            if pk in slugs:
                out.setdefault(value, set()).add(slugs[pk])
        rows = GazetteerName.objects.filter(entry__country_id=country).values_list(
            "value", "entry__code", "entry__authority_id"
        )
        for value, code, authority_id in rows.iterator(chunk_size=5000):
            out.setdefault(core_name(value), set()).add(slugs.get(authority_id) or f"gaz:{code}")
        return out


def _tuple_in_departement(t: tuple, dep: str) -> bool:
    """`_in_departement` on an index row (pk, kind, current, insee, parent kind, parent insee)."""
    _pk, kind, _current, insee, parent_kind, parent_insee = t
    if kind == "departement":
        return insee == dep
    return (parent_kind == "departement" and parent_insee == dep) or (
        kind == "commune" and insee.startswith(dep)
    )


def resolve_french(name: str, *, index: NameIndex | None = None) -> Resolution:
    """One French authority for a name as people write it, or the candidates."""
    data = names_data()
    res = Resolution(name=name)
    folded = fold(name).replace("'", " ")
    m = data["_code"].match(folded)
    if m:
        try:
            res.authority = authority_get(key=f"departement:{m.group(1).upper()}", field="french")
            return res
        except NotFound:
            return res
    kinds, core, short, hint = split_french(name)
    dep = _departement_of(hint) if hint else ""
    wanted = {_bare(core), _bare(name)} | ({_bare(short)} if short else set())
    if index is not None:
        pk, via = index.french_exact(wanted | {fold(core), fold(name)}, kinds, dep)
        if pk is not None:
            res.authority = LocalAuthority.objects.select_related("parent").get(pk=pk)
            if via and _bare(res.authority.search_name) not in wanted:
                res.via = via
            return res
    found: dict[int, LocalAuthority] = {}
    # The core name first ("finistere"), then the short form ("CU d'Alençon"), then the
    # name as written (an alias such as "Grand Lyon"): most names settle on the first search.
    for q in dict.fromkeys(q for q in (core, short, name) if q):
        for a in authority_search(q=q, country="FR", limit=12):
            found.setdefault(a.pk, a)
        alias_hits = dict(
            AuthorityAlias.objects.filter(
                authority_id__in=list(found), search_value__in=wanted | {fold(core), fold(name)}
            ).values_list("authority_id", "value")
        )
        pool = [a for a in found.values() if not kinds or a.kind in kinds]
        if dep:
            pool = [a for a in pool if _in_departement(a, dep)]
        exact = [a for a in pool if _exact(a, wanted, alias_hits)]
        current = [a for a in exact if a.is_current] or exact
        if current:
            break
    if len(current) == 1:
        res.authority = current[0]
        if current[0].pk in alias_hits and _bare(current[0].search_name) not in wanted:
            res.via = alias_hits[current[0].pk]
        return res
    shown = current or pool or list(found.values())
    res.candidates = [{"code": _code(a), "label": _label(a)} for a in shown[:8]]
    return res


def _in_departement(a: LocalAuthority, dep: str) -> bool:
    if a.kind == "departement":
        return a.insee_code == dep
    parent = a.parent
    return bool(parent and parent.kind == "departement" and parent.insee_code == dep) or (
        a.kind == "commune" and (a.insee_code or "").startswith(dep)
    )


def _result_names(label: str) -> set[str]:
    """'Bethlehem — Bethleem (municipalité, …)': the name and the other name that matched."""
    return {core_name(part.strip()) for part in label.split(" (")[0].split(" — ")}


def _result_kind(label: str) -> str:
    m = re.search(r"\(([^,)]+)", label)
    return fold(m.group(1)) if m else ""


def resolve_partner(name: str, *, country: Country, index: NameIndex | None = None) -> Resolution:
    """One foreign authority (or gazetteer entry, `gaz:` code) for a name, or candidates;
    `create` when nothing in the country comes close."""
    res = Resolution(name=name)
    if index is not None and state_named(name) is None:
        codes = index.partner_codes(country.iso2, core_name(name))
        if len(codes) == 1:
            res.code = next(iter(codes))
            return res
    found = gazetteer_partner_search(q=name, country=country.iso2, limit=12)
    if found["refusal"]:
        res.refusal = found["refusal"]
        return res
    hint, _core = split_lead(name)
    wanted = core_name(name)
    results = found["results"]
    # An authority already in the atlas is also found through its other names (its label
    # shows only its own): always, not only when no label matched, or a re-run would
    # prefer a gazetteer entry of another kind whose label does show the name.
    slugs = [r["code"] for r in results if r["source"] == "authority"]
    other = set(
        AuthorityAlias.objects.filter(authority__slug__in=slugs, search_value=wanted).values_list(
            "authority__slug", flat=True
        )
        if slugs
        else ()
    )
    exact = [r for r in results if wanted in _result_names(r["label"]) or r["code"] in other]
    if not exact:
        # « Région Atsinanana »: a kind word right before the name (no « de »), which
        # core_name keeps (« Province Orientale » is a name); taken only when the kind agrees.
        bare_kind, bare = bare_lead(name)
        if bare:
            exact = [
                r
                for r in results
                if bare in _result_names(r["label"]) and _result_kind(r["label"]) == bare_kind
            ]
    if hint:
        exact = [r for r in exact if _result_kind(r["label"]) == hint] or exact
    if len(exact) == 1:
        res.code = exact[0]["code"]
        res.candidates = [{"code": exact[0]["code"], "label": exact[0]["label"]}]
        return res
    if not results and " de " in f" {name} ":
        # "Communauté de Gyumri": a word the gazetteer does not know before the name; what
        # follows it is only a guess, so it is offered, never taken.
        tail = re.split(r"\s+d(?:e|u|es)\s+|\s+d'", name)[-1]
        if tail and tail != name:
            results = gazetteer_partner_search(q=tail, country=country.iso2, limit=8)["results"]
    if not results:
        res.create = True
        return res
    res.candidates = [{"code": r["code"], "label": r["label"]} for r in (exact or results)[:8]]
    return res
