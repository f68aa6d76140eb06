from django.apps import AppConfig


class EditorConfig(AppConfig):
    name = "coopatlas.editor"
    label = "editor"
    verbose_name = "Espace de saisie"
