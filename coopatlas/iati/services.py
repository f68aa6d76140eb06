"""IATI writes: an export file (validated before it exists) and an import (one transaction)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from lxml import etree

from coopatlas.cooperation.models import (
    FundingContribution,
    FundingInstrument,
    Organisation,
    Project,
    ProjectOperator,
    ProjectParticipant,
    ProjectPolicyMarker,
    ProjectSector,
)
from coopatlas.core.errors import AppError
from coopatlas.core.parse import is_ascii_digits
from coopatlas.core.services import source_cite, source_document_get_or_create
from coopatlas.core.text import fold
from coopatlas.geo.models import AdministrativeArea, Country, LocalAuthority, Place
from coopatlas.reference.models import OrganisationType, PolicyMarker, SdgGoal, SdgTarget, Sector

from .checking import ActivityChecker
from .codes import (
    NS,
    NSMAP,
    UNDATED_NARRATIVE,
    VERSION,
    XML_LANG,
    known_publishers,
    mappings,
    organisations_schema,
    siren_from_identifier,
)
from .export import MODES, NotExportable, activity_element, ministry_actor, reporter_for
from .models import ImportedActivity, ImportRun, PublishedActivity
from .reading import ActivityRecord, OrgRef, Progress, activity_records, file_check
from .rules import Finding, RulesetChecker
from .selectors import known_publisher_ids, project_export_rows

CHUNK = 500


# --- export --------------------------------------------------------------------------


@dataclass
class ExportResult:
    path: Path
    activities: int
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (project slug, reason)
    files: list[Path] = field(default_factory=list)  # activity files then organisation files
    warnings: list[Finding] = field(default_factory=list)  # the rulesets' warning-level findings
    publishers: int = 0
    identifiers_recorded: int = 0


def _safe_name(ref: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", ref)


def _organisation_element(actor, generated: datetime) -> etree._Element:
    org = etree.Element(
        "iati-organisation",
        {XML_LANG: "fr", "default-currency": "EUR", "last-updated-datetime": generated.isoformat()},
    )
    etree.SubElement(org, "organisation-identifier").text = actor.ref
    etree.SubElement(etree.SubElement(org, "name"), "narrative").text = actor.name
    rep = etree.SubElement(
        org, "reporting-org", {"ref": actor.ref, **({"type": actor.type} if actor.type else {})}
    )
    etree.SubElement(rep, "narrative").text = actor.name
    return org


def _rule_error(finding: Finding, slug: str) -> AppError:
    return AppError(
        _(
            "activité %(value)s (projet « %(slug)s ») : enfreint la règle IATI %(rule)s en "
            "%(element)s : %(message)s ; rien n'a été écrit."
        )
        % {
            "value": finding.activity,
            "slug": slug,
            "rule": finding.rule,
            "element": finding.element,
            "message": finding.message,
        },
        field="output",
    )


def iati_export(
    *,
    projects: QuerySet,
    output: Path,
    mode: str = "ministry",
    generated_at: datetime | None = None,
    progress: Progress | None = None,
    check_rules: bool = True,
    persist: bool = True,
    organisation_file: bool | None = None,
    today: date | None = None,
) -> ExportResult:
    """Write `projects` as IATI 2.03: every activity is checked against the schema and IATI's
    rulesets (error level) before any file is written.

    mode "ministry" (the default, what the ministry publishes): one file `output`, the
    ministry as secondary reporter (reporting-org FR-6, secondary-reporter="1"), the
    authorities as participating organisations. mode "publishers": `output` is a folder;
    one activities file per publisher (`<identifier>-activities.xml`, reporting-org its
    registered identifier) and its organisation file (`<identifier>-organisation.xml`); a
    project whose publisher has no registered identifier is listed in `skipped` with what
    to enter. Files are assembled under temporary names and renamed only when every activity
    passed: an invalid one raises AppError naming it, the element and the rule, and leaves
    the previous files as they were. With `persist`, each project's identifier is recorded
    at its first publication and reused for ever after.
    """
    if mode not in MODES:
        raise AppError(
            _("mode « %(mode)s » inconnu : choisissez « ministry » ou « publishers ».") % {"mode": mode},
            field="mode",
        )
    output = Path(output)
    folder = output if mode == "publishers" else output.parent
    if not folder.is_dir():
        raise AppError(
            _("%(parent)s : dossier introuvable ; créez-le ou choisissez un autre --output.")
            % {"parent": folder},
            field="output",
        )
    if organisation_file is None:
        organisation_file = mode == "publishers"
    generated = (generated_at or datetime.now(UTC)).replace(microsecond=0)
    today = today or date.today()
    checker = ActivityChecker(nsmap=NSMAP)
    rules = RulesetChecker(known_ids=known_publisher_ids()) if check_rules else None
    result = ExportResult(path=output, activities=0)
    spool = Path(tempfile.mkdtemp(prefix=".iati-", dir=folder))
    publishers: dict[str, tuple] = {}  # ref -> (actor, spool file, count)
    ministry = ministry_actor()
    first_publications: list[tuple[int, str, str]] = []
    try:
        for project in project_export_rows(projects):
            try:
                act = activity_element(project, mode=mode, today=today)
            except NotExportable as exc:
                result.skipped.append((project.slug, exc.reason))
                continue
            reporter = reporter_for(project, mode)
            ident = act.findtext("iati-identifier")
            problems = checker.problems(act, position=result.activities + 1)
            if problems:
                first = problems[0]
                raise AppError(
                    _(
                        "activité %(value)s (projet « %(slug)s ») : IATI 2.03 invalide "
                        "en %(value2)s : %(first_message)s ; rien n'a été écrit."
                    )
                    % {
                        "value": ident,
                        "slug": project.slug,
                        "value2": first.path.split("]", 1)[-1] or "/iati-activity",
                        "first_message": first.message,
                    },
                    field="output",
                )
            if rules is not None:
                for finding in rules.findings(act):
                    if finding.is_error and not project.is_imported:
                        raise _rule_error(finding, project.slug)
                    # Another publisher's activity is republished as it is: its findings are theirs.
                    result.warnings.append(finding)
            # One file per publisher; the ministry's one file holds all (imported activities
            # in it keep their own reporting-org).
            key, owner = (reporter.ref, reporter) if mode == "publishers" else (ministry.ref, ministry)
            if key not in publishers:
                publishers[key] = (owner, spool / f"{len(publishers)}.part", 0)
            actor, part, count = publishers[key]
            with open(part, "ab") as handle:
                handle.write(b"\n" + etree.tostring(act, encoding="utf-8", pretty_print=True))
            publishers[key] = (actor, part, count + 1)
            result.activities += 1
            if persist and not project.is_imported and getattr(project, "iati_published", None) is None:
                first_publications.append((project.pk, ident, reporter.ref))
            if progress:
                progress.update(result.activities, result.activities)
        if result.activities == 0:
            message = _(
                "aucun projet à exporter avec ces filtres (un fichier IATI "
                "contient au moins une activité) ; rien n'a été écrit."
            )
            if result.skipped:
                message += " " + _(
                    "%(count)s projets ne peuvent pas être publiés, par exemple « %(slug)s » : %(reason)s"
                ) % {
                    "count": len(result.skipped),
                    "slug": result.skipped[0][0],
                    "reason": result.skipped[0][1],
                }
            raise AppError(message, field="output")
        ready: list[tuple[Path, Path]] = []  # (assembled file, final name)
        org_schema = organisations_schema()
        for ref, (actor, part, _count) in sorted(publishers.items()):
            target = output if mode == "ministry" else folder / f"{_safe_name(ref)}-activities.xml"
            assembled = spool / (target.name + ".ready")
            with open(assembled, "wb") as out, open(part, "rb") as body:
                out.write(b"<?xml version='1.0' encoding='utf-8'?>\n")
                out.write(
                    f'<iati-activities xmlns:coopatlas="{NS}" version="{VERSION}" '
                    f'generated-datetime="{generated.isoformat()}">\n'.encode()
                )
                shutil.copyfileobj(body, out)
                out.write(b"</iati-activities>\n")
            ready.append((assembled, target))
            if organisation_file:
                org = _organisation_element(actor, generated)
                root = etree.Element(
                    "iati-organisations", {"version": VERSION, "generated-datetime": generated.isoformat()}
                )
                root.append(org)
                if not org_schema.validate(root):
                    raise AppError(
                        _(
                            "organisation %(ref)s : fichier d'organisation IATI invalide : "
                            "%(message)s ; rien n'a été écrit."
                        )
                        % {"ref": ref, "message": org_schema.error_log[0].message},
                        field="output",
                    )
                if rules is not None:
                    for finding in rules.findings(org):
                        if finding.is_error:
                            raise _rule_error(finding, ref)
                        result.warnings.append(finding)
                name = (
                    f"{_safe_name(ref)}-organisation.xml"
                    if mode == "publishers"
                    else f"{output.stem}-organisation.xml"
                )
                assembled = spool / (name + ".ready")
                etree.ElementTree(root).write(
                    str(assembled), encoding="utf-8", xml_declaration=True, pretty_print=True
                )
                ready.append((assembled, folder / name))
        for assembled, target in ready:
            os.replace(assembled, target)
        result.files = [target for _a, target in ready]
        result.publishers = len(publishers)
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    if first_publications:
        with transaction.atomic():
            stamp = timezone.now()
            PublishedActivity.objects.bulk_create(
                [
                    PublishedActivity(
                        project_id=pk, identifier=ident, reporting_ref=ref, first_published_at=stamp
                    )
                    for pk, ident, ref in first_publications
                ],
                batch_size=CHUNK,
                ignore_conflicts=True,
            )
        result.identifiers_recorded = len(first_publications)
    return result


# --- import --------------------------------------------------------------------------


@dataclass
class ImportResult:
    version: str
    activities: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    organisations_created: int = 0
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    rejected: list[str] = field(
        default_factory=list
    )  # invalid activities: identifier, line, element, message
    older: int = 0  # activities older than the version already imported (kept as they were)

    def warn(self, message: str) -> None:
        if len(self.warnings) < 200:
            self.warnings.append(message)


NAME_MAX = Organisation._meta.get_field("name").max_length
# The same few thousand organisation names come back on every activity of a big file.
_fold = lru_cache(maxsize=1 << 16)(fold)


def _valid_org_ref(ref: str) -> bool:
    """An identifier worth matching and storing: a known publisher's, or prefixed by a
    registration agency of IATI's code list, without spaces (never our old stand-ins)."""
    from .rules import registration_agencies

    if ref != ref.strip() or " " in ref or ref.startswith(mappings()["unregistered_prefix"] + "-"):
        return False
    if ref in {row["ref"] for row in known_publishers()}:
        return True
    return "-".join(ref.split("-")[:2]) in registration_agencies() and len(ref.split("-")) > 2


