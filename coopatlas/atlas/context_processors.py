from django.conf import settings
from django.utils.translation import get_language

from coopatlas.core.freshness import has_pending_writes, stamp_get


def operator(request):
    """The operator's identity and base template: one place to swap the design system."""
    operator = settings.COOPATLAS_OPERATOR
    return {"operator": operator, "base_template": operator["base_template"]}


# (data stamp, language) → django-dsfr's site configuration, in this process. Bounded: a
# handful of languages per stamp, and an old stamp's entries are never read again.
_site_configs: dict[tuple[str, str], dict] = {}
_SITE_CONFIGS_MAX = 16


def site_config(request):
    """django-dsfr's `site_config` (its reference configuration: title, notice, footer),
    read once per data stamp and language in each process instead of twice per rendered
    page (issue 15: 2 of a fiche's ~30 queries). Any committed write (the admin's edit of
    a DsfrConfig included) moves the stamp, so another process's edit is never hidden; a
    request whose transaction has written reads it afresh."""
    from dsfr.context_processors import site_config as dsfr_site_config

    if has_pending_writes():
        return dsfr_site_config(request)
    # The public-cache middleware has read the stamp of a public request already.
    stamp = getattr(request, "_coopatlas_stamp", None) or stamp_get()
    key = (stamp.key, get_language() or "")
    found = _site_configs.get(key)
    if found is None:
        if len(_site_configs) >= _SITE_CONFIGS_MAX:
            _site_configs.clear()
        found = _site_configs[key] = dsfr_site_config(request)
    return found


def site_config_clear() -> None:
    """Forget this process's copies (tests: a rolled-back test's stamp number comes back)."""
    _site_configs.clear()
