"""A filter on a long list of values reads on both databases (docs/postgresql.md).

Django sends `field__in=[...]` as one parameter per value. Bound by the server (as the
project does on PostgreSQL, for prepared statements), a query carries at most 65,535 and
fails beyond; core/pgcursor.py binds those in the query text instead. Lists that long happen
at scale: the ids of a facet, a prefetch over every row of a 10x export, the synthetic
generator's payments.
"""

import pytest
from django.db import connection

from coopatlas.geo.models import LocalAuthority

LONG = 70_000  # over the PostgreSQL protocol's 65,535 parameters per query


@pytest.mark.django_db
def test_a_filter_on_70000_ids_reads():
    ids = list(range(1, LONG + 1))
    expected = LocalAuthority.objects.filter(id__lte=LONG).count()
    assert expected > 0
    assert LocalAuthority.objects.filter(id__in=ids).count() == expected


@pytest.mark.django_db
def test_a_bulk_insert_over_the_protocol_limit_is_written():
    from coopatlas.geo.models import AuthorityAlias

    authority = LocalAuthority.objects.order_by("pk").first()
    kind = AuthorityAlias.Kind.values[0]
    rows = [AuthorityAlias(authority=authority, kind=kind, value=f"alias {i}") for i in range(20_000)]
    AuthorityAlias.objects.bulk_create(rows, batch_size=20_000)  # one INSERT, 80,000 parameters
    assert AuthorityAlias.objects.filter(authority=authority, value__startswith="alias ").count() == 20_000


@pytest.mark.django_db
def test_postgresql_prepares_the_queries_a_connection_repeats():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    from coopatlas.core.pgcursor import PreparingCursor

    connection.ensure_connection()
    raw = connection.connection
    assert raw.cursor_factory is PreparingCursor
    assert raw.prepare_threshold == 1
    for _ in range(3):
        LocalAuthority.objects.filter(pk=1).first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] >= 1
