"""Real figures shipped with signalflow, each with its source and the instant it became known,
for the offline demo and the valuation backtests.

    from signalflow.bundled import facts_provider, valuation_facts
    provider = facts_provider(valuation_facts())   # a signalflow.series.MemoryProvider

ERCOT's interconnection queue for the demo (:func:`grid_facts`) is an extract the snapshot
readers derived from real GIS reports (:mod:`signalflow.bundled.grid_facts`).

These modules read the CSV files under ``signalflow/data/demo`` and ``signalflow/data/valuation``
and turn them into series frames; they sit beside the sources (they may use their
point-in-time rules) and know nothing of theses or drawing.
"""

from signalflow.bundled.facts import Fact, demo_dir, fact_frames, facts_provider, load_facts, valuation_dir
from signalflow.bundled.grid_facts import grid_facts
from signalflow.bundled.valuation_facts import nvda_facts, valuation_facts
from signalflow.bundled.vrt_facts import vrt_facts

__all__ = [
    "Fact",
    "demo_dir",
    "fact_frames",
    "facts_provider",
    "grid_facts",
    "load_facts",
    "nvda_facts",
    "valuation_dir",
    "valuation_facts",
    "vrt_facts",
]
