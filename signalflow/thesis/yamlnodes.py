"""Reading YAML with positions: typed access to composed nodes that reports, rather than
raises, every problem with its file, line and column.

PyYAML's ``compose`` keeps ``start_mark`` on every node; this module turns nodes into the
values the thesis model needs and keeps the raw text of expression scalars so positions
inside an expression land on the right character of the file, block scalars included.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from signalflow.errors import Location, ThesisError
from signalflow.settings import parse_duration
from signalflow.suggest import did_you_mean
from signalflow.thesis.limits import MAX_COUNT, MAX_DURATION, MAX_YAML_DEPTH, MAX_YAML_NODES, describe_duration

_RELEASES = re.compile(r"^\s*([0-9]+)\s+releases?\s*$")
_NULL = "tag:yaml.org,2002:null"


class _Bounded(yaml.composer.Composer):
    """A composer that refuses documents nested deeper than MAX_YAML_DEPTH or larger than
    MAX_YAML_NODES once aliases are expanded, and aliases to a collection they sit in.

    Composing recurses once per level, and every later walk of the value (construction,
    ``repr`` in an error message) pays the expanded size, so both are bounded here, while
    the file is read, with the mark of the offending node."""

    _depth = 0
    _total = 0

    def __init__(self) -> None:
        yaml.composer.Composer.__init__(self)
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:
                size = self._sizes.get(id(target))
                if size is None:
                    raise yaml.composer.ComposerError(
                        None, None, f"alias *{event.anchor} refers to a collection it is part of", event.start_mark
                    )
                self._grow(size, event.start_mark)
            return super().compose_node(parent, index)
        mark = self.peek_event().start_mark
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", mark)
        before = self._total
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._grow(1, mark)
        self._sizes[id(node)] = self._total - before
        return node

    def _grow(self, size: int, mark: yaml.Mark) -> None:
        self._total += size
        if self._total > MAX_YAML_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"more than {MAX_YAML_NODES:,} values once aliases are expanded", mark
            )


class _BoundedLoader(_Bounded, yaml.SafeLoader):
    """PyYAML's own reader, scanner and parser under the bounded composer: the reference,
    whose error messages the docs show."""

    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        _Bounded.__init__(self)


try:
    from yaml.cyaml import CParser
except ImportError:  # PyYAML built without libyaml
    _FastLoader = None
else:

    class _FastLoader(_Bounded, CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):  # type: ignore[no-redef]
        """libyaml's scanner and parser (ten times faster) under the same bounded composer;
        its nodes carry the same marks as the reference's (a plain scalar's style is ``""``
        rather than None, which nothing here tells apart)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            _Bounded.__init__(self)


