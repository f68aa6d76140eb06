"""Pages of the yearly aid declaration: the national report (with its JSON, CSV, XLSX and
CRS twins), an authority's declarations, one declaration (edited by its authority, decided
by the ministry) and the campaign's who-has-declared. Signed-in users act through the same
services as the API; application errors become a message on the page."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coopatlas.core.errors import AppError, NotFound
from coopatlas.core.middleware import app_error_response
from coopatlas.core.parse import parse_id, parse_optional_int

from . import access, exports, selectors, services
from .models import MARKER_KEYS, Campaign, LineType, RecipientRegion


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(
        data, status=status, safe=False, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False}
    )


def page(view):
    """Application errors of a GET become the error page (or JSON) with their own status."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except AppError as exc:
            return app_error_response(request, exc)

    return wrapper


# Bar chart geometry, in SVG user units (the chart scales to its column): each row is its
# label on one line and its bar with the amount after it on the next. 400 units wide, so
# that on a 390-px phone the text keeps about 90 % of its size (13 px; at 600 it was 8 px);
# the longest amount (« 12 345 678,90 € », ~130 units) fits after the longest bar.
BAR_ROW, BAR_MAX, CHART_WIDTH = 44, 260, 400
LABEL_CHARS = 45  # what fits on the label's line at 15 px


