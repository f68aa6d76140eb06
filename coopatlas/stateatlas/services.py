"""Import the state's atlas: parse, resolve, group, then write in one transaction.

`atlas_import` is the one entry point (the command, the bench and the tests call it). It
writes through the cooperation and geo services only; what they refuse for one fiche is
reported with the fiche's file and the field, and the rest goes on (a savepoint per
fiche). `--strict` turns any problem into a failure that writes nothing; `--dry-run` does
all the work and rolls it back.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from coopatlas.cooperation.bulk import PartnershipRow, ProjectRow, partnerships_bulk_save, projects_bulk_save
from coopatlas.cooperation.models import Contact, Organisation, Partnership, PartnershipKind, Project
from coopatlas.cooperation.services import contact_create, organisation_create
from coopatlas.core.errors import AppError, NotFound
from coopatlas.core.services import (
    record_citations_set_many,
    record_inferences_set_many,
    source_cite_many,
    source_document_get_or_create,
)
from coopatlas.core.text import fold
from coopatlas.geo.models import Country, LocalAuthority
from coopatlas.geo.partners import foreign_authority_create, foreign_authority_from_entry
from coopatlas.geo.selectors import authority_get
from coopatlas.reference.models import SdgGoal, Theme

from .models import AtlasContact, AtlasRecord, AtlasSdg, ReviewItem
from .parser import Fiche, Problem, parse_path, spec
from .resolve import NameIndex, Resolution, country_from, resolve_french, resolve_partner
from .selectors import settled_choices

SUFFIXES = {".html", ".htm", ".txt", ".csv", ".xlsx"}
DOCUMENT_KEY = "atlas-etat"
PARTNER_KINDS = {  # the lead word's kind (geo.gazetteer.LEAD_KIND) -> LocalAuthority.kind
    "region": "region",
    "cercle": "cercle",
    "commune": "commune",
    "municipalite": "municipalite",
    "province": "province",
    "district": "district",
    "gouvernorat": "gouvernorat",
    "prefecture": "prefecture",
    "departement": "departement",
}


class StrictFailure(AppError):
    """--strict and something was not read or not resolved: nothing was written."""

    def __init__(self, message: str, *, report: Report):
        super().__init__(message, field="strict")
        self.report = report


@dataclass
class Report:
    files: int = 0
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # fiches read as on the last run: nothing written
    partnerships_created: int = 0
    partnerships_updated: int = 0
    grouped: int = 0  # partnerships holding two periods or more
    partners_created: int = 0  # foreign authorities created "à vérifier"
    french_resolved: int = 0
    french_names: int = 0
    dry_run: bool = False
    strict_failed: bool = False
    problems: list[Problem] = field(default_factory=list)
    unresolved: list[dict] = field(default_factory=list)  # {kind, name, prj_ids, candidates}
    successors: list[dict] = field(default_factory=list)  # {name, authority, via}
    uncertain_groupings: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "problems"}
        out["problems"] = [
            {"file": p.file, "line": p.line, "field": p.field, "message": p.message} for p in self.problems
        ]
        out["french_automatic_rate"] = (
            round(self.french_resolved / self.french_names, 3) if self.french_names else None
        )
        return out

    def as_text(self) -> str:
        lines = [
            _(
                "%(files)s fichier(s), %(read)s fiche(s) lue(s) ; projets : %(created)s créé(s), "
                "%(updated)s mis à jour, %(unchanged)s inchangé(s) ; partenariats : %(pc)s créé(s), "
                "%(pu)s mis à jour, "
                "%(grouped)s regroupant plusieurs périodes ; %(partners)s collectivité(s) "
                "partenaire(s) créée(s) « à vérifier »."
            )
            % {
                "files": self.files,
                "read": self.read,
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "pc": self.partnerships_created,
                "pu": self.partnerships_updated,
                "grouped": self.grouped,
                "partners": self.partners_created,
            }
        ]
        if self.french_names:
            lines.append(
                _("Collectivités françaises résolues automatiquement : %(ok)s sur %(all)s (%(pct)s %%).")
                % {
                    "ok": self.french_resolved,
                    "all": self.french_names,
                    "pct": round(100 * self.french_resolved / self.french_names),
                }
            )
        for s in self.successors:
            lines.append(
                _("Ancien nom « %(name)s » : remplacé par son successeur %(authority)s.")
                % {"name": s["name"], "authority": s["authority"]}
            )
        for u in self.unresolved:
            candidates = " ; ".join(f"{c['label']} [{c['code']}]" for c in u["candidates"]) or _("aucun")
            lines.append(
                _("À trancher (%(kind)s) « %(name)s » (prjId %(ids)s) — candidats : %(candidates)s")
                % {
                    "kind": u["kind"],
                    "name": u["name"],
                    "ids": ", ".join(u["prj_ids"]),
                    "candidates": candidates,
                }
            )
        for g in self.uncertain_groupings:
            lines.append(
                _("Regroupement incertain : %(label)s (prjId %(ids)s) — laissé séparé, à trancher.")
                % {"label": g["label"], "ids": ", ".join(g["prj_ids"])}
            )
        lines += [str(p) for p in self.problems]
        if self.dry_run:
            lines.append(_("Essai à blanc (--dry-run) : rien n'a été écrit."))
        if self.strict_failed:
            lines.append(_("--strict : des problèmes ont été trouvés, rien n'a été écrit."))
        return "\n".join(lines)


# --------------------------------------------------------------------------- files


def atlas_files(paths: list[str | Path]) -> list[Path]:
    """The files to read: each path given, folders read for their fiches (sorted)."""
    if not paths:
        raise AppError(_("Donnez au moins un fichier ou un dossier de fiches à importer."), field="paths")
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        elif path.is_file():
            out.append(path)
        else:
            raise AppError(
                _("%(path)s : fichier ou dossier introuvable ; vérifiez le chemin.") % {"path": raw},
                field=str(raw),
            )
    if not out:
        raise AppError(
            _("Aucune fiche dans %(paths)s (fichiers .html, .txt, .csv ou .xlsx attendus).")
            % {"paths": ", ".join(map(str, paths))},
            field="paths",
        )
    return out


# --------------------------------------------------------------------------- resolving


@dataclass
class _Item:
    fiche: Fiche
    country: Country | None = None
    french: list[LocalAuthority] = field(default_factory=list)
    partner: list[LocalAuthority] = field(default_factory=list)
    complete: bool = True  # every name resolved


class _Resolver:
    """Names to authorities, each distinct name once; settled review items first."""

    def __init__(self, report: Report, *, synthetic: bool):
        self.report = report
        self.synthetic = synthetic
        self.choices = settled_choices()
        self.index = NameIndex()
        self.french_cache: dict[str, Resolution] = {}
        self.partner_cache: dict[tuple[str, str], LocalAuthority | Resolution] = {}
        self.pending: dict[tuple[str, str], dict] = {}
        self.resolved: set[tuple[str, str]] = set()  # keys answered without a review item

    def french(self, name: str, fiche: Fiche) -> LocalAuthority | None:
        key = fold(name)
        res = self.french_cache.get(key)
        if res is None:
            choice = self.choices.get(("french", f"fr:{key}"))
            if choice:
                res = Resolution(name=name, authority=_chosen_french(choice))
            else:
                res = resolve_french(name, index=self.index)
            self.french_cache[key] = res
            if res.via and res.authority is not None:
                self.report.successors.append(
                    {
                        "name": name,
                        "authority": f"{res.authority.name} ({res.authority.slug})",
                        "via": res.via,
                    }
                )
        self.report.french_names += 1
        if res.authority is not None:
            self.report.french_resolved += 1
            self.resolved.add(("french", f"fr:{key}"))
            return res.authority
        self._pending("french", f"fr:{key}", name, None, fiche, res.candidates)
        return None

    def partner(self, name: str, fiche: Fiche, country: Country, source) -> LocalAuthority | None:
        key = (country.iso2, fold(name))
        cached = self.partner_cache.get(key)
        self.resolved.add(("partner", f"{key[0]}:{key[1]}"))
        if isinstance(cached, LocalAuthority):
            return cached
        res = cached if isinstance(cached, Resolution) else None
        if res is None:
            choice = self.choices.get(("partner", f"{key[0]}:{key[1]}"))
            res = Resolution(name=name, code=choice, create=choice == "new") if choice else None
            if res is None:
                res = resolve_partner(name, country=country, index=self.index)
            if res.code and res.code != "new":
                found = _partner_from_code(res.code)
                if found is not None:
                    self.partner_cache[key] = found
                    return found
            if res.create:
                created = self._create(name, country, source, fiche)
                if created is not None:
                    self.partner_cache[key] = created
                    return created
            self.partner_cache[key] = res
        if res.refusal:
            self.report.problems.append(
                Problem(fiche.file, fiche.lines.get("partner"), "partner", res.refusal)
            )
            return None
        self.resolved.discard(("partner", f"{key[0]}:{key[1]}"))
        self._pending("partner", f"{key[0]}:{key[1]}", name, country, fiche, res.candidates)
        return None

    def _create(self, name: str, country: Country, source, fiche: Fiche) -> LocalAuthority | None:
        from coopatlas.geo.gazetteer import split_lead

        kind = PARTNER_KINDS.get(split_lead(name)[0], "other")
        try:
            with transaction.atomic():
                authority = foreign_authority_create(
                    user=None, country=country.iso2, name=name, kind=kind, confirm_new=True, source=source
                )
        except AppError as exc:
            self.report.problems.append(
                Problem(fiche.file, fiche.lines.get("partner"), "partner", exc.message)
            )
            return None
        self.report.partners_created += 1
        return authority

    def _pending(self, kind, key, name, country, fiche: Fiche, candidates) -> None:
        entry = self.pending.get((kind, key))
        if entry is None:
            entry = self.pending[(kind, key)] = {
                "kind": kind,
                "key": key,
                "name": name,
                "country": country,
                "prj_ids": [],
                "candidates": candidates,
            }
        if fiche.prj_id not in entry["prj_ids"]:
            entry["prj_ids"].append(fiche.prj_id)


def _chosen_french(code: str) -> LocalAuthority | None:
    try:
        return authority_get(key=code, field="french")
    except NotFound:
        return None


def _partner_from_code(code: str) -> LocalAuthority | None:
    try:
        if code.startswith("gaz:"):
            return foreign_authority_from_entry(code=code)
        return authority_get(key=code, field="partner")
    except NotFound:
        return None


# --------------------------------------------------------------------------- reference maps


class _Themes:
    def __init__(self):
        self.by_parent: dict[tuple[int | None, str], Theme] = {}
        for t in Theme.objects.all():
            self.by_parent[(t.parent_id, fold(t.name_fr))] = t

    def get(self, path: list[str]) -> tuple[Theme | None, str]:
        """The deepest theme of a path as written; the first name not found, if any."""
        parent, node = None, None
        for name in path:
            if not name.strip():
                break
            found = self.by_parent.get((parent, fold(name)))
            if found is None:
                return node, name
            node, parent = found, found.pk
        return node, ""


# --------------------------------------------------------------------------- the run


def atlas_import(
    *, paths: list[str | Path], dry_run: bool = False, strict: bool = False, synthetic: bool = False
) -> Report:
    files = atlas_files(paths)
    report = Report(files=len(files), dry_run=dry_run)
    fiches: dict[str, Fiche] = {}
    for fiche, problems in _parse_all(files):
        report.problems += problems
        if fiche is None:
            continue
        if fiche.prj_id in fiches:
            report.problems.append(
                Problem(
                    fiche.file,
                    None,
                    "prj_id",
                    _("prjId %(id)s déjà lu dans %(other)s : cette version-ci est gardée.")
                    % {"id": fiche.prj_id, "other": fiches[fiche.prj_id].file},
                )
            )
        fiches[fiche.prj_id] = fiche
    report.read = len(fiches)
    with transaction.atomic():
        _write(list(fiches.values()), report, synthetic=synthetic)
        if strict and (report.problems or report.unresolved or report.uncertain_groupings):
            report.strict_failed = True
            raise StrictFailure(
                _(
                    "--strict : %(problems)s problème(s) de lecture et %(names)s nom(s) non résolu(s) ; "
                    "rien n'a été écrit. Corrigez les fiches (voir le rapport) ou relancez sans --strict."
                )
                % {
                    "problems": len(report.problems),
                    "names": len(report.unresolved) + len(report.uncertain_groupings),
                },
                report=report,
            )
        if dry_run:
            transaction.set_rollback(True)
    return report


PARALLEL_FROM = 1000  # files: below, a pool costs more than it saves


def _parse_one(path: Path) -> list[tuple[Fiche | None, list[Problem]]]:
    return list(parse_path(path))


def _parse_all(files: list[Path]):
    """Every file's fiches, in the files' order. A large run parses in a pool of processes
    (one per core, at most 2: parsing 12,000 pages alone takes ~1 min on one core), only
    outside a transaction: the pool's processes are forked, and the database connections
    are closed first so that none is shared with them."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connection, connections

    workers = min(2, os.cpu_count() or 1)
    if len(files) < PARALLEL_FROM or workers < 2 or connection.in_atomic_block:
        for path in files:
            yield from parse_path(path)
        return
    connections.close_all()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for parsed in pool.map(_parse_one, files, chunksize=200):
            yield from parsed


