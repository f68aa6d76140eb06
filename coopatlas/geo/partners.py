"""Writes for foreign partner authorities: from the gazetteer, added in one step, confirmed,
merged.

Who may do what (read from accounts.permissions.scope_of, not redefined here):
- any signed-in person with a role adds a missing authority; it stays "à vérifier";
- an embassy agent of the authority's country, or an administrator, adds it already
  confirmed, confirms, corrects and merges; an embassy agent of another country may not.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError, NotFound
from coopatlas.core.text import fold

from .gazetteer import FRENCH_ONLY_KINDS, STATE_REFUSAL, _authority_kind, core_name, state_named
from .models import AuthorityAlias, AuthorityKind, Country, GazetteerEntry, LocalAuthority

BOX_PADDING = 0.5  # degrees: the boxes come from the shipped places, not from borders
SIMILAR_RATIO = 0.8


@functools.lru_cache(maxsize=1)
def country_boxes() -> dict[str, list[float]]:
    """[south, west, north, east] per country, from gazetteer.json.gz (its shipped places)."""
    from .services import GEO_DATA_DIR, _read_json

    return _read_json(GEO_DATA_DIR / "gazetteer.json.gz")["country_boxes"]


# --- permission ------------------------------------------------------------------------------


def _scope(user):
    from coopatlas.accounts.permissions import PermissionDenied, scope_of

    scope = scope_of(user)
    return scope, PermissionDenied


def can_review_foreign(*, user, country_id: str) -> bool:
    scope, _ = _scope(user)
    return scope.admin or country_id in scope.countries


def _require_contributor(user, country_id: str) -> bool:
    """True when the user's word confirms the authority (embassy of the country or admin)."""
    scope, denied = _scope(user)
    if scope.admin or country_id in scope.countries:
        return True
    if scope.countries and not scope.editor_authorities:
        raise denied(
            _(
                "Un agent d'ambassade ajoute et corrige les collectivités de son pays seulement "
                "(%(countries)s) ; pour ce pays (%(country)s), demandez à son ambassade ou à un "
                "administrateur."
            )
            % {"countries": ", ".join(sorted(scope.countries)), "country": country_id},
            field="country",
        )
    if not scope.any_role:
        raise denied(_("Connectez-vous avec un compte qui a un rôle pour ajouter une collectivité."))
    return False


def _require_reviewer(user, authority: LocalAuthority) -> None:
    if not can_review_foreign(user=user, country_id=authority.country_id):
        _scope_unused, denied = _scope(user)
        raise denied(
            _(
                "Seul un agent de l'ambassade de ce pays ou un administrateur confirme, corrige "
                "ou fusionne une collectivité étrangère."
            ),
            field="authority",
        )


# --- from the gazetteer ----------------------------------------------------------------------


def _unique_slug(name: str, country: str) -> str:
    base = f"{slugify(name)[:170] or 'collectivite'}-{country.lower()}"
    slug, n = base, 2
    while LocalAuthority.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def foreign_authority_from_entry(*, code: str) -> LocalAuthority:
    """The LocalAuthority of a gazetteer entry, created the first time someone picks it."""
    code = (code or "").strip()
    if code.startswith("gaz:"):
        code = code[4:]
    with transaction.atomic():
        entry = (
            GazetteerEntry.objects.select_for_update(of=("self",))  # PostgreSQL: not the outer joins
            .select_related("parent", "place")
            .filter(code=code)
            .first()
        )
        if entry is None:
            raise NotFound(
                _(
                    "« %(code)s » n'est pas dans le répertoire géographique ; "
                    "cherchez la collectivité par son nom."
                )
                % {"code": code},
                field="code",
            )
        if entry.authority_id:
            return entry.authority
        parent = None
        if entry.parent_id:
            parent = foreign_authority_from_entry(code=entry.parent.code)
        authority = LocalAuthority(
            name=entry.name,
            kind=_authority_kind(entry),
            country_id=entry.country_id,
            area_id=entry.area_id or (parent.area_id if parent else None),
            parent=parent,
            foreign_code=entry.code[:40],
            population=entry.population,
            latitude=entry.latitude,
            longitude=entry.longitude,
            coordinates_from="geonames" if entry.latitude is not None else "",
            slug=_unique_slug(entry.name, entry.country_id),
        )
        authority.full_clean(exclude=["source", "search_name"])
        authority.save()
        for n in entry.names.exclude(value=entry.name):
            AuthorityAlias.objects.get_or_create(
                authority=authority, kind=AuthorityAlias.Kind.ALT_NAME, value=n.value[:300]
            )
        entry.authority = authority
        entry.save(update_fields=["authority"])
        return authority


