from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "coopatlas.documents"
    label = "documents"
    verbose_name = "Documents"
