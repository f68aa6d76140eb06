from django.apps import AppConfig


class CooperationConfig(AppConfig):
    name = "coopatlas.cooperation"
    label = "cooperation"
