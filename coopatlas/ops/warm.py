"""After a committed write, the background worker renders the most-read public pages again,
so that the first visitor after the write gets a kept answer (issue 15).

Why precomputation and not summary tables: the home page's counts, the lists' facets and
the map depend on publication status, deletion and the parties of every record, which a
dozen write paths change (services, the editing layer, importers, bulk loaders, restore).
Counters kept right by each of them would be a second copy of the "public" rule in every
write path; a recount per committed write, done by the worker instead of by a visitor, uses
the one rule (`Record.public_q`) and costs the writer nothing. The page cache and the
`cached_read` values live in the shared cache (the database's by default), so a page the
worker renders is kept for every app server.

Debounced: a write enqueues a warm-up only when none is waiting; a burst of writes (an
import) gives one warm-up for its last stamp, and a warm-up that finds the stamp moved on
while it ran stops (the next one is queued by that newer write).
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django_tasks import task

logger = logging.getLogger(__name__)

ROUTES_FILE = Path(__file__).parent / "data" / "warm_paths.json"


@cache
def warm_spec() -> dict:
    return json.loads(ROUTES_FILE.read_text(encoding="utf-8"))


def most_linked_countries(limit: int) -> list[str]:
    """The partner countries with the most public partnerships, most first: the partnership
    list's own country facet (France left out there), read as a visitor's list would."""
    from coopatlas.cooperation import selectors
    from coopatlas.cooperation.filters import filters_from_params

    if limit <= 0:
        return []
    data = selectors.partnership_list(filters=filters_from_params({"page_size": "1"}))
    return [o["value"] for o in (data.get("facets") or {}).get("country") or [] if o.get("value")][:limit]


def _with_query(name: str, query: dict) -> str:
    return f"{reverse(name)}?{urlencode(sorted(query.items()))}"


def warm_urls() -> list[tuple[str, str]]:
    """(URL, language) of each page of the file, in every language of the site (English
    under /en/), most read first: the routes, the filtered pages, then each most-linked
    country's fiche and lists. The country pages' URLs are the canonical form the page
    cache keys on (`core.freshness.canonical_path`), so the filter form's answer is the
    kept one too."""
    from coopatlas.geo.models import Country

    spec = warm_spec()
    by_country = spec.get("by_country") or {}
    countries = most_linked_countries(int(by_country.get("countries", 0)))
    slugs = dict(Country.objects.filter(iso2__in=countries).values_list("iso2", "slug"))
    urls: list[tuple[str, str]] = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            urls += [(reverse(name), code) for name in spec["routes"]]
            urls += [(_with_query(item["route"], item["query"]), code) for item in spec.get("filtered", [])]
    for iso2 in countries:
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                if iso2 in slugs:
                    urls.append((reverse("atlas:country", kwargs={"slug": slugs[iso2]}), code))
                urls += [(_with_query(name, {"country": iso2}), code) for name in by_country.get("lists", [])]
    return urls


def _enabled() -> bool:
    return bool(getattr(settings, "COOPATLAS_WARM_AFTER_WRITE", True)) and bool(
        getattr(settings, "COOPATLAS_PAGE_CACHE", True)
    )


_migrating = False


def migrating(sender, **kwargs) -> None:
    """pre_migrate handler: `migrate`'s own writes (schema, content types, permissions)
    queue nothing: the queue's table may not exist yet, and a database just migrated must
    stay empty for `coopatlas restore`. The last app's post_migrate (`migrated`) ends it."""
    global _migrating
    _migrating = True


def migrated(sender, **kwargs) -> None:
    from django.apps import apps

    global _migrating
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is with_models[-1]:  # after the content types' and permissions' handlers
        _migrating = False


def warm_enqueue_after_write(sender, using: str = "default", **kwargs) -> None:
    """core.freshness.data_changed handler: queue one warm-up unless one is waiting."""
    if _migrating or not _enabled():
        return
    from django_tasks_db.models import DBTaskResult

    path = warm_public_pages.module_path
    try:
        if DBTaskResult.objects.filter(task_path=path, status="READY").exists():
            return
        warm_public_pages.enqueue()
    except DatabaseError as exc:  # the write is committed; a missing warm-up costs one visitor
        logger.warning("warm-up not queued: %s", exc)


@task()
def warm_public_pages() -> dict:
    """Render each warm URL as an anonymous visitor would (the page cache keeps them)."""
    from django.test import Client

    from coopatlas.core.freshness import stamp_get

    stamp = stamp_get().key
    hosts = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")]
    host = hosts[0] if hosts else "localhost"
    client = Client(HTTP_HOST=host, raise_request_exception=False)
    done, failed = 0, []
    for url, language in warm_urls():
        if stamp_get().key != stamp:
            break  # a newer write queued its own warm-up
        response = client.get(
            url, HTTP_ACCEPT_LANGUAGE=language, secure=bool(getattr(settings, "SECURE_SSL_REDIRECT", False))
        )
        if response.status_code == 200:
            done += 1
        else:
            failed.append((url, response.status_code))
    if failed:
        logger.warning("warm-up: %s answered with an error status", failed)
    return {"stamp": stamp, "warmed": done, "failed": len(failed)}
