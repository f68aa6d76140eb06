"""The partner side is heard: a foreign authority's officer confirms or contests each
partnership and project naming it, and gives its own account of results and needs.

Writes: `partner_answer_record` (one transaction, a core.Change line per answer). Reads:
`partner_side_of` (the public fiches and their JSON) and `partner_records_for` (the
officer's list). Who may answer is `accounts.permissions.can_answer_as_partner`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coopatlas.accounts.permissions import PermissionDenied, can_answer_as_partner, can_answer_as_party
from coopatlas.core import history
from coopatlas.core.dates import long_date
from coopatlas.core.errors import AppError
from coopatlas.core.models import Change
from coopatlas.core.shapes import shaped
from coopatlas.geo.demonyms import partner_side_name
from coopatlas.geo.models import LocalAuthority

from .models import PartnerConfirmation, Partnership, PartnershipParty, Project

MAX_TEXT = 5000
State = PartnerConfirmation.State


def _record_field(record) -> str:
    return "partnership" if isinstance(record, Partnership) else "project"


@transaction.atomic
def partner_answer_record(
    *,
    user,
    record: Partnership | Project,
    authority: LocalAuthority,
    state: str,
    reason: str = "",
    account: str = "",
) -> PartnerConfirmation:
    """Confirm or contest `record` for the foreign `authority` (a contest needs its reason),
    with the partner side's account of results and needs. A second answer replaces the
    first; the history keeps both."""
    if not isinstance(record, (Partnership, Project)) or record.deleted_at is not None:
        raise AppError(_("record : on répond sur un partenariat ou un projet existant."), field="record")
    if not can_answer_as_party(user=user, record=record, authority=authority):
        raise PermissionDenied(
            _(
                "Seul un agent d'une collectivité que cet enregistrement nomme (agent de la partie "
                "partenaire invité, ou rédacteur de la collectivité française) peut le confirmer "
                "ou le contester."
            ),
            field="authority",
        )
    reason, account = (reason or "").strip(), (account or "").strip()
    if state not in (State.CONFIRMED, State.CONTESTED):
        raise AppError(
            _("state : « %(state)s » inconnu ; choisissez confirmed (confirmé) ou contested (contesté).")
            % {"state": str(state)[:20]},
            field="state",
        )
    if state == State.CONTESTED and not reason:
        raise AppError(
            _("Motif : dites pourquoi vous contestez (ce qui est inexact, ce qui manque)."), field="reason"
        )
    for name, value in (("reason", reason), ("account", account)):
        if len(value) > MAX_TEXT:
            raise AppError(
                _("%(field)s : au plus %(n)s caractères.") % {"field": name, "n": MAX_TEXT}, field=name
            )
    if state == State.CONFIRMED:
        reason = ""
    key = {_record_field(record): record, "authority": authority}
    answer = PartnerConfirmation.objects.select_for_update().filter(**key).first()
    answer = _answer_save(answer, key=key, user=user, state=state, reason=reason, account=account)
    return answer


def _answer_save(answer, *, key: dict, user, state: str, reason: str, account: str) -> PartnerConfirmation:
    """Write one answer (or request) and its core.Change line; inside the caller's transaction."""
    before = history.snapshot(answer) if answer else {}
    if answer is None:
        answer = PartnerConfirmation(**key, version=0)
    answer.state, answer.reason, answer.account = state, reason, account
    answer.by, answer.by_email, answer.at = user, getattr(user, "email", "") or "", timezone.now()
    answer.version += 1
    answer.full_clean()
    answer.save()
    after = history.snapshot(answer)
    changed_before, changed_after = history.diff(before, after)
    # Not through history.change_record: an answer has no publication workflow to snapshot.
    Change.objects.create(
        model=history.model_label(answer),
        object_id=answer.pk,
        version=answer.version,
        action=Change.Action.CREATE if answer.version == 1 else Change.Action.UPDATE,
        user=user,
        user_email=user.email,
        before=changed_before,
        after=changed_after,
        snapshot=after,
    )
    return answer


