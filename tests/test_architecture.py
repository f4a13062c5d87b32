"""The house has one direction: imports only go down the layers, and nothing goes round in
a circle. Imports inside functions count the same as those at the top of a module.

    series, errors, settings  ->  sources, store  ->  thesis  ->  notifiers  ->  alerts
      ->  service, viz, ops  ->  cli, daemon, slackapp

``signalflow/__init__.py`` is the public facade above them all; no module of the package
imports from it.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "signalflow"

# The rank of each top-level module or sub-package: an import may go to the same rank or a
# lower one, never a higher one.
RANKS: dict[str, int] = {
    "_faults": 0,
    "_retry_after": 0,
    "errors": 0,
    "logs": 0,
    "redact": 0,
    "series": 0,
    "settings": 0,
    "suggest": 0,
    "bundled": 1,
    "efficiency": 1,
    "news": 1,
    "sources": 1,
    "store": 1,
    "thesis": 2,
    "notifiers": 3,
    "alerts": 4,
    "ops": 5,
    "service": 5,
    "viz": 5,
    "cli": 6,
    "daemon": 6,
    "slackapp": 6,
    "__main__": 6,
}

# The alert layer turns transitions into notifications: it never runs the engine.
ENGINE_MODULES = (
    "signalflow.thesis.engine",
    "signalflow.thesis.run",
    "signalflow.thesis.live",
    "signalflow.thesis.explain",
)


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if "migrations" in rel.parts:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> set[str]:
    """Every signalflow module ``module`` imports, anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target for alias in node.names]
        else:
            continue
        for name in names:
            if name == "signalflow" or name.startswith("signalflow."):
                resolved = _resolve(name)
                if resolved and resolved != module:
                    targets.add(resolved)
    return targets


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _layer(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_every_top_level_part_has_a_rank() -> None:
    unranked = sorted({_layer(m) for m in MODULES if m != "signalflow"} - RANKS.keys())
    assert not unranked, f"give these a rank in RANKS: {unranked}"


def test_no_module_imports_the_facade() -> None:
    offenders = sorted(m for m, targets in GRAPH.items() if "signalflow" in targets and m != "signalflow")
    assert not offenders, f"import from the defining module, not from signalflow: {offenders}"


def test_no_import_goes_up_a_layer() -> None:
    upward = [
        f"{m} -> {t}"
        for m, targets in GRAPH.items()
        if m != "signalflow"
        for t in targets
        if t != "signalflow" and RANKS[_layer(t)] > RANKS[_layer(m)]
    ]
    assert not upward, "imports up the house:\n" + "\n".join(sorted(upward))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
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
                    found.append(sorted(component))
    return found


def test_no_import_cycle_between_modules() -> None:
    graph = {m: t - {"signalflow"} for m, t in GRAPH.items() if m != "signalflow"}
    assert _cycles(graph) == []


def test_no_import_cycle_between_parts() -> None:
    parts: dict[str, set[str]] = defaultdict(set)
    for m, targets in GRAPH.items():
        if m == "signalflow":
            continue
        for t in targets - {"signalflow"}:
            if _layer(t) != _layer(m):
                parts[_layer(m)].add(_layer(t))
    assert _cycles(dict(parts)) == []


def test_the_alert_layer_never_runs_the_engine() -> None:
    calls = sorted(
        f"{m} -> {t}" for m, targets in GRAPH.items() if _layer(m) == "alerts" for t in targets if t in ENGINE_MODULES
    )
    assert not calls, calls


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text("def f():\n    from signalflow.thesis.engine import backtest\n")
    assert "signalflow.thesis.engine" in _imports("signalflow.alerts.mod", path)


def test_no_setting_is_looked_up_by_a_built_name() -> None:
    built = re.compile(r"getattr\(\s*(self\.)?settings\b")
    offenders = sorted(
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py") if built.search(path.read_text(encoding="utf-8"))
    )
    assert not offenders, f"settings looked up by a built name in {offenders}"
