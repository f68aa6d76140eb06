"""`coopatlas export-iati [--authority CODE] [--country ISO2] --output FILE`."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from coopatlas.iati.selectors import projects_for_export
from coopatlas.iati.services import iati_export


class Command(BaseCommand):
    help = "Write the atlas's projects as one IATI 2.03 activities file (schema-checked)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", required=True, help="file to write (replaced only when every activity is valid)"
        )
        parser.add_argument(
            "--authority", help="only this authority's projects (INSEE code, SIREN, departement:35…)"
        )
        parser.add_argument("--country", help="only projects in this country (ISO2: ML)")
        parser.add_argument(
            "--include-imported",
            action="store_true",
            help="also write activities imported from other publishers",
        )

    def handle(self, *args, output, authority=None, country=None, include_imported=False, **options):
        projects = projects_for_export(
            authority=authority, country=country, include_imported=include_imported
        )
        result = iati_export(projects=projects, output=Path(output))
        self.stdout.write(
            _("%(activities)s activités écrites dans %(path)s (IATI 2.03, conforme au schéma).")
            % {"activities": result.activities, "path": result.path}
        )
        if result.skipped:
            self.stderr.write(_("%(count)s projets non exportés :") % {"count": len(result.skipped)})
            for slug, reason in result.skipped[:20]:
                self.stderr.write(f"  {slug}: {reason}")
            if len(result.skipped) > 20:
                self.stderr.write(_("  … et %(count)s de plus") % {"count": len(result.skipped) - 20})
