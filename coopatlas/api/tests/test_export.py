"""rows_to_csv: flattening and formula neutralisation."""

import csv
import io

from coopatlas.core.export import BOM, neutralise, rows_to_csv


def read(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_flattens_nested_values():
    rows = [
        {
            "name": "Montreuil",
            "country": {"iso2": "FR", "name": "France"},
            "themes": [{"label": "Eau"}, {"name": "Santé"}],
            "years": [1984, 2005],
            "active": True,
            "budget": None,
        },
        {"name": "Mopti", "extra": 'x;y\n"z"'},
    ]
    header, first, second = read(rows_to_csv(rows))
    assert header == ["name", "country.iso2", "country.name", "themes", "years", "active", "budget", "extra"]
    assert first == ["Montreuil", "FR", "France", "Eau | Santé", "1984 | 2005", "oui", "", ""]
    assert second[0] == "Mopti" and second[-1] == 'x;y\n"z"'


def test_neutralises_formula_cells_but_not_numbers():
    for cell in ("=1+1", "+33 1 23", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"):
        assert neutralise(cell) == "'" + cell
    for cell in ("-12.5", "+3", "Montreuil", "", "a=b"):
        assert neutralise(cell) == cell
    header, row = read(rows_to_csv([{"t": "=cmd|' /C calc'!A0"}]))
    assert row == ["'=cmd|' /C calc'!A0"]


def test_empty_rows_give_a_header_only_file():
    assert rows_to_csv([]) == BOM + "\r\n"
