"""What the documents do not state is not stated: an audit of the demo files against their quotes.

These tests read the checked YAML bundle (no database): each value that is a claim about a
real authority (a status, a partnership kind, a role, who registered a request, a figure in
words) must be backed by the words of one of the record's own quotes, or carry an
`inferred` note saying what it was deduced from (shown as « déduit » on the pages).
"""

import re

import pytest

from coopatlas.cooperation.demo.loader import DEMO_DIR, _Checker, _read

# Words that state a status (the present tense alone does not: « forme 100 éleveurs par an »).
STATUS_WORDS = {
    "active": r"en cours|\bacti(f|fs|ve|ves)\b|se poursui",
    "ongoing": r"en cours|\bacti(f|fs|ve|ves)\b|se poursui",
    "ended": r"termin|achev|clôtur|pris fin",
    "completed": r"termin|achev|clôtur|pris fin",
    "dormant": r"en sommeil|suspendu|interromp",
    "planned": r"en projet|prévu|à venir|envisag|lancera",
    "cancelled": r"abandonn|annul",
}
KIND_WORDS = {
    "twinning": r"jumel",
    "cooperation": r"convention",
    "framework": r"accord[- ]cadre",
    "friendship": r"amitié|charte|protocole",
    "intent": r"lettre d.intention",
}
LEAD_WORDS = r"chef(fe)? de file|chef-de-file|porteu(r|se)|porté par|pilot"
OPERATOR_WORDS = {
    "implementing": r"mis(e)? en (œ|oe)uvre|met(tent)? en (œ|oe)uvre|opérat|réalis|conduit|engag|"
    r"porté|install|intervient|accompagn",
    "funding": r"financ|soutien|subvention|soutenu",
    "accountable": r"responsab",
    "extending": r"ma[iî]tr(e|ise) d.ouvrage",
}
# Figures written in words: the wording stays beside the number. A qualifier before the
# figure's own digits (« plus de 80 »), or a counting word when the digits are absent
# (« une trentaine », « un million d'euros »).
QUALIFIER = re.compile(
    r"(plus de|environ|près de|quelque|au moins|moins de|jusqu.à)\s+"
    r"(\d[\d\s\u00a0\u202f.]*\d|\d)"
)
COUNT_WORDS = re.compile(
    r"\b(une? (dizaine|douzaine|quinzaine|vingtaine|trentaine|quarantaine|"
    r"cinquantaine|centaine|poignée)|d?.?un million|des milliers|"
    r"des centaines)\b"
)


def _digits(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f.]", "", text)


def _wording(quote: str, value) -> list[str]:
    """The words a figure of `value` needs beside it, read from its quote."""
    number = str(value).split(".")[0] if isinstance(value, str) else str(value)
    if isinstance(value, str) and value.endswith(".00"):
        number = value[:-3]
    found = [m.group(1) for m in QUALIFIER.finditer(quote) if _digits(m.group(2)) == number]
    if number not in _digits(quote):
        found += [m.group(0).strip(" '’d") for m in COUNT_WORDS.finditer(quote)]
    return found


@pytest.fixture(scope="module")
def bundle():
    return _Checker(_read(DEMO_DIR)).run()


def _quotes(data: dict) -> str:
    sources = data.get("sources") or [data["source"]]
    return " ".join(" ".join(s["quote"].split()) for s in sources).lower()


def _inferred(data: dict) -> dict:
    return data.get("inferred") or {}


def _records(bundle, *sections):
    for section in sections:
        yield from bundle.items[section]


def test_every_status_is_stated_by_a_quote(bundle):
    wrong = []
    for item in _records(bundle, "partnerships", "projects"):
        status = item.data.get("status") or "unknown"
        if status == "unknown" or "status" in _inferred(item.data):
            continue
        if not re.search(STATUS_WORDS[status], _quotes(item.data)):
            wrong.append(f"{item.where('status')}: « {status} » but no quote states it")
    assert not wrong, "a status stays unknown unless the text gives it:\n" + "\n".join(wrong)


