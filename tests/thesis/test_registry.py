"""The function registry: the engine hands the evaluation context its functions, so the
context and the function modules never import each other."""

from __future__ import annotations

import ast
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
import yaml

from signalflow.thesis.arrays import ns
from signalflow.thesis.ast import Call, SeriesRef
from signalflow.thesis.builtin_functions import BUILTIN_FUNCTIONS
from signalflow.thesis.context import Context
from signalflow.thesis.data import frame_from_points
from signalflow.thesis.frames import PitSeries
from signalflow.thesis.functions_spec import IMPLS
from signalflow.thesis.loader import read_thesis
from signalflow.thesis.registry import FunctionRegistry

THESIS_DIR = Path(__file__).resolve().parents[2] / "signalflow" / "thesis"
FUNCTION_MODULES = ("functions", "functions_valuation", "functions_hypotheses", "registry", "arrays")

DOC = {
    "thesis": "reg",
    "title": "registry",
    "growth": {"reason": "g", "when": "fred.X > 0"},
    "liquidity": {"reason": "l", "when": "1 > 0"},
    "soft_warning": [{"name": "s", "when": "1 < 0"}],
    "kill_switch": [{"name": "k", "when": "1 < 0"}],
    "hypotheses": [{"name": "x_doubles", "claim": "X doubles", "verify": "fred.X >= 4", "by": "2025-06-30"}],
}


def _thesis():
    thesis, problems = read_thesis("reg.yaml", yaml.safe_dump(DOC, sort_keys=False))
    assert thesis is not None, problems
    return thesis


def _context(functions: FunctionRegistry) -> Context:
    frame = frame_from_points("fred.X", [(date(2025, 1, 1), 2.0), (date(2025, 2, 1), 3.0)])
    return Context(_thesis(), {"fred.X": PitSeries(frame)}, np.array([ns(datetime(2025, 3, 1))], np.int64), functions=functions)


def test_the_builtin_registry_implements_exactly_the_function_table() -> None:
    assert set(BUILTIN_FUNCTIONS) == set(IMPLS)


def test_the_context_evaluates_calls_with_the_registry_it_was_given() -> None:
    double = FunctionRegistry({"double": lambda ctx, call, sh: 2 * ctx.eval(call.args[0], sh)})
    call = Call("double", (SeriesRef("fred.X"),), impl="double")
    assert _context(BUILTIN_FUNCTIONS | double).eval(call)[0] == 6.0
    assert _context(double).eval(Call("double", (SeriesRef("fred.X"),), impl="double"))[0] == 6.0
    with pytest.raises(KeyError, match="double"):
        _context(BUILTIN_FUNCTIONS).eval(call)


def test_a_sub_context_keeps_the_registry() -> None:
    ctx = _context(BUILTIN_FUNCTIONS)
    sub = ctx.at(np.array([ns(datetime(2025, 1, 15))], np.int64))
    assert sub.functions is BUILTIN_FUNCTIONS
    assert sub.eval(SeriesRef("fred.X"))[0] == 2.0


def test_hypotheses_are_a_typed_field_of_the_thesis() -> None:
    thesis = _thesis()
    (hyp,) = thesis.hypotheses
    assert (hyp.name, hyp.verify_text, hyp.by) == ("x_doubles", "fred.X >= 4", date(2025, 6, 30))
    assert thesis.hypothesis("x_doubles") is hyp
    with pytest.raises(KeyError):
        thesis.hypothesis("nope")
    without = {k: v for k, v in DOC.items() if k != "hypotheses"}
    bare, problems = read_thesis("bare.yaml", yaml.safe_dump(without, sort_keys=False))
    assert bare is not None, problems
    assert bare.hypotheses == ()


def _imports(path: Path) -> tuple[set[str], list[str]]:
    """The signalflow modules a file imports, and the imports found inside function bodies."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    nested: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nested += [
                f"{path.name}:{inner.lineno}"
                for inner in ast.walk(node)
                if isinstance(inner, (ast.Import, ast.ImportFrom))
            ]
    return modules, nested


@pytest.mark.parametrize("name", FUNCTION_MODULES)
def test_function_modules_never_import_the_context(name: str) -> None:
    modules, _ = _imports(THESIS_DIR / f"{name}.py")
    assert "signalflow.thesis.context" not in modules
    assert "signalflow.thesis.builtin_functions" not in modules


def test_no_import_inside_a_function_in_the_thesis_package() -> None:
    nested = [where for path in sorted(THESIS_DIR.glob("*.py")) for where in _imports(path)[1]]
    assert nested == []
