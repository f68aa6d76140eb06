"""`coopatlas evaluate-suggestions`: recall of the suggestions on hidden partnerships."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from coopatlas.core.errors import AppError
from coopatlas.core.parse import cli_int
from coopatlas.matchmaking import evaluate


class Command(BaseCommand):
    help = (
        "Hide a share of the known partnerships (real and synthetic, apart), suggest for their "
        "French side, report recall@10 of the true partner and recall@3/10 of the true country, on "
        "the held-out split (the weights are fitted on the other part: fit-suggestions)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--share", type=float, default=0.1, help="share hidden at once (default 0.1)")
        parser.add_argument(
            "--limit", type=cli_int, default=1000, help="partnerships hidden per set (default 1000)"
        )
        parser.add_argument("--seed", type=cli_int, default=1)
        parser.add_argument(
            "--refit",
            action="store_true",
            help="also fit weights on each set's training split and measure them on its held-out split",
        )
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, **opts):
        try:
            result = evaluate.report(
                share=opts["share"], limit=opts["limit"], seed=opts["seed"], refit=opts["refit"]
            )
        except AppError as exc:
            raise CommandError(exc.message) from exc
        if opts["json"]:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self.stdout.write(evaluate.format_report(result))
