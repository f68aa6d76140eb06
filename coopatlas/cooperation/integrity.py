"""`coopatlas check`: what is wrong or doubtful in the stored data, as one report.

Errors break a rule of the domain (a partnership with one party); warnings deserve a look
(an authority with no coordinates shows nowhere on the map).
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from coopatlas.geo.models import LocalAuthority

from .models import Partnership, PartnershipKind, Project


def _sample(qs, field: str = "slug", n: int = 10) -> list[str]:
    return list(qs.values_list(field, flat=True)[:n])


def _finding(level: str, code: str, message: str, qs, field: str = "slug") -> dict | None:
    count = qs.count()
    if not count:
        return None
    return {"level": level, "code": code, "message": message, "count": count,
            "examples": _sample(qs, field)}


def integrity_report() -> dict:
    partnerships = Partnership.objects.annotate(
        n_parties=Count("party_links", distinct=True),
        n_french=Count("party_links", filter=Q(party_links__authority__country_id="FR"),
                       distinct=True),
        n_foreign=Count("party_links", filter=~Q(party_links__authority__country_id="FR"),
                        distinct=True),
    )
    dc_kinds = [PartnershipKind.COOPERATION_AGREEMENT, PartnershipKind.TWINNING,
                PartnershipKind.FRAMEWORK_AGREEMENT]
    # Filter on the aggregate itself: a second join on sector_links would double the sums.
    sector_sums = Project.objects.annotate(total=Sum("sector_links__percentage")).filter(
        total__isnull=False).exclude(total=100)
    checks = [
        _finding("error", "partnership_parties",
                 "Partnerships with fewer than 2 parties: add the missing partner.",
                 partnerships.filter(n_parties__lt=2)),
        _finding("error", "partnership_no_foreign_party",
                 "Decentralised-cooperation partnerships without a foreign local authority.",
                 partnerships.filter(kind__in=dc_kinds, n_parties__gte=2, n_foreign=0)),
        _finding("error", "partnership_no_french_party",
                 "Partnerships without a French local authority.",
                 partnerships.filter(n_parties__gte=2, n_french=0)),
        _finding("error", "project_sector_percentages",
                 "Projects whose DAC sector percentages do not add up to 100.", sector_sums),
        _finding("error", "partner_in_unrecognised_country",
                 "Authorities in a country France does not recognise (001: 1074–1083).",
                 LocalAuthority.objects.filter(country__is_recognised=False)),
        _finding("warning", "project_without_authority",
                 "Projects with no local authority taking part.",
                 Project.objects.filter(participants__isnull=True)),
        _finding("warning", "foreign_authority_unsourced",
                 "Foreign authorities entered without a source.",
                 LocalAuthority.objects.exclude(country_id="FR").filter(
                     source__isnull=True, is_synthetic=False)),
        _finding("warning", "authority_no_coordinates",
                 "Authorities in a partnership with no coordinates (not on the map).",
                 LocalAuthority.objects.filter(latitude__isnull=True,
                                               party_links__isnull=False).distinct()),
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