def _svg_number(value: float) -> str:
    """A plain SVG number ("11.5"): never the page's locale ("11,5" draws every bar at 0)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _short(label) -> str:
    text = str(label)
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def _bars(rows: list[dict], limit: int | None = None) -> dict:
    """The rows with their bar geometry as SVG strings (computed here, never localised)."""
    from coopatlas.atlas.templatetags.atlas_tags import money

    rows = rows[:limit] if limit else rows
    top = max((r["cents"] for r in rows), default=0) or 1
    drawn = []
    for i, r in enumerate(rows):
        width = max(BAR_MAX * r["cents"] / top, 1.5)
        drawn.append(
            {
                **r,
                "label_y": _svg_number(BAR_ROW * i + 16),
                "bar_y": _svg_number(BAR_ROW * i + 22),
                "bar_width": _svg_number(width),
                "value_x": _svg_number(width + 6),
                "value_y": _svg_number(BAR_ROW * i + 34),
                "value": money(r["amount"]),
                "short_label": _short(r["label"]),
            }
        )
    return {
        "rows": drawn,
        "view_box": f"0 0 {CHART_WIDTH} {_svg_number(BAR_ROW * len(drawn) + 4)}",
    }


@page
def index(request: HttpRequest) -> HttpResponse:
    years = selectors.report_years()
    mine = selectors.declaration_list(user=request.user) if request.user.is_authenticated else []
    return render(
        request,
        "declarations/index.html",
        {
            "years": years,
            "mine": mine,
            "is_ministry": access.is_ministry(request.user),
            "campaign_years": sorted(
                {y for y in years} | set(LineType.objects.values_list("ruleset__year", flat=True)),
                reverse=True,
            ),
        },
    )


@page
def report(request: HttpRequest, year: int) -> HttpResponse:
    fmt = request.GET.get("format", "html") or "html"
    if fmt not in ("html", "json", "csv", "xlsx", "crs"):
        raise AppError(
            _("format : « %(fmt)s » non reconnu ; valeurs : html, json, csv, xlsx, crs.") % {"fmt": fmt[:10]},
            field="format",
        )
    if fmt == "crs":
        return exports.crs_response(year=year)
    data = selectors.report(year=year)
    if fmt == "json":
        return _json(data)
    if fmt in ("csv", "xlsx"):
        return exports.report_response(data=data, fmt=fmt)
    charts = {
        key: _bars(data[key], 15)
        for key in (
            "by_country",
            "by_type",
            "by_authority_kind",
            "by_french_region",
            "by_sector",
            "by_channel",
            "by_recipient_region",
        )
    }
    return render(
        request,
        "declarations/report.html",
        {
            "data": data,
            "charts": charts,
            "title": _("Aide publique au développement des collectivités territoriales en %(year)s")
            % {"year": year},
            "years": selectors.report_years(),
        },
    )


@page
def authority(request: HttpRequest, slug: str) -> HttpResponse:
    from coopatlas.geo.models import LocalAuthority

    found = get_object_or_404(LocalAuthority, slug=slug)
    data = selectors.authority_declarations(authority=found, user=request.user)
    if request.GET.get("format") == "json":
        return _json(data)
    for item in data["declarations"]:
        if item["report"]:
            item["charts"] = {k: _bars(item["report"][k], 10) for k in ("by_country", "by_type", "by_sector")}
    return render(
        request,
        "declarations/authority.html",
        {
            "data": data,
            "authority": found,
            "title": _("Déclarations d'APD – %(name)s") % {"name": found.name},
            "years": list(
                LineType.objects.values_list("ruleset__year", flat=True).distinct().order_by("-ruleset__year")
            ),
        },
    )


@page
def declaration(request: HttpRequest, pk: int) -> HttpResponse:
    found = services.declaration_get(pk=pk)
    number = request.GET.get("version")
    data = selectors.declaration_detail(
        declaration=found,
        user=request.user,
        number=parse_optional_int(
            number, field="version", minimum=1, maximum=10**6, hint=_("le numéro d'une version, ex. 1")
        ),
    )
    if request.GET.get("format") == "json":
        return _json(data)
    rules = services.rules_for(year=found.year)
    return render(
        request,
        "declarations/declaration.html",
        {
            "data": data,
            "title": _("Déclaration d'APD %(year)s – %(name)s")
            % {"year": found.year, "name": found.authority.name},
            "types": list(rules.types.values()),
            "marker_keys": MARKER_KEYS,
            # the page shows labels, never the API's codes (gender, project…)
            "type_labels": {code: t.name_fr for code, t in rules.types.items()},
            "marker_labels": _marker_labels(rules),
            "regions": RecipientRegion.objects.all(),
        },
    )


def _marker_labels(rules) -> dict[str, str]:
    """key → label: the year's French name, the OECD code list's English one in English."""
    english = (get_language() or "fr")[:2] == "en"
    return {
        m.key: (m.marker.name_en if english and m.marker.name_en else m.name_fr)
        for m in rules.ruleset.markers.select_related("marker")
    }


def _form_line(post) -> dict:
    data = {
        k: post.get(k, "").strip()
        for k in ("amount", "type", "country", "region", "channel", "sector", "project", "comment")
    }
    data["markers"] = {}
    for key in MARKER_KEYS:
        value = post.get(f"marker_{key}", "0").strip() or "0"
        # 0, 1 or 2 as numbers; anything else goes as text to the service, which names it.
        data["markers"][key] = int(value) if value in ("0", "1", "2") else value
    u12 = post.get("under_12_months", "")
    data["under_12_months"] = {"yes": True, "no": False}.get(u12)
    if data["type"] != "refugees" and data["under_12_months"] is None:
        data.pop("under_12_months")
    return data


@require_POST
def declaration_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The page's buttons and line form, through the same services as the API."""
    found = services.declaration_get(pk=pk)
    user = request.user
    try:
        if action == "line":
            services.line_add(actor=user, declaration=found, data=_form_line(request.POST))
            messages.success(request, _("Ligne ajoutée."))
        elif action == "delete-line":
            services.line_delete(
                actor=user, declaration=found, line_id=parse_id(request.POST.get("line", ""), field="line")
            )
            messages.success(request, _("Ligne supprimée."))
        elif action == "prepare":
            result = services.declaration_prepare(actor=user, declaration=found)
            messages.success(
                request,
                _(
                    "%(count)s ligne(s) préparée(s) depuis vos "
                    "financements enregistrés ; vérifiez-les et complétez."
                )
                % {"count": len(result["created"])},
            )
        elif action == "nothing":
            services.declaration_nothing_set(
                actor=user, declaration=found, nothing=request.POST.get("nothing") == "1"
            )
        elif action == "return":
            services.declaration_return(
                actor=user, declaration=found, comment=request.POST.get("comment", "")
            )
        elif action in ("submit", "validate", "correct"):
            getattr(services, f"declaration_{action}")(actor=user, declaration=found)
            messages.success(
                request,
                {
                    "submit": _("Déclaration soumise au ministère."),
                    "validate": _("Déclaration validée."),
                    "correct": _("Nouvelle version ouverte."),
                }[action],
            )
        else:
            raise NotFound(_("Action « %(action)s » inconnue.") % {"action": action[:20]}, field="action")
    except AppError as exc:
        for field, msgs in exc.errors.items():
            for message in msgs:
                messages.error(request, _page_message(field, str(message)))
    return redirect(reverse("declarations:declaration", kwargs={"pk": pk}))


