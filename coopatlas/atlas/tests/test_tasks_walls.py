"""Walls met while following the four users' tasks of issue 13 (test_browser_tasks.py),
each pinned here by a fast test that failed before its fix."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse


def test_project_csv_names_partner_regions_not_their_codes():
    """The journalist's CSV of Mali's projects read « ML-5 » in « Région partenaire »: the
    region names were looked up for a partnership's parties only, not a project's participants."""
    from coopatlas.core.export import people_csv_stream

    rows = [
        {
            "title": "Registres d'état civil",
            "participants": [
                {"name": "Ille-et-Vilaine", "country": "FR"},
                {"name": "Région de Mopti", "country": "ML", "country_name": "Mali", "area": "ML-5"},
            ],
        }
    ]
    text = "".join(
        people_csv_stream(
            rows, absolute=lambda path: path, area_names=lambda codes: {c: "Mopti" for c in codes}
        )
    )
    row = next(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert row["Région partenaire"] == "Mopti", row
    assert row["Pays partenaire"] == "Mali", row


@pytest.mark.django_db
def test_every_page_links_to_the_declarations_and_national_reports(client):
    """The journalist could not reach the national report: no link led to /declarations/."""
    html = client.get(reverse("atlas:home")).content.decode()
    nav = html[html.index('id="navigation"') :]
    assert f'href="{reverse("declarations:index")}"' in nav[: nav.index("</nav>")]


@pytest.mark.django_db
def test_french_authority_fiche_links_to_its_public_declarations(client):
    """The elected official found no way from the fiche to the public part of the yearly
    declaration: only the authority's own signed-in officers had a link."""
    html = client.get(reverse("atlas:authority", kwargs={"slug": "montreuil-93048"})).content.decode()
    assert reverse("declarations:authority", kwargs={"slug": "montreuil-93048"}) in html
    foreign = client.get(reverse("atlas:authority", kwargs={"slug": "ml-region-mopti"})).content.decode()
    assert "/declarations/collectivite/" not in foreign  # only French authorities declare


@pytest.mark.django_db
def test_country_suggestions_are_headed_countries_in_english():
    """« Pays » as a group heading read « Country » in English, beside « French local
    authorities »: the heading is the navigation's plural."""
    from django.utils import translation

    from coopatlas.cooperation.selectors.search import SUGGEST_GROUPS

    with translation.override("en"):
        assert str(SUGGEST_GROUPS["country"]) == "Countries"
    with translation.override("fr"):
        assert str(SUGGEST_GROUPS["country"]) == "Pays"


@pytest.mark.django_db
def test_saved_project_opens_with_names_in_the_picker_rows():
    """The officer editing a published project saw « ille-et-vilaine-mopti » and « 15112 »
    in the rows of the pickers: the saved lines carried the code alone, the rows show what
    follows « — »."""
    from coopatlas.cooperation.models import Project
    from coopatlas.editor import resolve
    from coopatlas.editor.forms import ProjectForm

    project = Project.objects.get(slug="ille-et-vilaine-mopti-sig")
    initial = ProjectForm.initial_from(project)
    assert initial["partnerships"] == "ille-et-vilaine-mopti — Ille-et-Vilaine – Région de Mopti"
    sector = project.sector_links.get().sector
    assert initial["sectors"] == f"{sector.code} — {sector.code} {sector.name} ; 100"
    # the lines read back to the same records
    assert resolve.partnerships(initial["partnerships"]) == list(project.partnerships.all())
    assert [s.code for s, _pct in resolve.sectors(initial["sectors"])] == [sector.code]


def test_document_form_ids_differ_from_the_record_form_beside_it():
    """The project's page held two « id_title »: the document's title and the record's; the
    label « Titre du document » and the error summary's « #id_title » met the wrong field."""
    from coopatlas.editor.forms import DocumentUploadForm

    html = str(DocumentUploadForm())
    assert 'id="id_title"' not in html and 'id="id_file"' not in html
    assert 'name="title"' in html and 'name="file"' in html  # what the view reads is unchanged


def test_pending_change_names_fields_as_the_form_does():
    """« Champs modifiés : start_year, places, sector_links » was what the officer read after
    saving a published project: the stored keys, not the form's words."""
    from django.utils import translation

    from coopatlas.editor.specs import changed_labels

    with translation.override("fr"):
        labels = changed_labels("projets", ["start_year", "places", "sector_links", "publication_status"])
    assert labels == ["Année de début", "Lieux", "Secteurs d'intervention (OCDE)"], labels


@pytest.mark.django_db
def test_project_form_lists_a_picker_field_error_with_the_others():
    """Without JavaScript the officer emptied the title and wrote a sector in words: the
    summary showed the title alone, and the sector's error only after the title was fixed."""
    from coopatlas.editor.forms import ProjectForm
    from coopatlas.geo.models import LocalAuthority

    before = LocalAuthority.objects.count()
    form = ProjectForm(
        data={
            "title": "",
            "status": "unknown",
            "currency": "EUR",
            "sectors": "eau potable ; 100",
            "participants": "gaz:iso:ML-5",  # a gazetteer entry: read, not kept
        }
    )
    assert not form.is_valid() and "title" in form.errors and "sectors" not in form.errors
    form.add_resolver_errors()
    assert "title" in form.errors and "sectors" in form.errors, form.errors
    assert "eau potable" in " ".join(form.errors["sectors"])
    assert LocalAuthority.objects.count() == before


def test_reduced_dsfr_css_keeps_the_states_the_dsfr_script_sets():
    """On the phone the header's menu and search opened invisible (visibility: hidden): the
    reduced DSFR CSS had dropped `.fr-modal--opened`, a class only the DSFR script writes."""
    from pathlib import Path

    css = (Path(__file__).resolve().parents[1] / "static" / "atlas" / "dsfr" / "dsfr.atlas.css").read_text()
    assert ".fr-modal--opened{height:100%;opacity:1" in css
    assert ".fr-collapse--expanded{overflow" in css  # the breadcrumb's and the menus' collapses


def test_review_queue_names_changed_fields_as_the_form_does():
    """The reviewer's « what changed » table read « start year » in the French interface (the
    model's default names): it uses the form's words too."""
    from django.utils import translation

    from coopatlas.cooperation.models import Project
    from coopatlas.editor.selectors import _changed_rows

    with translation.override("fr"):
        rows = _changed_rows(Project, {"start_year": 2016, "budget": 1}, {"start_year": 2017, "budget": 1})
    assert [r["field"] for r in rows] == ["Année de début"], rows


def test_a_word_typed_starts_a_word_of_what_is_suggested(db):
    """« mali » offers Mali, not Somalie nor a region whose Arabic name holds « shamali »."""
    from coopatlas.cooperation.selectors.search import _suggest
    from coopatlas.cooperation.tests.factories import AreaFactory, CountryFactory

    mali = CountryFactory(iso2="QM", name_fr="Pays Mali fictif", name_en="Fictional Mali")
    CountryFactory(iso2="QS", name_fr="Somalie fictive", name_en="Fictional Somalia")
    north = AreaFactory(country=mali, code="QM-N", name="Nord Ash Shamaliyah")
    south = AreaFactory(country=mali, code="QM-S", name="Mali du Sud")
    got = _suggest(["mali"], 20)
    labels = [r["label"] for r in got]
    assert "Pays Mali fictif" in labels and "Somalie fictive" not in labels
    assert any(r.get("code") == south.code for r in got)
    assert not any(r.get("code") == north.code for r in got), labels
