"""The report as CSV and XLSX, and the CRS-shaped export. XLSX is written with the standard
library (zipfile + SpreadsheetML): one sheet, inline strings, amounts as numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from xml.sax.saxutils import escape

from django.http import HttpResponse, StreamingHttpResponse

from coopatlas.core.export import neutralise, rows_to_csv

from .selectors import CRS_COLUMNS, crs_rows, report_csv_rows

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
PKG_REL = "application/vnd.openxmlformats-package.relationships+xml"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NUMERIC = {"amount", "share", "rank", "lines"}


def _col(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def _cell(ref: str, value, numeric: bool) -> str:
    if value is None or value == "":
        return ""
    if numeric:
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = neutralise(str(value))  # never a formula, as in core.export
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def xlsx_bytes(rows: list[dict], *, sheet: str = "Rapport") -> bytes:
    columns = list(rows[0]) if rows else []
    lines = [
        '<row r="1">' + "".join(_cell(f"{_col(i)}1", c, False) for i, c in enumerate(columns)) + "</row>"
    ]
    for r, row in enumerate(rows, start=2):
        lines.append(
            f'<row r="{r}">'
            + "".join(_cell(f"{_col(i)}{r}", row[c], c in NUMERIC) for i, c in enumerate(columns))
            + "</row>"
        )
    sheet_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(lines)}</sheetData></worksheet>"
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="{PKG_REL}"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{SML}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SML}.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{DOC_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{escape(sheet[:31])}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return buffer.getvalue()


def report_response(*, data: dict, fmt: str) -> HttpResponse:
    rows = report_csv_rows(data)
    name = f"apd-collectivites-{data['year']}"
    if fmt == "xlsx":
        response = HttpResponse(xlsx_bytes(rows, sheet=f"APD {data['year']}"), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    response = HttpResponse(rows_to_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def crs_response(*, year: int) -> StreamingHttpResponse:
    """Comma-separated, UTF-8, one row per ODA line, streamed."""
    writer = csv.DictWriter(_Echo(), fieldnames=CRS_COLUMNS)

    def rows():
        yield writer.writeheader()
        for row in crs_rows(year=year):
            yield writer.writerow({k: _safe(v) for k, v in row.items()})

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="crs-collectivites-{year}.csv"'
    return response


def _safe(value):
    return neutralise(value) if isinstance(value, str) else value
