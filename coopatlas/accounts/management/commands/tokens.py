"""`tokens create|list|revoke`: personal tokens for the write API."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from coopatlas.accounts import services
from coopatlas.core.errors import AppError


class Command(BaseCommand):
    help = (
        "API tokens: `tokens create --email E` (the token is on the last line), "
        "`tokens list [--email E]`, `tokens revoke --email E [--prefix P]`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = sub.add_parser("create", help="create a token; printed once, on the last line")
        create.add_argument("--email", required=True)
        create.add_argument("--name", default="", help="a label to tell tokens apart")
        listing = sub.add_parser("list", help="list tokens (prefix, owner, dates)")
        listing.add_argument("--email")
        revoke = sub.add_parser("revoke", help="revoke one token (--prefix) or all of a user's")
        revoke.add_argument("--email", required=True)
        revoke.add_argument("--prefix", help="the token's prefix as `tokens list` shows it")

    def handle(self, *args, **options):
        try:
            getattr(self, f"_{options['action']}")(options)
        except AppError as exc:
            raise CommandError(exc.message, returncode=exc.exit_code) from exc

    def _create(self, options):
        user = services.user_get(email=options["email"])
        _token, key = services.token_create(user=user, name=options["name"])
        self.stdout.write(
            _(
                "Jeton créé pour %(email)s ; envoyez-le dans l'en-tête « "
                "Authorization: Bearer JETON ». Il ne sera plus affiché :"
            )
            % {"email": user.email}
        )
        self.stdout.write(key)

    def _list(self, options):
        user = services.user_get(email=options["email"]) if options["email"] else None
        for t in services.token_list(user=user):
            state = f"révoqué {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "actif"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "jamais utilisé"
            self.stdout.write(
                _("%(prefix)s\t%(email)s\t%(t_name)s\tcréé %(created_at)s\t%(used)s\t%(state)s")
                % {
                    "prefix": t.prefix,
                    "email": t.user.email,
                    "t_name": t.name,
                    "created_at": format(t.created_at, "%Y-%m-%d"),
                    "used": used,
                    "state": state,
                }
            )

    def _revoke(self, options):
        user = services.user_get(email=options["email"])
        count = services.token_revoke(user=user, prefix=options["prefix"])
        self.stdout.write(
            _("%(count)s jeton(s) révoqué(s) pour %(email)s.") % {"count": count, "email": user.email}
        )
