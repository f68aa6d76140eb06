"""Load the yearly declaration's rules (data/rules.yaml), campaigns and recipient regions."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from coopatlas.declarations.services import rules_load


class Command(BaseCommand):
    help = "Load the e-APD rules per year, campaigns and DAC regions; re-check existing lines."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", help="folder holding rules.yaml and Region.xml")

    def handle(self, *args, data_dir=None, **options):
        result = rules_load(data_dir=data_dir)
        if options["verbosity"]:
            self.stdout.write(
                _(
                    "Règles de déclaration : %(years)s années, %(regions)s régions "
                    "bénéficiaires, %(lines_rechecked)s lignes revérifiées."
                )
                % {
                    "years": result["years"],
                    "regions": result["regions"],
                    "lines_rechecked": result["lines_rechecked"],
                }
            )
