"""Where the shipped data files are, and the error a broken one raises (reference, geo).

Shared by the loaders of several apps (reference code lists, geography): the folders are
given by the caller, so this module depends on no app."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError


class DataFiles:
    """Where each data file is: the two packaged folders, or one folder given by --data-dir."""

    def __init__(self, data_dir: Path | None, *, reference_dir: Path, geo_dir: Path):
        self.data_dir = Path(data_dir) if data_dir else None
        self.reference_dir = self.data_dir or reference_dir
        self.geo_dir = self.data_dir or geo_dir

    def reference(self, name: str) -> Path:
        return self._existing(self.reference_dir / name)

    def geo(self, name: str) -> Path:
        return self._existing(self.geo_dir / name)

    @staticmethod
    def _existing(path: Path) -> Path:
        if not path.is_file():
            raise AppError(
                _(
                    "%(path)s : fichier de référence introuvable. Restaurez-le depuis le dépôt "
                    "(ou reconstruisez-le avec scripts/build_reference_data.py)."
                )
                % {"path": path},
                field=str(path),
            )
        return path


def data_error(path: Path, problem: str) -> AppError:
    return AppError(
        _("%(path)s : %(problem)s. Corrigez ou restaurez ce fichier puis relancez load-reference.")
        % {"path": path, "problem": problem},
        field=str(path),
    )