# --- similar names ---------------------------------------------------------------------------


@dataclass
class Similar:
    label: str
    code: str  # what the pickers and resolve.authority accept: slug or gaz:<entry code>
    ratio: float


def foreign_authority_similar(
    *, country: str, name: str, parent: LocalAuthority | None = None, limit: int = 8
) -> list[Similar]:
    """Authorities and gazetteer entries of the country whose name is close to `name`."""
    from .gazetteer import authority_label, entry_label

    wanted = core_name(name)
    if len(wanted) < 2:
        return []
    head = wanted[:3]
    out: dict[str, Similar] = {}
    authorities = LocalAuthority.objects.filter(country_id=country, is_current=True)
    if parent is not None:
        authorities = authorities.filter(
            models.Q(parent=parent) | models.Q(pk=parent.pk) | models.Q(parent__isnull=True)
        )
    candidates = authorities.filter(
        models.Q(search_name__indexed_contains=head) | models.Q(aliases__search_value__indexed_contains=head)
    ).distinct()[:400]
    for a in candidates:
        ratio = _ratio(wanted, a.name)
        if ratio >= SIMILAR_RATIO:
            out[a.slug] = Similar(authority_label(a), a.slug, ratio)
    entries = (
        GazetteerEntry.objects.select_related("parent", "country")
        .filter(country_id=country, names__search_value__contains=head, authority__isnull=True)
        .distinct()[:400]
    )
    for e in entries:
        ratio = max([_ratio(wanted, n.value) for n in e.names.all()] or [0])
        if ratio >= SIMILAR_RATIO:
            out[f"gaz:{e.code}"] = Similar(entry_label(e), f"gaz:{e.code}", ratio)
    return sorted(out.values(), key=lambda s: -s.ratio)[:limit]


def _ratio(wanted: str, other: str) -> float:
    o = core_name(other)
    if o == wanted:
        return 1.0
    return difflib.SequenceMatcher(None, wanted, o).ratio()


# --- create ----------------------------------------------------------------------------------


def _check_coordinates(country: Country, latitude, longitude) -> None:
    if (latitude is None) != (longitude is None):
        raise AppError(
            _("Donnez la latitude et la longitude, ou aucune des deux."),
            field="latitude" if latitude is None else "longitude",
        )
    if latitude is None:
        return
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError) as exc:
        raise AppError(
            _("Coordonnées illisibles : écrivez des degrés décimaux (14.4843, -4.18296)."), field="latitude"
        ) from exc
    box = country_boxes().get(country.iso2)
    if box is None:
        return
    s, w, n, e = box
    if not (s - BOX_PADDING <= lat <= n + BOX_PADDING and w - BOX_PADDING <= lon <= e + BOX_PADDING):
        raise AppError(
            _(
                "Le point (%(lat)s, %(lon)s) est hors du pays (%(country)s : latitudes %(south)s à "
                "%(north)s, longitudes %(west)s à %(east)s). Vérifiez l'ordre latitude, longitude "
                "et le signe (ouest et sud sont négatifs)."
            )
            % {
                "lat": f"{lat:.4f}",
                "lon": f"{lon:.4f}",
                "country": country.name_fr,
                "south": f"{s:.1f}",
                "north": f"{n:.1f}",
                "west": f"{w:.1f}",
                "east": f"{e:.1f}",
            },
            field="latitude",
        )