class _Actors:
    """Matches publishers to known authorities and organisations: identifier, then name.

    Per chunk of activities, `prepare` resolves every organisation the chunk names in one
    pass: the authorities' names are looked up in one query, and the organisations to
    create are inserted together (one INSERT per chunk, not one save and its checks per
    organisation; on the national store they were 40 % of the import's time)."""

    def __init__(self, source, result: ImportResult):
        self.source, self.result = source, result
        self.authority_by_siren = dict(LocalAuthority.objects.exclude(siren=None).values_list("siren", "id"))
        self.org_by_ref, self.org_by_siren, self.org_by_name = {}, {}, {}
        for pk, ref, siren, name in Organisation.objects.values_list(
            "id", "iati_identifier", "siren", "name"
        ):
            if ref:
                self.org_by_ref[ref] = pk
            if siren:
                self.org_by_siren[siren] = pk
            self.org_by_name.setdefault(_fold(name), pk)
        for row in known_publishers():  # AFD is FR-3 even where the atlas did not store it
            for name in [row["name"], *row.get("acronyms", [])]:
                if _fold(name) in self.org_by_name:
                    self.org_by_ref.setdefault(row["ref"], self.org_by_name[_fold(name)])
                    break
        self.types = set(OrganisationType.objects.values_list("code", flat=True))
        # folded name -> the current authorities of that name, (id, country): one query per
        # chunk for the names not seen yet (the country filter is applied per activity).
        self.authorities_named: dict[str, tuple[tuple[int, str], ...]] = {}
        self.slugs = set(Organisation.objects.values_list("slug", flat=True))
        self.pending: list[Organisation] | None = None

    def prepare(self, orgs: Iterable[tuple[OrgRef | None, list[str]]]) -> None:
        """Resolve each (organisation, countries) of a chunk, creating the missing ones in
        one INSERT: afterwards `resolve` answers each of them from memory."""
        orgs = [(org, countries) for org, countries in orgs if org is not None]
        self._fetch_authorities({_fold(org.name) for org, _c in orgs if org.name})
        self.pending = []
        try:
            for org, countries in orgs:
                self.resolve(org, countries)
            self._flush()
        finally:
            self.pending = None

    def resolve(self, org: OrgRef | None, countries: list[str]) -> tuple[str, int] | None:
        if org is None or not (org.ref or org.name):
            return None
        if org.ref and _valid_org_ref(org.ref):
            siren = siren_from_identifier(org.ref)
            if siren and siren in self.authority_by_siren:
                return "authority", self.authority_by_siren[siren]
            if siren and siren in self.org_by_siren:
                return "organisation", self.org_by_siren[siren]
            if org.ref[:100] in self.org_by_ref:
                return "organisation", self.org_by_ref[org.ref[:100]]
        if org.name:
            authority = self._authority_named(org.name, countries)
            if authority:
                return "authority", authority
            stored_name = _fold(org.name[:NAME_MAX])  # a longer name is matched on what is stored
            if stored_name in self.org_by_name:
                return "organisation", self.org_by_name[stored_name]
        elif org.ref and _fold(org.ref[:NAME_MAX]) in self.org_by_name:
            return "organisation", self.org_by_name[_fold(org.ref[:NAME_MAX])]
        return "organisation", self._create(org)

    def _fetch_authorities(self, names: set[str]) -> None:
        missing = sorted(n for n in names if n not in self.authorities_named)
        found: dict[str, list[tuple[int, str]]] = {n: [] for n in missing}
        for start in range(0, len(missing), CHUNK):
            for pk, name, iso2 in LocalAuthority.objects.filter(
                search_name__in=missing[start : start + CHUNK], is_current=True
            ).values_list("id", "search_name", "country_id"):
                found[name].append((pk, iso2))
        for name, rows in found.items():
            self.authorities_named[name] = tuple(rows)

    def _authority_named(self, name: str, countries: list[str]) -> int | None:
        """The one current authority of that name (in the activity's countries or France)."""
        key = _fold(name)
        if key not in self.authorities_named:
            self._fetch_authorities({key})
        local = [pk for pk, iso2 in self.authorities_named[key] if iso2 in countries or iso2 == "FR"]
        return local[0] if len(local) == 1 else None

    def _create(self, org: OrgRef) -> int | Organisation:
        """A new organisation: inserted at once, or, inside `prepare`, with the chunk's
        others at its end (the maps hold the unsaved row until then)."""
        name = (org.name or org.ref)[:NAME_MAX]
        base = slugify(name)[:180] or "organisation"
        slug, n = base, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        siren = siren_from_identifier(org.ref) if org.ref else None
        # Our stand-in identifiers name no register: never store one as an official identifier.
        registered = org.ref and not siren and _valid_org_ref(org.ref)
        kind = mappings()["organisation_type_kind"].get(org.type or "", "other")
        created = Organisation(
            name=name,
            kind=kind,
            iati_type_id=org.type if org.type in self.types else None,
            iati_identifier=org.ref[:100] if registered else None,
            siren=siren,
            slug=slug,
            source=self.source,
            search_name=_fold(name),  # what Organisation.save computes (no acronym here)
        )
        # The keys are ours (the source) or checked above (the type): only the values.
        created.full_clean(exclude=["source", "iati_type", "country"], validate_unique=False)
        self.slugs.add(slug)
        self._register(created, created)
        self.result.organisations_created += 1
        if self.pending is None:
            created.save()
            self._register(created, created.pk)
            return created.pk
        self.pending.append(created)
        return created

    def _register(self, org: Organisation, value) -> None:
        if org.iati_identifier:
            self.org_by_ref[org.iati_identifier] = value
        if org.siren:
            self.org_by_siren[org.siren] = value
        if self.org_by_name.get(org.search_name, org) is org:
            self.org_by_name[org.search_name] = value

    def _flush(self) -> None:
        if not self.pending:
            return
        Organisation.objects.bulk_create(self.pending, batch_size=CHUNK)
        for org in self.pending:
            self._register(org, org.pk)


