"""When EDGAR accepted each filing: the instant its facts became public.

``companyfacts`` dates a fact only by its filing's ``filed`` day; ``submissions`` gives each
accession's ``acceptanceDateTime`` (UTC, e.g. ``2024-08-01T22:03:34.000Z`` for a 10-Q filed
after 17:30 ET and dated the next business day). A fact is known from its accession's
acceptance where it is known, else from the end of its filing day in New York.

What submissions says of each filing is kept per company in one place,
``data_dir/sec_filings/CIK##########.json`` (:class:`FilingIndex`): accession, form, report date,
acceptance time and primary document of every filing of the ``recent`` list, and the acceptance
time of every filing of the older pages collection reads. It is written by collection and by
importing a submissions file, and read for a companyfacts file's facts, a filing document
imported later, and the filings collection reads from the archive.

Earlier versions also kept the acceptance times apart, in
``data_dir/sec_accepted/CIK##########.json`` (accession -> ISO instant). Such a file is still
read, and folded into ``sec_filings`` (then removed) the next time the company's filings are
written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from signalflow.sources.captured import parse_instant

if TYPE_CHECKING:
    from signalflow.sources.sec_xbrl import XbrlDocument

FILINGS_DIR = "sec_filings"
LEGACY_DIR = "sec_accepted"


@dataclass(frozen=True, slots=True)
class FilingRecord:
    """What submissions says of one filing (form, report date and document are empty for a
    filing known only by its acceptance time)."""

    accession: str
    form: str
    report_date: str
    accepted: datetime  # naive UTC
    primary_document: str = ""


def filing_records(submissions: Mapping) -> list[FilingRecord]:
    """Every filing with an acceptance time in a submissions payload, or in one of its older
    pages (``CIK##########-submissions-001.json``, the same arrays at the top)."""
    filings = submissions.get("filings")
    table = filings.get("recent") if isinstance(filings, Mapping) else submissions
    if not isinstance(table, Mapping):
        return []

    def column(name: str) -> list:
        values = table.get(name)
        return values if isinstance(values, list) else []

    forms, reports, documents = column("form"), column("reportDate"), column("primaryDocument")

    def text(values: list, i: int) -> str:
        return values[i] if i < len(values) and isinstance(values[i], str) else ""

    out = []
    for i, (accn, stamp) in enumerate(zip(column("accessionNumber"), column("acceptanceDateTime"))):
        instant = parse_instant(stamp)
        if isinstance(accn, str) and instant is not None:
            out.append(FilingRecord(accn, text(forms, i), text(reports, i), instant, text(documents, i)))
    return out


def acceptance_times(submissions: Mapping) -> dict[str, datetime]:
    """accession -> acceptance instant (naive UTC) from a submissions payload or an older page."""
    return {r.accession: r.accepted for r in filing_records(submissions)}


class FilingIndex:
    """Each company's filings from its submissions, kept in ``data_dir/sec_filings`` so that
    facts and filing documents imported later know when their filing was accepted."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = Path(data_dir) / FILINGS_DIR
        self.legacy = Path(data_dir) / LEGACY_DIR

    def _path(self, cik: int) -> Path:
        return self.directory / f"CIK{cik:010d}.json"

    def _legacy_path(self, cik: int) -> Path:
        return self.legacy / f"CIK{cik:010d}.json"

    def add(self, cik: int, submissions: Mapping, older_pages: Iterable[Mapping] = ()) -> dict[str, datetime]:
        """Keep the filings of ``submissions``, and the acceptance times of its ``older_pages``;
        every acceptance time now kept for ``cik``."""
        known = {r.accession: r for r in self.records(cik)}
        for record in filing_records(submissions):
            known[record.accession] = record
        # Older pages give their acceptance times only, as before: the archive reads the
        # latest filings of the recent list (:mod:`.sec_archive`), and a record already kept
        # keeps its form and documents.
        for page in older_pages:
            for accn, when in acceptance_times(page).items():
                old = known.get(accn)
                known[accn] = replace(old, accepted=when) if old else FilingRecord(accn, "", "", when)
        if cik and known:
            self._write(cik, known.values())
        return {a: r.accepted for a, r in known.items()}

    def _write(self, cik: int, records: Iterable[FilingRecord]) -> None:
        rows = [asdict(r) | {"accepted": r.accepted.isoformat()} for r in sorted(records, key=lambda r: r.accession)]
        path = self._path(cik)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(rows, indent=0))
        tmp.replace(path)
        # Everything of the legacy file is in the one just written: it is no longer needed.
        self._legacy_path(cik).unlink(missing_ok=True)
        try:
            self.legacy.rmdir()
        except OSError:  # absent, or other companies' files still to fold in
            pass

    def _kept(self, cik: int) -> list[FilingRecord]:
        try:
            rows = json.loads(self._path(cik).read_text("utf-8"))
        except (OSError, ValueError):
            return []
        return [FilingRecord(**(r | {"accepted": datetime.fromisoformat(r["accepted"])})) for r in rows]

    def _legacy(self, cik: int) -> dict[str, datetime]:
        try:
            raw = json.loads(self._legacy_path(cik).read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict):
            return {}
        return {k: t for k, v in raw.items() if (t := parse_instant(v)) is not None}

    def records(self, cik: int) -> list[FilingRecord]:
        """Every filing kept for ``cik``, with the times of a legacy ``sec_accepted`` file (which
        were those the company's facts used) merged in."""
        known = {r.accession: r for r in self._kept(cik)}
        for accn, when in self._legacy(cik).items():
            old = known.get(accn)
            known[accn] = replace(old, accepted=when) if old else FilingRecord(accn, "", "", when)
        return sorted(known.values(), key=lambda r: r.accession)

    def accepted(self, cik: int) -> dict[str, datetime]:
        """accession -> acceptance instant of every filing kept for ``cik``."""
        return {r.accession: r.accepted for r in self.records(cik)}

    def find(self, cik: int, accession: str | None, doc: XbrlDocument) -> FilingRecord | None:
        """The filing by accession, else the one of the document's form and period (the
        original, not a later amendment)."""
        records = self.records(cik)
        if accession:
            return next((r for r in records if r.accession == accession), None)
        form = doc.dei.get("DocumentType", "").strip()
        end = doc.period_end
        matches = [r for r in records if end and r.form == form and r.report_date == end.isoformat()]
        return min(matches, key=lambda r: r.accepted) if matches else None
