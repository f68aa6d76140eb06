"""No import cycle between the project's modules, nor between its apps (issue 8).

The graph is read from the source (no import is run): every `import`/`from … import` of a
`coopatlas.*` module, outside tests and migrations. Two rules:
- between modules, no cycle at all, imports inside functions included (an import on use
  only hides a cycle: the country fiche, the declaration warnings and the reference
  loading each had one);
- between apps, no cycle through module-level imports: a lower app never needs a higher
  one to load (atlas composes cooperation, iati and declarations, not the reverse).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the coopatlas package


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(p): p
        for p in ROOT.rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts
    }


def _imports(name: str, path: Path, modules) -> tuple[set[str], set[str]]:
    """(module-level imports, all imports) of one module, as coopatlas module names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    top_level = {id(node) for node in tree.body}
    top, every = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found = {t for t in targets if t in modules and t != name}
        every |= found
        if id(node) in top_level:
            top |= found
    return top, every


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def _graphs():
    modules = _modules()
    top, every = defaultdict(set), defaultdict(set)
    for name, path in modules.items():
        top[name], every[name] = _imports(name, path, modules)
    return top, every


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in APPS) else ""


APPS = {p.name for p in ROOT.iterdir() if (p / "apps.py").exists()}


def test_no_import_cycle_between_modules():
    _, every = _graphs()
    assert _cycles(every) == []


def test_no_import_cycle_between_apps_at_module_level():
    top, _ = _graphs()
    apps: dict[str, set[str]] = defaultdict(set)
    for module, targets in top.items():
        for target in targets:
            a, b = _app(module), _app(target)
            if a in APPS and b in APPS and a != b:
                apps[a].add(b)
    assert _cycles(apps) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
