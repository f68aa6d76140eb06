"""Issue 15: a marked query's SQL compiled once per shape (core.shapes), with each read's
own values, on SQLite and PostgreSQL."""

import pytest
from django.db.models import F, Value
from django.db.models.sql.compiler import SQLCompiler
from django.test import override_settings
from django.utils import translation

from coopatlas.core import shapes
from coopatlas.core.shapes import shaped, shaped_first
from coopatlas.geo.models import AdministrativeArea, Country, LocalAuthority

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_kept_shapes():
    shapes.clear()
    yield
    shapes.clear()


@pytest.fixture
def compiles(monkeypatch):
    """How many times Django compiles a whole SELECT."""
    calls = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        calls.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    return calls


def _countries(iso2: str):
    return Country.objects.filter(iso2=iso2).order_by("iso2")


def test_the_second_read_reuses_the_sql_with_its_own_values(compiles):
    france = Country.objects.get(iso2="FR").name
    del compiles[:]
    assert [c.iso2 for c in shaped(_countries("ML"), "test.country")] == ["ML"]
    assert len(compiles) == 1
    with override_settings(COOPATLAS_SHAPES_VERIFY=False):
        assert [c.iso2 for c in shaped(_countries("SN"), "test.country")] == ["SN"]
        assert shaped_first(_countries("FR"), "test.country.first").name == france
        assert shaped_first(_countries("MG"), "test.country.first").iso2 == "MG"
    assert len(compiles) == 2  # the two shapes, once each


def test_rows_and_related_rows_are_those_of_an_ordinary_read():
    qs = (
        LocalAuthority.objects.select_related("country", "area")
        .filter(country_id="ML")
        .order_by("name", "id")
    )
    expected = [(a.pk, a.name, a.country.name, a.area.code if a.area_id else None) for a in qs[:20]]
    for _ in range(2):
        got = [
            (a.pk, a.name, a.country.name, a.area.code if a.area_id else None) for a in shaped(qs[:20], "t")
        ]
        assert got == expected


def test_values_lists_and_other_shapes_read_right():
    ids = list(Country.objects.order_by("iso2").values_list("iso2", flat=True)[:5])
    for n in (1, 3, 5, 3):  # an IN of 3 values is another WHERE than one of 5
        got = shaped(
            Country.objects.filter(iso2__in=ids[:n]).order_by("iso2").values_list("iso2", flat=True), "t"
        )
        assert list(got) == ids[:n]
    assert list(shaped(Country.objects.filter(iso2__in=[]), "t")) == []  # nothing to read, as Django


def test_the_language_is_part_of_the_shape():
    for language, column in (("fr", "name_fr"), ("en", "name_en"), ("fr", "name_fr")):
        with translation.override(language):
            rows = shaped(
                Country.objects.filter(iso2="ML").values_list(Country.name_field(), flat=True), "t.lang"
            )
            assert list(rows) == [getattr(Country.objects.get(iso2="ML"), column)]


def test_a_query_with_values_outside_its_where_is_compiled_each_time(compiles):
    for label in ("a", "b"):
        rows = shaped(
            Country.objects.filter(iso2="ML").annotate(tag=Value(label)).values_list("tag", flat=True), "t"
        )
        assert list(rows) == [label]
    assert len(compiles) == 2


def test_a_clone_of_a_marked_query_is_an_ordinary_one(compiles):
    marked = shaped(_countries("ML"), "t")
    assert marked.filter(iso2="ML").count() == 1
    assert list(marked.filter(name_fr=F("name_fr"))) == list(_countries("ML"))
    assert list(marked) == list(_countries("ML"))
    assert not isinstance(marked.filter(iso2="ML").query, shapes.ShapedQuery)


def test_verify_fails_when_a_key_misses_what_shapes_the_sql(monkeypatch):
    monkeypatch.setattr(shapes, "_key", lambda query, using, name: (name,))
    list(shaped(Country.objects.filter(iso2="ML").order_by("iso2"), "t"))
    with (
        override_settings(COOPATLAS_SHAPES_VERIFY=True),
        pytest.raises(AssertionError, match="kept SQL differs"),
    ):
        list(shaped(Country.objects.filter(iso2="ML").order_by("-iso2"), "t"))


def test_an_order_with_values_is_kept_with_them_and_keyed_by_them(compiles):
    from django.db.models import Case, When

    def rows(first: str):
        order = Case(When(iso2=first, then=Value(0)), default=Value(1))
        qs = Country.objects.filter(iso2__in=["ML", "SN", "BF"]).order_by(order, "iso2")
        return list(shaped(qs.values_list("iso2", flat=True), "t.order"))

    with override_settings(COOPATLAS_SHAPES_VERIFY=False):
        assert rows("SN") == ["SN", "BF", "ML"]
        assert rows("SN") == ["SN", "BF", "ML"]
        assert len(compiles) == 1  # kept, with its CASE's values
        assert rows("ML") == ["ML", "BF", "SN"]  # other values in the order: another key
        assert len(compiles) == 2


def test_a_prefetch_kept_per_shape_completes_each_row_with_its_own(compiles):
    from coopatlas.core.shapes import kept_prefetch

    def areas(iso2s):
        qs = Country.objects.filter(iso2__in=iso2s).order_by("iso2")
        qs = qs.prefetch_related(
            kept_prefetch(Country, "areas", "t.areas", AdministrativeArea.objects.order_by("code"))
        )
        return {c.iso2: [a.code for a in c.areas.all()] for c in qs}

    expected = {
        iso2: list(
            AdministrativeArea.objects.filter(country_id=iso2).order_by("code").values_list("code", flat=True)
        )
        for iso2 in ("ML", "SN", "BF")
    }
    assert all(expected.values())
    for iso2s in (["ML"], ["SN"], ["ML", "BF"], ["BF"]):
        assert areas(iso2s) == {k: expected[k] for k in iso2s}
