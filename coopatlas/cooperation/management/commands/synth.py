from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from coopatlas.cooperation.synth import SCALES, synth_generate
from coopatlas.core.parse import cli_int


class Command(BaseCommand):
    help = "Replace the synthetic dataset (marked synthetic) by one at the given scale."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), required=True)
        parser.add_argument("--seed", type=cli_int, default=1)

    def handle(self, *args, scale, seed, **options):
        counts = synth_generate(scale=scale, seed=seed, log=self.stdout.write)
        summary = ", ".join(f"{k}={v}" for k, v in counts.items())
        self.stdout.write(
            self.style.SUCCESS(_("Jeu de données synthétique prêt : %(summary)s") % {"summary": summary})
        )