def _parent(parent_code: str | None, country: Country) -> LocalAuthority | None:
    if not parent_code:
        return None
    code = parent_code.strip().split(" — ", 1)[0]
    if code.startswith("gaz:"):
        entry = GazetteerEntry.objects.filter(code=code[4:]).only("country_id").first()
        if entry is None:
            raise AppError(
                _("Territoire parent « %(code)s » introuvable ; choisissez-le dans la liste.")
                % {"code": code},
                field="parent",
            )
        if entry.country_id != country.iso2:
            raise AppError(
                _(
                    "Le territoire parent est dans un autre pays (%(parent)s) que la "
                    "collectivité (%(iso2)s) : choisissez un parent de %(country)s."
                )
                % {"parent": entry.country_id, "iso2": country.iso2, "country": country.name_fr},
                field="parent",
            )
        return foreign_authority_from_entry(code=code)
    parent = LocalAuthority.objects.filter(slug=code).first()
    if parent is None:
        raise AppError(
            _("Collectivité parente « %(code)s » introuvable ; choisissez-la dans la liste.")
            % {"code": code},
            field="parent",
        )
    if parent.country_id != country.iso2:
        raise AppError(
            _(
                "La collectivité parente est dans un autre pays (%(parent)s) que la "
                "collectivité (%(iso2)s) : choisissez un parent de %(country)s."
            )
            % {"parent": parent.country_id, "iso2": country.iso2, "country": country.name_fr},
            field="parent",
        )
    return parent


