"""Issue 15: the data-version stamp, reads cached under it, and conditional public answers.

Tests run inside a transaction that never commits, so `commit()` below runs the on-commit
callbacks the writes registered and then forgets them, as a real commit would: the state
after it is the state every later request sees (data written, stamp bumped, nothing
pending).
"""

from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.urls import reverse

from coopatlas.cooperation import editing, selectors, services
from coopatlas.cooperation.models import Partnership
from coopatlas.cooperation.tests import factories as f
from coopatlas.core import bulk, freshness
from coopatlas.core.freshness import cached_read, first_rows, has_pending_writes, stamp_get, written_table
from coopatlas.reference.models import Theme

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.COOPATLAS_PAGE_CACHE = True


@pytest.fixture(autouse=True)
def _empty_cache():
    """A test's bumps are rolled back with it, its cache entries are not: without this a
    later test at the same stamp number could read them. (In production a committed bump
    is never rolled back.)"""
    from django.core.cache import cache

    cache.clear()
    freshness.local_pages_clear()  # this process's copies of kept pages, likewise
    yield
    cache.clear()
    freshness.local_pages_clear()


@contextmanager
def commit(execute: bool = True):
    """Commit, as far as the stamp can tell: run the on-commit callbacks registered so far
    (execute=False: lose them, as if the bump were missing) and forget them."""
    yield
    pending = connection.run_on_commit[:]
    del connection.run_on_commit[:]
    if execute:
        for _sids, func, _robust in pending:
            func()


def _version() -> int:
    return stamp_get().version


def _bumps(execute_block) -> int:
    before = _version()
    with commit():
        execute_block()
    return _version() - before


def _published_pair():
    return f.CommuneFactory(), f.ForeignAuthorityFactory(country=f.CountryFactory(iso2="QM"))


def _create_partnership(slug="fresh-pair"):
    french, foreign = _published_pair()
    return services.partnership_create(
        slug=slug, title="Fresh pair", kind="cooperation", parties=[french, foreign], source=f.SourceFactory()
    )


# --- which statements count as writes ------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ('INSERT INTO "cooperation_partnership" ("slug") VALUES (%s)', "cooperation_partnership"),
        ('UPDATE "geo_localauthority" SET "name" = %s', "geo_localauthority"),
        ('DELETE FROM "cooperation_project" WHERE id = 1', "cooperation_project"),
        ('TRUNCATE "cooperation_project", "geo_country"', "cooperation_project"),
        ('  insert or ignore into "reference_theme" VALUES (1)', "reference_theme"),
        ('SELECT * FROM "cooperation_partnership"', None),
        ('UPDATE "core_dataversion" SET "version" = 2', None),  # the stamp itself
        ('UPDATE "django_session" SET "expire_date" = %s', None),
        ('UPDATE "accounts_user" SET "last_login" = %s', None),
        ('INSERT INTO "django_cache_table" VALUES (%s)', None),
    ],
)
def test_written_table_sees_writes_and_ignores_reads_and_bookkeeping(sql, table):
    assert written_table(sql) == table


# --- every write path bumps the stamp once per committed transaction -----------------


def test_a_service_write_bumps_the_stamp_once_after_commit():
    assert _bumps(_create_partnership) == 1  # many INSERTs, one transaction, one bump


def test_nothing_is_bumped_before_the_commit():
    before = _version()
    with commit(execute=False):
        _create_partnership()
        assert has_pending_writes()
        assert _version() == before  # not yet: readers still see the old data
    assert _version() == before


def test_a_rolled_back_write_bumps_nothing():
    before = _version()
    with commit():
        with pytest.raises(RuntimeError), transaction.atomic():
            _create_partnership()
            raise RuntimeError("rolled back")
        assert not has_pending_writes()
    assert _version() == before


