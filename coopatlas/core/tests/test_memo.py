"""Issue 15: reference tables kept in the process per data stamp (core.memo), never stale
after a committed write, whichever process made it."""

from contextlib import contextmanager

import pytest
from django.db import connection

from coopatlas.cooperation.tests import factories as f
from coopatlas.core import memo
from coopatlas.core.freshness import stamp_bump
from coopatlas.geo.models import Country
from coopatlas.reference.models import Theme

pytestmark = pytest.mark.django_db


@contextmanager
def commit():
    """As after a real commit: run the on-commit callbacks (the stamp's bump) and forget them."""
    yield
    pending = connection.run_on_commit[:]
    del connection.run_on_commit[:]
    for _sids, func, _robust in pending:
        func()


def test_a_value_is_computed_once_per_stamp_and_again_after_a_write():
    with commit():
        pass
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert memo.per_stamp("test:once", compute) == 1
    assert memo.per_stamp("test:once", compute) == 1
    with commit():
        f.CountryFactory(iso2="QZ")
    assert memo.per_stamp("test:once", compute) == 2


def test_another_process_write_moves_the_key_without_this_process_hearing_of_it():
    with commit():
        pass
    assert memo.per_stamp("test:other", lambda: "before") == "before"
    stamp_bump()  # another process's committed write: no signal here, only the stamp moved
    assert memo.per_stamp("test:other", lambda: "after") == "after"


def test_a_transaction_with_pending_writes_reads_afresh():
    with commit():
        pass
    assert memo.per_stamp("test:pending", lambda: "kept") == "kept"
    f.CountryFactory(iso2="QY")  # written, not committed
    assert memo.per_stamp("test:pending", lambda: "fresh") == "fresh"


def test_fiches_show_a_renamed_theme_and_country_after_the_write(client):
    atlas = f.small_atlas()
    with commit():
        pass
    url = f"/api/v1/projects/{atlas['project'].slug}"
    first = client.get(url).json()
    assert client.get(url).json() == first  # kept copies used
    theme = atlas["project"].theme_links.get().theme
    country = atlas["qm"]
    with commit():
        Theme.objects.filter(pk=theme.pk).update(name_fr="Thème renommé", name_en="Renamed theme")
        Country.objects.filter(pk=country.pk).update(name_fr="Pays renommé", name_en="Renamed country")
    after = str(client.get(url).json())
    assert "Thème renommé" in after or "Renamed theme" in after
    assert "Pays renommé" in after or "Renamed country" in after
