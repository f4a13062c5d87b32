"""Thesis files to checked :class:`~signalflow.thesis.model.Thesis` values.

    thesis = load_thesis("rules/liquidity_regime.yaml")     # raises CheckFailed on errors
    ruleset = load_rules_dir("rules")                         # every thesis and every problem

Every expression is parsed with file positions, its names resolved (derived series, rules,
``growth``, ``liquidity``) and its calls matched against the function table. Problems are
collected, not raised one by one, so a user sees them all at once. Cross-file checks and
series references are the checker's (``thesis/check.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from signalflow.errors import CheckFailed, ConfigError, Location, ThesisError, ThesisSyntaxError, ThesisWarning
from signalflow.news.rules import WatchList, load_watchlist_full
from signalflow.sources.news_settings import NewsSettings
from signalflow.store.enums import RULE_SEVERITIES
from signalflow.suggest import did_you_mean
from signalflow.thesis.ast import Node
from signalflow.thesis.foreach import ForEach, expand, read_for_each, template_problem
from signalflow.thesis.functions_spec import FUNCTIONS, ValueKind
from signalflow.thesis.hypotheses_reader import read_hypotheses
from signalflow.thesis.lexer import KEYWORDS
from signalflow.thesis.limits import read_limited
from signalflow.thesis.model import LAYERS, Condition, Derived, For, Rule, Severity, Thesis
from signalflow.thesis.parser import parse_expression
from signalflow.thesis.layers import layer_cycle_problems
from signalflow.thesis.plan import read_plan
from signalflow.thesis.resolve import CONDITIONS, Resolver, cycle_problems
from signalflow.thesis.yamlnodes import Entry, NodeReader

if TYPE_CHECKING:
    from signalflow.settings import Settings

THESIS_KEYS = (
    "thesis", "title", "owner", "layer", "review_by", "links", "position", "series",
    "growth", "liquidity", "soft_warning", "kill_switch", "notify", "every", "hypotheses",
    "for_each", "plan",
)
CONDITION_KEYS = ("reason", "when")
RULE_KEYS = ("name", "when", "for", "keep_firing_for", "resolve_when", "stale_after", "summary")
DERIVED_KEYS = ("expr", "stale_after")
MAX_ID = 100  # what the store keeps of a thesis id and of a rule name
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class RuleSet:
    """Every thesis of a rules directory that loaded cleanly, and every problem found."""

    theses: tuple[Thesis, ...] = ()
    problems: tuple[ThesisError, ...] = ()
    files: tuple[Path, ...] = field(default=())

    @property
    def errors(self) -> list[ThesisError]:
        return [p for p in self.problems if not isinstance(p, ThesisWarning)]

    @property
    def warnings(self) -> list[ThesisError]:
        return [p for p in self.problems if isinstance(p, ThesisWarning)]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise :class:`CheckFailed` listing every error (warnings do not count)."""
        if self.errors:
            raise CheckFailed(self.errors)

    def get(self, thesis_id: str) -> Thesis:
        for thesis in self.theses:
            if thesis.id == thesis_id:
                return thesis
        raise KeyError(thesis_id)


def load_thesis(path: Path | str) -> Thesis:
    """The thesis in ``path``; raises :class:`CheckFailed` listing every problem found."""
    thesis, problems = read_thesis(path)
    errors = [p for p in problems if not isinstance(p, ThesisWarning)]
    if errors or thesis is None:
        raise CheckFailed(errors or [ThesisError(Location(path), "no thesis found")])
    return thesis


def read_thesis(path: Path | str, text: str | None = None) -> tuple[Thesis | None, list[ThesisError]]:
    """The thesis in ``path`` (None when it has errors) and every problem found; a
    ``for_each`` file gives its first expansion (:func:`read_theses` gives them all)."""
    theses, problems = read_theses(path, text)
    return (theses[0] if theses else None), problems


