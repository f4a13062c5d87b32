"""A transparent, rule-based headline classifier.

Rules are tried in order; the first rule that matches decides the label, and the result
names it. A rule matches when one of its patterns occurs, at least one of its context
patterns occurs somewhere in the text (when it has any), none of its exclusions occurs, and
no negation cue ("no", "denies", "rules out") stands in the same clause just before the
pattern, or right after it ("... delay denied"). Nothing is learned: what decides is on the page.

    >>> from signalflow.news.classify import Classifier
    >>> Classifier.default().classify("Microsoft signs 300 MW power deal").label
    'power_contract'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from signalflow.news.extract import CompanyMatcher, extract_mw, extract_usd, plain_text
from signalflow.news.details import Details, details
from signalflow.news.language import detect
from signalflow.news.rules import Company, Rule, RuleSet, load_rules, load_watchlist

# A clause ends at these, so "no pause on capex, but delays Ohio site" still counts the delay.
_CLAUSE_BREAK = re.compile(r"[.;:!?]\s|,\s*(?:but|while|as|after)\b|\b(?:but|while|though|yet)\b", re.IGNORECASE)
SUMMARY_CHARS = 400  # summaries run long; the lead paragraph carries the news


@dataclass(frozen=True)
class Classification:
    """What the classifier decided about one text, and why."""

    text: str
    label: str | None
    rule: str = ""  # the rule that decided; empty when nothing matched
    matched: str = ""  # the text the rule's pattern matched
    mw: float | None = None
    amount_usd: float | None = None
    companies: tuple[str, ...] = ()
    negated: tuple[str, ...] = field(default=())  # rules that matched but were negated
    language: str = "en"  # ISO 639-1; an item in a language the rules are not for is left unlabelled
    details: Details | None = None  # counterparties, term, technology, places, the delay (labelled texts)

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "rule": self.rule or None,
            "matched": self.matched or None,
            "mw": self.mw,
            "amount_usd": self.amount_usd,
            "companies": list(self.companies),
            "negated": list(self.negated),
            "language": self.language,
            "details": self.details.as_dict() if self.details else None,
            "text": self.text,
        }


class Classifier:
    """Labels texts with a :class:`RuleSet` and extracts fields with a watch list.

    The rules are English: a text in another language (``news/language.py``) is left
    unlabelled rather than judged by them."""

    languages: frozenset[str] = frozenset({"en"})

    def __init__(self, rules: RuleSet, companies: tuple[Company, ...]) -> None:
        self.rules = rules
        self.matcher = CompanyMatcher(companies)

    @classmethod
    def default(cls, rules_file: Path | None = None, watchlist_file: Path | None = None) -> Classifier:
        """The built-in rules and watch list plus the user's files (cached per pair of paths)."""
        return _cached(rules_file, watchlist_file)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.rules.labels

    @property
    def tickers(self) -> tuple[str, ...]:
        return self.matcher.tickers

    def classify(self, title: str, summary: str = "") -> Classification:
        """Label ``title`` (and the start of ``summary``) and extract MW, USD and companies."""
        text = plain_text(title)
        if summary:
            lead = plain_text(summary)[:SUMMARY_CHARS]
            if lead and lead != text:
                text = f"{text}. {lead}" if text else lead
        language = detect(text)
        if language not in self.languages:
            return Classification(text=text, label=None, language=language)
        negated: list[str] = []
        label, rule_name, matched = None, "", ""
        for rule in self.rules.rules:
            outcome = self._match(rule, text)
            if outcome is None:
                continue
            hit, was_negated = outcome
            if was_negated:
                negated.append(rule.name)
                continue
            label, rule_name, matched = rule.label, rule.name, hit
            break
        return Classification(
            details=details(text, label, self.matcher) if label else None,
            text=text,
            label=label,
            rule=rule_name,
            matched=matched,
            mw=extract_mw(text),
            amount_usd=extract_usd(text),
            companies=self.matcher.find(text),
            negated=tuple(negated),
        )

    def _match(self, rule: Rule, text: str) -> tuple[str, bool] | None:
        """(matched text, negated) for the rule's first clean match, or None if it does not apply."""
        if any(p.search(text) for p in rule.exclude):
            return None
        if rule.context and not any(p.search(text) for p in rule.context):
            return None
        first_negated: str | None = None
        for pattern in rule.patterns:
            for match in pattern.finditer(text):
                if rule.negatable and self._negated(text, match.start(), match.end()):
                    first_negated = first_negated or match.group(0)
                    continue
                return match.group(0), False
        return (first_negated, True) if first_negated is not None else None

    def _negated(self, text: str, start: int, end: int) -> bool:
        window = text[max(0, start - self.rules.negation_window) : start]
        breaks = list(_CLAUSE_BREAK.finditer(window))
        if breaks:
            window = window[breaks[-1].end() :]
        if any(cue.search(window) for cue in self.rules.negations):
            return True
        after = text[end : end + 25]
        return bool(_NEGATED_AFTER.match(after))


_NEGATED_AFTER = re.compile(
    r"\s*(?:\w+\s+){0,2}(?:(?:was|were|is|are)\s+)?(?:denied|ruled out|dismissed|false|unfounded|rumou?rs? (?:denied|false))\b",
    re.IGNORECASE,
)


@cache
def _cached(rules_file: Path | None, watchlist_file: Path | None) -> Classifier:
    return Classifier(load_rules(rules_file), load_watchlist(watchlist_file))
