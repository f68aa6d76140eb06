"""`coopatlas fit-suggestions`: fit the ranking's weights on a training split of the known
partnerships and (with --write) write them into matchmaking/data/suggestion_weights.yaml."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError
from coopatlas.core.parse import cli_int
from coopatlas.matchmaking import fit


class Command(BaseCommand):
    help = (
        "Fit the suggestion weights on a training split of the known partnerships of one set "
        "(real: the atlas's own records; synthetic: the generated scale set), starting from the "
        "popularity baseline; --write stores them in the weights file. Measure them with "
        "evaluate-suggestions (on the held-out split)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--set", choices=("real", "synthetic"), default="real")
        parser.add_argument("--seed", type=cli_int, default=1, help="seed of the train/held-out split")
        parser.add_argument("--share", type=float, default=0.1, help="share hidden at once (default 0.1)")
        parser.add_argument("--write", action="store_true", help="write the weights into the data file")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **opts):
        if not 0 < opts["share"] <= 0.5:
            raise CommandError(
                _("share : donnez une part entre 0 et 0,5 (0,1 cache un partenariat sur dix à la fois).")
            )
        try:
            result = fit.fit(synthetic=opts["set"] == "synthetic", seed=opts["seed"], share=opts["share"])
        except AppError as exc:
            raise CommandError(exc.message) from exc
        if opts["json"]:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            t = result["train"]
            self.stdout.write(  # i18n: not user-facing (the maintainer's fitting report, figures)
                f"{result['set']}: {result['train_pairs']} training pairs ({result['train_queries']} hidden "
                f"in turn), {result['held_out_pairs']} held out (seed {result['seed']})\n"
                f"training country@3 {t['recall_country_at_3']:.1%} "
                f"(baseline {t['baseline_country_at_3']:.1%}), "
                f"partner@10 {t['recall_partner_at_10']:.1%} (baseline {t['baseline_partner_at_10']:.1%})\n"
                f"country: {result['country']}\npartner: {result['partner']}"
            )
        if opts["write"]:
            fit.write(result)
            weights = "coopatlas/matchmaking/data/suggestion_weights.yaml"
            self.stdout.write(f"written: {weights}")  # i18n: not user-facing
