"""Import of the state's atlas (not a test): N synthetic fiches (default 12,000, the atlas's
size) in the page format, imported by `manage.py import_atlas` in one transaction, timed
with its peak resident memory (targets: < 5 min, < 600 MB), beside a baseline: the same
files parsed alone, and the same number of rows inserted by raw SQL.

Every fiche is SYNTHETIC: titles start with « [synthétique] », the fiches' addresses are
under a bench host, names are drawn from the bench database's own French authorities and
gazetteer (plus invented partner names, created « à vérifier »). Builds its own SQLite
database under var/bench/stateatlas/. BENCH_ATLAS_FICHES=1000 for a shorter run.
Run alone: `python -m bench.stateatlas`.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench" / "stateatlas"
FICHES = int(os.environ.get("BENCH_ATLAS_FICHES", 12_000))
THEMES = [
    ("Economie durable", "Agriculture et développement rural", "Agriculture et agroalimentaire"),
    ("Environnement, Climat et Energie", "Eau et déchets", "Eau et assainissement"),
    ("Culture et Patrimoine", "Patrimoine", ""),
    ("Education, Social et Recherche", "Santé", "Prévention et éducation à la santé"),
]
STATUSES = ["En cours", "Terminé", "En sommeil"]


def _env() -> dict:
    env = dict(os.environ)
    env.update(COOPATLAS_VAR_DIR=str(VAR), DJANGO_SETTINGS_MODULE="coopatlas.config.settings.bench")
    env.pop("DATABASE_URL", None)
    return env


def _run(*args: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB): on a shared machine the CPU time is the
    figure to compare with the target, the wall time depends on the neighbours."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args], env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"bench: manage.py {' '.join(args)} failed")
    return time.monotonic() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _names(db: Path, seed: int) -> tuple[list[str], list[tuple[str, str]]]:
    """French names as records write them, and (partner name, country) pairs."""
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    communes = [
        r[0]
        for r in con.execute(
            "SELECT name FROM geo_localauthority WHERE kind='commune' AND country_id='FR' "
            "AND population > 20000 ORDER BY insee_code"
        )
    ]
    deps = [r[0] for r in con.execute("SELECT name FROM geo_localauthority WHERE kind='departement'")]
    french = [f"Ville de {n}" for n in communes] + [f"Conseil général de {n}" for n in deps]
    french += ["Région Midi-Pyrénées", "Région Aquitaine", "Communauté urbaine de Strasbourg", "CG29"]
    entries = con.execute(
        "SELECT e.name, c.name_fr FROM geo_gazetteerentry e JOIN geo_country c ON c.iso2 = e.country_id "
        "WHERE e.level <= 2 "
        "AND e.country_id IN ('ML','SN','BF','MG','MA','TN','BJ','NE','TG','HT','CM','VN') "
        "ORDER BY e.code"
    ).fetchall()
    rng.shuffle(entries)
    partners = [(n, c) for n, c in entries[:2500]]
    partners += [(f"Commune synthétique {i}", "Mali") for i in range(300)]
    return french, partners


def build_fiches(folder: Path, n: int, seed: int = 11) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    french, partners = _names(VAR / "coopatlas.sqlite3", seed)
    rng = random.Random(seed)
    prj = 500_000
    while prj - 500_000 < n:
        fr, (pa, country) = rng.choice(french), rng.choice(partners)
        first = rng.randint(1975, 2015)
        for period in range(min(rng.randint(1, 3), n - (prj - 500_000))):
            prj += 1
            theme = rng.choice(THEMES)
            start = first + 3 * period
            lines = [
                f"https://atlas.bench.invalid/fiche.html?prjId={prj}",
                "Poste diplomatique : Ambassade de France (synthétique)",
                "Correspondant coopération décentralisée : M. Bench Synthétique - bench[at]example.org",
                f"Intitulé du projet : [synthétique] coopération {fr} – {pa}, période {period + 1}",
                f"Collectivité française : {fr}",
                f"Collectivité partenaire : {pa}",
                f"Pays : {country}",
                f"Année de première signature de la convention : {first}",
                f"Thématique : {theme[0]}",
                f"Sous-thématique : {theme[1]}",
            ]
            if theme[2]:
                lines.append(f"Sous-sous-thématique : {theme[2]}")
            lines += [
                f"Année de début du projet : {start}",
                f"Le projet est : {rng.choice(STATUSES)}",
                f"Date de fin : 31/12/{start + 3}",
                "Contexte et historique : Fiche synthétique générée pour la mesure de vitesse.",
                "Objectif du projet : Aucun (synthétique).",
                "Description détaillée du projet : Aucune (synthétique).",
            ]
            (folder / f"atlas-{prj}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _baseline(folder: Path) -> tuple[float, float]:
    """Parse every file alone (in this process), then insert N rows by raw SQL."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopatlas.config.settings.bench")
    os.environ["COOPATLAS_VAR_DIR"] = str(VAR)
    import django

    django.setup()
    from coopatlas.stateatlas.parser import parse_path

    started = time.monotonic()
    fiches = [f for p in sorted(folder.iterdir()) for f, _problems in parse_path(p)]
    parse = time.monotonic() - started
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE fiche (prj TEXT PRIMARY KEY, title TEXT, french TEXT, partner TEXT, y INT)")
    started = time.monotonic()
    with con:
        con.executemany(
            "INSERT INTO fiche VALUES (?, ?, ?, ?, ?)",
            [(f.prj_id, f.title, f.french[0], f.partner[0], f.first_convention_year) for f in fiches if f],
        )
    return parse, time.monotonic() - started


