"""Public atlas pages. Each page renders one selector dict; `?format=json` is that dict.

Lists also answer `?format=csv` (their `results`, flattened by core.export). Bad query
parameters (AppError) and unknown records (NotFound) are mapped to pages in one place:
`atlas_page` below.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from coopatlas.core.errors import AppError, NotFound
from coopatlas.core.middleware import app_error_response

FORMATS = ("html", "json", "csv")


def _selectors():
    # Imported on use: the atlas URLs load even while a selector module is being rebuilt.
    from coopatlas.cooperation import selectors

    return selectors


def _filters(params) -> object:
    from coopatlas.cooperation.filters import filters_from_params

    # `format` chooses the twin, it is not a filter.
    return filters_from_params({k: v for k, v in params.items() if k != "format"})


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(
        data, status=status, safe=False, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False}
    )


def _requested_format(request: HttpRequest, *, csv: bool) -> str:
    fmt = request.GET.get("format", "html") or "html"
    allowed = FORMATS if csv else ("html", "json")
    if fmt not in allowed:
        raise AppError(
            _("Le paramètre « format » vaut « %(value)s » : valeurs acceptées %(allowed)s.")
            % {"value": fmt, "allowed": ", ".join(allowed)},
            field="format",
        )
    return fmt


def atlas_page(view: Callable) -> Callable:
    """The one place where application errors become pages (or JSON for the JSON twin)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except AppError as exc:
            return app_error_response(request, exc)

    return wrapper


