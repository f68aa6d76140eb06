"""The open API under /api/v1/: the atlas selectors' structures as JSON, CSV and GeoJSON.

Bad input is an AppError raised by the shared filter parser or a selector, mapped here in
one place to 422 (404 for NotFound) with `{"detail", "errors": {param: [message]}}`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query
from ninja.errors import ValidationError
from ninja.openapi.docs import DocsBase

from coopatlas.atlas.selectors import country_page
from coopatlas.cooperation import selectors
from coopatlas.cooperation.filters import filters_from_params
from coopatlas.cooperation.models import Organisation, PartnerRequest, Partnership, Project
from coopatlas.core.errors import AppError, NotFound, http_status_of
from coopatlas.core.export import rows_to_csv
from coopatlas.core.middleware import too_large_error

from .schemas import ErrorOut, ListOut, ListParams
from .write import versioned, with_versions

DESCRIPTION = """Open data of the atlas of French decentralised cooperation.

Every list takes `q`, `country`, `kind`, `theme`, `status`, `page`, `page_size` and its
facets' parameters; it answers `{"count", "page", "page_size", "num_pages", "filters",
"results", "facets"}`, or CSV with `format=csv` (all matching rows, `;`-separated, UTF-8
with BOM). Every record carries `html_url` (its page) and `api_url`. Bad input answers 422
with `{"detail", "errors": {parameter: [message]}}`; unknown ids 404.
"""


class AtlasDocs(DocsBase):
    """ninja's docs URL (/api/v1/docs) shows the atlas's API reference, rendered on the server
    from this schema (views.reference_page); the Swagger UI explorer has its own page."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs) -> HttpResponse:
        from .views import reference_page

        return reference_page(request, api)


logger = logging.getLogger(__name__)


class AtlasAPI(NinjaAPI):
    """ninja's API with its OpenAPI schema built once per process and path prefix: ninja
    builds it again on every GET of openapi.json (about 350 ms of CPU, an easy way to load a
    server). The routes are fixed at import and the schema's texts do not depend on the
    language (api/tests), so one copy serves. Its readers (the JSON view, the reference page)
    only read it: it must not be changed in place."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schemas = self.__dict__.setdefault("_schemas", {})
        if path_prefix not in schemas:
            schemas[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return schemas[path_prefix]


api = AtlasAPI(
    title="coopatlas", version="1", urls_namespace="api", docs=AtlasDocs(), description=DESCRIPTION
)

ERRORS = {404: ErrorOut, 422: ErrorOut}


@api.exception_handler(AppError)
def app_error(request: HttpRequest, exc: AppError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=http_status_of(exc))


@api.exception_handler(Exception)
def unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Anything else: Django's own 4xx as JSON, and a 500 that never shows a traceback."""
    from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation

    if isinstance(exc, RequestDataTooBig):
        return app_error(request, too_large_error())
    if isinstance(exc, PermissionDenied):
        return api.create_response(
            request, {"detail": str(exc) or _("Accès refusé."), "errors": {"__all__": [str(exc)]}}, status=403
        )
    if isinstance(exc, SuspiciousOperation):
        return api.create_response(request, {"detail": _("Requête refusée."), "errors": {}}, status=400)
    logger.exception("API error on %s %s", request.method, request.path)
    return api.create_response(
        request,
        {
            "detail": _(
                "Erreur interne du serveur ; elle est enregistrée. Réessayez plus tard ou "
                "signalez l'adresse appelée."
            ),
            "errors": {},
        },
        status=500,
    )


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """ninja's own parameter checks, in the same shape as AppError."""
    errors: dict[str, list[str]] = {}
    for e in exc.errors:
        name = str(e.get("loc", ["", "?"])[-1])
        errors.setdefault(name, []).append(str(e.get("msg", "invalid")))
    detail = "; ".join(f"« {k} » : {', '.join(v)}" for k, v in errors.items())
    return api.create_response(
        request, {"detail": detail or _("Paramètres invalides."), "errors": errors}, status=422
    )


def _list(request: HttpRequest, selector: Callable, filename: str, editable=None):
    """`editable`: (model, key) of rows that carry their `id` and `version` (write.py)."""
    fmt = (request.GET.get("format") or "json").strip().lower()
    if fmt not in ("json", "csv"):
        raise AppError(
            _("« format » : valeur « %(fmt)s » non reconnue ; valeurs acceptées : json, csv.")
            % {"fmt": fmt[:20]},
            field="format",
        )
    filters = filters_from_params(request.GET)
    if fmt == "json":
        data = selector(filters=filters)
        return with_versions(data, *editable) if editable else data
    data = selector(filters=filters, all_rows=True)
    data["results"] = list(data["results"])  # each row gets its version below
    if editable:
        with_versions(data, *editable)
    response = HttpResponse(rows_to_csv(data["results"]), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


LIST = {"response": {200: ListOut, 422: ErrorOut}}
# Details are free-form objects: the fiche structure (see each selector); ninja Schemas
# would drop the keys they do not declare.
DETAIL = {"response": {200: dict, **ERRORS}}


@api.get("/partnerships", url_name="partnership_list", tags=["partnerships"], **LIST)
def partnerships(request, params: Query[ListParams]):
    """Partnerships between French and foreign local authorities."""
    return _list(request, selectors.partnership_list, "partenariats", (Partnership, "slug"))


@api.get("/partnerships/{slug}", url_name="partnership_detail", tags=["partnerships"], **DETAIL)
def partnership(request, slug: str):
    """A partnership with its parties, conventions, projects, themes and sources."""
    return versioned(selectors.partnership_detail(slug=slug), Partnership, slug=slug)


@api.get("/projects", url_name="project_list", tags=["projects"], **LIST)
def projects(request, params: Query[ListParams]):
    return _list(request, selectors.project_list, "projets", (Project, "slug"))


@api.get("/projects/{slug}", url_name="project_detail", tags=["projects"], **DETAIL)
def project(request, slug: str):
    """A project with participants, operators, sectors, SDGs, markers and financing plan."""
    return versioned(selectors.project_detail(slug=slug), Project, slug=slug)


@api.get("/local-authorities", url_name="authority_list", tags=["local authorities"], **LIST)
def authorities(request, params: Query[ListParams]):
    """Local authorities, French and foreign, that take part in the atlas's records."""
    return _list(request, selectors.authority_list, "collectivites")


@api.get("/local-authorities/{key}", url_name="authority_detail", tags=["local authorities"], **DETAIL)
def authority(request, key: str):
    """By slug, INSEE code (also a former one), SIREN, or `commune:93048`, `iso:ML-5`…"""
    try:  # any key: geo.selectors.authority_get
        return selectors.authority_detail(slug=key)
    except NotFound as exc:
        raise NotFound(exc.message, field="key") from exc


@api.get("/organisations", url_name="organisation_list", tags=["organisations"], **LIST)
def organisations(request, params: Query[ListParams]):
    return _list(request, selectors.organisation_list, "acteurs", (Organisation, "slug"))


@api.get("/organisations/{slug}", url_name="organisation_detail", tags=["organisations"], **DETAIL)
def organisation(request, slug: str):
    return versioned(selectors.organisation_detail(slug=slug), Organisation, slug=slug)


@api.get("/programmes", url_name="programme_list", tags=["programmes"], **LIST)
def programmes(request, params: Query[ListParams]):
    """Turnkey and pooled programmes that authorities can join."""
    return _list(request, selectors.programme_list, "programmes")


@api.get("/programmes/{slug}", url_name="programme_detail", tags=["programmes"], **DETAIL)
def programme(request, slug: str):
    return selectors.programme_detail(slug=slug)


@api.get("/partner-requests", url_name="partner_request_list", tags=["partner requests"], **LIST)
def partner_requests(request, params: Query[ListParams]):
    """Foreign authorities looking for a French partner, registered by embassies."""
    return _list(request, selectors.partner_request_list, "demandes-partenariat", (PartnerRequest, "id"))


@api.get("/partner-requests/{pk}", url_name="partner_request_detail", tags=["partner requests"], **DETAIL)
def partner_request(request, pk: str):
    if not re.fullmatch(r"[0-9]{1,12}", pk):
        raise NotFound(
            _("Aucune demande de partenariat n° « %(pk)s » : l'identifiant est un nombre entier.")
            % {"pk": pk[:40]},
            field="pk",
        )
    return versioned(selectors.partner_request_detail(pk=int(pk)), PartnerRequest, pk=int(pk))


@api.get("/countries/{iso2}/summary", url_name="country_summary", tags=["countries"], **DETAIL)
def country_summary(request, iso2: str):
    """The country fiche: counted figures beside published ones, themes, partnerships,
    partner requests, programmes, contacts, profile."""
    return country_page(iso2=iso2)


@api.get(
    "/map/partnerships.geojson",
    url_name="map_partnerships",
    tags=["map"],
    response={200: dict, 422: ErrorOut},
)
def map_partnerships(request, country: str | None = None):
    """GeoJSON lines French authority → partner, and a point per authority (see `keys`)."""
    filters = filters_from_params({"country": request.GET.get("country", "")})
    data = selectors.partnerships_geojson(country=filters.country)
    return HttpResponse(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")), content_type="application/geo+json"
    )


# The write API (issue 3) shares these paths, so it registers on this api (see write.py).
from .write import register as _register_write  # noqa: E402

_register_write(api)

from coopatlas.iati.api import router as _iati_router  # noqa: E402

api.add_router("/iati/", _iati_router)
api.add_router("/declarations", "coopatlas.declarations.api.router")
api.add_router("/partners", "coopatlas.api.partners.router")
api.add_router("/calls", "coopatlas.calls.api.router")
