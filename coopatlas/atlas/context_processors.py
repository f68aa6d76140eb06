from django.conf import settings


def operator(request):
    """The operator's identity and base template: one place to swap the design system."""
    return {"operator": settings.COOPATLAS_OPERATOR, "base_template": settings.COOPATLAS_OPERATOR["base_template"]}
