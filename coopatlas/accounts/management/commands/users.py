"""`users add` / `users list`: accounts and their roles, from the command line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from coopatlas.accounts import services
from coopatlas.core.errors import AppError


class Command(BaseCommand):
    help = "Manage accounts: `users add --email E --role R [...]`, `users list`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = sub.add_parser("add", help="create an account with a role and its scope")
        add.add_argument("--email", required=True)
        add.add_argument("--role", required=True, choices=["editor", "facilitator", "embassy", "admin"])
        add.add_argument(
            "--authority",
            action="append",
            default=[],
            metavar="CODE",
            help="slug, INSEE code (also a former one), SIREN or iso:… (repeatable); editor and facilitator",
        )
        add.add_argument("--country", help="ISO alpha-2 code; embassy only")
        add.add_argument("--password", help="at least 12 characters; generated if omitted")
        sub.add_parser("list", help="list accounts with their roles and scopes")

    def handle(self, *args, **options):
        try:
            if options["action"] == "add":
                self._add(options)
            else:
                self._list()
        except AppError as exc:
            raise CommandError(exc.message, returncode=exc.exit_code) from exc

    def _add(self, options):
        from coopatlas.geo.selectors import authority_get, country_get

        authorities = []
        for code in options["authority"]:
            try:
                authorities.append(authority_get(key=code, field="authority"))
            except AppError as exc:
                raise AppError(
                    _("--authority %(code)s : %(message)s") % {"code": code[:30], "message": exc.message},
                    field="authority",
                ) from exc
        country = None
        if options["country"]:
            try:
                country = country_get(iso2=options["country"].strip().upper())
            except AppError as exc:
                raise AppError(
                    _("--country %(country)s : %(message)s")
                    % {"country": options["country"][:10], "message": exc.message},
                    field="country",
                ) from exc
        user, generated = services.user_add(
            email=options["email"],
            role=options["role"],
            authorities=authorities,
            country=country,
            password=options["password"],
        )
        scope = ", ".join(
            [f"{a.name} ({a.insee_code or a.siren})" for a in authorities]
            + ([country.iso2] if country else [])
        )
        if scope:
            self.stdout.write(
                _("Compte %(email)s : rôle %(role)s pour %(scope)s.")
                % {"email": user.email, "role": options["role"], "scope": scope}
            )
        else:
            self.stdout.write(
                _("Compte %(email)s : rôle %(role)s.") % {"email": user.email, "role": options["role"]}
            )
        if generated:
            self.stdout.write(_("Mot de passe généré (affiché une seule fois) :"))
            self.stdout.write(generated)

    def _list(self):
        for row in services.user_list():
            roles = "; ".join(f"{r['role']} {' '.join(r['scope'])}".strip() for r in row["roles"]) or (
                "superuser" if row["superuser"] else _("aucun rôle")
            )
            state = "" if row["active"] else _(" (désactivé)")
            self.stdout.write(
                _("%(email)s%(state)s\t%(roles)s\tjetons actifs : %(tokens)s")
                % {"email": row["email"], "state": state, "roles": roles, "tokens": row["tokens"]}
            )
