from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "coopatlas.core"
    label = "core"
