from django import template

from coopatlas.compliance.selectors import compliance_warnings_for

register = template.Library()


@register.inclusion_tag("compliance/_warnings.html")
def compliance_warnings(record):
    """`{% load compliance_tags %}{% compliance_warnings record %}` on an editing page."""
    return {"warnings": compliance_warnings_for(record=record)}
