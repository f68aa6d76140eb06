"""Writes of the calls app: rule sets, calls, applications, opinions, scores, decisions.

Each service is one `transaction.atomic` unit, checks who may act (access.py) before
anything is written and raises an `AppError` naming the field and the fix. E-mails go
after commit. Times are compared in UTC; the messages show them in Europe/Paris.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError, Conflict
from coopatlas.core.parse import BadNumber, parse_decimal, parse_id, parse_int

from . import access, engine, selectors
from . import rules as rules_mod
from .models import (
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Call,
    CoApplicant,
    Opinion,
    RuleSet,
    Score,
    Tranche,
)

logger = logging.getLogger(__name__)
FROZEN_CALL_FIELDS = ("ruleset", "opens_at", "deadline_at", "eligible_countries")


def _when(dt: datetime) -> str:
    return selectors.paris(dt).strftime("%d/%m/%Y à %H:%M:%S (heure de Paris)")


def _amount(value, *, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return parse_decimal(value, field=field, max_digits=16, decimal_places=2, minimum=0)
    except BadNumber as exc:
        raise AppError(exc.message, field=field) from None


# --------------------------------------------------------------------------- rule sets


@transaction.atomic
def ruleset_load(*, actor, text: str | None = None, data: dict | None = None, name: str = "rules") -> RuleSet:
    """Create a rule-set version from YAML/JSON text or a mapping (validated as a whole).
    Reloading an unchanged version is a no-op; a frozen version is never changed: give a
    new `version`."""
    access.require_ministry(actor)
    cleaned = (
        rules_mod.ruleset_parse(text, name=name) if text is not None else rules_mod.ruleset_validate(data)
    )
    return _ruleset_save(cleaned)


def _ruleset_save(cleaned: dict) -> RuleSet:
    existing = (
        RuleSet.objects.select_for_update().filter(key=cleaned["key"], version=cleaned["version"]).first()
    )
    fields = {
        "year": cleaned["year"],
        "title": cleaned["title"],
        "origin": cleaned["origin"],
        "source": cleaned["source"][:500],
        "instrument": cleaned["instrument"],
        "rules": cleaned,
    }
    if existing is None:
        return RuleSet.objects.create(key=cleaned["key"], version=cleaned["version"], **fields)
    if existing.rules == cleaned:
        return existing
    if existing.frozen_at is not None:
        raise Conflict(
            _(
                "version : les règles « %(key)s » v%(version)s sont figées depuis l'ouverture d'un appel "
                "(%(when)s) ; publiez-les sous une nouvelle version (version: %(next)s)."
            )
            % {
                "key": existing.key,
                "version": existing.version,
                "when": _when(existing.frozen_at),
                "next": existing.version + 1,
            },
            field="version",
        )
    for k, v in fields.items():
        setattr(existing, k, v)
    existing.save()
    return existing


@transaction.atomic
def rulesets_load_shipped() -> list[RuleSet]:
    """The rule sets shipped in calls/data/rulesets (the documents' rules and examples)."""
    return [_ruleset_save(rules_mod.ruleset_read(path)) for path in rules_mod.ruleset_files()]


# --------------------------------------------------------------------------- calls


def _check_dates(*, opens_at, deadline_at, opinion_deadline_at) -> None:
    for name, value in (("opens_at", opens_at), ("deadline_at", deadline_at)):
        if not isinstance(value, datetime) or timezone.is_naive(value):
            raise AppError(
                _("%(field)s : donnez une date et une heure (heure de Paris).") % {"field": name}, field=name
            )
    if deadline_at <= opens_at:
        raise AppError(
            _(
                "deadline_at : la date limite (%(deadline)s) doit suivre l'ouverture "
                "(%(opens)s) ; corrigez l'une des deux."
            )
            % {"deadline": _when(deadline_at), "opens": _when(opens_at)},
            field="deadline_at",
        )
    if opinion_deadline_at is not None and opinion_deadline_at <= deadline_at:
        raise AppError(
            _(
                "opinion_deadline_at : la date limite des avis doit suivre celle des "
                "candidatures (%(deadline)s)."
            )
            % {"deadline": _when(deadline_at)},
            field="opinion_deadline_at",
        )


@transaction.atomic
def call_create(
    *,
    actor,
    slug: str,
    title: str,
    ruleset: RuleSet,
    opens_at: datetime,
    deadline_at: datetime,
    kind: str = "generalist",
    opinion_deadline_at: datetime | None = None,
    budget: Decimal | str | None = None,
    summary: str = "",
    text: str = "",
    eligible_countries: list | None = None,
    is_synthetic: bool = False,
) -> Call:
    access.require_ministry(actor)
    _check_dates(opens_at=opens_at, deadline_at=deadline_at, opinion_deadline_at=opinion_deadline_at)
    if Call.objects.filter(slug=slug).exists():
        raise AppError(
            _("slug : un appel « %(slug)s » existe déjà ; choisissez un autre identifiant.") % {"slug": slug},
            field="slug",
        )
    call = Call(
        slug=slug,
        title=title,
        kind=kind,
        ruleset=ruleset,
        opens_at=opens_at,
        deadline_at=deadline_at,
        opinion_deadline_at=opinion_deadline_at,
        budget=_amount(budget, field="budget"),
        summary=summary,
        text=text,
        is_synthetic=is_synthetic,
    )
    call.full_clean(exclude=["ruleset"])
    call.save()
    if eligible_countries:
        call.eligible_countries.set(eligible_countries)
    return call


def paris_datetime(value, *, field: str, required: bool = True) -> datetime | None:
    """A date and time as typed in a `datetime-local` field ("2026-03-29T12:00", seconds
    optional) read in Europe/Paris, or ISO 8601 with its offset (the API)."""
    text = str(value or "").strip()
    if not text:
        if required:
            raise AppError(
                _("%(field)s : donnez la date et l'heure (heure de Paris).") % {"field": field}, field=field
            )
        return None
    try:
        parsed = datetime.fromisoformat(text[:40])
    except ValueError:
        raise AppError(
            _("%(field)s : « %(value)s » n'est pas une date et heure ; écrivez 2026-03-29T12:00:00.")
            % {"field": field, "value": text[:30]},
            field=field,
        ) from None
    if parsed.tzinfo is not None:
        return parsed
    # fold=0: an ambiguous autumn hour is the first (summer-time) one
    return parsed.replace(tzinfo=selectors.PARIS)


def _countries(value) -> list:
    """ISO codes as typed ("ML SN", "ML, SN") or a list (the API); an unknown one is named."""
    from coopatlas.geo.models import Country

    items = value if isinstance(value, list | tuple) else str(value or "").replace(",", " ").split()
    codes = [str(c).strip().upper()[:3] for c in items if str(c).strip()]
    countries = list(Country.objects.filter(iso2__in=codes))
    unknown = sorted(set(codes) - {c.iso2 for c in countries})
    if unknown:
        raise AppError(
            _("countries : code pays inconnu « %(code)s » (ISO 3166, ex. ML SN).") % {"code": unknown[0]},
            field="countries",
        )
    return countries


def _text_field(fields, name: str, limit: int) -> str:
    return str(fields.get(name) or "").strip()[:limit]


@transaction.atomic
def call_create_from_fields(*, actor, fields) -> Call:
    """A call and, if given, its rule set, as typed in the page's form or posted to the API
    (`rules_text`: YAML/JSON, or `rules`: an object, or `ruleset`: an existing version's id,
    or `ruleset_key` + `ruleset_version`). One unit: a rule set that contradicts itself or a
    bad date writes neither."""
    access.require_ministry(actor)
    text = str(fields.get("rules_text") or "").strip()
    rules = fields.get("rules")
    if text:
        ruleset = ruleset_load(actor=actor, text=text, name="rules_text")
    elif isinstance(rules, dict) and rules:
        ruleset = ruleset_load(actor=actor, data=rules)
    elif fields.get("ruleset_key"):
        ruleset = RuleSet.objects.filter(
            key=str(fields.get("ruleset_key"))[:80],
            version=parse_int(fields.get("ruleset_version") or "1", field="ruleset_version", minimum=1),
        ).first()
    else:
        ruleset = RuleSet.objects.filter(pk=parse_id(fields.get("ruleset") or "0", field="ruleset")).first()
    if ruleset is None:
        raise AppError(_("ruleset : choisissez des règles ou collez-les (YAML ou JSON)."), field="ruleset")
    return call_create(
        actor=actor,
        slug=_text_field(fields, "slug", 120),
        title=_text_field(fields, "title", 300),
        kind=str(fields.get("kind") or "generalist"),
        ruleset=ruleset,
        opens_at=paris_datetime(fields.get("opens_at"), field="opens_at"),
        deadline_at=paris_datetime(fields.get("deadline_at"), field="deadline_at"),
        opinion_deadline_at=paris_datetime(
            fields.get("opinion_deadline_at"), field="opinion_deadline_at", required=False
        ),
        budget=fields.get("budget") or None,
        summary=_text_field(fields, "summary", 5000),
        text=_text_field(fields, "text", 100_000),
        eligible_countries=_countries(fields.get("countries")),
    )


def call_update_from_fields(*, actor, call: Call, fields, names) -> Call:
    """The fields `names` of a call as typed in its edit form or patched through the API;
    after opening, only its texts, budget and opinion deadline change (call_update)."""
    values: dict = {}
    for name in names:
        raw = fields.get(name)
        if name in ("opens_at", "deadline_at"):
            values[name] = paris_datetime(raw, field=name)
        elif name == "opinion_deadline_at":
            values[name] = paris_datetime(raw, field=name, required=False)
        elif name == "eligible_countries":
            values[name] = _countries(raw)
        elif name == "ruleset":
            found = RuleSet.objects.filter(pk=parse_id(raw or "0", field="ruleset")).first()
            if found is None:
                raise AppError(
                    _("ruleset : aucune version de règles n° %(pk)s.") % {"pk": raw}, field="ruleset"
                )
            values[name] = found
        elif name == "budget":
            values[name] = raw if raw not in ("", None) else None
        else:
            values[name] = str(raw or "").strip()
    # A form sends every field: a frozen one sent back unchanged is not an edit.
    for name in [n for n in values if n in FROZEN_CALL_FIELDS]:
        current = getattr(call, name) if name != "eligible_countries" else None
        if name == "eligible_countries":
            same = {c.pk for c in values[name]} == set(call.eligible_countries.values_list("pk", flat=True))
        else:
            same = values[name] == current
        if same:
            del values[name]
    return call_update(actor=actor, call=call, **values)


@transaction.atomic
def call_update(*, actor, call: Call, **fields) -> Call:
    """Texts may change at any time; rules, dates and countries are frozen once the call
    has opened (a new year is a new call with a new rule-set version)."""
    access.require_ministry(actor)
    call = Call.objects.select_for_update().get(pk=call.pk)
    opened = call.is_published and call.opens_at <= timezone.now()
    for name in fields:
        if name in FROZEN_CALL_FIELDS and opened:
            raise Conflict(
                _(
                    "%(field)s : l'appel « %(title)s » est ouvert depuis le %(when)s ; "
                    "ses règles, dates et pays sont figés. Créez un nouvel appel (ou une "
                    "nouvelle version des règles) pour en changer."
                )
                % {"field": name, "title": call.title, "when": _when(call.opens_at)},
                field=name,
            )
        if name not in (
            *FROZEN_CALL_FIELDS,
            "title",
            "summary",
            "text",
            "budget",
            "opinion_deadline_at",
            "kind",
        ):
            raise AppError(_("%(field)s : champ inconnu ou non modifiable.") % {"field": name}, field=name)
    countries = fields.pop("eligible_countries", None)
    if "budget" in fields:
        fields["budget"] = _amount(fields["budget"], field="budget")
    for k, v in fields.items():
        setattr(call, k, v)
    _check_dates(
        opens_at=call.opens_at, deadline_at=call.deadline_at, opinion_deadline_at=call.opinion_deadline_at
    )
    call.full_clean(exclude=["ruleset"])
    call.save()
    if countries is not None:
        call.eligible_countries.set(countries)
    return call


@transaction.atomic
def call_open(*, actor, call: Call) -> Call:
    """Publish the call: its rule-set version is frozen from now on."""
    access.require_ministry(actor)
    call = Call.objects.select_for_update().get(pk=call.pk)
    now = timezone.now()
    call.is_published = True
    call.save(update_fields=["is_published", "updated_at"])
    RuleSet.objects.filter(pk=call.ruleset_id, frozen_at__isnull=True).update(frozen_at=now)
    return call


@transaction.atomic
def call_publish_results(*, actor, call: Call) -> Call:
    access.require_ministry(actor)
    call.results_published_at = timezone.now()
    call.save(update_fields=["results_published_at", "updated_at"])
    return call


# --------------------------------------------------------------------------- applications


def _editable(application: Application) -> None:
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
        raise Conflict(
            _("status : la candidature est « %(status)s » : elle ne se modifie plus.")
            % {"status": application.get_status_display()},
            field="status",
        )


def _before_deadline(call: Call, now: datetime) -> None:
    if now < call.opens_at or not call.is_published:
        raise AppError(
            _("call : l'appel « %(title)s » ouvre le %(when)s ; revenez à cette date.")
            % {"title": call.title, "when": _when(call.opens_at)},
            field="call",
        )
    if now >= call.deadline_at:
        raise AppError(
            _(
                "deadline_at : la date limite de l'appel « %(title)s » était le %(when)s ; la candidature "
                "n'a pas été déposée. Contactez la DAECT si un cas de force majeure l'explique."
            )
            % {"title": call.title, "when": _when(call.deadline_at)},
            field="deadline_at",
        )


@transaction.atomic
def application_start(
    *, actor, call: Call, project, requested: Decimal | str | None = None, now: datetime | None = None
) -> Application:
    """ "Candidater" from a project: a draft prefilled from it. The lead is the actor's
    French authority taking part in the project; the project's other French authorities
    become co-applicants, each to confirm."""
    now = now or timezone.now()
    lead = access.require_applicant(actor, project)
    _before_deadline(call, now)
    existing = Application.objects.filter(call=call, project=project).first()
    if existing is not None:
        raise Conflict(
            _("project : ce projet a déjà une candidature à l'appel « %(title)s » (n° %(pk)s) ; reprenez-la.")
            % {"title": call.title, "pk": existing.pk},
            field="project",
        )
    application = Application(
        call=call, project=project, lead=lead, requested=_amount(requested, field="requested")
    )
    facts = selectors.project_for_snapshot(project.pk)
    result = selectors.eligibility(project=facts, call=call, requested=application.requested)
    application.requested = result["snapshot"].requested
    application.verdict = result["verdict"]
    application.save()
    ids = list(dict.fromkeys([lead.pk, *selectors.french_authorities(facts)]))
    CoApplicant.objects.bulk_create(
        [
            CoApplicant(
                application=application,
                authority_id=pk,
                is_lead=pk == lead.pk,
                confirmed_at=now if pk == lead.pk else None,
                confirmed_by=actor if pk == lead.pk else None,
            )
            for pk in ids
        ]
    )
    return application


@transaction.atomic
def application_update(*, actor, application: Application, requested: Decimal | str | None) -> Application:
    access.require_application_author(actor, application)
    application = (
        Application.objects.select_for_update().select_related("call__ruleset").get(pk=application.pk)
    )
    _editable(application)
    application.requested = _amount(requested, field="requested")
    project = selectors.project_for_snapshot(application.project_id)
    application.verdict = selectors.eligibility(
        project=project, call=application.call, requested=application.requested
    )["verdict"]
    application.save(update_fields=["requested", "verdict", "updated_at"])
    return application


@transaction.atomic
def application_confirm(*, actor, application: Application, authority) -> CoApplicant:
    """A co-applicant authority confirms it applies together with the lead."""
    access.require_authority(actor, authority)
    link = application.coapplicants.filter(authority=authority).first()
    if link is None:
        raise AppError(
            _("authority : %(authority)s n'est pas co-candidate de cette candidature.")
            % {"authority": authority},
            field="authority",
        )
    if link.confirmed_at is None:
        link.confirmed_at, link.confirmed_by = timezone.now(), actor
        link.save(update_fields=["confirmed_at", "confirmed_by"])
    return link


@transaction.atomic
def application_submit(*, actor, application: Application, now: datetime | None = None) -> ApplicationVersion:
    """Submit before the deadline (to the second, server time): a new version keeps what
    was sent; the partner countries' embassies are asked for their opinion; a receipt
    goes by e-mail after commit. A budget that does not add up is refused."""
    now = now or timezone.now()
    access.require_application_author(actor, application)
    application = (
        Application.objects.select_for_update().select_related("call__ruleset").get(pk=application.pk)
    )
    _editable(application)
    call = application.call
    _before_deadline(call, now)
    waiting = [
        c.authority.name
        for c in application.coapplicants.select_related("authority")
        if c.confirmed_at is None
    ]
    if waiting:
        raise AppError(
            _(
                "coapplicants : en attente de la confirmation de %(names)s ; chaque "
                "collectivité co-candidate confirme avant le dépôt."
            )
            % {"names": ", ".join(waiting)},
            field="coapplicants",
        )
    project = selectors.project_for_snapshot(application.project_id)
    result = selectors.eligibility(project=project, call=call, requested=application.requested)
    snap = result["snapshot"]
    if snap.requested is None or snap.requested <= 0:
        raise AppError(
            _("requested : indiquez le montant demandé au ministère (en euros)."), field="requested"
        )
    budget = next(c for c in result["checks"] if c["key"] == "budget")
    if budget["ok"] is not True:
        raise AppError(
            _("budget : %(reason)s ; corrigez le budget ou le plan de financement du projet.")
            % {"reason": budget["reason"]},
            field="budget",
        )
    number = application.versions.count() + 1
    version = ApplicationVersion.objects.create(
        application=application,
        number=number,
        snapshot=selectors.snapshot_as_json(snap),
        checks=result["checks"],
        verdict=result["verdict"],
        submitted_at=now,
        submitted_by=actor,
    )
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = now
    application.requested = snap.requested
    application.verdict = result["verdict"]
    application.return_comment = ""
    application.save()
    for country in selectors.project_countries(project):
        Opinion.objects.get_or_create(application=application, country_id=country)
    email = getattr(actor, "email", "")
    if email:
        transaction.on_commit(lambda: _send_receipt(application, version, email))
    return version


def _send_receipt(application: Application, version: ApplicationVersion, email: str) -> None:
    """After commit: the submission is recorded whatever the mail server does (the PDF
    receipt stays on the application's page), so a failure is logged, not raised."""
    try:
        _receipt_mail(application, version, email)
    except OSError:
        logger.exception("calls: receipt e-mail for application %s not sent", application.pk)


def _receipt_mail(application: Application, version: ApplicationVersion, email: str) -> None:
    send_mail(
        subject=_("Accusé de réception : candidature n° %(pk)s à l'appel « %(title)s »")
        % {"pk": application.pk, "title": application.call.title},
        message=_(
            "Votre candidature « %(project)s » a été déposée le %(when)s (version %(number)s).\n"
            "Montant demandé : %(amount)s. Éligibilité calculée : %(verdict)s.\n"
            "L'accusé de réception en PDF est sur la page de la candidature."
        )
        % {
            "project": application.project.title,
            "when": _when(version.submitted_at),
            "number": version.number,
            "amount": engine.euros(application.requested),
            "verdict": version.verdict,
        },
        from_email=None,
        recipient_list=[email],
    )


@transaction.atomic
def application_return(*, actor, application: Application, comment: str) -> Application:
    """The ministry returns a submitted application for completion, with its comment."""
    access.require_ministry(actor)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.SUBMITTED:
        raise Conflict(
            _("status : seule une candidature déposée se renvoie pour complément."), field="status"
        )
    if not (comment or "").strip():
        raise AppError(_("comment : dites ce qu'il faut compléter."), field="comment")
    application.status = ApplicationStatus.RETURNED
    application.return_comment = comment.strip()
    application.save(update_fields=["status", "return_comment", "updated_at"])
    application.versions.filter(number=application.versions.count()).update(return_comment=comment.strip())
    return application


# --------------------------------------------------------------------------- instruction


@transaction.atomic
def opinion_give(
    *,
    actor,
    application: Application,
    verdict: str,
    country=None,
    network=None,
    comment: str = "",
    now: datetime | None = None,
) -> Opinion:
    """The embassy of a partner country (`country`), or a regional network asked by the
    ministry (`network`), gives its opinion before its deadline: the network's own, else
    the call's opinion deadline."""
    now = now or timezone.now()
    if (country is None) == (network is None):
        raise AppError(
            _("country : dites pour quel pays (ou quel réseau) l'avis est donné."), field="country"
        )
    if network is not None:
        access.require_network(actor, network)
        opinion = Opinion.objects.filter(application=application, network=network).first()
        if opinion is None:
            raise AppError(
                _("network : le ministère n'a pas demandé l'avis de %(network)s sur cette candidature.")
                % {"network": network.name},
                field="network",
            )
    else:
        access.require_embassy(actor, country)
        opinion = Opinion.objects.filter(application=application, country=country).first()
        if opinion is None:
            raise AppError(
                _("country : cette candidature n'a pas été adressée à l'ambassade pour %(country)s.")
                % {"country": country},
                field="country",
            )
    if verdict not in Opinion.Verdict.values:
        raise AppError(_("verdict : favourable, reserved ou unfavourable."), field="verdict")
    deadline = opinion.due_at or application.call.opinion_deadline_at
    if deadline is not None and now >= deadline:
        raise AppError(
            _("opinion_deadline_at : la date limite des avis était le %(when)s.") % {"when": _when(deadline)},
            field="opinion_deadline_at",
        )
    if verdict != Opinion.Verdict.FAVOURABLE and not (comment or "").strip():
        raise AppError(_("comment : un avis réservé ou défavorable dit pourquoi."), field="comment")
    opinion.verdict, opinion.comment, opinion.by, opinion.at = verdict, (comment or "").strip(), actor, now
    opinion.save()
    return opinion


@transaction.atomic
def network_opinion_request(
    *, actor, application: Application, network, due_at: datetime | None = None, now: datetime | None = None
) -> Opinion:
    """The ministry asks a regional multi-actor network (RRMA) for its opinion, optionally,
    with a deadline (the call's opinion deadline by default). Asking again moves the
    deadline of an opinion not yet given."""
    from coopatlas.cooperation.models import Organisation

    access.require_ministry(actor)
    now = now or timezone.now()
    application = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
    if network is None or network.kind != Organisation.Kind.NETWORK:
        raise AppError(
            _("network : choisissez un réseau régional multi-acteurs (acteur de type « réseau »)."),
            field="network",
        )
    if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED):
        raise Conflict(
            _(
                "status : l'avis d'un réseau se demande sur une candidature déposée "
                "(celle-ci est « %(status)s »)."
            )
            % {"status": application.get_status_display()},
            field="status",
        )
    due_at = due_at or application.call.opinion_deadline_at
    if due_at is not None and due_at <= now:
        raise AppError(
            _("due_at : la date limite de l'avis (%(when)s) est déjà passée ; donnez une date à venir.")
            % {"when": _when(due_at)},
            field="due_at",
        )
    opinion, created = Opinion.objects.get_or_create(
        application=application, network=network, defaults={"due_at": due_at}
    )
    if not created:
        if opinion.verdict:
            raise Conflict(
                _("network : %(network)s a déjà donné son avis (%(verdict)s).")
                % {"network": network.name, "verdict": opinion.get_verdict_display()},
                field="network",
            )
        opinion.due_at = due_at
        opinion.save(update_fields=["due_at"])
    return opinion


