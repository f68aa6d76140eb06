"""`coopatlas calls ...`: rule sets and calls from the command line.

calls load-rules [FILE ...] --as EMAIL   load rule-set files (default: the shipped ones)
calls list                                the calls and their rule-set versions
calls synth [--applications 2000] [--calls 3]   a synthetic campaign (benchmarks)
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError, exit_code_of
from coopatlas.core.parse import cli_int


class Command(BaseCommand):
    help = "Calls for proposals: load rule sets, list calls, synthesise a campaign."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load-rules", help="load rule-set files (YAML/JSON), validated as a whole")
        load.add_argument("files", nargs="*", help="files to load (default: calls/data/rulesets/*.yaml)")
        load.add_argument("--as", dest="actor", help="e-mail of a ministry administrator (for files given)")
        sub.add_parser("list", help="list the calls")
        remind = sub.add_parser("remind", help="remind embassies of awaited opinions")
        remind.add_argument("slug")
        remind.add_argument("--as", dest="actor", required=True, help="e-mail of a ministry administrator")
        synth = sub.add_parser("synth", help="a synthetic campaign (marked synthetic)")
        synth.add_argument("--applications", type=cli_int, default=2000)
        synth.add_argument("--calls", type=cli_int, default=3)
        synth.add_argument("--seed", type=cli_int, default=1)

    def handle(self, *args, **opts):
        try:
            getattr(self, "_" + opts["action"].replace("-", "_"))(opts)
        except AppError as exc:
            raise CommandError(exc.message, returncode=exit_code_of(exc)) from None

    def _load_rules(self, opts):
        from coopatlas.calls import services

        if not opts["files"]:
            for rs in services.rulesets_load_shipped():
                line = f"{rs.key} v{rs.version} ({rs.get_origin_display()}) : {rs.title}"
                self.stdout.write(line)  # i18n: not user-facing (a data listing: key, version, title)
            return
        from coopatlas.accounts.models import User

        user = User.objects.filter(email__iexact=opts["actor"] or "").first()
        if user is None and opts["actor"]:
            raise AppError(
                _("--as : aucun compte « %(email)s ».") % {"email": opts["actor"][:80]}, field="--as"
            )
        if user is None:
            raise AppError(
                _("--as : donnez l'e-mail d'un administrateur du ministère (--as admin@example.org)."),
                field="--as",
            )
        for name in opts["files"]:
            path = Path(name)
            if not path.is_file():
                raise AppError(
                    _("%(name)s : fichier introuvable ; vérifiez le chemin.") % {"name": name}, field=name
                )
            rs = services.ruleset_load(actor=user, text=path.read_text(encoding="utf-8"), name=path.name)
            self.stdout.write(f"{rs.key} v{rs.version} : {rs.title}")  # i18n: not user-facing (data listing)

    def _remind(self, opts):
        from coopatlas.accounts.models import User
        from coopatlas.calls import selectors, services

        user = User.objects.filter(email__iexact=opts["actor"]).first()
        if user is None:
            raise AppError(
                _("--as : aucun compte « %(email)s ».") % {"email": opts["actor"][:80]}, field="--as"
            )
        n = services.opinions_remind(actor=user, call=selectors.call_get(slug=opts["slug"]))
        self.stdout.write(_("%(n)s avis relancés.") % {"n": n})

    def _list(self, opts):
        from coopatlas.calls.models import Call
        from coopatlas.calls.selectors import paris

        for call in Call.objects.select_related("ruleset").order_by("-opens_at"):
            state = _("ouvert") if call.is_open() else (_("publié") if call.is_published else _("brouillon"))
            self.stdout.write(  # i18n: not user-facing (a data listing, tab-separated)
                f"{call.slug}\t{state}\t{paris(call.deadline_at):%Y-%m-%d %H:%M:%S}\t"
                f"{call.ruleset.key} v{call.ruleset.version}"
            )

    def _synth(self, opts):
        from coopatlas.calls.synth import campaign_synth

        if not 1 <= opts["applications"] <= 100_000 or not 1 <= opts["calls"] <= 50:
            raise AppError(
                _("--applications : entre 1 et 100 000 ; --calls : entre 1 et 50."), field="--applications"
            )
        campaign_synth(
            applications=opts["applications"], calls=opts["calls"], seed=opts["seed"], log=self.stdout.write
        )
