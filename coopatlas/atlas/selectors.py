"""Reads that compose several apps into one public page.

The country fiche shows the cooperation records (cooperation), other donors' activities
imported from IATI files (iati) and the aid French authorities declared (declarations):
atlas sits above those apps, so none of them imports another to build the page.
"""

from __future__ import annotations

from coopatlas.cooperation.selectors import country_summary
from coopatlas.declarations.selectors import aid_by_year_for_country
from coopatlas.iati.selectors import imported_activities_for


def country_page(*, iso2: str) -> dict:
    """The country fiche (HTML, its JSON twin and the API's country summary)."""
    data = country_summary(iso2=iso2)
    code = data["country"]["iso2"]
    data["other_actors"] = imported_activities_for(country=code, area=None)
    data["declared_aid"] = aid_by_year_for_country(iso2=code)
    return data
