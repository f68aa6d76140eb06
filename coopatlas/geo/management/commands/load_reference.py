"""`manage.py load_reference [--data-dir DIR]`: code lists, themes and geography."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from coopatlas.reference.services import reference_load


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
        counts = reference_load(
            data_dir=options["data_dir"], stdout=self.stdout if verbose else None
        )
        if verbose:
            for table, n in counts.items():
                self.stdout.write(f"{table:24} {n:>8}")
            self.stdout.write(
                self.style.SUCCESS(_("Données de référence chargées en %(seconds)s s.")
                                   % {"seconds": format(time.monotonic() - started, ".1f")})
            )
