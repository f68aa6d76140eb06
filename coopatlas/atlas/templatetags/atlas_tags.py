"""Template helpers for the atlas pages: labels for codes, query strings, money, sources.

Pages render the selectors' dicts (the JSON twins), so these helpers accept plain values,
dicts or model-like objects alike.
"""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.html import conditional_escape, format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from coopatlas.cooperation import models as coop
from coopatlas.core.parse import money_display
from coopatlas.geo import models as geo

register = template.Library()

# Code → label, so a dict carrying "active" shows "En cours" (translated) on the page.
CHOICES = {
    "partnership_kind": coop.PartnershipKind,
    "partnership_status": coop.PartnershipStatus,
    "project_status": coop.ProjectStatus,
    "authority_kind": geo.AuthorityKind,
    "organisation_kind": coop.Organisation.Kind,
    "instrument": coop.FundingInstrument,
    "nature": coop.FundingContribution.Nature,
    "participant_role": coop.ProjectParticipant.Role,
    "operator_role": coop.ProjectOperator.Role,
    "request_status": coop.PartnerRequest.Status,
    "significance": coop.ProjectPolicyMarker.Significance,
}


class _SuggestKind:
    """Kinds of search suggestions (what the result is), for their badge."""

    choices = [
        ("authority", _("Collectivité")),
        ("country", _("Pays")),
        ("area", _("Territoire")),
        ("partnership", _("Partenariat")),
        ("project", _("Projet")),
        ("organisation", _("Acteur")),
        ("programme", _("Programme")),
    ]


CHOICES["suggest_kind"] = _SuggestKind

NAME_KEYS = ("name", "title", "label", "display_name", "name_fr", "value", "code")


@register.filter
def label(value, choices: str):
    """Label of a choice code (`active` → « En cours »); anything else unchanged."""
    if value in (None, ""):
        return ""
    if isinstance(value, dict):
        return value.get("label") or label(value.get("value") or value.get("code"), choices)
    labels = _labels(choices)
    if labels is None:
        return value
    return labels.get(str(value), value)


_LABELS: dict[str, dict] = {}


def _labels(choices: str) -> dict | None:
    """{code: lazy label} of a CHOICES entry, built once (an enum's `.choices` is a new
    list on each read; a big authority's fiche asked it 600 times)."""
    labels = _LABELS.get(choices)
    if labels is None and choices in CHOICES:
        labels = _LABELS[choices] = {str(code): text for code, text in CHOICES[choices].choices}
    return labels


@register.filter
def display(value):
    """Human name of a dict, object or string (a theme may come as a dict or a slug)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        for key in NAME_KEYS:
            if value.get(key) not in (None, ""):
                return value[key]
        return ""
    if isinstance(value, str | int | float | Decimal):
        return value
    return str(value)


@register.filter
def url_of(value):
    """The page of a record dict, only when it is a path of this site (never javascript:)."""
    url = value.get("html_url") if isinstance(value, dict) else getattr(value, "html_url", "")
    return url if isinstance(url, str) and url.startswith("/") and not url.startswith("//") else ""


def _field(value, name: str):
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


@register.simple_tag
def party(value):
    """A party in a list or on a fiche: its name, linked to its page when it has one, then
    its country in grey. The one rendering of a party; a tag rather than an included
    template, rendered hundreds of times on a big authority's fiche (an include cost 4x)."""
    name = display(value)
    url = url_of(value)
    head = format_html('<a href="{}">{}</a>', url, name) if url else conditional_escape(name)
    country = display(_field(value, "country_name") or _field(value, "country"))
    if country:
        return format_html('{} <span class="atlas-country">({})</span>', head, country)
    return head


@register.simple_tag
def status(value, choices: str):
    """A status as its DSFR badge (colour from status_badge, label from the choices): a
    span, so that the fiches can set it in a paragraph beside the kind's badge (a `<p>`
    there was a paragraph in a paragraph, which the browser split)."""
    if not value:
        return ""
    return format_html(
        '<span class="fr-badge fr-badge--sm fr-badge--no-icon {}">{}</span>',
        status_badge(value),
        label(value, choices),
    )


@register.filter
def safe_href(url):
    """An outside link only when it is http(s); anything else is dropped."""
    return url if isinstance(url, str) and url.lower().startswith(("http://", "https://")) else ""


def _money(value, currency, places):
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return value
    return money_display(amount, currency or "EUR", places=places)


@register.filter
def money(value, currency="EUR"):
    """1145000 → « 1 145 000 € » (core.parse.money_display: the one rule; cents only when
    there are some)."""
    return _money(value, currency, None)


@register.filter
def euros(value, currency="EUR"):
    """Always two decimals: « 21 000,00 € » (amounts asked, proposed and granted)."""
    return _money(value, currency, 2)


@register.filter
def number(value):
    if value in (None, ""):
        return ""
    try:
        return number_format(value, force_grouping=True)
    except (TypeError, ValueError):
        return value


@register.filter
def get(mapping, key):
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def as_list(value):
    """A list, whatever came (None, a single dict, a string)."""
    if value in (None, ""):
        return []
    if isinstance(value, list | tuple):
        return value
    return [value]


def _local_href(url) -> str:
    """A link inside the site (a path starting with one slash), else nothing."""
    return url if isinstance(url, str) and url.startswith("/") and not url.startswith("//") else ""