def french_confirmation_request(
    *, actor, partnership: Partnership, skip: set[int] = frozenset()
) -> list[PartnerConfirmation]:
    """Ask each French party `actor` does not speak for (an embassy recorded the
    partnership) to confirm it. Called by the partnership write services inside their
    transaction; a party already asked or that already answered is left alone. Its editors
    are told by e-mail once the transaction commits."""
    from coopatlas.accounts.permissions import scope_of

    mine = scope_of(actor).editor_authorities
    answered = set(
        PartnerConfirmation.objects.filter(partnership=partnership).values_list("authority_id", flat=True)
    )
    asked = []
    for link in PartnershipParty.objects.filter(partnership=partnership).select_related("authority"):
        a = link.authority
        if not a.is_french or a.pk in mine or a.pk in answered or a.pk in skip:
            continue
        asked.append(
            _answer_save(
                None,
                key={"partnership": partnership, "authority": a},
                user=actor,
                state=State.REQUESTED,
                reason="",
                account="",
            )
        )
    if asked:
        ids = [x.pk for x in asked]
        transaction.on_commit(lambda: _tell_french_parties(ids))
    return asked


def _tell_french_parties(ids: list[int]) -> None:
    from django.conf import settings
    from django.core.mail import send_mail
    from django.urls import reverse

    from coopatlas.accounts.models import Membership

    for ask in PartnerConfirmation.objects.filter(pk__in=ids).select_related("partnership", "authority"):
        to = sorted(
            set(
                Membership.objects.filter(authorities=ask.authority, user__is_active=True)
                .exclude(user__email="")
                .values_list("user__email", flat=True)
            )
        )
        if not to:
            continue
        url = settings.COOPATLAS_SITE_URL.rstrip("/") + reverse("editor:partner_side")
        send_mail(
            _("Partenariat à confirmer : %(title)s") % {"title": ask.partnership.title},
            _(
                "L'ambassade a enregistré le partenariat « %(title)s » avec %(authority)s. "
                "Confirmez-le ou contestez-le (en disant pourquoi) : %(url)s"
            )
            % {"title": ask.partnership.title, "authority": ask.authority.name, "url": url},
            None,
            to,
            fail_silently=True,
        )


# --------------------------------------------------------------------------- reads


def answer_dict(answer: PartnerConfirmation) -> dict:
    a = answer.authority
    side = partner_side_name(country_id=a.country_id, country_name=a.country.name)
    on = long_date(answer.at)
    if answer.state == State.REQUESTED:
        label = _("En attente de la confirmation de %(side)s (%(authority)s), demandée le %(date)s") % {
            "side": side,
            "authority": a.name,
            "date": on,
        }
    elif answer.state == State.CONFIRMED:
        label = _("Confirmé par %(side)s le %(date)s") % {"side": side, "date": on}
    else:
        label = _("Contesté par %(side)s le %(date)s : %(reason)s") % {
            "side": side,
            "date": on,
            "reason": answer.reason,
        }
    return {
        "authority": {"name": a.name, "slug": a.slug, "country": a.country_id},
        "state": answer.state,
        "reason": answer.reason or None,
        "at": answer.at.isoformat(),
        "side": side,
        "label": label,
        "account": answer.account or None,
        "account_label": (_("Selon %(side)s") % {"side": side}) if answer.account else None,
    }


def _foreign_dict(a: LocalAuthority) -> dict:
    if a.to_verify:
        label = _(
            "%(name)s : à vérifier (ajoutée par un rédacteur, pas encore confirmée par l'ambassade)"
        ) % {"name": a.name}
    elif a.verified_at:
        label = _("%(name)s : collectivité vérifiée le %(date)s") % {
            "name": a.name,
            "date": long_date(a.verified_at),
        }
    else:
        label = None
    return {
        "name": a.name,
        "slug": a.slug,
        "country": a.country_id,
        "to_verify": a.to_verify,
        "verified_at": a.verified_at.isoformat() if a.verified_at else None,
        "label": label,
    }


def _with_authorities(record, relation: str):
    """The record's prefetched links (the fiches read them with their authorities), else
    read here with their authorities."""
    if relation in getattr(record, "_prefetched_objects_cache", {}):
        return getattr(record, relation).all()
    return getattr(record, relation).select_related("authority")


