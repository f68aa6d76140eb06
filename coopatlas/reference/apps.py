from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "coopatlas.reference"
    label = "reference"
