"""Forms of the editing space. They only parse what people type: every write goes through
`coopatlas.cooperation.editing`, and its AppError lands on the field it names
(`errors.form_add_app_error`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import partial

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from coopatlas.cooperation.models import (
    FundingInstrument,
    Organisation,
    PartnerRequest,
    PartnershipKind,
    PartnershipStatus,
    ProjectOperator,
    ProjectParticipant,
    ProjectPolicyMarker,
    ProjectStatus,
)
from coopatlas.core.parse import AmountField, AsciiIntegerField
from coopatlas.reference.models import PolicyMarker, Theme

from . import resolve

TEXTAREA = {"rows": 3}
LIST_HELP = _("Tapez quelques lettres du nom pour choisir dans la liste ; une entrée par ligne.")


def _year(label):
    return AsciiIntegerField(label=label, required=False, min_value=1900, max_value=2100)


def _date(label):
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


def _picker(
    label, kind, *, help_text=LIST_HELP, many=True, required=False, extra=None, choices=None, default=None
):
    """A plain text field the picker script (static/editor/editor.js) turns into a search
    box and a list of chosen entries; `extra` adds a control per entry (its role from
    `choices`, or its percentage). Without the script the text is read line by line."""
    attrs = {"data-picker": kind, "autocomplete": "off"}
    if extra:
        attrs["data-picker-extra"] = extra
    if default:
        attrs["data-picker-default"] = default
    if choices:
        attrs["data-picker-choices"] = json.dumps([[str(c), str(lbl)] for c, lbl in choices])
    if many:
        attrs["rows"] = 3
        attrs["data-picker-many"] = "1"
        widget = forms.Textarea(attrs=attrs)
    else:
        widget = forms.TextInput(attrs=attrs)
    return forms.CharField(label=label, required=required, help_text=help_text, widget=widget)


class ThemeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Theme) -> str:
        return " › ".join(t.name for t in obj.path())


def _theme_choices(*, blank: bool) -> list[tuple]:
    """The tree in reading order (each node under its parent), labelled with its path."""
    themes = list(Theme.objects.select_related("parent__parent"))
    paths = {t.pk: t.path() for t in themes}
    rows = sorted(themes, key=lambda t: [(n.position, n.name) for n in paths[t.pk]])
    choices = [(t.pk, " › ".join(n.name for n in paths[t.pk])) for t in rows]
    return [("", "—"), *choices] if blank else choices


def _sdg_goal_choices() -> list[tuple[str, str]]:
    """The seventeen goals by their names, which carry their number (« Objectif 6. … »), read
    when a form is built (reference data)."""
    from coopatlas.reference.models import SdgGoal

    return [(str(g.number), g.name) for g in SdgGoal.objects.order_by("number")]


def _themes_field():
    return ThemeChoiceField(
        label=_("Thématiques"),
        required=False,
        queryset=Theme.objects.select_related("parent__parent"),
        widget=forms.CheckboxSelectMultiple,
    )


def unique_slug(model, text: str) -> str:
    base = slugify(text)[:180] or "enregistrement"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


class RecordForm(forms.Form):
    """Carries the version the person read: a stale save is refused, never overwritten."""

    version = AsciiIntegerField(widget=forms.HiddenInput, required=False)
    # Fields the services take as they are (no lookup).
    plain: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("themes", "main_theme"):
            if name in self.fields:
                self.fields[name].choices = _theme_choices(blank=name == "main_theme")

    # Text fields a resolver reads (what the pickers write, or the officer's plain text).
    resolved: dict[str, Callable[[str], object]] = {}

    def plain_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.plain}

    def add_resolver_errors(self) -> None:
        """When another field is wrong, read the resolved fields anyway, each on its own, so
        that the error summary lists every error of the form at once (issue 13): the
        officer met the sector's error only after fixing the title. Nothing read is kept
        (a gazetteer entry is created on first use: rolled back here)."""
        from django.db import transaction

        from coopatlas.core.errors import AppError

        from .errors import form_add_app_error

        for name, read in self.resolved.items():
            text = self.cleaned_data.get(name)
            if not text or name in self.errors:
                continue
            try:
                with transaction.atomic():
                    read(text)
                    transaction.set_rollback(True)
            except AppError as exc:
                form_add_app_error(self, exc)

    def empty_to_blank(self, kwargs: dict, names: tuple[str, ...]) -> dict:
        for name in names:
            if kwargs.get(name) is None:
                kwargs[name] = ""
        return kwargs


# --------------------------------------------------------------------------- partnership


class PartnershipForm(RecordForm):
    title = forms.CharField(label=_("Intitulé"), max_length=500)
    slug = forms.SlugField(
        label=_("Identifiant dans l'adresse"),
        required=False,
        max_length=200,
        help_text=_("Laissé vide, il est tiré de l'intitulé."),
    )
    kind = forms.ChoiceField(label=_("Nature du partenariat"), choices=PartnershipKind.choices)
    status = forms.ChoiceField(
        label=_("Statut"), choices=PartnershipStatus.choices, initial=PartnershipStatus.UNKNOWN
    )
    parties = _picker(
        _("Collectivités parties"),
        "authorities",
        required=True,
        help_text=_(
            "Tapez le nom d'une collectivité pour la choisir dans la liste : au moins une "
            "française et une étrangère."
        ),
    )
    start_year = _year(_("Année de début"))
    end_year = _year(_("Année de fin"))
    first_convention_year = _year(_("Année de la première convention"))
    themes = _themes_field()
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    history = forms.CharField(label=_("Historique"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    plain = (
        "title",
        "kind",
        "status",
        "start_year",
        "end_year",
        "first_convention_year",
        "description",
        "history",
    )

    resolved = {"parties": partial(resolve.authorities, field="parties")}

    @staticmethod
    def initial_from(record) -> dict:
        return {
            **{n: getattr(record, n) for n in PartnershipForm.plain},
            "version": record.version,
            "parties": resolve.as_lines(_authority_code(a) for a in record.parties.all()),
            "themes": list(record.themes.all()),
        }

    def to_kwargs(self, *, creating: bool) -> dict:
        from coopatlas.cooperation.models import Partnership

        kw = self.plain_kwargs()
        kw["parties"] = resolve.authorities(self.cleaned_data["parties"], field="parties")
        kw["themes"] = list(self.cleaned_data["themes"])
        if creating:
            kw["slug"] = self.cleaned_data["slug"] or unique_slug(Partnership, kw["title"])
        return kw


def authority_line(authority) -> str:
    return _authority_code(authority)


def participant_line(authority, role: str) -> str:
    """`code — name`, and « ; chef de file » for the lead, as the picker writes it."""
    if role != ProjectParticipant.Role.LEAD:
        return _authority_code(authority)
    return f"{_authority_code(authority)} ; {str(ProjectParticipant.Role(role).label).lower()}"


def _authority_code(authority) -> str:
    """The code a person would type (commune:35238, siren:…), else the unique slug."""
    if authority.insee_code and authority.kind in ("commune", "departement", "region"):
        return f"{authority.kind}:{authority.insee_code} — {authority.name}"
    if authority.siren:
        return f"siren:{authority.siren} — {authority.name}"
    return f"{authority.slug} — {authority.name}"


# --------------------------------------------------------------------------- project


class ProjectForm(RecordForm):
    title = forms.CharField(label=_("Intitulé"), widget=forms.Textarea(attrs={"rows": 2}))
    slug = forms.SlugField(
        label=_("Identifiant dans l'adresse"),
        required=False,
        max_length=200,
        help_text=_("Laissé vide, il est tiré de l'intitulé."),
    )
    summary = forms.CharField(label=_("Résumé"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    context = forms.CharField(
        label=_("Contexte et historique"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    objective = forms.CharField(label=_("Objectif"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    status = forms.ChoiceField(
        label=_("Statut"), choices=ProjectStatus.choices, initial=ProjectStatus.UNKNOWN
    )
    start_date = _date(_("Date de début"))
    end_date = _date(_("Date de fin"))
    start_year = _year(_("Année de début"))
    end_year = _year(_("Année de fin"))
    partnerships = _picker(
        _("Partenariats servis"),
        "partnerships",
        help_text=_("Tapez quelques mots de l'intitulé du partenariat pour le choisir."),
    )
    participants = _picker(
        _("Collectivités participantes"),
        "authorities",
        help_text=_(
            "Tapez le nom d'une collectivité pour l'ajouter, puis choisissez son rôle : chef de "
            "file (celle qui mène le projet) ou partenaire."
        ),
        extra="role",
        choices=ProjectParticipant.Role.choices,
        default=ProjectParticipant.Role.PARTNER,
    )
    operators = _picker(
        _("Opérateurs"),
        "organisations",
        help_text=_(
            "Tapez le nom d'une association, d'une ONG ou d'un opérateur pour l'ajouter, puis "
            "choisissez son rôle."
        ),
        extra="role",
        choices=ProjectOperator.Role.choices,
        default=ProjectOperator.Role.IMPLEMENTING,
    )
    countries = _picker(
        _("Pays bénéficiaires"),
        "countries",
        help_text=_("Tapez le nom d'un pays (Mali, Sénégal…) pour le choisir ; un par ligne."),
    )
    areas = _picker(
        _("Territoires"),
        "areas",
        help_text=_("Tapez le nom d'une région ou d'une province pour la choisir ; une par ligne."),
    )
    places = _picker(
        _("Lieux"),
        "places",
        help_text=_("Tapez le nom d'une ville ou d'un village pour le choisir ; un par ligne."),
    )
    themes = _themes_field()
    main_theme = forms.ModelChoiceField(
        label=_("Thématique principale"), required=False, queryset=Theme.objects.all()
    )
    sectors = _picker(
        _("Secteurs d'intervention (OCDE)"),
        "sectors",
        help_text=_(
            "Tapez un mot (eau potable, santé, état civil…) pour choisir un secteur, puis donnez "
            "la part du projet qui lui revient ; les parts font 100 %."
        ),
        extra="percent",
    )
    sdg_goals = forms.MultipleChoiceField(
        label=_("Objectifs de développement durable"),
        required=False,
        choices=_sdg_goal_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Cochez les objectifs auxquels le projet contribue."),
    )
    sdg_targets = _picker(
        _("Cibles ODD"),
        "sdg",
        help_text=_("Tapez un mot ou le numéro d'une cible pour la choisir ; son objectif est ajouté."),
    )
    budget = AmountField(
        label=_("Budget total"), required=False, min_value=0, decimal_places=2, max_digits=16
    )
    currency = forms.CharField(label=_("Devise"), initial="EUR", max_length=3, min_length=3)
    beneficiaries = forms.CharField(
        label=_("Bénéficiaires"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    beneficiaries_count = AsciiIntegerField(label=_("Nombre de bénéficiaires"), required=False, min_value=0)
    results = forms.CharField(label=_("Résultats"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    plain = (
        "title",
        "summary",
        "context",
        "objective",
        "description",
        "status",
        "start_date",
        "end_date",
        "start_year",
        "end_year",
        "budget",
        "currency",
        "beneficiaries",
        "beneficiaries_count",
        "results",
    )

    resolved = {
        name: getattr(resolve, name)
        for name in (
            "partnerships",
            "participants",
            "operators",
            "countries",
            "areas",
            "places",
            "sectors",
            "sdg_targets",
        )  # the goals are ticked among the seventeen: the field itself checks them
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Policy markers: one 0/1/2 choice per OECD marker, from the reference table.
        # Shown under « Avancé » (record_form.html), each value with its number and meaning.
        choices = [("", _("Non renseigné"))] + [
            (value, f"{value} – {label}") for value, label in ProjectPolicyMarker.Significance.choices
        ]
        for marker in PolicyMarker.objects.order_by("code"):
            self.fields[f"marker_{marker.slug}"] = forms.TypedChoiceField(
                label=marker.name, required=False, coerce=int, empty_value=None, choices=choices
            )

    def marker_fields(self):
        return [self[name] for name in self.fields if name.startswith("marker_")]

    def markers_have_errors(self) -> bool:
        return any(f.errors for f in self.marker_fields())

    def main_fields(self):
        return [self[name] for name in self.fields if not name.startswith("marker_")]

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()

    @staticmethod
    def initial_from(record) -> dict:
        main = record.theme_links.filter(is_main=True).first()
        data = {
            **{n: getattr(record, n) for n in ProjectForm.plain},
            "version": record.version,
            # `code — label`, as the pickers write it: the rows show names, never a slug or a code
            "partnerships": resolve.as_lines(f"{p.slug} — {p.title}" for p in record.partnerships.all()),
            "participants": resolve.as_lines(
                participant_line(p.authority, p.role) for p in record.participants.select_related("authority")
            ),
            "operators": resolve.as_lines(
                f"{o.organisation.slug} — {o.organisation.name} ; {o.get_role_display()}"
                for o in record.operator_links.select_related("organisation")
            ),
            "countries": resolve.as_lines(f"{c.iso2} — {c.name}" for c in record.countries.all()),
            "areas": resolve.as_lines(f"{a.code} — {a.name}" for a in record.areas.all()),
            "places": resolve.as_lines(f"{p.geonames_id} — {p.name}" for p in record.places.order_by("name")),
            "themes": [link.theme for link in record.theme_links.select_related("theme")],
            "main_theme": main.theme if main else None,
            "sectors": resolve.as_lines(
                f"{s.sector_id} — {s.sector_id} {s.sector.name} ; {s.percentage.normalize():f}"
                for s in record.sector_links.select_related("sector")
            ),
            "sdg_goals": [str(g) for g in record.sdg_goals.values_list("number", flat=True)],
            "sdg_targets": resolve.as_lines(record.sdg_targets.values_list("code", flat=True)),
        }
        for link in record.marker_links.select_related("marker"):
            data[f"marker_{link.marker.slug}"] = link.significance
        return data

    def to_kwargs(self, *, creating: bool) -> dict:
        from coopatlas.cooperation.models import Project

        cd = self.cleaned_data
        kw = self.empty_to_blank(
            self.plain_kwargs(),
            ("summary", "context", "objective", "description", "beneficiaries", "results"),
        )
        themes = list(cd["themes"])
        main = cd["main_theme"]
        if main is not None and main not in themes:
            themes.insert(0, main)
        targets = resolve.sdg_targets(cd["sdg_targets"])
        goals = resolve.sdg_goals(" ".join(cd["sdg_goals"]))
        goals += [t.goal for t in targets if t.goal not in goals]
        markers = {m.slug: m for m in PolicyMarker.objects.all()}
        kw["links"] = {
            "partnerships": resolve.partnerships(cd["partnerships"]),
            "participants": resolve.participants(cd["participants"]),
            "operators": resolve.operators(cd["operators"]),
            "countries": resolve.countries(cd["countries"]),
            "areas": resolve.areas(cd["areas"]),
            "places": resolve.places(cd["places"]),
            "themes": [(t, t == main) for t in themes],
            "sectors": resolve.sectors(cd["sectors"]),
            "sdg_goals": goals,
            "sdg_targets": targets,
            "markers": [
                (markers[name.removeprefix("marker_")], value)
                for name, value in cd.items()
                if name.startswith("marker_") and value is not None
            ],
        }
        if creating:
            kw["slug"] = cd["slug"] or unique_slug(Project, kw["title"])
        return kw


# --------------------------------------------------------------------------- financing plan


def party_from_text(text: str, *, field: str) -> dict:
    """What the funders' picker sent ("org:<slug> — name", or an authority's code) as
    {"organisation": …} or {"authority": …}; {} when empty."""
    text = (text or "").strip()
    if not text:
        return {}
    if text.lower().startswith("org:"):
        return {"organisation": resolve.organisation(text[4:], field=field)}
    if Organisation.objects.filter(slug=resolve._head(text)).exists():
        return {"organisation": resolve.organisation(text, field=field)}
    return {"authority": resolve.authority(text, field=field)}


class FundingLineForm(forms.Form):
    """An existing line (id + version) or a new one (funder given)."""

    id = AsciiIntegerField(widget=forms.HiddenInput, required=False)
    version = AsciiIntegerField(widget=forms.HiddenInput, required=False)
    funder = forms.CharField(
        label=_("Financeur"),
        required=False,
        widget=forms.TextInput(attrs={"data-picker": "funders", "autocomplete": "off"}),
        help_text=_("Tapez le nom d'une collectivité ou d'un acteur (AFD, association…) pour le choisir."),
    )
    instrument = forms.ChoiceField(
        label=_("Instrument"), choices=FundingInstrument.choices, initial=FundingInstrument.OWN_FUNDS
    )
    amount = AmountField(
        label=_("Montant"),
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=16,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "data-funding-amount": "1", "size": 14}),
    )
    currency = forms.CharField(
        label=_("Devise"),
        initial="EUR",
        max_length=3,
        min_length=3,
        widget=forms.TextInput(attrs={"data-funding-currency": "1", "size": 4}),
    )
    nature = forms.ChoiceField(
        label=_("Nature"),
        choices=[("cash", _("Numéraire")), ("in_kind", _("Valorisation"))],
        widget=forms.Select(attrs={"data-funding-nature": "1"}),
    )
    year = AsciiIntegerField(label=_("Année"), required=False, min_value=1900, max_value=2100)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    remove = forms.BooleanField(
        label=_("Retirer"), required=False, widget=forms.CheckboxInput(attrs={"data-funding-remove": "1"})
    )

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "EUR").strip().upper()

    @property
    def is_new(self) -> bool:
        return not (self.cleaned_data.get("id") if hasattr(self, "cleaned_data") else self.initial.get("id"))

    @property
    def is_blank(self) -> bool:
        cd = self.cleaned_data
        return not cd.get("id") and not cd.get("funder") and cd.get("amount") is None

    def funder_kwargs(self) -> dict:
        text = (self.cleaned_data.get("funder") or "").strip()
        if not text:
            from coopatlas.core.errors import AppError

            raise AppError(
                _(
                    "Donnez le financeur : tapez le nom d'une collectivité ou d'un acteur et "
                    "choisissez-le dans la liste."
                ),
                field="funder",
            )
        return {f"funder_{kind}": found for kind, found in party_from_text(text, field="funder").items()}

    @staticmethod
    def initial_from(line) -> dict:
        funder = (
            f"org:{line.funder_organisation.slug} — {line.funder_organisation}"
            if line.funder_organisation_id
            else _authority_code(line.funder_authority)
        )
        return {
            "id": line.pk,
            "version": line.version,
            "funder": funder,
            "instrument": line.instrument,
            "amount": line.amount,
            "currency": line.currency,
            "nature": line.nature,
            "year": line.year,
            "note": line.note,
        }


FundingFormSet = forms.formset_factory(FundingLineForm, extra=2)


def funding_totals(*, lines: list[dict], budget: Decimal | None, currency: str) -> dict:
    """The plan's totals (cash, in kind, all) in the budget's currency and the gap to it.
    The same sums are drawn live in the browser (static/editor/editor.js)."""
    cash = sum(
        (
            d["amount"]
            for d in lines
            if d.get("amount") is not None
            and d.get("currency", currency) == currency
            and d.get("nature") == "cash"
        ),
        Decimal(0),
    )
    in_kind = sum(
        (
            d["amount"]
            for d in lines
            if d.get("amount") is not None
            and d.get("currency", currency) == currency
            and d.get("nature") == "in_kind"
        ),
        Decimal(0),
    )
    total = cash + in_kind
    other = sorted(
        {
            d["currency"]
            for d in lines
            if d.get("amount") is not None and d.get("currency", currency) != currency
        }
    )
    return {
        "cash": cash,
        "in_kind": in_kind,
        "total": total,
        "currency": currency,
        "budget": budget,
        "gap": None if budget is None else budget - total,
        "other_currencies": other,
    }


# --------------------------------------------------------------------------- other records


class OrganisationForm(RecordForm):
    name = forms.CharField(label=_("Nom"), max_length=300)
    slug = forms.SlugField(
        label=_("Identifiant dans l'adresse"),
        required=False,
        max_length=200,
        help_text=_("Laissé vide, il est tiré du nom."),
    )
    acronym = forms.CharField(label=_("Sigle"), required=False, max_length=40)
    kind = forms.ChoiceField(label=_("Nature"), choices=Organisation.Kind.choices)
    country = forms.CharField(
        label=_("Pays"), required=False, max_length=2, help_text=_("Code ISO à deux lettres (FR, ML…).")
    )
    website = forms.URLField(label=_("Site internet"), required=False, assume_scheme="https")
    siren = forms.CharField(label=_("SIREN"), required=False, max_length=9)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    plain = ("name", "acronym", "kind", "website", "description")

    @staticmethod
    def initial_from(record) -> dict:
        return {
            **{n: getattr(record, n) for n in OrganisationForm.plain},
            "version": record.version,
            "country": record.country_id or "",
            "siren": record.siren or "",
        }

    def to_kwargs(self, *, creating: bool) -> dict:
        kw = self.plain_kwargs()
        cd = self.cleaned_data
        kw["country"] = resolve.country(cd["country"], field="country") if cd["country"] else None
        kw["siren"] = cd["siren"].strip() or None
        if creating:
            kw["slug"] = cd["slug"] or unique_slug(Organisation, kw["name"])
        return kw


class ContactForm(RecordForm):
    role = forms.CharField(label=_("Fonction ou service"), max_length=300)
    name = forms.CharField(label=_("Nom de la personne"), required=False, max_length=200)
    authority = _picker(
        _("Collectivité"),
        "authorities",
        many=False,
        help_text=_("Tapez le nom de la collectivité pour la choisir."),
    )
    organisation = _picker(
        _("Ou acteur"),
        "organisations",
        many=False,
        help_text=_("Tapez le nom d'une association, d'une ONG ou d'un opérateur."),
    )
    email = forms.EmailField(label=_("Adresse électronique"), required=False)
    phone = forms.CharField(label=_("Téléphone"), required=False, max_length=40)
    country = forms.CharField(label=_("Pays"), required=False, max_length=2)
    plain = ("role", "name", "email", "phone")

    @staticmethod
    def initial_from(record) -> dict:
        return {
            **{n: getattr(record, n) for n in ContactForm.plain},
            "version": record.version,
            "authority": _authority_code(record.authority) if record.authority_id else "",
            "organisation": record.organisation.slug if record.organisation_id else "",
            "country": record.country_id or "",
        }

    def to_kwargs(self, *, creating: bool) -> dict:
        cd = self.cleaned_data
        kw = self.plain_kwargs()
        kw["authority"] = resolve.authority(cd["authority"], field="authority") if cd["authority"] else None
        kw["organisation"] = (
            resolve.organisation(cd["organisation"], field="organisation") if cd["organisation"] else None
        )
        kw["country"] = resolve.country(cd["country"], field="country") if cd["country"] else None
        return kw


class ConventionForm(RecordForm):
    partnership = _picker(
        _("Partenariat"),
        "partnerships",
        many=False,
        help_text=_("Tapez quelques mots de l'intitulé du partenariat ; fixé à la création."),
    )
    title = forms.CharField(label=_("Intitulé"), max_length=500)
    parties = _picker(
        _("Signataires"),
        "authorities",
        help_text=_("Tapez le nom de chaque collectivité signataire, parmi les parties du partenariat."),
    )
    purpose = forms.CharField(label=_("Objet"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    signed_on = _date(_("Date de signature"))
    signed_year = _year(_("Année de signature"))
    starts_on = _date(_("Début"))
    ends_on = _date(_("Fin"))
    duration_months = AsciiIntegerField(label=_("Durée (mois)"), required=False, min_value=0)
    estimated_commitment = AmountField(
        label=_("Engagements estimés"), required=False, min_value=0, decimal_places=2, max_digits=16
    )
    currency = forms.CharField(label=_("Devise"), initial="EUR", max_length=3, min_length=3)
    plain = (
        "title",
        "purpose",
        "signed_on",
        "signed_year",
        "starts_on",
        "ends_on",
        "duration_months",
        "estimated_commitment",
        "currency",
    )

    @staticmethod
    def initial_from(record) -> dict:
        return {
            **{n: getattr(record, n) for n in ConventionForm.plain},
            "version": record.version,
            "partnership": record.partnership.slug,
            "parties": resolve.as_lines(_authority_code(a) for a in record.parties.all()),
        }

    def to_kwargs(self, *, creating: bool) -> dict:
        cd = self.cleaned_data
        kw = self.plain_kwargs()
        kw["currency"] = kw["currency"].upper()
        parties = resolve.authorities(cd["parties"], field="parties")
        if parties or not creating:
            kw["parties"] = parties
        if creating:
            found = resolve.partnerships(cd["partnership"], field="partnership")
            if not found:
                from coopatlas.core.errors import AppError

                raise AppError(_("Donnez le partenariat dont relève la convention."), field="partnership")
            kw["partnership"] = found[0]
        return kw


class PartnerRequestForm(RecordForm):
    authority = _picker(
        _("Collectivité étrangère"),
        "authorities",
        many=False,
        help_text=_("Tapez le nom de la collectivité étrangère pour la choisir ; fixée à la création."),
    )
    registered_by = _picker(
        _("Enregistrée par"),
        "organisations",
        many=False,
        help_text=_("Tapez le nom de l'acteur (ambassade, réseau…) qui l'a enregistrée."),
    )
    description = forms.CharField(
        label=_("Présentation"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    wishes = forms.CharField(
        label=_("Partenaire français recherché"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    status = forms.ChoiceField(label=_("État"), choices=PartnerRequest.Status.choices)
    registered_year = _year(_("Année d'enregistrement"))
    themes = _themes_field()
    plain = ("description", "wishes", "status", "registered_year")

    @staticmethod
    def initial_from(record) -> dict:
        return {
            **{n: getattr(record, n) for n in PartnerRequestForm.plain},
            "version": record.version,
            "authority": _authority_code(record.authority),
            "registered_by": record.registered_by.slug if record.registered_by_id else "",
            "themes": list(record.themes.all()),
        }

    def to_kwargs(self, *, creating: bool) -> dict:
        cd = self.cleaned_data
        kw = self.plain_kwargs()
        kw["themes"] = list(cd["themes"])
        kw["registered_by"] = (
            resolve.organisation(cd["registered_by"], field="registered_by") if cd["registered_by"] else None
        )
        if creating:
            kw["authority"] = resolve.authority(cd["authority"] or "", field="authority")
        return kw


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("Ce que le rédacteur doit corriger"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
    )


# --------------------------------------------------------------------------- documents


class DocumentUploadForm(forms.Form):
    """Only parses the request: the content check (magic bytes, size) is the service's,
    whose AppError names `file`; an empty file is left to it too, for one message."""

    ACCEPT = ".pdf,.png,.jpg,.jpeg,.webp"

    def __init__(self, *args, **kwargs):
        # Ids of its own: it sits below the record's form, which has an « id_title » too (two
        # fields had one id; « Titre du document » labelled the record's title).
        kwargs.setdefault("auto_id", "id_document_%s")
        super().__init__(*args, **kwargs)

    file = forms.FileField(
        label=_("Fichier"),
        allow_empty_file=True,
        help_text=_("PDF, PNG, JPEG ou WebP ; 20 Mo au plus."),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    title = forms.CharField(
        label=_("Titre du document"),
        required=False,
        max_length=300,
        help_text=_("Par exemple : convention signée, rapport 2023."),
    )


# --------------------------------------------------------------------------- programme


class CountryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class ProgrammeForm(RecordForm):
    """A programme to join, edited by its carrier (issue 14); created by the ministry or
    its carrier's administrator, so the form only updates."""

    title = forms.CharField(label=_("Titre"), max_length=500)
    description = forms.CharField(
        label=_("Présentation"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    countries = CountryChoiceField(
        label=_("Pays"),
        required=False,
        queryset=None,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Les pays où le programme agit ; plusieurs choix possibles (Ctrl ou Cmd)."),
    )
    themes = _themes_field()
    duration_months = AsciiIntegerField(label=_("Durée (mois)"), required=False, min_value=1, max_value=600)
    start_year = _year(_("Année de début"))
    end_year = _year(_("Année de fin"))
    min_members = AsciiIntegerField(
        label=_("Nombre minimal de membres pour démarrer"), required=False, min_value=1, max_value=10_000
    )
    cost_min = AmountField(
        label=_("Coût annuel par membre : de (€)"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        help_text=_("Montant en euros par collectivité et par an, par exemple « 2 500 » ou « 2 500,50 »."),
    )
    cost_max = AmountField(label=_("à (€)"), required=False, max_digits=14, decimal_places=2, min_value=0)
    member_brings = forms.CharField(
        label=_("Ce qu'apporte un membre"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    member_gets = forms.CharField(
        label=_("Ce que reçoit un membre"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    is_open = forms.BooleanField(label=_("Ouvert aux adhésions"), required=False)
    plain = (
        "title",
        "description",
        "duration_months",
        "start_year",
        "end_year",
        "min_members",
        "cost_min",
        "cost_max",
        "member_brings",
        "member_gets",
        "is_open",
    )

    def __init__(self, *args, **kwargs):
        from coopatlas.geo.models import Country

        super().__init__(*args, **kwargs)
        self.fields["countries"].queryset = Country.objects.exclude(iso2="FR").order_by("name_fr")

    @staticmethod
    def initial_from(record) -> dict:
        return {
            **{n: getattr(record, n) for n in ProgrammeForm.plain},
            "version": record.version,
            "countries": list(record.countries.all()),
            "themes": list(record.themes.all()),
        }

    def to_kwargs(self, *, creating: bool) -> dict:
        cd = self.cleaned_data
        kw = self.empty_to_blank(self.plain_kwargs(), ("description", "member_brings", "member_gets"))
        kw["countries"] = list(cd["countries"])
        kw["themes"] = list(cd["themes"])
        return kw
