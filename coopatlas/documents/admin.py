from django.contrib import admin

from .models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = ["file", "original_name", "kind", "size", "sha256", "uploaded_by"]
