"""A filter on a long list of values reads on both databases (docs/postgresql.md).

Django sends `field__in=[...]` as one parameter per value. With parameters bound in the query
text (Django's default on PostgreSQL) there is no limit; bound by the server, a query carries
at most 65,535 and fails beyond. Lists that long happen at scale: the ids of a facet, a
prefetch over every row of a 10x export, the synthetic generator's payments. This keeps
server-side binding from coming back unnoticed.
"""

import pytest

from coopatlas.geo.models import LocalAuthority

LONG = 70_000  # over the PostgreSQL protocol's 65,535 parameters per query


@pytest.mark.django_db
def test_a_filter_on_70000_ids_reads():
    ids = list(range(1, LONG + 1))
    expected = LocalAuthority.objects.filter(id__lte=LONG).count()
    assert expected > 0
    assert LocalAuthority.objects.filter(id__in=ids).count() == expected