def run() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    if not (VAR / "coopatlas.sqlite3").exists():
        subprocess.run(
            [sys.executable, "-m", "coopatlas.cli", "setup"],
            env=_env(),
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    folder = VAR / "fiches"
    build_fiches(folder, FICHES)
    report = VAR / "report.json"
    seconds, cpu, rss = _run("import_atlas", str(folder), "--report", str(report))
    again, cpu2, rss2 = _run("import_atlas", str(folder), "--report", str(VAR / "report2.json"))
    parse, insert = _baseline(folder)
    import json

    data = json.loads(report.read_text(encoding="utf-8"))
    print(
        f"state atlas import, {FICHES} synthetic fiches: {seconds:6.1f} s wall, {cpu:6.1f} s CPU "
        f"(target < 300 s; baseline: the per-fiche services, 226 s for 1,000 fiches in round 3), "
        f"peak RSS {rss:4.0f} MB (target < 600 MB); re-run (nothing changed) {again:6.1f} s wall, "
        f"{cpu2:6.1f} s CPU, {rss2:4.0f} MB | parse alone {parse:5.1f} s, raw SQL insert {insert:5.2f} s"
    )
    print(
        f"  created {data['created']} projects, {data['partnerships_created']} partnerships "
        f"({data['grouped']} with several periods), {data['partners_created']} partners « à vérifier », "
        f"French names automatic {data['french_automatic_rate']}, {len(data['unresolved'])} names to review"
    )
    # The hand-written fiches of twenty countries (stateatlas/tests/fixtures/world), dry run.
    world = ROOT / "coopatlas" / "stateatlas" / "tests" / "fixtures" / "world"
    _w, _c, _r = _run("import_atlas", str(world), "--dry-run", "--report", str(VAR / "world.json"))
    w = json.loads((VAR / "world.json").read_text(encoding="utf-8"))
    print(
        f"  fixtures of 20 countries: {w['read']} fiches, French names automatic "
        f"{w['french_automatic_rate']} (target ≥ 0.9), "
        f"{sum(1 for u in w['unresolved'] if u['kind'] == 'french')} French and "
        f"{sum(1 for u in w['unresolved'] if u['kind'] == 'partner')} partner names to review"
    )


if __name__ == "__main__":
    run()
