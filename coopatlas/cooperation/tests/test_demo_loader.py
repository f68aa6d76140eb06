"""The sourced demo data loader: the real files, idempotency, and broken files refused."""

import re
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from coopatlas.cooperation.demo.loader import DEMO_DIR, SOURCES_DIR, _Checker, _read, demo_load
from coopatlas.cooperation.models import (
    Contact,
    FundingContribution,
    Organisation,
    Partnership,
    PartnershipParty,
    Project,
    ProjectParticipant,
    ProjectSector,
    ProjectTheme,
)
from coopatlas.core.errors import AppError
from coopatlas.core.models import (
    Citation,
    Inference,
    PublishedFigure,
    Source,
    SourceDocument,
    SourceText,
)
from coopatlas.core.selectors import record_sources
from coopatlas.geo.models import AuthorityAlias, LocalAuthority

pytestmark = pytest.mark.django_db
TABLES = [
    Partnership,
    PartnershipParty,
    Project,
    ProjectParticipant,
    ProjectSector,
    ProjectTheme,
    FundingContribution,
    Organisation,
    Contact,
    LocalAuthority,
    AuthorityAlias,
    Source,
    SourceDocument,
    PublishedFigure,
    Citation,
    Inference,
    SourceText,
]


def _snapshot() -> dict:
    return {m.__name__: sorted(m.objects.values_list("pk", flat=True)) for m in TABLES}


@pytest.fixture
def demo() -> dict:
    # The session database may already hold the demo (conftest runs load_demo): the load
    # is then an update in place, which these tests check too.
    return demo_load()


# --------------------------------------------------------------------------- real files


def test_montreuil_93048_is_partnered_with_the_cercle_de_yelimane(demo):
    partnership = Partnership.objects.get(slug="montreuil-yelimane")
    parties = {a.country_id: a for a in partnership.parties.all()}
    assert parties["FR"].insee_code == "93048" and parties["FR"].kind == "commune"
    assert parties["ML"].name == "Cercle de Yélimané" and parties["ML"].area.code == "ML-1"
    assert partnership.source.document.key == "000"
    assert (partnership.source.line_start, partnership.source.line_end) == (21, 21)


def test_ille_et_vilaine_mopti_since_1984_with_its_source_lines(demo):
    partnership = Partnership.objects.get(slug="ille-et-vilaine-mopti")
    # The texts give no status (the present tense is not one): it stays unknown.
    assert partnership.start_year == 1984 and partnership.status == "unknown"
    parties = {a.country_id: a for a in partnership.parties.all()}
    assert (parties["FR"].kind, parties["FR"].insee_code) == ("departement", "35")
    assert parties["ML"].area.code == "ML-5" and parties["ML"].kind == "region"
    source = partnership.source
    assert (source.document.key, source.line_start, source.line_end) == ("003", 3, 3)
    assert "depuis 1984" in source.quote
    assert set(partnership.organisations.values_list("acronym", flat=True)) >= {"AIVM", "Fondem"}


def test_solsomati_financing_plan(demo):
    project = Project.objects.get(slug="solsomati")
    assert project.budget == Decimal("1145000.00") and project.beneficiaries_count == 12000
    lines = {
        (f.funder_organisation.acronym if f.funder_organisation else f.funder_authority.insee_code): f.amount
        for f in project.funding.all()
    }
    assert lines == {"AFD": Decimal("700000.00"), "35": Decimal("340000.00")}
    assert sum(lines.values()) <= project.budget
    assert [(s.sector_id, s.percentage) for s in project.sector_links.all()] == [("23631", Decimal("100.00"))]
    assert all(f.source.document.key == "003" and f.source.line_start == 17 for f in project.funding.all())


def test_foreign_partners_resolve_to_their_iso_areas(demo):
    expected = {
        "ml-region-mopti": "ML-5",
        "ml-district-bamako": "ML-BKO",
        "ml-cercle-yelimane": "ML-1",
        "ml-tombouctou": "ML-6",
        "ml-gao": "ML-7",
        "ro-judet-sibiu": "RO-SB",
        "ma-province-sefrou": "MA-03",
    }
    for slug, area in expected.items():
        authority = LocalAuthority.objects.get(slug=slug)
        assert authority.area.code == area, slug
        assert authority.latitude is not None, slug
    assert LocalAuthority.objects.get(slug="ma-province-sefrou").foreign_code == "MA-SEF"


