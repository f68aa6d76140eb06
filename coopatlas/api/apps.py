from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "coopatlas.api"
    label = "api"
