"""The data-version stamp: bumped after every committed write, read by caches and ETags.

Every write passes through one place whatever its path (services, the editing layer, bulk
loaders, imports, `queryset.update`, raw SQL): the database connection. An execute wrapper
installed on each connection sees INSERT/UPDATE/DELETE/TRUNCATE statements and registers,
once per transaction, a `transaction.on_commit` callback that bumps the stamp. A rolled-back
write bumps nothing; a committed one always does.

Reads use it two ways:
- `cached_read(key, compute)`: a value computed once per stamp and language in Django's
  cache (whichever backend the settings configure, shared between processes or not: the key
  carries the stamp, so an old entry is simply never asked for again); `read_once`,
  `count_once` and `first_rows` key it by a queryset's statement for both languages
  (counts, a page's ids, GROUP BY rows), the rows themselves then fetched by key;
- `coopatlas.core.middleware.PublicCacheMiddleware`: ETag / Last-Modified from the stamp,
  304 answers, a short public Cache-Control.

While the current transaction has uncommitted writes (a service that writes then reads,
a test inside its transaction), `cached_read` computes without the cache: a transaction
always reads its own writes.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import pickle
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, transaction
from django.db.models import F, QuerySet
from django.db.models.sql.datastructures import Join
from django.db.models.sql.where import WhereNode
from django.dispatch import Signal
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import get_language

STAMP_TABLE = "core_dataversion"
# Tables whose writes do not change what the public reads: the stamp itself, sessions,
# the database cache, sign-in bookkeeping (last_login, throttle, tokens).
# The task queue's rows (django_tasks…) are the worker's bookkeeping: a job starting or
# finishing changed no public answer (and the warm-up queued after a write must not bump).
_QUIET_PREFIXES = (
    "core_dataversion",
    "django_session",
    "django_cache",
    "auth_",
    "accounts_",
    "otp_",
    "django_tasks",
)
_WRITE = re.compile(
    r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+[\"`]?(\w+)", re.I
)


@dataclass(frozen=True)
class Stamp:
    version: int
    token: str
    changed_at: datetime

    @property
    def key(self) -> str:
        return f"{self.token}.{self.version}.{code_stamp()}"


# What the code's own files can change in a page: templates, code, translations, scripts,
# styles, the rules kept as data. Tests are not served.
_CODE_SUFFIXES = frozenset({".py", ".html", ".mo", ".yaml", ".js", ".css", ".txt"})


@functools.cache
def code_stamp() -> str:
    """A digest of the code that renders the pages, computed once per process (about
    50 ms over ~500 files). Part of every kept page's and value's key and of every ETag: a
    deploy that changes a template, a selector or a translation must not keep serving what
    the old code rendered under an unchanged data stamp. A digest of the contents, not of
    dates, so that app servers running the same release share their kept pages."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(root.rglob("*")):
        if path.suffix in _CODE_SUFFIXES and "tests" not in path.parts and path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def _quiet_tables() -> tuple[str, ...]:
    extra = tuple(
        str(c.get("LOCATION"))
        for c in getattr(settings, "CACHES", {}).values()
        if "DatabaseCache" in str(c.get("BACKEND", ""))
    )
    return _QUIET_PREFIXES + extra


def written_table(sql: str) -> str | None:
    """The table a data-changing statement writes to, None for reads and quiet tables."""
    if not sql or sql.lstrip()[:1].upper() not in ("I", "U", "D", "T"):
        return None
    match = _WRITE.match(sql)
    if not match:
        return None
    table = match.group(1).lower()
    return None if table.startswith(_quiet_tables()) else table


def _bump_pending(connection) -> bool:
    return any(func is _bump_callback for _sids, func, *_rest in connection.run_on_commit)


# Sent after each bump, i.e. after each committed write (ops/warm.py queues a warm-up).
data_changed = Signal()


def _bump_callback(using: str = DEFAULT_DB_ALIAS) -> None:
    _request_stamp.set(None)  # this request's later reads must see the stamp it just moved
    try:
        stamp_bump(using=using)
    except DatabaseError:
        # Before `migrate` has made the stamp's table (the migrations' own writes): there
        # is nothing cached yet to invalidate.
        if STAMP_TABLE in connections[using].introspection.table_names():
            raise
        return
    data_changed.send(sender=_bump_callback, using=using)