def test_every_partnership_has_a_french_and_a_foreign_party(demo):
    for partnership in Partnership.objects.filter(is_synthetic=False):
        countries = [a.country_id for a in partnership.parties.all()]
        assert "FR" in countries and any(c != "FR" for c in countries), partnership.slug


def test_mali_published_figures(demo):
    figures = PublishedFigure.objects.filter(country_id="ML", metric="active_partnerships")
    assert figures.get(dimension="").value == 58
    by_kind = {f.dimension_value: int(f.value) for f in figures.filter(dimension="french_kind")}
    assert by_kind == {"region": 3, "departement": 6, "commune": 44, "metropole": 1, "ca": 1}
    by_area = {f.dimension_value: int(f.value) for f in figures.filter(dimension="partner_area")}
    assert by_area == {"ML-1": 23, "ML-5": 12}
    support = {
        f.year: f.value for f in PublishedFigure.objects.filter(metric="daect_support", country_id="ML")
    }
    assert support == {2016: Decimal("342405"), 2017: Decimal("1053886"), 2018: Decimal("80750")}
    calls = PublishedFigure.objects.filter(metric="daect_funded_projects", dimension="call")
    assert sum(f.value for f in calls) == 20
    bamako = PublishedFigure.objects.get(metric="french_partner_authorities")
    assert bamako.authority.slug == "ml-district-bamako" and bamako.value == 5


def test_second_run_creates_nothing(demo):
    before = _snapshot()
    counts = demo_load()
    assert counts["created"] == 0
    assert counts["updated"] > 0 and counts["partnerships"] == demo["partnerships"]
    assert _snapshot() == before


def test_every_quote_is_verbatim_in_its_lines():
    # The shipped copies (core/data/sources/), never ../shared: this test never skips.
    bundle = _Checker(_read(DEMO_DIR)).run()
    seeds = {}
    for key, doc in bundle.documents.items():
        assert doc.get("filename"), f"documents.yaml: document {key} has no shipped file"
        seeds[key] = (SOURCES_DIR / doc["filename"]).read_text(encoding="utf-8").splitlines()
        assert doc["line_count"] == len(seeds[key]), f"documents.yaml line_count of {key}"
    wrong = []
    for items in bundle.items.values():
        for item in items:
            d = item.data
            sources = [d["source"]] if "source" in d else list(d.get("sources") or [])
            for line in d.get("funding") or []:
                sources += [line["source"]] if "source" in line else list(line.get("sources") or [])
            for s in sources:
                first, last = s["lines"]
                text = " ".join(" ".join(seeds[str(s["doc"])][first - 1 : last]).split())
                if " ".join(s["quote"].split()) not in text:
                    wrong.append(f"{item.where()}: {s['doc']} {first}-{last}")
    assert not wrong, "quotes not found in their lines:\n" + "\n".join(wrong)


# --------------------------------------------------------------------------- broken files

DOCUMENTS = """\
documents:
  - {key: "000", title: "Fiche Mali", line_count: 61}
"""
SRC = '{doc: "000", lines: [21, 21], quote: "Montreuil et le Cercle de Yélimané"}'
GOOD_AUTHORITY = f"""\
authorities:
  - {{ref: t-yelimane, name: "Cercle de Yélimané (test)", kind: cercle, country: ML, area: ML-1,
     source: {SRC}}}
"""
GOOD_PARTNERSHIP = f"""\
partnerships:
  - {{ref: t-montreuil, title: "Test", kind: other, parties: ["commune:93048", "ref:t-yelimane"],
     source: {SRC}}}
"""

