from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "coopatlas.accounts"
    label = "accounts"