class _Reference:
    def __init__(self):
        self.countries = set(Country.objects.values_list("iso2", flat=True))
        self.areas = dict(AdministrativeArea.objects.values_list("code", "id"))
        self.sectors = set(Sector.objects.values_list("code", flat=True))
        self.goals = set(SdgGoal.objects.values_list("number", flat=True))
        self.targets = set(SdgTarget.objects.values_list("code", flat=True))
        self.markers = set(PolicyMarker.objects.values_list("code", flat=True))
        self.own = dict(Project.objects.filter(is_imported=False).values_list("slug", "id"))
        self.published = set(PublishedActivity.objects.values_list("identifier", flat=True))
        self.last_updated = dict(
            ImportedActivity.objects.exclude(last_updated="").values_list(
                "project__iati_identifier", "last_updated"
            )
        )


# Column types whose Python values (int, str, bool, None) go to the database as they are.
_PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
    }
)


def _insert_rows(objs: list) -> None:
    """INSERT unsaved instances of one model, with one `executemany`.

    What `bulk_create` writes (every concrete column but the automatic key, auto_now
    stamps set, values prepared by their field), without compiling a 500-row INSERT per
    batch: on the import's link rows (about ten per activity) that compiling was 40 % of
    the import's CPU. No key is read back (the caller asks for them where it needs them)."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    fields = [
        f for f in meta.concrete_fields if not (f.primary_key and f.get_internal_type().endswith("AutoField"))
    ]
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    for obj in objs:
        for f in stamped:
            f.pre_save(obj, add=True)
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table), ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields))
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, _prepared(objs, fields, connection))


def _update_rows(objs: list, names: list[str]) -> None:
    """UPDATE the columns `names` (and the auto_now stamp) of saved instances of one model,
    with one `executemany` (one ORM UPDATE per row took 0.5 ms of CPU to compile)."""
    if not objs:
        return
    meta = type(objs[0])._meta
    connection = connections[router.db_for_write(type(objs[0]))]
    fields = [meta.get_field(n) for n in names]
    fields += [f for f in meta.concrete_fields if getattr(f, "auto_now", False) and f not in fields]
    for obj in objs:
        for f in fields:
            if getattr(f, "auto_now", False):
                f.pre_save(obj, add=False)
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table), ", ".join(f"{quote(f.column)} = %s" for f in fields), quote(meta.pk.column)
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [(*row, obj.pk) for row, obj in zip(_prepared(objs, fields, connection), objs, strict=True)]
        )


def _prepared(objs: list, fields: list, connection) -> list[tuple]:
    """Each instance's values for `fields`, as the database takes them."""
    plain = [f.get_internal_type() in _PLAIN for f in fields]
    attnames = [f.attname for f in fields]
    return [
        tuple(
            value
            if is_plain and (value is None or type(value) in (int, str, bool))
            else f.get_db_prep_save(value, connection)
            for f, is_plain, value in zip(fields, plain, (getattr(obj, a) for a in attnames), strict=True)
        )
        for obj in objs
    ]


