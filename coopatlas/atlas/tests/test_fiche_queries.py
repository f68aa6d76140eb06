"""Issue 15: a fiche read for the first time (a page-cache miss) costs a fixed number of
queries, whatever the number of its parties, projects, lines and sources; the counts
below are today's (bench/hit.py --fiches measures them on the national store) and must
not creep back. Each is asserted on the HTML page and on its JSON twins."""

from decimal import Decimal

import pytest
from django.db import connection

from coopatlas.cooperation.tests import factories as f
from coopatlas.core.testing import data_reads

pytestmark = pytest.mark.django_db

# Queries of one first read, page cache off (test settings): the stamp, then the view.
# Before these cuts (same test on the previous code): pages 25, 29, 31, 35 (their JSON
# twins 2 fewer: the site configuration), API 24, 28, 29; then 18, 20, 21, 25, API 19, 21,
# 21 before the second round (themes and countries kept per stamp, the partner side from
# the fiche's own parties, the authority looked up once).
PARTNERSHIP = 16
PROJECT = 19
AUTHORITY_FR = 20
AUTHORITY_FOREIGN = 24
API_PARTNERSHIP = 17  # + the record's version for the write API's ETag
API_PROJECT = 20
API_AUTHORITY = 20


def _committed():
    """As after a real commit: run the writes' on-commit callbacks (the stamp's bump) and
    forget them, so that the request sees no pending write (and reads its cached config)."""
    pending = connection.run_on_commit[:]
    del connection.run_on_commit[:]
    for _sids, func, _robust in pending:
        func()


def _grow(atlas: dict) -> None:
    """More of everything the fiches list: a party, projects, lines, payments, conventions."""
    p1, commune, cercle, org = atlas["p1"], atlas["commune"], atlas["cercle"], atlas["org"]
    other = f.AuthorityFactory(name="Cercle voisin", country=atlas["qm"], area=atlas["qm11"])
    f.PartnershipPartyFactory(partnership=p1, authority=other)
    f.ConventionFactory(partnership=p1, title="Avenant Zorglub 1990", signed_year=1990)
    for i in range(3):
        project = f.ProjectFactory(
            title=f"Forage {i}",
            participants=[(commune, "lead"), cercle, other],
            countries=[atlas["qm"]],
            areas=[atlas["qm11"]],
            themes=[atlas["leaf"]],
            partnerships=[p1],
        )
        f.FundingFactory(project=project, funder_organisation=org, amount=Decimal("1000.00"))
    f.FundingFactory(project=atlas["project"], funder_organisation=org, amount=Decimal("5.00"))


URLS = {
    "partnership": ("/partenariats/zorglub-quimbe/", PARTNERSHIP),
    "partnership json": ("/partenariats/zorglub-quimbe/?format=json", PARTNERSHIP),
    "project": ("/projets/puits-quimbe/", PROJECT),
    "project json": ("/projets/puits-quimbe/?format=json", PROJECT),
    "french authority": ("/collectivites/{commune}/", AUTHORITY_FR),
    "foreign authority": ("/collectivites/{cercle}/", AUTHORITY_FOREIGN),
    "api partnership": ("/api/v1/partnerships/zorglub-quimbe", API_PARTNERSHIP),
    "api project": ("/api/v1/projects/puits-quimbe", API_PROJECT),
    "api authority": ("/api/v1/local-authorities/{commune}", API_AUTHORITY),
}


@pytest.mark.parametrize("name", URLS)
def test_a_fiche_read_for_the_first_time_has_a_fixed_number_of_queries(
    name, client, django_assert_max_num_queries
):
    atlas = f.small_atlas()
    url, most = URLS[name]
    url = url.format(commune=atlas["commune"].slug, cercle=atlas["cercle"].slug)
    _committed()
    client.get(url)  # this process's one-time reads (content types, the site configuration)
    with django_assert_max_num_queries(most) as small:
        assert client.get(url).status_code == 200
    _grow(atlas)
    _committed()
    client.get(url)
    with django_assert_max_num_queries(most) as grown:
        assert client.get(url).status_code == 200
    assert data_reads(grown) == data_reads(small)  # the shared cache's statements aside


def test_the_site_configuration_is_read_once_per_stamp(client, django_assert_max_num_queries):
    from dsfr.models import DsfrConfig

    DsfrConfig.objects.update_or_create(language="fr", defaults={"site_title": "Atlas fictif un"})
    _committed()
    assert client.get("/a-propos/").context["SITE_CONFIG"].site_title == "Atlas fictif un"
    with django_assert_max_num_queries(10) as ctx:
        assert client.get("/a-propos/").context["SITE_CONFIG"].site_title == "Atlas fictif un"
    assert not [q for q in ctx.captured_queries if "dsfr_dsfrconfig" in q["sql"]]
    DsfrConfig.objects.filter(language="fr").update(site_title="Atlas fictif deux")
    _committed()  # the edit moved the stamp: every process reads the new title
    assert client.get("/a-propos/").context["SITE_CONFIG"].site_title == "Atlas fictif deux"
