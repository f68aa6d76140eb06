"""`partners search|add|confirm`: foreign partner authorities from the command line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from coopatlas.core.errors import AppError


class Command(BaseCommand):
    help = (
        "Foreign partners: `partners search Q [--country ML]`, `partners add --as EMAIL "
        "--country ML --name N --kind commune [--parent CODE] [--lat --lon] "
        "[--alt NAME ...] [--new]`, `partners confirm --as EMAIL SLUG`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        search = sub.add_parser("search", help="search the atlas and the gazetteer")
        search.add_argument("q")
        search.add_argument("--country")
        add = sub.add_parser("add", help="add a foreign authority the gazetteer lacks")
        add.add_argument("--as", dest="email", required=True, help="the account acting")
        add.add_argument("--country", required=True)
        add.add_argument("--name", required=True)
        add.add_argument("--kind", required=True)
        add.add_argument("--parent", help="gaz:<code> or an authority's slug")
        add.add_argument("--lat", type=float)
        add.add_argument("--lon", type=float)
        add.add_argument("--alt", action="append", default=[], help="another name (repeatable)")
        add.add_argument("--new", action="store_true", help="create even if similar names exist")
        confirm = sub.add_parser("confirm", help="confirm an added authority (embassy, admin)")
        confirm.add_argument("--as", dest="email", required=True)
        confirm.add_argument("slug")

    def handle(self, *args, **options):
        try:
            getattr(self, f"_{options['action']}")(options)
        except AppError as exc:
            raise CommandError(exc.message, returncode=exc.exit_code) from exc

    @staticmethod
    def _user(email: str):
        from coopatlas.accounts.models import User

        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise AppError(
                f"--as {email[:60]} : aucun compte ; créez-le avec `coopatlas users add`.", field="as"
            )
        return user

    def _search(self, options):
        from coopatlas.geo.gazetteer import partner_search

        found = partner_search(q=options["q"], country=options["country"])
        if found["refusal"]:
            raise AppError(found["refusal"], field="q")
        for row in found["results"]:
            self.stdout.write(f"{row['code']}\t{row['label']}")

    def _add(self, options):
        from coopatlas.geo.partners import foreign_authority_create

        a = foreign_authority_create(
            user=self._user(options["email"]),
            country=options["country"],
            name=options["name"],
            kind=options["kind"],
            parent=options["parent"],
            latitude=options["lat"],
            longitude=options["lon"],
            alternate_names=options["alt"],
            confirm_new=options["new"],
        )
        state = "à vérifier" if a.to_verify else "confirmée"
        self.stdout.write(f"{a.slug}\t{a.name} ({state})")

    def _confirm(self, options):
        from coopatlas.geo.models import LocalAuthority
        from coopatlas.geo.partners import foreign_authority_confirm

        a = LocalAuthority.objects.filter(slug=options["slug"]).exclude(country_id="FR").first()
        if a is None:
            raise AppError(f"Aucune collectivité étrangère « {options['slug']} ».", field="slug")
        foreign_authority_confirm(user=self._user(options["email"]), authority=a)
        self.stdout.write(f"{a.slug}\tconfirmée")
