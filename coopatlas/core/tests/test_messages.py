"""Every message shown to people is marked for translation and translated.

An AST walk over coopatlas/**/*.py finds the calls that carry a message to a person (errors,
flash messages, form errors, command output) whose message is a bare string literal, an
f-string or a formatted literal instead of a `gettext` call, and lists them as file:line.
A line that is not user-facing says so explicitly with a `# i18n: not user-facing (why)`
comment; tests, migrations and benchmarks are outside the walk.

The .po files are checked too: every msgid has an English msgstr, nothing fuzzy, and the
compiled .mo files are not older than their .po (otherwise the English would silently lag).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]
ROOT = PACKAGE.parent
LOCALE = PACKAGE / "locale"
EXEMPT_MARK = "i18n: not user-facing"

# Only the names makemessages (xgettext) extracts: another alias would be marked here but never
# reach the .po files.
GETTEXT = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
    "gettext_noop",
}
# Call name -> index of the positional argument that carries the message (and its keyword).
MESSAGE_CALLS = {
    "AppError": 0,
    "NotFound": 0,
    "Conflict": 0,
    "PermissionDenied": 0,
    "SignInLocked": 0,
    "ValidationError": 0,
    "CommandError": 0,
    "ImproperlyConfigured": None,  # settings: English is fine
    "HttpError": 1,
    "add_error": 1,
    "error": 1,
    "warning": 1,
    "info": 1,
    "success": 1,
    "add_message": 2,  # django.contrib.messages
    # the project's own helpers that carry a message to a person
    "RecordError": 1,
    "_fail": 2,
    "data_error": 1,
    "_finding": 2,
    "_warning": 3,
    "_say": 1,
    "_denied": 0,
    "bad": 1,
    "warn": 0,
}
MESSAGE_MODULES = {"messages"}  # messages.error(request, "…")


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_gettext(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _call_name(node.func) in GETTEXT


def _has_words(text: str) -> bool:
    return any(c.isalpha() for c in text)


def _bare(node: ast.expr) -> bool:
    """A literal message not wrapped in gettext (wrapped ones may be formatted afterwards)."""
    if _is_gettext(node):
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and _has_words(node.value)
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and _has_words(v.value) for v in node.values)
    if isinstance(node, ast.BinOp):  # "…" % x, "…" + x
        return _bare(node.left) or (isinstance(node.op, ast.Add) and _bare(node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _bare(node.func.value)
    if isinstance(node, ast.IfExp):
        return _bare(node.body) or _bare(node.orelse)
    if isinstance(node, ast.BoolOp):  # detail or "Paramètres invalides."
        return any(_bare(v) for v in node.values)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Dict):  # {"a": "…"}[key]
        return any(_bare(v) for v in node.value.values)
    return False


def _message_arg(call: ast.Call) -> ast.expr | None:
    name = _call_name(call.func)
    if name not in MESSAGE_CALLS or MESSAGE_CALLS[name] is None:
        return None
    if name in ("error", "warning", "info", "success", "add_message"):
        # only django.contrib.messages: messages.error(request, …), not logger.error(…)
        if not (
            isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in MESSAGE_MODULES
        ):
            return None
    for kw in call.keywords:
        if kw.arg in ("message", "msg"):
            return kw.value
    index = MESSAGE_CALLS[name]
    return call.args[index] if len(call.args) > index else None


def _hint_arg(call: ast.Call) -> ast.expr | None:
    """`hint="…"`: the how-to-fix half of a message, built into it by the callee."""
    for kw in call.keywords:
        if kw.arg == "hint":
            return kw.value
    return None


def _output_arg(call: ast.Call) -> ast.expr | None:
    """`self.stdout.write("…")`, `stdout.write("…")`, `sys.stderr.write("…")`: command output."""
    func = call.func
    stream = func.value if isinstance(func, ast.Attribute) else None
    name = stream.attr if isinstance(stream, ast.Attribute) else getattr(stream, "id", None)
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "write"
        and name in ("stdout", "stderr")
        and call.args
    ):
        arg = call.args[0]
        # self.style.SUCCESS("…") wraps the message
        if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.args:
            if isinstance(arg.func.value, ast.Attribute) and arg.func.value.attr == "style":
                return arg.args[0]
        return arg
    return None


def _detail_value(node: ast.Dict) -> ast.expr | None:
    """An error body written by hand: `{"detail": "…", "errors": …}`."""
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == "detail":
            return value
    return None


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if "tests" in parts or "migrations" in parts or path.name in ("conftest.py",):
            continue
        yield path


def unmarked_messages(paths=None, root: Path = ROOT) -> list[str]:
    offenders = []
    for path in paths or _sources():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text, filename=str(path))):
            if not isinstance(node, ast.Call | ast.Dict):
                continue
            arg = _message_arg(node) if isinstance(node, ast.Call) else _detail_value(node)
            if arg is None and isinstance(node, ast.Call):
                arg = _output_arg(node) or _hint_arg(node)
            if arg is None or not _bare(arg):
                continue
            span = lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
            if any(EXEMPT_MARK in line for line in span):
                continue
            offenders.append(f"{path.relative_to(root)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return offenders


def test_every_user_facing_message_is_marked_for_translation():
    offenders = unmarked_messages()
    assert not offenders, (
        f"{len(offenders)} message(s) shown to people are not wrapped in gettext (French source text; "
        f"add the English in coopatlas/locale/en with `make messages`), or mark the line "
        f"`# {EXEMPT_MARK} (why)`:\n" + "\n".join(offenders)
    )


def _binds_underscore(function: ast.AST) -> bool:
    """Whether `function` assigns `_` in its own scope (`x, _ = …`, `for _ in …`)."""
    for child in ast.iter_child_nodes(function):
        if isinstance(
            child,
            (
                ast.FunctionDef,
                ast.AsyncFunctionDef,
                ast.Lambda,
                ast.ClassDef,
                ast.ListComp,
                ast.SetComp,
                ast.DictComp,
                ast.GeneratorExp,
            ),
        ):
            continue
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store) and child.id == "_":
            return True
        if _binds_underscore(child):
            return True
    return False


def test_no_function_hides_gettext_behind_a_throwaway_underscore():
    """`prefix, _, value = …` in a function that also calls `_("…")` makes `_` a local
    string there: the message line then fails with « 'str' object is not callable »."""
    offenders = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _binds_underscore(node):
                if any(
                    isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == "_"
                    for c in ast.walk(node)
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not offenders, "rename the throwaway `_` (e.g. `_unused`):\n" + "\n".join(offenders)


def test_the_scanner_finds_each_kind_of_bare_message(tmp_path):
    """The scanner itself: each form of unmarked message is found, each marked one is not."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "raise AppError('Montant invalide', field='amount')\n"  # 1 bare
        "raise AppError(_('Montant invalide'), field='amount')\n"  # 2 ok
        "raise ValidationError(f'Ligne {n} invalide')\n"  # 3 bare
        "raise CommandError('Fichier %s introuvable' % path)\n"  # 4 bare
        "messages.error(request, 'Refusé.')\n"  # 5 bare
        "messages.success(request, _('Enregistré.'))\n"  # 6 ok
        "form.add_error('email', 'Adresse inconnue')\n"  # 7 bare
        "logger.error('not a person-facing message')\n"  # 8 ok
        "raise NotFound(_('Projet %(id)s introuvable') % {'id': 1})\n"  # 9 ok
        "self.stdout.write(self.style.SUCCESS(f'Loaded {n} records'))\n"  # 10 bare
        "raise HttpError(413, 'Too large')\n"  # 11 bare
        "raise AppError('internal', field='x')  # i18n: not user-facing (log)\n"  # 12 exempt
        "raise PermissionDenied(message='Réservé.'.format())\n"  # 13 bare
        "body = {'detail': detail or 'Paramètres invalides.', 'errors': {}}\n"  # 14 bare
        "body = {'detail': _('Jeton manquant.'), 'errors': {}}\n"  # 15 ok
        "messages.success(request, {'submit': 'Soumise.'}[action])\n"  # 16 bare
        "one(Country, 'iso2', code, hint='donnez le code ISO du pays')\n",  # 17 bare
        encoding="utf-8",
    )
    found = [int(entry.split(":")[1]) for entry in unmarked_messages([sample], root=tmp_path)]
    assert found == [1, 3, 4, 5, 7, 10, 11, 13, 14, 16, 17]


