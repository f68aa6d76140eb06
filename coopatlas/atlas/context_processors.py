from django.conf import settings


def operator(request):
    """The operator's identity and base template: one place to swap the design system."""
    operator = settings.COOPATLAS_OPERATOR
    return {"operator": operator, "base_template": operator["base_template"]}
