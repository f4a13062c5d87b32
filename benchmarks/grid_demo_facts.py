"""Regenerate ``signalflow/data/demo/grid_facts.csv`` from the ERCOT GIS reports in
``../shared/data/infra`` (the demo's grid thesis reads it; see
:mod:`signalflow.bundled.grid_facts`)::

    python benchmarks/grid_demo_facts.py [INFRA_DIR]   # default ../shared/data/infra
"""

from __future__ import annotations

import sys
from pathlib import Path

from signalflow.bundled.grid_facts import extract_grid_facts, write_grid_facts


def main(argv: list[str]) -> int:
    infra = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "infra"
    if not (infra / "ercot_gis").is_dir():
        print(f"{infra}: no ercot_gis folder (the ERCOT GIS reports of ../shared/data/infra)", file=sys.stderr)
        return 2
    path = write_grid_facts(extract_grid_facts(infra))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
