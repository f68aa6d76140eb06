"""`manage.py import_atlas PATH… [--dry-run] [--report FILE] [--strict]`."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError
from coopatlas.stateatlas.services import Report, StrictFailure, atlas_import


def _write_report(path: str | None, report: Report) -> None:
    if not path:
        return
    target = Path(path)
    try:
        if target.suffix.lower() == ".json":
            target.write_text(
                json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str), encoding="utf-8"
            )
        else:
            target.write_text(report.as_text() + "\n", encoding="utf-8")
    except OSError as exc:
        raise AppError(
            _("--report %(path)s : impossible d'écrire le rapport (%(exc)s) ; choisissez un autre chemin.")
            % {"path": path, "exc": exc.strerror},
            field="report",
        ) from exc


class Command(BaseCommand):
    help = (
        "Import project fiches of the state's atlas (HTML pages, pages saved as text, CSV/XLSX "
        "exports) in one transaction; re-running updates, never duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="fiche files or folders")
        parser.add_argument("--dry-run", action="store_true", help="do everything, then write nothing")
        parser.add_argument("--report", metavar="FILE", help="write the report there (.json for JSON)")
        parser.add_argument(
            "--strict", action="store_true", help="fail, writing nothing, on any problem or unresolved name"
        )

    def handle(self, *args, **options):
        try:
            report = atlas_import(
                paths=options["paths"], dry_run=options["dry_run"], strict=options["strict"]
            )
        except StrictFailure as exc:
            _write_report(options.get("report"), exc.report)
            self.stderr.write(exc.report.as_text())
            raise
        _write_report(options.get("report"), report)
        self.stdout.write(report.as_text())
