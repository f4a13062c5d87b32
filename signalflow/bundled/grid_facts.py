"""ERCOT's interconnection queue, snapshot by snapshot, as a small bundled extract for the demo.

    facts = grid_facts()                          # signalflow/data/demo/grid_facts.csv
    fresh = extract_grid_facts(Path("../shared/data/infra"))
    assert [fact_row(f) for f in fresh] == [fact_row(f) for f in facts]

The ERCOT GIS reports themselves are not shipped: ``grid_facts.csv`` is DERIVED from five
monthly reports (run 2025-01-01, 2025-11-01, 2025-12-01, 2026-01-01, 2026-02-01) by the same
readers ``signalflow import`` uses (:func:`signalflow.sources.snapshots.read_snapshot`, then
:func:`signalflow.sources.snapshots.snapshot_batch` against the report before it, known from
the end of the run date in Central time, as ``import`` dates a self-dated report). Of what the
readers give, it keeps :data:`GRID_SERIES`, and a change series is summed per report: every
project's change between two reports has the same period and the same ``known_at``, so the
sum over any window (``sum(grid.ercot.cod_slip.mw, 90d)``) is the same as over the projects'
rows. Each row names the publisher, the report, its URLs (ERCOT's product page and the
public copy read) and the run date.

Regenerate it with ``python benchmarks/grid_demo_facts.py [INFRA_DIR]``
(:func:`write_grid_facts`); ``tests/bundled/test_grid_facts.py`` checks, where ``../shared``
is present, that regenerating gives exactly the bundled rows.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from signalflow.bundled.facts import Fact, demo_dir, load_facts

GRID_SERIES = ("grid.ercot.queue_mw", "grid.ercot.cod_slip.mw", "grid.ercot.new_request.mw")
ERCOT_PAGE = "https://www.ercot.com/mp/data-products/data-product-details?id=PG7-200-ER"
_MAPS = "https://github.com/yairtitelboim/Maps/blob/5a3b3f5bc9352c31ae84adb82cce98571e0da638/data/ercot/gis_reports/raw/"
_TGIR = "https://github.com/jippylong12/TexasGridInterconnectReporter/blob/"
# (path under INFRA_DIR/ercot_gis, the report's month, the public copy read), in run-date order.
ERCOT_REPORTS = (
    ("GIS_Report_December2024.xlsx", "December 2024", _MAPS + "GIS_Report_December2024.xlsx"),
    ("GIS_Report_October2025.xlsx", "October 2025", _MAPS + "GIS_Report_October2025.xlsx"),
    ("GIS_Report_November2025.xlsx", "November 2025", _MAPS + "GIS_Report_November2025.xlsx"),
    ("inputs/2025/12/file.xlsx", "December 2025", _TGIR + "78fc876964fab4e202a65f17d99dcbfc8cd5346e/inputs/2025/12/file.xlsx"),
    ("inputs/2026/01/file.xlsx", "January 2026", _TGIR + "851b0b7ab0f570416e82fb746df53526a014a6bd/inputs/2026/01/file.xlsx"),
)
COLUMNS = ("series", "period_start", "period_end", "value", "unit", "known_at", "source")
HEADER = (
    "# ERCOT's interconnection queue for `signalflow demo`, DERIVED from five monthly GIS reports\n"
    "# by signalflow's snapshot readers (signalflow/bundled/grid_facts.py); changes summed per report.\n"
    "# Regenerate: python benchmarks/grid_demo_facts.py ../shared/data/infra\n"
)


def grid_facts(path: Path | None = None) -> list[Fact]:
    """The bundled extract (``signalflow/data/demo/grid_facts.csv``), in file order."""
    return load_facts(path or demo_dir() / "grid_facts.csv")


def extract_grid_facts(infra: Path) -> list[Fact]:
    """The extract, read afresh from the ERCOT reports under ``infra/ercot_gis``."""
    from signalflow.series import KnownAtBasis, end_of_day, publisher_zone
    from signalflow.sources.snapshots import read_snapshot, snapshot_batch

    facts: list[Fact] = []
    previous = None
    for name, month, url in ERCOT_REPORTS:
        snapshot = read_snapshot(Path(infra) / "ercot_gis" / name, publisher="ercot")
        known_at = end_of_day(snapshot.as_of, publisher_zone("grid.ercot"))
        batch = snapshot_batch(snapshot, known_at, previous, None, KnownAtBasis.END_OF_DAY)
        report = (
            f"ERCOT, Generation Interconnection Status report for {month} ({Path(name).name}, run "
            f"{snapshot.as_of.isoformat()}, sheet Project Details - Large Gen), {ERCOT_PAGE}; copy read: {url}"
        )
        for key in GRID_SERIES:
            rows = [o for o in batch.observations if o.series == key]
            if not rows:
                continue
            (start,), (end,), (unit,) = {o.period_start for o in rows}, {o.period_end for o in rows}, {o.unit for o in rows}
            if key == "grid.ercot.queue_mw":
                what = "active projects' MW"
            else:
                what = f"sum of {len(rows)} projects' changes since the report run {previous.as_of.isoformat()}"
            facts.append(Fact(
                key,
                datetime.combine(start, datetime.min.time()),
                datetime.combine(end, datetime.min.time()),
                round(sum(o.value for o in rows), 3),
                unit,
                known_at,
                f"{report}; {what}",
            ))
        previous = snapshot
    return facts


def fact_row(fact: Fact) -> dict[str, str]:
    """A fact as the row ``grid_facts.csv`` holds."""
    return {
        "series": fact.series,
        "period_start": fact.period_start.date().isoformat(),
        "period_end": fact.period_end.date().isoformat(),
        "value": repr(float(fact.value)),
        "unit": fact.unit,
        "known_at": fact.known_at.isoformat(),
        "source": fact.source,
    }


def write_grid_facts(facts: list[Fact], path: Path | None = None) -> Path:
    """Write ``facts`` as ``grid_facts.csv`` (the bundled file by default)."""
    target = Path(path or demo_dir() / "grid_facts.csv")
    with target.open("w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER)
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(fact_row(f) for f in facts)
    return target
