"""``signalflow check``: every problem of a rules directory, with file, line and column.

    ruleset = check_dir("rules", settings)       # loads, then checks across files and sources
    for problem in ruleset.problems: print(problem)

On top of what the loader finds in each file (YAML, keys, types, expressions, names,
function calls, types, cycles, at least one rule of each severity, the reasons), this adds
what needs more than one file or the sources: duplicate thesis ids, series references
validated by the source that owns their prefix (``Source.check_ref``), unknown prefixes,
notification routes, and a warning once ``review_by`` has passed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from signalflow.errors import Location, ThesisError, ThesisWarning
from signalflow.settings import Settings
from signalflow.sources.base import RefWarning, Source
from signalflow.thesis.ast import SeriesRef, walk
from signalflow.thesis.loader import RuleSet, load_files, load_rules_dir, watchlist_file
from signalflow.thesis.model import Thesis
from signalflow.suggest import did_you_mean

log = logging.getLogger(__name__)

SOURCE_GROUP = "signalflow.sources"
NOTIFIER_GROUP = "signalflow.notifiers"


def check_dir(directory: Path | str, settings: Settings | None = None, today: date | None = None) -> RuleSet:
    """Load every thesis under ``directory`` (or the one file it names) and check it; the
    result lists every problem."""
    if Path(directory).is_file():
        return check_files([Path(directory)], settings, today)
    return check_ruleset(load_rules_dir(directory, settings), settings, today)


def check_files(paths: list[Path], settings: Settings | None = None, today: date | None = None) -> RuleSet:
    """Like :func:`check_dir` over explicit files."""
    return check_ruleset(load_files(paths, watchlist_file(settings)), settings, today)


def check_ruleset(ruleset: RuleSet, settings: Settings | None = None, today: date | None = None) -> RuleSet:
    """``ruleset`` with the cross-file and source checks added; theses with errors removed."""
    if settings is None:
        settings = Settings()
    today = today or date.today()
    plugins = entry_points()  # one scan of the installed packages for both groups
    checker = _SourceChecker(settings, plugins.select(group=SOURCE_GROUP))
    routes = _route_names(settings, plugins.select(group=NOTIFIER_GROUP))
    problems = list(ruleset.problems)
    kept = []
    found_by: dict[str, list[ThesisError]] = {}
    for thesis in ruleset.theses:
        found = checker.check(thesis) + _check_notify(thesis, routes)
        if thesis.review_by is not None and thesis.review_by < today:
            found.append(
                ThesisWarning(
                    thesis.location,
                    f"thesis {thesis.id} was due for review by {thesis.review_by.isoformat()}",
                    "re-read it and move review_by forward",
                )
            )
        found_by[thesis.id] = found
        if not any(not isinstance(p, ThesisWarning) for p in found):
            kept.append(thesis)
    problems.extend(once_per_template(ruleset.theses, found_by))
    return replace(ruleset, theses=tuple(kept), problems=tuple(problems))


def once_per_template(theses: tuple[Thesis, ...], found_by: dict[str, list[ThesisError]]) -> list[ThesisError]:
    """The problems of each thesis; those of a ``for_each`` expansion that every value of
    its template has alike (its value put back as ``{variable}``) are said once, the others
    name the value that triggers them."""
    out: list[ThesisError] = []
    groups: dict[tuple[str, str], list[Thesis]] = {}
    for thesis in theses:
        if thesis.expansion is None:
            out.extend(found_by[thesis.id])
        else:
            groups.setdefault((str(thesis.path), thesis.expansion.template), []).append(thesis)
    for members in groups.values():
        seen: dict[tuple, list[tuple[Thesis, ThesisError]]] = {}
        for thesis in members:
            for problem in found_by[thesis.id]:
                seen.setdefault(_general(thesis, problem), []).append((thesis, problem))
        for key, hits in seen.items():
            thesis, problem = hits[0]
            expansion = thesis.expansion
            assert expansion is not None
            if len({t.id for t, _ in hits}) == len(members) > 1:
                text, hint = key[2], key[3]
                out.append(type(problem)(problem.location, f"{text} (for_each template: every {expansion.variable})", hint))
                continue
            for thesis, problem in hits:
                value = thesis.expansion.value if thesis.expansion else ""
                where = f"{thesis.expansion.variable if thesis.expansion else ''} {value}"
                out.append(type(problem)(problem.location, f"{problem.problem} (for_each: {where}, thesis {thesis.id})", problem.hint))
    return out


def _general(thesis: Thesis, problem: ThesisError) -> tuple:
    """A problem of an expansion with its value written back as ``{variable}``."""
    assert thesis.expansion is not None
    word = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(thesis.expansion.value)}(?![A-Za-z0-9_])")
    marker = "{" + thesis.expansion.variable + "}"
    text = word.sub(marker, problem.problem).replace(thesis.id, f"{thesis.expansion.template}[{marker}]")
    hint = word.sub(marker, problem.hint) if problem.hint else None
    return (type(problem), str(problem.location), text, hint)


class _SourceChecker:
    """Asks the source that owns each prefix whether a reference is valid."""

    def __init__(self, settings: Settings, sources: Iterable[EntryPoint]) -> None:
        self.settings = settings
        self.entry_points = {ep.name: ep for ep in sources}
        self.prefixes = sorted(self.entry_points)
        self._sources: dict[str, Source | None] = {}

    def source(self, prefix: str) -> Source | None:
        """The source for ``prefix``, or None when it cannot be imported or started: its
        references are then only checked for their prefix."""
        if prefix not in self._sources:
            self._sources[prefix] = None
            try:
                self._sources[prefix] = self.entry_points[prefix].load()(self.settings)
            except Exception as exc:  # a plugin that cannot start must not hide the other problems
                log.debug("cannot start source %s to check references: %r", prefix, exc)
        return self._sources[prefix]

    def check(self, thesis: Thesis) -> list[ThesisError]:
        problems: list[ThesisError] = []
        seen: set[str] = set()
        for expr in thesis.expressions():
            for node in walk(expr):
                if not isinstance(node, SeriesRef) or node.ref in seen:
                    continue
                seen.add(node.ref)
                where = Location(thesis.path, node.pos.line, node.pos.column)
                if node.source not in self.prefixes:
                    hint = did_you_mean(node.source, self.prefixes) or "known sources: " + ", ".join(self.prefixes)
                    problems.append(ThesisError(where, f"unknown series source {node.source!r} in {node.ref}", hint))
                    continue
                source = self.source(node.source)
                if source is None:
                    continue
                try:
                    problem = source.check_ref(node.ref)
                except Exception as exc:  # a buggy check_ref is the plugin's problem, not the thesis's
                    problems.append(ThesisWarning(where, f"source {node.source} could not check {node.ref}: {exc!r}"))
                    continue
                if problem:
                    text = problem if node.ref in problem else f"{node.ref}: {problem}"
                    kind = ThesisWarning if isinstance(problem, RefWarning) else ThesisError
                    problems.append(kind(where, text))
        return problems


def _route_names(settings: Settings, notifiers: Iterable[EntryPoint]) -> list[str]:
    names = {ep.name for ep in notifiers}
    names.update(route.name for route in settings.routes)
    return sorted(names)


def _check_notify(thesis: Thesis, routes: list[str]) -> list[ThesisError]:
    problems: list[ThesisError] = []
    for name in thesis.notify:
        if name not in routes:
            hint = did_you_mean(name, routes) or "routes: " + ", ".join(routes)
            problems.append(ThesisError(thesis.location, f"notify: unknown route or notifier {name!r}", hint))
    return problems
