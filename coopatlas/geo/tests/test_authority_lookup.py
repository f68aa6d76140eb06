"""The one lookup of an authority by key (issue 8), and its callers agreeing on it.

Reads the reference data the session database was loaded with (Montreuil 93048, the
commune merged under Arboys en Bugey, Ille-et-Vilaine's SIREN)."""

from __future__ import annotations

import pytest

from coopatlas.core.errors import AppError, NotFound
from coopatlas.geo.selectors import authority_get

pytestmark = pytest.mark.django_db


def _montreuil():
    return authority_get(key="93048")


@pytest.mark.parametrize("key", ["93048", " 93048 ", "commune:93048", "siren:219300480", "219300480"])
def test_one_authority_by_code(key):
    assert authority_get(key=key) == _montreuil()


def test_by_slug_and_by_former_code():
    montreuil = _montreuil()
    assert authority_get(key=montreuil.slug) == montreuil
    assert authority_get(key="01340").insee_code == "01015"  # merged commune


@pytest.mark.parametrize("key", ["", "   ", "93\x0048", "9" * 301, "zz-nope-zz", "99999", "iso:QQ-99"])
def test_unknown_or_unreadable_key_is_not_found_naming_the_field(key):
    with pytest.raises(NotFound) as err:
        authority_get(key=key, field="authority")
    assert err.value.field == "authority"
    assert "departement:35" in err.value.message  # says how to find one


def test_kind_must_match():
    with pytest.raises(NotFound):
        authority_get(key="93048", kind="departement")
    assert authority_get(key="departement:35", kind="departement").name == "Ille-et-Vilaine"


def test_every_caller_accepts_the_same_keys():
    """Pages/API (cooperation selectors), pickers (editor.resolve), the declarations API,
    the write API and the users command all go through geo.selectors.authority_get."""
    from coopatlas.api import write
    from coopatlas.cooperation import selectors
    from coopatlas.declarations import api as declarations_api
    from coopatlas.editor import resolve

    montreuil = _montreuil()
    for key in ("93048", "siren:219300480", montreuil.slug):
        assert selectors.authority_get(slug=key) == montreuil
        assert resolve.authority(key, field="parties") == montreuil
        assert declarations_api._authority(key) == montreuil
        assert write._authority(key, "parties") == montreuil
    for bad in ("99999", "93\x0048"):
        for call, args in (
            (lambda k: selectors.authority_get(slug=k), bad),
            (lambda k: resolve.authority(k, field="parties"), bad),
            (declarations_api._authority, bad),
            (lambda k: write._authority(k, "parties"), bad),
        ):
            with pytest.raises(AppError):
                call(args)


def test_the_users_command_takes_a_slug_too(capsys):
    from django.core.management import call_command

    montreuil = _montreuil()
    call_command(
        "users", "add", "--email", "lookup@example.org", "--role", "editor", "--authority", montreuil.slug
    )
    from coopatlas.accounts.models import Membership

    assert Membership.objects.filter(user__email="lookup@example.org", authorities=montreuil).exists()
