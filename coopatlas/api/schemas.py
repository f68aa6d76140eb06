"""Shapes of the open API, for its OpenAPI description.

The API answers what the atlas selectors return (the pages render the same structures), so
these schemas document the envelope and the main record fields; extra keys pass through.
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema


class ListParams(Schema):
    """Query parameters of every list. All optional; unknown parameters are ignored."""

    q: str | None = Field(
        None,
        description="Words to find (accents and case ignored) in "
        "names, former names, alternate spellings, INSEE codes and SIREN.",
    )
    country: str | None = Field(
        None, description="ISO 3166-1 alpha-2 code of a party's or recipient country, e.g. ML."
    )
    area: str | None = Field(
        None, description="ISO 3166-2 code of a partner's first-level area, e.g. ML-5 (Mopti)."
    )
    french_region: str | None = Field(None, description="INSEE code of a French region, e.g. 53.")
    french_departement: str | None = Field(
        None, description="INSEE code of a French department, e.g. 35, 2A, 971."
    )
    kind: str | None = Field(
        None,
        description="Partnership kind (twinning, cooperation, …), "
        "authority kind or organisation kind, depending on the list.",
    )
    authority_kind: str | None = Field(
        None, description="Kind of a (French) authority involved: commune, departement, region, metropole, …"
    )
    theme: str | None = Field(None, description="Theme slug; includes its sub-themes.")
    sdg: str | None = Field(None, description="Sustainable Development Goal number, 1–17.")
    status: str | None = Field(
        None, description="Status; accepted values depend on the list (see the `status` facet)."
    )
    year_from: str | None = Field(
        None, description="Start of a period (year); records whose years overlap it."
    )
    year_to: str | None = Field(None, description="End of a period (year).")
    page: str | None = Field(None, description="Page number, from 1.")
    page_size: str | None = Field(None, description="Results per page, 1–200 (default 25).")
    format: str | None = Field(
        None, description="`json` (default) or `csv` (every matching row, `;`-separated, UTF-8 with BOM)."
    )


class ListOut(Schema):
    count: int = Field(..., description="Number of matching records")
    page: int
    page_size: int
    num_pages: int
    next_after: str | None = Field(
        None, description="Cursor of the next page: pass it as `after` (keyset pagination, fast at any depth)"
    )
    filters: dict[str, str] = Field(..., description="The filters applied, as parameters")
    results: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]] = Field(
        ..., description="Per facet, values with their count among the matching records"
    )


class ErrorOut(Schema):
    detail: str = Field(..., description="What is wrong and how to fix it")
    errors: dict[str, list[str]] = Field(..., description="Messages per parameter")
