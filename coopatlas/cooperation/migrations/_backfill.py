"""Backfills shared by migrations (a module the migration loader skips: its name starts with _)."""

BATCH = 2000


def fold_titles(model_name: str):
    """A RunPython function filling `search_text` with each stored row's folded title
    (SearchText.set_search_text), in batches; the search index over it is made after the
    migration (core/search.py, post_migrate)."""

    def fill(apps, schema_editor):
        from coopatlas.core.text import fold

        model = apps.get_model("cooperation", model_name)
        db = schema_editor.connection.alias
        ids = list(model.objects.using(db).order_by("pk").values_list("pk", flat=True))
        for i in range(0, len(ids), BATCH):
            rows = list(model.objects.using(db).filter(pk__in=ids[i : i + BATCH]).only("pk", "title"))
            for row in rows:
                row.search_text = fold(row.title)
            model.objects.using(db).bulk_update(rows, ["search_text"], batch_size=500)

    return fill
