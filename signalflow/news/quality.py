"""Precision and recall of the classifier on a labelled set of headlines.

The set is a CSV with the columns ``headline, label, kind, outlet, date, url``; an empty
``label`` means "not an event", and ``kind`` marks look-alikes and negations so that the
report can say how each group fared.
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
            Labelled(r["headline"], r["label"] or None, r["kind"], r["outlet"], r["date"], r["url"])
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