def _field_labels() -> dict[str, str]:
    """The page's names for the services' fields (the API names them `amount`, `type`…)."""
    return {
        "amount": _("Montant"),
        "type": _("Type"),
        "country": _("Pays bénéficiaire"),
        "region": _("Région bénéficiaire"),
        "channel": _("Canal CRS"),
        "sector": _("Secteur CAD"),
        "markers": _("Marqueurs"),
        "project": _("Projet"),
        "comment": _("Commentaire"),
        "under_12_months": _("Réfugiés de moins de 12 mois"),
        "lines": _("Lignes"),
        "nothing_to_declare": _("Rien à déclarer"),
        "year": _("Année"),
        "line": _("Ligne"),
    }


def _page_message(field: str, message: str) -> str:
    """« country : « QQ » n'est pas… » → « Pays bénéficiaire : « QQ » n'est pas… »: the page
    shows its own label for the field, never the code name."""
    from coopatlas.editor.errors import _strip_prefix  # the one rule for a field's prefix

    label = _field_labels().get(field.removeprefix("marker_"))
    if not label or _strip_prefix(field, message) == message:
        return message
    return _("%(label)s : %(message)s") % {"label": label, "message": _strip_prefix(field, message)}


@require_POST
def declaration_new(request: HttpRequest, slug: str) -> HttpResponse:
    from coopatlas.geo.models import LocalAuthority

    found = get_object_or_404(LocalAuthority, slug=slug)
    try:
        year = selectors.year_param(request.POST.get("year"))
        created = services.declaration_create(actor=request.user, authority=found, year=year)
    except AppError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("declarations:authority", kwargs={"slug": slug}))
    return redirect(reverse("declarations:declaration", kwargs={"pk": created.pk}))


@page
def campaign(request: HttpRequest, year: int) -> HttpResponse:
    if request.method == "POST":
        # The reminders go out from the background worker (ops.jobs), followed on the job's page;
        # who may send them is checked here too, so a refusal is said at once.
        from coopatlas.ops.jobs import job_enqueue

        try:
            access.require_decide(user=request.user)
            if not Campaign.objects.filter(year=year).exists():
                raise NotFound(
                    _("year : aucune campagne de déclaration pour %(year)s.") % {"year": year}, field="year"
                )
            job = job_enqueue(
                kind="campaign_remind",
                label=_("Relance de la campagne de déclaration %(year)s") % {"year": year},
                params={"year": year},
                created_by=request.user,
            )
        except AppError as exc:
            messages.error(request, exc.message)
            return redirect(reverse("declarations:campaign", kwargs={"year": year}))
        return redirect(reverse("ops:job", kwargs={"pk": job.pk}))
    data = selectors.campaign_status(year=year, user=request.user)
    if request.GET.get("format") == "json":
        return _json(data)
    return render(
        request,
        "declarations/campaign.html",
        {"data": data, "title": _("Campagne de déclaration %(year)s") % {"year": year}},
    )
