from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "coopatlas.calls"
    verbose_name = "Appels à projets"