@transaction.atomic
def scores_set(*, actor, application: Application, values: dict) -> Decimal:
    """The ministry scores with the call's grid; the weighted score is out of 100."""
    access.require_ministry(actor)
    grid = application.call.ruleset.rules.get("grid")
    if not grid:
        raise AppError(_("grid : les règles de cet appel n'ont pas de grille d'évaluation."), field="grid")
    low, high = grid["scale"]["min"], grid["scale"]["max"]
    criteria = {c["key"]: c for c in grid["criteria"]}
    unknown = sorted(set(values) - set(criteria))
    if unknown:
        raise AppError(
            _("%(key)s : critère inconnu ; critères : %(keys)s.")
            % {"key": unknown[0], "keys": ", ".join(criteria)},
            field=unknown[0],
        )
    parsed = {}
    for key in criteria:
        if key not in values:
            raise AppError(
                _("%(key)s : notez ce critère (de %(low)s à %(high)s).")
                % {"key": key, "low": low, "high": high},
                field=key,
            )
        from coopatlas.core.parse import parse_int

        try:
            parsed[key] = parse_int(values[key], field=key, minimum=low, maximum=high)
        except BadNumber as exc:
            raise AppError(exc.message, field=key) from None
    total = Decimal(0)
    for key, value in parsed.items():
        Score.objects.update_or_create(
            application=application, criterion=key, defaults={"value": value, "by": actor}
        )
        total += Decimal(criteria[key]["weight"]) * Decimal(value - low) / Decimal(high - low)
    application.score = total.quantize(Decimal("0.01"))
    application.save(update_fields=["score", "updated_at"])
    return application.score