def partner_side_of(*, record: Partnership | Project) -> dict:
    """The record's foreign authorities (verified or « à vérifier ») and the answers of
    those that still name it (for the public fiches and their JSON).

    Who is named comes from the fiche's own prefetched parties or participants (with their
    authorities) and partnerships, else it is read here; a project's partnerships' parties
    are one read. Then one read of the record's answers, kept for the named authorities
    (issue 15: a partnership's fiche spends one query here, a project's one or two)."""
    if isinstance(record, Partnership):
        named = {link.authority_id: link.authority for link in _with_authorities(record, "party_links")}
    else:  # as authority_records_q: its participants and its partnerships' parties
        named = {x.authority_id: x.authority for x in _with_authorities(record, "participants")}
        partnerships = sorted({x.pk for x in record.partnerships.all()})
        if partnerships:
            for link in shaped(
                PartnershipParty.objects.filter(partnership_id__in=partnerships).select_related("authority"),
                "partner_side_of.parties",
            ):
                named.setdefault(link.authority_id, link.authority)
    foreign = sorted((a for a in named.values() if a.country_id != "FR"), key=lambda a: (a.name, a.pk))
    answers = shaped(
        PartnerConfirmation.objects.filter(**{_record_field(record): record})
        .select_related("authority__country")
        .order_by("authority__name"),
        "partner_side_of.answers",
    )
    return {
        "authorities": [_foreign_dict(a) for a in foreign],
        "answers": [answer_dict(x) for x in answers if x.authority_id in named],
    }


def partner_records_for(*, user) -> list[dict]:
    """What a partner officer answers on: per authority of its scope, the live partnerships
    and projects naming it, each with the answer given (or none yet). For a French editor:
    the partnerships its authorities were asked to confirm (recorded by an embassy or the
    ministry), answered or not."""
    from coopatlas.accounts.permissions import authority_records_q, scope_of

    scope = scope_of(user)
    out = []
    asked = (
        PartnerConfirmation.objects.filter(
            authority_id__in=scope.editor_authorities, partnership__deleted_at__isnull=True
        )
        .select_related("partnership", "authority__country")
        .order_by("authority__name", "partnership__title")
    )
    french: dict[int, dict] = {}
    for answer in asked:
        group = french.setdefault(
            answer.authority_id, {"authority": answer.authority, "rows": [], "foreign": False}
        )
        group["rows"].append(
            {
                "record": answer.partnership,
                "kind": "partnership",
                "answer": None if answer.state == State.REQUESTED else answer,
            }
        )
    out.extend(french.values())
    ids = sorted(scope.partner_authorities)
    for authority in LocalAuthority.objects.filter(pk__in=ids).select_related("country"):
        rows = []
        for model in (Partnership, Project):
            records = (
                model.objects.filter(model.live_q())
                .filter(authority_records_q(model, [authority.pk]))
                .distinct()
                .order_by("title")
            )
            answers = {
                getattr(x, f"{_record_field(model())}_id"): x
                for x in PartnerConfirmation.objects.filter(
                    authority=authority, **{f"{_record_field(model())}__in": records}
                )
            }
            for r in records:
                rows.append({"record": r, "kind": _record_field(r), "answer": answers.get(r.pk)})
        out.append({"authority": authority, "rows": rows, "foreign": True})
    return out


def french_confirmations_due(*, user) -> int:
    """How many partnerships `user`'s French authorities are asked to confirm, unanswered."""
    from coopatlas.accounts.permissions import scope_of

    ids = scope_of(user).editor_authorities
    if not ids:
        return 0
    return PartnerConfirmation.objects.filter(
        authority_id__in=ids, state=State.REQUESTED, partnership__deleted_at__isnull=True
    ).count()


INVITABLE_LIMIT = 200


def partner_invitable_for(*, user) -> list[LocalAuthority]:
    """The foreign authorities whose partner side `user` may invite, as the editing space
    lists them: the foreign parties of its authorities' partnerships, and for an embassy
    those of its country that are party to a partnership (at most INVITABLE_LIMIT)."""
    from django.db.models import Q

    from coopatlas.accounts.permissions import authority_records_q, scope_of

    scope = scope_of(user)
    cond = Q(pk__in=[])
    if scope.editor_authorities:
        mine = Partnership.objects.filter(Partnership.live_q()).filter(
            authority_records_q(Partnership, scope.editor_authorities)
        )
        cond |= Q(party_links__partnership__in=mine)
    if scope.countries:
        cond |= Q(country_id__in=scope.countries, party_links__partnership__deleted_at__isnull=True)
    return list(
        LocalAuthority.objects.filter(cond)
        .exclude(country_id="FR")
        .filter(is_current=True)
        .select_related("country")
        .distinct()
        .order_by("country_id", "name")[:INVITABLE_LIMIT]
    )


