"""Issue 15: substring search on trigram indexes (core/search.py), SQLite FTS5 and
PostgreSQL pg_trgm, with the answers of a plain scan.

These tests run on whichever backend the suite runs on (SQLite here, PostgreSQL in CI's
second pass): each compares the index's answers with the same question asked in Python over
every row, so the two backends agree with each other through that one oracle."""

import pytest
from django.apps import apps
from django.db import connection

from coopatlas.cooperation.tests import factories as f
from coopatlas.core.search import INDEXED, fts_table, search_indexes_ensure
from coopatlas.geo.models import LocalAuthority

pytestmark = pytest.mark.django_db

# Words of every length the searches send: under three characters (no trigram), codes,
# words found at the start, inside and at the end of names, and words found nowhere.
WORDS = ["sa", "mo", "ko", "ain", "mont", "saint", "ville", "ouest", "eau", "bamako", "zzqx", "mali", "e"]


def _oracle(model, column: str, word: str) -> set:
    return {pk for pk, value in model.objects.values_list("pk", column) if word in (value or "")}


@pytest.mark.parametrize(("label", "column"), INDEXED)
def test_indexed_contains_gives_the_rows_a_scan_gives(label, column):
    model = apps.get_model(label)
    f.CommuneFactory(name="Saint-Mont-sur-Ville")
    f.OrganisationFactory(name="Eau de l'Ouest")
    f.ProjectFactory(title="Eau potable à Bamako", summary="Puits et bornes-fontaines")
    f.PartnershipFactory(slug="saint-mont-sur-ville-bamako", title="Saint-Mont-sur-Ville – Bamako")
    f.PartnershipFactory(slug="atlas-etat-4242", title="Eau et assainissement, Mali de l'Ouest")
    f.ProjectFactory(slug="mont-saint-eau-ville", title="Puits")
    f.ProgrammeFactory(title="Sécurité de l'eau à Bamako, Mali de l'Ouest")
    for word in WORDS:
        found = set(
            model.objects.filter(**{f"{column}__indexed_contains": word}).values_list("pk", flat=True)
        )
        assert found == _oracle(model, column, word), (label, word)


def test_the_index_uses_matches_on_sqlite_and_trigrams_on_postgresql():
    qs = LocalAuthority.objects.filter(search_name__indexed_contains="mont")
    sql = str(qs.query)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            assert "MATCH" in sql and fts_table("geo_localauthority", "search_name") in sql
        else:
            cursor.execute("SET enable_seqscan = off")  # the demo table is small: ask for the index
            cursor.execute("EXPLAIN " + qs.query.sql_with_params()[0], qs.query.sql_with_params()[1])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("SET enable_seqscan = on")
            assert "geo_localauthority__search_name_trgm" in plan, plan


def test_the_index_follows_inserts_renames_and_deletes_in_the_same_transaction():
    commune = f.CommuneFactory(name="Quiberonnette")
    assert list(LocalAuthority.objects.filter(search_name__indexed_contains="beronnet")) == [commune]
    commune.name = "Plouzorvennec"
    commune.save()
    assert not LocalAuthority.objects.filter(search_name__indexed_contains="beronnet").exists()
    assert list(LocalAuthority.objects.filter(search_name__indexed_contains="zorvenn")) == [commune]
    LocalAuthority.objects.filter(search_name__contains="plouzorvennec").update(search_name="kerzouvran")
    assert list(LocalAuthority.objects.filter(search_name__indexed_contains="rzouv")) == [commune]
    commune.delete()
    assert not LocalAuthority.objects.filter(search_name__indexed_contains="rzouv").exists()


def test_bulk_writes_are_indexed_too():
    """Loaders write with bulk_create: the triggers see those rows as well."""
    rows = [f.CommuneFactory.build(name=f"Ndiassanekro {i}") for i in range(3)]
    for row in rows:
        row.search_name = f"ndiassanekro {row.name[-1]}"
    LocalAuthority.objects.bulk_create(rows)
    assert LocalAuthority.objects.filter(search_name__indexed_contains="ssanekro").count() == 3


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's table rebuild drops triggers")
def test_lost_triggers_are_made_again_and_the_index_rebuilt():
    """Django's SQLite schema editor remakes a table on many ALTERs, dropping its triggers:
    the post-migrate pass makes them again and rebuilds the index from the table."""
    fts = fts_table("geo_localauthority", "search_name")
    with connection.cursor() as cursor:
        for suffix in ("ai", "ad", "au"):
            cursor.execute(f'DROP TRIGGER "{fts}_{suffix}"')
    commune = f.CommuneFactory(name="Trégastelette")  # written while the index is blind
    assert not LocalAuthority.objects.filter(search_name__indexed_contains="gastelet").exists()
    assert fts in search_indexes_ensure()
    assert list(LocalAuthority.objects.filter(search_name__indexed_contains="gastelet")) == [commune]
    assert fts not in search_indexes_ensure()  # nothing to do the second time


def test_short_words_and_quotes_fall_back_safely():
    commune = f.CommuneFactory(name='Vi"lle')
    assert commune in LocalAuthority.objects.filter(search_name__indexed_contains='i"l')
    assert commune in LocalAuthority.objects.filter(search_name__indexed_contains="vi")
