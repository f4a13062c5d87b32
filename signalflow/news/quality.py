"""Precision and recall of the classifier on a labelled set of headlines.

The set is a CSV with the columns ``headline, label, kind, outlet, date, url, story, part``;
an empty ``label`` means "not an event", ``kind`` marks look-alikes and negations so that the
report can say how each group fared, ``story`` names the event a row reports when another
row reports it too (empty: a story of its own), and ``part`` is the row's side of the one
split by story into a development part (``dev``, what rules may be tuned on) and a test part.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from signalflow.news.classify import Classifier


@dataclass(frozen=True)
class Labelled:
    headline: str
    label: str | None
    kind: str
    outlet: str
    date: str
    url: str
    story: str = ""  # rows reporting one event share it; empty for a story of its own
    part: str = "dev"  # dev | test

    @property
    def story_key(self) -> str:
        return self.story or self.url + "\n" + self.headline


@dataclass(frozen=True)
class LabelScore:
    label: str
    support: int  # rows labelled so in the set
    predicted: int  # rows the classifier labelled so
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.support if self.support else 1.0


@dataclass(frozen=True)
class Report:
    scores: tuple[LabelScore, ...]
    mistakes: tuple[tuple[Labelled, str | None, str], ...]  # row, predicted label, rule
    lookalikes_as_events: tuple[Labelled, ...]
    rows: int


def read_labelled(path: Path) -> list[Labelled]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            Labelled(
                r["headline"], r["label"] or None, r["kind"], r["outlet"], r["date"], r["url"],
                r.get("story") or "", r.get("part") or "dev",
            )  # fmt: skip
            for r in csv.DictReader(handle)
        ]


def evaluate(classifier: Classifier, rows: Iterable[Labelled]) -> Report:
    """Score every positive label of the classifier over ``rows``."""
    rows = list(rows)
    predictions = [classifier.classify(r.headline) for r in rows]
    scores = []
    for label in classifier.labels:
        support = sum(r.label == label for r in rows)
        predicted = sum(p.label == label for p in predictions)
        correct = sum(r.label == label and p.label == label for r, p in zip(rows, predictions))
        if support or predicted:
            scores.append(LabelScore(label, support, predicted, correct))
    mistakes = tuple((r, p.label, p.rule) for r, p in zip(rows, predictions) if r.label != p.label)
    lookalikes = tuple(r for r, p in zip(rows, predictions) if r.kind == "lookalike" and p.label is not None)
    return Report(tuple(scores), mistakes, lookalikes, len(rows))


@dataclass(frozen=True)
class GroupingScore:
    """Pairwise scores of the story grouping: over all pairs of rows, "same story" predicted
    against "same story" labelled."""

    pairs: int  # labelled same-story pairs
    predicted: int  # pairs the grouping put in one story
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.pairs if self.pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def group_stories(classifier: Classifier, rows: Iterable[Labelled]) -> list[str]:
    """The story each row is put in by the grouping, rows taken in date order with their
    labelled label (so the grouping is scored apart from the classifier)."""
    from datetime import datetime

    from signalflow.news.stories import StoryIndex
    from signalflow.series import Event

    rows = list(rows)
    index = StoryIndex()
    out = [""] * len(rows)
    day = ""
    for i in sorted(range(len(rows)), key=lambda i: rows[i].date):
        row = rows[i]
        if row.date != day:  # as a collector does between runs: stories past the window close
            day = row.date
            index.prune(datetime.fromisoformat(day))
        c = classifier.classify(row.headline)
        event = Event(
            source=row.outlet, entry_id=f"row{i}", title=row.headline, link=row.url,
            published=datetime.fromisoformat(row.date), label=row.label or "none", mw=c.mw, amount_usd=c.amount_usd,
            companies=c.companies, outlet=row.outlet,
            details={"locations": list(c.details.locations)} if c.details else {},
        )  # fmt: skip
        assignment = index.assign(event)
        assert assignment is not None
        out[i] = assignment.story.id
    return out


def evaluate_grouping(classifier: Classifier, rows: Iterable[Labelled]) -> GroupingScore:
    rows = list(rows)
    predicted = group_stories(classifier, rows)
    gold = [r.story_key for r in rows]
    pairs = guessed = correct = 0
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            same, said = gold[i] == gold[j], predicted[i] == predicted[j]
            pairs += same
            guessed += said
            correct += same and said
    return GroupingScore(pairs, guessed, correct)