def _slug_base(identifier: str) -> str:
    return f"iati-{slugify(identifier)}"[:190]


def _is_older(new: str, stored: str) -> bool:
    """Is last-updated-datetime `new` strictly before `stored`? (unreadable: not older)"""
    from .rules import _datetime

    a, b = _datetime(new), _datetime(stored)
    return a is not None and b is not None and a < b


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def iati_import(
    *, path: Path, dry_run: bool = False, progress: bool | None = None, strict: bool = False
) -> ImportResult:
    """Check `path` against the schema activity by activity, then store it in one transaction.

    Activities become imported projects of their reporting organisation, keyed on their
    iati-identifier: importing the same file again updates them, except with an older
    last-updated-datetime than the stored one. Invalid activities are left out and listed in
    `rejected` (identifier, line, element, message); `strict` refuses the whole file
    instead. A dry run does all the work and rolls it back.
    """
    path = Path(path)
    if not path.exists():
        raise AppError(_("%(path)s : fichier introuvable.") % {"path": path}, field="file")
    if path.is_dir() or not os.access(path, os.R_OK):
        raise AppError(
            _(
                "%(path)s : fichier illisible (un dossier, ou sans droit de lecture) ; "
                "donnez un fichier XML IATI."
            )
            % {"path": path},
            field="file",
        )
    checked = file_check(path, progress=Progress(path, "checking", progress), strict=strict)
    version, count = checked.version, checked.count
    result = ImportResult(version=version, dry_run=dry_run)
    for position in sorted(checked.invalid):
        result.rejected.extend(checked.invalid[position])
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    try:
        with transaction.atomic():
            document = source_document_get_or_create(
                key=f"iati-{digest.hexdigest()[:16]}",
                title=f"Fichier IATI {path.name}",
                publisher="IATI",
                licence="",
            )
            source = source_cite(document=document, note=f"IATI import of {path.name}")
            run = ImportRun.objects.create(
                file_name=path.name, sha256=digest.hexdigest(), version=version, source=source
            )
            writer = _Writer(run, source, result)
            chunk: list[ActivityRecord] = []
            for record in activity_records(
                path, progress=Progress(path, "importing", progress), skip=set(checked.invalid)
            ):
                chunk.append(record)
                if len(chunk) >= CHUNK:
                    writer.write(chunk)
                    chunk = []
            if chunk:
                writer.write(chunk)
            for name in ("activities", "created", "updated", "skipped", "organisations_created"):
                setattr(run, name, getattr(result, name))
            run.skipped += len(checked.invalid)
            run.warnings = result.rejected[:100] + result.warnings
            run.save()
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        raise AppError(
            _("%(path)s : la base de données a refusé l'import (%(exc)s) ; rien n'a été importé.")
            % {"path": path, "exc": exc},
            field="file",
        ) from None
    assert result.activities + result.skipped + len(checked.invalid) == count
    return result


