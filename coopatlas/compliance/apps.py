from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "coopatlas.compliance"
    label = "compliance"
    verbose_name = "Conformité"
