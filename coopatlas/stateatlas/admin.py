from django.contrib import admin

from .models import AtlasRecord, ReviewItem


@admin.register(AtlasRecord)
class AtlasRecordAdmin(admin.ModelAdmin):
    """The state atlas's prjId (the project's legacy identifier) is shown here and in the API."""

    list_display = ("prj_id", "project", "partnership", "title_looks_cut", "imported_at")
    search_fields = ("prj_id", "project__title", "project__legacy_id")
    readonly_fields = ("prj_id", "url", "file", "project", "partnership", "data", "imported_at")


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    list_display = ("label", "kind", "status", "choice", "settled_by_email")
    list_filter = ("kind", "status")