BROKEN = {
    "yaml-syntax": (
        {"bad.yaml": "partnerships:\n  - ref: x\n   title: [unclosed\n"},
        ["bad.yaml:", "erreur de syntaxe YAML"],
    ),
    "not-a-mapping": ({"bad.yaml": "- just\n- a list\n"}, ["bad.yaml", "table de sections"]),
    "unknown-section": (
        {"bad.yaml": "partnership:\n  - {ref: x}\n"},
        ["bad.yaml", "section inconnue « partnership »"],
    ),
    "unknown-field": (
        {"bad.yaml": GOOD_AUTHORITY.replace("kind: cercle", "kind: cercle, titel: x")},
        ["bad.yaml:2", "« t-yelimane »", "champ titel", "champs permis :"],
    ),
    "missing-source": (
        {"bad.yaml": GOOD_AUTHORITY.replace(f",\n     source: {SRC}", "")},
        ["bad.yaml:2", "« t-yelimane »", "champ source", "chaque fait"],
    ),
    "unknown-document": (
        {"bad.yaml": GOOD_AUTHORITY.replace('doc: "000"', 'doc: "009"')},
        ["« t-yelimane »", "champ source.doc", "document inconnu « 009 »"],
    ),
    "lines-outside": (
        {"bad.yaml": GOOD_AUTHORITY.replace("[21, 21]", "[60, 75]")},
        ["« t-yelimane »", "champ source.lines", "hors du document 000 (lignes 1–61)"],
    ),
    "lines-reversed": (
        {"bad.yaml": GOOD_AUTHORITY.replace("[21, 21]", "[22, 21]")},
        ["champ source.lines", "inversées"],
    ),
    "bad-ref": (
        {"bad.yaml": GOOD_AUTHORITY.replace("ref: t-yelimane", "ref: T_Yelimane")},
        ["champ ref", "minuscules"],
    ),
    "unknown-ref": (
        {"a.yaml": GOOD_AUTHORITY, "b.yaml": GOOD_PARTNERSHIP.replace("ref:t-yelimane", "ref:t-nowhere")},
        ["b.yaml:2", "« t-montreuil »", "champ parties", "référence inconnue « t-nowhere »"],
    ),
    "duplicate-ref": (
        {"a.yaml": GOOD_AUTHORITY, "b.yaml": GOOD_AUTHORITY},
        ["b.yaml:2", "déjà utilisée en a.yaml:2"],
    ),
    "single-party": (
        {"a.yaml": GOOD_AUTHORITY, "b.yaml": GOOD_PARTNERSHIP.replace('"commune:93048", ', "")},
        ["« t-montreuil »", "champ parties", "au moins deux"],
    ),
    "unknown-code": (
        {"a.yaml": GOOD_AUTHORITY, "b.yaml": GOOD_PARTNERSHIP.replace("commune:93048", "commune:99999")},
        ["b.yaml:2", "« t-montreuil »", "champ parties", "code de collectivité inconnu « commune:99999 »"],
    ),
    "bad-prefix": (
        {"a.yaml": GOOD_AUTHORITY, "b.yaml": GOOD_PARTNERSHIP.replace("commune:93048", "insee:93048")},
        ["champ parties", "préfixe inconnu « insee »"],
    ),
    "foreign-state": (
        {"a.yaml": GOOD_AUTHORITY.replace("kind: cercle", "kind: state")},
        ["« t-yelimane »", "champ kind", "État étranger n'est jamais un partenaire"],
    ),
    "unknown-area": (
        {"a.yaml": GOOD_AUTHORITY.replace("ML-1", "ML-99")},
        ["« t-yelimane »", "champ area", "territoire inconnu « ML-99 »"],
    ),
    "unknown-theme": (
        {
            "a.yaml": GOOD_AUTHORITY,
            "b.yaml": GOOD_PARTNERSHIP.replace("kind: other,", "kind: other, themes: [plomberie],"),
        },
        ["« t-montreuil »", "champ themes", "thématique inconnue « plomberie »"],
    ),
    "end-before-start": (
        {
            "a.yaml": GOOD_AUTHORITY,
            "b.yaml": GOOD_PARTNERSHIP.replace(
                "kind: other,", "kind: other, start_year: 2010, end_year: 2001,"
            ),
        },
        ["« t-montreuil »", "champ end_year", "2001 est avant l'année de début 2010"],
    ),
    "bad-year": (
        {
            "a.yaml": GOOD_AUTHORITY,
            "b.yaml": GOOD_PARTNERSHIP.replace("kind: other,", "kind: other, start_year: environ 1960,"),
        },
        ["champ start_year", "n'est pas une année"],
    ),
}