def _write(fiches: list[Fiche], report: Report, *, synthetic: bool) -> None:
    document = source_document_get_or_create(
        key=DOCUMENT_KEY,
        title="Atlas français de la coopération décentralisée et des autres actions extérieures",
        publisher="Ministère de l'Europe et des Affaires étrangères (DAECT)",
    )
    resolver = _Resolver(report, synthetic=synthetic)
    themes = _Themes()
    goals = SdgGoal.objects.in_bulk()
    items: list[_Item] = []
    # one Source per fiche address, read and created in bulk
    cited = source_cite_many(
        document=document, urls=[f.url for f in fiches], note="synthétique (bench)" if synthetic else ""
    )
    sources = {f.prj_id: cited[f.url] for f in fiches}
    countries: dict[tuple[str, str], Country | None] = {}
    for fiche in fiches:
        where = (fiche.country, fiche.poste)
        if where not in countries:
            countries[where] = country_from(fiche.country, poste=fiche.poste)
        item = _Item(fiche=fiche, country=countries[where])
        if item.country is None:
            report.problems.append(
                Problem(
                    fiche.file,
                    fiche.lines.get("country"),
                    "country",
                    _("pays « %(name)s » inconnu : écrivez son nom français (Mali, Madagascar…).")
                    % {"name": fiche.country},
                )
            )
        for name in fiche.french:
            a = resolver.french(name, fiche)
            item.complete &= a is not None
            if a is not None and a not in item.french:
                item.french.append(a)
        if item.country is not None:
            for name in fiche.partner:
                a = resolver.partner(name, fiche, item.country, sources[fiche.prj_id])
                item.complete &= a is not None
                if a is not None and a not in item.partner:
                    item.partner.append(a)
        items.append(item)
    _review_items_write(resolver.pending.values(), report)
    # a name an earlier run could not settle and this one could (a gazetteer addition, an
    # alias): its open item is no longer a question
    for kind, key in resolver.resolved - set(resolver.pending):
        ReviewItem.objects.filter(kind=kind, key=key, status=ReviewItem.Status.OPEN).delete()

    groups = _groups(items, report)
    prj_ids = [i.fiche.prj_id for i in items]
    stored = {
        r["prj_id"]: r
        for chunk in _chunks(prj_ids)
        for r in AtlasRecord.objects.filter(prj_id__in=chunk).values(
            "prj_id", "data", "project_id", "partnership_id"
        )
    }
    changed = []
    for group in groups:
        if _unchanged(group, stored):
            report.unchanged += len(group)
        else:
            changed.append(group)
    # Everything below is written in bulk (cooperation.bulk: the services' checks, row by
    # row, then one statement per batch): the per-fiche services cost ~0.2 s a fiche.
    partnerships = _partnerships_write(changed, report, sources, themes, stored)
    _projects_write(changed, partnerships, report, sources, themes, goals)


