"""The declarations' rules file (data/rules.yaml) read from one place: the services build
a year's rules from it, and the selectors ask which instruments are co-funding received (so
the selectors need not import the services, which import the selectors)."""

from pathlib import Path

import yaml
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError

DATA_DIR = Path(__file__).resolve().parent / "data"


def _read_rules(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AppError(
            _("%(path)s : fichier de règles illisible (%(exc)s).") % {"path": path, "exc": exc},
            field=str(path),
        ) from exc
    for key in ("line_types", "markers", "years"):
        if not isinstance(data, dict) or key not in data:
            raise AppError(
                _("%(path)s : la clé « %(key)s » manque.") % {"path": path, "key": key}, field=str(path)
            )
    return data


def received_instruments(*, data_dir: Path | None = None) -> list[str]:
    """Instruments of co-funding the authority receives (shown, never counted): rules.yaml."""
    return list(
        _read_rules(Path(data_dir or DATA_DIR) / "rules.yaml").get(
            "received_instruments", ["daect_call", "afd_ficol", "afd_other", "eu"]
        )
    )


def prepare_instruments(*, data_dir: Path | None = None) -> list[str]:
    return list(
        _read_rules(Path(data_dir or DATA_DIR) / "rules.yaml").get("prepare_instruments", ["own_funds"])
    )
