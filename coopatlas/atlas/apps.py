from django.apps import AppConfig


class AtlasConfig(AppConfig):
    name = "coopatlas.atlas"
    label = "atlas"