def _chunks(values: list, size: int = 900):
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _groups(items: list[_Item], report: Report) -> list[list[_Item]]:
    """Same parties and same first-convention year: one partnership. Same parties with
    several years: a proposal for the review queue, kept apart until an admin merges."""
    choices = settled_choices()
    by_parties: dict[tuple, list[_Item]] = defaultdict(list)
    alone: list[list[_Item]] = []
    for item in items:
        if item.french and item.partner and item.complete:
            key = (tuple(sorted(a.pk for a in item.french)), tuple(sorted(a.pk for a in item.partner)))
            by_parties[key].append(item)
        else:
            alone.append([item])
    out = list(alone)
    for key, members in by_parties.items():
        years = sorted({m.fiche.first_convention_year for m in members}, key=lambda y: (y is None, y))
        if len(years) == 1:
            out.append(members)
            continue
        review_key = f"{'-'.join(map(str, key[0]))}|{'-'.join(map(str, key[1]))}"
        choice = choices.get(("grouping", review_key))
        if choice == "merge":
            out.append(members)
            continue
        by_year = itertools.groupby(
            sorted(
                members,
                key=lambda m: (m.fiche.first_convention_year is None, m.fiche.first_convention_year or 0),
            ),
            key=lambda m: m.fiche.first_convention_year,
        )
        out += [list(g) for _y, g in by_year]
        if choice != "separate":
            label = _("%(fr)s – %(pa)s : années de première convention %(years)s") % {
                "fr": " / ".join(a.name for a in members[0].french),
                "pa": " / ".join(a.name for a in members[0].partner),
                "years": ", ".join(str(y) if y else "?" for y in years),
            }
            prj_ids = [m.fiche.prj_id for m in members]
            report.uncertain_groupings.append({"label": label, "prj_ids": prj_ids})
            _review_item_upsert(
                kind=ReviewItem.Kind.GROUPING,
                key=review_key,
                label=label[:500],
                country=members[0].country,
                prj_ids=prj_ids,
                candidates=[
                    {"code": "merge", "label": _("Un seul partenariat, ces fiches en sont les périodes")},
                    {"code": "separate", "label": _("Des partenariats distincts (un par année)")},
                ],
            )
    return out


