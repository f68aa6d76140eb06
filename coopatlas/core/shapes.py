"""A fiche's queries compiled once per shape in this process (issue 15).

A fiche runs the same twenty queries for every record, with only the record's id changing,
and Django compiles each one to SQL anew: 0.2–1.2 ms of Python a query, about 9 ms of a
project fiche's 30. `shaped(qs, name)` marks a queryset, just before it is read, so that its
SQL text and its columns' description are kept under a key made of `name` and everything
that shapes the query besides its WHERE values:
- the database alias, the active language;
- the tables joined and how, the columns selected, deferred or annotated;
- the order, the slice, DISTINCT.
A later read with the same key compiles only its WHERE clause, for its own values. The kept
text is used only if that clause compiles to the kept clause's text.

A name is one call site: it stands for what the key does not hold, the structure of the
query's annotations and subqueries, so one name must never mark two different querysets.

Values outside WHERE (a CASE in the order: `French first`) are kept with the text as
constants, since the order's expressions, values included, are in the key; a query with
annotations, extras or filtered relations and such values is compiled as Django does (their
values are not in the key), and so is a query with HAVING, a window or a UNION, every query
not marked, and a read whose WHERE values cannot be told from the constants (the same value
in both: that read only). Clones of a marked query are ordinary queries (`.filter()`,
`.count()` or a slice after `shaped` compile as usual), except with `sticky=True`, for a
`Prefetch` queryset, which Django filters by the rows it completes before reading it.

`COOPATLAS_SHAPES_VERIFY` (on in the test settings) compiles every kept query again on
each hit and fails if the SQL or its parameters differ: the whole suite checks the keys.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db.models import Prefetch, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.query import Query
from django.utils.translation import get_language

MAX_SHAPES = 1000  # a few dozen marked call sites × databases × languages × WHERE texts
MAX_WHERE_PARAMS = 100  # a longer IN (an export's chunk of 2,000 ids) is not kept
_NOT_KEPT = object()  # a key Django compiles every time (HAVING, a window, loose values)
_shapes: dict[tuple, object] = {}  # key → {WHERE text: _Shape}, or _NOT_KEPT
_count = 0  # shapes kept
_lock = threading.Lock()


class _Shape:
    __slots__ = ("sql", "before", "after", "select", "klass_info", "annotation_col_map", "col_count", "extra")

    def __init__(self, compiler: SQLCompiler, sql: str, before: tuple, after: tuple):
        self.sql = sql
        self.before = before  # the constant parameters before the WHERE clause's, and after
        self.after = after
        self.select = compiler.select
        self.klass_info = compiler.klass_info
        self.annotation_col_map = compiler.annotation_col_map
        self.col_count = compiler.col_count
        self.extra = compiler.has_extra_select


def shaped(qs: QuerySet, name: str, *, sticky: bool = False) -> QuerySet:
    """`qs`, read with its SQL kept per shape under `name` (one name per call site).
    `sticky`: its clones too (a Prefetch's queryset, which Django filters then reads)."""
    qs = qs._chain()
    qs.query.__class__ = ShapedQuery
    qs.query.shape_name = name
    qs.query.shape_sticky = sticky
    return qs


def kept_prefetch(model, lookup: str, name: str, queryset: QuerySet | None = None) -> Prefetch:
    """`Prefetch(lookup, queryset)` with its query kept per shape: `queryset`, else the
    related model's default rows (what Django prefetches for a bare `lookup`)."""
    if queryset is None:
        queryset = model._meta.get_field(lookup).related_model._default_manager.all()
    return Prefetch(lookup, queryset=shaped(queryset, name, sticky=True))


def shaped_first(qs: QuerySet, name: str):
    """`qs.first()`, its SQL kept per shape."""
    qs = qs if qs.ordered else qs.order_by("pk")
    return next(iter(shaped(qs[:1], name)), None)


def clear() -> None:
    global _count
    with _lock:
        _shapes.clear()
        _count = 0


class ShapedQuery(Query):
    shape_name = ""
    shape_sticky = False

    def clone(self):
        obj = super().clone()
        if not self.shape_sticky:  # a clone is another query: its own shape, compiled as usual
            obj.__class__ = Query
            obj.__dict__.pop("shape_name", None)
            obj.__dict__.pop("shape_sticky", None)
        return obj

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        compiler = super().get_compiler(using, connection, elide_empty)
        if type(compiler).as_sql is SQLCompiler.as_sql:  # a SELECT (not an update, insert…)
            compiler.as_sql = _ShapedSql(compiler, self.shape_name)
        return compiler


def _key(query: Query, using: str, name: str) -> tuple:
    deferred, defer = query.deferred_loading
    return (
        name,
        using,
        get_language(),
        query.model,
        tuple((alias, getattr(join, "join_type", None)) for alias, join in query.alias_map.items()),
        repr(query.select_related),
        frozenset(deferred),
        defer,
        query.values_select,
        tuple(query.annotation_select),
        tuple(query.extra_select),
        query.order_by,
        query.extra_order_by,
        query.default_ordering,
        query.low_mark,
        query.high_mark,
        query.distinct,
        query.distinct_fields,
        query.group_by is not None,
        query.select_for_update,
    )


def _where(compiler: SQLCompiler) -> tuple[str, list]:
    try:
        return compiler.compile(compiler.query.where)
    except FullResultSet:
        return "", []


class _ShapedSql:
    """The marked query's `as_sql`: the kept text and this read's WHERE parameters."""

    __slots__ = ("compiler", "name")

    def __init__(self, compiler: SQLCompiler, name: str):
        self.compiler = compiler
        self.name = name

    def __call__(self, with_limits=True, with_col_aliases=False):
        compiler = self.compiler
        query = compiler.query
        if not with_limits or with_col_aliases or query.combinator or query.subquery:
            return SQLCompiler.as_sql(compiler, with_limits, with_col_aliases)
        key = _key(query, compiler.using, self.name)
        kept = _shapes.get(key)
        if kept is _NOT_KEPT:
            return SQLCompiler.as_sql(compiler)
        # The WHERE text is part of the shape (an IN of 3 values is not one of 4).
        try:
            where_sql, where_params = _where(compiler)
        except EmptyResultSet:  # no rows: Django's own compile sets the columns up, then says so
            return SQLCompiler.as_sql(compiler)
        where_params = tuple(where_params)
        shape = kept.get(where_sql) if kept is not None else None
        if shape is None:
            sql, params = SQLCompiler.as_sql(compiler)
            _keep(key, compiler, sql, tuple(params), where_sql, where_params)
            return sql, params
        compiler.select = shape.select
        compiler.klass_info = shape.klass_info
        compiler.annotation_col_map = shape.annotation_col_map
        compiler.col_count = shape.col_count
        compiler.has_extra_select = shape.extra
        params = shape.before + where_params + shape.after
        if settings.COOPATLAS_SHAPES_VERIFY:
            _verify(compiler, shape.sql, params)
        return shape.sql, params


def _split(params: tuple, where_params: tuple) -> tuple[tuple, tuple] | None:
    """The parameters before and after the WHERE clause's, if only one place holds them."""
    n = len(where_params)
    if n == 0:
        return params, ()  # the WHERE clause has none: every parameter is a constant before it
    spots = [k for k in range(len(params) - n + 1) if params[k : k + n] == where_params]
    return (params[: spots[0]], params[spots[0] + n :]) if len(spots) == 1 else None


def _keep(key: tuple, compiler: SQLCompiler, sql: str, params: tuple, where_sql: str, where_params: tuple):
    """Keep the compiled query under its key and WHERE text; or mark its key as one Django
    compiles every time (HAVING, a window: its WHERE is not the query's)."""
    query = compiler.query
    own_where = compiler.where is query.where and compiler.having is None and compiler.qualify is None
    split = _split(params, where_params) if own_where and (not where_sql or where_sql in sql) else None
    # Values outside WHERE are kept as constants only where the key holds them: the order's
    # expressions are in it, an annotation's or an extra's values are not.
    loose = bool(query.annotation_select or query.extra or query._filtered_relations)
    kept = own_where and not (split and (split[0] or split[1]) and loose)
    if kept and (split is None or len(where_params) > MAX_WHERE_PARAMS):
        return  # this read only: its values are also among the constants, or too many
    global _count
    with _lock:
        if _count >= MAX_SHAPES:
            _shapes.clear()
            _count = 0
        if not kept:
            _shapes[key] = _NOT_KEPT
            return
        kept = _shapes.get(key)
        if not isinstance(kept, dict):
            kept = _shapes[key] = {}
        kept[where_sql] = _Shape(compiler, sql, *split)
        _count += 1


def _verify(compiler: SQLCompiler, sql: str, params: tuple) -> None:
    fresh = compiler.query.clone().get_compiler(using=compiler.using)
    fresh_sql, fresh_params = SQLCompiler.as_sql(fresh)  # Django's own compile (a sticky clone is marked)
    if (fresh_sql, tuple(fresh_params)) != (sql, params):
        raise AssertionError(
            "core.shapes: the kept SQL differs from a fresh compile\n"
            f"kept:  {sql} {params}\nfresh: {fresh_sql} {tuple(fresh_params)}"
        )
