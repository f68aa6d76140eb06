"""CSV neutralisation also sees formulas behind blanks (spreadsheets skip them)."""

import pytest

from coopatlas.core.export import neutralise


@pytest.mark.parametrize(
    "cell",
    [
        " =1+1",
        "  +cmd",
        "\n=cmd",
        "\r\n@SUM(A1)",
        "\u00a0=cmd",
        "\u202f-2+3",
        "\t =x",
        "\ufeff=HYPERLINK(1)",
        "\ncmd",
    ],
)
def test_formula_behind_blanks_is_neutralised(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", [" -12.5", "Montreuil", " a=b", "", " ", "\u00a0Mopti"])
def test_plain_text_and_numbers_behind_blanks_are_left(cell):
    assert neutralise(cell) == cell
