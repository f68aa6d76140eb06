from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "coopatlas.core"
    label = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_migrate

        from . import memo, search
        from .freshness import data_changed, install

        post_delete.connect(_forget_annotations, dispatch_uid="core-citations-cascade")
        # Every committed write bumps the data-version stamp (core/freshness.py).
        connection_created.connect(install, dispatch_uid="core-freshness-watch")
        # Reference tables kept per stamp (core/memo.py): forgotten at this process's bumps.
        data_changed.connect(memo.data_changed, dispatch_uid="core-memo-data-changed")
        # Substring search on trigram indexes (core/search.py), remade after each migrate.
        search.register()
        post_migrate.connect(search.ensure_after_migrate, dispatch_uid="core-search-indexes")


def _forget_annotations(sender, instance, **kwargs) -> None:
    """Citations and inferences point at records generically: delete them with the record.

    Only records that carry a source can have them, so other deletions cost nothing.
    """
    if not any(f.name == "source" for f in sender._meta.concrete_fields):
        return
    from .services import record_annotations_delete

    record_annotations_delete(model=sender, pk=instance.pk)