def test_every_partnership_kind_is_stated_or_inferred(bundle):
    wrong = []
    for item in bundle.items["partnerships"]:
        kind = item.data["kind"]
        if kind == "other" or "kind" in _inferred(item.data):
            continue
        if not re.search(KIND_WORDS[kind], _quotes(item.data)):
            wrong.append(f"{item.where('kind')}: « {kind} » not in its quotes")
    assert not wrong, "\n".join(wrong)


def test_every_role_is_stated_or_inferred(bundle):
    wrong = []
    for item in bundle.items["projects"]:
        d, quotes = item.data, _quotes(item.data)
        leads = [p for p in d.get("participants") or [] if p.get("role") == "lead"]
        if leads and "participants" not in _inferred(d) and not re.search(LEAD_WORDS, quotes):
            wrong.append(f"{item.where('participants')}: role lead not stated")
        for o in d.get("operators") or []:
            role = o.get("role") or "implementing"
            if "operators" not in _inferred(d) and not re.search(OPERATOR_WORDS[role], quotes):
                wrong.append(f"{item.where('operators')}: {o['organisation']} « {role} » not stated")
    for item in bundle.items["partner_requests"]:
        d = item.data
        if d.get("registered_by") and "registered_by" not in _inferred(d) and "ambassade" not in _quotes(d):
            wrong.append(f"{item.where('registered_by')}: the text does not say who registered it")
    assert not wrong, "\n".join(wrong)


def test_figures_in_words_keep_their_wording(bundle):
    wrong = []
    for item in bundle.items["published_figures"]:
        for words in _wording(_quotes(item.data), item.data["value"]):
            if words not in item.data["label"].lower():
                wrong.append(f"{item.where('label')}: the quote says « {words} »")
    for item in bundle.items["projects"]:
        d = item.data
        if d.get("beneficiaries_count") is None:
            continue
        for words in _wording(_quotes(d), d["beneficiaries_count"]):
            if words not in (d.get("beneficiaries") or "").lower():
                wrong.append(f"{item.where('beneficiaries')}: the quote says « {words} »")
    assert not wrong, "\n".join(wrong)


def test_the_wording_rule_reads_qualifiers_and_words():
    assert _wording("passant d’une poignée à plus de 80", 80) == ["plus de"]
    assert _wording("une trentaine de collectivités", 30) == ["une trentaine"]
    assert _wording("un budget d’un million d’euros", "1000000.00") == ["un million"]
    assert _wording("s’est élevé à 342 405 € en 2016", "342405.00") == []


def test_every_inferred_value_carries_its_reasoning(bundle):
    inferred = [
        (item, name, why)
        for items in bundle.items.values()
        for item in items
        for name, why in _inferred(item.data).items()
    ]
    inferred += [
        (item, name, why)
        for item in bundle.items["projects"]
        for line in item.data.get("funding") or []
        for name, why in _inferred(line).items()
    ]
    assert inferred, "the demo data infers values (kinds, roles): they must be marked"
    assert all(isinstance(why, str) and len(why.split()) >= 4 for _, _, why in inferred), [
        (i.where(n), w) for i, n, w in inferred if not isinstance(w, str) or len(w.split()) < 4
    ]


def test_the_rules_cite_their_real_origin():
    """rules.yaml: the campaign window is configuration; each sourced rule's quote is in 001."""
    import yaml

    from coopatlas.cooperation.demo.loader import SOURCES_DIR

    rules = yaml.safe_load(
        (DEMO_DIR.parents[1] / "declarations" / "data" / "rules.yaml").read_text(encoding="utf-8")
    )
    about = rules["_about"]
    assert about["campaign"]["origin"] == "configuration"
    guide = next(SOURCES_DIR.glob("001_*.txt")).read_text(encoding="utf-8").splitlines()
    for name, origin in about.items():
        if origin["origin"] == "configuration":
            continue
        first, last = origin["lines"]
        text = " ".join(" ".join(guide[first - 1 : last]).split())
        assert " ".join(origin["quote"].split()) in text, name
