"""Synthetic yearly declarations for scale (marked synthetic; replaces earlier ones)."""

from django.core.management.base import BaseCommand

from coopatlas.core.parse import cli_int
from coopatlas.declarations.synth import synth_declarations


class Command(BaseCommand):
    help = "Generate synthetic aid declarations: N authorities × L lines × Y years (validated)."

    def add_arguments(self, parser):
        parser.add_argument("--authorities", type=cli_int, default=5_000)
        parser.add_argument("--lines", type=cli_int, default=10)
        parser.add_argument("--years", type=cli_int, default=5)
        parser.add_argument(
            "--last-year",
            type=cli_int,
            default=None,
            help="last declared year (default: the last year with rules)",
        )
        parser.add_argument("--seed", type=cli_int, default=1)

    def handle(self, *args, **o):
        log = self.stdout.write if o["verbosity"] else (lambda *_: None)
        result = synth_declarations(
            authorities=o["authorities"],
            lines=o["lines"],
            years=o["years"],
            last_year=o["last_year"],
            seed=o["seed"],
            log=log,
        )
        log(
            f"Synthetic declarations: {result['authorities']} authorities, years "
            f"{result['years'][0]}–{result['years'][-1]}, {result['lines']} lines "
            f"in {result['seconds']} s."
        )