class _Writer:
    def __init__(self, run: ImportRun, source, result: ImportResult):
        self.run, self.source, self.result = run, source, result
        self.actors = _Actors(source, result)
        self.ref = _Reference()
        self.seen: set[str] = set()
        self.taken: set[str] = set()  # slugs in use among this chunk's new projects' candidates

    def write(self, records: list[ActivityRecord]) -> None:
        found = {
            ident: (pk, slug, imported)
            for ident, pk, slug, imported in Project.objects.filter(
                iati_identifier__in=[r.identifier for r in records]
            ).values_list("iati_identifier", "id", "slug", "is_imported")
        }
        records = [r for r in records if self._keep(r, found)]
        bases = [_slug_base(r.identifier) for r in records if r.identifier not in found]
        self.taken = set(Project.objects.filter(slug__in=bases).values_list("slug", flat=True))
        projects = [self._project(r, found.get(r.identifier)) for r in records]
        new = [p for p in projects if p.pk is None]
        old = [p for p in projects if p.pk is not None]
        _insert_rows(new)
        if new:  # their keys, by their (unique) slugs
            ids = dict(Project.objects.filter(slug__in=[p.slug for p in new]).values_list("slug", "id"))
            for p in new:
                p.pk = ids[p.slug]
        if old:
            # One statement run per row: bulk_update's CASE expressions grow quadratically.
            _update_rows(old, PROJECT_FIELDS)
            self._clear_links([p.pk for p in old])
        self.result.created += len(new)
        self.result.updated += len(old)
        self.result.activities += len(records)
        self._links(records, projects)

    def _keep(self, r: ActivityRecord, found: dict) -> bool:
        where = _("ligne %(line)s, activité %(identifier)s") % {"line": r.line, "identifier": r.identifier}
        if r.identifier in self.seen:
            self.result.skipped += 1
            self.result.warn(
                _("%(where)s : apparaît deux fois dans le fichier ; la première est gardée.")
                % {"where": where}
            )
            return False
        self.seen.add(r.identifier)
        if self._is_ours(r) or (r.identifier in found and not found[r.identifier][2]):
            self.result.skipped += 1
            self.result.warn(
                _("%(where)s : est l'un des projets de l'atlas lui-même ; non importé.") % {"where": where}
            )
            return False
        stored = self.ref.last_updated.get(r.identifier)
        if stored and _is_older(r.last_updated, stored):
            self.result.skipped += 1
            self.result.older += 1
            self.result.warn(
                _(
                    "%(where)s : last-updated-datetime %(new)s est plus ancien que la version "
                    "déjà importée (%(old)s) ; celle-ci est gardée."
                )
                % {"where": where, "new": r.last_updated, "old": stored}
            )
            return False
        return True

    def _is_ours(self, r: ActivityRecord) -> bool:
        """One of the atlas's own projects, as we published it: its recorded identifier, or
        ours by construction (our publisher's prefix + one of our project's slugs, the
        publisher being the ministry or one of that project's own authorities or
        organisations). Another publisher's identifier that merely ends like ours is not."""
        if r.identifier in self.ref.published:
            return True
        ref = r.reporting.ref
        if not ref or not r.identifier.startswith(ref + "-"):
            return False
        pk = self.ref.own.get(r.identifier[len(ref) + 1 :])
        if pk is None:
            return False
        if ref == mappings()["ministry"]["ref"]:
            return True
        siren = siren_from_identifier(ref)
        if siren and ProjectParticipant.objects.filter(project_id=pk, authority__siren=siren).exists():
            return True
        return (
            ProjectOperator.objects.filter(project_id=pk)
            .filter(Q(organisation__iati_identifier=ref) | Q(organisation__siren=siren or "-"))
            .exists()
        )

    def _project(self, r: ActivityRecord, known: tuple | None) -> Project:
        pk, slug = (known[0], known[1]) if known else (None, None)
        types = {v: k for k, v in mappings()["description_type"].items()}
        texts = {field_name: "" for field_name in types.values()}
        for code, text in r.texts.items():
            name = types.get(code, "description")
            texts[name] = f"{texts[name]}\n\n{text}".strip()
        start, end, undated = self._dates(r)
        budget, currency = self._budget(r)
        title = r.title or r.identifier
        project = Project(
            pk=pk,
            title=title,
            slug=slug or self._slug(r.identifier),
            status=mappings()["activity_status_import"].get(r.status or "", "unknown"),
            start_date=start,
            start_year=start.year if start else None,
            end_date=end,
            end_year=end.year if end else None,
            budget=budget,
            currency=currency,
            is_imported=True,
            iati_identifier=r.identifier,
            source=self.source,
            **texts,
        )
        project.set_search_text()  # the model's rule (SearchText); the writes skip save()
        project._undated = undated
        return project

    def _slug(self, identifier: str) -> str:
        """`iati-<identifier>`, or with a hash of the identifier when that slug is taken (in
        the database, asked once per chunk by `write`, or earlier in this chunk)."""
        base = _slug_base(identifier)
        slug = base
        if slug in self.ref.own or slug in self.taken:
            slug = f"{base[:180]}-{hashlib.sha1(identifier.encode()).hexdigest()[:8]}"
        self.taken.add(slug)
        return slug

    def _dates(self, r: ActivityRecord) -> tuple[date | None, date | None, str | None]:
        found: dict[str, date] = {}
        undated = None
        for kind, iso, narrative in r.dates:
            when = _parse_date(iso)
            if narrative == UNDATED_NARRATIVE:
                undated = iso
            elif when and kind in ("1", "2", "3", "4"):
                found[kind] = when
        start = found.get("2") or found.get("1")
        end = found.get("4") or found.get("3")
        if start and end and end < start:
            self.result.warn(
                _(
                    "ligne %(line)s, activité %(identifier)s : se termine avant de "
                    "commencer ; la date de fin est omise."
                )
                % {"line": r.line, "identifier": r.identifier}
            )
            end = None
        return start, end, undated

    def _budget(self, r: ActivityRecord) -> tuple[Decimal | None, str]:
        currency = (r.default_currency or "EUR").upper()[:3]
        originals = [b for b in r.budgets if b[0] == "1"] or r.budgets
        total = Decimal(0)
        for _kind, value, cur in originals:
            if value is None or value < 0 or (cur and cur.upper() != currency):
                return None, currency  # not summable in one currency: leave it out
            total += value
        return (total if originals else None), currency

    def _clear_links(self, ids: list[int]) -> None:
        """Remove a re-imported chunk's link rows before they are written again.

        The link tables nothing points to and that carry no source (so have no citation to
        forget) are emptied with one DELETE each: the ORM's delete would load every row to
        send its post_delete signal, which does nothing for them. A funding line may carry
        payments, a call's application or citations: deleted through the ORM, as always."""
        connection = connections[router.db_for_write(Project)]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model in (
                ProjectParticipant,
                ProjectOperator,
                ProjectSector,
                ProjectPolicyMarker,
                Project.countries.through,
                Project.areas.through,
                Project.places.through,
                Project.sdg_goals.through,
                Project.sdg_targets.through,
                ImportedActivity,
            ):
                assert not model._meta.related_objects and "source" not in {
                    f.name for f in model._meta.concrete_fields
                }, model
                cursor.execute(
                    "DELETE FROM {} WHERE {} IN ({})".format(
                        quote(model._meta.db_table),
                        quote(model._meta.get_field("project").column),
                        ", ".join(["%s"] * len(ids)),
                    ),
                    ids,
                )
        FundingContribution.objects.filter(project_id__in=ids).delete()

    def _links(self, records: list[ActivityRecord], projects: list[Project]) -> None:
        rows: dict[str, list] = {
            k: []
            for k in (
                "part",
                "op",
                "country",
                "area",
                "place",
                "sector",
                "goal",
                "target",
                "marker",
                "fund",
                "imported",
            )
        }
        places = set(
            Place.objects.filter(
                geonames_id__in=[
                    int(g) for r in records for _ref, g, _ in r.locations if is_ascii_digits(g, max_length=12)
                ]
            ).values_list("geonames_id", flat=True)
        )
        self.actors.prepare(org for r in records for org in self._organisations(r))
        for r, p in zip(records, projects, strict=True):
            self._activity_links(r, p, rows, places)
        for objs in rows.values():
            _insert_rows(objs)

    def _countries(self, r: ActivityRecord) -> list[str]:
        return [c for c in dict.fromkeys(r.countries) if c in self.ref.countries]

    def _organisations(self, r: ActivityRecord) -> Iterator[tuple[OrgRef | None, list[str]]]:
        """Every (organisation, countries) `_activity_links` resolves for `r`, in its order."""
        countries = self._countries(r)
        yield r.reporting, countries
        for _role, org in r.participating:
            yield org, countries
        plan = mappings()["transaction_financing_plan"]
        for t in r.transactions:
            if t.type in plan and t.value is not None and t.provider:
                yield t.provider, countries

    def _activity_links(self, r: ActivityRecord, p: Project, rows: dict, places: set) -> None:
        countries = self._countries(r)
        reporter = self.actors.resolve(r.reporting, countries)
        rows["imported"].append(
            ImportedActivity(
                project_id=p.pk,
                run=self.run,
                reporting_ref=r.reporting.ref or "",
                reporting_type=(r.reporting.type or "")[:3],
                reporting_name=r.reporting.name[:500],
                reporting_authority_id=reporter[1] if reporter and reporter[0] == "authority" else None,
                reporting_organisation_id=reporter[1] if reporter and reporter[0] == "organisation" else None,
                last_updated=r.last_updated[:40],
                language=r.lang[:10],
                extra={"undated": p._undated} if p._undated else {},
                original=r.original,
            )
        )
        roles = {v: k for k, v in mappings()["operator_role"].items()}
        participants, operators = {}, set()
        if reporter and reporter[0] == "authority":
            participants[reporter[1]] = "lead"
        for role, org in r.participating:
            actor = self.actors.resolve(org, countries)
            if actor is None:
                continue
            if actor[0] == "authority" and role in ("2", "3", "4"):
                participants.setdefault(actor[1], "partner")
            elif actor[0] == "organisation" and role in roles:
                operators.add((actor[1], roles[role]))
        rows["part"] += [
            ProjectParticipant(project_id=p.pk, authority_id=a, role=role) for a, role in participants.items()
        ]
        rows["op"] += [
            ProjectOperator(project_id=p.pk, organisation_id=o, role=role) for o, role in sorted(operators)
        ]
        rows["country"] += [Project.countries.through(project_id=p.pk, country_id=c) for c in countries]
        areas = {self.ref.areas[ref] for ref, _g, _ in r.locations if ref in self.ref.areas}
        rows["area"] += [
            Project.areas.through(project_id=p.pk, administrativearea_id=a) for a in sorted(areas)
        ]
        geo = {int(g) for _ref, g, _ in r.locations if is_ascii_digits(g, max_length=12) and int(g) in places}
        rows["place"] += [Project.places.through(project_id=p.pk, place_id=g) for g in sorted(geo)]
        self._classification_links(r, p, rows)
        self._funding(r, p, rows, reporter, countries)

    def _classification_links(self, r: ActivityRecord, p: Project, rows: dict) -> None:
        sectors: dict[str, Decimal] = {}
        for vocabulary, code, pct in r.sectors:
            if vocabulary == "1" and code in self.ref.sectors and code not in sectors:
                pct = Decimal(100) if pct is None else pct
                if 0 < pct <= 100:
                    sectors[code] = pct.quantize(Decimal("0.01"))
        rows["sector"] += [
            ProjectSector(project_id=p.pk, sector_id=c, percentage=v) for c, v in sectors.items()
        ]
        goals = {
            int(c)
            for v, c in r.tags
            if v == "2" and is_ascii_digits(c, max_length=2) and int(c) in self.ref.goals
        }
        targets = {c for v, c in r.tags if v == "3" and c in self.ref.targets}
        rows["goal"] += [Project.sdg_goals.through(project_id=p.pk, sdggoal_id=g) for g in sorted(goals)]
        rows["target"] += [
            Project.sdg_targets.through(project_id=p.pk, sdgtarget_id=t) for t in sorted(targets)
        ]
        markers: dict[str, int] = {}
        for vocabulary, code, significance in r.markers:
            if vocabulary == "1" and code in self.ref.markers and is_ascii_digits(significance, max_length=1):
                markers.setdefault(code, min(int(significance), 2))
        rows["marker"] += [
            ProjectPolicyMarker(project_id=p.pk, marker_id=c, significance=s) for c, s in markers.items()
        ]

    def _funding(self, r: ActivityRecord, p: Project, rows: dict, reporter, countries) -> None:
        codes = mappings()
        instruments = set(FundingInstrument.values)
        natures = set(FundingContribution.Nature.values)
        for t in r.transactions:
            if t.type not in codes["transaction_financing_plan"] or t.value is None:
                continue
            funder = (
                self.actors.resolve(t.provider, countries)
                if t.provider
                else (reporter if t.type == codes["transaction_own_commitment"] else None)
            )
            currency = (t.currency or r.default_currency or p.currency).upper()
            if funder is None or t.value < 0 or not re.fullmatch(r"[A-Z]{3}", currency):
                self.result.warn(
                    _(
                        "ligne %(line)s, activité %(identifier)s : un engagement "
                        "sans financeur, ou négatif, ou sans devise est omis."
                    )
                    % {"line": r.line, "identifier": r.identifier}
                )
                continue
            when = _parse_date(t.date)
            own = funder == reporter
            instrument = t.extra.get("instrument")
            nature = t.extra.get("nature")
            rows["fund"].append(
                FundingContribution(
                    project_id=p.pk,
                    amount=t.value.quantize(Decimal("0.01")),
                    currency=currency,
                    funder_authority_id=funder[1] if funder[0] == "authority" else None,
                    funder_organisation_id=funder[1] if funder[0] == "organisation" else None,
                    instrument=instrument if instrument in instruments else ("own_funds" if own else "other"),
                    nature=nature if nature in natures else "cash",
                    year=None if t.extra.get("dated") == "0" else (when.year if when else None),
                    is_annual=t.extra.get("annual") == "1",
                    note=t.description[:500],
                    source=self.source,
                )
            )


PROJECT_FIELDS = [
    "title",
    "summary",
    "objective",
    "beneficiaries",
    "description",
    "status",
    "start_date",
    "start_year",
    "end_date",
    "end_year",
    "budget",
    "currency",
    "is_imported",
    "source_id",
    "search_text",
]
