"""Former names of French authorities (pre-2016 regions, renamed or replaced groupements)
as aliases, from geo/data/former_names.yaml: a step of `load_reference`, after geography."""

from __future__ import annotations

from django.utils.translation import gettext as _

from coopatlas.core.bulk import sync_rows
from coopatlas.core.datafiles import data_error
from coopatlas.core.errors import NotFound
from coopatlas.core.text import fold

from .models import AuthorityAlias
from .selectors import authority_get


def former_names_read(path) -> list[dict]:
    """[{successor, name, source}] from the data file; a broken file names its line."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise data_error(path, _("YAML illisible (%(exc)s)") % {"exc": exc}) from exc
    sources = data.get("sources") or {}
    out = []
    for item in data.get("aliases") or []:
        if item.get("source") not in sources:
            raise data_error(path, _("source « %(s)s » absente de sources") % {"s": item.get("source")})
        for name in item["names"]:
            out.append({"successor": item["successor"], "name": name, "source": sources[item["source"]]})
    return out


def former_names_load(*, files) -> dict[str, int]:
    path = files.geo("former_names.yaml")
    rows = []
    for item in former_names_read(path):
        try:
            authority = authority_get(key=item["successor"], field="successor")
        except NotFound as exc:
            raise data_error(path, f"{item['successor']} : {exc.message}") from exc
        rows.append(
            {
                "authority_id": authority.pk,
                "kind": AuthorityAlias.Kind.FORMER_NAME,
                "value": item["name"],
                "search_value": fold(item["name"]),
            }
        )
    result = sync_rows(
        AuthorityAlias,
        key=("authority_id", "kind", "value"),
        rows=rows,
        fields=["search_value"],
        existing_filter={"kind": AuthorityAlias.Kind.FORMER_NAME},
    )
    return {"former_names": result.total}
