"""Reads for the atlas pages and the open API: one plain structure per page.

Every function returns JSON-ready dicts and lists (Decimal amounts as strings, dates in ISO
format) carrying `html_url` and `api_url`: the HTML page renders the structure, the JSON twin
is the structure, the CSV twin flattens its `results` (Datasette's habit).

Scale (12,129 projects, ~10,000 partnerships, 15,000 authorities): filters are `id IN
(subquery)` so no join multiplies rows and no DISTINCT is needed; facets are GROUP BY
queries; a page's related rows come from a fixed number of prefetch queries.
Only published records are shown.

One module per entity; this package re-exports their public names.
"""

from ._common import (
    COUNTRY_LIST_LIMIT,
    DETAIL_LIST_LIMIT,
    FACET_LIMIT,
    PUBLISHED,
    authority_ref,
    is_lookup_key,
)
from ._filters import EXPORT_CHUNK, FACET_ID_LIST_MAX, StreamedRows, title_word_q
from ._sources import source_dict
from .authorities import authority_detail, authority_get, authority_list
from .countries import country_get, country_summary
from .maps import MAP_DETAIL_LIMIT, partnerships_geojson
from .organisations import organisation_detail, organisation_list
from .partnerships import partnership_detail, partnership_list
from .programmes import programme_detail, programme_list
from .projects import area_overlaps, project_detail, project_list, project_queryset
from .requests import partner_request_detail, partner_request_list
from .search import headline_figures, search_suggest

__all__ = [
    "COUNTRY_LIST_LIMIT",
    "DETAIL_LIST_LIMIT",
    "EXPORT_CHUNK",
    "FACET_ID_LIST_MAX",
    "FACET_LIMIT",
    "MAP_DETAIL_LIMIT",
    "PUBLISHED",
    "StreamedRows",
    "authority_detail",
    "authority_get",
    "authority_list",
    "authority_ref",
    "country_get",
    "country_summary",
    "headline_figures",
    "is_lookup_key",
    "organisation_detail",
    "organisation_list",
    "partner_request_detail",
    "partner_request_list",
    "partnership_detail",
    "partnership_list",
    "partnerships_geojson",
    "programme_detail",
    "programme_list",
    "area_overlaps",
    "project_detail",
    "project_list",
    "project_queryset",
    "search_suggest",
    "source_dict",
    "title_word_q",
]
