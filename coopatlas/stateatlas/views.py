"""The review queue of the atlas import, in the editing space (administrators only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from coopatlas.accounts.permissions import scope_of
from coopatlas.core.errors import AppError

from .models import ReviewItem
from .selectors import review_queue
from .services import review_item_settle


@login_required
@require_http_methods(["GET", "POST"])
def review(request):
    if not scope_of(request.user).admin:
        return render(
            request,
            "editor/forbidden.html",
            {"message": _("Seul un administrateur tranche les points de l'import de l'atlas.")},
            status=403,
        )
    if request.method == "POST":
        item = ReviewItem.objects.filter(pk=request.POST.get("item") or 0).first()
        if item is None:
            raise Http404
        # a code typed by hand wins over the radio left on its default
        choice = (request.POST.get("code") or "").strip() or request.POST.get("choice") or ""
        try:
            review_item_settle(user=request.user, item=item, choice=choice)
        except AppError as exc:
            messages.error(request, f"{item.label} : {exc.message}")
        else:
            messages.success(
                request,
                _(
                    "« %(label)s » est tranché ; relancez l'import (coopatlas import-atlas …) "
                    "pour l'appliquer."
                )
                % {"label": item.label},
            )
        return redirect("stateatlas:review")
    data = review_queue()
    if request.GET.get("format") == "json":
        return JsonResponse(data)
    return render(request, "stateatlas/review.html", {**data, "title": _("Import de l'atlas de l'État")})