def test_the_editing_layer_bumps_the_stamp():
    from coopatlas.accounts.tests.world import build_world

    world = build_world()
    with commit():
        pass
    admin, p1 = world["users"]["admin"], world["p1"]

    def edit():
        editing.partnership_update(actor=admin, partnership=p1, version=p1.version, description="Revue")

    assert _bumps(edit) == 1


def test_bulk_loaders_queryset_updates_and_raw_sql_bump_the_stamp():
    theme = Theme.objects.first() or f.ThemeFactory()

    def loader():
        bulk.sync_rows(
            Theme,
            key=("slug",),
            rows=[{"slug": theme.slug, "name_fr": theme.name_fr + " (modifié)"}],
            fields=["name_fr"],
        )

    assert _bumps(loader) == 1
    assert _bumps(lambda: Partnership.objects.filter(pk=-1).update(title="x")) == 1
    with connection.cursor() as cursor:
        assert (
            _bumps(lambda: cursor.execute("UPDATE reference_theme SET position = position WHERE id = -1"))
            == 1
        )


def test_an_import_bumps_the_stamp(tmp_path):
    """A management command that writes (the reference loader) bumps like a service."""
    from django.core.management import call_command

    from coopatlas.reference.models import SdgGoal

    goal = SdgGoal.objects.order_by("number").first() or f.SdgGoalFactory()
    SdgGoal.objects.filter(pk=goal.pk).update(name_fr="à recharger")
    with commit():
        pass
    before = _version()
    with commit():
        call_command("load_reference", verbosity=0)
    assert _version() > before


def test_the_stamp_reads_without_writing():
    before = _version()
    with commit():
        selectors.headline_figures()
        assert not has_pending_writes()
    assert _version() == before


# --- cached reads: computed once per stamp, never stale after a write -----------------


def test_a_cached_read_is_computed_once_per_stamp(django_assert_num_queries):
    with commit():
        pass
    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    assert cached_read("test:once", compute) == {"n": 1}
    with django_assert_num_queries(1):  # the stamp; the value is this process's copy
        assert cached_read("test:once", compute) == {"n": 1}
    freshness.local_pages_clear()  # another process: the shared cache's row
    with django_assert_num_queries(2):  # the stamp, and the row of the database cache
        assert cached_read("test:once", compute) == {"n": 1}
    with commit():
        _create_partnership()
    assert cached_read("test:once", compute) == {"n": 2}


def test_a_cached_value_is_a_copy_of_its_own_for_each_caller():
    """The process's copy is kept pickled: a caller that changes what it got (a view adding
    a key to a country page) changes nothing for the next caller, in any thread."""
    with commit():
        pass
    first = cached_read("test:copy", lambda: {"facets": [1, 2]})
    first["facets"].append(3)
    first["added"] = True
    assert cached_read("test:copy", lambda: {"facets": ["recomputed"]}) == {"facets": [1, 2]}


def test_one_public_request_reads_the_stamp_once(client):
    """The stamp read when a public GET begins serves its cached reads too (a list's facets
    and counts): a page kept nowhere yet, its facets kept, costs no second stamp query."""
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    with commit():
        pass
    url = reverse("atlas:partnership_list")
    assert client.get(url).status_code == 200
    freshness.local_pages_clear()  # another process: the page and facets in the shared cache only
    with CaptureQueriesContext(conn) as queries:
        assert client.get(url, {"page": "1"}).status_code == 200
    stamps = [q for q in queries.captured_queries if "core_dataversion" in q["sql"]]
    assert len(stamps) == 1, [q["sql"][:80] for q in stamps]
    assert freshness._request_stamp.get() is None  # forgotten when the answer left


def test_a_write_inside_a_public_request_forgets_the_held_stamp():
    """A request that writes then reads must read the stamp its write moved."""
    with commit():
        pass
    before = stamp_get()
    token = freshness._request_stamp.set(before)
    try:
        with commit():
            _create_partnership(slug="written-mid-request")
        assert stamp_get().version == before.version + 1
    finally:
        freshness._request_stamp.reset(token)