@transaction.atomic
def application_propose(*, actor, application: Application, amount) -> dict:
    """The ministry proposes an amount before the committee: at most the amount asked,
    within the call's minimum and maximum grant. Proposals beyond the call's remaining
    budget are kept (the committee arbitrates) with a warning in the answer."""
    access.require_ministry(actor)
    application = (
        Application.objects.select_for_update().select_related("call__ruleset").get(pk=application.pk)
    )
    if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED):
        raise Conflict(
            _("status : on propose un montant pour une candidature déposée (celle-ci est « %(status)s »).")
            % {"status": application.get_status_display()},
            field="proposed",
        )
    value = _amount(amount, field="proposed")
    if value is not None:
        if value <= 0:
            raise AppError(
                _("proposed : donnez un montant positif, ou laissez vide pour retirer la proposition."),
                field="proposed",
            )
        if application.requested is not None and value > application.requested:
            raise AppError(
                _(
                    "proposed : %(amount)s dépasse le montant demandé (%(asked)s) ; "
                    "proposez au plus %(asked)s."
                )
                % {"amount": engine.euros(value), "asked": engine.euros(application.requested)},
                field="proposed",
            )
        grant = application.call.ruleset.rules.get("grant") or {}
        low, high = grant.get("min"), grant.get("max")
        if low is not None and value < Decimal(str(low)):
            raise AppError(
                _(
                    "proposed : %(amount)s est sous la subvention minimale de l'appel (%(min)s) ; "
                    "proposez au moins %(min)s ou refusez la candidature."
                )
                % {"amount": engine.euros(value), "min": engine.euros(Decimal(str(low)))},
                field="proposed",
            )
        if high is not None and value > Decimal(str(high)):
            raise AppError(
                _("proposed : %(amount)s dépasse la subvention maximale de l'appel (%(max)s).")
                % {"amount": engine.euros(value), "max": engine.euros(Decimal(str(high)))},
                field="proposed",
            )
    application.proposed = value
    application.save(update_fields=["proposed", "updated_at"])
    budget = selectors.call_budget(call=application.call)
    warning = ""
    if budget["budget"] is not None and budget["proposed_left"] < 0:
        warning = _(
            "Les montants proposés (%(proposed)s, subventions accordées comprises) dépassent de "
            "%(over)s le budget de l'appel (%(budget)s) : le comité devra arbitrer."
        ) % {
            "proposed": engine.euros(budget["committed"]),
            "over": engine.euros(-budget["proposed_left"]),
            "budget": engine.euros(budget["budget"]),
        }
    return {"application": application, "budget": budget, "warning": warning}


