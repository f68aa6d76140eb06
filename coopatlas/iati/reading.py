"""Streaming reader of IATI activity files: checks first, then yields plain records.

Two passes over the file, each with lxml.iterparse and element clearing so memory stays
flat whatever the size: `file_check` (root, version, schema, activity by activity) and
`activity_records` (the same walk, turning each activity into an `ActivityRecord`).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree

from coopatlas.core.errors import AppError
from coopatlas.core.parse import decimal_or_none

from .checking import ActivityChecker
from .codes import ACCEPTED_VERSIONS, NS, XML_LANG

MAX_REPORTED = 20
# What one activity may hold. The reader keeps one activity in memory at a time; these
# bound that one (a 30 MB file with millions of children in one activity took 1 GB). The
# largest real activities (hundreds of transactions, budgets, results) stay far below.
MAX_ACTIVITY_ELEMENTS = 50_000
MAX_ACTIVITY_DEPTH = 24  # below <iati-activity>; the 2.03 schema nests 6 levels at most
MAX_ACTIVITY_BYTES = 20 * 1024 * 1024


@dataclass
class OrgRef:
    ref: str | None
    type: str | None
    name: str


@dataclass
class Transaction:
    type: str
    date: str
    value: Decimal | None
    currency: str | None
    provider: OrgRef | None
    description: str
    extra: dict


@dataclass
class ActivityRecord:
    line: int
    identifier: str
    lang: str
    default_currency: str | None
    last_updated: str
    reporting: OrgRef
    title: str
    texts: dict[str, str] = field(default_factory=dict)  # description type code → text
    participating: list[tuple[str, OrgRef]] = field(default_factory=list)
    status: str | None = None
    dates: list[tuple[str, str, str]] = field(default_factory=list)  # type, iso, narrative
    countries: list[str] = field(default_factory=list)
    locations: list[tuple[str | None, str | None, str | None]] = field(default_factory=list)
    sectors: list[tuple[str, str, Decimal | None]] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    original: str = ""  # the activity as published (kept whole: the atlas model holds a part)
    markers: list[tuple[str, str, str | None]] = field(default_factory=list)
    budgets: list[tuple[str, Decimal | None, str | None]] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)


class Progress:
    """A byte-count progress bar on stderr, only when asked or when stderr is a terminal."""

    def __init__(self, path: Path, label: str, enabled: bool | None = None):
        self.total = max(os.path.getsize(path), 1)
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.last = 0.0

    def update(self, done: int, count: int, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and now - self.last < 0.5:
            return
        self.last = now
        share = min(done / self.total, 1.0)
        bar = "#" * int(share * 30)
        sys.stderr.write(  # i18n: not user-facing (a progress bar)
            f"\r{self.label} [{bar:<30}] {share:5.1%} {count:>8} activities"
        )
        if final:
            sys.stderr.write("\n")
        sys.stderr.flush()


class _CountingFile:
    def __init__(self, handle):
        self.handle = handle
        self.done = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.done += len(data)
        return data


def _events(stream) -> Iterator[tuple[str, etree._Element]]:
    # No DTD, no entity expansion, no network: a file from elsewhere must not reach out or
    # blow up. A DOCTYPE is refused outright (`_refuse_doctype`): IATI files never need one.
    return etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        load_dtd=False,
        dtd_validation=False,
        remove_pis=True,
    )


def _refuse_doctype(path: Path, root: etree._Element) -> None:
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise AppError(
            _(
                "%(path)s : le fichier déclare un DOCTYPE (une DTD ou des entités) ; "
                "un fichier IATI <iati-activities> n'en a jamais besoin et l'atlas les "
                "refuse par sécurité. Retirez la ligne <!DOCTYPE …> et toute référence "
                "&entité;."
            )
            % {"path": path},
            field="file",
        )


def _activity_id(activity: etree._Element | None) -> str:
    text = activity.findtext("iati-identifier") if activity is not None else None
    return (text or "").strip()[:100] or _("(pas encore d'iati-identifier)")


def _too_big(path: Path, activity: etree._Element | None, count: int, what: str) -> AppError:
    return AppError(
        _(
            "%(path)s, activité %(count)s %(activity)s : %(what)s ; l'atlas lit au "
            "plus %(elements)s éléments, une profondeur d'imbrication de %(depth)s et "
            "%(megabytes)s Mo par activité. Scindez cette activité ou retirez les "
            "éléments répétés ; rien n'a été importé."
        )
        % {
            "path": path,
            "count": count,
            "activity": _activity_id(activity),
            "what": what,
            "elements": MAX_ACTIVITY_ELEMENTS,
            "depth": MAX_ACTIVITY_DEPTH,
            "megabytes": MAX_ACTIVITY_BYTES // 2**20,
        },
        field="file",
    )


def _activities(
    path: Path, progress: Progress | None = None
) -> Iterator[tuple[etree._Element, int, etree._Element]]:
    """Yield (detached activity, position, root) for each activity; checks the file's frame."""
    if not path.exists():
        raise AppError(_("%(path)s : fichier introuvable.") % {"path": path}, field="file")
    if path.stat().st_size == 0:
        raise AppError(
            _("%(path)s : le fichier est vide ; un fichier IATI <iati-activities> est attendu.")
            % {"path": path},
            field="file",
        )
    count, depth, root = 0, 0, None
    activity, elements, started_at = None, 0, 0
    with open(path, "rb") as handle:
        counting = _CountingFile(handle)
        try:
            for event, el in _events(counting):
                if event == "start":
                    depth += 1
                    if depth == 1:
                        root = el
                        _refuse_doctype(path, el)
                        _check_root(path, el)
                    elif depth == 2:
                        activity, elements, started_at = el, 0, counting.done
                    else:
                        elements += 1
                        if elements > MAX_ACTIVITY_ELEMENTS:
                            raise _too_big(
                                path,
                                activity,
                                count + 1,
                                _("plus de %(n)s éléments") % {"n": MAX_ACTIVITY_ELEMENTS},
                            )
                        if depth - 2 > MAX_ACTIVITY_DEPTH:
                            raise _too_big(
                                path,
                                activity,
                                count + 1,
                                _("des éléments imbriqués à plus de %(n)s niveaux")
                                % {"n": MAX_ACTIVITY_DEPTH},
                            )
                        if counting.done - started_at > MAX_ACTIVITY_BYTES + 2**16:
                            raise _too_big(
                                path,
                                activity,
                                count + 1,
                                _("plus de %(n)s Mo de XML") % {"n": MAX_ACTIVITY_BYTES // 2**20},
                            )
                    continue
                depth -= 1
                if depth != 1:
                    continue
                root.remove(el)  # detached: nothing accumulates under the root
                if el.tag == "iati-activity":
                    count += 1
                    yield el, count, root
                    if progress:
                        progress.update(counting.done, count)
                elif isinstance(el.tag, str) and not el.tag.startswith("{"):
                    raise AppError(
                        _(
                            "%(path)s, ligne %(sourceline)s, /iati-activities/%(tag)s "
                            ": élément inconnu <%(tag)s> ; un fichier d'activités "
                            "IATI ne contient que des éléments <iati-activity> (une "
                            "extension a besoin de son propre espace de noms XML)."
                        )
                        % {"path": path, "sourceline": el.sourceline, "tag": el.tag},
                        field="file",
                    )
                el.clear()
        except etree.XMLSyntaxError as exc:
            raise AppError(
                _(
                    "%(path)s, ligne %(lineno)s : XML mal formé (%(msg)s) ; le "
                    "fichier doit être un fichier XML IATI."
                )
                % {"path": path, "lineno": exc.lineno, "msg": exc.msg},
                field="file",
            ) from None
    if root is None:
        raise AppError(
            _("%(path)s : aucun élément XML ; <iati-activities> est attendu.") % {"path": path}, field="file"
        )
    if count == 0:
        raise AppError(
            _(
                "%(path)s : <iati-activities> ne contient aucune <iati-activity> ; le "
                "schéma en exige au moins une."
            )
            % {"path": path},
            field="file",
        )
    if progress:
        progress.update(counting.done, count, final=True)


def _check_root(path: Path, root: etree._Element) -> None:
    if root.tag != "iati-activities":
        hint = (
            _(" (un fichier d'organisations : importez seulement des fichiers d'activités)")
            if root.tag == "iati-organisations"
            else ""
        )
        raise AppError(
            _(
                "%(path)s, ligne %(sourceline)s : l'élément racine est <%(tag)s>, "
                "<iati-activities> est attendu%(hint)s."
            )
            % {"path": path, "sourceline": root.sourceline, "tag": root.tag, "hint": hint},
            field="file",
        )
    version = (root.get("version") or "").strip()
    if not version:
        raise AppError(
            _(
                "%(path)s, ligne %(sourceline)s, /iati-activities : l'attribut "
                'version manque ; un fichier IATI déclare version="2.03".'
            )
            % {"path": path, "sourceline": root.sourceline},
            field="file",
        )
    if version not in ACCEPTED_VERSIONS:
        raise AppError(
            _(
                "%(path)s : version %(version)s non prise en charge : l'atlas lit "
                "IATI %(ACCEPTED_VERSIONS)s (convertissez d'abord les fichiers 1.x en "
                "2.03, par exemple selon le guide de mise à niveau du standard IATI)."
            )
            % {"path": path, "version": version, "ACCEPTED_VERSIONS": ", ".join(ACCEPTED_VERSIONS)},
            field="file",
        )


@dataclass
class FileCheck:
    version: str
    count: int
    invalid: dict[int, list[str]] = field(default_factory=dict)  # position → problems


def file_check(path: Path, *, progress: Progress | None = None, strict: bool = True) -> FileCheck:
    """Check the file against the 2.03 schema, activity by activity.

    `strict`: any invalid activity refuses the whole file (AppError listing the first
    problems). Otherwise the invalid activities are returned, each with its problems
    (line, element path, schema's complaint, identifier), for the import to leave out;
    a file with no valid activity is still refused.
    """
    problems: list[str] = []
    invalid: dict[int, list[str]] = {}
    checker, version, count = None, "", 0
    for el, position, root in _activities(path, progress):
        count = position
        if checker is None:
            checker = ActivityChecker(attrib=dict(root.attrib), nsmap=dict(root.nsmap))
            version = root.get("version").strip()
        found = checker.problems(el, position=position)
        if found:
            ident = (el.findtext("iati-identifier") or "").strip() or "(no iati-identifier)"
            invalid[position] = [f"{p} [activity {ident}]" for p in found[:5]]
            if len(problems) < MAX_REPORTED:
                problems.extend(f"{p} [activity {ident}]" for p in found[: MAX_REPORTED - len(problems)])
    if problems and (strict or len(invalid) == count):
        note = (
            ""
            if version == "2.03"
            else (_(" (un fichier %(version)s est lu avec le schéma 2.03)") % {"version": version})
        )
        raise AppError(
            _(
                "%(path)s n'est pas un fichier IATI 2.03 valide%(note)s ; rien n'a "
                "été importé :\n  %(problems)s"
            )
            % {"path": path, "note": note, "problems": "\n  ".join(problems)},
            field="file",
        )
    return FileCheck(version=version, count=count, invalid=invalid)


# --- records -------------------------------------------------------------------------


def _choose(el: etree._Element | None, default_lang: str) -> tuple[str, str]:
    """The French narrative when there is one, else the first: (text, its language)."""
    if el is None:
        return "", default_lang
    narratives = [(n.text or "").strip() for n in el.findall("narrative")]
    langs = [n.get(XML_LANG) or default_lang for n in el.findall("narrative")]
    for text, lang in zip(narratives, langs, strict=True):
        if lang.lower().startswith("fr") and text:
            return text, lang
    for text, lang in zip(narratives, langs, strict=True):
        if text:
            return text, lang
    return "", default_lang


def _decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    # ASCII digits only, no NaN/Infinity/exponent, and within a money column (16 digits):
    # anything else reads as absent and the importer names the missing value.
    amount = decimal_or_none(value, grouping=False)
    return amount if amount is not None and abs(amount) < 10**14 else None


def _org(el: etree._Element | None, lang: str) -> OrgRef | None:
    if el is None:
        return None
    return OrgRef(
        ref=(el.get("ref") or "").strip() or None,
        type=(el.get("type") or "").strip() or None,
        name=_choose(el, lang)[0],
    )


def activity_record(el: etree._Element, default_lang: str) -> ActivityRecord:
    lang = el.get(XML_LANG) or default_lang
    title, title_lang = _choose(el.find("title"), lang)
    rec = ActivityRecord(
        line=el.sourceline,
        identifier=(el.findtext("iati-identifier") or "").strip(),
        lang=title_lang,
        default_currency=el.get("default-currency"),
        last_updated=el.get("last-updated-datetime") or "",
        reporting=_org(el.find("reporting-org"), lang),
        title=title,
    )
    for d in el.findall("description"):
        text = _choose(d, lang)[0]
        if text:
            code = d.get("type") or "1"
            rec.texts[code] = f"{rec.texts[code]}\n\n{text}" if code in rec.texts else text
    for p in el.findall("participating-org"):
        rec.participating.append((p.get("role"), _org(p, lang)))
    status = el.find("activity-status")
    rec.status = status.get("code") if status is not None else None
    for d in el.findall("activity-date"):
        rec.dates.append((d.get("type"), d.get("iso-date"), _choose(d, lang)[0]))
    rec.countries = [c.get("code").upper() for c in el.findall("recipient-country")]
    for loc in el.findall("location"):
        g1 = next((i.get("code") for i in loc.findall("location-id") if i.get("vocabulary") == "G1"), None)
        rec.locations.append((loc.get("ref"), g1, None))
    for s in el.findall("sector"):
        rec.sectors.append((s.get("vocabulary") or "1", s.get("code"), _decimal(s.get("percentage"))))
    rec.tags = [(t.get("vocabulary"), t.get("code")) for t in el.findall("tag")]
    rec.markers = [
        (m.get("vocabulary") or "1", m.get("code"), m.get("significance"))
        for m in el.findall("policy-marker")
    ]
    for b in el.findall("budget"):
        value = b.find("value")
        rec.budgets.append((b.get("type") or "1", _decimal(value.text), value.get("currency")))
    for t in el.findall("transaction"):
        value = t.find("value")
        extra = {k[len(NS) + 2 :]: v for k, v in t.attrib.items() if k.startswith(f"{{{NS}}}")}
        rec.transactions.append(
            Transaction(
                type=t.find("transaction-type").get("code"),
                date=t.find("transaction-date").get("iso-date"),
                value=_decimal(value.text),
                currency=value.get("currency"),
                provider=_org(t.find("provider-org"), lang),
                description=_choose(t.find("description"), lang)[0],
                extra=extra,
            )
        )
    return rec


def activity_records(
    path: Path, *, progress: Progress | None = None, skip: frozenset[int] | set[int] = frozenset()
) -> Iterator[ActivityRecord]:
    """Yield each activity of an already checked file, in file order, in flat memory
    (except the positions in `skip`: the activities the schema refused)."""
    for el, position, root in _activities(path, progress):
        if position in skip:
            continue
        rec = activity_record(el, root.get(XML_LANG) or "en")
        if el.get(XML_LANG) is None and root.get(XML_LANG):
            el.set(XML_LANG, root.get(XML_LANG))  # the file's default language, made explicit
        rec.original = etree.tostring(el, encoding="unicode")
        yield rec
