"""Per record type: its form, how to create and update it through the editing services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from coopatlas.cooperation import editing

from . import forms as f


@dataclass(frozen=True)
class Spec:
    form: type[f.RecordForm]
    create: Callable  # (actor, kwargs) -> record
    update: Callable  # (actor, record, version, kwargs) -> record
    new_label: str
    # Fields fixed once the record exists (the services do not move them).
    fixed_on_update: tuple[str, ...] = ()


def _convention_create(actor, kw):
    partnership = kw.pop("partnership")
    return editing.convention_create(actor=actor, partnership=partnership, **kw)


SPECS: dict[str, Spec] = {
    "partenariats": Spec(
        f.PartnershipForm,
        lambda a, kw: editing.partnership_create(actor=a, **kw),
        lambda a, r, v, kw: editing.partnership_update(actor=a, partnership=r, version=v, **kw),
        _("Nouveau partenariat"),
        ("slug",),
    ),
    "projets": Spec(
        f.ProjectForm,
        lambda a, kw: editing.project_create(actor=a, **kw),
        lambda a, r, v, kw: editing.project_update(actor=a, project=r, version=v, **kw),
        _("Nouveau projet"),
        ("slug",),
    ),
    "conventions": Spec(
        f.ConventionForm,
        _convention_create,
        lambda a, r, v, kw: editing.convention_update(actor=a, convention=r, version=v, **kw),
        _("Nouvelle convention"),
        ("partnership",),
    ),
    "acteurs": Spec(
        f.OrganisationForm,
        lambda a, kw: editing.organisation_create(actor=a, **kw),
        lambda a, r, v, kw: editing.organisation_update(actor=a, organisation=r, version=v, **kw),
        _("Nouvel acteur"),
        ("slug",),
    ),
    "contacts": Spec(
        f.ContactForm,
        lambda a, kw: editing.contact_create(actor=a, **kw),
        lambda a, r, v, kw: editing.contact_update(actor=a, contact=r, version=v, **kw),
        _("Nouveau contact"),
    ),
    "demandes": Spec(
        f.PartnerRequestForm,
        lambda a, kw: editing.partner_request_create(actor=a, **kw),
        lambda a, r, v, kw: editing.partner_request_update(actor=a, request=r, version=v, **kw),
        _("Nouvelle demande de partenariat"),
        ("authority",),
    ),
    "programmes": Spec(
        f.ProgrammeForm,
        lambda a, kw: _programme_create(a, kw),
        lambda a, r, v, kw: editing.programme_update(actor=a, programme=r, version=v, **kw),
        _("Nouveau programme"),
    ),
}


def _programme_create(actor, kw):
    from coopatlas.core.errors import AppError

    # A programme needs its carrier, set by the ministry when it registers it; its carrier
    # then completes it here.
    raise AppError(
        _(
            "programme : un programme est enregistré avec son porteur par la DAECT ; "
            "son porteur le complète ensuite ici."
        ),
        field="programme",
    )


def _own_authority(user):
    """The one authority the person edits for (an officer's own), else None."""
    if user is None:
        return None
    from coopatlas.accounts.permissions import scope_of
    from coopatlas.geo.models import LocalAuthority

    ids = scope_of(user).editor_authorities
    return LocalAuthority.objects.filter(pk=next(iter(ids))).first() if len(ids) == 1 else None


def new_record_initial(kind: str, *, user) -> dict | None:
    """A new project names the officer's own authority as its lead, a new partnership as a
    party: the entry a part-time officer would otherwise type first every time."""
    own = _own_authority(user) if kind in ("projets", "partenariats") else None
    if own is None:
        return None
    if kind == "projets":
        return {"participants": f.participant_line(own, "lead")}
    return {"parties": f.authority_line(own)}


def build_form(kind: str, *, record=None, data=None, user=None) -> f.RecordForm:
    spec = SPECS[kind]
    initial = spec.form.initial_from(record) if record is not None else new_record_initial(kind, user=user)
    form = spec.form(data=data, initial=initial)
    if record is not None:
        for name in spec.fixed_on_update:
            form.fields[name].disabled = True
            form.fields[name].required = False
    else:
        form.fields["version"].widget = forms.HiddenInput()
    return form


# A revision stores a project's child lists under their relation's name; the form shows them
# under its own field (the policy markers are one field per marker, under « Avancé »).
_REVISION_KEY_FIELDS = {"sector_links": "sectors", "theme_links": "themes", "operator_links": "operators"}


def changed_labels(kind: str, keys) -> list[str]:
    """What a pending revision changes, in the words of the form the officer filled in
    (« Année de début, Lieux »), never the stored keys (start_year, places)."""
    fields = SPECS[kind].form.base_fields
    out = []
    for key in keys:
        if key in ("publication_status", "returned_comment"):
            continue
        name = _REVISION_KEY_FIELDS.get(key, key.removesuffix("_id"))
        if name in fields:
            out.append(str(fields[name].label))
        elif key == "marker_links":
            out.append(str(_("Marqueurs de politique de l’OCDE")))
        else:
            out.append(key)
    return list(dict.fromkeys(out))
