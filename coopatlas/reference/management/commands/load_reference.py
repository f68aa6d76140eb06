"""`manage.py load_reference [--data-dir DIR]`: code lists, themes and geography.

The orchestration lives here, above both loaders (reference, then geo), so neither app
imports the other's services."""

from __future__ import annotations

import time
from pathlib import Path
from typing import IO

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from coopatlas.core.bulk import WRITE_LOG
from coopatlas.core.datafiles import DataFiles
from coopatlas.geo.former_names import former_names_load
from coopatlas.geo.gazetteer import gazetteer_load
from coopatlas.geo.services import GEO_DATA_DIR, geography_load
from coopatlas.reference.services import REFERENCE_DATA_DIR, codelists_load


def reference_load(*, data_dir: Path | None = None, stdout: IO[str] | None = None) -> dict[str, int]:
    """Load code lists, themes and geography in one transaction; rows per table."""
    files = DataFiles(data_dir, reference_dir=REFERENCE_DATA_DIR, geo_dir=GEO_DATA_DIR)
    WRITE_LOG.clear()
    with transaction.atomic():
        counts = codelists_load(files=files)
        counts.update(geography_load(files=files, stdout=stdout))
        counts.update(gazetteer_load(files=files, stdout=stdout))  # after areas and places
        counts.update(former_names_load(files=files))  # after the authorities they alias
    if stdout is not None:
        created = sum(c for _, c, _ in WRITE_LOG)
        updated = sum(u for _, _, u in WRITE_LOG)
        stdout.write(
            _("%(created)s lignes créées, %(updated)s mises à jour (0 et 0 quand rien n'a changé).")
            % {"created": created, "updated": updated}
            + "\n"
        )
    return counts


class Command(BaseCommand):
    help = (
        "Load the reference data (IATI/OECD code lists, themes, countries, areas, French "
        "authorities, GeoNames places) from the shipped files. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="read every reference file from this one folder instead of "
            "coopatlas/reference/data and coopatlas/geo/data",
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        verbose = options["verbosity"] > 0
        counts = reference_load(data_dir=options["data_dir"], stdout=self.stdout if verbose else None)
        if verbose:
            for table, n in counts.items():
                self.stdout.write(f"{table:24} {n:>8}")
            self.stdout.write(
                self.style.SUCCESS(
                    _("Données de référence chargées en %(seconds)s s.")
                    % {"seconds": format(time.monotonic() - started, ".1f")}
                )
            )