PROJECT = f"""\
projects:
  - ref: t-project
    title: "Projet test"
    budget: "1000.00"
    sectors: [{{code: "23231", percentage: 60}}, {{code: "23631", percentage: 40}}]
    funding:
      - {{funder: "commune:93048", amount: "400.00"}}
    source: {SRC}
"""
BROKEN.update(
    {
        "sectors-not-100": (
            {"p.yaml": PROJECT.replace("percentage: 40", "percentage: 30")},
            ["p.yaml:2", "« t-project »", "champ sectors", "totalisent 90"],
        ),
        "amount-with-comma": (
            {"p.yaml": PROJECT.replace('"400.00"', '"400,50"')},
            ["« t-project »", "champ funding[0].amount", "n'est pas un montant"],
        ),
        "amount-negative": (
            {"p.yaml": PROJECT.replace('"400.00"', '"-400.00"')},
            ["champ funding[0].amount", "n'est pas un montant"],
        ),
        "amount-as-float": (
            {"p.yaml": PROJECT.replace('budget: "1000.00"', "budget: 1000.5")},
            ["champ budget", "entre guillemets avec 2 décimales"],
        ),
        "over-budget": (
            {"p.yaml": PROJECT.replace('"400.00"', '"1400.00"')},
            ["« t-project »", "champ budget", "plus que son budget de 1000.00"],
        ),
        "unknown-sector": (
            {"p.yaml": PROJECT.replace('"23631"', '"99999"')},
            ["champ sectors", "secteur CAD inconnu « 99999 »"],
        ),
        "unknown-funder-org": (
            {"p.yaml": PROJECT.replace('"commune:93048"', '"org:nobody"')},
            ["field funding[0].funder", "unknown ref « nobody »"],
        ),
        "inferred-without-reasoning": (
            {"bad.yaml": GOOD_AUTHORITY.replace("kind: cercle,", 'kind: cercle, inferred: {kind: "oui"},')},
            ["« t-yelimane »", "field inferred.kind", "say what the value was deduced from"],
        ),
        "inferred-not-a-mapping": (
            {"bad.yaml": GOOD_AUTHORITY.replace("kind: cercle,", "kind: cercle, inferred: [kind],")},
            ["field inferred", "why"],
        ),
        "funding-source-and-sources": (
            {
                "p.yaml": PROJECT.replace(
                    'amount: "400.00"}', f'amount: "400.00", source: {SRC}, sources: [{SRC}]}}'
                )
            },
            ["field funding[0].sources", "not both"],
        ),
    }
)


def test_a_shipped_document_that_changed_is_refused(tmp_path):
    documents = DOCUMENTS.replace("line_count: 61}", 'line_count: 62, filename: "000_a14eddde4431bf05.txt"}')
    folder = _write(tmp_path, {"a.yaml": GOOD_AUTHORITY}, documents)
    with pytest.raises(AppError) as exc:
        demo_load(data_dir=folder)
    assert "shipped file has 61 lines, not 62" in exc.value.message
    missing = DOCUMENTS.replace("line_count: 61}", 'line_count: 61, filename: "../x.txt"}')
    with pytest.raises(AppError) as exc:
        demo_load(data_dir=_write(tmp_path, {"a.yaml": GOOD_AUTHORITY}, missing))
    assert "ship the document there" in exc.value.message


