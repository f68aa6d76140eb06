from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: outbox of sent e-mails, background jobs, backup, health, database routing."""

    name = "coopatlas.ops"
    label = "ops"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, pre_migrate

        from coopatlas.core.freshness import data_changed

        from . import warm

        # After each committed write, the worker renders the most-read pages again (warm.py).
        data_changed.connect(warm.warm_enqueue_after_write, dispatch_uid="ops-warm-after-write")
        pre_migrate.connect(warm.migrating, dispatch_uid="ops-warm-migrating")
        post_migrate.connect(warm.migrated, dispatch_uid="ops-warm-migrated")
