"""``for_each``: one thesis file, one thesis per value of a watch list.

    for_each: {ticker: [MSFT, GOOGL, AMZN, META, ORCL]}   # or {ticker: {list: hyperscalers}}
    thesis: capex_discipline                              # or {ticker: {layer: power}}
    growth: {reason: "...", when: "yoy(sec.{ticker}.capex) > 10%"}

The file is read once as a template: ``{ticker}`` becomes a placeholder word of the same
length (so every line and column in a message stays true), the template is parsed and
resolved once, and each value gets a copy with the placeholder replaced in every text and
expression, sharing every sub-expression that does not name it. Ids are ``name[MSFT]``.
Named lists and layers come from the watch list (built-in ``watchlist.yaml`` plus the user's
``watchlist_file``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

import yaml

from signalflow.errors import ThesisError
from signalflow.news.rules import WatchList
from signalflow.suggest import did_you_mean
from signalflow.thesis.model import LAYERS, Expansion, Thesis
from signalflow.thesis.yamlnodes import Entry, NodeReader

VARIABLE = re.compile(r"^[a-z][a-z0-9_]*$")
VALUE = re.compile(r"^[A-Za-z0-9_.\-]+$")  # what a series reference segment or filter accepts


@dataclass(frozen=True)
class ForEach:
    """The variable of a ``for_each`` file and the values it takes, in order."""

    variable: str
    values: tuple[str, ...]

    @property
    def marker(self) -> str:
        """How a file writes the variable: ``{ticker}``."""
        return "{" + self.variable + "}"

    @property
    def placeholder(self) -> str:
        """What the marker becomes while the template is parsed: a word of the same length
        that a series reference accepts."""
        return "Q" + self.variable.upper() + "Q"


def read_for_each(reader: NodeReader, entry: Entry, watchlist: WatchList | None) -> ForEach | None:
    """The ``for_each`` entry of a file, its problems reported to ``reader``."""
    node = entry.value
    if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
        reader.problem(node, "for_each must map one variable to its values", "e.g. for_each: {ticker: [MSFT, GOOGL]}")
        return None
    key_node, value = node.value[0]
    variable = str(key_node.value)
    if not VARIABLE.match(variable):
        reader.problem(key_node, f"for_each variable {variable!r} must be lowercase letters, digits and '_'")
        return None
    values = _values(reader, value, variable, watchlist)
    if values is None:
        return None
    if not values:
        reader.problem(value, f"for_each {variable} has no values")
        return None
    for v in values:
        if not VALUE.match(v):
            reader.problem(value, f"for_each {variable} value {v!r} must be letters, digits, '_', '.' or '-'")
            return None
    if len(set(values)) != len(values):
        twice = sorted({v for v in values if values.count(v) > 1})
        reader.problem(value, f"for_each {variable} lists {', '.join(twice)} more than once")
        return None
    return ForEach(variable, values)


def _values(reader: NodeReader, node: yaml.Node, variable: str, watchlist: WatchList | None) -> tuple[str, ...] | None:
    if isinstance(node, yaml.SequenceNode):
        return reader.strings(node, f"for_each {variable}")
    what = f"for_each {variable}"
    found = reader.mapping(node, what, ("list", "layer")) if isinstance(node, yaml.MappingNode) else None
    if found is None or len(found) != 1:
        if found is not None or not isinstance(node, yaml.MappingNode):
            reader.problem(node, f"{what} must be a list of values, {{list: NAME}} or {{layer: NAME}}")
        return None
    (key, entry), = found.items()
    name = reader.string(entry.value, f"{what}.{key}")
    if name is None or watchlist is None:
        return None
    if key == "list":
        if name not in watchlist.lists:
            known = sorted(watchlist.lists)
            hint = did_you_mean(name, known) or "lists: " + ", ".join(known) + " (add lists in watchlist_file)"
            reader.problem(entry.value, f"no list {name!r} in the watch list", hint)
            return None
        return watchlist.lists[name]
    if name not in LAYERS:
        reader.problem(entry.value, f"unknown layer {name!r}", did_you_mean(name, LAYERS) or "layers: " + ", ".join(LAYERS))
        return None
    tickers = watchlist.layer(name)
    if not tickers:
        reader.problem(entry.value, f"no company of the watch list is in layer {name!r}", "give companies a layer in watchlist_file")
    return tickers


def substitute(value: Any, old: str, new: str) -> Any:
    """``value`` with ``old`` replaced by ``new`` in every text it holds, through tuples,
    dicts and frozen dataclasses (the thesis model and the expression tree); parts that do
    not hold ``old`` are returned as they are, so expansions share them."""
    if isinstance(value, str):
        return value.replace(old, new) if old in value else value
    if isinstance(value, tuple):
        items = tuple(substitute(v, old, new) for v in value)
        return value if all(a is b for a, b in zip(items, value)) else items
    if isinstance(value, list):
        return [substitute(v, old, new) for v in value]
    if isinstance(value, dict):
        out = {substitute(k, old, new): substitute(v, old, new) for k, v in value.items()}
        same = all(k in value and value[k] is v for k, v in out.items())
        return value if same else out
    if is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in fields(value):
            if f.init:
                old_value = getattr(value, f.name)
                new_value = substitute(old_value, old, new)
                if new_value is not old_value:
                    changes[f.name] = new_value
        return replace(value, **changes) if changes else value
    return value


def expand(template: Thesis, spec: ForEach) -> list[Thesis]:
    """One thesis per value of ``spec``: ids ``template[VALUE]``; a title that does not name
    the variable gets the value appended."""
    out = []
    for value in spec.values:
        thesis = substitute(template, spec.placeholder, value)
        title = thesis.title if spec.placeholder in template.title else f"{template.title} [{value}]"
        out.append(
            replace(thesis, id=f"{template.id}[{value}]", title=title, expansion=Expansion(template.id, spec.variable, value))
        )
    return out


def template_problem(problem: ThesisError, spec: ForEach) -> ThesisError:
    """A problem found in the template, said once for every value, with the marker as
    written in the file."""
    text = problem.problem.replace(spec.placeholder, spec.marker)
    hint = problem.hint.replace(spec.placeholder, spec.marker) if problem.hint else None
    return type(problem)(problem.location, f"{text} (for_each template: every {spec.variable})", hint)