def _write(tmp_path: Path, files: dict[str, str], documents: str | None = DOCUMENTS) -> Path:
    if documents is not None:
        (tmp_path / "documents.yaml").write_text(documents, encoding="utf-8")
    for name, content in files.items():
        (tmp_path / name).write_text(textwrap.dedent(content), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_files_are_refused_and_nothing_is_written(case, tmp_path):
    files, expected = BROKEN[case]
    folder = _write(tmp_path, files)
    before = _snapshot()
    with pytest.raises(AppError) as exc:
        demo_load(data_dir=folder)
    message = exc.value.message
    for part in expected:
        assert part in message, f"{case}: {part!r} not in {message!r}"
    assert "Rien n'a été chargé" in message
    assert _snapshot() == before


def test_the_good_small_files_load(tmp_path):
    """The control for the broken corpus: the same files, unbroken, load."""
    folder = _write(tmp_path, {"a.yaml": GOOD_AUTHORITY, "b.yaml": GOOD_PARTNERSHIP, "p.yaml": PROJECT})
    counts = demo_load(data_dir=folder)
    assert counts["partnerships"] == 1 and counts["projects"] == 1
    assert counts["funding_lines"] == 1
    assert Partnership.objects.get(slug="t-montreuil").parties.count() == 2


def test_all_sources_and_deduced_values_are_linked_in_order(tmp_path):
    second = '{doc: "000", lines: [15, 15], quote: "58 partenariats actifs"}'
    third = '{doc: "000", lines: [7, 7], quote: "Koutiala"}'
    partnership = GOOD_PARTNERSHIP.replace(
        f"source: {SRC}",
        f"sources: [{SRC}, {second}, {third}],\n"
        '     inferred: {status: "Déduit de la ligne 15 de la fiche du Mali."}',
    )
    project = PROJECT.replace(
        'amount: "400.00"}',
        f'amount: "400.00", sources: [{third}, '
        f'{second}], inferred: {{nature: "Le texte ne dit pas si ce '
        f'montant est versé en numéraire."}}}}',
    )
    folder = _write(tmp_path, {"a.yaml": GOOD_AUTHORITY, "b.yaml": partnership, "p.yaml": project})
    demo_load(data_dir=folder)
    record = Partnership.objects.get(slug="t-montreuil")
    sources = record_sources(record)
    assert [s["lines"] for s in sources] == ["21", "15", "7", ""]
    assert sources[-1]["type"] == "inference" and sources[-1]["field"] == "status"
    line = FundingContribution.objects.get(project__slug="t-project")
    assert [s["lines"] for s in record_sources(line)] == ["7", "15", ""]
    # A second run changes nothing; a file with fewer sources unlinks the others.
    demo_load(data_dir=folder)
    assert [s["lines"] for s in record_sources(Partnership.objects.get(pk=record.pk))] == [
        "21",
        "15",
        "7",
        "",
    ]
    demo_load(data_dir=_write(tmp_path, {"b.yaml": GOOD_PARTNERSHIP}))
    assert [s["lines"] for s in record_sources(Partnership.objects.get(pk=record.pk))] == ["21"]


def test_a_late_error_rolls_back_the_records_written_before_it(tmp_path):
    folder = _write(
        tmp_path,
        {
            "a.yaml": GOOD_AUTHORITY,
            "b.yaml": GOOD_PARTNERSHIP,
            "p.yaml": PROJECT.replace('"400.00"', '"1400.00"'),
        },
    )
    with pytest.raises(AppError):
        demo_load(data_dir=folder)
    assert not Partnership.objects.filter(slug="t-montreuil").exists()
    assert not LocalAuthority.objects.filter(slug="t-yelimane").exists()


def test_missing_documents_file_and_folder(tmp_path):
    with pytest.raises(AppError) as exc:
        demo_load(data_dir=_write(tmp_path, {"a.yaml": GOOD_AUTHORITY}, documents=None))
    assert "documents.yaml : fichier manquant" in exc.value.message
    with pytest.raises(AppError) as exc:
        demo_load(data_dir=tmp_path / "nowhere")
    assert "dossier introuvable" in exc.value.message


def test_yaml_error_names_the_line(tmp_path):
    folder = _write(tmp_path, {"bad.yaml": 'authorities:\n  - {ref: x, name: "open\n'})
    with pytest.raises(AppError) as exc:
        demo_load(data_dir=folder)
    assert re.search(r"bad\.yaml:\d+ : erreur de syntaxe YAML", exc.value.message)


def test_duplicate_key_in_a_record_is_refused(tmp_path):
    folder = _write(
        tmp_path, {"a.yaml": GOOD_AUTHORITY.replace("kind: cercle", "kind: cercle, kind: commune")}
    )
    with pytest.raises(AppError) as exc:
        demo_load(data_dir=folder)
    assert "apparaît deux fois" in exc.value.message


def test_country_profiles_of_several_files_are_merged(tmp_path):
    profile = f'country_profiles:\n  - {{country: ML, summary: "TEXT",\n     source: {SRC}}}\n'
    folder = _write(
        tmp_path,
        {"a.yaml": profile.replace("TEXT", "Premier."), "b.yaml": profile.replace("TEXT", "Second.")},
    )
    demo_load(data_dir=folder)
    from coopatlas.geo.models import CountryProfile

    assert CountryProfile.objects.get(country_id="ML").summary == "Premier.\n\nSecond."


def test_format_of_the_shipped_files_is_plain_yaml():
    """Every shipped file parses with the plain safe loader too (no custom tags)."""
    for path in DEMO_DIR.glob("*.yaml"):
        assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, dict), path
