from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: outbox of sent e-mails, background jobs, backup, health, database routing."""

    name = "coopatlas.ops"
    label = "ops"
