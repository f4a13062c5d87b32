"""The classification rules and the watch list, read from YAML data files.

The built-in files live in ``signalflow/data`` (``news_rules.yaml``, ``watchlist.yaml``);
The settings ``news_rules_file`` and ``watchlist_file`` add to them. A user rule with
the name of a built-in rule replaces it; other user rules are tried before the built-ins,
so a user can always override. A user company with a known ticker adds its aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from signalflow.errors import ConfigError

# libyaml's loader when PyYAML was built with it: the built-in rules parse ten times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

LABELS: tuple[str, ...] = (
    "power_contract",
    "deployment_delay",
    "order_cut",
    "power_unavailable",
    "capex_raise",
    "capex_cut",
)


@dataclass(frozen=True)
class Rule:
    """A named rule: any ``patterns`` match, with at least one ``context`` match when context
    is given, no ``exclude`` match, and no negation cue just before the pattern match."""

    name: str
    label: str
    patterns: tuple[re.Pattern[str], ...]
    context: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()
    negatable: bool = True
    origin: str = ""  # file the rule came from, for messages


@dataclass(frozen=True)
class Company:
    """A watch-list company; ``aliases`` are the names headlines use for it."""

    ticker: str
    name: str
    aliases: tuple[str, ...] = ()
    layer: str = ""  # the layer of the stack it sits in, for ``for_each: {ticker: {layer: ...}}``


@dataclass(frozen=True)
class WatchList:
    """The companies and the named lists of tickers (``lists:``) theses expand over."""

    companies: tuple[Company, ...]
    lists: dict[str, tuple[str, ...]]

    def layer(self, name: str) -> tuple[str, ...]:
        """The tickers of the companies in layer ``name``, in watch-list order."""
        return tuple(c.ticker for c in self.companies if c.layer == name)


@dataclass(frozen=True)
class RuleSet:
    """The rules in the order they are tried, and the negation cues they share."""

    rules: tuple[Rule, ...]
    negations: tuple[re.Pattern[str], ...]
    negation_window: int = 40  # characters before a match where a cue negates it

    @property
    def labels(self) -> tuple[str, ...]:
        extra = sorted({r.label for r in self.rules} - set(LABELS))
        return LABELS + tuple(extra)


def _compile(origin: str, where: str, patterns: Any) -> tuple[re.Pattern[str], ...]:
    if patterns is None:
        return ()
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list):
        raise ConfigError(origin, f"{where} must be a list of regular expressions")
    compiled = []
    for text in patterns:
        try:
            compiled.append(re.compile(str(text), re.IGNORECASE))
        except re.error as exc:
            raise ConfigError(origin, f"{where}: bad regular expression {text!r}: {exc}") from None
    return tuple(compiled)


def _read_yaml(path: Path | str, text: str | None = None) -> dict[str, Any]:
    origin = str(path)
    try:
        data = yaml.load(text if text is not None else Path(path).read_text(encoding="utf-8"), Loader=_LOADER)
    except OSError as exc:
        raise ConfigError(origin, f"cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(origin, f"not valid YAML{line}: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(origin, "must be a YAML mapping")
    return data


def parse_rules(data: dict[str, Any], origin: str) -> tuple[list[Rule], list[re.Pattern[str]]]:
    """Rules and negation cues from the mapping of one rules file."""
    rules = []
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        raise ConfigError(origin, "'rules' must be a list")
    for index, raw in enumerate(raw_rules, 1):
        if not isinstance(raw, dict) or "name" not in raw or "label" not in raw:
            raise ConfigError(origin, f"rule #{index} needs at least 'name', 'label' and 'patterns'")
        name = str(raw["name"])
        label = str(raw["label"])
        if not re.fullmatch(r"[a-z][a-z0-9_]*", label):
            raise ConfigError(origin, f"rule {name}: label {label!r} must match [a-z][a-z0-9_]*")
        unknown = set(raw) - {"name", "label", "patterns", "context", "exclude", "negatable", "note"}
        if unknown:
            raise ConfigError(origin, f"rule {name}: unknown key(s) {', '.join(sorted(unknown))}")
        patterns = _compile(origin, f"rule {name} patterns", raw.get("patterns"))
        if not patterns:
            raise ConfigError(origin, f"rule {name} has no patterns")
        rules.append(
            Rule(
                name=name,
                label=label,
                patterns=patterns,
                context=_compile(origin, f"rule {name} context", raw.get("context")),
                exclude=_compile(origin, f"rule {name} exclude", raw.get("exclude")),
                negatable=bool(raw.get("negatable", True)),
                origin=origin,
            )
        )
    negations = list(_compile(origin, "negations", data.get("negations")))
    return rules, negations


def load_rules(extra: Path | None = None) -> RuleSet:
    """The built-in rules, with the user's file (if any) tried first."""
    rules, negations = parse_rules(_read_yaml(DATA_DIR / "news_rules.yaml"), "news_rules.yaml")
    window = 40
    if extra is not None:
        data = _read_yaml(extra)
        user_rules, user_negations = parse_rules(data, str(extra))
        replaced = {r.name for r in user_rules}
        rules = user_rules + [r for r in rules if r.name not in replaced]
        negations += user_negations
        window = int(data.get("negation_window", window))
    return RuleSet(rules=tuple(rules), negations=tuple(negations), negation_window=window)


