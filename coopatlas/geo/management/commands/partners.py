"""`partners search|add|confirm`: foreign partner authorities from the command line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError


class Command(BaseCommand):
    help = (
        "Foreign partners: `partners search Q [--country ML]`, `partners add --as EMAIL "
        "--country ML --name N --kind commune [--parent CODE] [--lat --lon] "
        "[--alt NAME ...] [--new]`, `partners confirm --as EMAIL SLUG`, `partners invite --as EMAIL "
        "SLUG OFFICER_EMAIL`, `partners answer --as EMAIL SLUG (--partnership S | --project S) "
        "--state confirmed|contested [--reason TEXT] [--account TEXT]`."
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
        invite = sub.add_parser("invite", help="invite the partner officer of a foreign authority")
        invite.add_argument("--as", dest="email", required=True)
        invite.add_argument("slug")
        invite.add_argument("officer", help="the officer's e-mail address")
        answer = sub.add_parser("answer", help="confirm or contest a record naming an authority")
        answer.add_argument("--as", dest="email", required=True)
        answer.add_argument("slug", help="the authority answering")
        target = answer.add_mutually_exclusive_group(required=True)
        target.add_argument("--partnership")
        target.add_argument("--project")
        answer.add_argument("--state", required=True, choices=["confirmed", "contested"])
        answer.add_argument("--reason", default="")
        answer.add_argument("--account", default="")

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
                _("--as %(email)s : aucun compte ; créez-le avec `coopatlas users add`.")
                % {"email": email[:60]},
                field="as",
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
        state = _("à vérifier") if a.to_verify else _("confirmée")
        self.stdout.write(f"{a.slug}\t{a.name} ({state})")

    def _confirm(self, options):
        from coopatlas.geo.models import LocalAuthority
        from coopatlas.geo.partners import foreign_authority_confirm

        a = LocalAuthority.objects.filter(slug=options["slug"]).exclude(country_id="FR").first()
        if a is None:
            raise AppError(
                _("Aucune collectivité étrangère « %(slug)s ».") % {"slug": options["slug"]}, field="slug"
            )
        foreign_authority_confirm(user=self._user(options["email"]), authority=a)
        self.stdout.write(f"{a.slug}\t" + _("confirmée"))

    def _invite(self, options):
        from django.conf import settings

        from coopatlas.accounts import services as accounts
        from coopatlas.geo.models import LocalAuthority

        authority = LocalAuthority.objects.filter(slug=options["slug"]).exclude(country_id="FR").first()
        if authority is None:
            raise AppError(
                _("%(slug)s : aucune collectivité étrangère de ce nom ; cherchez-la avec `partners search`.")
                % {"slug": options["slug"][:60]},
                field="slug",
            )
        invitation, _token = accounts.partner_invitation_create(
            user=self._user(options["email"]),
            authority=authority,
            email=options["officer"],
            site=settings.COOPATLAS_SITE_URL.rstrip("/"),
        )
        self.stdout.write(
            _("Invitation envoyée à %(email)s (valable jusqu'au %(date)s).")
            % {"email": invitation.email, "date": invitation.expires_at.date().isoformat()}
        )

    def _answer(self, options):
        from coopatlas.cooperation.models import Partnership, Project
        from coopatlas.cooperation.partner_side import partner_answer_record
        from coopatlas.geo.models import LocalAuthority

        model, key = (
            (Partnership, options["partnership"])
            if options["partnership"]
            else (
                Project,
                options["project"],
            )
        )
        record = model.objects.filter(model.live_q(), slug=key).first()
        authority = LocalAuthority.objects.filter(slug=options["slug"]).first()
        if record is None or authority is None:
            raise AppError(
                _("%(slug)s : introuvable ; vérifiez le slug (il figure dans l'adresse de la fiche).")
                % {"slug": (key if record is None else options["slug"])[:60]},
                field="slug",
            )
        saved = partner_answer_record(
            user=self._user(options["email"]),
            record=record,
            authority=authority,
            state=options["state"],
            reason=options["reason"],
            account=options["account"],
        )
        self.stdout.write(_("Réponse enregistrée : %(state)s.") % {"state": saved.get_state_display()})
