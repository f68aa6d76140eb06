import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coopatlas.cooperation.integrity import integrity_report
from coopatlas.cooperation.models import Partnership, PartnershipParty
from coopatlas.core.services import source_synthetic
from coopatlas.geo.models import LocalAuthority

pytestmark = pytest.mark.django_db


def _lone_partnership():
    authority = LocalAuthority.objects.filter(country_id="FR").first()
    partnership = Partnership.objects.create(
        title="Synth partenariat isolé",
        slug="synth-lone",
        kind="cooperation",
        source=source_synthetic(),
        is_synthetic=True,
    )
    PartnershipParty.objects.create(partnership=partnership, authority=authority)
    return partnership


def test_loaded_data_has_no_integrity_error():
    report = integrity_report()
    assert report["ok"], report["findings"]


def test_a_partnership_with_one_party_is_an_error_named_by_its_slug():
    _lone_partnership()
    report = integrity_report()
    assert not report["ok"]
    finding = next(f for f in report["findings"] if f["code"] == "partnership_parties")
    assert "synth-lone" in finding["examples"]


def test_command_exits_with_an_error_when_rules_are_broken(capsys):
    _lone_partnership()
    with pytest.raises(CommandError, match="erreurs d'intégrité"):
        call_command("integrity_check")
    assert "moins de 2 parties" in capsys.readouterr().out