def _status(fiche: Fiche, target: str) -> str:
    return spec().statuses[fiche.status][target] if fiche.status else "unknown"


def _record_data(item: _Item) -> dict:
    """What a fiche read as, with what its names resolved to: the same on a re-run means
    nothing to write."""
    data = item.fiche.as_dict()
    data.pop("lines", None)
    data.pop("file", None)
    data["_resolved"] = {
        "french": [a.pk for a in item.french],
        "partner": [a.pk for a in item.partner],
        "country": item.country.iso2 if item.country else None,
    }
    return json.loads(json.dumps(data, default=str))


def _unchanged(group: list[_Item], stored: dict) -> bool:
    rows = [stored.get(i.fiche.prj_id) for i in group]
    if any(r is None or r["project_id"] is None for r in rows):
        return False
    if len({r["partnership_id"] for r in rows}) != 1:
        return False
    return all(r["data"] == _record_data(i) for r, i in zip(rows, group, strict=True))


def _partnership_fields(group: list[_Item], themes: _Themes) -> tuple[dict, list, list[_Item]]:
    by_start = sorted(group, key=lambda i: (i.fiche.start_year or 0, i.fiche.prj_id))
    first, last = by_start[0], by_start[-1]
    first_year = min(
        (i.fiche.first_convention_year for i in group if i.fiche.first_convention_year), default=None
    )
    starts = [i.fiche.start_year for i in group if i.fiche.start_year]
    main_themes = [t for t in (themes.get(i.fiche.theme)[0] for i in group) if t is not None]
    fields = {
        "title": (
            f"{' / '.join(a.name for a in first.french)} – {' / '.join(a.name for a in first.partner)}"
        )[:500],
        "kind": PartnershipKind.COOPERATION_AGREEMENT,
        "status": _status(last.fiche, "partnership"),
        "start_year": first_year or (min(starts) if starts else None),
        "first_convention_year": first_year,
        "history": first.fiche.context,
        "description": last.fiche.objective,
    }
    return fields, list(dict.fromkeys(main_themes)), by_start


