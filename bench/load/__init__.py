"""Load test (locust) against a server it starts: `python -m bench.load`."""

from .runner import run  # noqa: F401
