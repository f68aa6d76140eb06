"""IATI figures (not a test): export of the national synthetic dataset, import of 50,000
synthetic activities, each beside the time lxml alone takes to parse and schema-validate
the same file. Called by `python -m bench` (or run alone: `python -m bench.iati`).

Builds its own SQLite database under var/bench/iati/ (reference + demo + national synthetic),
or copies a prepared one: BENCH_IATI_STORE=/path/to/var/bench/national (a folder holding the
coopatlas.sqlite3 that `coopatlas_setup` + `synth --scale national` made; it is only read).

    .venv/bin/python -m bench.iati                     # 50,000 activities
    BENCH_IATI_ACTIVITIES=5000 BENCH_IATI_STORE=/work/main/var/bench/national .venv/bin/python -m bench.iati

Every figure: wall seconds, CPU seconds (user + system) and the context switches: voluntary
ones are waits (disk, database lock, a pipe), involuntary ones are the scheduler giving the
core to another process (a loaded machine: wall > CPU with few voluntary switches).
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench" / "iati"
ACTIVITIES = int(os.environ.get("BENCH_IATI_ACTIVITIES", 50_000))
STORE = os.environ.get("BENCH_IATI_STORE")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SCHEMA = ROOT / "coopatlas" / "iati" / "data" / "schemas" / "iati-activities-schema.xsd"


def _env() -> dict:
    env = dict(os.environ)
    env.update(COOPATLAS_VAR_DIR=str(VAR), DJANGO_SETTINGS_MODULE="coopatlas.config.settings.bench")
    env.pop("DATABASE_URL", None)
    return env


def _run(*args: str) -> tuple[float, float]:
    """Run a manage.py command; return (seconds, peak resident memory in MB). Its CPU
    seconds (user + system) are kept in CPU[args[0]]: the figure the machine's load does
    not change."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args], env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"bench: manage.py {' '.join(args)} failed ({proc.returncode})")
    CPU[args[0]] = usage.ru_utime + usage.ru_stime
    SWITCHES[args[0]] = (usage.ru_nvcsw, usage.ru_nivcsw)
    return time.monotonic() - started, usage.ru_maxrss / 1024


CPU: dict[str, float] = {}
SWITCHES: dict[str, tuple[int, int]] = {}


def _switches(voluntary: int, involuntary: int) -> str:
    return f"{voluntary} voluntary / {involuntary} involuntary context switches"


_VALIDATE = """
import sys
from lxml import etree
schema = etree.XMLSchema(etree.parse(sys.argv[1]))
if not schema.validate(etree.parse(sys.argv[2])):
    sys.exit(f"bench: {sys.argv[2]} is not schema-valid: {schema.error_log.last_error}")
"""


def _lxml_alone(path: Path) -> float:
    """lxml parsing and schema-validating the whole file, in a process of its own: a 97 MB
    file parsed whole takes 900 MB, and a process started afterwards by this one inherits
    that high-water mark in its ru_maxrss (Linux keeps it across fork/vfork and exec): the
    import's 939 MB peak of the last round was this process's tree, not the import's."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", _VALIDATE, str(SCHEMA), str(path)])
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"bench: lxml could not validate {path}")
    CPU["lxml"] = usage.ru_utime + usage.ru_stime
    return time.monotonic() - started


def _count(path: Path) -> int:
    from lxml import etree

    count = 0
    for _event, act in etree.iterparse(str(path), tag="iati-activity"):
        count += 1
        act.clear(keep_tail=True)
    return count


def _own_peak() -> float:
    """This process's peak RSS (MB): what a process it starts reports at least."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rules_alone(path: Path):
    """IATI's rulesets on a whole file, activity by activity (what the export runs):
    (wall seconds, CPU seconds, findings). CPU time is the figure that does not depend on
    the other processes sharing the machine."""
    sys.path.insert(0, str(ROOT))
    from coopatlas.iati.rules import check_file

    before = resource.getrusage(resource.RUSAGE_SELF)
    started, cpu = time.monotonic(), time.process_time()
    found = check_file(path, known_ids={"FR-6", "FR-3"})
    after = resource.getrusage(resource.RUSAGE_SELF)
    SWITCHES["rules"] = (after.ru_nvcsw - before.ru_nvcsw, after.ru_nivcsw - before.ru_nivcsw)
    return time.monotonic() - started, time.process_time() - cpu, found


