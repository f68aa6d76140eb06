"""`coopatlas import-iati FILE [--dry-run] [--progress]`."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from coopatlas.iati.services import iati_import


class Command(BaseCommand):
    help = (
        "Import an IATI 2.01–2.03 activities file: schema check first, then one "
        "transaction (re-importing updates, never duplicates)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="IATI activities XML file")
        parser.add_argument("--dry-run", action="store_true", help="check and map everything, then roll back")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="refuse the whole file when one activity is invalid (default: import the valid "
            "ones and list the others)",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            default=None,
            help="show a progress bar on stderr even when it is not a terminal",
        )

    def handle(self, *args, file, dry_run=False, progress=None, strict=False, **options):
        result = iati_import(path=Path(file), dry_run=dry_run, progress=progress, strict=strict)
        verb = _("seraient") if dry_run else _("ont été")
        self.stdout.write(
            _(
                "IATI %(version)s : %(activities)s activités %(verb)s importées (%(created)s "
                "nouvelles, %(updated)s mises à jour, %(skipped)s ignorées) ; "
                "%(organisations_created)s organisations créées.%(value)s"
            )
            % {
                "version": result.version,
                "activities": result.activities,
                "verb": verb,
                "created": result.created,
                "updated": result.updated,
                "skipped": result.skipped,
                "organisations_created": result.organisations_created,
                "value": _(" Essai : rien n'a été écrit.") if dry_run else "",
            }
        )
        if result.rejected:
            self.stderr.write(
                _("%(count)s problèmes dans des activités invalides, non importées :")
                % {"count": len(result.rejected)}
            )
            for problem in result.rejected[:20]:
                self.stderr.write(f"  {problem}")
        for warning in result.warnings[:20]:
            self.stderr.write(_("  avertissement : %(warning)s") % {"warning": warning})
        if len(result.warnings) > 20:
            self.stderr.write(
                _("  … et %(count)s avertissements de plus") % {"count": len(result.warnings) - 20}
            )
