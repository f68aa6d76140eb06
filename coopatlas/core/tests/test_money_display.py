"""One way money is written for people (core.parse.money_display), and the six places that
had drifted now calling it: the atlas' `money` and `euros` filters, the editor's `amount`,
the compliance messages, the calls' figures and the declarations' warnings."""

from decimal import Decimal as D

import pytest
from django.utils import translation

from coopatlas.core.parse import _to_decimal, amount_display, money_display

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    "value, places, french, english",
    [
        (D("21000"), 2, f"21{NNBSP}000,00{NBSP}€", "€21,000.00"),
        (D("21000"), None, f"21{NNBSP}000{NBSP}€", "€21,000"),
        (D("1145000.5"), None, f"1{NNBSP}145{NNBSP}000,50{NBSP}€", "€1,145,000.50"),
        (D("999"), 2, f"999,00{NBSP}€", "€999.00"),
        (D("0"), None, f"0{NBSP}€", "€0"),
        (D("-1234.5"), 2, f"-1{NNBSP}234,50{NBSP}€", "€-1,234.50"),
    ],
)
def test_money_display_french_and_english(value, places, french, english):
    with translation.override("fr"):
        assert money_display(value, places=places) == french
    with translation.override("en"):
        assert money_display(value, places=places) == english


def test_other_currencies_keep_their_code_and_empty_stays_empty():
    with translation.override("fr"):
        assert money_display(D("1200"), "XOF") == f"1{NNBSP}200,00{NBSP}XOF"
        assert money_display(None) == "" and money_display("") == ""


def test_an_input_value_reads_back_in_both_languages():
    for language in ("fr", "en"):
        with translation.override(language):
            shown = amount_display(D("1145000.50"), for_input=True)
            assert "," not in shown.split(NNBSP)[0]  # never a comma between thousands
            assert _to_decimal(shown, grouping=True) == D("1145000.50")


def test_every_money_writer_calls_the_one_rule():
    from coopatlas.atlas.templatetags.atlas_tags import euros, money
    from coopatlas.calls.figures import euros as call_euros
    from coopatlas.compliance.selectors import _money as compliance_money
    from coopatlas.declarations.selectors import _euros as declaration_euros
    from coopatlas.editor.templatetags.editor_tags import amount

    with translation.override("fr"):
        expected = f"21{NNBSP}000,00{NBSP}€"
        assert euros(D("21000")) == expected
        assert amount(D("21000"), "EUR") == expected
        assert declaration_euros(2_100_000) == expected
        assert money(D("21000")) == f"21{NNBSP}000{NBSP}€"
        assert call_euros(D("21000")) == f"21{NNBSP}000{NBSP}€"
        assert compliance_money(D("23000.50"), "EUR") == f"23{NNBSP}000,50{NBSP}€"
    with translation.override("en"):
        assert euros(D("21000")) == "€21,000.00" and money(D("21000")) == "€21,000"
