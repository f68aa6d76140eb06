"""Structured logs: structlog renders every record (ours, Django's, django-structlog's) as one
JSON line carrying the request id bound by django-structlog's middleware.

COOPATLAS_LOG_FORMAT=console prints them readably instead (development)."""

from __future__ import annotations

import os

import structlog

PRE_CHAIN = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]

_JSON = (os.environ.get("COOPATLAS_LOG_FORMAT") or "json") == "json"
RENDERER = structlog.processors.JSONRenderer() if _JSON else structlog.dev.ConsoleRenderer(colors=False)

structlog.configure(
    processors=[
        *PRE_CHAIN,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)