def read_theses(
    path: Path | str, text: str | None = None, watchlist: WatchList | Path | None = None
) -> tuple[list[Thesis], list[ThesisError]]:
    """The theses in ``path``: one, or one per value of its ``for_each`` (read against
    ``watchlist``, or the file named by ``watchlist_file``, plus the built-in watch list);
    empty when it has errors. Problems of a ``for_each`` template are reported once."""
    path = Path(path)
    if text is None:
        try:
            text = read_limited(path, "thesis file")
        except ThesisError as exc:
            return [], [exc]
    builder = _ThesisBuilder(path, text, watchlist)
    thesis = builder.build()
    spec = builder.for_each
    if spec is None or builder.reader.problems:
        return ([thesis] if thesis is not None else []), builder.reader.problems
    # The template: parsed and resolved once with a placeholder, then copied per value.
    template = _ThesisBuilder(path, text.replace(spec.marker, spec.placeholder), watchlist, spec)
    thesis = template.build()
    problems = [template_problem(p, spec) for p in template.reader.problems]
    if thesis is None or any(not isinstance(p, ThesisWarning) for p in problems):
        return [], problems
    theses = expand(thesis, spec)
    if too_long := [t.id for t in theses if len(t.id) > MAX_ID]:
        return [], [*problems, ThesisError(thesis.location, f"thesis id {too_long[0]!r} is longer than {MAX_ID} characters")]
    return theses, problems
def thesis_files(directory: Path | str) -> list[Path]:
    """The thesis files under ``directory``: every ``*.yaml``/``*.yml``, sorted."""
    directory = Path(directory)
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_rules_dir(directory: Path | str, settings: Settings | None = None) -> RuleSet:
    """Every thesis under ``directory`` with the problems of each file and the thesis ids
    that appear in more than one file (both files named).

    ``settings`` supplies the user's watch list (``watchlist_file``) that ``for_each``
    lists and layers read. Checks against the configured sources are
    :func:`signalflow.thesis.check.check_dir`'s."""
    directory = Path(directory)
    if not directory.is_dir():
        problem = ThesisError(Location(directory), "rules directory not found", "set SIGNALFLOW_RULES_DIR or pass DIR")
        return RuleSet(problems=(problem,))
    return load_files(thesis_files(directory), watchlist_file(settings))


def watchlist_file(settings: Settings | None) -> Path | None:
    """The user's watch list (the ``watchlist_file`` setting), or None."""
    if settings is None:
        return None
    return settings.section(NewsSettings).watchlist_file


def load_files(paths: Iterable[Path | str], watchlist: WatchList | Path | None = None) -> RuleSet:
    """Like :func:`load_rules_dir` over an explicit list of files."""
    theses: list[Thesis] = []
    problems: list[ThesisError] = []
    files = [Path(p) for p in paths]
    for path in files:
        found_theses, found = read_theses(path, watchlist=watchlist)
        problems.extend(found)
        if not any(not isinstance(p, ThesisWarning) for p in found):
            theses.extend(found_theses)
    first_seen: dict[str, Thesis] = {}
    kept: list[Thesis] = []
    for thesis in theses:
        earlier = first_seen.get(thesis.id)
        if earlier is not None:
            problems.append(
                ThesisError(
                    thesis.location,
                    f"duplicate thesis id {thesis.id!r}: also defined in {earlier.location}",
                    "thesis ids must be unique across all files",
                )
            )
            continue
        first_seen[thesis.id] = thesis
        kept.append(thesis)
    looped, kept = layer_cycle_problems(kept)
    problems.extend(looped)
    return RuleSet(tuple(kept), tuple(problems), tuple(files))


