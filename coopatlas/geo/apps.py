from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "coopatlas.geo"
    label = "geo"
