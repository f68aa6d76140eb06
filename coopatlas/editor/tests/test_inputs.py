"""Hostile input in the editing space: pickers and form lists refuse unicode digits, huge
numbers and non-numbers with a message on the field, never a 500 (issue 8)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from coopatlas.accounts.tests.world import build_world
from coopatlas.core.errors import AppError
from coopatlas.editor import resolve


@pytest.mark.parametrize("text", ["²", "⑨", "١٢", "ODD ７", "9" * 40])
def test_sdg_goals_refuse_non_ascii_digits(db, text):
    with pytest.raises(AppError) as err:
        resolve.sdg_goals(text)
    assert err.value.field == "sdg_goals"


@pytest.mark.parametrize("text", ["²", "١٢٣٤", "9" * 40 + " — Dakar"])
def test_places_refuse_non_ascii_digits_and_huge_ids(db, text):
    with pytest.raises(AppError) as err:
        resolve.places(text)
    assert err.value.field == "places"


@pytest.mark.parametrize("pct", ["1e1000", "NaN", "Infinity", "١٢", "abc", "-5", "1000"])
def test_sector_percentages_are_parsed_strictly(db, pct):
    with pytest.raises(AppError) as err:
        resolve.sectors(f"14030 ; {pct}")
    assert err.value.field == "sectors"


def test_sector_percentage_takes_a_french_comma(db):
    [(sector, pct)] = resolve.sectors("14030 ; 33,5 %")
    assert sector.code == "14030" and str(pct) == "33.50"


@pytest.mark.parametrize("value", ["abc", "²", "", "9" * 40])
def test_history_restore_with_a_bad_to_version_is_a_message_not_a_500(client, db, value):
    world = build_world()
    client.force_login(world["users"]["admin"])
    url = reverse("editor:history", kwargs={"kind": "partenariats", "pk": world["p1"].pk})
    r = client.post(url, {"to_version": value, "version": str(world["p1"].version)}, follow=True)
    assert r.status_code == 200 and "to_version" in r.content.decode()


@pytest.mark.parametrize("q", ["²", "١٢", "9" * 40, "x" * 10_000])
def test_pickers_answer_for_any_text(client, db, q):
    world = build_world()
    client.force_login(world["users"]["admin"])
    for name in ("pick_sectors", "pick_sdg", "pick_places", "pick_authorities", "pick_areas"):
        assert client.get(reverse(f"editor:{name}"), {"q": q}).status_code < 500


# Error messages name places and sectors in words: the officer never sees a code the page
# did not get from them (ML-5, 2253354, 14030 were quoted as examples before).
EXAMPLE_CODES = re.compile(r"ML-5|2253354|14030|ISO|GeoNames|CAD à cinq|identifiant")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "resolver, typed, quoted",
    [
        (resolve.areas, "ZZ-99 — Région de Nulle-Part (Pays fictif)", "Région de Nulle-Part (Pays fictif)"),
        (resolve.areas, "Mopti", "Mopti"),
        (resolve.places, "Dakar", "Dakar"),
        (resolve.places, "999999999 — Village fictif (Pays fictif)", "Village fictif (Pays fictif)"),
        (resolve.countries, "ZZ", "ZZ"),
        (resolve.sectors, "99999 — Secteur fictif ; 60", "Secteur fictif"),
        (resolve.partnerships, "pas-un-partenariat", "pas-un-partenariat"),
    ],
)
def test_resolve_errors_speak_in_names_not_codes(resolver, typed, quoted):
    with pytest.raises(AppError) as exc:
        resolver(typed)
    message = exc.value.message
    assert f"« {quoted} »" in message, message
    assert not EXAMPLE_CODES.search(message), message
    assert "liste proposée" in message or "parmi ceux proposés" in message, message


@pytest.mark.django_db
def test_area_error_shows_how_the_list_writes_a_region():
    with pytest.raises(AppError) as exc:
        resolve.areas("Mopti")
    assert "« Région de Mopti (Mali) »" in exc.value.message