def _xpath_alone(path: Path) -> tuple[float, float]:
    """The baseline of the ruleset check: lxml parsing the file and evaluating, on every
    activity, each context's XPath and every path and condition of its rules' cases, with
    no rule logic (wall seconds, CPU seconds)."""
    sys.path.insert(0, str(ROOT))
    from lxml import etree

    from coopatlas.iati.rules import _contexts_for, _xpath

    plan = []
    for _context, select, cases in _contexts_for("iati-activities"):
        expressions = []
        for _name, case in cases:
            for key in ("paths", "condition", "if", "then", "less", "more", "date", "start", "end"):
                value = case.get(key)
                for expr in [value] if isinstance(value, str) else value or []:
                    if isinstance(expr, str) and expr not in ("NOW", "TODAY"):
                        expressions.append(_xpath(expr))
        plan.append((select, expressions))
    started, cpu = time.monotonic(), time.process_time()
    for _event, act in etree.iterparse(str(path), events=("end",), tag="iati-activity"):
        for select, expressions in plan:
            for target in [act] if select is None else select(act):
                for expr in expressions:
                    expr(target)
        act.clear(keep_tail=True)
    return time.monotonic() - started, time.process_time() - cpu


def _comprehensiveness(path: Path) -> None:
    """The Dashboard's comprehensiveness tests on the demo's and the synthetic activities."""
    sys.path.insert(0, str(ROOT))
    from coopatlas.iati.checking import comprehensiveness

    def synthetic(act) -> bool:
        return "-synth-" in (act.findtext("iati-identifier") or "")

    for label, where in (("demo", lambda a: not synthetic(a)), ("synthetic", synthetic)):
        figures = comprehensiveness(path, where=where)
        shown = ", ".join(
            f"{k} {v['percent']} % ({v['passed']}/{v['of']})" if v["of"] else f"{k} — (0/0)"
            for k, v in figures.items()
        )
        print(f"  comprehensiveness, {label}: {shown}  [target >= 95 % where the data exists]")