def french_partners_of(*, authority: LocalAuthority) -> list[dict]:
    """Who works with a foreign authority, and on what: the French authorities party to its
    public partnerships or taking part in its public projects, each with those records."""
    from coopatlas.cooperation.models import ProjectParticipant
    from coopatlas.cooperation.selectors._common import (
        AUTHORITY_REF_FIELDS,
        authority_joins,
        authority_ref,
        ref_fields,
    )

    partnerships = Partnership.objects.public().filter(party_links__authority=authority)
    projects = Project.objects.public().filter(participants__authority=authority)
    by_partner: dict[int, dict] = {}

    def entry(a: LocalAuthority) -> dict:
        return by_partner.setdefault(
            a.pk, {"authority": authority_ref(a), "partnerships": [], "projects": []}
        )

    links = (
        PartnershipParty.objects.filter(partnership__in=partnerships)
        .filter(authority__country_id="FR")
        .select_related(*authority_joins("authority"), "partnership")
        .only("partnership__title", "partnership__slug", *ref_fields("authority", AUTHORITY_REF_FIELDS))
        .order_by("partnership__title")
    )
    for link in links:
        entry(link.authority)["partnerships"].append(
            {
                "title": link.partnership.title,
                "slug": link.partnership.slug,
                "html_url": link.partnership.get_absolute_url(),
            }
        )
    parts = (
        ProjectParticipant.objects.filter(project__in=projects)
        .filter(authority__country_id="FR")
        .select_related(*authority_joins("authority"), "project")
        .only("project__title", "project__slug", *ref_fields("authority", AUTHORITY_REF_FIELDS))
        .order_by("project__title")
    )
    for part in parts:
        entry(part.authority)["projects"].append(
            {
                "title": part.project.title,
                "slug": part.project.slug,
                "html_url": part.project.get_absolute_url(),
            }
        )
    return sorted(by_partner.values(), key=lambda x: x["authority"]["name"])


def authority_verification(*, authority: LocalAuthority) -> dict:
    """« à vérifier » or when it was verified, for a foreign authority's fiche."""
    return _foreign_dict(authority)


# --------------------------------------------------------------------------- corrections

# What the partner side may propose to correct: the texts telling the record, never its
# parties, money or workflow (those stay with the French side and the reviewers).
CORRECTABLE = {
    "partnership": ("description", "history"),
    "project": ("description", "results", "beneficiaries"),
}


@transaction.atomic
def partner_correction_propose(
    *, user, record: Partnership | Project, authority: LocalAuthority, changes: dict[str, str]
):
    """A correction from the partner side, kept as a pending core.Revision of the published
    record and reviewed as usual (ministry, or the embassy of the country). Nothing of the
    record changes until a reviewer applies it."""
    from coopatlas.core.models import Revision

    kind = _record_field(record)
    if not can_answer_as_partner(user=user, record=record, authority=authority):
        raise PermissionDenied(
            _(
                "Seul un agent de la partie partenaire invité pour une collectivité que cet "
                "enregistrement nomme peut y proposer une correction."
            ),
            field="authority",
        )
    unknown = sorted(set(changes) - set(CORRECTABLE[kind]))
    if unknown:
        raise AppError(
            _("%(fields)s : la partie partenaire propose de corriger %(allowed)s seulement.")
            % {"fields": ", ".join(unknown)[:100], "allowed": ", ".join(CORRECTABLE[kind])},
            field=unknown[0],
        )
    current = type(record).objects.select_for_update().get(pk=record.pk)
    if not current.is_public:
        raise AppError(
            _(
                "record : ce brouillon n'est pas encore publié ; la collectivité "
                "française le complète d'abord."
            ),
            field="record",
        )
    label = history.model_label(current)
    if Revision.objects.filter(model=label, object_id=current.pk, status=Revision.Status.PENDING).exists():
        raise AppError(
            _(
                "Une autre modification de cette fiche attend déjà sa validation : "
                "proposez votre correction une fois celle-ci traitée."
            ),
            field="record",
        )
    before = history.snapshot(current)
    after = dict(before)
    for name, value in changes.items():
        value = (value or "").strip()
        if len(value) > MAX_TEXT * 4:
            raise AppError(
                _("%(field)s : au plus %(n)s caractères.") % {"field": name, "n": MAX_TEXT * 4}, field=name
            )
        after[name] = value
    changed_before, changed_after = history.diff(before, after)
    if not changed_after:
        raise AppError(
            _("Rien à corriger : le texte proposé est celui de la fiche."),
            field=next(iter(changes), "description"),
        )
    return Revision.objects.create(
        model=label,
        object_id=current.pk,
        base_version=current.version,
        data=after,
        before=changed_before,
        after=changed_after,
        created_by=user,
        created_by_email=user.email,
        comment=_("Correction proposée par %(side)s")
        % {"side": partner_side_name(country_id=authority.country_id, country_name=authority.country.name)},
    )