def foreign_authority_create(
    *,
    user,
    country: str,
    name: str,
    kind: str,
    parent: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    place: int | None = None,
    alternate_names: list[str] | tuple[str, ...] = (),
    confirm_new: bool = False,
    source=None,
) -> LocalAuthority:
    """Add a foreign local authority the gazetteer lacks, in one step.

    `source`: an importer's record naming it (stateatlas: the fiche's address) instead of a
    user's word; `user` may then be None and the authority always stays "à vérifier".

    Refuses (AppError naming the field, nothing written): an unknown country, France, a
    State, an unknown kind, a duplicate in the same country and parent, a parent in another
    country, coordinates outside the country. When similar names exist and `confirm_new`
    is false, refuses with them listed ("Vouliez-vous dire…").
    """
    from coopatlas.core.services import source_cite, source_document_get_or_create

    from .models import Place

    iso2 = (country or "").strip().upper()
    country_obj = Country.objects.filter(iso2=iso2).first()
    if country_obj is None:
        raise AppError(
            _(
                "Pays « %(country)s » inconnu : donnez son code ISO 3166-1 alpha-2 "
                "(ML pour le Mali, MG pour Madagascar, HT pour Haïti)."
            )
            % {"country": country},
            field="country",
        )
    if iso2 == "FR":
        raise AppError(
            _(
                "Les collectivités françaises viennent du code officiel géographique : "
                "cherchez-la par son nom ou son code INSEE au lieu de l'ajouter."
            ),
            field="country",
        )
    name = " ".join((name or "").split())
    if not name:
        raise AppError(_("Donnez le nom de la collectivité, tel qu'elle l'écrit."), field="name")
    if len(name) > 300:
        raise AppError(_("Nom trop long (300 caractères au plus)."), field="name")
    state = state_named(name)
    if state is not None or kind in ("etat", "state", "pays"):
        raise AppError(STATE_REFUSAL % {"q": name}, field="name" if state else "kind")
    if kind not in AuthorityKind.values or kind in FRENCH_ONLY_KINDS:
        allowed = ", ".join(k for k in AuthorityKind.values if k not in FRENCH_ONLY_KINDS)
        raise AppError(
            _("Type « %(kind)s » inconnu pour une collectivité étrangère : choisissez parmi %(allowed)s.")
            % {"kind": kind, "allowed": allowed},
            field="kind",
        )
    confirmed = _require_contributor(user, iso2) if source is None else False
    _check_coordinates(country_obj, latitude, longitude)
    place_obj = None
    if place:
        place_obj = Place.objects.filter(pk=place).first()
        if place_obj is None or place_obj.country_id != iso2:
            raise AppError(
                _(
                    "Lieu GeoNames introuvable dans ce pays : choisissez-le dans la "
                    "liste ou cliquez sur la carte."
                ),
                field="place",
            )
    alternates = [" ".join(a.split())[:300] for a in alternate_names if a and a.strip()]

    with transaction.atomic():
        parent_obj = _parent(parent, country_obj)
        wanted = core_name(name)
        same = LocalAuthority.objects.filter(country_id=iso2, kind=kind, parent=parent_obj, is_current=True)
        for a in same.filter(search_name__contains=wanted[:3]):
            if core_name(a.name) == wanted:
                raise AppError(
                    (
                        _(
                            "« %(name)s » (%(kind)s) existe déjà dans ce pays sous %(parent)s : "
                            "choisissez-la (code %(code)s) au lieu d'en créer une autre."
                        )
                        if parent_obj
                        else _(
                            "« %(name)s » (%(kind)s) existe déjà dans ce pays : choisissez-la (code "
                            "%(code)s) au lieu d'en créer une autre."
                        )
                    )
                    % {
                        "name": a.name,
                        "kind": a.get_kind_display(),
                        "parent": parent_obj.name if parent_obj else "",
                        "code": a.slug,
                    },
                    field="name",
                )
        if not confirm_new:
            similar = foreign_authority_similar(country=iso2, name=name, parent=parent_obj)
            if similar:
                raise AppError(
                    _(
                        "Vouliez-vous dire : %(similar)s ? Choisissez-la, ou confirmez qu'il "
                        "s'agit d'une autre collectivité."
                    )
                    % {"similar": " ; ".join(f"{s.label} [{s.code}]" for s in similar)},
                    field="name",
                    errors={
                        "name": [_("Des collectivités aux noms proches existent déjà.")],
                        "similar": [s.code for s in similar],
                    },
                )
        lat = float(latitude) if latitude is not None else (place_obj.latitude if place_obj else None)
        lon = float(longitude) if longitude is not None else (place_obj.longitude if place_obj else None)
        came_from = (
            "source"
            if latitude is not None
            else "geonames"
            if place_obj
            else "parent"
            if parent_obj and parent_obj.latitude is not None
            else ""
        )
        if lat is None and parent_obj is not None:
            lat, lon = parent_obj.latitude, parent_obj.longitude
        now = timezone.now()
        if source is None:
            document = source_document_get_or_create(
                key="coopatlas-contributions",
                title="Ajouts des utilisateurs de coopatlas",
                publisher="coopatlas",
            )
            source = source_cite(
                document=document, quote=f"Ajoutée par {user.email} le {now:%Y-%m-%d %H:%M} UTC"
            )
        authority = LocalAuthority(
            name=name,
            kind=kind,
            country=country_obj,
            parent=parent_obj,
            area=parent_obj.area if parent_obj else (place_obj.area if place_obj else None),
            latitude=lat,
            longitude=lon,
            coordinates_from=came_from,
            source=source,
            slug=_unique_slug(name, iso2),
            to_verify=not confirmed,
            verified_at=now if confirmed else None,
            verified_by=user if confirmed else None,
        )
        authority.full_clean(exclude=["search_name"])
        authority.save()
        for alt in dict.fromkeys(alternates):
            if fold(alt) != fold(name):
                AuthorityAlias.objects.create(
                    authority=authority, kind=AuthorityAlias.Kind.ALT_NAME, value=alt
                )
    return authority


# --- confirm, merge --------------------------------------------------------------------------


def foreign_authority_confirm(*, user, authority: LocalAuthority) -> LocalAuthority:
    """The embassy of its country (or an administrator) vouches for an added authority."""
    _require_reviewer(user, authority)
    with transaction.atomic():
        authority.to_verify = False
        authority.verified_at = timezone.now()
        authority.verified_by = user
        authority.save(update_fields=["to_verify", "verified_at", "verified_by"])
    return authority