def build_file(path: Path, n: int, seed: int = 5) -> None:
    """A valid IATI 2.03 file of `n` synthetic activities using the bench DB's real codes."""
    from lxml import etree

    db = sqlite3.connect(VAR / "coopatlas.sqlite3")
    countries = [
        r[0] for r in db.execute("select iso2 from geo_country where dac_code != '' and iso2 != 'FR'")
    ]
    areas = [
        r[0]
        for r in db.execute("select code from geo_administrativearea where level = 1 and country_id != 'FR'")
    ]
    sectors = [r[0] for r in db.execute("select code from reference_sector where not withdrawn")]
    db.close()
    rng = random.Random(seed)
    donors = [(f"XM-SYNTH-{i:03d}", f"Synth bailleur {i:03d}") for i in range(200)]
    ngos = [f"Synth ONG {i:05d}" for i in range(3_000)]
    with etree.xmlfile(str(path), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("iati-activities", version="2.03"):
            for i in range(n):
                ref, name = rng.choice(donors)
                act = etree.Element(
                    "iati-activity",
                    {"default-currency": "USD", "last-updated-datetime": "2025-01-01T00:00:00Z"},
                )
                etree.SubElement(act, "iati-identifier").text = f"{ref}-{i:06d}"
                org = etree.SubElement(act, "reporting-org", ref=ref, type="40")
                etree.SubElement(org, "narrative").text = name
                etree.SubElement(etree.SubElement(act, "title"), "narrative").text = f"Synth activity {i:06d}"
                etree.SubElement(
                    etree.SubElement(act, "description", type="1"), "narrative"
                ).text = "Synthetic activity for the IATI benchmark."
                for role, (r, nm) in (("1", (ref, name)), ("4", (None, rng.choice(ngos)))):
                    p = etree.SubElement(
                        act,
                        "participating-org",
                        role=role,
                        type="40" if r else "24",
                        **({"ref": r} if r else {}),
                    )
                    etree.SubElement(p, "narrative").text = nm
                etree.SubElement(act, "activity-status", code=rng.choice("12346"))
                year = rng.randint(2010, 2025)
                etree.SubElement(act, "activity-date", type="1", **{"iso-date": f"{year}-01-01"})
                etree.SubElement(act, "recipient-country", code=rng.choice(countries))
                etree.SubElement(act, "location", ref=rng.choice(areas))
                etree.SubElement(act, "sector", vocabulary="1", code=rng.choice(sectors), percentage="100")
                etree.SubElement(act, "tag", vocabulary="2", code=str(rng.randint(1, 17)))
                amount = str(rng.randint(10, 5_000) * 1_000)
                b = etree.SubElement(act, "budget", type="1")
                etree.SubElement(b, "period-start", **{"iso-date": f"{year}-01-01"})
                etree.SubElement(b, "period-end", **{"iso-date": f"{year}-12-31"})
                etree.SubElement(b, "value", **{"value-date": f"{year}-01-01"}).text = amount
                pd = etree.SubElement(act, "planned-disbursement", type="1")
                etree.SubElement(pd, "period-start", **{"iso-date": f"{year}-01-01"})
                etree.SubElement(pd, "value", **{"value-date": f"{year}-01-01"}).text = amount
                for code, month in (("2", "01"), ("3", "06"), ("4", "11")):
                    t = etree.SubElement(act, "transaction")
                    etree.SubElement(t, "transaction-type", code=code)
                    etree.SubElement(t, "transaction-date", **{"iso-date": f"{year}-{month}-01"})
                    etree.SubElement(
                        t,
                        "value",
                        currency="EUR" if code == "4" else "USD",
                        **{"value-date": f"{year}-{month}-01"},
                    ).text = amount
                d = etree.SubElement(
                    act, "document-link", format="application/pdf", url=f"https://example.org/{i}.pdf"
                )
                etree.SubElement(etree.SubElement(d, "title"), "narrative").text = f"Synth document {i:06d}"
                etree.SubElement(d, "category", code="A02")
                r = etree.SubElement(act, "result", type="1")
                etree.SubElement(
                    etree.SubElement(r, "title"), "narrative", **{XML_LANG: "fr"}
                ).text = "Résultat"
                ind = etree.SubElement(r, "indicator", measure="1")
                etree.SubElement(etree.SubElement(ind, "title"), "narrative").text = "Personnes servies"
                xf.write(act)


def run() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    db = VAR / "coopatlas.sqlite3"
    for leftover in VAR.glob("coopatlas.sqlite3*"):
        leftover.unlink()
    if STORE:
        print(f"IATI bench: copying the prepared national store {STORE}…")
        shutil.copyfile(Path(STORE) / "coopatlas.sqlite3", db)
    else:
        print("IATI bench: preparing the database (reference, demo, national synthetic)…")
        _run("coopatlas_setup")
        _run("synth", "--scale", "national")
    national = VAR / "national.xml"
    seconds, rss = _run("export_iati", "--output", str(national))
    alone = _lxml_alone(national)
    size = national.stat().st_size / 1e6
    print(
        f"export national ({size:.0f} MB): {seconds:6.1f} s ({CPU['export_iati']:5.1f} s CPU), "
        f"peak RSS {rss:4.0f} MB"
        f" | lxml parse+validate alone {alone:5.1f} s ({CPU['lxml']:5.1f} s CPU, ratio "
        f"{seconds / alone:4.1f}x)  [target < 30 s]"
    )
    print(f"  (ministry file: {_count(national)} activities)")
    _comprehensiveness(national)
    seconds, cpu, found = _rules_alone(national)
    xpath_wall, xpath_cpu = _xpath_alone(national)
    errors = sum(1 for f in found if f.is_error)
    print(
        f"ruleset check of the national export: {seconds:6.1f} s ({cpu:5.1f} s CPU), {errors} "
        f"error-level and {len(found) - errors} warning-level findings | lxml parse + raw XPath of "
        f"the same paths {xpath_wall:5.1f} s ({xpath_cpu:5.1f} s CPU)  [target < 30 s, 0 errors; "
        f"load {os.getloadavg()[0]:.1f}]"
    )
    print(f"  (ruleset check: {_switches(*SWITCHES['rules'])})")
    big = VAR / f"iati-{ACTIVITIES}.xml"
    build_file(big, ACTIVITIES)
    alone = _lxml_alone(big)
    size = big.stat().st_size / 1e6
    lxml_cpu = CPU["lxml"]
    seconds, rss = _run("import_iati", str(big))
    print(
        f"import {ACTIVITIES} activities ({size:.0f} MB): {seconds:6.1f} s "
        f"({CPU['import_iati']:5.1f} s CPU), peak RSS "
        f"{rss:4.0f} MB | lxml parse+validate alone {alone:5.1f} s ({lxml_cpu:5.1f} s CPU, "
        f"ratio {seconds / alone:4.1f}x)  [target < 90 s, < 600 MB; load {os.getloadavg()[0]:.1f}]"
    )
    print(
        f"  (import: {_switches(*SWITCHES['import_iati'])}; this bench process's own peak "
        f"{_own_peak():.0f} MB, a floor under the import's figure)"
    )
    seconds, rss = _run("import_iati", str(big))
    print(
        f"re-import (all updates): {seconds:6.1f} s ({CPU['import_iati']:5.1f} s CPU), peak RSS {rss:4.0f} MB"
        f"  [load {os.getloadavg()[0]:.1f}]"
    )
    del db


if __name__ == "__main__":
    run()
