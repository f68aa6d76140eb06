"""PDF receipts and notification letters (fpdf2, pure Python, core fonts: no download)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import engine
from .selectors import paris

if TYPE_CHECKING:
    from fpdf import FPDF

_SUBST = str.maketrans(
    {
        "≤": "<=",
        "≥": ">=",
        "≠": "!=",
        "\u202f": " ",
        "\u00a0": " ",
        "’": "'",
        "–": "-",
        "…": "...",
        "€": "EUR",
        "œ": "oe",
        "Œ": "OE",
    }
)


def _text(value) -> str:
    # the core fonts are Latin-1: "€" and the comparison signs are spelt out
    return str(value).translate(_SUBST).encode("latin-1", "replace").decode("latin-1")


def _doc(title: str) -> FPDF:
    # imported here: fpdf2 and fontTools weigh ~5 MB in every server process, for a letter
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(_text(title))
    pdf.set_author("coopatlas")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, _text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    return pdf


def _para(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 6, _text(text), new_x="LMARGIN", new_y="NEXT")


def receipt_pdf(application, version) -> bytes:
    pdf = _doc(f"Accusé de réception - candidature n° {application.pk}")
    _para(pdf, f"Appel : {application.call.title}")
    _para(pdf, f"Projet : {application.project.title}")
    _para(pdf, f"Chef de file : {application.lead.name}")
    _para(
        pdf,
        (
            f"Déposée le {paris(version.submitted_at):%d/%m/%Y à %H:%M:%S} (heure "
            f"de Paris), version {version.number}"
        ),
    )
    _para(pdf, f"Montant demandé : {engine.euros(application.requested)}")
    pdf.ln(3)
    _para(pdf, f"Éligibilité calculée au dépôt : {version.verdict}")
    for c in version.checks:
        mark = {True: "[ok]", False: "[non]", None: "[?]"}[c["ok"]]
        _para(pdf, f"{mark} {c['reason']}")
    return bytes(pdf.output())


def letter_pdf(application) -> bytes:
    call = application.call
    pdf = _doc(f"Notification de la décision - {call.title}")
    _para(pdf, f"Destinataire : {application.lead.name}")
    _para(pdf, f"Projet : {application.project.title}")
    pdf.ln(3)
    if application.status == "granted":
        _para(
            pdf,
            (
                f"Le comité a décidé d'accorder une subvention de "
                f"{engine.euros(application.granted)} (montant demandé : "
                f"{engine.euros(application.requested)})."
            ),
        )
        _para(pdf, "Échéancier des versements :")
        for t in application.tranches.all():
            _para(pdf, f"  {t.number}. {t.year} : {engine.euros(t.amount)} - {t.get_condition_display()}")
    else:
        _para(pdf, "Le comité n'a pas retenu cette candidature.")
        _para(pdf, f"Motif : {application.decision_reason}")
    if application.decided_at:
        _para(pdf, f"Décision du {paris(application.decided_at):%d/%m/%Y}.")
    return bytes(pdf.output())
