"""`coopatlas export-iati [--mode ministry|publishers] [--authority CODE] [--country ISO2] --output PATH`.

--mode ministry (default): the ministry's one file, FR-6 as secondary reporter on behalf of
the authorities (what the ministry publishes on the IATI Registry), plus its organisation
file beside it. --mode publishers: PATH is a folder; one activities file and one
organisation file per publisher (an authority or organisation with a registered identifier).
"""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from coopatlas.iati.selectors import projects_for_export
from coopatlas.iati.services import iati_export


class Command(BaseCommand):
    help = "Write the atlas's projects as one IATI 2.03 activities file (schema-checked)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            required=True,
            help="file to write (--mode ministry) or folder (--mode publishers); replaced only "
            "when every activity passes the schema and IATI's error-level rules",
        )
        parser.add_argument(
            "--mode",
            choices=("ministry", "publishers"),
            default="ministry",
            help="ministry: one file, the ministry (FR-6) as secondary reporter; publishers: one "
            "file per publisher under its registered identifier",
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

    def handle(
        self, *args, output, mode="ministry", authority=None, country=None, include_imported=False, **options
    ):
        projects = projects_for_export(
            authority=authority, country=country, include_imported=include_imported
        )
        result = iati_export(projects=projects, output=Path(output), mode=mode, organisation_file=True)
        self.stdout.write(
            _(
                "%(activities)s activités écrites dans %(path)s (IATI 2.03, conforme au schéma "
                "et aux règles IATI de niveau erreur) ; %(files)s fichiers, %(publishers)s éditeurs."
            )
            % {
                "activities": result.activities,
                "path": result.path,
                "files": len(result.files),
                "publishers": result.publishers,
            }
        )
        if result.warnings:
            self.stderr.write(
                _("%(count)s avertissements des règles IATI :") % {"count": len(result.warnings)}
            )
            for finding in result.warnings[:20]:
                self.stderr.write(f"  {finding}")
            if len(result.warnings) > 20:
                self.stderr.write(_("  … et %(count)s de plus") % {"count": len(result.warnings) - 20})
        if result.skipped:
            self.stderr.write(_("%(count)s projets non exportés :") % {"count": len(result.skipped)})
            for slug, reason in result.skipped[:20]:
                self.stderr.write(f"  {slug}: {reason}")
            if len(result.skipped) > 20:
                self.stderr.write(_("  … et %(count)s de plus") % {"count": len(result.skipped) - 20})
