"""Rule-set files: the shipped ones load; a broken or self-contradicting one is refused
with a message naming the key and the fix."""

import pytest
import yaml

from coopatlas.calls.rules import DATA_DIR, ruleset_files, ruleset_parse, ruleset_validate
from coopatlas.core.errors import AppError

BASE = yaml.safe_load((DATA_DIR / "daect-generaliste-2025-exemple.yaml").read_text())


def test_shipped_rulesets_load_with_their_origin_and_source():
    files = {p.name: yaml.safe_load(p.read_text()) for p in ruleset_files()}
    assert {
        "daect-generaliste-2020.yaml",
        "daect-generaliste-2025-exemple.yaml",
        "afd-ficol.yaml",
        "un-pour-cent.yaml",
    } <= set(files)
    for data in files.values():
        rules = ruleset_validate(data)
        assert rules["origin"] in ("document", "example")
        assert rules["source"]
    r2020 = ruleset_validate(files["daect-generaliste-2020.yaml"])
    assert r2020["origin"] == "document" and "1358-1366" in r2020["source"] + str(
        files["daect-generaliste-2020.yaml"]["ministry_share"]
    )
    assert r2020["ministry_share"]["caps_by_category"] == {
        "not_eligible": "30.00",
        "oda_eligible": "50.00",
        "cicid_priority": "70.00",
    }
    assert ruleset_validate(files["daect-generaliste-2025-exemple.yaml"])["origin"] == "example"


def changed(path: str, value):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    *parents, last = path.split(".")
    node = data
    for p in parents:
        node = node.setdefault(p, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    "data, field, words",
    [
        (
            changed("grant.min", 500000),
            "grant.min",
            "le minimum (500\u202f000\u00a0€) dépasse le maximum (400\u202f000\u00a0€)",
        ),
        (changed("ministry_share.flat_rate", 60), "ministry_share.flat_rate", "se contredisent"),
        (
            changed("ministry_share.caps_by_category.oda_eligible", 150),
            "ministry_share.caps_by_category.oda_eligible",
            "dépasse 100 %",
        ),
        (
            changed("ministry_share.caps_by_category.nowhere", 10),
            "ministry_share.caps_by_category",
            "catégorie « nowhere » inconnue",
        ),
        (changed("authorities.min_share", None), "authorities.in_kind_max_of_share", "demande cette part"),
        (changed("authorities.min_share", 100), "authorities.min_share", "aucune part au ministère"),
        (
            changed(
                "grid.criteria",
                [{"key": "a", "label": "A", "weight": 60}, {"key": "b", "label": "B", "weight": 30}],
            ),
            "grid.criteria",
            "les poids font 90 au lieu de 100",
        ),
        (
            changed(
                "grid.criteria",
                [{"key": "a", "label": "A", "weight": 50}, {"key": "a", "label": "A2", "weight": 50}],
            ),
            "grid.criteria[1]",
            "apparaît deux fois",
        ),
        (changed("grid.scale", {"min": 5, "max": 5}), "grid.scale", "min < max"),
        (
            changed("required_documents", ["deliberation", "passport"]),
            "required_documents",
            "« passport » inconnu",
        ),
        (changed("grant.max", "beaucoup"), "grant.max", "n'est pas un nombre"),
        (changed("source", None), "source", "citez d'où viennent ces règles"),
        (changed("colour", "blue"), "colour", "clé inconnue"),
    ],
)
def test_bad_or_contradictory_rulesets_are_refused(data, field, words):
    with pytest.raises(AppError) as exc:
        ruleset_validate(data)
    assert exc.value.field == field
    assert exc.value.message.startswith(f"{field} : ")
    assert words in exc.value.message


def test_unreadable_yaml_names_the_line():
    with pytest.raises(AppError) as exc:
        ruleset_parse("key: a\ntitle: [unclosed\n", name="mes-regles.yaml")
    assert "mes-regles.yaml : YAML/JSON illisible (ligne" in exc.value.message


def test_json_is_accepted():
    import json

    assert ruleset_parse(json.dumps(BASE))["ministry_share"]["multi_country_rate"] == "60.00"
