"""The pages the load test reads, drawn from the store it runs on (`python -m bench.load`
runs this with the bench settings and writes the JSON the locustfile reads).

Records are picked through the public selectors' own rule (`Record.objects.public()`), so
every fiche in the mix answers 200: a 404 in the load is a real error.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from urllib.parse import quote

# Kinds of page and how often a reader asks for each (the weights of the mix).
MIX = {
    "home": 3,
    "list": 4,
    "partnership fiche": 3,
    "project fiche": 3,
    "authority fiche": 1,
    "country fiche": 1,
    "suggest": 2,
    "api list": 1,
    "api fiche": 1,
}
FICHES = 2000  # different records per kind of fiche: a crowd does not read one cached URL
COUNTRIES = 20  # the partner countries with the most partnerships
PREFIXES = 200  # authority names whose first 3, 4 and 5 letters are typed in the search box


def _sample(values, n: int, rng: random.Random) -> list:
    values = list(values)
    return rng.sample(values, min(n, len(values)))


def pages(seed: int = 15) -> dict:
    """{kind: {"weight": n, "paths": [...]}} for this store."""
    from django.urls import reverse

    from coopatlas.cooperation.models import Partnership, PartnershipParty, Project
    from coopatlas.geo.models import Country, LocalAuthority

    rng = random.Random(seed)
    partnerships = _sample(Partnership.objects.public().values_list("slug", flat=True), FICHES, rng)
    projects = _sample(Project.objects.public().values_list("slug", flat=True), FICHES, rng)
    parties = PartnershipParty.objects.filter(Partnership.public_q("partnership"))
    authorities = _sample(
        LocalAuthority.objects.filter(id__in=parties.values("authority_id")).values_list("slug", flat=True),
        500,
        rng,
    )
    per_country = Counter(
        parties.exclude(authority__country_id="FR").values_list("authority__country_id", flat=True)
    )
    slugs = dict(Country.objects.values_list("iso2", "slug"))
    countries = [(iso2, slugs[iso2]) for iso2, _n in per_country.most_common(COUNTRIES)]
    names = _sample(LocalAuthority.objects.values_list("search_name", flat=True), PREFIXES, rng)
    prefixes = sorted({name[:n] for name in names for n in (3, 4, 5) if len(name[:n].strip()) == n})

    def url(name: str, query: str = "", **kwargs) -> str:
        return reverse(name, kwargs=kwargs or None) + (f"?{query}" if query else "")

    lists = [url("atlas:partnership_list"), url("atlas:project_list"), url("atlas:authority_list")]
    lists += [url("atlas:partnership_list", "page=3")]
    lists += [url("atlas:project_list", f"country={iso2}") for iso2, _ in countries]
    lists += [url("atlas:partnership_list", f"country={iso2}&status=active") for iso2, _ in countries[:10]]
    lists += [url("atlas:project_list", f"status={s}") for s in ("ongoing", "completed", "planned")]
    api_lists = [
        url("api:partnership_list", "page_size=50"),
        url("api:project_list", "page_size=50"),
    ]
    api_lists += [url("api:project_list", f"country={iso2}&status=ongoing") for iso2, _ in countries]
    api_lists += [url("api:country_summary", iso2=iso2) for iso2, _ in countries]
    paths = {
        "home": [url("atlas:home")],
        "list": lists,
        "partnership fiche": [url("atlas:partnership", slug=s) for s in partnerships],
        "project fiche": [url("atlas:project", slug=s) for s in projects],
        "authority fiche": [url("atlas:authority", slug=s) for s in authorities],
        "country fiche": [url("atlas:country", slug=slug) for _, slug in countries],
        "suggest": [url("atlas:suggest", f"q={quote(p)}") for p in prefixes],
        "api list": api_lists,
        "api fiche": [url("api:partnership_detail", slug=s) for s in partnerships[:1000]]
        + [url("api:project_detail", slug=s) for s in projects[:1000]],
    }
    return {kind: {"weight": weight, "paths": paths[kind]} for kind, weight in MIX.items()}


if __name__ == "__main__":
    import django

    django.setup()
    with open(sys.argv[1], "w", encoding="utf-8") as fh:
        json.dump(pages(), fh, ensure_ascii=False)
