"""Reads of the yearly aid declaration: the national report, an authority's declarations,
a declaration with its lines, the campaign's who-has-declared, the country fiche's figures.

Every figure is a SQL aggregate (GROUP BY) over the counted lines, in whole cents; Python
only renames and ranks the few grouped rows. Amounts leave as decimal strings ("1234.56").
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError, NotFound
from coopatlas.core.freshness import read_once
from coopatlas.core.parse import parse_int

from . import access
from .models import (
    MARKER_KEYS,
    Campaign,
    Declaration,
    DeclarationLine,
    DeclarationVersion,
    LineType,
    MarkerRule,
    RecipientRegion,
    RuleSet,
    State,
)


def cents_str(cents: int | None) -> str:
    cents = int(cents or 0)
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def share_str(part: int, whole: int) -> str | None:
    """A fraction with 4 decimals ("0.4800" is 48 %), None when the whole is zero."""
    if not whole:
        return None
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_EVEN))


def year_param(value) -> int:
    """`year` from a query string, or AppError naming it."""
    text = str(value if value is not None else "").strip()
    try:
        return parse_int(text, field="year", minimum=1990, maximum=2100)
    except AppError as exc:
        years = ", ".join(str(y) for y in RuleSet.objects.values_list("year", flat=True))
        raise AppError(
            _("year : donnez une année sur quatre chiffres (%(value)s), pas « %(text)s ».")
            % {"value": years or _("aucune chargée"), "text": text[:10]},
            field="year",
        ) from exc


def counted_lines(*, year: int, authority=None) -> QuerySet:
    """Lines of the validated version each declaration counts (see models)."""
    qs = DeclarationLine.objects.filter(counted_year=year)
    if authority is not None:
        qs = qs.filter(version__declaration__authority=authority)
    return qs


def _rows(qs: QuerySet, key: str, names=None, whole: int = 0, *, label_map=None) -> list[dict]:
    """Sums grouped by `key` alone; labels come from `names` (a model, fetched for the few
    codes found) or `label_map`. Grouping by the joined label instead costs a join per line."""
    rows = list(qs.values(key).annotate(c=Sum("amount_cents"), n=Count("id")).order_by("-c", key))
    if names is not None:
        label_map = dict(
            names.objects.filter(pk__in=[r[key] for r in rows if r[key]]).values_list("pk", "name_fr")
        )
    out = []
    for row in rows:
        code = row[key]
        out.append(
            {
                "code": code,
                "label": (label_map or {}).get(code, code) or "Non renseigné",
                "amount": cents_str(row["c"]),
                "cents": row["c"],
                "lines": row["n"],
                "share": share_str(row["c"], whole),
            }
        )
    return out


def _french_regions(qs: QuerySet, whole: int) -> list[dict]:
    """A commune's area is its département (level 2), whose parent is the région; a région's
    (or an overseas département-région's) area is itself (level 1)."""
    from coopatlas.geo.models import AdministrativeArea

    a = "version__declaration__authority__area"
    grouped = (
        qs.values(f"{a}_id", f"{a}__level", f"{a}__parent_id")
        .annotate(c=Sum("amount_cents"), n=Count("id"))
        .order_by()
    )
    totals: dict[int | None, list[int]] = {}
    for row in grouped:
        region = row[f"{a}_id"] if row[f"{a}__level"] == 1 else row[f"{a}__parent_id"]
        acc = totals.setdefault(region, [0, 0])
        acc[0] += row["c"]
        acc[1] += row["n"]
    names = dict(AdministrativeArea.objects.filter(pk__in=[k for k in totals if k]).values_list("pk", "name"))
    codes = dict(AdministrativeArea.objects.filter(pk__in=[k for k in totals if k]).values_list("pk", "code"))
    rows = [
        {
            "code": codes.get(k),
            "label": names.get(k, "Non localisée"),
            "amount": cents_str(c),
            "cents": c,
            "lines": n,
            "share": share_str(c, whole),
        }
        for k, (c, n) in totals.items()
    ]
    return sorted(rows, key=lambda r: (-r["cents"], r["label"]))


def _typed_rows(rows: list[dict], types: dict, whole: int) -> list[dict]:
    merged: dict[str, list[int]] = {}
    for r in rows:
        acc = merged.setdefault(r["line_type"], [0, 0])
        acc[0] += r["c"]
        acc[1] += r["n"]
    out = [
        {
            "code": code,
            "label": types[code].name_fr if code in types else code,
            "amount": cents_str(c),
            "cents": c,
            "lines": n,
            "share": share_str(c, whole),
        }
        for code, (c, n) in merged.items()
    ]
    return sorted(out, key=lambda r: (-r["cents"], r["code"]))


def report(*, year: int, authority=None) -> dict:
    """The national report for a year (or one authority's, with `authority`)."""
    from coopatlas.geo.models import AuthorityKind, Country
    from coopatlas.reference.models import Channel, Sector

    ruleset = RuleSet.objects.filter(year=year).first()
    if ruleset is None:
        year_param("x")  # raises with the list of known years
    types = {t.code: t for t in LineType.objects.filter(ruleset=ruleset)}
    bilateral = [c for c, t in types.items() if t.bilateral]
    lines = counted_lines(year=year, authority=authority)
    oda = lines.filter(counts_as_oda=True)
    marker_sums = {k: Sum("amount_cents", filter=Q(**{f"marker_{k}__gte": 1})) for k in MARKER_KEYS}
    marker_principal = {f"{k}_2": Sum("amount_cents", filter=Q(**{f"marker_{k}": 2})) for k in MARKER_KEYS}
    # One GROUP BY gives the totals, the types and the reasons lines are not counted.
    typed = list(
        lines.values("line_type", "counts_as_oda", "not_oda_reason")
        .annotate(c=Sum("amount_cents"), n=Count("id"))
        .order_by()
    )
    oda_typed = [r for r in typed if r["counts_as_oda"]]
    total = sum(r["c"] for r in oda_typed)
    agg = {
        "total": total,
        "n": sum(r["n"] for r in oda_typed),
        "bilateral": sum(r["c"] for r in oda_typed if r["line_type"] in bilateral),
        "refugees": sum(r["c"] for r in oda_typed if r["line_type"] == "refugees"),
        "awareness": sum(r["c"] for r in oda_typed if r["line_type"] == "awareness"),
    }
    agg.update({k: v or 0 for k, v in oda.aggregate(**marker_sums, **marker_principal).items()})
    bil_ex = agg["bilateral"] - agg["refugees"]
    declarants = DeclarationVersion.objects.filter(is_counted=True, declaration__year=year)
    pending = DeclarationVersion.objects.filter(state=State.SUBMITTED, declaration__year=year)
    if authority is not None:
        declarants = declarants.filter(declaration__authority=authority)
        pending = pending.filter(declaration__authority=authority)
    decl = declarants.aggregate(n=Count("id"), nothing=Count("id", filter=Q(nothing_to_declare=True)))
    pending_cents = (
        DeclarationLine.objects.filter(version__in=pending).aggregate(c=Sum("amount_cents"))["c"] or 0
    )
    previous = (
        counted_lines(year=year - 1, authority=authority)
        .filter(counts_as_oda=True)
        .aggregate(c=Sum("amount_cents"))["c"]
    )

    bilateral_geo = oda.filter(line_type__in=[c for c in bilateral if c != "refugees"])
    by_country = _rows(bilateral_geo.filter(country__isnull=False), "country_id", Country, bil_ex)
    ldc = set(Country.objects.filter(is_least_developed=True).values_list("iso2", flat=True))
    for rank, row in enumerate(by_country, start=1):
        iso2 = row.pop("code")
        row.update(rank=rank, country=iso2, least_developed=iso2 in ldc)
    top10 = sum(r["cents"] for r in by_country[:10])
    markers = MarkerRule.objects.filter(ruleset=ruleset)
    kinds = dict(AuthorityKind.choices)
    received = (
        _received_lines(year=year, authority=authority, public=True).aggregate(t=Sum("amount"))["t"] or 0
    )
    data = {
        "year": year,
        "scope": "authority" if authority is not None else "national",
        "counted": "Versions validées par le ministère (la dernière de chaque déclaration).",
        "total": cents_str(total),
        "lines": agg["n"],
        "bilateral": cents_str(agg["bilateral"]),
        "multilateral": cents_str(total - agg["bilateral"]),
        "bilateral_excluding_refugees": cents_str(bil_ex),
        "refugees": cents_str(agg["refugees"]),
        "awareness": cents_str(agg["awareness"]),
        "by_country": by_country,
        "top10": [r["country"] for r in by_country[:10]],
        "top10_amount": cents_str(top10),
        "top10_share": share_str(top10, bil_ex),
        "by_recipient_region": _rows(
            bilateral_geo.filter(country__isnull=True), "region_id", RecipientRegion, bil_ex
        ),
        "by_type": _typed_rows(oda_typed, types, total),
        "by_authority_kind": _rows(
            oda,
            "version__declaration__authority__kind",
            None,
            total,
            label_map={k: str(v) for k, v in kinds.items()},
        ),
        "by_french_region": _french_regions(oda, total),
        "by_sector": _rows(oda, "sector_id", Sector, total),
        "by_channel": _rows(oda, "channel_id", Channel, total),
        "markers": {k: cents_str(agg[k]) for k in MARKER_KEYS},
        "markers_detail": [
            {
                "key": m.key,
                "label": m.name_fr,
                "oecd_code": m.marker_id,
                "amount": cents_str(agg[m.key]),
                "principal": cents_str(agg[f"{m.key}_2"]),
                "share": share_str(agg[m.key], total),
            }
            for m in markers
        ],
        "not_oda": {
            "amount": cents_str(sum(r["c"] for r in typed if not r["counts_as_oda"])),
            "by_reason": [
                {
                    "reason": r["not_oda_reason"],
                    "type": r["line_type"],
                    "amount": cents_str(r["c"]),
                    "lines": r["n"],
                }
                for r in typed
                if not r["counts_as_oda"]
            ],
        },
        "previous_year": {
            "year": year - 1,
            "total": cents_str(previous) if previous is not None else None,
            "change": cents_str(total - previous) if previous is not None else None,
            "change_share": share_str(total - previous, previous) if previous else None,
        },
        "declarants": decl["n"],
        "declarants_nothing": decl["nothing"],
        "pending": {"declarations": pending.count(), "amount": cents_str(pending_cents)},
        "oda_list_year": ruleset.oda_list_year,
        # Co-funding the authorities' projects received that year (State calls, AFD, EU):
        # the funders' aid, reported by them; shown beside the total, never added to it.
        "received_cofunding": cents_str(int(received * 100)),
        "api_url": reverse("api:declarations_report") + f"?year={year}",
    }
    return data


def report_years() -> list[int]:
    return sorted(
        set(Declaration.objects.filter(versions__is_counted=True).values_list("year", flat=True)),
        reverse=True,
    )


def report_csv_rows(data: dict) -> list[dict]:
    """The report flattened: one row per figure (section, code, label, amount, share)."""
    rows = [
        {
            "section": "total",
            "code": key,
            "label": key,
            "amount": data[key],
            "rank": "",
            "share": "",
            "lines": "",
        }
        for key in (
            "total",
            "bilateral",
            "multilateral",
            "bilateral_excluding_refugees",
            "refugees",
            "awareness",
            "top10_amount",
            "received_cofunding",
        )
    ]
    rows.append(
        {
            "section": "total",
            "code": "top10_share",
            "label": "top10_share",
            "amount": "",
            "rank": "",
            "share": data["top10_share"] or "",
            "lines": "",
        }
    )
    rows.append(
        {
            "section": "total",
            "code": "declarants",
            "label": "declarants",
            "amount": "",
            "rank": "",
            "share": "",
            "lines": data["declarants"],
        }
    )
    for key in (
        "by_country",
        "by_recipient_region",
        "by_type",
        "by_authority_kind",
        "by_french_region",
        "by_sector",
        "by_channel",
    ):
        for r in data[key]:
            rows.append(
                {
                    "section": key,
                    "code": r.get("country", r.get("code")) or "",
                    "label": r["label"],
                    "amount": r["amount"],
                    "rank": r.get("rank", ""),
                    "share": r["share"] or "",
                    "lines": r["lines"],
                }
            )
    for m in data["markers_detail"]:
        rows.append(
            {
                "section": "markers",
                "code": m["key"],
                "label": m["label"],
                "amount": m["amount"],
                "rank": "",
                "share": m["share"] or "",
                "lines": "",
            }
        )
    return rows


CRS_COLUMNS = [
    "year",
    "donor_code",
    "donor_name",
    "agency_name",
    "reporting_authority",
    "authority_siren",
    "authority_insee",
    "crs_id",
    "recipient_code",
    "recipient_iso2",
    "recipient_name",
    "flow_code",
    "finance_type",
    "aid_type",
    "channel_code",
    "purpose_code",
    "purpose_name",
    "disbursement_eur",
    "gender",
    "environment",
    "biodiversity",
    "nutrition",
    "disability",
    "line_type",
    "project_title",
    "comment",
]


def crs_rows(*, year: int):
    """One row per counted ODA line, in the shape of the OECD creditor reporting system
    (France's donor code 4; flow 11 ODA grants, finance type 110 standard grant). Yields,
    so 50,000 lines do not sit in memory at once."""
    types = {t.code: t for t in LineType.objects.filter(ruleset__year=year)}
    lines = (
        counted_lines(year=year)
        .filter(counts_as_oda=True)
        .values_list(
            "pk",
            "version__declaration_id",
            "line_type",
            "amount_cents",
            "country_id",
            "country__dac_code",
            "country__name_en",
            "region_id",
            "region__name_en",
            "channel_id",
            "sector_id",
            "sector__name_en",
            "marker_gender",
            "marker_environment",
            "marker_biodiversity",
            "marker_nutrition",
            "marker_inclusion",
            "project__title",
            "comment",
            "version__declaration__authority__name",
            "version__declaration__authority__siren",
            "version__declaration__authority__insee_code",
        )
        .order_by("version__declaration_id", "pk")
    )
    for (
        pk,
        decl,
        lt,
        cents,
        iso2,
        dac,
        cname,
        region,
        rname,
        channel,
        sector,
        sname,
        g,
        e,
        b,
        n,
        i,
        title,
        comment,
        aname,
        siren,
        insee,
    ) in lines.iterator(chunk_size=5000):
        t = types.get(lt)
        yield {
            "year": year,
            "donor_code": "4",
            "donor_name": "France",
            "agency_name": "Collectivités territoriales",
            "reporting_authority": aname,
            "authority_siren": siren or "",
            "authority_insee": insee or "",
            "crs_id": f"FR-DECL-{decl}-{pk}",
            "recipient_code": dac or region or "998",
            "recipient_iso2": iso2 or "",
            "recipient_name": cname or rname or "Developing countries, unspecified",
            "flow_code": "11",
            "finance_type": "110",
            "aid_type": t.crs_aid_type if t else "",
            "channel_code": channel or (t.crs_channel if t else ""),
            "purpose_code": sector or "",
            "purpose_name": sname or "",
            "disbursement_eur": cents_str(cents),
            "gender": g,
            "environment": e,
            "biodiversity": b,
            "nutrition": n,
            "disability": i,
            "line_type": lt,
            "project_title": title or "",
            "comment": comment or "",
        }


# --------------------------------------------------------------------------- declarations


def _version_dict(version: DeclarationVersion) -> dict:
    return {
        "number": version.number,
        "state": version.state,
        "state_label": str(version.get_state_display()),
        "nothing_to_declare": version.nothing_to_declare,
        "is_counted": version.is_counted,
        "return_comment": version.return_comment,
        "submitted_at": version.submitted_at,
        "decided_at": version.decided_at,
    }


def line_dict(line: DeclarationLine) -> dict:
    return {
        "id": line.pk,
        "type": line.line_type,
        "amount": cents_str(line.amount_cents),
        "country": line.country_id,
        "region": line.region_id,
        "channel": line.channel_id,
        "sector": line.sector_id,
        "markers": {k: getattr(line, f"marker_{k}") for k in MARKER_KEYS},
        "project": line.project.slug if line.project_id else None,
        "under_12_months": line.under_12_months,
        "comment": line.comment,
        "counts_as_oda": line.counts_as_oda,
        "not_oda_reason": line.not_oda_reason,
    }


def visible_version(*, declaration: Declaration, user) -> DeclarationVersion:
    """The latest version for its authority and the ministry; the counted one for others."""
    if access.can_see_drafts(user=user, authority=declaration.authority):
        return declaration.versions.order_by("-number").first()
    counted = declaration.versions.filter(is_counted=True).first()
    if counted is None:
        raise NotFound(
            _(
                "Aucune déclaration n° %(number)s visible : une déclaration non "
                "validée ne se voit que de sa collectivité et du ministère."
            )
            % {"number": declaration.pk},
            field="id",
        )
    return counted


def declaration_detail(*, declaration: Declaration, user, number: int | None = None) -> dict:

    version = visible_version(declaration=declaration, user=user)
    if number is not None and number != version.number:
        found = declaration.versions.filter(number=number).first()
        if found is None or (
            not found.is_counted and not access.can_see_drafts(user=user, authority=declaration.authority)
        ):
            raise NotFound(
                _("La déclaration n° %(declaration_pk)s n'a pas de version %(number)s visible.")
                % {"declaration_pk": declaration.pk, "number": number},
                field="version",
            )
        version = found
    lines = list(version.lines.select_related("project").order_by("pk"))
    agg = version.lines.aggregate(t=Sum("amount_cents"), o=Sum("amount_cents", filter=Q(counts_as_oda=True)))
    authority = declaration.authority
    see_all = access.can_see_drafts(user=user, authority=authority)
    versions = declaration.versions.order_by("number")
    if not see_all:
        versions = versions.filter(is_counted=True)
    editable = see_all and version.is_editable and version == versions.last()
    return {
        "id": declaration.pk,
        "year": declaration.year,
        "authority": {
            "name": authority.name,
            "kind": authority.kind,
            "insee_code": authority.insee_code,
            "siren": authority.siren,
            "slug": authority.slug,
        },
        "version": _version_dict(version),
        "versions": [_version_dict(v) for v in versions],
        "lines": [line_dict(line) for line in lines],
        "total": cents_str(agg["t"]),
        "total_oda": cents_str(agg["o"]),
        "warnings": project_warnings(version=version) if see_all else [],
        # Shown, never counted (rules.yaml `received_instruments`): the funder's aid.
        "received_cofunding": received_cofunding(
            authority=authority, year=declaration.year, public=not see_all
        ),
        "can_edit": editable,
        "can_decide": access.is_ministry(user) and version.state == State.SUBMITTED,
        "can_correct": see_all and version.state == State.VALIDATED,
        "html_url": reverse("declarations:declaration", kwargs={"pk": declaration.pk}),
        "api_url": reverse("api:declarations_detail", kwargs={"declaration_id": declaration.pk}),
    }


def declaration_list(*, user, year: int | None = None, authority=None) -> list[dict]:
    """Declarations the user may see in full: all for the ministry, its own for an editor."""
    ids = access.editable_authority_ids(user)
    qs = Declaration.objects.select_related("authority")
    if ids is not None:
        qs = qs.filter(authority_id__in=ids)
    if year is not None:
        qs = qs.filter(year=year)
    if authority is not None:
        qs = qs.filter(authority=authority)
    latest = {}
    for v in DeclarationVersion.objects.filter(declaration__in=qs).order_by("number"):
        latest[v.declaration_id] = v
    totals = dict(
        DeclarationLine.objects.filter(version__in=list(latest.values()))
        .values("version__declaration_id")
        .annotate(c=Sum("amount_cents"))
        .values_list("version__declaration_id", "c")
    )
    return [
        {
            "id": d.pk,
            "year": d.year,
            "authority": d.authority.name,
            "authority_slug": d.authority.slug,
            "state": latest[d.pk].state,
            "version": latest[d.pk].number,
            "total": cents_str(totals.get(d.pk)),
            "html_url": reverse("declarations:declaration", kwargs={"pk": d.pk}),
        }
        for d in qs.order_by("-year", "authority__name")[:1000]
        if d.pk in latest
    ]


def authority_declarations(*, authority, user) -> dict:
    """An authority's declarations over the years, each counted year with its breakdowns."""
    see_all = access.can_see_drafts(user=user, authority=authority)
    years = []
    for d in Declaration.objects.filter(authority=authority).order_by("-year"):
        versions = list(d.versions.order_by("number"))
        counted = next((v for v in versions if v.is_counted), None)
        if counted is None and not see_all:
            continue
        years.append(
            {
                "id": d.pk,
                "year": d.year,
                "latest": _version_dict(versions[-1]) if see_all else None,
                "counted_version": counted.number if counted else None,
                "report": report(year=d.year, authority=authority) if counted else None,
                "html_url": reverse("declarations:declaration", kwargs={"pk": d.pk}),
            }
        )
    return {
        "authority": {
            "name": authority.name,
            "slug": authority.slug,
            "kind": authority.kind,
            "insee_code": authority.insee_code,
            "siren": authority.siren,
        },
        "can_declare": access.can_edit(user=user, authority=authority),
        "declarations": years,
    }


def due_year(*, today: date | None = None) -> int | None:
    """The year whose declaration is due: the latest campaign already open (the aid of
    year N is declared in N+1), else the latest year with rules loaded."""
    today = today or timezone.localdate()
    campaign = Campaign.objects.filter(opens_on__lte=today).order_by("-year").first()
    if campaign is not None:
        return campaign.year
    return RuleSet.objects.order_by("-year").values_list("year", flat=True).first()


def declarations_due(*, user, today: date | None = None) -> dict:
    """« Mon espace »: the due year's declaration of each authority the person declares for,
    with its state (to do, draft, submitted, returned with the comment, validated)."""
    year = due_year(today=today)
    ids = access.declaring_authority_ids(user)
    if year is None or not ids:
        return {"year": year, "campaign": None, "rows": []}
    from coopatlas.geo.models import LocalAuthority

    latest: dict[int, DeclarationVersion] = {}
    for v in (
        DeclarationVersion.objects.filter(declaration__year=year, declaration__authority_id__in=ids)
        .select_related("declaration")
        .order_by("number")
    ):
        latest[v.declaration.authority_id] = v
    rows = []
    for authority in LocalAuthority.objects.filter(pk__in=ids).order_by("name"):
        version = latest.get(authority.pk)
        rows.append(
            {
                "authority": authority,
                "state": version.state if version else "todo",
                "state_label": str(version.get_state_display()) if version else _("À faire"),
                "return_comment": (
                    version.return_comment if version and version.state == State.RETURNED else ""
                ),
                "url": (
                    reverse("declarations:declaration", kwargs={"pk": version.declaration_id})
                    if version
                    else reverse("declarations:authority", kwargs={"slug": authority.slug})
                ),
            }
        )
    return {"year": year, "campaign": Campaign.objects.filter(year=year).first(), "rows": rows}


def campaign_status(*, year: int, user) -> dict:
    """Who has and has not declared. Expected to declare: French authorities that declared
    in an earlier year, take part in a partnership, or have an editor account."""
    from coopatlas.geo.models import LocalAuthority

    access.require_decide(user=user)
    campaign = Campaign.objects.filter(year=year).first()
    if campaign is None:
        raise NotFound(
            _("year : aucune campagne de déclaration pour %(year)s.") % {"year": year}, field="year"
        )
    french = LocalAuthority.objects.filter(country_id="FR")
    expected = french.filter(
        Q(aid_declarations__year__lt=year)
        | Q(party_links__isnull=False)
        | Q(account_memberships__role="editor")
    ).distinct()
    latest: dict[int, DeclarationVersion] = {}
    for v in (
        DeclarationVersion.objects.filter(declaration__year=year)
        .select_related("declaration")
        .order_by("number")
    ):
        latest[v.declaration.authority_id] = v
    by_state: dict[str, int] = {}
    for v in latest.values():
        by_state[v.state] = by_state.get(v.state, 0) + 1
    missing = (
        expected.exclude(
            pk__in=[a for a, v in latest.items() if v.state in (State.SUBMITTED, State.VALIDATED)]
        )
        .order_by("name")
        .values("pk", "name", "kind", "insee_code", "siren", "slug")
    )
    reminded = set(campaign.reminders.values_list("authority_id", flat=True))
    return {
        "year": year,
        "opens_on": campaign.opens_on,
        "closes_on": campaign.closes_on,
        "reminded_at": campaign.reminded_at,
        "expected": expected.count(),
        "by_state": by_state,
        "not_declared": [
            {
                "authority_id": a["pk"],
                "name": a["name"],
                "kind": a["kind"],
                "insee_code": a["insee_code"],
                "siren": a["siren"],
                "slug": a["slug"],
                "state": latest[a["pk"]].state if a["pk"] in latest else None,
                "reminded": a["pk"] in reminded,
            }
            for a in missing[:5000]
        ],
    }


def aid_by_year_for_country(*, iso2: str) -> list[dict]:
    """The country fiche: ODA declared to that country per year (validated declarations)."""
    rows = (
        DeclarationLine.objects.filter(
            counted_year__isnull=False, counts_as_oda=True, country_id=(iso2 or "").upper()
        )
        .values("counted_year")
        .annotate(c=Sum("amount_cents"), n=Count("version__declaration__authority", distinct=True))
        .order_by("-counted_year")
    )
    return [  # the sums once per stamp for both languages; only the URLs have a language
        {
            "year": r["counted_year"],
            "amount": cents_str(r["c"]),
            "authorities": r["n"],
            "report_url": reverse("declarations:report", kwargs={"year": r["counted_year"]}),
        }
        for r in read_once("aid-by-year", rows, lambda: list(rows), [])
    ]


def paid_by_project(*, authority, year: int, instruments: list[str] | None = None):
    from coopatlas.cooperation.models import FundingContribution

    # The authority's own records, drafts included, but nothing deleted: neither the line
    # nor its project (Record.live_q).
    qs = FundingContribution.objects.live().filter(
        funder_authority=authority, year=year, nature=FundingContribution.Nature.CASH, currency="EUR"
    )
    if instruments is not None:
        qs = qs.filter(instrument__in=instruments)
    return qs


def _received_lines(*, year: int, authority=None, public: bool = False):
    """Co-funding received for French authorities' projects that year (instruments listed
    in rules.yaml `received_instruments`: the ministry's calls, AFD, the EU), never funded
    by the authority itself: the funder's aid, shown beside the declaration, not counted."""
    from coopatlas.cooperation.models import FundingContribution, ProjectParticipant

    from .rulesfile import received_instruments

    participants = ProjectParticipant.objects.filter(authority__country_id="FR")
    if authority is not None:
        participants = participants.filter(authority=authority)
    lines = FundingContribution.objects.public() if public else FundingContribution.objects.live()
    qs = lines.filter(
        instrument__in=received_instruments(),
        year=year,
        currency="EUR",
        project_id__in=participants.values("project_id"),
    )
    if authority is not None:
        qs = qs.exclude(funder_authority=authority)
    return qs


def received_cofunding(*, authority, year: int, project_ids=None, public: bool = False) -> dict:
    """What an authority's projects received that year from the State (a granted call
    becomes a `daect_call` line), AFD or the EU: one row per line, and the total. Not the
    authority's own aid (rules.yaml, `received_instruments`): shown, never counted."""
    from coopatlas.cooperation.models import FundingInstrument

    qs = _received_lines(year=year, authority=authority, public=public)
    if project_ids is not None:
        qs = qs.filter(project_id__in=list(project_ids))
    labels = {k: str(v) for k, v in FundingInstrument.choices}
    rows = []
    total = 0
    for r in qs.order_by("project_id", "pk").values(
        "pk",
        "project_id",
        "project__title",
        "project__slug",
        "instrument",
        "amount",
        "nature",
        "note",
        "funder_organisation__name",
        "funder_organisation__acronym",
        "funder_authority__name",
    ):
        cents = int(Decimal(r["amount"]) * 100)
        total += cents
        rows.append(
            {
                "project": r["project__slug"],
                "project_id": r["project_id"],
                "project_title": r["project__title"],
                "funder": r["funder_organisation__acronym"]
                or r["funder_organisation__name"]
                or r["funder_authority__name"]
                or "",
                "instrument": r["instrument"],
                "instrument_label": labels.get(r["instrument"], r["instrument"]),
                "amount": cents_str(cents),
                "nature": r["nature"],
                "note": r["note"],
                "counted": False,
            }
        )
    return {"lines": rows, "total": cents_str(total), "total_cents": total}


def project_warnings(*, version: DeclarationVersion) -> list[dict]:
    """Project lines above what the authority recorded as paid to the project that year."""
    declaration = version.declaration
    declared = dict(
        version.lines.filter(project__isnull=False)
        .values("project_id")
        .annotate(c=Sum("amount_cents"))
        .values_list("project_id", "c")
    )
    if not declared:
        return []
    paid = dict(
        paid_by_project(authority=declaration.authority, year=declaration.year)
        .filter(project_id__in=list(declared))
        .values("project_id")
        .annotate(t=Sum("amount"))
        .values_list("project_id", "t")
    )
    from coopatlas.cooperation.models import Project

    titles = dict(Project.objects.filter(pk__in=list(declared)).values_list("pk", "title"))
    received = dict(
        _received_lines(year=declaration.year, authority=declaration.authority)
        .filter(project_id__in=list(declared))
        .values("project_id")
        .annotate(t=Sum("amount"))
        .values_list("project_id", "t")
    )
    warnings = []
    for project_id, cents in sorted(declared.items()):
        paid_cents = int(Decimal(paid.get(project_id) or 0) * 100)
        if cents > paid_cents:
            message = (
                f"Projet « {titles.get(project_id, project_id)[:80]} » : {_euros(cents)} déclarés "
                f"pour {declaration.year}, plus que les {_euros(paid_cents)} enregistrés comme "
                "versés par la collectivité cette année-là. Vérifiez le montant ou complétez le "
                "plan de financement du projet."
            )
            got = int(Decimal(received.get(project_id) or 0) * 100)
            if got:
                message += (
                    f" Le projet a reçu {_euros(got)} de cofinancement (État, AFD ou UE) cette "
                    "année-là : ce n'est pas l'aide propre de la collectivité, ne l'ajoutez pas."
                )
            warnings.append({"field": "project", "project": project_id, "message": message})
    return warnings


def _euros(cents: int) -> str:
    from coopatlas.core.parse import money_display

    return money_display(Decimal(cents) / 100)
