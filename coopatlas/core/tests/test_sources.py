"""Every fact with all its sources, and each source document's page with its cited lines.

Read-only tests use the session database (reference + demo data, conftest); write tests run
in a rolled-back transaction.
"""

import json
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coopatlas.cooperation import selectors as coop
from coopatlas.cooperation.demo.loader import SOURCES_DIR
from coopatlas.cooperation.models import Partnership, Project
from coopatlas.core.errors import AppError, NotFound
from coopatlas.core.models import Change, Citation, Inference, Source, SourceDocument
from coopatlas.core.selectors import (
    DECLARATION_KEY,
    PAGE_LINES,
    record_sources,
    source_document_detail,
    sources_for,
)
from coopatlas.core.services import record_citations_set, record_inferences_set
from coopatlas.core.testing import data_reads

pytestmark = pytest.mark.django_db


def _norm(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- several sources


def test_the_demo_links_every_cited_passage_to_its_record():
    # 41 demo records cited 2–7 passages but showed one (issue 8): all are linked now.
    cited = Citation.objects.values("content_type", "object_id").distinct().count()
    assert cited >= 41
    partnership = Partnership.objects.get(slug="ille-et-vilaine-mopti")
    sources = record_sources(partnership)
    assert [(s["document"]["key"], s["lines"]) for s in sources if s["type"] == "citation"] == [
        ("003", "3"),
        ("000", "23"),
        ("004", "13"),
        ("003", "20"),
        ("004", "23"),
    ]
    assert sources[0]["quote"] == _norm(partnership.source.quote)  # the record's own first


def test_pages_json_and_csv_show_all_the_sources(client):
    detail = coop.partnership_detail(slug="ille-et-vilaine-mopti")
    assert len([s for s in detail["sources"] if s["type"] == "citation"]) == 5
    page = client.get(reverse("atlas:partnership", kwargs={"slug": "ille-et-vilaine-mopti"}))
    html = page.content.decode()
    for link in (
        "/sources/003/?lines=3#L3",
        "/sources/000/?lines=23#L23",
        "/sources/004/?lines=13#L13",
        "/sources/004/?lines=23#L23",
    ):
        assert f'href="{link}"' in html
    as_json = client.get(
        reverse("atlas:partnership", kwargs={"slug": "ille-et-vilaine-mopti"}), {"format": "json"}
    ).json()
    assert [s["html_url"] for s in as_json["sources"]][:2] == [
        "/sources/003/?lines=3#L3",
        "/sources/000/?lines=23#L23",
    ]
    response = client.get(reverse("atlas:partnership_list"), {"format": "csv", "q": "Ille-et-Vilaine Mopti"})
    csv = b"".join(response.streaming_content).decode("utf-8-sig")
    row = next(r for r in csv.splitlines() if "Ille-et-Vilaine – Région de Mopti" in r)
    assert row.count("lignes") >= 5  # « 003 lignes 3 | 000 lignes 23 | … » in one cell


def test_financing_lines_show_their_own_sources(client):
    detail = coop.project_detail(slug="solsomati")
    lines = {f["funder"]["name"]: f["sources"] for f in detail["funding"]}
    assert all(s[0]["document"]["key"] == "003" and s[0]["lines"] == "17" for s in lines.values())
    html = client.get(reverse("atlas:project", kwargs={"slug": "solsomati"})).content.decode()
    table = html[
        html.index("Plan de financement") : html.index("</table>", html.index("Plan de financement"))
    ]
    assert table.count('href="/sources/003/?lines=17#L17"') == 2


def test_sources_of_a_page_of_records_take_constant_queries():
    def queries(n: int) -> int:
        records = list(Partnership.objects.select_related("source__document")[:n])
        assert len(records) == n
        with CaptureQueriesContext(connection) as ctx:
            sources_for(records)
            for r in records:
                record_sources(r)
        return len(ctx.captured_queries)

    assert queries(3) == queries(15) <= 2


def test_list_pages_do_not_query_per_record(django_assert_max_num_queries):
    from django.core.cache import cache

    from coopatlas.cooperation.filters import filters_from_params
    from coopatlas.core import freshness, memo

    def cold():
        # the facets are cached under the data stamp (core/freshness.py), in the shared cache
        # and in this process's copy; the reference tables per stamp too (core/memo.py)
        cache.clear()
        freshness.local_pages_clear()
        memo.clear()

    cold()
    with CaptureQueriesContext(connection) as few:
        coop.partnership_list(filters=filters_from_params({"page_size": "5"}))
    cold()
    with CaptureQueriesContext(connection) as many:
        coop.partnership_list(filters=filters_from_params({"page_size": "40"}))
    assert data_reads(many) == data_reads(few)  # the shared cache's statements aside


def test_citations_keep_their_order_skip_the_main_source_and_go_with_the_record():
    partnership = Partnership.objects.get(slug="koutiala-alencon")
    doc = SourceDocument.objects.get(key="000")
    a = Source.objects.create(document=doc, line_start=1, line_end=1, quote="Coopération")
    b = Source.objects.create(document=doc, line_start=3, line_end=3, quote="Mali")
    record_citations_set(record=partnership, sources=[b, partnership.source, a, b])
    assert [s["lines"] for s in record_sources(Partnership.objects.get(pk=partnership.pk))] == ["7", "3", "1"]
    ct = ContentType.objects.get_for_model(Partnership)
    Partnership.objects.filter(pk=partnership.pk).delete()
    assert not Citation.objects.filter(content_type=ct, object_id=partnership.pk).exists()


def test_an_inference_needs_its_reasoning():
    project = Project.objects.get(slug="trezor")
    with pytest.raises(AppError) as err:
        record_inferences_set(record=project, inferences={"kind": "  "})
    assert err.value.field == "inferred"


# --------------------------------------------------------------------------- nothing inferred shown as stated


def test_inferred_values_show_as_deduced_with_their_reasoning(client):
    project = Project.objects.get(slug="trezor")
    assert Inference.objects.filter(
        content_type=ContentType.objects.get_for_model(Project), object_id=project.pk, field="participants"
    ).exists()
    html = client.get(reverse("atlas:project", kwargs={"slug": "trezor"})).content.decode()
    assert "déduit" in html and "le texte ne dit pas « chef de file »" in html


def test_a_status_the_texts_do_not_give_stays_unknown():
    assert Project.objects.get(slug="ille-et-vilaine-mopti-filiere-laitiere").status == "unknown"
    assert Partnership.objects.get(slug="ille-et-vilaine-sibiu").status == "unknown"
    assert Partnership.objects.get(slug="ille-et-vilaine-sibiu").kind == "other"


def test_user_entered_facts_show_who_declared_them_and_when():
    from coopatlas.accounts.models import Membership, User
    from coopatlas.cooperation.editing import declared_source
    from coopatlas.core.history import change_record

    partnership = Partnership.objects.get(slug="koutiala-alencon")
    partnership.source = declared_source()
    partnership.save(update_fields=["source"])
    french = partnership.parties.get(country_id="FR")
    user = User.objects.create_user(email="redactrice@example.org", password="x" * 12)
    Membership.objects.create(user=user, role="editor").authorities.add(french)
    change = change_record(record=partnership, action=Change.Action.CREATE, user=user, before={}, after={})
    main = record_sources(Partnership.objects.select_related("source__document").get(pk=partnership.pk))[0]
    assert main["type"] == "declaration"
    assert main["declared_by"] == french.name and main["declared_on"] == change.at.date().isoformat()
    assert "redactrice" not in json.dumps(main)  # the authority, never the person
    assert SourceDocument.objects.get(key=DECLARATION_KEY).key == DECLARATION_KEY


# --------------------------------------------------------------------------- shipped documents


def test_every_cited_document_is_shipped_and_loaded_with_its_text():
    for doc in SourceDocument.objects.filter(key__in=["000", "001", "002", "003", "004"]):
        shipped = next(SOURCES_DIR.glob(f"{doc.key}_*.txt")).read_text(encoding="utf-8")
        assert doc.source_text.text == shipped and doc.line_count == len(shipped.splitlines())
    assert (SOURCES_DIR / "SOURCES.md").read_text(encoding="utf-8").count("unknown") >= 3


def test_every_demo_source_link_lands_on_its_quote():
    """Every « document 003, lignes 17 » of the demo, followed to the highlighted lines."""
    wrong = []
    sources = Source.objects.filter(document__key__in=["000", "001", "002", "003", "004"])
    assert sources.count() > 300
    for s in sources.select_related("document"):
        lines = f"{s.line_start}-{s.line_end}"
        data = source_document_detail(key=s.document.key, lines=lines)
        cited = _norm(" ".join(r["text"] for r in data["rows"] if r["cited"]))
        if _norm(s.quote) not in cited:
            wrong.append(f"{s.document.key} {lines}: {s.quote[:60]}")
    assert not wrong, wrong


# --------------------------------------------------------------------------- the document page


def test_the_page_highlights_the_cited_lines_and_stays_light(client):
    response = client.get(reverse("core:source_document", kwargs={"key": "001"}), {"lines": "4816-4818"})
    assert response.status_code == 200
    html = response.content.decode()
    for n in (4816, 4817, 4818):
        assert f'<li id="L{n}" value="{n}" class="source-text__cited">' in html
    assert '<li id="L4815" value="4815">' in html and 'id="L4819"' in html
    assert 'id="L1"' not in html and 'id="L9000"' not in html
    assert len(response.content) < 60_000  # the guide is 400 KB
    assert "<style" not in html and ' style="' not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # strict CSP: no inline script


def test_sources_joined_to_their_document_do_not_carry_its_text():
    # Every page joins sources to documents: the 400 KB guide must stay out of those rows.
    with CaptureQueriesContext(connection) as ctx:
        list(Source.objects.select_related("document")[:5])
    assert '"text"' not in ctx.captured_queries[0]["sql"]


def test_the_page_without_lines_is_paginated(client):
    url = reverse("core:source_document", kwargs={"key": "001"})
    first = client.get(url).content.decode()
    assert 'id="L1"' in first and f'id="L{PAGE_LINES}"' in first
    assert f'id="L{PAGE_LINES + 1}"' not in first and "?page=2" in first
    last = source_document_detail(key="001", page="50")
    assert last["rows"][-1]["number"] == last["line_count"] and last["next_url"] is None


def test_the_page_has_a_json_twin(client):
    data = client.get(
        reverse("core:source_document", kwargs={"key": "003"}), {"lines": "17", "format": "json"}
    ).json()
    assert data["lines"] == {"start": 17, "end": 17}
    assert [r["number"] for r in data["rows"] if r["cited"]] == [17]
    assert "SOLSOMATI" in next(r["text"] for r in data["rows"] if r["cited"])


@pytest.mark.parametrize(
    "lines", ["abc", "²", "١٧", "0", "5-3", "99999", "1-2-3", "1e3", "17-", "-17", "9" * 40, "17\x00"]
)
def test_bad_line_ranges_answer_422_with_a_message(client, lines):
    # 422 like every bad parameter (the one error boundary); NUL is refused by the boundary
    # itself, before the view.
    url = reverse("core:source_document", kwargs={"key": "003"})
    response = client.get(url, {"lines": lines})
    assert response.status_code == 422
    assert "lines" in response.content.decode()
    as_json = client.get(url, {"lines": lines, "format": "json"})
    assert as_json.status_code == 422 and "lines" in as_json.json()["errors"]


@pytest.mark.parametrize("page", ["0", "x", "²", "100000"])
def test_bad_pages_answer_422(client, page):
    response = client.get(reverse("core:source_document", kwargs={"key": "001"}), {"page": page})
    assert response.status_code == 422


def test_an_unknown_document_is_a_404(client):
    response = client.get(reverse("core:source_document", kwargs={"key": "999"}))
    assert response.status_code == 404
    with pytest.raises(NotFound):
        source_document_detail(key="x" * 500)


def test_the_list_of_documents_links_each_page(client):
    html = client.get(reverse("core:source_documents")).content.decode()
    for key in ("000", "001", "002", "003", "004"):
        assert f'href="/sources/{key}/"' in html


def test_the_api_gives_every_source_too(client):
    record = client.get(reverse("api:partnership_detail", kwargs={"slug": "ille-et-vilaine-mopti"})).json()
    assert [s["lines"] for s in record["sources"] if s["type"] == "citation"] == ["3", "23", "13", "20", "23"]
    assert [s["field"] for s in record["sources"] if s["type"] == "inference"] == ["kind"]
    project = client.get(reverse("api:project_detail", kwargs={"slug": "trezor"})).json()
    inferred = [s for s in project["sources"] if s["type"] == "inference"]
    assert inferred and inferred[0]["field"] == "participants" and inferred[0]["reasoning"]


def test_citations_by_key_and_range_become_links_too():
    from coopatlas.core.templatetags.sources import lines_url

    assert lines_url("001", "1088-1101") == "/sources/001/?lines=1088-1101#L1088"
    assert lines_url("001", "17") == "/sources/001/?lines=17#L17"
    assert lines_url("001", "abc") == "/sources/001/"
    assert lines_url("../x", "1") == "" and lines_url(None, "1") == ""
