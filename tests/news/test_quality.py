"""The labelled set's one split by story, and the story grouping scored on its duplicates."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from signalflow.news.classify import Classifier
from signalflow.news.extract import CompanyMatcher
from signalflow.news.quality import evaluate, evaluate_grouping, read_labelled
from signalflow.news.rules import Company

HEADLINES = Path(__file__).resolve().parents[1] / "data" / "headlines.csv"


def test_the_set_is_split_once_by_story():
    rows = read_labelled(HEADLINES)
    parts = defaultdict(set)
    for row in rows:
        parts[row.story_key].add(row.part)
    assert {row.part for row in rows} == {"dev", "test"}
    assert [key for key, found in parts.items() if len(found) > 1] == []  # no story on both sides
    test = [r for r in rows if r.part == "test"]
    assert 0.25 <= len(test) / len(rows) <= 0.45
    assert {r.label for r in test if r.label} == set(Classifier.default().labels)
    assert any(r.kind == "lookalike" for r in test)


def test_the_test_part_is_scored_per_label():
    test = [r for r in read_labelled(HEADLINES) if r.part == "test"]
    report = evaluate(Classifier.default(), test)
    assert {s.label for s in report.scores} == set(Classifier.default().labels)
    assert report.rows == len(test)


def test_story_grouping_on_the_labelled_duplicates():
    rows = read_labelled(HEADLINES)
    same_story = defaultdict(list)
    for row in rows:
        if row.story:
            same_story[row.story].append(row)
    assert len(same_story) >= 10 and all(len(v) >= 2 for v in same_story.values())
    score = evaluate_grouping(Classifier.default(), rows)
    assert score.pairs == sum(len(v) * (len(v) - 1) // 2 for v in same_story.values())
    assert score.precision == 1.0  # nothing grouped that is not one event
    assert score.recall >= 0.5  # syndicated copies and same-day rewrites join; see the benchmark for the rest


def test_a_name_inside_another_companys_name_is_still_found():
    matcher = CompanyMatcher(
        [Company("SO", "Southern Company", ("Georgia Power",)), Company("GEO", "Georgia", ()), Company("MSFT", "Microsoft")]
    )
    assert matcher.find("Georgia Power signs deal with Microsoft") == ("SO", "GEO", "MSFT")
    assert matcher.find("Microsoft and Southern Company") == ("MSFT", "SO")
    assert matcher.find("microsoft's plan") == ("MSFT",)
