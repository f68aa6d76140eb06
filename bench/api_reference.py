"""The API reference page (/api/v1/docs) beside its library baseline, ninja's own
/api/v1/openapi.json (the same schema, generated on every request): wall and CPU per
request in this process, through Django's test client on an existing database.

    DJANGO_SETTINGS_MODULE=coopatlas.config.settings.bench COOPATLAS_VAR_DIR=var \
        .venv/bin/python -m bench.api_reference

Not part of `make bench` (it needs no national dataset): a figure to print, not a test.
"""

from __future__ import annotations

import gzip
import os
import resource
import time

RUNS = int(os.environ.get("BENCH_RUNS", 10))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(client, path: str) -> tuple[float, float, bytes]:
    wall, cpu = time.perf_counter(), _cpu()
    body = client.get(path).content
    return time.perf_counter() - wall, _cpu() - cpu, body


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopatlas.config.settings.bench")
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    print(f"load average {os.getloadavg()[0]:.2f}; {RUNS} warm requests each")
    for label, path in (
        ("openapi.json (ninja, baseline)", "/api/v1/openapi.json"),
        ("reference page", "/api/v1/docs"),
    ):
        first_wall, first_cpu, body = _timed(client, path)
        runs = [_timed(client, path) for _ in range(RUNS)]
        wall = sum(r[0] for r in runs) / RUNS
        cpu = sum(r[1] for r in runs) / RUNS
        print(
            f"{label:32} {len(body) // 1024:4} KB ({len(gzip.compress(body)) // 1024} KB gzip)  "
            f"first {first_wall * 1000:5.0f} ms wall / {first_cpu * 1000:5.0f} ms CPU  "
            f"warm {wall * 1000:5.0f} ms wall / {cpu * 1000:5.0f} ms CPU"
        )


if __name__ == "__main__":
    main()
