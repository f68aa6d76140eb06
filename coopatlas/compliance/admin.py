"""Administrators edit the compliance tables here (issue 3: "tables editable by
administrators"); the warnings change with them, nothing to recompute."""

from django.contrib import admin

from .models import Competence, GroupementCompetence, RestrictedEntity, RestrictedEntityKind, Rule


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "severity", "is_active", "threshold", "source_lines"]
    list_editable = ["is_active"]


@admin.register(RestrictedEntityKind)
class RestrictedEntityKindAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "rule", "source_lines"]


@admin.register(RestrictedEntity)
class RestrictedEntityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "area", "authority", "organisation", "is_active"]
    list_filter = ["kind", "is_active"]
    autocomplete_fields = []
    raw_id_fields = ["area", "authority", "organisation"]


@admin.register(Competence)
class CompetenceAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "sector_prefixes"]
    filter_horizontal = ["themes", "accepted_themes"]


@admin.register(GroupementCompetence)
class GroupementCompetenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "authority_kind", "name_pattern", "authority", "competence"]
    raw_id_fields = ["authority"]
