"""CSV twin of a list page: the same `results` as the JSON, flattened for a spreadsheet.

Choices, made for the atlas's first users (French officers opening the file in Excel):
- UTF-8 with a byte-order mark, so Excel reads accents right instead of guessing Windows-1252;
- `;` as separator, the list separator of French-locale Excel (a `,` file opens as one
  column there); Python's `csv` reads it with `delimiter=";"`;
- nested dicts become dotted columns (`country.name`), lists become one cell joined with
  " | " (each item by its `label`, `name`, `title`, `code` or `value`);
- cells that a spreadsheet would run as a formula (starting with = + - @, tab or carriage
  return: OWASP "CSV injection") get a leading apostrophe (plain numbers such as -12.5 excepted).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import pickle
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

BOM = "\ufeff"
DELIMITER = ";"
LIST_JOIN = " | "
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# Spreadsheets skip leading blanks before evaluating: " =1+1", "\n=cmd", "\u00a0@SUM(…)".
_LEADING_BLANKS = " \t\r\n\u00a0\u202f\u2007\u2009\u3000\ufeff\x0b\x0c"
_NUMBER = re.compile(r"^[+-]?[0-9]+([.,][0-9]+)?$")
_ITEM_KEYS = ("label", "name", "title", "code", "value", "slug")


def neutralise(text: str) -> str:
    """Prefix a cell that Excel/LibreOffice would evaluate as a formula.

    A plain number ("-12.5", a longitude) is left alone: it evaluates to itself.
    """
    stripped = text.lstrip(_LEADING_BLANKS)
    if (text.startswith(_FORMULA_START) or stripped.startswith(_FORMULA_START[:4])) and not _NUMBER.match(
        text.strip()
    ):
        return "'" + text
    return text


def _item_text(item) -> str:
    if isinstance(item, dict):
        for key in _ITEM_KEYS:
            if item.get(key) not in (None, ""):
                return str(item[key])
        return json.dumps(item, ensure_ascii=False, sort_keys=True)
    return _scalar(item)


def _scalar(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


def flatten(row: dict, prefix: str = "") -> dict[str, str]:
    """{'country': {'iso2': 'ML'}, 'themes': [{'label': 'Eau'}]} → country.iso2, themes."""
    out: dict[str, str] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, list | tuple | set):
            out[name] = LIST_JOIN.join(_item_text(v) for v in value)
        else:
            out[name] = _scalar(value)
    return out


def rows_to_csv(rows: Iterable[dict], *, delimiter: str = DELIMITER, bom: bool = True) -> str:
    """The rows as CSV text; columns in order of first appearance over all rows."""
    return "".join(rows_to_csv_stream(rows, delimiter=delimiter, bom=bom))


def rows_to_csv_stream(
    rows: Iterable[dict], *, delimiter: str = DELIMITER, bom: bool = True
) -> Iterator[str]:
    """rows_to_csv in pieces of about CHUNK_CHARS, holding one row at a time (see _csv_stream)."""
    return _csv_stream(rows, columns_of=flatten, cells_of=flatten, delimiter=delimiter, bom=bom)


CHUNK_CHARS = 64 * 1024
SPOOL_MEMORY = 1024 * 1024  # rows beyond this many bytes wait on disk, not in memory


def _csv_stream(
    rows: Iterable,
    *,
    columns_of: Callable[[object], dict],
    cells_of: Callable[[object], dict],
    between: Callable[[], None] = lambda: None,
    delimiter: str = DELIMITER,
    bom: bool = True,
) -> Iterator[str]:
    """CSV whose header is the union of every row's columns, in constant memory.

    The header needs all rows, the rows come one chunk at a time from the database: a first
    pass gathers the columns and spools each row (pickled, exact values) to a temporary file,
    `between()` runs once (the people's CSV names the partner regions met), a second pass
    writes the rows from the spool. Memory holds the columns, one row and one piece of text."""
    columns: dict[str, None] = {}
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY) as spool:
        for row in rows:
            columns.update(dict.fromkeys(columns_of(row)))
            pickle.dump(row, spool, protocol=pickle.HIGHEST_PROTOCOL)
        between()
        spool.seek(0)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        if bom:
            buffer.write(BOM)
        writer.writerow(list(columns))
        while True:
            try:
                row = pickle.load(spool)  # noqa: S301 - our own spool, written just above
            except EOFError:
                break
            cells = cells_of(row)
            writer.writerow([neutralise(cells.get(c, "")) for c in columns])
            if buffer.tell() >= CHUNK_CHARS:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()


# --- The CSV for people (issue 13) ---------------------------------------------------------
# Headers in words in the page's language (French first), labels rather than codes, the
# partner's country and region, absolute URLs, and amounts with the language's decimal mark
# (a comma in French); `?format=csv&dialect=machine` keeps rows_to_csv's columns for scripts.

AMOUNT_FIELDS = ("budget", "amount", "total", "amount_eur")


@functools.cache
def _headers_file() -> dict:
    return json.loads((Path(__file__).parent / "data" / "csv_headers.json").read_text(encoding="utf-8"))


def _language() -> str:
    from django.utils.translation import get_language

    return (get_language() or "fr")[:2]


def _headers(lang: str | None = None) -> dict[str, str]:
    data = _headers_file()
    return data.get(lang or _language()) or data["fr"]


DECIMAL_MARK = {"fr": ",", "en": "."}


def _people_row(row: dict, *, absolute, area_label, decimal: str = ",") -> dict:
    out: dict = {}
    for key, value in row.items():
        if key.endswith("_label") and key[: -len("_label")] in row:
            continue  # its label replaces the code below
        if f"{key}_label" in row and row[f"{key}_label"] not in (None, ""):
            value = row[f"{key}_label"]
        elif key.endswith("_url") and isinstance(value, str) and value.startswith("/"):
            value = absolute(value)
        elif isinstance(value, dict) and value.get("label"):
            value = value["label"]  # main_theme: one cell, by its name
        elif key in AMOUNT_FIELDS and value not in (None, ""):
            value = str(value).replace(".", decimal)
        out[key] = value
    parties = row.get("parties") or row.get("participants")
    if isinstance(parties, list):
        foreign = [p for p in parties if isinstance(p, dict) and p.get("country") not in (None, "FR")]
        if foreign or "parties" in row:
            out["partner_country"] = " | ".join(dict.fromkeys(p.get("country_name") or "" for p in foreign))
            out["partner_region"] = " | ".join(
                dict.fromkeys(area_label(p["area"]) for p in foreign if p.get("area"))
            )
    return out


def people_csv(rows: Iterable[dict], *, absolute, area_label=lambda code: code) -> str:
    """The rows as CSV for a person opening it in a spreadsheet.

    `absolute(path)` makes a site path a full URL (request.build_absolute_uri);
    `area_label(code)` names a partner region ("ML-5" → "Région de Mopti").
    """
    return "".join(
        people_csv_stream(rows, absolute=absolute, area_names=lambda codes: {}, area_label=area_label)
    )


def people_csv_stream(
    rows: Iterable[dict],
    *,
    absolute,
    area_names: Callable[[set], dict],
    area_label: Callable[[str], str] | None = None,
) -> Iterator[str]:
    """people_csv in pieces, in constant memory: `area_names(codes)` is asked once, after the
    first pass, for the partner regions met (a region's name never changes a column)."""
    lang = _language()  # read once: the stream's later pieces are written outside the view
    headers = _headers(lang)
    decimal = DECIMAL_MARK.get(lang, ",")
    codes: set = set()
    names: dict = {}

    def label(code):
        return area_label(code) if area_label else names.get(code, code)

    def shaped(row: dict, region) -> dict:
        flat = flatten(_people_row(row, absolute=absolute, area_label=region, decimal=decimal))
        return {headers.get(k, k): v for k, v in flat.items()}

    def columns_of(row: dict) -> dict:
        # a partnership's parties, a project's participants: the same rule as _people_row
        parties = row.get("parties") or row.get("participants") or []
        codes.update(p.get("area") for p in parties if isinstance(p, dict) and p.get("area"))
        return shaped(row, lambda code: code)

    def between() -> None:
        if area_label is None:
            names.update(area_names(codes))

    return _csv_stream(rows, columns_of=columns_of, cells_of=lambda row: shaped(row, label), between=between)
