from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError
from coopatlas.ops.backup import restore


class Command(BaseCommand):
    help = "Restore an archive of `coopatlas backup` into an empty, migrated database."

    def add_arguments(self, parser):
        parser.add_argument("archive")

    def handle(self, *args, archive: str, **options):
        source = Path(archive)
        if not source.is_file():
            raise AppError(
                _("archive : %(path)s introuvable ; donnez le chemin d'une archive de `coopatlas backup`.")
                % {"path": source},
                field="archive",
            )
        done = restore(path=source)
        self.stdout.write(
            _("Restauration terminée : %(tables)s tables, %(rows)s lignes, %(documents)s documents.") % done
        )
