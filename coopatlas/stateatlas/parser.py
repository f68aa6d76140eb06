"""Read a fiche of the state's atlas: an HTML page (either layout), the same page saved as
text, or one row of the ministry's CSV/XLSX export. Nothing here touches the database.

Every reader reduces its input to numbered lines (`Line`: number, cells, whether the first
cell is a label cell); one reader of lines then finds the labels of `data/fiche.yaml` and
reads each value. Whatever cannot be read becomes a `Problem` (file, line, field, message):
the parser never raises on what a file contains, only on a file it cannot open.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import yaml
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError
from coopatlas.core.parse import BadNumber, parse_int
from coopatlas.core.text import fold

DATA = Path(__file__).resolve().parent / "data" / "fiche.yaml"


@dataclass
class Problem:
    file: str
    line: int | None
    field: str
    message: str
    fatal: bool = False  # the file is not a fiche: nothing of it is imported

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} [{self.field}] {self.message}"


@dataclass
class Person:
    name: str = ""
    email: str = ""
    none: bool = False  # "Pas de correspondant coopération décentralisée"


@dataclass
class Fiche:
    file: str
    layout: str
    prj_id: str = ""
    url: str = ""
    poste: str = ""
    correspondent: Person | None = None
    counsellor: Person | None = None
    title: str = ""
    title_looks_cut: bool = False
    french: list[str] = field(default_factory=list)
    partner: list[str] = field(default_factory=list)
    country: str = ""
    first_convention_year: int | None = None
    theme: list[str] = field(default_factory=list)  # level 1, 2, 3 as written
    other_themes: list[tuple[list[str], int | None]] = field(default_factory=list)
    sdgs: list[tuple[int, str]] = field(default_factory=list)  # (goal number, level)
    start_year: int | None = None
    status: str = ""  # folded key of data statuses ("en cours"), "" when absent
    end_date: date | None = None
    context: str = ""
    objective: str = ""
    description: str = ""
    updated_on: date | None = None
    lines: dict[str, int] = field(default_factory=dict)  # field -> line it was read on

    def as_dict(self) -> dict:
        out = asdict(self)
        for key in ("end_date", "updated_on"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


@dataclass
class Line:
    number: int
    cells: list[str]
    label_cell: bool = False  # th / dt: the first cell is a label, known or not


# --------------------------------------------------------------------------- the data file


@dataclass
class Spec:
    labels: dict[str, str]  # folded label -> field
    longest_first: list[str]
    table_fields: set[str]
    text_fields: set[str]
    headers: set[str]
    statuses: dict[str, dict[str, str]]
    required: list[str]
    fiche_url: str
    url_prj_id: re.Pattern
    title_cut: tuple[int, int]


def _label_key(text: str) -> str:
    return fold(text).rstrip(" :").strip()


@functools.lru_cache(maxsize=1)
def spec() -> Spec:
    with open(DATA, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    labels: dict[str, str] = {}
    for name, f in data["fields"].items():
        for label in f["labels"]:
            labels[_label_key(label)] = name
    return Spec(
        labels=labels,
        longest_first=sorted(labels, key=len, reverse=True),
        table_fields={n for n, f in data["fields"].items() if f.get("table")},
        text_fields={n for n, f in data["fields"].items() if f.get("text")},
        headers={fold(h) for h in data["table_headers"]},
        statuses=data["statuses"],
        required=data["required"],
        fiche_url=data["fiche_url"],
        url_prj_id=re.compile(data["url_prj_id"]),
        title_cut=(data["title_cut_min"], data["title_cut_max"]),
    )


# Fields whose value may follow the label after a plain space ("Le partenariat est En
# cours"): their values are recognisable, a sentence of a description is not.
SPACE_SEPARATED = {"status", "first_convention_year", "start_year", "end_date", "updated_on"}
UNKNOWN_LABEL = re.compile(r"^([A-ZÀ-Ý][^:.;!?]{1,60}?)\s*:\s*(.*)$")
MAX_LINE = 20_000


def match_label(text: str) -> tuple[str, str] | None:
    """(field, rest of the line) when `text` starts with a known label, else None."""
    s = spec()
    folded = fold(text[:200])
    for key in s.longest_first:
        if not folded.startswith(key):
            continue
        tail = folded[len(key) :]
        if tail and not (tail[0] in ":\t|" or (tail[0] == " " and (tail.lstrip().startswith(":")))):
            if not (tail[0] == " " and s.labels[key] in SPACE_SEPARATED):
                continue
        return s.labels[key], _after_label(text, key)
    return None


def _after_label(text: str, key: str) -> str:
    """The original text after a label whose folded form is `key`."""
    words = len(key.split())
    # Consume as many original words as the folded label has (fold keeps word count, but
    # turns "Sous-thématique" into two words: count dashes and apostrophes as breaks).
    parts = re.split(r"([\s\-'’]+)", text.strip())
    seen, i = 0, 0
    while i < len(parts) and seen < words:
        if parts[i] and not re.fullmatch(r"[\s\-'’]+", parts[i]):
            seen += 1
        i += 1
    rest = "".join(parts[i:])
    return rest.lstrip(" \t:|\u00a0").strip()


# --------------------------------------------------------------------------- readers → lines


BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "caption", "section", "td", "th"}
SKIP = {"script", "style", "nav", "header", "footer", "noscript", "head"}


def html_lines(content: str) -> tuple[list[Line], str, bool]:
    """Lines of an HTML fiche, its layout, and whether the page looks complete."""
    import lxml.html
    from lxml import etree

    complete = "</html>" in content[-2000:].lower()
    try:
        root = lxml.html.document_fromstring(content)
    except (etree.ParserError, ValueError):
        return [], "html", complete
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    out: list[Line] = []
    has_dl = False

    def text_of(el) -> str:
        return (
            " ".join(t.strip() for t in "".join(el.itertext()).split("\n") if t.strip())
            if el is not None
            else ""
        )

    def lines_of(el) -> list[str]:
        return [" ".join(t.split()) for t in "".join(el.itertext()).split("\n") if t.strip()]

    def walk(el):
        nonlocal has_dl
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in SKIP:
            return
        if tag == "tr":
            cells = [c for c in el if isinstance(c.tag, str) and c.tag in ("th", "td")]
            texts = [text_of(c) for c in cells]
            if any(texts):
                out.append(Line(el.sourceline or 0, texts, bool(cells) and cells[0].tag == "th"))
            return
        if tag == "dl":
            has_dl = True
        if tag == "h1":
            out.append(Line(el.sourceline or 0, ["Intitulé", text_of(el)], True))
            return
        if tag in BLOCKS and not any(
            isinstance(c.tag, str) and (c.tag in BLOCKS or c.tag in ("table", "dl", "ul"))
            for c in el.iter()
            if c is not el
        ):
            for i, t in enumerate(lines_of(el)):
                out.append(Line((el.sourceline or 0) + i, [t], tag in ("dt", "th")))
            return
        for child in el:
            walk(child)

    body = root.find("body")
    walk(body if body is not None else root)
    return out, ("html-blocks" if has_dl else "html-table"), complete


def text_lines(content: str) -> list[Line]:
    out = []
    for i, raw in enumerate(content.splitlines(), start=1):
        raw = raw[:MAX_LINE]
        if not raw.strip():
            continue
        cells = [c.strip() for c in re.split(r"\t| \| ", raw) if c.strip()]
        out.append(Line(i, cells or [raw.strip()]))
    return out


# --------------------------------------------------------------------------- lines → fiche


@dataclass
class _Raw:
    """Values found per field before they are read: (line, cells or text)."""

    values: dict[str, list[tuple[int, list[str]]]] = field(default_factory=dict)

    def add(self, name: str, number: int, cells: list[str]) -> None:
        self.values.setdefault(name, []).append((number, cells))


def _collect(lines: list[Line], path: str, problems: list[Problem]) -> _Raw:
    s = spec()
    raw = _Raw()
    current: str | None = None
    for line in lines:
        first = line.cells[0]
        if current in s.table_fields and all(fold(c) in s.headers for c in line.cells):
            continue  # "Thématique | Sous-thématique | Priorité", "ODD | Niveau"
        hit = match_label(first)
        if hit:
            name, rest = hit
            current = name
            cells = ([rest] if rest else []) + line.cells[1:]
            raw.add(name, line.number, cells)
            if name == "no_correspondent":
                current = None
            continue
        if current in s.table_fields:
            if len(line.cells) > 1 or _table_like(current, first):
                raw.add(current, line.number, line.cells)
                continue
            current = None  # the table ended: page furniture follows
        elif current in s.text_fields and not line.label_cell:
            raw.add(current, line.number, line.cells)
            continue
        unknown = line.label_cell or (UNKNOWN_LABEL.match(first) and len(line.cells) == 1)
        if unknown and current is not None or (line.label_cell and len(line.cells) > 1):
            label = first if line.label_cell else UNKNOWN_LABEL.match(first).group(1)
            problems.append(
                Problem(
                    path,
                    line.number,
                    label[:80],
                    _("libellé inconnu « %(label)s » : ce champ n'a pas été lu.") % {"label": label[:80]},
                )
            )
            current = None
            continue
        if current is not None and current not in s.table_fields:
            raw.add(current, line.number, line.cells)
    return raw


def _table_like(name: str, text: str) -> bool:
    """A one-cell row of a table written inline ("ODD 7 (principal)", "A › B : 2")."""
    if name == "sdgs":
        return bool(SDG_NUMBER.match(text.strip()))
    return bool(THEME_SPLIT.search(text) or PRIORITY.search(text))


EMAIL = re.compile(
    r"([A-Za-z0-9._%+\-]+)\s*(?:@|\[at\]|\(at\)|\[arobase\]| at )\s*"
    r"([A-Za-z0-9\-]+(?:\s*(?:\.|\[dot\]|\(dot\))\s*[A-Za-z0-9\-]+)+)",
    re.IGNORECASE,
)
YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
DATE = re.compile(r"(?<!\d)(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?!\d)")
PRIORITY = re.compile(r"(?:priorit[ée]\s*:?\s*)?(\d{1,2})\s*$", re.IGNORECASE)
SDG_NUMBER = re.compile(r"(?:ODD|SDG|objectif)?\s*n?°?\s*(\d{1,2})(?!\d)", re.IGNORECASE)
THEME_SPLIT = re.compile(r"\s*(?:›|>|»)\s*")  # not "/": "Protection / Gestion de l'environnement"


def read_person(text: str) -> Person:
    match = EMAIL.search(text)
    email = ""
    name = text
    if match:
        domain = re.sub(r"\s*(?:\[dot\]|\(dot\))\s*", ".", match.group(2), flags=re.IGNORECASE)
        email = f"{match.group(1)}@{domain.replace(' ', '')}".lower()
        name = text[: match.start()] + text[match.end() :]
    name = re.sub(r"(?i)\b(e-?mail|courriel|mél)\s*:?", "", name)
    name = " ".join(name.replace("()", " ").split()).strip(" -–—,;:()")
    return Person(name=name, email=email)


def _year(text: str, path: str, number: int, name: str, problems: list[Problem]) -> int | None:
    match = YEAR.search(text)
    try:
        return parse_int(match.group(1) if match else text.strip(), field=name, minimum=1900, maximum=2100)
    except BadNumber:
        problems.append(
            Problem(
                path,
                number,
                name,
                _("année illisible « %(value)s » (attendu : 1998).") % {"value": text[:40]},
            )
        )
        return None


def _date(text: str, path: str, number: int, name: str, problems: list[Problem]) -> date | None:
    match = DATE.search(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            pass
    problems.append(
        Problem(
            path,
            number,
            name,
            _("date illisible « %(value)s » (attendu : jj/mm/aaaa, par exemple 31/12/2019).")
            % {"value": text[:40]},
        )
    )
    return None


def _split_names(cells: list[str]) -> list[str]:
    out = []
    for cell in cells:
        for part in re.split(r"\s*;\s*|\n", cell):
            part = " ".join(part.split()).strip(" ,.")
            if part:
                out.append(part)
    return out


def _theme_row(cells: list[str]) -> tuple[list[str], int | None]:
    cells = [c for c in cells if c.strip()]
    priority = None
    if cells:
        last = cells[-1]
        m = PRIORITY.search(last)
        if m and (len(cells) > 1 or re.search(r"[:(]|priorit", last, re.IGNORECASE)):
            priority = int(m.group(1))
            head = last[: m.start()].strip(" :()-–")
            head = re.sub(r"(?i)\(?\s*priorit[ée]\s*$", "", head).strip(" :()-–")
            cells = cells[:-1] + ([head] if head else [])
    path: list[str] = []
    for c in cells:
        path += [p for p in THEME_SPLIT.split(c) if p.strip()]
    return [p.strip() for p in path], priority


def _inline_rows(cells: list[str]) -> list[list[str]]:
    """A table written in one cell (CSV, a text save): rows split by ';' or new lines."""
    rows = []
    for cell in cells:
        for part in re.split(r"\s*;\s*|\n", cell):
            if part.strip():
                rows.append([part.strip()])
    return rows


def _sdg_row(cells: list[str]) -> tuple[int, str] | None:
    text = " ".join(cells)
    m = SDG_NUMBER.search(text)
    if not m or not 1 <= int(m.group(1)) <= 17:
        return None
    if len(cells) > 1:
        level = cells[-1]
    else:
        paren = re.search(r"\(([^)]+)\)\s*$", text) or re.search(r":\s*([^:]+)$", text)
        level = paren.group(1) if paren else ""
    return int(m.group(1)), " ".join(level.split())[:60]


def _looks_cut(title: str) -> bool:
    low, high = spec().title_cut
    if title.endswith(("...", "…")):
        return True
    return low <= len(title) <= high and not title.endswith((".", ")", "»", '"', "!", "?"))


def build(raw: _Raw, *, path: str, layout: str, problems: list[Problem]) -> Fiche:
    s = spec()
    fiche = Fiche(file=path, layout=layout)
    for name, found in raw.values.items():
        number = found[0][0]
        fiche.lines[name] = number
        cells = [c for _n, cs in found for c in cs]
        text = " ".join(" ".join(cells).split())
        if name in s.text_fields:
            paragraphs = [" ".join(cs) for _n, cs in found if cs]
            setattr(fiche, name, "\n\n".join(p for p in paragraphs if p.strip()).strip())
        elif name in ("poste", "country", "prj_id", "url"):
            setattr(fiche, name, text)
        elif name == "title":
            fiche.title = text
        elif name in ("correspondent", "counsellor"):
            if text:
                setattr(fiche, name, read_person(text))
        elif name == "no_correspondent":
            fiche.correspondent = Person(none=True)
        elif name in ("french", "partner"):
            setattr(fiche, name, _split_names([" ".join(cs) for _n, cs in found]))
        elif name in ("first_convention_year", "start_year"):
            if text:
                setattr(fiche, name, _year(text, path, number, name, problems))
        elif name in ("end_date", "updated_on"):
            if text:
                setattr(fiche, name, _date(text, path, number, name, problems))
        elif name == "status":
            key = fold(text).strip(" .")
            if key in s.statuses:
                fiche.status = key
            elif text:
                problems.append(
                    Problem(
                        path,
                        number,
                        name,
                        _("statut inconnu « %(value)s » (attendu : En cours, Terminé ou En sommeil).")
                        % {"value": text[:40]},
                    )
                )
        elif name in ("theme1", "theme2", "theme3"):
            level = int(name[-1])
            while len(fiche.theme) < level:
                fiche.theme.append("")
            fiche.theme[level - 1] = text
        elif name == "other_themes":
            rows = [cs for _n, cs in found if cs]
            if len(rows) == 1 and len(rows[0]) == 1:
                rows = _inline_rows(rows[0])
            for n, row in zip([n for n, cs in found if cs] * len(rows), rows, strict=False):
                path_, priority = _theme_row(row)
                if path_:
                    fiche.other_themes.append((path_, priority))
                    if priority is None:
                        problems.append(
                            Problem(
                                path,
                                n,
                                name,
                                _("priorité absente pour « %(theme)s ».") % {"theme": " › ".join(path_)},
                            )
                        )
        elif name == "sdgs":
            rows = [cs for _n, cs in found if cs]
            if len(rows) == 1 and len(rows[0]) == 1:
                rows = _inline_rows(rows[0])
            for row in rows:
                sdg = _sdg_row(row)
                if sdg:
                    fiche.sdgs.append(sdg)
                else:
                    problems.append(
                        Problem(
                            path,
                            number,
                            name,
                            _("ODD illisible « %(value)s » (attendu : ODD 1 à 17).")
                            % {"value": " ".join(row)[:40]},
                        )
                    )
    fiche.theme = [t for t in fiche.theme]
    while fiche.theme and not fiche.theme[-1]:
        fiche.theme.pop()
    if fiche.title:
        fiche.title_looks_cut = _looks_cut(fiche.title)
        if fiche.title_looks_cut:
            problems.append(
                Problem(
                    path,
                    fiche.lines.get("title"),
                    "title",
                    _("l'intitulé (%(n)s caractères) semble coupé par l'ancien site : complétez-le.")
                    % {"n": len(fiche.title)},
                )
            )
    return fiche


def _finish(fiche: Fiche, *, first_line: str, problems: list[Problem]) -> None:
    """prjId and address: from a label, the first line, or the file name."""
    s = spec()
    url = fiche.url
    if not url and first_line.strip().lower().startswith(("http://", "https://")):
        url = first_line.strip().split()[0]
    m = s.url_prj_id.search(url or "")
    if not fiche.prj_id:
        if m:
            fiche.prj_id = m.group(1)
        else:
            digits = re.findall(r"\d{2,}", Path(fiche.file).stem)
            fiche.prj_id = digits[-1] if digits else ""
    fiche.prj_id = fiche.prj_id.strip()[:40]
    if not fiche.prj_id:
        problems.append(
            Problem(
                fiche.file,
                None,
                "prj_id",
                _(
                    "identifiant prjId introuvable : ni adresse de la fiche en première ligne, ni "
                    "numéro dans le nom du fichier (fiche_12345.txt)."
                ),
                fatal=True,
            )
        )
    fiche.url = (
        url
        if url.startswith(("http://", "https://"))
        else (s.fiche_url.format(prj_id=fiche.prj_id) if fiche.prj_id else "")
    )
    fiche.url = fiche.url[:1000]
    for name in s.required:
        if not getattr(fiche, name):
            problems.append(
                Problem(
                    fiche.file,
                    None,
                    name,
                    _("champ absent « %(field)s » (page coupée ou incomplète ?).") % {"field": name},
                )
            )


def parse_lines(
    lines: list[Line], *, path: str, layout: str, first_line: str = "", complete: bool = True
) -> tuple[Fiche | None, list[Problem]]:
    problems: list[Problem] = []
    raw = _collect(lines, path, problems)
    known = set(raw.values) - {"url", "prj_id"}
    if len(known) < 2:
        return None, [
            Problem(
                path,
                None,
                "fiche",
                _(
                    "ce fichier n'est pas une fiche projet de l'atlas (aucun de ses libellés trouvé) : "
                    "retirez-le de la liste."
                ),
                fatal=True,
            )
        ] + problems
    fiche = build(raw, path=path, layout=layout, problems=problems)
    if not complete:
        problems.append(
            Problem(
                path,
                lines[-1].number if lines else None,
                "fiche",
                _("page coupée : la fin du fichier manque ; les champs présents sont importés."),
            )
        )
    _finish(fiche, first_line=first_line, problems=problems)
    if any(p.fatal for p in problems):
        return None, problems
    return fiche, problems


def parse_text(content: str, *, path: str) -> tuple[Fiche | None, list[Problem]]:
    content = content.replace("\x00", "")
    if "<html" in content[:2000].lower() or "<body" in content[:4000].lower():
        lines, layout, complete = html_lines(content)
        first = ""
        m = re.search(r'<link[^>]+rel="canonical"[^>]+href="([^"]+)"', content[:4000])
        if m:
            first = m.group(1)
        else:  # the newer layout prints its address in the page
            first = next((ln.cells[0] for ln in lines if ln.cells[0].startswith(("http://", "https://"))), "")
        return parse_lines(lines, path=path, layout=layout, first_line=first, complete=complete)
    lines = text_lines(content)
    first = lines[0].cells[0] if lines else ""
    return parse_lines(lines, path=path, layout="text", first_line=first)


# --------------------------------------------------------------------------- tabular export


def _rows_to_fiches(header: list[str], rows, *, path: str) -> list[tuple[Fiche | None, list[Problem]]]:
    fields: list[str | None] = []
    problems_head: list[Problem] = []
    for h in header:
        hit = match_label(str(h or ""))
        fields.append(hit[0] if hit and not hit[1] else None)
        if (not hit or hit[1]) and str(h or "").strip():
            problems_head.append(
                Problem(
                    path,
                    1,
                    str(h)[:80],
                    _("colonne inconnue « %(label)s » : elle n'a pas été lue.") % {"label": str(h)[:80]},
                )
            )
    if sum(1 for f in fields if f) < 2:
        return [
            (
                None,
                [
                    Problem(
                        path,
                        1,
                        "fiche",
                        _(
                            "ce tableau n'a pas les colonnes de l'atlas (Intitulé, "
                            "Collectivité française…) : vérifiez la ligne d'en-tête."
                        ),
                        fatal=True,
                    )
                ],
            )
        ]
    out = []
    for number, row in rows:
        if not any(str(c or "").strip() for c in row):
            continue
        raw = _Raw()
        for name, cell in zip(fields, row, strict=False):
            if name and cell not in (None, ""):
                value = cell.strftime("%d/%m/%Y") if hasattr(cell, "strftime") else str(cell)
                raw.add(name, number, [value])
        problems = list(problems_head) if not out else []
        where = f"{path}"
        fiche = build(raw, path=where, layout="table", problems=problems)
        _finish(fiche, first_line="", problems=problems)
        for p in problems:
            if p.line is None:
                p.line = number
        out.append((None if any(p.fatal for p in problems) else fiche, problems))
    return out


def parse_csv(content: str, *, path: str):
    sample = content[:4000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(content), delimiter=delimiter)
    rows = list(reader)
    if not rows:
        return [(None, [Problem(path, None, "fiche", _("fichier CSV vide."), fatal=True)])]
    return _rows_to_fiches(rows[0], ((i, r) for i, r in enumerate(rows[1:], start=2)), path=path)


def parse_xlsx(file_path: Path, *, path: str):
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(file_path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        return [
            (
                None,
                [
                    Problem(
                        path,
                        None,
                        "fiche",
                        _("classeur XLSX illisible (%(exc)s).") % {"exc": exc},
                        fatal=True,
                    )
                ],
            )
        ]
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        return [(None, [Problem(path, None, "fiche", _("classeur XLSX vide."), fatal=True)])]
    out = _rows_to_fiches(list(header), ((i, list(r)) for i, r in enumerate(rows, start=2)), path=path)
    book.close()
    return out


def parse_path(file_path: Path) -> list[tuple[Fiche | None, list[Problem]]]:
    """Every fiche of one file (one for a page, one per row for an export)."""
    path = str(file_path)
    suffix = file_path.suffix.lower()
    if suffix == ".xlsx":
        return parse_xlsx(file_path, path=path)
    try:
        data = file_path.read_bytes()
    except OSError as exc:
        raise AppError(
            _("%(path)s : fichier illisible (%(exc)s).") % {"path": path, "exc": exc.strerror}, field=path
        ) from exc
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # an old save in Windows-1252; latin-1 never fails
        content = data.decode("cp1252", errors="replace")
    if suffix == ".csv":
        return parse_csv(content, path=path)
    return [parse_text(content, path=path)]
