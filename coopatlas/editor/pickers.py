"""Type-ahead JSON for the pickers: `[{"code", "label"}]`, the code being what the plain
text input accepts. Signed-in people only (the lists include drafts' partnerships)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import JsonResponse

from coopatlas.cooperation.models import Organisation, Partnership
from coopatlas.cooperation.selectors import title_word_q
from coopatlas.core.parse import is_ascii_digits
from coopatlas.core.text import fold
from coopatlas.geo import selectors as geo
from coopatlas.reference.lookups import sector_search
from coopatlas.reference.models import SdgTarget

from .forms import _authority_code

LIMIT = 12


def _q(request) -> str:
    return (request.GET.get("q") or "").strip()[:100]


def _answer(rows: list[dict]) -> JsonResponse:
    return JsonResponse({"results": rows[:LIMIT]})


def _authority_rows(q: str) -> list[dict]:
    rows = []
    for a in geo.authority_search(q=q, limit=LIMIT):
        code = _authority_code(a).split(" — ", 1)[0]
        rows.append({"code": code, "label": f"{a.name} ({a.get_kind_display()}, {a.country_id})"})
    return rows


@login_required
def authorities(request):
    """French authorities, foreign ones in the atlas, then gazetteer entries (`gaz:` codes,
    turned into an authority by resolve.authority when the form is saved)."""
    from coopatlas.geo.gazetteer import partner_search

    q = _q(request)
    found = partner_search(q=q, limit=LIMIT) if q else {"results": [], "refusal": None}
    if found["refusal"]:
        return JsonResponse({"results": [], "refusal": found["refusal"]})
    rows = _authority_rows(q) if q else []
    codes = {r["code"] for r in rows}
    foreign = [r for r in found["results"] if r["source"] == "gazetteer"]
    rows = rows[: LIMIT - min(len(foreign), LIMIT // 2)]
    rows += [{"code": r["code"], "label": r["label"]} for r in foreign if r["code"] not in codes]
    return _answer(rows)


@login_required
def funders(request):
    q = _q(request)
    rows = _authority_rows(q) if q else []
    text = fold(q)
    if text:
        for o in Organisation.objects.live().filter(search_name__indexed_contains=text)[:6]:
            rows.append({"code": f"org:{o.slug}", "label": str(o)})
    return _answer(rows)


@login_required
def organisations(request):
    """Actors (associations, NGOs, operators…) by name or acronym; the code is the slug the
    plain text field accepts."""
    text = fold(_q(request))
    if not text:
        return _answer([])
    qs = Organisation.objects.live().filter(search_name__indexed_contains=text).order_by("name")
    return _answer([{"code": o.slug, "label": str(o)} for o in qs[:LIMIT]])


@login_required
def areas(request):
    q = _q(request)
    rows = [
        {"code": a.code, "label": f"{a.name} ({a.country_id})"} for a in geo.area_search(q=q, limit=LIMIT)
    ]
    return _answer(rows)


@login_required
def places(request):
    q = _q(request)
    rows = [
        {"code": str(p.pk), "label": f"{p.name} ({p.country_id})"} for p in geo.place_search(q=q, limit=LIMIT)
    ]
    return _answer(rows)


@login_required
def countries(request):
    """Countries by their usual or ISO name or code, best first (geo.selectors.country_search,
    as the public search box)."""
    found = geo.country_search(q=_q(request), limit=LIMIT)
    return _answer([{"code": c.iso2, "label": c.name} for _rank, c in found])


@login_required
def sectors(request):
    """By code, name or description, accents folded (reference.lookups.sector_search)."""
    found = sector_search(_q(request), limit=LIMIT)
    return _answer([{"code": s.code, "label": f"{s.code} {s.name}"} for s in found])


@login_required
def sdg(request):
    q = _q(request)
    if not q:
        return _answer([])
    qs = SdgTarget.objects.all()
    if is_ascii_digits(q[0]):
        qs = qs.filter(code__startswith=q)
    else:
        qs = qs.filter(Q(name_fr__icontains=q) | Q(name_en__icontains=q))
    return _answer(
        [
            {"code": t.code, "label": f"{t.code} {t.name[:140]}"}
            for t in qs.order_by("goal_id", "code")[:LIMIT]
        ]
    )


@login_required
def partnerships(request):
    """Partnerships, drafts included, by the words of their title or slug, accents folded
    (the public lists' rule: cooperation.selectors.title_word_q)."""
    words = fold(_q(request)).split()
    if not words:
        return _answer([])
    qs = Partnership.objects.live()
    for word in words:
        qs = qs.filter(title_word_q(word))
    return _answer([{"code": p.slug, "label": p.title} for p in qs.order_by("title")[:LIMIT]])
