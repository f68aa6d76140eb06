"""The console script: help on every subcommand, clear errors on bad arguments."""

import subprocess
import sys

import pytest

from coopatlas.cli import COMMANDS, build_parser


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coopatlas.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([command, "--help"])
    assert exc.value.code == 0
    assert COMMANDS[command][1].split(" ")[0] in capsys.readouterr().out


def test_without_a_command_prints_usage_and_fails():
    result = run_cli()
    assert result.returncode == 2
    assert "setup" in result.stdout and "synth" in result.stdout


def test_bad_scale_names_the_accepted_values():
    result = run_cli("synth", "--scale", "3x")
    assert result.returncode == 2
    assert "invalid choice: '3x'" in result.stderr
    assert "national" in result.stderr and "10x" in result.stderr


def test_synth_needs_a_scale():
    result = run_cli("synth")
    assert result.returncode == 2
    assert "--scale" in result.stderr


@pytest.mark.parametrize(
    "args, shown",
    [
        (("serve", "--port", "70000"), "70000 est hors des bornes (de 1 à 65535)"),
        (("serve", "--workers", "0"), "0 est hors des bornes (de 1 à 64)"),
        (("serve", "--threads", "65"), "65 est hors des bornes (de 1 à 64)"),
        (("worker", "--max-tasks", "0"), "0 est hors des bornes (de 1 à …)"),
    ],
)
def test_the_launcher_refuses_numbers_out_of_bounds(args, shown):
    """Through the one number parser, in the user's language, the option named once (by
    argparse), with the usage line: nothing starts."""
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    assert f"argument {args[1]}: {shown}" in result.stderr
    assert "usage: coopatlas" in result.stderr


def _serve_on(tmp_path, **env) -> subprocess.CompletedProcess:
    import os

    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update(
        COOPATLAS_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="coopatlas.config.settings.dev", **env
    )
    return subprocess.run(
        [sys.executable, "-m", "coopatlas.cli", "serve", "--dev", "--port", "8999"],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
    )


def test_serve_on_a_database_never_set_up_says_to_run_setup(tmp_path):
    result = _serve_on(tmp_path)
    assert result.returncode == 1
    assert "coopatlas setup" in result.stderr and "migration" in result.stderr
    assert "Traceback" not in result.stderr
    assert (
        not (tmp_path / "coopatlas.sqlite3").exists()
        or (tmp_path / "coopatlas.sqlite3").stat().st_size < 10**6
    )


def test_serve_on_an_unreachable_database_names_database_url(tmp_path):
    result = _serve_on(tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_unknown_command_is_refused():
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_passthrough_commands_are_listed_and_show_their_own_help():
    assert "users" in run_cli("--help").stdout
    result = run_cli("users", "--help")
    assert result.returncode == 0
    assert "usage: coopatlas users" in result.stdout


def test_users_add_with_an_unknown_role_names_the_accepted_roles():
    result = run_cli("users", "add", "--email", "a@example.org", "--role", "wizard")
    assert result.returncode != 0
    assert "invalid choice: 'wizard'" in result.stderr
    assert "editor" in result.stderr and "admin" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("serve", "--port", "٣٠٠٠"),
        ("serve", "--workers", "２"),
        ("synth", "--scale", "national", "--seed", "٣"),
    ],
)
def test_the_launcher_integers_go_through_the_one_number_parser(args):
    """int() would take these digits (Arabic-Indic, full-width) for 3000, 2 and 3."""
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    assert "invalid _int value" not in result.stderr and "invalid int value" not in result.stderr
    # argparse names the option; the message does not say « argument » a second time
    assert f"argument {args[-2]}: «" in result.stderr and "argument :" not in result.stderr
    assert "0-9" in result.stderr or "chiffres" in result.stderr or "digits" in result.stderr


def test_a_bad_port_in_the_environment_is_named_not_a_traceback():
    import os

    result = subprocess.run(
        [sys.executable, "-m", "coopatlas.cli", "serve", "--dev"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PORT": "huit-mille"},
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--port" in result.stderr


@pytest.mark.parametrize("option, value", [("port", 0), ("workers", 65), ("threads", -1)])
def test_the_serve_command_called_directly_checks_the_same_bounds(option, value):
    """`call_command("coopatlas_serve", port=0)` skips argparse: the command checks the
    launcher's bounds itself (SERVE_BOUNDS), before touching the database."""
    from django.core.management import CommandError, call_command

    from coopatlas.cli import SERVE_BOUNDS

    low, high = SERVE_BOUNDS[option]
    expected = rf"--{option} : {value} est hors des bornes \(de {low} à {high}\)"
    with pytest.raises(CommandError, match=expected):
        call_command("coopatlas_serve", **{option: value, "no_worker": True})


def test_the_servers_workers_give_freed_heap_back_every_hundred_answers(monkeypatch):
    """gunicorn's post_request hook (coopatlas_serve.heap_trimmer) calls malloc_trim(0)
    once every TRIM_EVERY answers of a process; without a malloc_trim, no hook."""
    import ctypes

    from coopatlas.ops.management.commands import coopatlas_serve as serve

    calls = []

    class Trim:  # a C function: callable, with argtypes
        argtypes = None

        def __call__(self, pad):
            calls.append(pad)

    class Libc:
        malloc_trim = Trim()

    monkeypatch.setattr(ctypes, "CDLL", lambda name: Libc())
    hook = serve.heap_trimmer(every=3)
    for _ in range(7):
        hook(None, None, {}, None)
    assert calls == [0, 0]
    assert serve.TRIM_EVERY == 100 and serve.heap_trimmer() is not None

    def no_libc(name):
        raise OSError(name)

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert serve.heap_trimmer() is None
