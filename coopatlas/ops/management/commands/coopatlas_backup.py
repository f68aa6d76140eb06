from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from coopatlas.ops.backup import backup


class Command(BaseCommand):
    help = "Write database and documents to one archive with a checksum manifest."

    def add_arguments(self, parser):
        parser.add_argument("archive")

    def handle(self, *args, archive: str, **options):
        target = Path(archive)
        if not target.parent.is_dir():
            from coopatlas.core.errors import AppError

            raise AppError(
                _("archive : le dossier %(d)s n'existe pas ; créez-le ou choisissez un autre chemin.")
                % {"d": target.parent},
                field="archive",
            )
        done = backup(path=target)
        self.stdout.write(
            _("Sauvegarde écrite : %(path)s (%(tables)s tables, %(rows)s lignes, %(documents)s documents).")
            % {"path": target, **done}
        )
