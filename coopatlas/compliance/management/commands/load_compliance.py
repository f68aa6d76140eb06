"""Load the compliance rules, excluded-partner kinds and groupement competences from
`compliance/data/rules.yaml`. Idempotent; never removes what administrators added."""

from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from coopatlas.compliance.services import rules_load
from coopatlas.core.errors import AppError

DEFAULT = Path(__file__).resolve().parents[2] / "data" / "rules.yaml"


class Command(BaseCommand):
    help = "Load compliance rules and tables from compliance/data/rules.yaml."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEFAULT))

    def handle(self, *args, file, **options):
        try:
            data = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
            counts = rules_load(data=data, path=file)
        except (OSError, yaml.YAMLError) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        except AppError as exc:
            raise CommandError(exc.message) from exc
        if options["verbosity"]:
            self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