def test_headline_figures_are_not_stale_after_a_committed_write():
    with commit():
        pass
    before = selectors.headline_figures()
    assert selectors.headline_figures() == before  # warm: from the cache
    with commit():
        _create_partnership()
    after = selectors.headline_figures()
    assert after["partnerships"] == before["partnerships"] + 1


def test_without_the_bump_the_cache_would_serve_a_stale_count():
    """What the stamp prevents: the same write with its bump lost leaves the old figure."""
    with commit():
        pass
    before = selectors.headline_figures()
    with commit(execute=False):
        _create_partnership()
    assert selectors.headline_figures() == before


def test_a_transaction_reads_its_own_writes_without_the_cache():
    with commit():
        pass
    before = selectors.headline_figures()["partnerships"]
    with commit(execute=False):
        _create_partnership()
        assert selectors.headline_figures()["partnerships"] == before + 1


def test_pages_facets_country_and_map_are_fresh_after_a_write(client):
    with commit():
        pass
    pages = {
        "home": "/?format=json",
        "list": "/partenariats/?format=json",
        "map": "/carte/partenariats.geojson?country=QM",
    }
    with commit():
        f.CountryFactory(iso2="QM")
    summary_url = reverse("api:country_summary", kwargs={"iso2": "QM"})
    first = {name: client.get(url).json() for name, url in pages.items()}
    summary = client.get(summary_url).json()
    with commit():
        _create_partnership()
    second = {name: client.get(url).json() for name, url in pages.items()}
    assert second["home"]["figures"]["partnerships"] == first["home"]["figures"]["partnerships"] + 1
    assert second["list"]["count"] == first["list"]["count"] + 1
    countries = {o["value"]: o["count"] for o in second["list"]["facets"]["country"]}
    assert countries.get("QM") == 1
    assert len(second["map"]["features"]) > len(first["map"]["features"])
    assert client.get(summary_url).json() != summary


# --- conditional answers ----------------------------------------------------------------


def _home(client, **headers):
    # A literal path: after a request to /en/ the test thread keeps English, and reverse()
    # would give /en/.
    return client.get("/", headers=headers)


def test_a_public_page_carries_etag_last_modified_and_a_short_public_cache(client):
    with commit():
        pass
    response = _home(client)
    assert response.status_code == 200
    assert response["ETag"].startswith('"') and response["Last-Modified"]
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
    vary = response["Vary"]
    assert "Accept-Language" in vary and "Cookie" in vary
    assert not response.cookies  # no CSRF cookie: a proxy may keep it


