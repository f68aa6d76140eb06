"""The fiche parser: every fixture's fields land where they belong, problems name file,
line and field, and no text makes it raise."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopatlas.stateatlas.parser import match_label, parse_path, parse_text, read_person
from coopatlas.stateatlas.tests.fixtures.build import FICHES

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPECTED = {f["prj"]: f for f in FICHES}
STATUS = {"En cours": "en cours", "Terminé": "termine", "En sommeil": "en sommeil"}


def _all_pages():
    out = {}
    for path in sorted((FIXTURES / "pages").iterdir()):
        [(fiche, problems)] = parse_path(path)
        out[path.name] = (fiche, problems)
    return out


PAGES = _all_pages()


def _check(fiche, f):
    assert fiche.title == f["title"]
    assert fiche.french == [f["french"]]
    assert fiche.partner == [f["partner"]]
    assert fiche.country == f["country"]
    assert fiche.poste == f["poste"]
    assert fiche.first_convention_year == f["first"]
    assert fiche.start_year == f["start"]
    assert fiche.status == STATUS[f["status"]]
    assert fiche.theme == f["theme"]
    assert fiche.other_themes == [(p, prio) for p, prio in f["others"]]
    assert fiche.sdgs == list(f["sdgs"])
    if f["end"]:
        d, m, y = map(int, f["end"].split("/"))
        assert fiche.end_date == date(y, m, d)
    else:
        assert fiche.end_date is None
    assert fiche.context.startswith("Partenariat engagé en")
    assert fiche.objective.startswith("Renforcer")
    assert fiche.description.startswith(f["title"][:40])
    assert fiche.url.endswith(f"prjId={f['prj']}")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_fixture_page_lands_in_the_right_fields(name):
    fiche, problems = PAGES[name]
    f = EXPECTED[fiche.prj_id]
    _check(fiche, f)
    assert fiche.counsellor.email == "jean.dubois@diplomatie.gouv.fr"  # written with [at]
    cut = [p for p in problems if p.field == "title"]
    assert bool(cut) == (len(f["title"]) >= 240), problems
    assert [p for p in problems if p.field != "title"] == []


def test_both_html_layouts_and_text_saves_are_covered():
    layouts = {fiche.layout for fiche, _p in PAGES.values()}
    assert layouts == {"html-table", "html-blocks", "text"}
    # a text save without its address takes the prjId from the file name
    fiche, _p = PAGES["fiche_10004.txt"]
    assert fiche.prj_id == "10004" and fiche.url.endswith("prjId=10004")


def test_no_correspondent_is_kept_as_none():
    nones = [f for f, _p in PAGES.values() if f.correspondent and f.correspondent.none]
    assert nones, "the fixtures have fiches saying « Pas de correspondant coopération décentralisée »"
    assert all(not f.correspondent.name for f in nones)


def test_every_listed_label_variant_is_read():
    for text, wanted in [
        ("Année de première signature de la convention : 1984", "first_convention_year"),
        ("Année de signature de la convention ou de la lettre d'intention : 1984", "first_convention_year"),
        ("Le partenariat est : En cours", "status"),
        ("Le partenariat est En cours", "status"),
        ("Le projet est Terminé", "status"),
        ("Le projet est : En sommeil", "status"),
        ("Contexte : x", "context"),
        ("Contexte et historique : x", "context"),
        ("Objectif du partenariat : x", "objective"),
        ("Description détaillée du partenariat : x", "description"),
        ("Pas de correspondant coopération décentralisée", "no_correspondent"),
        ("Sous-sous-thématique : Tourisme", "theme3"),
        ("Sous-thématique : Tourisme", "theme2"),
    ]:
        assert match_label(text)[0] == wanted, text
    assert match_label("Contexte et historique : x")[1] == "x"
    assert match_label("Le projet est Terminé")[1] == "Terminé"


def test_email_written_with_at():
    p = read_person("M. Paul Martin - paul.martin [at] diplomatie [dot] gouv [dot] fr")
    assert (p.name, p.email) == ("M. Paul Martin", "paul.martin@diplomatie.gouv.fr")


def test_cut_title_flagged():
    fiche, problems = PAGES["fiche_10021.html"]
    assert fiche.title_looks_cut
    [p] = [p for p in problems if p.field == "title"]
    assert p.line and "coupé" in p.message


def test_unknown_label_and_unreadable_date_name_file_line_field():
    [(fiche, problems)] = parse_path(FIXTURES / "bad" / "atlas-20002.txt")
    assert fiche is not None and fiche.end_date is None
    by_field = {p.field: p for p in problems}
    assert by_field["Budget prévisionnel"].line == 10
    assert "libellé inconnu" in by_field["Budget prévisionnel"].message
    assert by_field["end_date"].line == 17 and "31/13/2014" in by_field["end_date"].message
    assert all(p.file.endswith("atlas-20002.txt") for p in problems)


def test_not_a_fiche_is_refused_with_its_file():
    [(fiche, problems)] = parse_path(FIXTURES / "bad" / "mentions_legales.html")
    assert fiche is None
    assert problems[0].fatal and problems[0].field == "fiche" and "mentions_legales" in problems[0].file


def test_cut_page_imports_what_is_there_and_reports_what_is_missing():
    [(fiche, problems)] = parse_path(FIXTURES / "bad" / "fiche_20001_coupee.html")
    assert fiche.title == EXPECTED["10006"]["title"] and fiche.french == ["Ville d'Alençon"]
    fields = {p.field for p in problems}
    assert {"fiche", "partner", "country"} <= fields


@pytest.mark.parametrize("name", ["atlas_export.csv", "atlas_export.xlsx"])
def test_tabular_export_rows(name):
    rows = parse_path(FIXTURES / "export" / name)
    assert len(rows) == 12
    for fiche, _problems in rows:
        _check(fiche, EXPECTED[fiche.prj_id])
        assert fiche.counsellor is not None


def test_csv_with_foreign_headers_is_not_a_fiche(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    [(fiche, problems)] = parse_path(path)
    assert fiche is None and problems[0].fatal


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=600))
def test_no_text_makes_the_parser_raise(text):
    fiche, problems = parse_text(text, path="random.txt")
    assert fiche is not None or problems


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200), st.integers(min_value=0, max_value=30))
def test_junk_inside_a_real_fiche_is_reported_not_raised(junk, at):
    lines = (FIXTURES / "pages" / "atlas-10003.txt").read_text(encoding="utf-8").splitlines()
    lines.insert(min(at, len(lines)), junk)
    fiche, problems = parse_text("\n".join(lines), path="atlas-10003.txt")
    assert fiche is None or fiche.prj_id


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("<>/ab =\"'trhdl\n&;#x"), max_size=400))
def test_no_html_makes_the_parser_raise(text):
    parse_text("<html><body>" + text, path="random.html")