class _ThesisBuilder:
    """Builds one thesis from its file, reporting into ``reader.problems``."""

    def __init__(self, path: Path, text: str, watchlist: WatchList | Path | None = None, spec: ForEach | None = None) -> None:
        self.path = path
        self.reader = NodeReader(path, text)
        self.watchlist = watchlist
        self.for_each = spec  # given when building a template; read from the file otherwise
        self.template = spec is not None

    def read_watchlist(self, node: yaml.Node) -> WatchList | None:
        if isinstance(self.watchlist, WatchList):
            return self.watchlist
        try:
            return load_watchlist_full(self.watchlist)
        except ConfigError as exc:
            self.problem(node, f"cannot read the watch list: {exc}")
            return None

    def problem(self, node: yaml.Node, text: str, hint: str | None = None) -> None:
        self.reader.problem(node, text, hint)

    def build(self) -> Thesis | None:
        r = self.reader
        root = r.compose()
        if root is None:
            if not r.problems:
                r.problems.append(ThesisError(Location(self.path, 1, 1), "empty file: a thesis file is a YAML mapping"))
            return None
        top = r.mapping(root, "a thesis file", THESIS_KEYS, ("thesis", "growth", "liquidity"))
        if top is None:
            return None
        if "for_each" in top and not self.template:
            entry = top["for_each"]
            # The watch list is read only for {list: ...} or {layer: ...}, not for literal values.
            literal = isinstance(entry.value, yaml.MappingNode) and all(
                isinstance(v, yaml.SequenceNode) for _, v in entry.value.value
            )
            self.for_each = read_for_each(r, entry, None if literal else self.read_watchlist(entry.value))
            return None  # built again as a template, with the variable as a placeholder
        thesis_id = self.thesis_id(top.get("thesis"))
        raw_series = self.raw_series(top.get("series"))
        raw_rules = {sev: self.raw_rules(top.get(sev.value), sev) for sev in RULE_SEVERITIES}
        raw_conditions = {name: self.raw_condition(top.get(name), name) for name in CONDITIONS}
        for severity, items in raw_rules.items():
            if not items and not any(p.problem.startswith(f"{severity.value} must") for p in r.problems):
                where = top[severity.value].value if severity.value in top else root
                self.problem(
                    where,
                    f"a thesis needs at least one {severity.value} rule",
                    "decide before any position exists what would make you act",
                )
        rule_names = self.rule_names(raw_rules, raw_series)
        hypotheses = read_hypotheses(self, top.get("hypotheses"), raw_series)
        resolver = Resolver(self.path, raw_series, rule_names, {h.name: h.verify for h in hypotheses})
        series = {name: self.derived(resolver, d) for name, d in raw_series.items()}
        conditions = {name: self.condition(resolver, c) for name, c in raw_conditions.items() if c}
        rules = {sev: tuple(self.rule(resolver, x, sev) for x in raw) for sev, raw in raw_rules.items()}
        plan = read_plan(self, top.get("plan"), resolver)
        r.problems.extend(resolver.problems)
        r.problems.extend(cycle_problems(series, conditions, [x for group in rules.values() for x in group]))
        meta = self.metadata(top)
        if r.problems or thesis_id is None or len(conditions) < 2:
            return None
        return Thesis(
            id=thesis_id,
            title=meta.pop("title") or thesis_id,
            path=self.path,
            location=r.loc(top["thesis"].key_node),
            growth=conditions["growth"],
            liquidity=conditions["liquidity"],
            soft_warning=rules[Severity.SOFT_WARNING],
            kill_switch=rules[Severity.KILL_SWITCH],
            series=series,
            hypotheses=hypotheses,
            plan=plan,
            **meta,
        )

    def thesis_id(self, entry: Entry | None) -> str | None:
        if entry is None:
            return None
        value = self.reader.string(entry.value, "thesis")
        if value is not None and not ID_PATTERN.match(value):
            self.problem(entry.value, f"thesis id {value!r} must be lowercase letters, digits and '_', starting with a letter")
            return None
        return value

    def metadata(self, top: dict[str, Entry]) -> dict:
        r = self.reader
        meta: dict = {"title": ""}
        for key in ("title", "owner"):
            if key in top and (value := r.string(top[key].value, key)) is not None:
                meta[key] = value
        if "layer" in top and (layer := r.string(top["layer"].value, "layer")) is not None:
            if layer in LAYERS:
                meta["layer"] = layer
            else:
                hint = did_you_mean(layer, LAYERS) or "layers: " + ", ".join(LAYERS)
                self.problem(top["layer"].value, f"unknown layer {layer!r}", hint)
        if "review_by" in top:
            meta["review_by"] = r.date(top["review_by"].value, "review_by")
        for key in ("links", "notify"):
            if key in top and (values := r.strings(top[key].value, key)) is not None:
                meta[key] = values
        if "position" in top:
            meta["position"] = self.position(top["position"].value)
        if "every" in top and (every := r.duration(top["every"].value, "every")) is not None:
            if every <= timedelta(0):
                self.problem(top["every"].value, "every must be a positive duration")
            else:
                meta["every"] = every
        return {k: v for k, v in meta.items() if v is not None}

    def position(self, node: yaml.Node) -> dict[str, str]:
        r = self.reader
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, "position must be a mapping of checklist items (name: text)")
            return {}
        out: dict[str, str] = {}
        for key_node, value in node.value:
            text = r.string(value, f"position.{key_node.value}")
            if text is not None:
                out[str(key_node.value)] = text
        return out

    def raw_series(self, entry: Entry | None) -> dict[str, tuple[yaml.Node, Node, str, timedelta | None]]:
        """Derived series by name: (name node, parsed expression, text, stale_after)."""
        if entry is None:
            return {}
        r = self.reader
        if not isinstance(entry.value, yaml.MappingNode):
            if not r.is_null(entry.value):
                self.problem(entry.value, "series must be a mapping of name: expression")
            return {}
        out: dict[str, tuple[yaml.Node, Node, str, timedelta | None]] = {}
        for key_node, value in entry.value.value:
            name = str(key_node.value)
            if not self.valid_name(key_node, name, "derived series"):
                continue
            if name in out:
                self.problem(key_node, f"duplicate derived series {name!r}")
                continue
            stale = None
            expr_node = value
            if isinstance(value, yaml.MappingNode):
                fields = r.mapping(value, f"series {name}", DERIVED_KEYS, ("expr",), key_node)
                if fields is None or "expr" not in fields:
                    continue
                expr_node = fields["expr"].value
                if "stale_after" in fields:
                    stale = r.duration(fields["stale_after"].value, f"series {name}: stale_after")
            parsed = self.expression(expr_node, f"series {name}")
            if parsed is not None:
                out[name] = (key_node, parsed[0], parsed[1], stale)
        return out

    def raw_condition(self, entry: Entry | None, name: str) -> tuple[yaml.Node, str, Node, str] | None:
        if entry is None:
            return None
        fields = self.reader.mapping(entry.value, name, CONDITION_KEYS, ("reason", "when"), entry.key_node)
        if fields is None or "when" not in fields:
            return None
        reason = ""
        if "reason" in fields:
            reason = (self.reader.string(fields["reason"].value, f"{name}.reason") or "").strip()
            if not reason:
                self.problem(fields["reason"].value, f"{name}.reason is empty", f"say in words why {name} holds")
        parsed = self.expression(fields["when"].value, f"{name}.when")
        if parsed is None:
            return None
        return entry.key_node, reason, parsed[0], parsed[1]

    def raw_rules(self, entry: Entry | None, severity: Severity) -> list[tuple[yaml.Node, dict[str, Entry]]]:
        what = severity.value
        if entry is None:
            return []
        items = self.reader.sequence(entry.value, what)
        out = []
        for item in items or []:
            fields = self.reader.mapping(item, f"a {what} rule", RULE_KEYS, ("name", "when"))
            if fields is not None and "name" in fields and "when" in fields:
                out.append((item, fields))
        return out

    def rule_names(self, raw_rules: dict, raw_series: dict) -> set[str]:
        names: set[str] = set()
        for severity, items in raw_rules.items():
            for _, fields in items:
                node = fields["name"].value
                name = self.reader.string(node, "rule name")
                if name is None or not self.valid_name(node, name, "rule"):
                    continue
                if name in names:
                    self.problem(node, f"duplicate rule name {name!r}", "rule names must be unique within a thesis")
                elif name in raw_series:
                    self.problem(node, f"rule {name!r} has the name of a derived series", "rename one of them")
                names.add(name)
        return names

    def valid_name(self, node: yaml.Node, name: str, what: str) -> bool:
        if not NAME_PATTERN.match(name):
            self.problem(node, f"{what} name {name!r} must be letters, digits and '_'")
            return False
        if name in KEYWORDS or name in CONDITIONS or name in FUNCTIONS:
            self.problem(node, f"{what} name {name!r} is reserved", "choose another name")
            return False
        if what == "rule" and len(name) > MAX_ID:
            # alerts, decisions and Slack's buttons keep a rule's name whole, up to this
            self.problem(node, f"rule name {name[:20]}... is longer than {MAX_ID} characters", "choose a shorter name")
            return False
        return True

    def expression(self, node: yaml.Node, what: str) -> tuple[Node, str] | None:
        if not isinstance(node, yaml.ScalarNode) or self.reader.is_null(node):
            self.problem(node, f"{what} must be an expression, e.g. fred.DGS10 > 4.5")
            return None
        text, line, column = self.reader.expression_source(node)
        try:
            return parse_expression(text, self.path, line, column), " ".join(node.value.split())
        except ThesisSyntaxError as exc:
            self.reader.problems.append(exc)
            return None

    def derived(self, resolver: Resolver, raw: tuple) -> Derived:
        key_node, expr, text, stale = raw
        name = str(key_node.value)
        resolved = resolver.resolve(expr, ValueKind.NUMBER, f"derived series {name}", derived=name)
        return Derived(name, resolved, text, self.reader.loc(key_node), stale)

    def condition(self, resolver: Resolver, raw: tuple) -> Condition:
        key_node, reason, expr, text = raw
        name = key_node.value
        resolved = resolver.resolve(expr, ValueKind.BOOL, f"{name}.when")
        return Condition(reason, resolved, text, self.reader.loc(key_node))

    def rule(self, resolver: Resolver, raw: tuple[yaml.Node, dict[str, Entry]], severity: Severity) -> Rule:
        _, fields = raw
        r = self.reader
        name = r.string(fields["name"].value, "rule name") or ""
        parsed = self.expression(fields["when"].value, f"rule {name}: when")
        when, when_text = parsed if parsed else (None, "")
        if when is not None:
            when = resolver.resolve(when, ValueKind.BOOL, f"rule {name}: when")
        resolve_when, resolve_text = None, ""
        if "resolve_when" in fields:
            parsed = self.expression(fields["resolve_when"].value, f"rule {name}: resolve_when")
            if parsed is not None:
                resolve_when = resolver.resolve(parsed[0], ValueKind.BOOL, f"rule {name}: resolve_when")
                resolve_text = parsed[1]
        for_ = For()
        if "for" in fields and (value := r.for_value(fields["for"].value, f"rule {name}: for")) is not None:
            for_ = For(duration=value[0], releases=value[1])
        keep = r.duration(fields["keep_firing_for"].value, f"rule {name}: keep_firing_for", zero=True) if "keep_firing_for" in fields else None
        stale = r.duration(fields["stale_after"].value, f"rule {name}: stale_after") if "stale_after" in fields else None
        summary = (r.string(fields["summary"].value, f"rule {name}: summary") or "") if "summary" in fields else ""
        return Rule(
            name=name,
            severity=severity,
            when=when,  # type: ignore[arg-type]  # None only when a problem was reported
            when_text=when_text,
            location=r.loc(fields["name"].value),
            for_=for_,
            keep_firing_for=keep,
            resolve_when=resolve_when,
            resolve_when_text=resolve_text,
            stale_after=stale,
            summary=summary.strip(),
        )
