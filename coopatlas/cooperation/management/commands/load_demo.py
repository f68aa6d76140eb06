"""`manage.py load_demo [--data-dir DIR]`: the sourced demo data taken from the seed documents."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from coopatlas.cooperation.demo.loader import demo_load


class Command(BaseCommand):
    help = (
        "Load the demo data (partnerships, projects, programmes, partner requests, contacts, "
        "published figures), each with its source, from coopatlas/cooperation/demo/*.yaml. "
        "Needs the reference data (load_reference). Safe to run again: records are updated in "
        "place by their ref. On any problem nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="read the demo *.yaml files from this folder (default: coopatlas/cooperation/demo)",
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        verbose = options["verbosity"] > 0
        # AppError propagates: the CLI maps it to a message and an exit code in one place.
        counts = demo_load(data_dir=options["data_dir"], stdout=self.stdout if verbose else None)
        if verbose:
            for name, n in counts.items():
                self.stdout.write(f"{name:24} {n:>6}")
            self.stdout.write(
                self.style.SUCCESS(
                    _("Données de démonstration chargées en %(seconds)s s.")
                    % {"seconds": format(time.monotonic() - started, ".1f")}
                )
            )
