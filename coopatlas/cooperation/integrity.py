"""`coopatlas check`: what is wrong or doubtful in the stored data, as one report.

Errors break a rule of the domain (a partnership with one party); warnings deserve a look
(an authority with no coordinates shows nowhere on the map).
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from coopatlas.geo.models import LocalAuthority

from .models import Partnership, PartnershipKind, Project


def _sample(qs, field: str = "slug", n: int = 10) -> list[str]:
    return list(qs.values_list(field, flat=True)[:n])


def _finding(level: str, code: str, message: str, qs, field: str = "slug") -> dict | None:
    count = qs.count()
    if not count:
        return None
    return {"level": level, "code": code, "message": message, "count": count, "examples": _sample(qs, field)}


def integrity_report() -> dict:
    partnerships = Partnership.objects.annotate(
        n_parties=Count("party_links", distinct=True),
        n_french=Count("party_links", filter=Q(party_links__authority__country_id="FR"), distinct=True),
        n_foreign=Count("party_links", filter=~Q(party_links__authority__country_id="FR"), distinct=True),
    )
    dc_kinds = [
        PartnershipKind.COOPERATION_AGREEMENT,
        PartnershipKind.TWINNING,
        PartnershipKind.FRAMEWORK_AGREEMENT,
    ]
    # Filter on the aggregate itself: a second join on sector_links would double the sums.
    sector_sums = (
        Project.objects.annotate(total=Sum("sector_links__percentage"))
        .filter(total__isnull=False)
        .exclude(total=100)
    )
    checks = [
        _finding(
            "error",
            "partnership_parties",
            _("Partenariats de moins de 2 parties : ajoutez le partenaire manquant."),
            partnerships.filter(n_parties__lt=2),
        ),
        _finding(
            "error",
            "partnership_no_foreign_party",
            _("Partenariats de coopération décentralisée sans collectivité étrangère."),
            partnerships.filter(kind__in=dc_kinds, n_parties__gte=2, n_foreign=0),
        ),
        _finding(
            "error",
            "partnership_no_french_party",
            _("Partenariats sans collectivité française."),
            partnerships.filter(n_parties__gte=2, n_french=0),
        ),
        _finding(
            "error",
            "project_sector_percentages",
            _("Projets dont les pourcentages de secteurs CAD ne totalisent pas 100."),
            sector_sums,
        ),
        _finding(
            "error",
            "partner_in_unrecognised_country",
            _("Collectivités d'un pays que la France ne reconnaît pas (001 : 1074–1083)."),
            LocalAuthority.objects.filter(country__is_recognised=False),
        ),
        _finding(
            "warning",
            "project_without_authority",
            _("Projets sans aucune collectivité participante."),
            Project.objects.filter(participants__isnull=True),
        ),
        _finding(
            "warning",
            "foreign_authority_unsourced",
            _("Collectivités étrangères saisies sans source."),
            LocalAuthority.objects.exclude(country_id="FR").filter(source__isnull=True, is_synthetic=False),
        ),
        _finding(
            "warning",
            "authority_no_coordinates",
            _("Collectivités d'un partenariat sans coordonnées (absentes de la carte)."),
            LocalAuthority.objects.filter(latitude__isnull=True, party_links__isnull=False).distinct(),
        ),
    ]
    findings = [c for c in checks if c]
    return {
        "ok": not any(f["level"] == "error" for f in findings),
        "counts": {
            "partnerships": Partnership.objects.count(),
            "projects": Project.objects.count(),
            "authorities": LocalAuthority.objects.count(),
        },
        "findings": findings,
    }