KIND_INFERENCE = (
    "L'atlas de l'État ne dit pas la nature du lien : « convention de coopération "
    "décentralisée » est déduit de son libellé « Année de première signature de la "
    "convention »."
)


def _partnerships_write(groups, report: Report, sources: dict, themes: _Themes, stored: dict) -> dict:
    """{group index: Partnership} for the groups with both sides resolved."""
    rows: dict[int, tuple[PartnershipRow, list[_Item]]] = {}
    ids: dict[int, int] = {}
    for n, group in enumerate(groups):
        if not (group[0].french and group[0].partner):
            continue
        linked = sorted(
            (i.fiche.prj_id, stored[i.fiche.prj_id]["partnership_id"])
            for i in group
            if stored.get(i.fiche.prj_id, {}).get("partnership_id")
        )
        if linked:
            ids[n] = linked[0][1]
    current = Partnership.objects.in_bulk(list(set(ids.values())))
    for n, group in enumerate(groups):
        if not (group[0].french and group[0].partner):
            continue
        fields, main_themes, by_start = _partnership_fields(group, themes)
        first = by_start[0]
        partnership = current.get(ids.get(n)) or Partnership(slug=f"atlas-etat-{first.fiche.prj_id}")
        row = PartnershipRow(
            partnership=partnership,
            source=sources[first.fiche.prj_id],
            fields=fields,
            parties=first.french + first.partner,
            themes=main_themes,
        )
        rows[n] = (row, by_start)
    new = {n for n, (row, _b) in rows.items() if row.partnership.pk is None}
    partnerships_bulk_save(rows=[row for row, _b in rows.values()])
    out = {}
    for n, (row, by_start) in rows.items():
        if row.error is not None:
            report.problems.append(
                Problem(by_start[0].fiche.file, None, row.error.field or "partnership", row.error.message)
            )
            continue
        out[n] = row.partnership
        if n in new:
            report.partnerships_created += 1
        else:
            report.partnerships_updated += 1
        if len(groups[n]) > 1:
            report.grouped += 1
    record_citations_set_many(
        records=[
            (out[n], [sources[i.fiche.prj_id] for i in by_start[1:]])
            for n, (_row, by_start) in rows.items()
            if n in out
        ]
    )
    record_inferences_set_many(records=list(out.values()), inferences={"kind": KIND_INFERENCE})
    return out


