"""`coopatlas`: the command line. Each subcommand wraps a management command.

Errors the user can fix (AppError) print one clear line and exit non-zero; nothing else
is caught, so real bugs keep their traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    # subcommand: (management command, help)
    "setup": ("coopatlas_setup", "Migrate, load reference data and demo data (idempotent)."),
    "serve": (
        "coopatlas_serve",
        "Serve the atlas on http://127.0.0.1:PORT: gunicorn, or Django's development server with --dev; "
        "a background worker runs beside it unless --no-worker.",
    ),
    "worker": ("coopatlas_worker", "Run the background jobs (exports, imports, reminder e-mails)."),
    "backup": ("coopatlas_backup", "Write database and documents to one archive with a checksum manifest."),
    "restore": ("coopatlas_restore", "Restore an archive of `coopatlas backup` into an empty database."),
    "load-reference": ("load_reference", "Load geography and code lists from the shipped data."),
    "load-demo": ("load_demo", "Load the sourced demo data taken from the seed documents."),
    "synth": ("synth", "Generate a synthetic dataset for scale (marked synthetic)."),
    "check": ("integrity_check", "Report integrity problems (unsourced facts, lone parties…)."),
}


# Subcommands whose arguments the management command parses itself (its --help is shown).
PASSTHROUGH: dict[str, tuple[str, str]] = {
    "users": (
        "users",
        "Accounts: `users add --email E --role editor|facilitator|embassy|admin "
        "[--authority CODE ...] [--country ISO2] [--password P]`, `users list`.",
    ),
    "tokens": (
        "tokens",
        "API tokens: `tokens create --email E`, `tokens list`, `tokens revoke --email E [--prefix P]`.",
    ),
    "synth-declarations": ("synth_declarations", "Synthetic aid declarations for scale (marked synthetic)."),
    "export-iati": ("export_iati", "Write projects as an IATI 2.03 file (validated first)."),
    "import-iati": ("import_iati", "Import an IATI 2.01–2.03 file (validated first, one transaction)."),
    "calls": (
        "calls",
        "Calls for proposals: `calls load-rules [FILE ...] [--as EMAIL]`, `calls list`, "
        "`calls synth [--applications 2000] [--calls 3]` (synthetic).",
    ),
    "import-atlas": (
        "import_atlas",
        "Import fiches of the state's atlas: `import-atlas PATH… [--dry-run] [--report FILE] [--strict]`.",
    ),
    "evaluate-suggestions": (
        "evaluate_suggestions",
        "Matchmaking: hide known partnerships and report recall of the suggestions "
        "(`evaluate-suggestions [--share 0.1] [--limit 1000] [--seed 1] [--refit] [--json]`).",
    ),
    "fit-suggestions": (
        "fit_suggestions",
        "Matchmaking: fit the ranking's weights on a training split of the known partnerships "
        "(`fit-suggestions [--set real|synthetic] [--seed 1] [--write] [--json]`).",
    ),
    "partners": (
        "partners",
        "Foreign partners: `partners search Q [--country ML]`, `partners add "
        "--as EMAIL --country ML --name N --kind commune [--parent CODE]`, "
        "`partners confirm --as EMAIL SLUG`.",
    ),
}


# The bounds of `serve`'s numbers, read by the launcher and by the management command.
SERVE_BOUNDS = {"port": (1, 65535), "workers": (1, 64), "threads": (1, 64)}


def _int(minimum: int = 1, maximum: int | None = None):
    """argparse's `type=` for the launcher's integers, within [minimum, maximum]: the one
    number parser (core.parse.cli_int, ASCII digits only: int() would take « ٣ » as 3),
    with its message in the user's language, which needs Django; `--help` alone still
    needs no settings."""

    def parse(text: str) -> int:
        _setup_django()
        from coopatlas.core.parse import cli_int

        return cli_int(text, minimum=minimum, maximum=maximum)

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coopatlas",
        description="Atlas of French decentralised cooperation.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == "serve":
            p.add_argument(
                "--port",
                type=_int(*SERVE_BOUNDS["port"]),
                default=os.environ.get("PORT") or "8000",  # a string default is parsed by `type`
                help="TCP port on 127.0.0.1 (default: $PORT or 8000)",
            )
            p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
            p.add_argument(
                "--dev", action="store_true", help="Django's development server (reloads on change)"
            )
            p.add_argument(
                "--workers",
                type=_int(*SERVE_BOUNDS["workers"]),
                default=os.environ.get("WEB_CONCURRENCY") or None,
                help="gunicorn processes (default: $WEB_CONCURRENCY or one per core)",
            )
            p.add_argument(
                "--threads",
                type=_int(*SERVE_BOUNDS["threads"]),
                default=os.environ.get("GUNICORN_THREADS") or None,
                help="threads per gunicorn process (default: $GUNICORN_THREADS or 3)",
            )
            p.add_argument("--no-worker", action="store_true", help="do not start a background worker")
        elif name == "worker":
            p.add_argument("--max-tasks", type=_int(1), help="stop after this many jobs")
        elif name == "backup":
            p.add_argument("archive", help="the archive to write (.tar)")
        elif name == "restore":
            p.add_argument("archive", help="an archive written by `coopatlas backup`")
        elif name == "synth":
            p.add_argument(
                "--scale",
                choices=["national", "10x"],
                required=True,
                help="national: the state's atlas size (12,129 projects, 4,756 "
                "French authorities); 10x: ten times that",
            )
            p.add_argument("--seed", type=_int(0), default=1, help="random seed (default 1)")
        elif name == "load-reference":
            p.add_argument("--data-dir", help="read the reference files from this folder")
        elif name == "load-demo":
            p.add_argument("--data-dir", help="read the demo files from this folder")
        elif name == "check":
            p.add_argument("--json", action="store_true", help="print the report as JSON")
    for name, (_, help_text) in PASSTHROUGH.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def _management_args(args: argparse.Namespace) -> list[str]:
    if args.command == "serve":
        out = ["--host", args.host, "--port", str(args.port)]
        if args.threads:  # else the command's default (coopatlas_serve.DEFAULT_THREADS)
            out += ["--threads", str(args.threads)]
        if args.workers:
            out += ["--workers", str(args.workers)]
        return out + (["--dev"] if args.dev else []) + (["--no-worker"] if args.no_worker else [])
    if args.command == "worker":
        return ["--max-tasks", str(args.max_tasks)] if args.max_tasks else []
    if args.command in ("backup", "restore"):
        return [args.archive]
    if args.command == "synth":
        return ["--scale", args.scale, "--seed", str(args.seed)]
    if args.command in ("load-reference", "load-demo") and args.data_dir:
        return ["--data-dir", args.data_dir]
    if args.command == "check" and args.json:
        return ["--json"]
    return []


DEV_HINT = (
    "for development, run `make run` or set DJANGO_SETTINGS_MODULE=coopatlas.config.settings.dev "
    "(see .env.example)"
)


def _setup_django():
    # Production unless told otherwise (`make run` exports the dev settings), so a deployed
    # command never runs on development settings by accident.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopatlas.config.settings.prod")
    import django
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        module = os.environ["DJANGO_SETTINGS_MODULE"]
        hint = "" if "make run" in str(exc) else f"; {DEV_HINT}"
        raise SystemExit(f"coopatlas: {exc} (settings {module}{hint})") from None
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        os.makedirs(os.path.dirname(str(settings.DATABASES["default"]["NAME"])) or ".", exist_ok=True)


def _passthrough(name: str, rest: list[str]) -> int:
    from django.core.management import get_commands, load_command_class
    from django.core.management.base import CommandError

    from coopatlas.core.errors import AppError, exit_code_of

    _setup_django()
    command_name = PASSTHROUGH[name][0]
    if command_name not in get_commands():
        print(f"coopatlas {name}: not available in this installation.", file=sys.stderr)
        return 2
    command = load_command_class(get_commands()[command_name], command_name)
    parser = command.create_parser("coopatlas", name)
    try:
        options = parser.parse_args(rest)
        cmd_options = vars(options)
        positional = cmd_options.pop("args", ())
        command.execute(*positional, **cmd_options)
    except AppError as exc:
        print(f"coopatlas {name}: {exc.message}", file=sys.stderr)
        return exit_code_of(exc)
    except CommandError as exc:
        print(f"coopatlas {name}: {exc}", file=sys.stderr)
        return exc.returncode or 2
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in PASSTHROUGH:
        return _passthrough(argv[0], argv[1:])
    if argv[:1] == ["serve"] and "--dev" not in argv and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # gunicorn's processes add their metrics up through files (prometheus_client's
        # multiprocess mode); it must be set before prometheus_client is first imported,
        # i.e. before the arguments are parsed (their integers set Django up, see _int).
        import tempfile

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="coopatlas-metrics-")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    _setup_django()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from coopatlas.core.errors import AppError, exit_code_of

    command, _ = COMMANDS[args.command]
    try:
        call_command(command, *_management_args(args))
    except AppError as exc:
        print(f"coopatlas {args.command}: {exc.message}", file=sys.stderr)
        return exit_code_of(exc)
    except CommandError as exc:
        print(f"coopatlas {args.command}: {exc}", file=sys.stderr)
        return exc.returncode or 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
