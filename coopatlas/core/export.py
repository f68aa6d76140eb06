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
import io
import json
import re
from collections.abc import Iterable

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
    flat = [flatten(r) for r in rows]
    columns: dict[str, None] = {}
    for r in flat:
        columns.update(dict.fromkeys(r))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(list(columns))
    for r in flat:
        writer.writerow([neutralise(r.get(c, "")) for c in columns])
    return (BOM if bom else "") + buffer.getvalue()
