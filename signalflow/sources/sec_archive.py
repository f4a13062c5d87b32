"""Fetching a filing's XBRL from the EDGAR archive during collection.

For each recent 10-Q/10-K of a company (from its submissions, :class:`.sec_accepted.FilingIndex`)
not read before, the filing index (``.../Archives/edgar/data/CIK/ACCESSION/index.json``)
names the documents; the XBRL instance (``*_htm.xml``, or ``name-YYYYMMDD.xml`` for filings
before inline XBRL) is read, else the inline primary document. That is two requests per
filing, made through the source's rate-limited client, and only once per filing: the
accessions read are kept in the source state. A filing that cannot be parsed is tried again
on later runs, at most ``ATTEMPTS`` times, then given up (reported as incomplete).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import MutableMapping
from urllib.parse import urlsplit

from signalflow.errors import FetchError, PayloadError
from signalflow.series import Batch
from signalflow.sources.http import HttpClient
from signalflow.sources.sec_facts import company_url
from signalflow.sources.sec_accepted import FilingRecord
from signalflow.sources.sec_filing import filing_batch
from signalflow.sources.sec_xbrl import parse_root

FORMS = ("10-Q", "10-K")
# How many of the latest 10-Q/10-K a first collection reads: two years of quarters.
FILINGS_BACK = 8
# How many runs try a filing whose index or XBRL document cannot be parsed before giving it up.
ATTEMPTS = 3
CLASSIC_INSTANCE = re.compile(r"^[A-Za-z0-9.\-]+-\d{8}\.xml$")


def archives_base(data_url: str) -> str:
    """The archive host for the data API host (``data.sec.gov`` -> ``www.sec.gov``); a mirror
    or a local test server serves both under one base."""
    parts = urlsplit(data_url)
    if parts.hostname == "data.sec.gov":
        return f"{parts.scheme}://www.sec.gov"
    return data_url.rstrip("/")


def instance_name(index: dict, primary_document: str = "") -> str | None:
    """The XBRL document of a filing index (``index.json``): the instance, else the inline
    primary document, else None."""
    items = ((index.get("directory") or {}).get("item")) or []
    names = [str(i.get("name", "")) for i in items if isinstance(i, dict)]
    for wanted in (lambda n: n.endswith("_htm.xml"), CLASSIC_INSTANCE.match):
        found = [n for n in names if wanted(n)]
        if found:
            return found[0]
    if primary_document and primary_document in names and primary_document.endswith((".htm", ".html")):
        return primary_document
    return None


def to_read(records: list[FilingRecord], done: set[str], limit: int = FILINGS_BACK) -> list[FilingRecord]:
    """The latest ``limit`` 10-Q/10-K filings not read yet, oldest first."""
    periodic = sorted((r for r in records if r.form in FORMS), key=lambda r: r.accepted, reverse=True)
    return [r for r in reversed(periodic[:limit]) if r.accession not in done]


def collect_filings(
    client: HttpClient,
    archives: str,
    cik: int,
    ticker: str,
    records: list[FilingRecord],
    state: MutableMapping[str, str],
) -> Batch:
    """Concentration and RPO series of each filing not read yet, known at its acceptance.

    A filing whose index or XBRL document cannot be parsed is a warning and is tried again
    on the next runs, up to ``ATTEMPTS`` times in all (counted in ``state``); then it is given
    up, as an ``incomplete`` of the batch, which ``signalflow collect`` prints."""
    key = f"xbrl.{cik:010d}.read"
    failed_key = f"xbrl.{cik:010d}.failed"
    done = set(filter(None, state.get(key, "").split(",")))
    failed = _attempts(state.get(failed_key, ""))
    batch = Batch()
    for record in to_read(records, done):
        folder = f"{archives}/Archives/edgar/data/{cik}/{record.accession.replace('-', '')}"
        url = f"{folder}/index.json"
        try:
            index = client.get(url).json()
            if not isinstance(index, dict) or not isinstance(index.get("directory"), dict):
                got = "a JSON list" if isinstance(index, list) else str(index)[:80]
                raise PayloadError(url, f"expected a filing index object with a 'directory', got {got}")
            name = instance_name(index, record.primary_document)
            if name is None:
                batch.warnings.append(f"sec: {ticker} {record.accession}: no XBRL document in the filing index")
            else:
                url = f"{folder}/{name}"
                reply = client.get(url)
                try:
                    doc = parse_root(ET.fromstring(reply.content), reply.url)
                except ET.ParseError as exc:
                    raise PayloadError(reply.url, f"not well-formed XML: {exc}") from None
                # Built whole before it joins the batch: a filing failing half-way adds nothing.
                batch.extend(filing_batch(doc, ticker, record.accepted, record.accession, company_url(cik)))
        except FetchError as exc:
            batch.warnings.append(f"sec: {ticker} {record.accession}: {exc}")
            if exc.status != 404:
                # A server or network failure: keep what was read, try this filing and the
                # later ones next time (raising would lose the filings already marked read).
                break
        except (PayloadError, ValueError) as exc:
            tries = failed.get(record.accession, 0) + 1
            problem = str(exc) if isinstance(exc, PayloadError) else f"{url}: {exc}"
            if tries < ATTEMPTS:
                failed[record.accession] = tries
                batch.warnings.append(
                    f"sec: {ticker} {record.accession}: attempt {tries} of {ATTEMPTS}, tried again next run: {problem}"
                )
                state[failed_key] = _attempts_text(failed)
                continue
            batch.incomplete.append(
                f"sec: {ticker} {record.accession}: given up after {ATTEMPTS} attempts, its series are not "
                f"collected: {problem}"
            )
        if failed.pop(record.accession, None) is not None:
            state[failed_key] = _attempts_text(failed)
        done.add(record.accession)
        state[key] = ",".join(sorted(done))
    batch.series = list({s.key: s for s in batch.series}.values())  # one per key, the latest
    return batch


def _attempts(text: str) -> dict[str, int]:
    """accession -> failed attempts, from ``ACCESSION=N,...`` as kept in the source state."""
    found = {}
    for item in filter(None, text.split(",")):
        accession, _, tries = item.partition("=")
        found[accession] = int(tries) if tries.isdigit() else ATTEMPTS
    return found


def _attempts_text(failed: dict[str, int]) -> str:
    # Emptied, never removed, when nothing is left: the store only upserts the state.
    return ",".join(f"{accession}={tries}" for accession, tries in sorted(failed.items()))