def _daect():
    from coopatlas.cooperation.models import Organisation
    from coopatlas.cooperation.services import organisation_create
    from coopatlas.core.services import source_cite

    org = Organisation.objects.filter(acronym="DAECT").order_by("pk").first()
    if org is None:
        org = organisation_create(
            slug="daect",
            name="Délégation pour l'action extérieure des collectivités territoriales",
            acronym="DAECT",
            kind="state",
            source=source_cite(note="DAECT (MEAE), financeur des appels à projets"),
        )
    return org


def schedule_of(
    *, amount: Decimal, first_year: int, years: int, final_pct: Decimal = Decimal(20)
) -> list[tuple[int, Decimal, str]]:
    """Yearly tranches: the first at notification, then one per year on an approved interim
    report, the last `final_pct` % on the final report (the cents go to the first)."""
    years = max(1, years)
    final = (amount * final_pct / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    rest = amount - final
    each = (rest / years).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    out = []
    for i in range(years):
        part = each + (rest - each * years if i == 0 else 0)
        out.append(
            (first_year + i, part, Tranche.Condition.SIGNATURE if i == 0 else Tranche.Condition.INTERIM)
        )
    out.append((first_year + years, final, Tranche.Condition.FINAL))
    return [t for t in out if t[1] > 0]


@transaction.atomic
def decision_record(
    *,
    actor,
    application: Application,
    granted: bool,
    amount=None,
    reason: str = "",
    now: datetime | None = None,
) -> Application:
    """Grant (an amount, at most the amount asked, within the call's budget) or refuse
    (with its reason). A grant becomes the project's funding line (instrument: the DAECT
    call) through the cooperation services, with its payment schedule."""
    from coopatlas.cooperation.models import FundingContribution
    from coopatlas.cooperation.services import funding_add, funding_update
    from coopatlas.core.services import source_cite, source_document_get_or_create

    now = now or timezone.now()
    access.require_ministry(actor)
    application = (
        Application.objects.select_for_update().select_related("call", "project").get(pk=application.pk)
    )
    if application.status != ApplicationStatus.SUBMITTED:
        raise Conflict(_("status : seule une candidature déposée reçoit une décision."), field="status")
    if not granted:
        if not (reason or "").strip():
            raise AppError(_("reason : donnez le motif du refus (il figure dans la lettre)."), field="reason")
        application.status, application.decision_reason, application.decided_at = (
            ApplicationStatus.REFUSED,
            reason.strip(),
            now,
        )
        application.save()
        return application
    value = _amount(amount, field="granted")
    if value is None or value <= 0:
        raise AppError(_("granted : donnez le montant accordé (en euros)."), field="granted")
    if application.requested is not None and value > application.requested:
        raise AppError(
            _("granted : %(amount)s dépasse le montant demandé (%(asked)s).")
            % {"amount": engine.euros(value), "asked": engine.euros(application.requested)},
            field="granted",
        )
    call = application.call
    if call.budget is not None:
        used = sum(
            call.applications.filter(status=ApplicationStatus.GRANTED).values_list("granted", flat=True),
            Decimal(0),
        )
        if used + value > call.budget:
            raise AppError(
                _("granted : %(amount)s dépasserait le budget de l'appel (%(left)s restants sur %(budget)s).")
                % {
                    "amount": engine.euros(value),
                    "left": engine.euros(call.budget - used),
                    "budget": engine.euros(call.budget),
                },
                field="granted",
            )
    project = application.project
    decisions = source_document_get_or_create(
        key=f"appel-{call.pk}", title=f"Décisions de l'appel « {call.title} »"[:300], publisher="MEAE – DAECT"
    )
    source = source_cite(
        document=decisions, quote=f"Candidature n° {application.pk} : {engine.euros(value)} accordés"
    )
    existing = (
        FundingContribution.objects.filter(
            project=project, instrument="daect_call", is_annual=False, deleted_at__isnull=True
        )
        .order_by("pk")
        .first()
    )
    note = f"AAP « {call.title} » ({call.slug})"[:500]
    if existing is not None:
        line = funding_update(line=existing, amount=value, source=source, note=note)
    else:
        line = funding_add(
            project=project,
            amount=value,
            source=source,
            funder_organisation=_daect(),
            instrument="daect_call",
            year=selectors.paris(now).year,
            note=note,
        )
    application.status, application.granted, application.decided_at = ApplicationStatus.GRANTED, value, now
    application.decision_reason = (reason or "").strip()
    application.funding_line = line
    application.save()
    years = max(1, round((selectors._months(project) or 12) / 12))
    Tranche.objects.bulk_create(
        [
            Tranche(application=application, number=i + 1, year=y, amount=a, condition=c)
            for i, (y, a, c) in enumerate(
                schedule_of(amount=value, first_year=selectors.paris(now).year, years=years)
            )
        ]
    )
    return application


@transaction.atomic
def report_attach(*, actor, tranche: Tranche, file, title: str = "") -> Tranche:
    """The authority uploads the report a tranche waits for (through the documents app)."""
    from coopatlas.documents.services import document_upload

    access.require_application_author(actor, tranche.application)
    if tranche.condition == Tranche.Condition.SIGNATURE:
        raise AppError(
            _("tranche : cette tranche est versée à la notification, sans rapport."), field="tranche"
        )
    label = _("Rapport final") if tranche.condition == Tranche.Condition.FINAL else _("Rapport intermédiaire")
    doc = document_upload(
        actor=actor, record=tranche.application.project, file=file, title=title or f"{label} {tranche.year}"
    )
    tranche.report = doc
    tranche.save(update_fields=["report"])
    return tranche


@transaction.atomic
def tranche_approve(*, actor, tranche: Tranche) -> Tranche:
    access.require_ministry(actor)
    if tranche.condition != Tranche.Condition.SIGNATURE and tranche.report_id is None:
        raise AppError(
            _("report : aucun rapport déposé pour cette tranche ; attendez-le avant de l'approuver."),
            field="report",
        )
    now = timezone.now()
    released = tranche.released_at is None
    tranche.approved_at = tranche.approved_at or now
    tranche.released_at = tranche.released_at or now
    tranche.save(update_fields=["approved_at", "released_at"])
    if released:
        _tranche_disbursement(tranche, selectors.paris(now).date())
    return tranche


def _tranche_disbursement(tranche: Tranche, paid_on) -> None:
    """A released tranche is a disbursement from the ministry on the grant's funding line
    (IATI transaction type 3, issue 12); recorded once per tranche (its `origin`)."""
    from coopatlas.cooperation.models import Payment
    from coopatlas.cooperation.services import payment_add
    from coopatlas.core.services import source_cite, source_document_get_or_create

    application = tranche.application
    line = application.funding_line
    origin = f"calls.tranche:{tranche.pk}"
    if line is None or Payment.objects.filter(line=line, origin=origin).exists():
        return
    call = application.call
    decisions = source_document_get_or_create(
        key=f"appel-{call.pk}", title=f"Décisions de l'appel « {call.title} »"[:300], publisher="MEAE – DAECT"
    )
    payment_add(
        line=line,
        kind=Payment.Kind.DISBURSEMENT,
        paid_on=paid_on,
        amount=tranche.amount,
        source=source_cite(
            document=decisions,
            quote=(
                f"Candidature n° {application.pk}, tranche {tranche.number} : "
                f"{engine.euros(tranche.amount)} versés"
            ),
        ),
        provider_organisation=line.funder_organisation,
        origin=origin,
        note=f"Tranche {tranche.number} ({tranche.get_condition_display()})"[:500],
        today=paid_on,
    )


@transaction.atomic
def opinions_remind(*, actor, call: Call, now: datetime | None = None) -> int:
    """E-mail the embassy agents of each country, and the facilitators of each regional
    network asked, whose opinions are still awaited (before their deadline); returns how
    many opinions were reminded."""
    from coopatlas.accounts.models import Membership, Role

    access.require_ministry(actor)
    now = now or timezone.now()
    embassies_late = call.opinion_deadline_at is not None and now >= call.opinion_deadline_at
    pending = list(
        Opinion.objects.filter(application__call=call, verdict="").select_related("country", "network")
    )
    networks_open = [o for o in pending if o.network_id and (o.due_at is None or now < o.due_at)]
    if embassies_late and not networks_open:
        raise AppError(
            _("opinion_deadline_at : la date limite des avis est passée (%(when)s).")
            % {"when": _when(call.opinion_deadline_at)},
            field="opinion_deadline_at",
        )
    groups: dict[tuple[str, object], list[Opinion]] = {}
    for opinion in pending:
        if opinion.network_id:
            if opinion in networks_open:
                groups.setdefault(("network", opinion.network_id), []).append(opinion)
        elif not embassies_late:
            groups.setdefault(("country", opinion.country_id), []).append(opinion)
    emails: dict[tuple[str, object], list[str]] = {}
    for country_id, email in Membership.objects.filter(
        role=Role.EMBASSY, country_id__in=[k for t, k in groups if t == "country"], user__is_active=True
    ).values_list("country_id", "user__email"):
        emails.setdefault(("country", country_id), []).append(email)
    for org_id, email in Membership.objects.filter(
        role=Role.FACILITATOR,
        organisation_id__in=[k for t, k in groups if t == "network"],
        user__is_active=True,
    ).values_list("organisation_id", "user__email"):
        emails.setdefault(("network", org_id), []).append(email)
    sent = 0
    for key, opinions in groups.items():
        if key not in emails:
            continue
        Opinion.objects.filter(pk__in=[o.pk for o in opinions]).update(reminded_at=now)
        sent += len(opinions)
        first = opinions[0]
        deadline = first.due_at or call.opinion_deadline_at
        message = _(
            "%(n)s candidature(s) à l'appel « %(title)s » attendent votre avis (%(giver)s) avant le %(when)s."
        ) % {
            "n": len(opinions),
            "title": call.title,
            "giver": first.giver,
            "when": _when(deadline) if deadline else "—",
        }
        addresses = sorted(set(emails[key]))
        transaction.on_commit(
            lambda m=message, a=addresses: send_mail(
                subject=_("Avis attendus : %(title)s") % {"title": call.title},
                message=m,
                from_email=None,
                recipient_list=a,
            )
        )
    return sent
