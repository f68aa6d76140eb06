"""/healthz checks beyond django-health-check's own: migrations applied, free disk space."""

from __future__ import annotations

import dataclasses
import shutil

from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable


def pending_migrations(alias: str = "default") -> list[str]:
    """The migrations the code expects and the database does not have yet ("app.name")."""
    executor = MigrationExecutor(connections[alias])
    return [
        f"{m.app_label}.{m.name}"
        for m, _backwards in executor.migration_plan(executor.loader.graph.leaf_nodes())
    ]


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Unhealthy while the code expects migrations the database does not have yet."""

    alias: str = "default"

    def run(self):
        pending = pending_migrations(self.alias)
        if pending:
            raise ServiceUnavailable(
                f"{len(pending)} migration(s) not applied: {', '.join(pending[:5])} (run `coopatlas setup`)"
            )


@dataclasses.dataclass
class DiskSpace(HealthCheck):
    """Unhealthy when the disk of the database and documents is fuller than the limit."""

    def run(self):
        path = settings.VAR_DIR if settings.VAR_DIR.exists() else settings.VAR_DIR.parent
        usage = shutil.disk_usage(path)
        percent = 100 * usage.used / usage.total
        if percent > settings.COOPATLAS_HEALTH_MAX_DISK_PERCENT:
            raise ServiceUnavailable(
                f"disk {percent:.0f}% full (limit {settings.COOPATLAS_HEALTH_MAX_DISK_PERCENT:.0f}%)"
            )