def _respond(
    request, template: str, data: dict, *, context: dict | None = None, csv_name: str | None = None
) -> HttpResponse:
    fmt = _requested_format(request, csv=csv_name is not None)
    if fmt == "json":
        return _json(data)
    if fmt == "csv":
        rows = data.get("results", [])
        chunks = _csv(request, rows)
        if isinstance(rows, _selectors().StreamedRows):
            # A full export, streamed: it holds one chunk of rows, not the list (issue 15).
            response = StreamingHttpResponse(
                _in_language(get_language(), chunks), content_type="text/csv; charset=utf-8"
            )
        else:
            response = HttpResponse("".join(chunks), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{csv_name}.csv"'
        return response
    return render(request, template, {"data": data, **(context or {})})


def _in_language(language: str, chunks):
    """The rows' labels are translated while the server sends them, after the view returned."""
    with translation.override(language):
        yield from chunks


def _csv(request: HttpRequest, rows) -> Iterator[str]:
    """CSV for people (French headers, labels, absolute URLs, decimal commas); `dialect=machine`
    keeps the JSON's field names and values, as the CSV was before issue 13. The dialect is
    checked here, before the response starts: an error mid-stream could not be a 422."""
    from coopatlas.core.export import people_csv_stream, rows_to_csv_stream
    from coopatlas.geo.models import AdministrativeArea

    dialect = request.GET.get("dialect", "people") or "people"
    if dialect not in ("people", "machine"):
        raise AppError(
            _("dialect : « %(value)s » non reconnu ; valeurs : people (par défaut), machine.")
            % {"value": dialect[:20]},
            field="dialect",
        )
    if dialect == "machine":
        return rows_to_csv_stream(rows)

    def area_names(codes: set) -> dict:
        return {a.code: a.display_name for a in AdministrativeArea.objects.filter(code__in=codes)}

    return people_csv_stream(rows, absolute=request.build_absolute_uri, area_names=area_names)


# --- Lists -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ListPage:
    selector: str
    title: str
    row_template: str
    csv_name: str
    search_label: str


LISTS = {
    "partnership_list": ListPage(
        "partnership_list",
        gettext_lazy("Partenariats"),
        "atlas/rows/partnerships.html",
        "partenariats",
        gettext_lazy("Rechercher un partenariat"),
    ),
    "project_list": ListPage(
        "project_list",
        gettext_lazy("Projets"),
        "atlas/rows/projects.html",
        "projets",
        gettext_lazy("Rechercher un projet"),
    ),
    "authority_list": ListPage(
        "authority_list",
        gettext_lazy("Collectivités"),
        "atlas/rows/authorities.html",
        "collectivites",
        gettext_lazy("Rechercher une collectivité (nom ou code)"),
    ),
    "organisation_list": ListPage(
        "organisation_list",
        gettext_lazy("Acteurs"),
        "atlas/rows/organisations.html",
        "acteurs",
        gettext_lazy("Rechercher un acteur"),
    ),
    "programme_list": ListPage(
        "programme_list",
        gettext_lazy("Programmes"),
        "atlas/rows/programmes.html",
        "programmes",
        gettext_lazy("Rechercher un programme"),
    ),
    "partner_request_list": ListPage(
        "partner_request_list",
        gettext_lazy("Demandes de partenariat"),
        "atlas/rows/partner_requests.html",
        "demandes-de-partenariat",
        gettext_lazy("Rechercher une demande"),
    ),
}

# Facet keys (the filter parameters) → the label of their drop-down, in display order.
FACET_LABELS = {
    "country": gettext_lazy("Pays partenaire"),
    "area": gettext_lazy("Région partenaire"),
    "french_region": gettext_lazy("Région française"),
    "french_departement": gettext_lazy("Département français"),
    "authority_kind": gettext_lazy("Type de collectivité"),
    "kind": gettext_lazy("Type"),
    "theme": gettext_lazy("Thématique"),
    "sdg": gettext_lazy("Objectif de développement durable"),
    "status": gettext_lazy("Statut"),
}


def _facet_fields(request, facets: dict) -> list[dict]:
    fields = []
    ordered = [k for k in FACET_LABELS if k in facets] + [k for k in facets if k not in FACET_LABELS]
    for key in ordered:
        options = facets.get(key) or []
        selected = request.GET.get(key, "")
        fields.append(
            {
                "name": key,
                "label": FACET_LABELS.get(key, key),
                "options": options,
                "selected": selected,
                "selected_label": next(
                    (o.get("label") for o in options if str(o.get("value")) == selected), selected
                ),
            }
        )
    return fields


@require_GET
@atlas_page
def list_page(request: HttpRequest, *, name: str) -> HttpResponse:
    page = LISTS[name]
    filters = _filters(request.GET)
    # The CSV twin holds every match, not one page (the selectors skip facets for it).
    all_rows = request.GET.get("format") == "csv"
    data = getattr(_selectors(), page.selector)(filters=filters, all_rows=all_rows)
    facets = _facet_fields(request, data.get("facets") or {})
    context = {
        "page": page,
        "title": page.title,
        "facets": facets,
        "active_facets": [f for f in facets if f["selected"]],
        "list_url": reverse(f"atlas:{name}"),
    }
    return _respond(request, "atlas/list.html", data, context=context, csv_name=page.csv_name)


# --- Home, search, map data --------------------------------------------------------------


def _map_context() -> dict:
    from coopatlas.geo.selectors import country_labels

    return {
        "tile_url": getattr(settings, "COOPATLAS_TILE_URL", "") or "",
        "tile_attribution": getattr(settings, "COOPATLAS_TILE_ATTRIBUTION", "") or "",
        "country_labels": country_labels(),  # the basemap's names, in the page's language
    }


@require_GET
@atlas_page
def home(request: HttpRequest) -> HttpResponse:
    selectors = _selectors()
    data = {"figures": selectors.headline_figures()}
    if request.GET.get("format") == "json":
        return _respond(request, "atlas/home.html", data)
    # The map's text alternative: the latest partnerships, as a list.
    latest = selectors.partnership_list(filters=_filters({"page_size": "10"}), facets=False)
    context = {"latest": latest, "map_data_url": reverse("atlas:map_data"), **_map_context()}
    return _respond(request, "atlas/home.html", data, context=context)


@require_GET
@atlas_page
def search(request: HttpRequest) -> HttpResponse:
    """The search form's page without JavaScript; the type-ahead uses `suggest`."""
    q = (request.GET.get("q") or "").strip()
    results = _selectors().search_suggest(q=q, limit=50) if q else []
    data = {"q": q, "count": len(results), "results": results}
    return _respond(request, "atlas/search.html", data, context={"title": _("Recherche")})


@require_GET
@atlas_page
def suggest(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()
    if len(q) > 200:
        raise AppError(
            _("Le paramètre « q » dépasse 200 caractères : raccourcissez la recherche."), field="q"
        )
    return _json(_selectors().search_suggest(q=q, limit=10) if q else [])


@require_GET
@atlas_page
def map_data(request: HttpRequest) -> HttpResponse:
    country = (request.GET.get("country") or "").strip().upper() or None
    if country and not (len(country) == 2 and country.isalpha()):
        raise AppError(
            _("Le paramètre « country » attend un code ISO à deux lettres (ML, BF…)."), field="country"
        )
    return _json(_selectors().partnerships_geojson(country=country))


# --- Fiches ------------------------------------------------------------------------------


def _detail(request, *, selector: str, slug: str, template: str) -> HttpResponse:
    data = getattr(_selectors(), selector)(slug=slug)
    return _respond(request, template, data, context={"title": data.get("title") or data.get("name") or ""})


@require_GET
@atlas_page
def partnership(request: HttpRequest, slug: str) -> HttpResponse:
    return _detail(request, selector="partnership_detail", slug=slug, template="atlas/partnership.html")


@require_GET
@atlas_page
def project(request: HttpRequest, slug: str) -> HttpResponse:
    from coopatlas.iati.selectors import published_activity_for

    data = _selectors().project_detail(slug=slug)
    if data.get("iati_identifier"):  # imported from another publisher
        # all that the other publisher published (transactions, yearly budgets, results…)
        data["iati_published"] = published_activity_for(slug=slug)
    return _respond(request, "atlas/project.html", data, context={"title": data.get("title") or ""})


@require_GET
@atlas_page
def authority(request: HttpRequest, slug: str) -> HttpResponse:
    from coopatlas.atlas.selectors import authority_page

    data = authority_page(slug=slug)
    return _respond(
        request,
        "atlas/authority.html",
        data,
        context={"title": data["name"], "officer_of": _officer_of(request, data)},
    )


def _officer_of(request: HttpRequest, data: dict) -> bool:
    """The fiche's own officers get links to their declaration and editing space (the
    declarations app's rule of who declares for an authority)."""
    if not request.user.is_authenticated or data.get("country") != "FR":
        return False
    from coopatlas.declarations.access import can_edit
    from coopatlas.geo.models import LocalAuthority

    found = LocalAuthority.objects.filter(slug=data.get("slug")).first()
    return found is not None and can_edit(user=request.user, authority=found)


@require_GET
@atlas_page
def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    return _detail(request, selector="organisation_detail", slug=slug, template="atlas/organisation.html")


@require_GET
@atlas_page
def programme(request: HttpRequest, slug: str) -> HttpResponse:
    return _detail(request, selector="programme_detail", slug=slug, template="atlas/programme.html")


def _country_iso2(slug: str) -> str:
    """A country page's slug (or its ISO code, as the country list links) → ISO alpha-2."""
    from coopatlas.geo.models import Country

    if len(slug) == 2 and slug.isalpha():
        return slug.upper()
    found = Country.objects.filter(slug=slug).values_list("iso2", flat=True).first()
    if found is None:
        raise NotFound(
            _("Aucun pays « %(slug)s » : choisissez-en un dans la liste des pays.") % {"slug": slug},
            field="slug",
        )
    return found


def _country_slugs(codes: list[str]) -> dict[str, str]:
    from coopatlas.geo.models import Country

    return dict(Country.objects.filter(iso2__in=codes).values_list("iso2", "slug"))


@require_GET
@atlas_page
def country(request: HttpRequest, slug: str) -> HttpResponse:
    from coopatlas.atlas.selectors import country_page

    iso2 = _country_iso2(slug)
    data = country_page(iso2=iso2)
    context = {"iso2": iso2, "map_data_url": f"{reverse('atlas:map_data')}?country={iso2}", **_map_context()}
    return _respond(request, "atlas/country.html", data, context=context)


@require_GET
@atlas_page
def country_list(request: HttpRequest) -> HttpResponse:
    """Countries with partnerships: the country facet of the partnership list, in full."""
    params = {k: v for k, v in request.GET.items() if k in ("q", "status", "kind")}
    facets = _selectors().partnership_list(filters=_filters({**params, "page_size": "1"}))
    options = [o for o in (facets.get("facets") or {}).get("country") or [] if o.get("value")]
    slugs = _country_slugs([o["value"] for o in options])
    results = [
        {
            "iso2": o["value"],
            "name": o.get("label"),
            "partnerships": o.get("count"),
            "html_url": reverse("atlas:country", kwargs={"slug": slugs.get(o["value"], o["value"].lower())}),
        }
        for o in options
    ]
    data = {"count": len(results), "results": results}
    return _respond(
        request, "atlas/country_list.html", data, context={"title": _("Pays partenaires")}, csv_name="pays"
    )


@require_GET
@atlas_page
def area(request: HttpRequest, code: str) -> HttpResponse:
    """A partner region (ISO 3166-2 area): its partnerships, with the list's facets."""
    from coopatlas.geo.selectors import area_get
    from coopatlas.iati.selectors import imported_activities_for

    found = area_get(code=code)
    params = {**{k: v for k, v in request.GET.items()}, "area": found.code}
    listing = _selectors().partnership_list(filters=_filters(params))
    country_ = found.country
    data = {
        "area": {
            "code": found.code,
            "name": found.display_name,
            "kind": found.kind,
            "country": {
                "iso2": country_.iso2,
                "name": country_.name,
                "html_url": country_.get_absolute_url(),
            },
            "html_url": found.get_absolute_url(),
        },
        **listing,
        # who else works there: other donors' activities imported from IATI
        "other_actors": imported_activities_for(country=None, area=found.code),
        # coordination: projects side by side in the same sector (ours and IATI's)
        "overlaps": _selectors().area_overlaps(area_ids={found.pk}),
    }
    facets = _facet_fields(
        request, {k: v for k, v in (listing.get("facets") or {}).items() if k not in ("area", "country")}
    )
    context = {
        "title": found.display_name,
        "facets": facets,
        "active_facets": [f for f in facets if f["selected"]],
        "page": LISTS["partnership_list"],
    }
    return _respond(request, "atlas/area.html", data, context=context, csv_name=f"partenariats-{found.code}")


def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement (RGAA), with the result of the automated checks."""
    return render(request, "atlas/accessibility.html", {"title": _("Déclaration d’accessibilité")})


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "atlas/about.html", {"title": _("Données, licence et sources")})
