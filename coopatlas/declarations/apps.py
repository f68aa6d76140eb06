from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "coopatlas.declarations"
    label = "declarations"
    verbose_name = "Déclaration annuelle d'APD"
