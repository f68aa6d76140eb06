from django.apps import AppConfig


class StateAtlasConfig(AppConfig):
    name = "coopatlas.stateatlas"
    label = "stateatlas"
    verbose_name = "Import de l'atlas de l'État"
