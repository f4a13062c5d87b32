"""Rule tests: literal series in, expected thesis states out (like ``promtool test rules``).

    results = run_test_file("tests/rules/liquidity_regime.test.yaml")
    failed = [r for r in results if not r.ok]

A test file names its thesis files (relative to itself) and lists tests; each test gives
literal data for any series reference and states what must hold at instants::

    thesis_files: [../../rules/liquidity_regime.yaml]
    tests:
      - name: a high-yield spread above 5 for 30 days fires the soft warning
        series:
          fred.BAMLH0A0HYM2: {2025-01-01: 4.0, 2025-02-01: 5.5}    # known_at = period
          sec.MSFT.revenue:
            - {period: 2024-03-31, value: 61.9e9, known_at: 2024-04-25}
        expect:
          - {at: 2025-03-03, thesis: liquidity_regime, state: soft_warning, firing: [spread_widening]}

``expect`` items may check ``state``, ``firing``, ``pending`` (exact sets) and ``quadrant``;
what an item leaves out is not checked. Event streams take the same data: each point is an
event known at its period (or its ``known_at``), its value the event's field value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from signalflow.errors import CheckFailed, Location, SignalflowError, ThesisError
from signalflow.suggest import did_you_mean
from signalflow.series import MemoryProvider
from signalflow.sources.validate import FIRST_DATE, LAST_DATE, in_range
from signalflow.thesis.data import frame_from_points
from signalflow.thesis.engine import backtest
from signalflow.thesis.loader import load_files
from signalflow.thesis.model import Thesis
from signalflow.thesis.limits import read_limited
from signalflow.thesis.yamlnodes import NodeReader, short

FILE_KEYS = ("thesis_files", "tests")
TEST_KEYS = ("name", "series", "expect")
EXPECT_KEYS = ("at", "thesis", "state", "firing", "pending", "quadrant")
POINT_KEYS = ("period", "value", "known_at", "period_start")
STATES = ("ok", "soft_warning", "kill_switch")
QUADRANTS = ("growth and liquidity", "growth only", "liquidity only", "neither", "unknown")

Point = tuple[date | datetime, float | None, datetime | None, date | None]


@dataclass(frozen=True)
class Expectation:
    at: datetime
    thesis: str
    location: Location
    state: str | None = None
    firing: frozenset[str] | None = None
    pending: frozenset[str] | None = None
    quadrant: str | None = None


@dataclass(frozen=True)
class TestCase:
    name: str
    location: Location
    series: dict[str, tuple[Point, ...]]
    expect: tuple[Expectation, ...]


@dataclass(frozen=True)
class TestFile:
    path: Path
    theses: tuple[Thesis, ...]
    tests: tuple[TestCase, ...]


@dataclass(frozen=True)
class Mismatch:
    """One expectation that did not hold: what was expected against what was got."""

    expectation: Expectation
    field: str
    expected: Any
    got: Any

    def __str__(self) -> str:
        return f"{self.field}: expected {_show(self.expected)}, got {_show(self.got)}"


@dataclass(frozen=True)
class CaseResult:
    file: Path
    name: str
    location: Location
    mismatches: tuple[Mismatch, ...] = ()
    error: str = ""
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.error

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.file),
            "test": self.name,
            "location": str(self.location),
            "ok": self.ok,
            "checked": self.checked,
            "error": self.error or None,
            "failures": [
                {
                    "at": m.expectation.at.isoformat(),
                    "thesis": m.expectation.thesis,
                    "location": str(m.expectation.location),
                    "field": m.field,
                    "expected": _plain(m.expected),
                    "got": _plain(m.got),
                }
                for m in self.mismatches
            ],
        }


def load_test_file(path: Path | str) -> TestFile:
    """The tests of ``path`` and the theses they exercise; raises :class:`CheckFailed`
    listing every problem of the test file or of its thesis files."""
    path = Path(path)
    try:
        text = read_limited(path, "test file")
    except ThesisError as exc:
        raise CheckFailed([exc]) from None
    reader = NodeReader(path, text)
    root = reader.compose()
    top = reader.mapping(root, "a test file", FILE_KEYS, FILE_KEYS) if root is not None else None
    if reader.problems or top is None:
        raise CheckFailed(reader.problems or [ThesisError(Location(path, 1, 1), "empty test file")])
    files = reader.strings(top["thesis_files"].value, "thesis_files") or ()
    ruleset = load_files([(path.parent / f) for f in files])
    reader.problems.extend(ruleset.errors)
    known = {t.id for t in ruleset.theses}
    tests = [_case(reader, node, known) for node in reader.sequence(top["tests"].value, "tests") or []]
    if reader.problems:
        raise CheckFailed(reader.problems)
    return TestFile(path, ruleset.theses, tuple(t for t in tests if t is not None))


def run_test_file(path: Path | str) -> list[CaseResult]:
    """Every test of ``path`` run through the evaluator; problems loading the file come
    back as one failed result naming them."""
    path = Path(path)
    try:
        testfile = load_test_file(path)
    except CheckFailed as exc:
        text = "\n".join(str(p) for p in exc.problems)
        return [CaseResult(path, "(loading)", Location(path), error=text)]
    return [run_case(testfile, case) for case in testfile.tests]


def run_case(testfile: TestFile, case: TestCase) -> CaseResult:
    """Backtest each thesis the case expects something of, over the case's literal data,
    and compare the state after the last evaluation at or before each ``at``."""
    provider = MemoryProvider({key: frame_from_points(key, points) for key, points in case.series.items()})
    theses = {t.id: t for t in testfile.theses}
    mismatches: list[Mismatch] = []
    for thesis_id in sorted({e.thesis for e in case.expect}):
        expectations = [e for e in case.expect if e.thesis == thesis_id]
        end = max(e.at for e in expectations)
        try:
            bt = backtest(theses[thesis_id], provider, start=None, end=end)
        except SignalflowError as exc:
            return CaseResult(testfile.path, case.name, case.location, error=str(exc))
        for expectation in expectations:
            mismatches.extend(_compare(expectation, bt.at(expectation.at)))
    return CaseResult(testfile.path, case.name, case.location, tuple(mismatches), checked=len(case.expect))


def _compare(e: Expectation, status: Any) -> list[Mismatch]:
    if status is None:
        return [Mismatch(e, "evaluation", "a state", "no evaluation at or before this instant (no data known yet)")]
    out = []
    if e.state is not None and status.state.value != e.state:
        out.append(Mismatch(e, "state", e.state, status.state.value))
    if e.firing is not None and set(status.firing) != e.firing:
        out.append(Mismatch(e, "firing", e.firing, frozenset(status.firing)))
    if e.pending is not None and set(status.pending) != e.pending:
        out.append(Mismatch(e, "pending", e.pending, frozenset(status.pending)))
    if e.quadrant is not None and status.quadrant.value != e.quadrant:
        out.append(Mismatch(e, "quadrant", e.quadrant, status.quadrant.value))
    return out


def _case(reader: NodeReader, node: yaml.Node, known: set[str]) -> TestCase | None:
    fields = reader.mapping(node, "a test", TEST_KEYS, ("name", "expect"))
    if fields is None or "name" not in fields or "expect" not in fields:
        return None
    name = reader.string(fields["name"].value, "test name") or ""
    series: dict[str, tuple[Point, ...]] = {}
    if "series" in fields:
        entries = reader.mapping(fields["series"].value, f"series of test {name!r}", _AnyKey())
        for key, entry in (entries or {}).items():
            points = _points(reader, entry.value, key)
            if points is not None:
                series[key] = points
    expect = [_expectation(reader, item, known) for item in reader.sequence(fields["expect"].value, "expect") or []]
    return TestCase(name, reader.loc(node), series, tuple(e for e in expect if e is not None))


def _points(reader: NodeReader, node: yaml.Node, key: str) -> tuple[Point, ...] | None:
    """``period: value`` pairs (known at the period) or a list of {period, value, known_at}."""
    out: list[Point] = []
    if isinstance(node, yaml.MappingNode):
        for period_node, value_node in node.value:
            period = _when(reader, period_node, f"{key}: period")
            value = _number(reader, value_node, f"{key}: value")
            if period is not None and value is not False:
                out.append((period, value, None, None))  # type: ignore[arg-type]
        return tuple(out)
    for item in reader.sequence(node, f"series {key}") or []:
        fields = reader.mapping(item, f"a point of {key}", POINT_KEYS, ("period", "value"))
        if not fields or "period" not in fields or "value" not in fields:
            continue
        period = _when(reader, fields["period"].value, f"{key}: period")
        value = _number(reader, fields["value"].value, f"{key}: value")
        known_at = _when(reader, fields["known_at"].value, f"{key}: known_at") if "known_at" in fields else None
        start = _when(reader, fields["period_start"].value, f"{key}: period_start") if "period_start" in fields else None
        if period is not None and value is not False:
            out.append((period, value, known_at, start))  # type: ignore[arg-type]
    return tuple(out)


def _expectation(reader: NodeReader, node: yaml.Node, known: set[str]) -> Expectation | None:
    fields = reader.mapping(node, "an expect item", EXPECT_KEYS, ("at", "thesis"))
    if not fields or "at" not in fields or "thesis" not in fields:
        return None
    at = _when(reader, fields["at"].value, "at")
    thesis = reader.string(fields["thesis"].value, "thesis")
    if thesis is not None and thesis not in known:
        reader.problem(fields["thesis"].value, f"no thesis {thesis!r} in thesis_files", did_you_mean(thesis, known))
        return None
    kwargs: dict[str, Any] = {}
    for key, allowed in (("state", STATES), ("quadrant", QUADRANTS)):
        if key in fields and (value := reader.string(fields[key].value, key)) is not None:
            if value not in allowed:
                reader.problem(fields[key].value, f"{key} {value!r} is not one of: " + ", ".join(allowed))
            kwargs[key] = value
    for key in ("firing", "pending"):
        if key in fields and (names := reader.strings(fields[key].value, key)) is not None:
            kwargs[key] = frozenset(names)
    if at is None or thesis is None:
        return None
    return Expectation(at=_as_datetime(at), thesis=thesis, location=reader.loc(node), **kwargs)


def _when(reader: NodeReader, node: yaml.Node, what: str) -> date | datetime | None:
    reported = len(reader.problems)
    value = reader.construct(node)
    if len(reader.problems) > reported:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, datetime) and value.tzinfo is not None:
        try:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            pass  # past 9999-12-31 in UTC: reported as out of range below
    if isinstance(value, date):
        aware = isinstance(value, datetime) and value.tzinfo is not None
        if aware or not in_range(value):
            reader.problem(node, f"{what}: {value} is outside the dates the store can hold ({FIRST_DATE}..{LAST_DATE})")
            return None
        return value
    reader.problem(node, f"{what} must be a date (YYYY-MM-DD) or a date and time, not {short(value)}")
    return None


def _number(reader: NodeReader, node: yaml.Node, what: str) -> float | None | bool:
    """The value as a float, None for null (a missing value), False when invalid."""
    value = reader.construct(node)
    if value is None:
        return None
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value) if abs(value) < 1e308 else float("inf")
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
    if number is not None and math.isfinite(number):
        return number
    if number is not None:
        reader.problem(node, f"{what} must be a finite number, not {short(value)}", "write null for a missing value")
    else:
        reader.problem(node, f"{what} must be a number, not {short(value)}")
    return False


def _as_datetime(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)


class _AnyKey(tuple):
    """``allowed`` for mappings whose keys are free (series references)."""

    def __contains__(self, item: object) -> bool:
        return True


def _show(value: Any) -> str:
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(value)) + "]"
    return str(value)


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, frozenset) else value