def rule_labels(extra: Path | None = None) -> tuple[str, ...]:
    """The labels :func:`load_rules` would give (``RuleSet.labels``), read without compiling
    a pattern: what ``signalflow check`` needs to know a ``news.LABEL`` reference."""
    raw = _rules_of(_read_yaml(DATA_DIR / "news_rules.yaml"), "news_rules.yaml")
    if extra is not None:
        user = _rules_of(_read_yaml(extra), str(extra))
        replaced = {name for name, _ in user}
        raw = user + [(name, label) for name, label in raw if name not in replaced]
    extra_labels = sorted({label for _, label in raw} - set(LABELS))
    return LABELS + tuple(extra_labels)


def _rules_of(data: dict[str, Any], origin: str) -> list[tuple[str, str]]:
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        raise ConfigError(origin, "'rules' must be a list")
    out = []
    for index, raw in enumerate(raw_rules, 1):
        if not isinstance(raw, dict) or "name" not in raw or "label" not in raw:
            raise ConfigError(origin, f"rule #{index} needs at least 'name', 'label' and 'patterns'")
        out.append((str(raw["name"]), str(raw["label"])))
    return out


def parse_watchlist(data: dict[str, Any], origin: str) -> list[Company]:
    raw = data.get("companies") or []
    if not isinstance(raw, list):
        raise ConfigError(origin, "'companies' must be a list")
    companies = []
    for index, item in enumerate(raw, 1):
        if not isinstance(item, dict) or "ticker" not in item:
            raise ConfigError(origin, f"company #{index} needs a 'ticker'")
        ticker = str(item["ticker"]).upper()
        aliases = item.get("aliases") or []
        if not isinstance(aliases, list):
            raise ConfigError(origin, f"company {ticker}: 'aliases' must be a list")
        layer = str(item.get("layer") or "")
        companies.append(Company(ticker, str(item.get("name", ticker)), tuple(str(a) for a in aliases), layer))
    return companies


def parse_lists(data: dict[str, Any], origin: str) -> dict[str, tuple[str, ...]]:
    """The named lists of one watch-list file (``lists: {name: [TICKER, ...]}``)."""
    raw = data.get("lists") or {}
    if not isinstance(raw, dict):
        raise ConfigError(origin, "'lists' must be a mapping of name: [TICKER, ...]")
    out = {}
    for name, tickers in raw.items():
        if not isinstance(tickers, list) or not tickers:
            raise ConfigError(origin, f"list {name}: must be a non-empty list of tickers")
        out[str(name)] = tuple(str(t).upper() for t in tickers)
    return out


def load_watchlist_full(extra: Path | None = None) -> WatchList:
    """The merged companies (see :func:`load_watchlist`) and named lists: the user's file
    replaces a built-in list of the same name; a user company's ``layer`` wins."""
    builtin = _read_yaml(DATA_DIR / "watchlist.yaml")
    lists = parse_lists(builtin, "watchlist.yaml")
    if extra is not None:
        lists.update(parse_lists(_read_yaml(extra), str(extra)))
    return WatchList(load_watchlist(extra), lists)


def load_watchlist(extra: Path | None = None) -> tuple[Company, ...]:
    """The built-in watch list merged with the user's file: same ticker adds aliases."""
    builtin = parse_watchlist(_read_yaml(DATA_DIR / "watchlist.yaml"), "watchlist.yaml")
    merged: dict[str, Company] = {c.ticker: c for c in builtin}
    if extra is not None:
        for company in parse_watchlist(_read_yaml(extra), str(extra)):
            known = merged.get(company.ticker)
            if known is None:
                merged[company.ticker] = company
            else:
                aliases = known.aliases + tuple(a for a in company.aliases if a not in known.aliases)
                merged[company.ticker] = Company(known.ticker, known.name, aliases, company.layer or known.layer)
    return tuple(merged.values())