def _unique_sets(model, field: str) -> list[tuple[str, ...]]:
    """The other fields that, with `field`, must be unique on `model`."""
    from django.db.models import UniqueConstraint

    sets = [tuple(f) for f in model._meta.unique_together]
    sets += [
        tuple(c.fields)
        for c in model._meta.constraints
        if isinstance(c, UniqueConstraint) and c.fields and c.condition is None
    ]
    return [tuple(f for f in fs if f != field) for fs in sets if field in fs and len(fs) > 1]


def _move_rows(model, field: str, duplicate: LocalAuthority, into: LocalAuthority) -> None:
    """Point `model`'s rows from `duplicate` to `into`. Where `into` already has the row a
    unique constraint allows once (both parties of one partnership, both answered the same
    record), one is kept: the most recent when the model dates its rows (`at`), else
    `into`'s; the other goes (its history stays in core.Change)."""
    rows = model._base_manager.filter(**{field: duplicate})
    for others in _unique_sets(model, field):
        for row in list(rows):
            key = {
                f"{f}_id" if model._meta.get_field(f).is_relation else f: getattr(
                    row, f"{f}_id" if model._meta.get_field(f).is_relation else f
                )
                for f in others
            }
            kept = model._base_manager.filter(**{field: into}, **key).first()
            if kept is None:
                continue
            dated = hasattr(row, "at") and hasattr(kept, "at")
            if dated and row.at > kept.at:
                kept.delete()
            else:
                row.delete()
    model._base_manager.filter(**{field: duplicate}).update(**{field: into})


def foreign_authority_merge(*, user, duplicate: LocalAuthority, into: LocalAuthority) -> LocalAuthority:
    """Move every link of `duplicate` to `into`; keep the duplicate, no longer current.

    Every foreign key and many-to-many pointing at LocalAuthority is followed from the
    model's meta, so a link added by another app later moves too. The duplicate's name
    becomes an alias of `into` and `merged_into` records where it went.
    """
    _require_reviewer(user, duplicate)
    if duplicate.pk == into.pk:
        raise AppError(_("Une collectivité ne peut pas être fusionnée avec elle-même."), field="into")
    if duplicate.country_id != into.country_id or duplicate.is_french:
        raise AppError(_("On ne fusionne que deux collectivités étrangères du même pays."), field="into")
    with transaction.atomic():
        for rel in LocalAuthority._meta.related_objects:
            if rel.related_model is LocalAuthority and rel.field.name in ("merged_into",):
                continue
            if rel.many_to_many:
                through = rel.through if hasattr(rel, "through") else rel.field.remote_field.through
                src = rel.field.m2m_reverse_field_name()
                own = rel.field.m2m_field_name()
                for row in through.objects.filter(**{src: duplicate.pk}):
                    if not through.objects.filter(**{src: into.pk, own: getattr(row, f"{own}_id")}).exists():
                        setattr(row, f"{src}_id", into.pk)
                        row.save()
                    else:
                        row.delete()
            elif rel.one_to_many or rel.one_to_one:
                model = rel.related_model
                if model is AuthorityAlias:
                    for alias in AuthorityAlias.objects.filter(authority=duplicate):
                        AuthorityAlias.objects.get_or_create(
                            authority=into, kind=alias.kind, value=alias.value
                        )
                    continue
                if rel.one_to_one:
                    if model.objects.filter(**{rel.field.name: into}).exists():
                        model.objects.filter(**{rel.field.name: duplicate}).update(
                            **{rel.field.name: None} if rel.field.null else {}
                        )
                        continue
                _move_rows(model, rel.field.name, duplicate, into)
        for m2m in LocalAuthority._meta.many_to_many:
            getattr(into, m2m.name).add(*getattr(duplicate, m2m.name).all())
        AuthorityAlias.objects.get_or_create(
            authority=into, kind=AuthorityAlias.Kind.ALT_NAME, value=duplicate.name[:300]
        )
        duplicate.is_current = False
        duplicate.merged_into = into
        duplicate.save(update_fields=["is_current", "merged_into"])
    return into
