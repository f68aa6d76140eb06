"""`coopatlas import-iati FILE [--dry-run] [--progress]`."""

from pathlib import Path

from django.core.management.base import BaseCommand

from coopatlas.iati.services import iati_import


class Command(BaseCommand):
    help = ("Import an IATI 2.01–2.03 activities file: schema check first, then one "
            "transaction (re-importing updates, never duplicates).")

    def add_arguments(self, parser):
        parser.add_argument("file", help="IATI activities XML file")
        parser.add_argument("--dry-run", action="store_true",
                            help="check and map everything, then roll back")
        parser.add_argument("--progress", action="store_true", default=None,
                            help="show a progress bar on stderr even when it is not a terminal")

    def handle(self, *args, file, dry_run=False, progress=None, **options):
        result = iati_import(path=Path(file), dry_run=dry_run, progress=progress)
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"IATI {result.version}: {result.activities} activities {verb} imported "
            f"({result.created} new, {result.updated} updated, {result.skipped} skipped); "
            f"{result.organisations_created} organisations created."
            + (" Dry run: nothing was written." if dry_run else ""))
        for warning in result.warnings[:20]:
            self.stderr.write(f"  warning: {warning}")
        if len(result.warnings) > 20:
            self.stderr.write(f"  … and {len(result.warnings) - 20} more warnings")
