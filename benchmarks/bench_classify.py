"""Print precision and recall per label of the news classifier on the labelled headlines.

    python benchmarks/bench_classify.py [tests/data/headlines.csv]

Target: at least 0.85 precision and recall on every positive label, and no look-alike
("flight delays", "power rankings", a car's "kill switch") classified as an event.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from signalflow.news.classify import Classifier
from signalflow.news.quality import evaluate, read_labelled

DEFAULT_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "headlines.csv"


def main(path: Path = DEFAULT_SET) -> int:
    rows = read_labelled(path)
    classifier = Classifier.default()
    started = time.perf_counter()
    report = evaluate(classifier, rows)
    elapsed = time.perf_counter() - started
    kinds = Counter(r.kind for r in rows)
    print(f"{report.rows} headlines ({', '.join(f'{k}: {n}' for k, n in sorted(kinds.items()))})")
    print(f"{'label':<20}{'support':>8}{'predicted':>10}{'precision':>10}{'recall':>8}")
    for s in report.scores:
        print(f"{s.label:<20}{s.support:>8}{s.predicted:>10}{s.precision:>10.2f}{s.recall:>8.2f}")
    print(f"look-alikes classified as events: {len(report.lookalikes_as_events)}")
    for row, predicted, rule in report.mistakes:
        print(f"  expected {row.label or 'none'}, got {predicted or 'none'} ({rule or '-'}): {row.headline}")
    print(f"classified in {elapsed * 1000:.1f} ms ({elapsed / max(report.rows, 1) * 1e6:.0f} us per headline)")
    ok = all(s.precision >= 0.85 and s.recall >= 0.85 for s in report.scores) and not report.lookalikes_as_events
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SET))