def _single_node(loader_class: type, text: str) -> yaml.Node | None:
    loader = loader_class(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def short(value: Any) -> str:
    """``repr`` cut to a line: a value in an error message is a hint, not a dump."""
    return reprlib.repr(value)


@dataclass(frozen=True)
class Entry:
    """One key of a mapping with its value node."""

    key: str
    key_node: yaml.Node
    value: yaml.Node


class NodeReader:
    """Typed reads of YAML nodes from one file; ``problems`` collects every error."""

    def __init__(self, path: Path | str, text: str) -> None:
        self.path = path
        self.text = text
        self.problems: list[ThesisError] = []

    def compose(self) -> yaml.Node | None:
        # libyaml counts a byte-order mark out of its positions: such a file takes the reference.
        if _FastLoader is not None and not self.text.startswith("\ufeff"):
            try:
                return _single_node(_FastLoader, self.text)
            except Exception:  # read again below: the reference words the error the docs' way
                pass
        try:
            return _single_node(_BoundedLoader, self.text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = Location(self.path, mark.line + 1, mark.column + 1) if mark else Location(self.path)
            self.problems.append(ThesisError(where, f"not valid YAML: {exc.problem or exc.context}"))
        except yaml.YAMLError as exc:
            self.problems.append(ThesisError(Location(self.path), f"not valid YAML: {exc}"))
        return None

    def loc(self, node: yaml.Node) -> Location:
        return Location(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def problem(self, node: yaml.Node, problem: str, hint: str | None = None) -> None:
        self.problems.append(ThesisError(self.loc(node), problem, hint))

    def mapping(
        self,
        node: yaml.Node,
        what: str,
        allowed: Sequence[str],
        required: Sequence[str] = (),
        key_node: yaml.Node | None = None,
    ) -> dict[str, Entry] | None:
        """The entries of a mapping; reports unknown keys (with the nearest known one),
        duplicate keys and missing required keys (at ``key_node``, the mapping's own key,
        when given)."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping (key: value lines), not {_kind(node)}")
            return None
        entries: dict[str, Entry] = {}
        for knode, value in node.value:
            key = knode.value if isinstance(knode, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.problem(knode, f"keys in {what} must be names")
                continue
            if key in entries:
                self.problem(knode, f"duplicate key {key!r} in {what}")
                continue
            if key not in allowed:
                hint = did_you_mean(key, allowed) or "known keys: " + ", ".join(allowed)
                self.problem(knode, f"unknown key {key!r} in {what}", hint)
                continue
            entries[key] = Entry(key, knode, value)
        for key in required:
            if key not in entries:
                self.problem(key_node or node, f"{what} is missing {key!r}")
        return entries

    def is_null(self, node: yaml.Node) -> bool:
        return isinstance(node, yaml.ScalarNode) and node.tag == _NULL

    def string(self, node: yaml.Node, what: str) -> str | None:
        if isinstance(node, yaml.ScalarNode):
            return "" if self.is_null(node) else node.value
        self.problem(node, f"{what} must be text, not {_kind(node)}")
        return None

    def strings(self, node: yaml.Node, what: str) -> tuple[str, ...] | None:
        """A list of texts; a single text counts as a list of one."""
        if isinstance(node, yaml.ScalarNode):
            return () if self.is_null(node) else (node.value,)
        if isinstance(node, yaml.SequenceNode):
            out = [self.string(item, f"each item of {what}") for item in node.value]
            return None if any(v is None for v in out) else tuple(v for v in out if v is not None)
        self.problem(node, f"{what} must be a list of texts, not {_kind(node)}")
        return None

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node] | None:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if self.is_null(node):
            return []
        self.problem(node, f"{what} must be a list ('- ' items), not {_kind(node)}")
        return None

    def duration(self, node: yaml.Node, what: str, zero: bool = False) -> timedelta | None:
        """A positive duration of at most MAX_DURATION (or zero, when ``zero``)."""
        text = self.string(node, what)
        if text is None:
            return None
        try:
            value = parse_duration(text)
        except ValueError:
            self.problem(node, f"{what}: {short(text)} is not a duration", "write e.g. 90s, 30m, 6h, 30d, 12w or 1y")
            return None
        return self._in_range(node, what, text, value, zero)

    def _in_range(self, node: yaml.Node, what: str, text: str, value: timedelta, zero: bool) -> timedelta | None:
        if value < timedelta(0) or (value == timedelta(0) and not zero):
            self.problem(node, f"{what}: {short(text)} is not positive", "durations count forward, e.g. 30d")
            return None
        if value > MAX_DURATION:
            self.problem(node, f"{what}: {short(text)} is too long", f"durations are at most {describe_duration(MAX_DURATION)}")
            return None
        return value

    def for_value(self, node: yaml.Node, what: str) -> tuple[timedelta | None, int | None] | None:
        """``for:`` as a duration or 'N releases'."""
        text = self.string(node, what)
        if text is None:
            return None
        match = _RELEASES.match(text)
        if match:
            releases = int(match.group(1))
            if releases < 1:
                self.problem(node, f"{what}: needs at least 1 release")
                return None
            if releases > MAX_COUNT:
                self.problem(node, f"{what}: at most {MAX_COUNT:,} releases")
                return None
            return None, releases
        try:
            value = parse_duration(text)
        except ValueError:
            self.problem(node, f"{what}: {short(text)} is neither a duration nor 'N releases'", "write e.g. 30d or 2 releases")
            return None
        checked = self._in_range(node, what, text, value, zero=True)
        return None if checked is None else (checked, None)

    def date(self, node: yaml.Node, what: str) -> date | None:
        reported = len(self.problems)
        value = self.construct(node)
        if len(self.problems) > reported:
            return None
        if isinstance(value, datetime):  # a timestamp where a day is meant: its day
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        shown = short(node.value) if isinstance(node, yaml.ScalarNode) else _kind(node)
        self.problem(node, f"{what} must be a date (YYYY-MM-DD), not {shown}")
        return None

    def construct(self, node: yaml.Node) -> Any:
        """The plain Python value of a node (dates, numbers, lists, dicts)."""
        loader = yaml.SafeLoader("")
        try:
            return loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.problem(node, f"cannot read value: {exc}")
            return None
        except (ValueError, OverflowError) as exc:  # 2025-02-30, year 0 or a timestamp past 9999
            shown = f" {short(node.value)}" if isinstance(node, yaml.ScalarNode) else ""
            self.problem(node, f"cannot read value{shown}: {exc}")
            return None
        finally:
            loader.dispose()

    def expression_source(self, node: yaml.ScalarNode) -> tuple[str, int, int]:
        """The expression text as written in the file and where it starts (line, column).

        Plain and quoted scalars start at their mark; block scalars (``|``, ``>``) on the
        line after the indicator, with their indentation kept so columns are the file's.
        Expression whitespace is insignificant, so raw text parses the same as the value.
        """
        start, end = node.start_mark, node.end_mark
        raw = self.text[start.index : end.index]
        if node.style in ("|", ">"):
            newline = raw.find("\n")
            return (raw[newline + 1 :] if newline >= 0 else ""), start.line + 2, 1
        if node.style in ('"', "'"):
            raw, offset = raw[1:-1], 1
        else:
            offset = 0
        if raw.split() == node.value.split():
            return raw, start.line + 1, start.column + 1 + offset
        return node.value, start.line + 1, start.column + 1 + offset


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"the value {short(node.value)}" if node.value else "an empty value"
