import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from coopatlas.cooperation.integrity import integrity_report


class Command(BaseCommand):
    help = "Integrity report: errors (rules broken) and warnings. Exit 1 when errors are found."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        report = integrity_report()
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            labels = {
                "partnerships": _("partenariats"),
                "projects": _("projets"),
                "authorities": _("collectivités"),
            }
            counts = ", ".join(f"{v} {labels.get(k, k)}" for k, v in report["counts"].items())
            self.stdout.write(_("Vérifié : %(counts)s.") % {"counts": counts})
            for f in report["findings"]:
                examples = ", ".join(f["examples"])
                self.stdout.write(
                    f"{f['level'].upper():7} {f['count']:>6}  {f['message']}  "
                    + _("ex. %(examples)s") % {"examples": examples}
                )  # i18n: not user-facing
            if not report["findings"]:
                self.stdout.write(self.style.SUCCESS(_("Aucun problème trouvé.")))
        if not report["ok"]:
            raise CommandError(
                _("erreurs d'intégrité trouvées (voir ci-dessus) ; corrigez les enregistrements nommés.")
            )