def test_if_none_match_answers_304_until_a_write(client):
    with commit():
        pass
    etag = _home(client)["ETag"]
    again = _home(client, if_none_match=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and "public" in again["Cache-Control"]
    with commit():
        _create_partnership()
    fresh = _home(client, if_none_match=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag


def test_if_modified_since_answers_304(client):
    with commit():
        pass
    last_modified = _home(client)["Last-Modified"]
    assert _home(client, if_modified_since=last_modified).status_code == 304


def test_the_api_answers_304_and_each_url_and_language_has_its_own_etag(client):
    with commit():
        pass
    url = reverse("api:partnership_list")
    response = client.get(url)
    assert response.status_code == 200
    assert client.get(url, headers={"if_none_match": response["ETag"]}).status_code == 304
    other = client.get(url, {"page_size": "5"})
    assert other.status_code == 200, other.content
    assert other["ETag"] != response["ETag"]
    english, french = client.get("/en/"), _home(client)
    assert english.status_code == french.status_code == 200
    assert english["ETag"] != french["ETag"]


def test_signed_in_and_token_requests_are_never_kept_by_a_proxy(client, django_user_model):
    with commit():
        pass
    etag = _home(client)["ETag"]
    user = django_user_model.objects.create_user(email="lecteur@example.org", password="x")
    client.force_login(user)
    response = _home(client, if_none_match=etag)
    assert response.status_code == 200
    assert "ETag" not in response
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    client.logout()
    token = client.get(reverse("api:partnership_list"), headers={"authorization": "Bearer nope"})
    assert "public" not in token.get("Cache-Control", "")


def test_the_stamp_survives_a_recreated_row():
    """A flushed database starts the counter again: the token keeps old cache keys apart."""
    from coopatlas.core.models import DataVersion

    with commit():
        pass
    old = stamp_get()
    DataVersion.objects.all().delete()
    freshness.stamp_bump()
    new = stamp_get()
    assert new.key != old.key


def test_a_second_visitor_gets_the_kept_page_without_the_view(client, django_assert_max_num_queries):
    with commit():
        pass
    first = client.get("/partenariats/")
    assert first.status_code == 200
    with django_assert_max_num_queries(2):  # the stamp and the cache row: no list, count or facet query
        second = client.get("/partenariats/")
    assert second.content == first.content and second["ETag"] == first["ETag"]
    assert "public" in second["Cache-Control"]


def test_the_filter_forms_blank_fields_share_the_kept_page_of_the_link(client, django_assert_max_num_queries):
    """The list's filter form sends every field, blank ones too: in the atlas that is the
    question a fiche's link (or the warm-up) asks with the filled ones only, so it gets the
    same kept page, in any order. A blank last value is no value, as the views read it."""
    partner = f.ForeignAuthorityFactory()
    f.PartnershipFactory(parties=[f.CommuneFactory(), partner])
    with commit():
        pass
    country = partner.country_id
    link = client.get("/partenariats/", {"country": country})
    assert link.status_code == 200
    with django_assert_max_num_queries(2):  # the stamp and the cache row
        form = client.get(f"/partenariats/?q=&status=+&country={country}&theme=&year_from=&year_to=")
    assert form.status_code == 200 and form["ETag"] == link["ETag"]
    assert form.content == link.content
    blank_last = client.get(f"/partenariats/?country={country}&country=")
    assert blank_last["ETag"] == client.get("/partenariats/")["ETag"]
    assert client.get("/partenariats/", {"country": country, "status": "active"})["ETag"] != link["ETag"]
    # The API is answered as sent: its parser may refuse a blank value that it defaults when absent.
    api = reverse("api:partnership_list")
    assert client.get(api + "?q=")["ETag"] != client.get(api)["ETag"]


def test_a_visitor_with_a_session_never_gets_a_kept_page(client):
    with commit():
        pass
    client.get("/partenariats/")
    client.cookies["sessionid"] = "anything"
    response = client.get("/partenariats/")
    assert response.status_code == 200
    assert getattr(response.wsgi_request, "_coopatlas_page_key", None) is None  # neither read nor kept


# --- the per-process copy of kept pages (in front of the shared cache) ---------------


def test_a_kept_page_is_served_from_this_process_without_the_cache_row(client, django_assert_max_num_queries):
    with commit():
        pass
    first = client.get("/partenariats/", headers={"accept_encoding": "gzip"})
    assert first.status_code == 200
    with django_assert_max_num_queries(1):  # the stamp only: the page is this process's copy
        second = client.get("/partenariats/", headers={"accept_encoding": "gzip"})
    assert second["Content-Encoding"] == "gzip"
    assert second.status_code == 200 and "public" in second["Cache-Control"]


def test_a_kept_page_is_compressed_once_and_unpacked_for_a_client_without_gzip(client):
    import gzip

    with commit():
        pass
    plain = client.get("/partenariats/")  # the view's own answer (GZipMiddleware: no gzip asked)
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    packed = client.get("/partenariats/", headers={"accept_encoding": "gzip"})
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content
    assert packed["ETag"] == "W/" + plain["ETag"]  # another representation: a weak ETag
    again = client.get("/partenariats/")
    assert "Content-Encoding" not in again and again.content == plain.content
    assert client.get("/partenariats/", headers={"if_none_match": packed["ETag"]}).status_code == 304


def test_another_process_write_is_never_hidden_by_this_process_copy(client):
    """Two server processes share the database and its cache; each keeps its own copies.
    Process B's copy of a page must never be served after process A committed a write:
    the stamp is read on each request and the copy's key holds it."""
    with commit():
        pass
    url = reverse("api:partnership_list")
    before = client.get(url).json()  # kept in the shared cache and in this process's copy
    assert client.get(url).json() == before
    process_b = freshness.local_pages()
    assert len(process_b) >= 1
    with commit():
        _create_partnership(slug="written-by-process-a")  # process A: a committed write
    freshness.local_pages_clear()  # process A's own copies: a fresh process
    freshness._local_pages = process_b  # back in process B, with its copies of before
    after = client.get(url).json()
    assert after != before
    assert "written-by-process-a" in str(after)


def test_an_api_fiche_is_kept_with_its_record_etag_and_never_after_a_write(client, django_assert_num_queries):
    """The API's fiches carry their record's ETag (to send back in If-Match): they are kept
    with it, the second read runs no view, and a write serves the new version."""
    with commit():
        partnership = _create_partnership(slug="kept-fiche")
    url = reverse("api:partnership_detail", kwargs={"slug": "kept-fiche"})
    first = client.get(url)
    assert first.status_code == 200, first.content
    with django_assert_num_queries(1):  # the stamp; the page is this process's copy
        again = client.get(url)
    assert again["ETag"] == first["ETag"] and again.content == first.content
    freshness.local_pages_clear()
    with django_assert_num_queries(2):  # the stamp, the shared cache's row
        assert client.get(url).content == first.content
    with commit():
        Partnership.objects.filter(pk=partnership.pk).update(title="Renamed", version=partnership.version + 1)
    after = client.get(url)
    assert after.json()["title"] == "Renamed" and after["ETag"] != first["ETag"]


def test_the_process_copy_is_bounded_in_entries_and_bytes():
    pages = freshness.LocalPages(max_entries=3, max_bytes=10_000)
    for i in range(5):
        pages.put(f"k{i}", {"content": b"x" * 100, "headers": {}})
    assert len(pages) == 3 and pages.get("k0") is None and pages.get("k4") is not None
    pages.get("k2")  # recently read: kept
    pages.put("k5", {"content": b"x" * 100, "headers": {}})
    assert pages.get("k2") is not None and pages.get("k3") is None
    pages.put("big", {"content": b"x" * 20_000, "headers": {}})  # over the byte bound: not kept
    assert pages.get("big") is None
    for i in range(10):
        pages.put(f"m{i}", {"content": b"x" * 4000, "headers": {}})
    assert len(pages) == 2  # 2 × 4,200 bytes fit in 10,000, not 3


def test_a_new_release_never_serves_what_the_old_code_rendered(client, monkeypatch):
    """Same data stamp, other code (a deploy changed a template): the kept page is not
    served, and the ETag changes so that browsers and proxies fetch the new page."""
    with commit():
        pass
    first = client.get("/partenariats/")
    assert client.get("/partenariats/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    monkeypatch.setattr(freshness, "code_stamp", lambda: "newrelease")
    again = client.get("/partenariats/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]


def test_the_code_stamp_is_a_digest_of_the_files_not_of_the_time():
    freshness.code_stamp.cache_clear()
    one = freshness.code_stamp()
    freshness.code_stamp.cache_clear()
    assert freshness.code_stamp() == one and len(one) == 8


def test_the_stamp_read_as_sql_text_gives_what_the_orm_reads():
    """_stamp_read runs kept SQL text (issue 15): the same values, types and time zone as
    the model's own read, on SQLite (text converted back) and PostgreSQL."""
    from coopatlas.core.models import DataVersion

    freshness.stamp_bump()
    stamp = freshness._stamp_read()
    row = DataVersion.objects.values_list("version", "token", "changed_at").get(pk=1)
    assert (stamp.version, stamp.token, stamp.changed_at) == row
    assert stamp.changed_at.tzinfo is not None and isinstance(stamp.version, int)
    freshness.stamp_bump()
    assert freshness._stamp_read().version == stamp.version + 1


# --- counts, page ids and facet rows are in no language ---------------------------------


def _reads(queries) -> list[str]:
    """The statements that count or pick a list's rows (not the kept cache's own)."""
    return [
        q["sql"]
        for q in queries
        if ("COUNT(" in q["sql"] or 'AS "pk"' in q["sql"]) and "coopatlas_cache" not in q["sql"]
    ]


def test_the_english_list_and_fiche_after_the_french_ones_count_and_pick_nothing_again():
    """Counts, a page's ids and facet rows are read once per stamp for both languages: the
    English list (or the warm-up's second language) only fetches the page's rows by key
    and labels what is kept. The rows are the ones the filter gives, in its order, and a
    committed write is counted at once (the stamp keys them)."""
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from coopatlas.atlas.selectors import country_page
    from coopatlas.cooperation.filters import AtlasFilters

    partner = f.ForeignAuthorityFactory()
    for n in range(3):
        f.PartnershipFactory(title=f"Partenariat {n}", parties=[f.CommuneFactory(), partner])
    with commit():
        pass
    filters = AtlasFilters(country=partner.country_id, page_size=2)
    expected = list(
        Partnership.objects.public()
        .filter(parties__country=partner.country_id)
        .order_by("title", "id")
        .values_list("slug", flat=True)
    )
    with translation.override("fr"), CaptureQueriesContext(connection) as french:
        fr_list = selectors.partnership_list(filters=filters)
        fr_fiche = country_page(iso2=partner.country_id)
    assert _reads(french.captured_queries)  # the French list did count and pick
    with translation.override("en"), CaptureQueriesContext(connection) as english:
        en_list = selectors.partnership_list(filters=filters)
        en_fiche = country_page(iso2=partner.country_id)
    assert _reads(english.captured_queries) == []
    assert not [q for q in english.captured_queries if "GROUP BY" in q["sql"]]
    assert en_list["count"] == fr_list["count"] == 3
    assert [r["slug"] for r in en_list["results"]] == [r["slug"] for r in fr_list["results"]] == expected[:2]
    assert en_fiche["figures"]["partnerships"] == fr_fiche["figures"]["partnerships"] == 3
    assert [p["slug"] for p in en_fiche["partnerships"]] == [p["slug"] for p in fr_fiche["partnerships"]]
    page_2 = selectors.partnership_list(filters=filters.replace(page=2))
    assert [r["slug"] for r in page_2["results"]] == expected[2:]
    with commit():
        f.PartnershipFactory(title="Partenariat 0 bis", parties=[f.CommuneFactory(), partner])
    with translation.override("en"):
        fresh = selectors.partnership_list(filters=filters)
        fresh_fiche = country_page(iso2=partner.country_id)
    assert fresh["count"] == 4 and fresh_fiche["figures"]["partnerships"] == 4
    assert fresh["results"][1]["title"] == "Partenariat 0 bis"


def test_a_list_filtered_across_a_many_valued_join_keeps_its_filter():
    """A page's rows are fetched by key without the filter, unless the filter joined a
    many-valued relation: an annotation over that join counts the matches only (here the
    French party, not both), and dropping the filter would count every party."""
    from django.db.models import Count

    mixed = f.PartnershipFactory(parties=[f.CommuneFactory(), f.ForeignAuthorityFactory()])
    joined = (
        Partnership.objects.filter(pk=mixed.pk, parties__country_id="FR")
        .annotate(n=Count("parties"))
        .order_by("id")
    )
    assert [(p.pk, p.n) for p in first_rows(joined, 5)] == [(p.pk, p.n) for p in joined[:5]]
    assert [p.n for p in first_rows(joined, 5)] == [1]
