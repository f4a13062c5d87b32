"""``sec.*`` references: a reference taken apart (:class:`SecRef`), the ticker symbols it may
name, and the series names other than a metric or XBRL concept it may end in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from signalflow.sources.sec_derived import DERIVED_NAMES
from signalflow.sources.sec_filing import FILING_SERIES

TICKER = re.compile(r"^[A-Z][A-Z0-9-]{0,9}$")
SPECIAL = ("next_filing", *DERIVED_NAMES, *FILING_SERIES)
# customer_share[CustomerA]: one series per customer member a filing names.
FILTERED = re.compile(r"^customer_share\[[A-Za-z0-9_]+\]$")


@dataclass(frozen=True, slots=True)
class SecRef:
    """``sec.TICKER.name[.UNIT]`` taken apart."""

    ticker: str
    name: str
    unit: str = ""

    @classmethod
    def parse(cls, ref: str) -> SecRef | None:
        head, bracket, tail = ref.partition("[")
        parts = head.split(".")
        if bracket:  # sec.T.customer_share[CustomerA]: the filter belongs to the name
            parts[-1] += bracket + tail
        if len(parts) not in (3, 4) or parts[0] != "sec":
            return None
        return cls(parts[1].upper(), parts[2], parts[3] if len(parts) == 4 else "")