def _project_fields(
    item: _Item, partnership, report: Report, themes: _Themes, goals
) -> tuple[dict, dict, list]:
    fiche = item.fiche
    theme_links = []
    main, missing = themes.get(fiche.theme)
    if missing:
        report.problems.append(
            Problem(
                fiche.file,
                fiche.lines.get("theme1"),
                "theme",
                _("thématique inconnue « %(name)s ».") % {"name": missing},
            )
        )
    if main is not None:
        theme_links.append((main, True, None))
    for path, priority in fiche.other_themes:
        theme, missing = themes.get(path)
        if missing:
            report.problems.append(
                Problem(
                    fiche.file,
                    fiche.lines.get("other_themes"),
                    "other_themes",
                    _("thématique inconnue « %(name)s ».") % {"name": missing},
                )
            )
        if theme is not None and all(theme.pk != t.pk for t, _m, _p in theme_links):
            theme_links.append((theme, False, priority))
    sdgs = [(goals[n], level) for n, level in fiche.sdgs if n in goals]
    end_date = fiche.end_date
    if end_date and fiche.start_year and end_date.year < fiche.start_year:
        report.problems.append(
            Problem(
                fiche.file,
                fiche.lines.get("end_date"),
                "end_date",
                _("date de fin %(end)s avant l'année de début %(start)s : non importée.")
                % {"end": end_date.strftime("%d/%m/%Y"), "start": fiche.start_year},
            )
        )
        end_date = None
    links = {
        "partnerships": [partnership] if partnership else [],
        "participants": [(a, "lead") for a in item.french] + [(a, "partner") for a in item.partner],
        "countries": [item.country] if item.country else [],
        "themes": theme_links,
        "sdg_goals": list(dict.fromkeys(g for g, _l in sdgs)),
    }
    fields = {
        "title": fiche.title or _("(intitulé absent de la fiche %(id)s)") % {"id": fiche.prj_id},
        "context": fiche.context,
        "objective": fiche.objective,
        "description": fiche.description,
        "status": _status(fiche, "project"),
        "start_year": fiche.start_year,
        "end_year": end_date.year if end_date else None,
        "end_date": end_date,
        "legacy_id": fiche.prj_id,
    }
    return fields, links, sdgs