# --- the catalogues -------------------------------------------------------------------------


def _entries(po: Path) -> list[dict]:
    """The entries of a .po file (header excluded): msgctxt, msgid, msgid_plural, the
    msgstr (or the list of msgstr[n]) and the flags."""
    entries: list[dict] = []
    entry: dict = {}
    field = None
    for raw in po.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if entry.get("msgid"):  # the header has an empty msgid
                entries.append(entry)
            entry, field = {}, None
            continue
        if line.startswith("#,"):
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if isinstance(entry.get(field), list):
                entry[field][-1] += _unquote(line)
            else:
                entry[field] += _unquote(line)
        else:
            keyword, value = line.split(" ", 1)
            if keyword.startswith("msgstr["):
                field = "msgstr"
                entry.setdefault("msgstr", []).append(_unquote(value))
            else:
                field = keyword
                entry[field] = _unquote(value)
    for item in entries:
        item.setdefault("flags", set())
        item.setdefault("msgctxt", None)
        item.setdefault("msgid_plural", None)
    return entries


def _translated(entry: dict) -> bool:
    strings = entry.get("msgstr")
    strings = strings if isinstance(strings, list) else [strings or ""]
    return all(s.strip() for s in strings)


def _unquote(quoted: str) -> str:
    return ast.literal_eval(quoted)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_msgid_has_a_translation_and_none_is_fuzzy(language):
    entries = _entries(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert len(entries) > 300, "the catalogue looks truncated"
    empty = [e["msgid"] for e in entries if not _translated(e)]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not empty, (
        f"{len(empty)} msgid without {language} msgstr: write them in "
        f"coopatlas/locale/{language}/LC_MESSAGES/django.po, then `make messages`:\n" + "\n".join(empty[:40])
    )
    assert not fuzzy, (
        f"{len(fuzzy)} fuzzy entries in {language} (Django ignores them): check "
        "the msgstr and remove the flag:\n" + "\n".join(fuzzy[:40])
    )


def test_english_catalogue_covers_the_french_one():
    def keys(language):
        return {(e["msgctxt"], e["msgid"]) for e in _entries(LOCALE / language / "LC_MESSAGES" / "django.po")}

    assert keys("fr") == keys("en"), sorted(keys("fr") ^ keys("en"))[:40]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_compiled_catalogue_matches_its_source(language):
    """The .mo is what Django reads: it must hold every msgstr of the .po."""
    import gettext as gettext_module

    folder = LOCALE / language / "LC_MESSAGES"
    with open(folder / "django.mo", "rb") as handle:
        catalogue = gettext_module.GNUTranslations(handle)
    missing = []
    for e in _entries(folder / "django.po"):
        if e["msgid_plural"]:
            got = [
                catalogue.npgettext(e["msgctxt"], e["msgid"], e["msgid_plural"], n)
                if e["msgctxt"]
                else catalogue.ngettext(e["msgid"], e["msgid_plural"], n)
                for n in (1, 2)
            ]
            expected = e["msgstr"][:2]
        else:
            got = (
                catalogue.pgettext(e["msgctxt"], e["msgid"])
                if e["msgctxt"]
                else catalogue.gettext(e["msgid"])
            )
            expected = e["msgstr"]
        if got != expected:
            missing.append(e["msgid"])
    assert not missing, f"{len(missing)} entries differ in django.mo (run `make messages`):\n" + "\n".join(
        missing[:20]
    )
