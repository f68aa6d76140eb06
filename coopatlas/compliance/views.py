"""The administrators' list of compliance warnings (HTML, and its JSON twin)."""

from collections import Counter

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from coopatlas.accounts.permissions import can_manage_users

from .models import Rule
from .selectors import compliance_warnings_all


def warning_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_manage_users(user=request.user):
        raise PermissionDenied(_("Réservé aux administrateurs du ministère."))
    warnings = compliance_warnings_all()
    rule = request.GET.get("rule", "")
    counts = Counter(w["rule"] for w in warnings)
    if rule:
        warnings = [w for w in warnings if w["rule"] == rule]
    data = {
        "count": len(warnings),
        "rule": rule or None,
        "facets": {
            "rule": [
                {"value": r.code, "label": r.title, "count": counts[r.code]}
                for r in Rule.objects.filter(is_active=True)
            ]
        },
        "results": warnings,
    }
    if request.GET.get("format") == "json":
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    return render(request, "compliance/list.html", {**data, "title": _("Avertissements de conformité")})
