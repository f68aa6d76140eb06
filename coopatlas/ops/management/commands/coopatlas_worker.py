"""`coopatlas worker`: runs the background jobs (django-tasks, database backend)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from coopatlas.core.parse import cli_int


class Command(BaseCommand):
    help = "Run queued background jobs (exports, imports, reminders) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--max-tasks", type=cli_int, default=None)

    def handle(self, *args, interval: float, max_tasks: int | None, **options):
        extra = {"max_tasks": max_tasks} if max_tasks else {}
        call_command(
            "db_worker", interval=interval, no_startup_delay=True, verbosity=options["verbosity"], **extra
        )