def _projects_write(
    groups, partnerships: dict, report: Report, sources: dict, themes: _Themes, goals
) -> None:
    prj_ids = [i.fiche.prj_id for g in groups for i in g]
    current = {
        p.legacy_id: p for chunk in _chunks(prj_ids) for p in Project.objects.filter(legacy_id__in=chunk)
    }
    rows: list[tuple[_Item, ProjectRow, list, Partnership | None]] = []
    for n, group in enumerate(groups):
        partnership = partnerships.get(n)
        for item in group:
            fields, links, sdgs = _project_fields(item, partnership, report, themes, goals)
            project = current.get(item.fiche.prj_id)
            if project is not None:
                # A page cut short never blanks what an earlier import read: only what
                # this fiche states is written over.
                fields = {k: v for k, v in fields.items() if v not in (None, "", "unknown")}
                links = {k: v for k, v in links.items() if v}
            else:
                project = Project(slug=f"atlas-etat-{item.fiche.prj_id}")
            row = ProjectRow(project=project, source=sources[item.fiche.prj_id], fields=fields, links=links)
            rows.append((item, row, sdgs, partnership))
    projects_bulk_save(rows=[row for _i, row, _s, _p in rows])
    written = []
    for item, row, sdgs, partnership in rows:
        if row.error is not None:
            fiche = item.fiche
            report.problems.append(
                Problem(
                    fiche.file,
                    fiche.lines.get(row.error.field or ""),
                    row.error.field or "fiche",
                    row.error.message,
                )
            )
            continue
        if item.fiche.prj_id in current:
            report.updated += 1
        else:
            report.created += 1
        written.append((item, row.project, partnership, sdgs))
    records = _records_write(written)
    for chunk in _chunks([r.pk for r in records.values()]):
        AtlasSdg.objects.filter(record_id__in=chunk).delete()
    AtlasSdg.objects.bulk_create(
        [
            AtlasSdg(record=records[item.fiche.prj_id], goal=g, level=lvl)
            for item, _p, _pa, sdgs in written
            for g, lvl in dict(sdgs).items()
        ],
        batch_size=1000,
    )
    _contacts_write(written, records, report, sources)


def _records_write(written) -> dict[str, AtlasRecord]:
    """AtlasRecord per fiche written: updated in place (by prjId) or created, in bulk."""
    prj_ids = [item.fiche.prj_id for item, *_rest in written]
    current = {
        r.prj_id: r for chunk in _chunks(prj_ids) for r in AtlasRecord.objects.filter(prj_id__in=chunk)
    }
    now = timezone.now()
    new, old = [], []
    for item, project, partnership, _sdgs in written:
        fiche = item.fiche
        record = current.get(fiche.prj_id) or AtlasRecord(prj_id=fiche.prj_id)
        record.url = fiche.url
        record.file = fiche.file[:1000]
        record.project = project
        record.partnership = partnership
        record.title_looks_cut = fiche.title_looks_cut
        record.data = _record_data(item)
        record.imported_at = now
        (old if record.pk else new).append(record)
    AtlasRecord.objects.bulk_update(
        old,
        ["url", "file", "project", "partnership", "title_looks_cut", "data", "imported_at"],
        batch_size=500,
    )
    AtlasRecord.objects.bulk_create(new, batch_size=500)
    if any(r.pk is None for r in new):  # backends that return no ids
        current = {
            r.prj_id: r for chunk in _chunks(prj_ids) for r in AtlasRecord.objects.filter(prj_id__in=chunk)
        }
        return current
    return {r.prj_id: r for r in old + new}


def _embassy(name: str, country: Country | None, source, embassies: dict) -> Organisation | None:
    if not name:
        return None
    key = fold(name)
    if key in embassies:
        return embassies[key]
    found = Organisation.objects.filter(kind=Organisation.Kind.EMBASSY, search_name=key).first()
    if found is None:
        base = slugify(name)[:180] or "poste"
        slug = base
        for n in itertools.count(2):
            if not Organisation.objects.filter(slug=slug).exists():
                break
            slug = f"{base}-{n}"
        found = organisation_create(
            slug=slug, name=name[:300], kind=Organisation.Kind.EMBASSY, source=source, country=country
        )
    embassies[key] = found
    return found


