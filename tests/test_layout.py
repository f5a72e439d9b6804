"""The tree is the map: no import cycle between modules, and no module far over ~300 lines.

The import graph is read from the source with ast (nothing is imported), counting imports
inside functions too: an in-function import still closes a cycle at run time, it only hides
it from a reader."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from helpers import REPO

PACKAGES = ("crawler", "pipelines", "models")
MAX_LINES = 320  # "~300": data tables (the migrations) are exempt


def _modules() -> dict[str, tuple[Path, bool]]:
    modules = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def _imports(module: str, path: Path, is_package: bool, known: set[str]) -> set[str]:
    """The project modules ``module`` imports, wherever the import statement is."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = module.split(".") if is_package else module.split(".")[:-1]
            if node.level > 1:
                base = base[:len(base) - node.level + 1]
            prefix = ".".join(base + [node.module] if node.module else base) if node.level else node.module
            names = [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]
        else:
            continue
        for name in names:
            while name and name not in known:  # a name imported from a module is that module
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
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
                    found.append(sorted(component))
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph = {m: _imports(m, path, is_package, known) for m, (path, is_package) in modules.items()}
    # A package's __init__ running its own submodules is how Python imports them, not a cycle.
    return {m: {t for t in targets if not (m.startswith(t + ".") and modules[t][1])} for m, targets in graph.items()}


def test_no_module_imports_another_in_a_cycle():
    assert _cycles(_graph()) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_models_import_neither_crawler_nor_pipelines():
    leaks = {m: sorted(t for t in targets if t.split(".")[0] in ("crawler", "pipelines"))
             for m, targets in _graph().items() if m.split(".")[0] == "models"}
    assert {m: t for m, t in leaks.items() if t} == {}


# No module is over the limit; a module that grows past it is split (the list is for a data
# table a split would not make clearer, and is empty).
OVER_LONG: set[str] = set()


def test_no_module_is_far_over_300_lines():
    long = {str(path.relative_to(REPO)): n for path, _ in _modules().values()
            if "migrations" not in path.parts and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(long) - OVER_LONG == set()


def test_import_linter_contracts_are_kept():
    """The layer contracts of pyproject.toml ([tool.importlinter]), as `lint-imports` checks them."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout
