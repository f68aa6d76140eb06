from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils.translation import gettext as _

from coopatlas.core.staticfiles import SETUP_IGNORE


class Command(BaseCommand):
    help = "Migrate, load reference data, load demo data. Safe to run again."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(_("Schéma de la base à jour."))
        call_command("load_reference")
        call_command("load_declaration_rules")
        call_command("load_compliance", verbosity=0)
        # the calls' rule sets shipped as data (seed 001's rules, FICOL, the "1 %" laws)
        from coopatlas.calls.services import rulesets_load_shipped

        rulesets_load_shipped()
        call_command("load_demo")
        # Triggers keep the search indexes during the loads; a rebuild leaves them compact.
        from coopatlas.core.search import search_indexes_ensure

        search_indexes_ensure(rebuild=True)
        # SQLite plans joins badly without statistics (facet queries went from 7 s to 50 ms).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        if settings.STATIC_ROOT:  # hashed, compressed static files (test settings collect none)
            call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=SETUP_IGNORE)
            self.stdout.write(_("Fichiers statiques prêts."))
        self.stdout.write(self.style.SUCCESS(_("Installation terminée.")))
