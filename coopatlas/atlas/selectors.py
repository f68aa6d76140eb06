"""Reads that compose several apps into one public page.

The country fiche shows the cooperation records (cooperation), other donors' activities
imported from IATI files (iati) and the aid French authorities declared (declarations):
atlas sits above those apps, so none of them imports another to build the page.
"""

from __future__ import annotations

from coopatlas.cooperation.selectors import authority_detail, country_summary
from coopatlas.core.freshness import cached_read
from coopatlas.declarations.selectors import aid_by_year_for_country
from coopatlas.iati.selectors import imported_activities_for


def country_page(*, iso2: str) -> dict:
    """The country fiche (HTML, its JSON twin and the API's country summary).

    Cached under the data stamp: a fiche gathers a dozen counts and lists over the
    country's partnerships, projects, IATI activities and declarations, all changed by
    different write paths; one rebuild per committed write keeps it simple and never stale."""
    return cached_read(f"country_page:{iso2.upper()}", lambda: _country_page(iso2=iso2))


def _country_page(*, iso2: str) -> dict:
    data = country_summary(iso2=iso2)
    code = data["country"]["iso2"]
    data["other_actors"] = imported_activities_for(country=code, area=None)
    data["declared_aid"] = aid_by_year_for_country(iso2=code)
    return data


def authority_page(*, slug: str) -> dict:
    """The authority fiche. For a foreign authority it also shows who works there and on
    what: its French partners with their partnerships and projects, other donors'
    activities imported from IATI in its area (else its country), and « à vérifier »."""
    from coopatlas.cooperation.partner_side import (
        authority_verification,
        french_partners_of,
    )
    from coopatlas.cooperation.selectors import authority_get

    authority = authority_get(slug=slug)  # once, for both halves of the fiche
    data = authority_detail(slug=slug, authority=authority)
    if data["country"] == "FR":
        return data
    area = data["area_info"]["code"] if data.get("area_info") else None
    data["verification"] = authority_verification(authority=authority)
    data["french_partners"] = french_partners_of(authority=authority)
    data["other_actors"] = (
        imported_activities_for(country=None, area=area)
        if area
        else imported_activities_for(country=data["country"], area=None)
    )
    data["other_actors_scope"] = "area" if area else "country"
    return data
