"""Issue 15: after a committed write the worker renders the most-read public pages again, so
that the first visitor after the write gets a kept page (ops/warm.py); one warm-up queued
per burst of writes; the queue's own rows bump nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from coopatlas.cooperation.tests import factories as f
from coopatlas.core.freshness import stamp_get, written_table
from coopatlas.ops.warm import warm_urls

pytestmark = pytest.mark.django_db
WARM_TASK = "coopatlas.ops.warm.warm_public_pages"


@pytest.fixture(autouse=True)
def _warm_on(settings, monkeypatch):
    from django.core.cache import cache
    from django_tasks_db.management.commands import db_worker

    settings.COOPATLAS_PAGE_CACHE = True
    settings.COOPATLAS_WARM_AFTER_WRITE = True
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)  # as in test_jobs
    cache.clear()
    yield
    cache.clear()


def _commit():
    """Run the on-commit callbacks the writes registered (the test's transaction never commits)."""
    pending = connection.run_on_commit[:]
    del connection.run_on_commit[:]
    for _sids, func, _robust in pending:
        func()


def _queued() -> int:
    return DBTaskResult.objects.filter(task_path=WARM_TASK, status="READY").count()


def test_a_burst_of_writes_queues_one_warm_up():
    f.PartnershipFactory()
    _commit()
    assert _queued() == 1
    f.PartnershipFactory()
    _commit()
    assert _queued() == 1  # one is already waiting: it will warm the latest stamp


def test_the_queue_rows_bump_nothing():
    assert written_table('INSERT INTO "django_tasks_database_dbtaskresult" ("id") VALUES (1)') is None
    before = stamp_get().version
    f.PartnershipFactory()
    _commit()
    assert stamp_get().version == before + 1  # the write's bump only, not the queued warm-up's


def test_the_first_visitor_after_a_write_gets_the_page_the_worker_kept(client, django_assert_max_num_queries):
    partnership = f.PartnershipFactory(title="Jumelage chaud de Quimperlé-Fictif")
    _commit()
    call_command("coopatlas_worker", max_tasks=1, verbosity=0)
    result = DBTaskResult.objects.get(task_path=WARM_TASK)
    assert result.status == "SUCCESSFUL", result.traceback
    assert result.return_value["failed"] == 0
    assert result.return_value["warmed"] == len(warm_urls()) >= 16  # both languages
    with django_assert_max_num_queries(2):  # the stamp and the cache row: no count, no facet
        page = client.get("/partenariats/")
    assert page.status_code == 200 and partnership.title in page.content.decode()
    with django_assert_max_num_queries(2):
        assert client.get("/en/").status_code == 200


def test_every_warm_route_is_a_public_page_in_both_languages():
    urls = warm_urls()
    assert ("/", "fr") in urls and ("/en/", "en") in urls
    assert all(url.startswith(("/", "/en/")) for url, _lang in urls)


def test_the_most_linked_partner_countries_fiche_and_lists_are_kept_too(
    client, django_assert_max_num_queries, monkeypatch
):
    """ops/data/warm_paths.json `by_country`: the partner countries with the most public
    partnerships, most first (France never), get their fiche and their filtered lists
    rendered by the worker; a visitor arriving through the filter form, blank fields and
    all, gets that kept page."""
    from coopatlas.ops import warm

    commune = f.CommuneFactory()
    big, small = f.ForeignAuthorityFactory(), f.ForeignAuthorityFactory()
    for _ in range(2):
        f.PartnershipFactory(parties=[commune, big])
    f.PartnershipFactory(parties=[commune, small])
    _commit()
    ranked = warm.most_linked_countries(1000)
    assert ranked.index(big.country_id) < ranked.index(small.country_id) and "FR" not in ranked
    assert len(warm.most_linked_countries(1)) == 1 and warm.most_linked_countries(0) == []
    top = warm.most_linked_countries(warm.warm_spec()["by_country"]["countries"])
    assert top == ranked[: len(top)]
    # The test database holds the demo data: put these two at the top, as they would be.
    monkeypatch.setattr(warm, "most_linked_countries", lambda limit: [big.country_id, small.country_id])
    urls = warm_urls()
    fiche = big.country.get_absolute_url()
    for language, prefix in (("fr", ""), ("en", "/en")):
        assert (prefix + fiche, language) in urls
        assert (f"{prefix}/partenariats/?country={big.country_id}", language) in urls
        assert (f"{prefix}/projets/?country={big.country_id}", language) in urls
    assert ("/collectivites/?country=FR", "fr") in urls
    assert urls.index(("/", "fr")) < urls.index((fiche, "fr"))  # the fixed pages first
    assert urls.index((fiche, "fr")) < urls.index((small.country.get_absolute_url(), "fr"))

    call_command("coopatlas_worker", max_tasks=1, verbosity=0)
    result = DBTaskResult.objects.get(task_path=WARM_TASK)
    assert result.status == "SUCCESSFUL", result.traceback
    assert result.return_value == {"stamp": stamp_get().key, "warmed": len(urls), "failed": 0}
    with django_assert_max_num_queries(2):  # the stamp and the cache row
        page = client.get(f"/collectivites/?q=&country={big.country_id}&kind=&authority_kind=")
    assert page.status_code == 200 and big.name in page.content.decode()
    with django_assert_max_num_queries(2):
        assert client.get(fiche).status_code == 200
