"""Settings safety: production is the default and refuses to start half-configured; every
environment variable the atlas reads is declared and documented in .env.example."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "coopatlas"
ENV_EXAMPLE = ROOT / ".env.example"
BASE = PACKAGE / "config" / "settings" / "base.py"
NAME = r"((?:COOPATLAS|DJANGO)_[A-Z0-9_]+)"
# How a variable is read: os.environ.get / os.environ[…] / os.getenv / setdefault, env.update(X=…)
# in Python; $X / $$X / ${X} in the Makefile and shell scripts.
PY_READS = [
    rf"environ\.get\(\s*[\"']{NAME}",
    rf"environ\[\s*[\"']{NAME}",
    rf"getenv\(\s*[\"']{NAME}",
    rf"environ\.setdefault\(\s*[\"']{NAME}",
    rf"env_int\(\s*[\"']{NAME}",
    rf"\b{NAME}=",
]
SHELL_READS = [rf"\$\$?\{{?{NAME}", rf"^\s*(?:export\s+)?{NAME}="]


def _files():
    for path in [
        *PACKAGE.rglob("*.py"),
        *(ROOT / "bench").rglob("*.py"),
        *(ROOT / "scripts").glob("*"),
        ROOT / "manage.py",
        ROOT / "Makefile",
        *(ROOT / ".ci").glob("*"),
    ]:
        if path.is_file() and "migrations" not in path.parts and path.name != "test_settings.py":
            yield path


def variables_read() -> dict[str, str]:
    """Each DJANGO_*/COOPATLAS_* environment variable read anywhere → where (first seen)."""
    found: dict[str, str] = {}
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        patterns = PY_READS if path.suffix == ".py" else SHELL_READS + PY_READS
        for pattern in patterns:
            for match in re.finditer(pattern, text, re.M):
                line = text.count("\n", 0, match.start()) + 1
                found.setdefault(match.group(1), f"{path.relative_to(ROOT)}:{line}")
    return found


def documented() -> dict[str, str]:
    """Variables of .env.example (set or commented out) → the comment just above them."""
    out, comment = {}, ""
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(rf"^#?\s*{NAME}=", line)
        if match:
            out[match.group(1)] = comment
        elif line.startswith("#"):
            comment = line
        elif not line.strip():
            comment = ""
    return out


def test_every_variable_read_is_in_env_example_with_a_comment():
    read, listed = variables_read(), documented()
    assert "DJANGO_SECRET_KEY" in read and "COOPATLAS_VAR_DIR" in read  # the scan itself works
    missing = {name: where for name, where in read.items() if name not in listed}
    assert not missing, f"add these to .env.example, with a comment saying what they do: {missing}"
    silent = [name for name in read if not listed[name]]
    assert not silent, f"give these a comment in .env.example: {silent}"


def test_every_coopatlas_setting_is_declared_in_base_from_the_environment():
    base = BASE.read_text(encoding="utf-8")
    used = set()
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"settings\.(COOPATLAS_[A-Z0-9_]+)", text))
        used |= set(re.findall(r"getattr\(\s*settings,\s*[\"'](COOPATLAS_[A-Z0-9_]+)", text))
    assert used, "the scan found no COOPATLAS_* setting at all"
    undeclared = sorted(name for name in used if not re.search(rf"^{name}\s*=", base, re.M))
    assert not undeclared, (
        f"declare these in {BASE.relative_to(ROOT)} (read from the environment): {undeclared}"
    )
    for name in used:
        assignment = re.search(rf"^{name}\s*=(.*?)(?=^\S)", base, re.M | re.S).group(1)
        assert "os.environ" in assignment or "env_int(" in assignment, (
            f"{name} is not read from the environment in base.py"
        )


def _without_settings() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "DATABASE_URL")
    }
    env["DJANGO_ALLOWED_HOSTS"] = "atlas.example"
    return env


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "manage.py", "check"],
        [sys.executable, "-c", "import coopatlas.config.wsgi"],
    ],
    ids=["manage.py", "wsgi"],
)
def test_entry_points_default_to_production_and_refuse_without_a_secret_key(command):
    """Before: they defaulted to the dev settings, DEBUG on with a known key."""
    result = subprocess.run(
        command, cwd=ROOT, env=_without_settings(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
    assert "coopatlas.config.settings.dev" in result.stderr  # says how to develop instead


def test_cli_defaults_to_production_with_one_clear_line():
    result = subprocess.run(
        [sys.executable, "-m", "coopatlas.cli", "check"],
        cwd=ROOT,
        env=_without_settings(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("coopatlas: DJANGO_SECRET_KEY must be set")
    assert "settings coopatlas.config.settings.prod" in result.stderr and "make run" in result.stderr


def test_production_refuses_an_empty_host_list():
    env = {
        **_without_settings(),
        "DJANGO_SETTINGS_MODULE": "coopatlas.config.settings.prod",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "DJANGO_ALLOWED_HOSTS must name" in result.stderr


def _recipe(target: str) -> str:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", text, re.M)
    assert match, f"no `{target}` target in the Makefile"
    return match.group(1)


@pytest.mark.parametrize(
    "target, settings_module",
    [
        ("run", "$(DEV)"),
        ("test-sqlite", "--ds=$(TEST_SETTINGS)"),
        ("bench", "DJANGO_SETTINGS_MODULE=coopatlas.config.settings.bench"),
    ],
)
def test_make_targets_choose_their_settings_explicitly(target, settings_module):
    recipe = _recipe(target)
    commands = [line for line in recipe.splitlines() if "$(BIN)/" in line]
    assert commands and all(settings_module in line for line in commands), recipe


def test_a_bad_whole_number_in_the_environment_names_the_variable_and_the_fix(monkeypatch):
    """Settings' integers refuse what is not ASCII digits (« ٣ », "12MB", "-1") with the
    variable's name and an example, and take the default when unset or empty."""
    from django.core.exceptions import ImproperlyConfigured

    from coopatlas.config.settings.base import env_int

    monkeypatch.delenv("COOPATLAS_X_TEST", raising=False)
    assert env_int("COOPATLAS_X_TEST", 7) == 7
    monkeypatch.setenv("COOPATLAS_X_TEST", " ")
    assert env_int("COOPATLAS_X_TEST", 7) == 7
    monkeypatch.setenv("COOPATLAS_X_TEST", "12")
    assert env_int("COOPATLAS_X_TEST", 7) == 12
    for bad in ("abc", "12MB", "-1", "\u0663", "1e3", "9" * 40):
        monkeypatch.setenv("COOPATLAS_X_TEST", bad)
        with pytest.raises(ImproperlyConfigured, match="COOPATLAS_X_TEST=.*digits 0-9.*COOPATLAS_X_TEST=7"):
            env_int("COOPATLAS_X_TEST", 7)


def test_the_launcher_says_which_variable_is_wrong_not_that_the_port_is(tmp_path):
    """A bad integer setting used to surface as « invalid _int value » for --port."""
    env = {**os.environ, "COOPATLAS_SQLITE_CACHE_MB": "abc", "COOPATLAS_VAR_DIR": str(tmp_path)}
    env["DJANGO_SETTINGS_MODULE"] = "coopatlas.config.settings.dev"
    done = subprocess.run(
        [sys.executable, "-m", "coopatlas.cli", "serve", "--dev", "--port", "8199"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "COOPATLAS_SQLITE_CACHE_MB" in done.stderr and "invalid _int" not in done.stderr
    assert "Traceback" not in done.stderr