@register.filter
def source_info(source):
    """One citation as {document, title, lines, url, quote}, whatever the dict's nesting."""
    if isinstance(source, str):
        return {"title": source}
    if not isinstance(source, dict):
        return {"title": str(source)}
    document = source.get("document")
    info = {
        "document": source.get("document_key") or source.get("key") or "",
        "title": source.get("document_title") or source.get("title") or "",
        "lines": source.get("lines") or "",
        "url": safe_href(source.get("url") or ""),
        "quote": source.get("quote") or "",
        "is_synthetic": bool(source.get("is_synthetic")),
        # core.selectors: "citation", "declaration" (who declared it, when) or "inference".
        "type": source.get("type") or "citation",
        "label": source.get("label") or "",
        "reasoning": source.get("reasoning") or "",
        "field": source.get("field") or "",
        "field_label": source.get("field_label") or source.get("field") or "",
        "lines_url": _local_href(source.get("html_url")),
    }
    if isinstance(document, dict):
        info["document"] = document.get("key") or info["document"]
        info["title"] = document.get("title") or info["title"]
        info["url"] = info["url"] or safe_href(document.get("url") or "")
    elif document:
        info["document"] = document
    lines = info["lines"]
    if isinstance(lines, list | tuple):
        info["lines"] = "–".join(str(x) for x in lines if x is not None)
    elif not lines and source.get("line_start"):
        end = source.get("line_end") or source["line_start"]
        info["lines"] = f"{source['line_start']}–{end}"
    return info


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters changed; None or '' removes one.

    Changing a filter sends back to page 1 (unless `page` itself is being set).
    """
    request = context["request"]
    params = request.GET.copy()
    params.pop("format", None)
    if "page" not in changes:
        params.pop("page", None)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def format_url(context, fmt):
    """This page's twin in another format (json, csv), with the same filters and page."""
    request = context["request"]
    params = request.GET.copy()
    params["format"] = fmt
    return f"{request.path}?{params.urlencode()}"


@register.simple_tag
def page_range(page, num_pages):
    """Page numbers to show around the current one, with None for a gap."""
    try:
        page, num_pages = int(page), int(num_pages)
    except (TypeError, ValueError):
        return []
    wanted = {1, num_pages, page - 1, page, page + 1}
    out, previous = [], 0
    for number in sorted(n for n in wanted if 1 <= n <= num_pages):
        if number - previous > 1:
            out.append(None)
        out.append(number)
        previous = number
    return out


@register.simple_tag
def qs(**params):
    """A query string from keyword arguments, empty values dropped."""
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@register.simple_tag(takes_context=True)
def query_without(context, name):
    """The current query string without one parameter (to dismiss an active filter)."""
    params = context["request"].GET.copy()
    for key in (name, "page", "format"):
        params.pop(key, None)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


STATUS_BADGES = {
    "active": "success",
    "ongoing": "success",
    "open": "success",
    "dormant": "warning",
    "planned": "info",
    "matched": "info",
}


@register.filter
def status_badge(status):
    """DSFR badge colour of a status: running green, dormant orange, planned blue, else grey."""
    if isinstance(status, dict):
        status = status.get("value") or status.get("code")
    colour = STATUS_BADGES.get(str(status or ""))
    return f"fr-badge--{colour}" if colour else ""


FIGURE_LABELS = {
    "partnerships": _("partenariats"),
    "active_partnerships": _("partenariats en cours"),
    "projects": _("projets"),
    "french_authorities": _("collectivités françaises engagées"),
    "partner_authorities": _("autorités locales partenaires"),
    "foreign_authorities": _("autorités locales partenaires"),
    "countries": _("pays partenaires"),
    "organisations": _("acteurs"),
    "programmes": _("programmes ouverts aux collectivités"),
    "partner_requests": _("demandes de partenariat"),
    "open_partner_requests": _("collectivités étrangères cherchent un partenaire"),
}


@register.filter
def figure_items(figures):
    """Headline figures as [{label, value}], from {key: n} or a list of {label, value}."""
    if isinstance(figures, list | tuple):
        return [{"label": display(f), "value": f.get("value") if isinstance(f, dict) else f} for f in figures]
    if not isinstance(figures, dict):
        return []
    out = []
    for key, value in figures.items():
        if isinstance(value, dict):
            out.append(
                {
                    "label": value.get("label") or FIGURE_LABELS.get(key, key),
                    "value": value.get("value", value.get("count")),
                }
            )
        elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            out.append({"label": FIGURE_LABELS.get(key, key.replace("_", " ")), "value": value})
    return out


@register.filter
def funding_totals(lines):
    """Totals of a financing plan: all, cash, in kind (per currency when they differ)."""
    totals: dict[str, dict[str, Decimal]] = {}
    for line in lines or []:
        if not isinstance(line, dict) or line.get("amount") in (None, ""):
            continue
        try:
            amount = Decimal(str(line["amount"]))
        except InvalidOperation:
            continue
        bucket = totals.setdefault(
            line.get("currency") or "EUR", {"total": Decimal(0), "cash": Decimal(0), "in_kind": Decimal(0)}
        )
        bucket["total"] += amount
        nature = line.get("nature")
        nature = nature.get("value") if isinstance(nature, dict) else nature
        bucket["in_kind" if nature == "in_kind" else "cash"] += amount
    return [{"currency": c, **t} for c, t in totals.items()]


@register.filter
def percent_of(part, whole):
    try:
        part, whole = Decimal(str(part)), Decimal(str(whole))
    except (InvalidOperation, TypeError):
        return ""
    if not whole:
        return ""
    return number_format(part * 100 / whole, decimal_pos=0)


@register.simple_tag
def suggest_kinds_json():
    """Labels of the suggestion kinds, for search.js (escaped by the attribute it goes in)."""
    import json

    return json.dumps({code: str(text) for code, text in _SuggestKind.choices}, ensure_ascii=False)
