"""Plugins, as installed: every entry point of ``signalflow.sources`` and
``signalflow.notifiers`` loads to a class of the right kind whose ``name`` is the entry-point
name, and has a test of its own; the plugin examples in the interface docstrings work when
written with nothing but the names ``signalflow`` exports."""

from __future__ import annotations

import ast
import re
import textwrap
import tomllib
from datetime import date, datetime
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest

import signalflow
from signalflow.notifiers import base as notifier_base
from signalflow.notifiers.base import Notifier
from signalflow.sources import base as source_base
from signalflow.sources import registry
from signalflow.sources.base import Source

TESTS = Path(__file__).resolve().parent
GROUPS = {registry.GROUP: Source, notifier_base.GROUP: Notifier}
PLUGINS = [(group, ep) for group in GROUPS for ep in entry_points(group=group)]


def _uses(path: Path) -> set[tuple[str, str]]:
    """(module, class) pairs a test file imports by name and then uses in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {
        alias.asname or alias.name: (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return {imported[name] for name in used if name in imported}


# A plugin has a test when some test file other than this one imports its class from the
# module its entry point names and uses it (constructs it, or hands it to a helper that does).
TESTED = set().union(*(_uses(path) for path in TESTS.rglob("test_*.py") if path != Path(__file__).resolve()))


def test_the_builtins_are_registered_in_both_groups() -> None:
    names = {group: {ep.name for ep in entry_points(group=group)} for group in GROUPS}
    assert {"fred", "sec", "csv", "news"} <= names[registry.GROUP]
    assert {"console", "slack", "webhook", "email"} <= names[notifier_base.GROUP]


@pytest.mark.parametrize(("group", "ep"), PLUGINS, ids=[f"{g.rsplit('.', 1)[1]}:{ep.name}" for g, ep in PLUGINS])
def test_each_plugin_loads_to_its_kind_under_its_own_name(group: str, ep: EntryPoint) -> None:
    cls = ep.load()
    assert isinstance(cls, type) and issubclass(cls, GROUPS[group]), f"{ep.value} is not a {GROUPS[group].__name__}"
    assert cls.name == ep.name, f"{ep.value}.name is {cls.name!r}, its entry point says {ep.name!r}"


@pytest.mark.parametrize(("group", "ep"), PLUGINS, ids=[f"{g.rsplit('.', 1)[1]}:{ep.name}" for g, ep in PLUGINS])
def test_each_plugin_has_a_test(group: str, ep: EntryPoint) -> None:
    assert (ep.module, ep.attr) in TESTED, (
        f"no test imports {ep.attr} from {ep.module} and uses it: add one under tests/"
    )


def test_the_rule_for_having_a_test_is_not_vacuous(tmp_path: Path) -> None:
    mentioned = tmp_path / "test_mentions.py"
    mentioned.write_text("from signalflow.sources.fred import FredSource  # imported, never used\n")
    used = tmp_path / "test_uses.py"
    used.write_text("from signalflow.sources.fred import FredSource\n\ndef test():\n    FredSource(None)\n")
    assert _uses(mentioned) == set()
    assert _uses(used) == {("signalflow.sources.fred", "FredSource")}


def _literal_blocks(doc: str) -> list[str]:
    """The reStructuredText literal blocks (``::`` then an indented block) of a docstring."""
    return [
        textwrap.dedent(block)
        for block in re.findall(r"::\n\n((?:(?: {4}.*)?\n)+)", doc + "\n")
    ]


def _example(module, group: str, base: type, **helpers):
    """Run the module docstring's plugin example and check its registration snippet."""
    code, registration = _literal_blocks(module.__doc__)
    imports = [node for node in ast.walk(ast.parse(code)) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert imports and all(isinstance(node, ast.ImportFrom) and node.module == "signalflow" for node in imports)
    assert all(alias.name in signalflow.__all__ for node in imports for alias in node.names)
    namespace: dict = dict(helpers)
    exec(compile(code, f"<{module.__name__} docstring>", "exec"), namespace)
    [plugin] = [v for v in namespace.values() if isinstance(v, type) and issubclass(v, base) and v is not base]
    [(name, target)] = tomllib.loads(registration)["project"]["entry-points"][group].items()
    assert name == plugin.name and target.endswith(f":{plugin.__name__}")
    return plugin


def test_the_source_example_in_the_collector_interface_works(settings) -> None:
    now = datetime(2025, 6, 1, 7, 0)
    readings = {"weather.rain": [(date(2025, 5, 30), 1.5), (date(2025, 5, 31), 0.0)]}
    weather = _example(source_base, registry.GROUP, Source, fetch=lambda ref: readings.get(ref, []))

    source = weather(settings, clock=lambda: now)
    batch = source.collect(["weather.rain"], {})
    assert isinstance(batch, signalflow.Batch)
    assert [(o.series, o.period_end, o.value, o.known_at) for o in batch.observations] == [
        ("weather.rain", date(2025, 5, 30), 1.5, now),
        ("weather.rain", date(2025, 5, 31), 0.0, now),
    ]
    assert source.handles("weather.rain") and not source.handles("fred.rain")
    assert list(batch.observations_frame()["series"]) == ["weather.rain", "weather.rain"]


def test_the_notifier_example_in_the_notifier_interface_works() -> None:
    paged: list[str] = []
    pager = _example(notifier_base, notifier_base.GROUP, Notifier, page=paged.append)

    notification = signalflow.Notification(
        key="k", alert_key="t/r/1", kind=signalflow.Kind.FIRING, severity="kill_switch", thesis="t",
        title="A thesis", rule="r", at=datetime(2025, 6, 1),
    )
    receipt = pager.from_settings(None).send(notification)
    assert receipt == signalflow.Receipt("pager")
    assert paged == [notification.headline] and "A thesis" in paged[0]
