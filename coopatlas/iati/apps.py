from django.apps import AppConfig


class IatiConfig(AppConfig):
    name = "coopatlas.iati"
    label = "iati"
    verbose_name = "IATI"
