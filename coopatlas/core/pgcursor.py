"""PostgreSQL cursors: parameters bound by the server (so that psycopg can prepare the
queries a connection runs again and again), except for a query carrying more parameters
than the protocol allows, bound in its text as Django does by default.

Why (docs/postgresql.md): a fiche is a score of small queries that PostgreSQL takes longer to
plan than to run; prepared, they are planned once per connection. But a query bound by the
server carries at most 65,535 parameters, and Django sends `id__in=[…]` and a bulk insert
one parameter per value: those few (a facet's ids at 10x, a prefetch over a whole export,
the synthetic generator's inserts) are sent with their values in the text, unprepared.

Only psycopg is imported here (settings name the class: `OPTIONS["cursor_factory"]`).
"""

from __future__ import annotations

import psycopg

MAX_BOUND_PARAMS = 65_535  # the PostgreSQL wire protocol's limit per query


class PreparingCursor(psycopg.Cursor):
    """psycopg's server-binding cursor (Django's `ServerBindingCursor` less `callproc`,
    which the project does not use), falling back to client-side binding for long lists."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if params is not None and len(params) > MAX_BOUND_PARAMS:
            with psycopg.ClientCursor(self.connection) as client:
                text = client.mogrify(query, params)
            return super().execute(text, None, prepare=False, binary=binary)
        return super().execute(query, params, prepare=prepare, binary=binary)
