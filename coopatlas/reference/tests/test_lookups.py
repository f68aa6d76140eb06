"""One lookup per reference list by code (issue 8), against the loaded reference data."""

from __future__ import annotations

import pytest

from coopatlas.reference import lookups

pytestmark = pytest.mark.django_db


def test_country_and_area_any_case_trimmed():
    assert lookups.country_by_code(" ml ").iso2 == "ML"
    assert lookups.area_by_code("ml-5").code == "ML-5"
    for bad in ("", None, "MLI", "M\x00", "ZZ"):
        assert lookups.country_by_code(bad) is None
    assert lookups.area_by_code("QQ-99") is None


def test_sector_is_five_ascii_digits():
    assert lookups.sector_by_code("14030").code == "14030"
    for bad in ("1403", "140300", "١٤٠٣٠", "14O30", "", None):
        assert lookups.sector_by_code(bad) is None


@pytest.mark.parametrize("value,number", [("6", 6), (6, 6), ("ODD 6", 6), ("odd6", 6), (" 17 ", 17)])
def test_sdg_goal(value, number):
    assert lookups.sdg_goal_by_number(value).number == number


@pytest.mark.parametrize("value", ["18", "0", "²", "⑨", "٦", "6.1", "", None, "9" * 400])
def test_sdg_goal_refuses_what_is_not_an_ascii_goal_number(value):
    assert lookups.sdg_goal_by_number(value) is None


def test_sdg_target_and_marker():
    assert lookups.sdg_target_by_code("6.1").code == "6.1"
    assert lookups.sdg_target_by_code("16.A").code == "16.a"
    gender = lookups.marker_by_code("gender")
    assert gender is not None and lookups.marker_by_code(gender.code) == gender
    assert lookups.marker_by_code("GENDER") == gender
    assert lookups.marker_by_code("nope") is None and lookups.marker_by_code("") is None


@pytest.mark.parametrize("text", ["²", "⑨", "٦", "ODD ²"])
def test_the_sdg_picker_answers_a_message_for_unicode_digits(text):
    """Issue 8: '²'.isdigit() is True and int('²') raised ValueError (a 500 on the form)."""
    from coopatlas.core.errors import AppError
    from coopatlas.editor import resolve

    with pytest.raises(AppError) as err:
        resolve.sdg_goals(text, field="sdg_goals")
    assert err.value.field == "sdg_goals" and "1 à 17" in err.value.message
