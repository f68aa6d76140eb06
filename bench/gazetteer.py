"""Gazetteer type-ahead figures (not a test): partner search over the whole gazetteer
(~136k entries, ~336k names) as a person types real partner names, letter by letter,
beside the raw SQL of its name lookup. Targets: median < 50 ms, p95 < 100 ms.

Called by `python -m bench` (BENCH_GAZETTEER=0 skips it) or alone:
`python -m bench.gazetteer [SQLITE_FILE]` (default: var/bench/gazetteer/, built by setup).
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench" / "gazetteer"
# Partner names as people type them (the public records' spellings), with their country.
NAMES = [
    ("Mopti", "ML"),
    ("Kayes", "ML"),
    ("Yélimané", "ML"),
    ("Tombouctou", None),
    ("Sikasso", "ML"),
    ("Antananarivo", None),
    ("Tananarive", "MG"),
    ("Fianarantsoa", None),
    ("Jacmel", "HT"),
    ("Chefchaouen", "MA"),
    ("Ouahigouya", None),
    ("Kaolack", "SN"),
    ("Ziguinchor", None),
    ("Porto-Novo", "BJ"),
    ("Kpalimé", "TG"),
    ("Agadez", "NE"),
    ("Sibiu", "RO"),
    ("Séfrou", None),
    ("Hué", "VN"),
    ("Battambang", None),
]


def _prefixes() -> list[tuple[str, str | None]]:
    out = []
    for name, country in NAMES:
        for n in range(2, len(name) + 1):
            out.append((name[:n], country))
    return out


def run(db: Path | None = None) -> None:
    if db is None:
        VAR.mkdir(parents=True, exist_ok=True)
        db = VAR / "coopatlas.sqlite3"
        if not db.exists():
            env = dict(
                os.environ,
                COOPATLAS_VAR_DIR=str(VAR),
                DJANGO_SETTINGS_MODULE="coopatlas.config.settings.bench",
            )
            env.pop("DATABASE_URL", None)
            started = time.monotonic()
            subprocess.run(
                [sys.executable, "-m", "coopatlas.cli", "setup"],
                env=env,
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            print(f"setup (migrate + reference + gazetteer + demo): {time.monotonic() - started:.1f} s")
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopatlas.config.settings.bench")
    import django

    django.setup()
    from coopatlas.core.text import fold
    from coopatlas.geo.gazetteer import partner_search

    queries = _prefixes()
    for q, c in queries[:20]:  # warm
        partner_search(q=q, country=c)
    times = []
    for q, c in queries:
        started = time.perf_counter()
        partner_search(q=q, country=c, limit=12)
        times.append((time.perf_counter() - started) * 1000)
    con = sqlite3.connect(db)
    raw = []
    for q, _c in queries:
        text = fold(q)
        started = time.perf_counter()
        con.execute(
            "SELECT n.entry_id, n.value, e.name, e.level, e.kind FROM geo_gazetteername n "
            "JOIN geo_gazetteerentry e ON e.id = n.entry_id "
            "WHERE n.search_value >= ? AND n.search_value < ? LIMIT 300",
            (text, text + "\uffff"),
        ).fetchall()
        raw.append((time.perf_counter() - started) * 1000)
    con.close()
    entries = sqlite3.connect(db).execute("SELECT count(*) FROM geo_gazetteerentry").fetchone()[0]
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"gazetteer type-ahead, {len(queries)} keystrokes over {entries:,} entries: "
        f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
        f"(targets 50 / 100 ms); raw SQL name lookup median {statistics.median(raw):.2f} ms"
    )
    from coopatlas.geo.resolution import resolution_rate

    r = resolution_rate()
    print(
        f"partner names resolved ({r['total']} real names, 30 countries): right entity offered "
        f"{r['offered_rate']:.0%}, first {r['first_rate']:.0%} (target 80 %)"
    )


if __name__ == "__main__":
    run(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