def _contacts_write(written, records: dict, report: Report, sources: dict) -> None:
    """The embassy contacts of each fiche written, dated by the fiche; embassies and their
    contacts read once, new ones through the services."""
    embassies: dict[str, Organisation | None] = {}
    people: dict[int, dict[tuple[str, str], Contact]] = {}
    rows = []
    for item, _project, _partnership, _sdgs in written:
        fiche = item.fiche
        record = records[fiche.prj_id]
        as_of = fiche.updated_on or timezone.localdate()
        source = sources[fiche.prj_id]
        try:
            embassy = _embassy(fiche.poste, item.country, source, embassies)
        except AppError as exc:
            report.problems.append(Problem(fiche.file, fiche.lines.get("poste"), "poste", exc.message))
            embassy = None
        for role, person in (
            (AtlasContact.Role.CORRESPONDENT, fiche.correspondent),
            (AtlasContact.Role.COUNSELLOR, fiche.counsellor),
        ):
            if person is None:
                continue
            if person.none:
                rows.append(AtlasContact(record=record, role=role, is_none=True, as_of=as_of))
                continue
            if embassy is None or not (person.name or person.email):
                continue
            known = people.get(embassy.pk)
            if known is None:
                known = people[embassy.pk] = {}
                for c in Contact.objects.filter(organisation=embassy).order_by("pk"):
                    known.setdefault(("email", c.email), c) if c.email else None
                    known.setdefault(("name", c.name), c)
            key = ("email", person.email) if person.email else ("name", person.name[:200])
            contact = known.get(key)
            if contact is None:
                try:
                    contact = contact_create(
                        role=str(role.label),
                        name=person.name[:200],
                        email=person.email,
                        organisation=embassy,
                        country=item.country,
                        source=source,
                    )
                except AppError as exc:
                    report.problems.append(
                        Problem(fiche.file, fiche.lines.get(role.value), exc.field or role.value, exc.message)
                    )
                    continue
                known[key] = contact
            rows.append(AtlasContact(record=record, role=role, contact=contact, as_of=as_of))
    for chunk in _chunks([r.pk for r in records.values()]):
        AtlasContact.objects.filter(record_id__in=chunk).delete()
    AtlasContact.objects.bulk_create(rows, batch_size=1000)


# --------------------------------------------------------------------------- review queue


def _review_items_write(pending, report: Report) -> None:
    for entry in pending:
        report.unresolved.append(
            {
                "kind": entry["kind"],
                "name": entry["name"],
                "country": entry["country"].iso2 if entry["country"] else "FR",
                "prj_ids": entry["prj_ids"],
                "candidates": entry["candidates"],
            }
        )
        _review_item_upsert(
            kind=entry["kind"],
            key=entry["key"][:400],
            label=entry["name"][:500],
            country=entry["country"],
            prj_ids=entry["prj_ids"],
            candidates=entry["candidates"],
        )


def _review_item_upsert(
    *, kind: str, key: str, label: str, country, prj_ids: list[str], candidates: list[dict]
) -> None:
    item = ReviewItem.objects.filter(kind=kind, key=key).first()
    if item is None:
        ReviewItem.objects.create(
            kind=kind, key=key, label=label, country=country, prj_ids=prj_ids, candidates=candidates
        )
    elif item.status == ReviewItem.Status.OPEN:
        item.prj_ids = sorted(set(item.prj_ids) | set(prj_ids))
        item.candidates = candidates
        item.save(update_fields=["prj_ids", "candidates"])


@transaction.atomic
def review_item_settle(*, user, item: ReviewItem, choice: str) -> ReviewItem:
    """An administrator's answer; the next import follows it."""
    from coopatlas.accounts.permissions import PermissionDenied, scope_of

    if not scope_of(user).admin:
        raise PermissionDenied(
            _("Seul un administrateur tranche les points de l'import de l'atlas."), field="user"
        )
    allowed = {c["code"] for c in item.candidates}
    if item.kind == ReviewItem.Kind.PARTNER:
        allowed.add("new")
    choice = (choice or "").strip()
    if choice not in allowed:
        # a code typed by hand must still name an authority the one lookup knows
        if item.kind == ReviewItem.Kind.GROUPING or not choice:
            raise AppError(_("Choisissez l'une des propositions."), field="choice")
        target = _chosen_french(choice) if item.kind == ReviewItem.Kind.FRENCH else _partner_from_code(choice)
        if target is None:
            raise AppError(
                _(
                    "« %(code)s » ne désigne aucune collectivité : choisissez une proposition ou "
                    "donnez son code (slug, commune:93048…)."
                )
                % {"code": choice},
                field="choice",
            )
    item.choice = choice
    item.status = ReviewItem.Status.SETTLED
    item.settled_by_email = user.email
    item.settled_at = timezone.now()
    item.save()
    return item


def today() -> date:
    return timezone.localdate()