class _WriteWatcher:
    """Execute wrapper: after a successful write, make sure a bump waits for the commit."""

    def __init__(self, connection):
        self.connection = connection

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if written_table(sql) is not None:
            written(self.connection)
        return result


def written(connection) -> None:
    """A write happened on `connection`: the stamp moves now (autocommit) or once the
    transaction commits. The watcher calls it for every statement; a write that does not go
    through `execute` (PostgreSQL's COPY) calls it by hand."""
    if not connection.in_atomic_block:
        _bump_callback(connection.alias)
    elif not _bump_pending(connection):
        transaction.on_commit(_bump_callback, using=connection.alias)


def install(sender, connection, **kwargs) -> None:
    """connection_created handler (core.apps): watch every connection's writes."""
    if not any(isinstance(w, _WriteWatcher) for w in connection.execute_wrappers):
        connection.execute_wrappers.append(_WriteWatcher(connection))


def stamp_bump(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Move the stamp on (after a commit; also callable by hand after out-of-band writes).

    No atomic block of its own: it may run in autocommit while the write's statement is
    still open (SQLite refuses a COMMIT then); a single UPDATE is atomic anyway."""
    from .models import DataVersion

    now = timezone.now()
    rows = DataVersion.objects.using(using).filter(pk=1)
    if rows.update(version=F("version") + 1, changed_at=now):
        return
    try:
        DataVersion(pk=1, version=1, token=uuid.uuid4().hex, changed_at=now).save(
            using=using, force_insert=True
        )
    except IntegrityError:  # another process made it first: bump theirs
        rows.update(version=F("version") + 1, changed_at=now)


# The stamp a public GET read when it began (PublicCacheMiddleware): the reads of that one
# request share it instead of asking the database again for each cached value. Safe in the
# direction that matters: data read after the stamp is at least as new as the stamp, so a
# value kept under it is never older than its key says. A write bumps and forgets it.
_request_stamp: contextvars.ContextVar[Stamp | None] = contextvars.ContextVar("coopatlas_stamp", default=None)


def request_stamp_held() -> bool:
    """Whether this thread answers a public GET whose stamp is held (read once)."""
    return _request_stamp.get() is not None


def stamp_get(*, using: str = DEFAULT_DB_ALIAS) -> Stamp:
    if using == DEFAULT_DB_ALIAS:
        held = _request_stamp.get()
        if held is not None:
            return held
    return _stamp_read(using=using)


_STAMP_SQL: dict[str, str] = {}  # vendor → the stamp's read as SQL text


def _stamp_sql(conn) -> str:
    """The stamp's read as SQL text, made once per database kind: every request runs it, and
    building it through the ORM each time was a tenth of a loaded server's CPU (issue 15)."""
    sql = _STAMP_SQL.get(conn.vendor)
    if sql is None:
        from .models import DataVersion

        quote, meta = conn.ops.quote_name, DataVersion._meta
        columns = ", ".join(quote(meta.get_field(name).column) for name in ("version", "token", "changed_at"))
        sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"
        _STAMP_SQL[conn.vendor] = sql
    return sql


def _stamp_row(using: str) -> tuple | None:
    conn = connections[using]
    with conn.cursor() as cursor:
        cursor.execute(_stamp_sql(conn), [1])
        row = cursor.fetchone()
    if row is None:
        return None
    version, token, changed_at = row
    # SQLite gives the text Django stored; the backend's own converter reads it back
    convert = getattr(conn.ops, "convert_datetimefield_value", None)
    if convert is not None:
        changed_at = convert(changed_at, None, conn)
    return int(version), token, changed_at


def _stamp_read(*, using: str = DEFAULT_DB_ALIAS) -> Stamp:
    """The current stamp (one primary-key read); created on first use."""
    row = _stamp_row(using)
    if row is None:
        stamp_bump(using=using)
        row = _stamp_row(using)
    return Stamp(*row)


def has_pending_writes(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    conn = connections[using]
    return conn.in_atomic_block and _bump_pending(conn)


CACHE_SECONDS = 24 * 3600  # an entry dies with its stamp; this only bounds the cache's size


def cached_read(key: str, compute: Callable[[], Any], *, per_language: bool = True) -> Any:
    """`compute()` once per stamp (and language): the reads that grow with the data."""
    if has_pending_writes():
        return compute()
    lang = (get_language() or "fr")[:2] if per_language else "-"
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:20]
    full_key = f"coopatlas:reads:{stamp_get().key}:{lang}:{digest}"
    local = local_reads()
    packed = local.get(full_key)
    if packed is not None:
        return pickle.loads(packed)  # a copy of its own: callers may change what they get
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, CACHE_SECONDS)
    local.put(full_key, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
    return value


T = TypeVar("T")


def read_once(kind: str, qs: QuerySet, compute: Callable[[], T], empty: T) -> T:
    """What `compute` reads with the statement of `qs`, once per data stamp whatever the
    page's language: counts, ids and GROUP BY rows are in no language, so the English page
    after the French one (or the warm-up's second language) reads none of them again.
    Keyed by the statement and its parameters, so two questions never share an answer; a
    filter nothing can match has no statement (`EmptyResultSet`) and gets `empty`."""
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:
        return empty
    return cached_read(f"{kind}:{sql}:{params!r}", compute, per_language=False)


def count_once(qs: QuerySet) -> int:
    """`qs.count()`, once per data stamp for both languages (read_once)."""
    return read_once("count", qs, qs.count, 0)


def first_rows(qs: QuerySet, limit: int) -> list:
    """The first `limit` rows of `qs`, their ids kept once per stamp (rows_of_ids)."""
    return rows_of_ids(qs, qs.values_list("pk", flat=True)[:limit])


def rows_of_ids(qs: QuerySet, ids_qs: QuerySet) -> list:
    """The rows `ids_qs` (the page's ids, in order, of `qs`) names, shaped as `qs` shapes
    them (joins, annotations, prefetches) but fetched by primary key, without the filter:
    the ids are kept once per stamp (read_once), so a second language or a second visitor
    pays a lookup of 50 keys, not the filter's subqueries again.

    Where the filter joined a many-valued relation (a row per match), dropping the filter
    would keep that join's other rows: such a queryset keeps its filter."""
    ids = read_once("list-ids", ids_qs, lambda: list(ids_qs), [])
    if not ids:
        return []
    source = qs.all()
    if not _joins_many(qs):
        source.query.where = WhereNode()
    by_id = {row.pk: row for row in source.filter(pk__in=ids).order_by()}
    return [by_id[pk] for pk in ids if pk in by_id]


def _joins_many(qs: QuerySet) -> bool:
    return any(
        getattr(join.join_field, "one_to_many", False) or getattr(join.join_field, "many_to_many", False)
        for join in qs.query.alias_map.values()
        if isinstance(join, Join)
    )


# --------------------------------------------------------------------------------------
# Conditional answers for the public pages and the open API
# --------------------------------------------------------------------------------------

PUBLIC_NAMESPACES = frozenset({"atlas", "api"})


# The API's description and its docs page do not change with the data: no stamp to read
# (the schema is also read where no database is open, e.g. when the fuzz tests load it).
DATA_FREE_VIEWS = frozenset({"openapi-json", "openapi-view"})


def _public_request(request) -> bool:
    """A GET of a public page or API answer by someone not signed in (no bearer token)."""
    if request.method not in ("GET", "HEAD"):
        return False
    match = getattr(request, "resolver_match", None)
    if match is None or not PUBLIC_NAMESPACES.intersection(match.namespaces):
        return False
    if match.url_name in DATA_FREE_VIEWS:
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    return "HTTP_AUTHORIZATION" not in request.META


def _signed_in_public(request) -> bool:
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    return bool(
        match is not None
        and PUBLIC_NAMESPACES.intersection(match.namespaces)
        and ((user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META)
    )


PAGE_MAX_BYTES = 4 * 1024 * 1024  # the 10x map overview fits; a full CSV export is not kept


def _page_cache_on() -> bool:
    # Off in the test settings: tests that change settings between two requests at one
    # stamp would otherwise get the first page back (test_freshness turns it on).
    return bool(getattr(settings, "COOPATLAS_PAGE_CACHE", True))


def _no_session(request) -> bool:
    """No session or messages cookie: a message waiting for this visitor is never skipped."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def _storable(request, response) -> bool:
    return (
        request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and len(response.content) <= PAGE_MAX_BYTES
    )


_KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Content-Language")
GZIP_MIN_BYTES = 200  # GZipMiddleware's own threshold: smaller answers go as they are


def _page_entry(response, *, own_etag: bool = False) -> dict:
    """What is kept of an answer: its body, compressed once here when that makes it smaller
    (GZipMiddleware would otherwise compress the same bytes again on every hit), and the
    headers that describe it. Only pages without a cookie or session are kept, so the body
    holds no secret and one compression serves every visitor (no BREACH padding needed)."""
    import gzip

    content = response.content
    kept = (*_KEPT_HEADERS, "ETag") if own_etag else _KEPT_HEADERS
    entry = {"headers": {h: response[h] for h in kept if response.has_header(h)}}
    if len(content) >= GZIP_MIN_BYTES:
        packed = gzip.compress(content, compresslevel=6, mtime=0)
        if len(packed) < len(content):
            entry["gzip"] = packed
            return entry
    entry["content"] = content
    return entry


def _accepts_gzip(request) -> bool:
    from django.middleware.gzip import re_accepts_gzip

    return bool(re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))


def _page_response(entry: dict, request):
    """The kept answer as this client takes it: compressed as kept, or unpacked for a client
    that does not accept gzip (rare: every browser and HTTP library does)."""
    import gzip

    from django.http import HttpResponse

    packed = entry.get("gzip")
    if packed is None:
        response = HttpResponse(entry["content"])
    elif _accepts_gzip(request):
        response = HttpResponse(packed)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(packed))
    for name, value in entry["headers"].items():
        response[name] = value
    if packed is not None:
        patch_vary_headers(response, ("Accept-Encoding",))
    return response


class LocalPages:
    """A small per-process copy of the most-read kept pages, in front of the shared cache.

    Keyed by the shared cache's own key, which holds the full stamp (token and version):
    the stamp is still read from the database on every request, so a write committed by any
    process moves every key on and an old copy here is simply never asked for again — it
    can never be served after a write (tests: test_freshness). Bounded in entries and bytes
    (least recently used out first), so a worker's memory stays flat whatever the crowd reads.
    """

    def __init__(self, max_entries: int, max_bytes: int, size: Callable[[Any], int] | None = None):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        if size is not None:
            self._size = size
        self._items: OrderedDict[str, tuple[dict, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # a gthread process answers several requests at once

    @staticmethod
    def _size(entry: dict) -> int:
        return len(entry.get("gzip") or entry.get("content") or b"") + 200

    def get(self, key: str) -> dict | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: str, entry: dict) -> None:
        size = self._size(entry)
        if self.max_entries <= 0 or size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (entry, size)
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _key, (_entry, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)


_local_pages: LocalPages | None = None


def local_pages() -> LocalPages:
    global _local_pages
    if _local_pages is None:
        _local_pages = LocalPages(
            int(getattr(settings, "COOPATLAS_PAGE_LOCAL_ENTRIES", 512)),
            int(getattr(settings, "COOPATLAS_PAGE_LOCAL_MB", 32)) * 2**20,
        )
    return _local_pages


_local_reads: LocalPages | None = None


def local_reads() -> LocalPages:
    """The same per-process copy for `cached_read`'s values (facets, counts, summaries), in
    front of the shared cache: a list read for the first time at a stamp whose facets are
    kept skips a query. Kept pickled (each caller unpickles a copy of its own, as from the
    shared cache), bounded in entries and bytes."""
    global _local_reads
    if _local_reads is None:
        _local_reads = LocalPages(
            int(getattr(settings, "COOPATLAS_PAGE_LOCAL_ENTRIES", 512)),
            int(getattr(settings, "COOPATLAS_READS_LOCAL_MB", 16)) * 2**20,
            size=lambda packed: len(packed) + 100,
        )
    return _local_reads


def local_pages_clear() -> None:
    """Forget this process's copies (tests roll their stamps back; a process never needs to)."""
    global _local_pages, _local_reads
    _local_pages = None
    _local_reads = None


def page_get(key: str) -> dict | None:
    """A kept page: this process's copy, else the shared cache's (then copied here)."""
    local = local_pages()
    entry = local.get(key)
    if entry is None:
        entry = cache.get(key)
        if entry is not None:
            local.put(key, entry)
    return entry


def page_set(key: str, entry: dict) -> None:
    cache.set(key, entry, CACHE_SECONDS)
    local_pages().put(key, entry)


# Namespaces whose views read each parameter once (`request.GET.get`, `.items()`) and take
# a blank value as no value (cooperation.filters, the formats): there, `?q=&country=SN&status=`
# (what the filter form sends) is the same question as `?country=SN` (a fiche's link, the
# warm-up's page) and shares its kept page. The API is left as sent: its parser may refuse
# a blank value that an absent one defaults.
BLANK_IS_ABSENT_NAMESPACES = frozenset({"atlas"})


def canonical_path(request) -> str:
    """The path and query of a public request as its answer depends on them: in the atlas,
    each parameter's last value (what `.get` reads), blank ones dropped, in name order."""
    match = getattr(request, "resolver_match", None)
    if not request.GET or match is None or not BLANK_IS_ABSENT_NAMESPACES.intersection(match.namespaces):
        return request.get_full_path()
    from django.utils.http import urlencode

    kept = sorted((name, value) for name, value in request.GET.items() if value.strip())
    return f"{request.path}?{urlencode(kept)}" if kept else request.path


def public_etag(request, stamp: Stamp) -> str:
    """One stamp, one language, one question (path and query, `canonical_path`): one
    representation."""
    lang = getattr(request, "LANGUAGE_CODE", None) or get_language() or "fr"
    digest = hashlib.sha1(f"{lang}|{canonical_path(request)}".encode(), usedforsecurity=False).hexdigest()[
        :12
    ]
    return f'"{stamp.key}-{digest}"'


class PublicCacheMiddleware:
    """ETag / Last-Modified from the data stamp, 304 Not Modified, a short public cache.

    Placed after the session, locale and authentication middleware: the answer depends on
    the language (ETag and `Vary: Accept-Language, Cookie`) and signed-in pages are never
    kept by a proxy (`private, no-cache`). The 304 is answered before the view runs: the
    page is not rebuilt when nothing was written since the client's copy.
    A response that sets a cookie (the CSRF cookie of a first visit) keeps its ETag but is
    `private`: a shared cache must not hand one visitor's cookie to another.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        finally:
            token = getattr(request, "_coopatlas_stamp_token", None)
            if token is not None:
                _request_stamp.reset(token)
                request._coopatlas_stamp_token = None
        etag = getattr(request, "_coopatlas_etag", None)
        if etag and response.status_code in (200, 304):
            # An API fiche carries its record's own ETag (the version to send back in
            # If-Match): kept as it is, with that ETag, and served as the view made it.
            own = response.has_header("ETag")
            if not own:
                self._headers(request, response, etag)
            if getattr(request, "_coopatlas_page_key", None) and _storable(request, response):
                page_set(request._coopatlas_page_key, _page_entry(response, own_etag=own))
        elif _signed_in_public(request):
            patch_cache_control(response, private=True, no_cache=True)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not _public_request(request):
            return None
        stamp = _stamp_read()
        etag = public_etag(request, stamp)
        request._coopatlas_etag = etag
        request._coopatlas_stamp = stamp
        request._coopatlas_stamp_token = _request_stamp.set(stamp)
        not_modified = get_conditional_response(
            request, etag=etag, last_modified=int(stamp.changed_at.timestamp())
        )
        if (
            not_modified is not None
            or not _page_cache_on()
            or has_pending_writes()
            or not _no_session(request)
        ):
            return not_modified
        # The whole answer, kept under the stamp: a visitor without the page in their own
        # cache gets it without the view running (lists, fiches and their JSON alike).
        request._coopatlas_page_key = f"coopatlas:page:{etag}"
        entry = page_get(request._coopatlas_page_key)
        if entry is None:
            return None
        request._coopatlas_page_key = None  # already stored
        return _page_response(entry, request)

    @staticmethod
    def _headers(request, response, etag: str) -> None:
        stamp = request._coopatlas_stamp
        # A compressed body is another representation of the page: a weak ETag, as
        # GZipMiddleware makes when it compresses (If-None-Match compares weakly: 304 still).
        response["ETag"] = f"W/{etag}" if response.get("Content-Encoding") == "gzip" else etag
        response["Last-Modified"] = http_date(int(stamp.changed_at.timestamp()))
        max_age = int(getattr(settings, "COOPATLAS_PUBLIC_MAX_AGE", 60))
        if response.cookies:
            patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
        else:
            patch_cache_control(response, public=True, max_age=max_age)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
