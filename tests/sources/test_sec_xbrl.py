"""A filing's own XBRL: customer concentration and RPO timing, from real NVIDIA and AMD
filings (../shared/data/sec/xbrl) and from snippets written here.

Expected figures on the real files come from :func:`_regex_reading`, a reading of the raw text
by regular expressions that shares no code with the parser."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from signalflow.errors import PayloadError
from signalflow.series import Batch
from signalflow.sources.sec import SecSource
from signalflow.sources.sec_filing import accession_in, filing_batch, rpo_within_12m
from signalflow.sources.sec_xbrl import duration_months, parse_root, read_document, sniff

NVDA_SUBMISSIONS = "qihuizzz_sec-xbrl-reports/NVDA_submissions_CIK0001045810.json"
FILES = {
    # path under xbrl/ -> (accession from its MANIFEST, fiscal label, balance date)
    "NVDA/primary-document.html": ("0001045810-23-000175", "FY2024Q2", date(2023, 7, 30)),
    "NVDA/nvda-20240221_htm.xml": ("0001045810-24-000029", "FY2024", date(2024, 1, 28)),
    "NVDA/nvda-10-k-2025-02-26.html": ("0001045810-25-000023", "FY2025", date(2025, 1, 26)),
    "NVDA/nvda-10-q-2025-08-27.html": ("0001045810-25-000209", "FY2026Q2", date(2025, 7, 27)),
    "AMD/primary-document.html": ("0000002488-24-000012", "FY2023", date(2023, 12, 30)),
}


@pytest.fixture
def xbrl_dir(shared_data: Path) -> Path:
    found = shared_data / "sec" / "xbrl"
    if not found.is_dir():
        pytest.skip(f"filing XBRL not found at {found}")
    return found


def _regex_reading(text: str) -> list[dict]:
    """Every ConcentrationRiskPercentage1 fact: its axes (local names), period and value."""
    contexts: dict[str, dict] = {}
    for cid, body in re.findall(r'<(?:xbrli:)?context id="([^"]+)">(.*?)</(?:xbrli:)?context>', text, re.S):
        axes = dict(
            (a.split(":")[-1], m.split(":")[-1])
            for a, m in re.findall(r'<xbrldi:explicitMember dimension="([^"]+)">([^<]+)<', body)
        )
        start = re.search(r"<(?:xbrli:)?startDate>([^<]+)<", body)
        end = re.search(r"<(?:xbrli:)?(?:endDate|instant)>([^<]+)<", body)
        contexts[cid] = {"axes": axes, "start": start and start.group(1), "end": end.group(1)}
    facts = []
    inline = re.findall(r"<ix:nonFraction([^>]*ConcentrationRiskPercentage1[^>]*)>([^<]+)<", text)
    for attrs, shown in inline:
        scale = re.search(r'scale="(-?\d+)"', attrs)
        value = float(shown) * 10 ** int(scale.group(1) if scale else 0)
        facts.append((re.search(r'contextRef="([^"]+)"', attrs).group(1), value))
    for attrs, shown in re.findall(r"<us-gaap:ConcentrationRiskPercentage1(\s[^>]*)>([^<]+)<", text):
        facts.append((re.search(r'contextRef="([^"]+)"', attrs).group(1), float(shown)))
    return [contexts[c] | {"value": round(v, 6)} for c, v in facts]


def _expected_shares(text: str, balance: date) -> dict[str, float]:
    """Single customers' revenue shares for the shortest period ending at ``balance``."""
    rows = [
        r for r in _regex_reading(text)
        if "MajorCustomersAxis" in r["axes"]
        and r["axes"].get("ConcentrationRiskByBenchmarkAxis", "").removeprefix("Sales").startswith("Revenue")
        and not set(r["axes"]) - {"MajorCustomersAxis", "ConcentrationRiskByBenchmarkAxis", "ConcentrationRiskByTypeAxis", "StatementBusinessSegmentsAxis"}
        and r["end"] == balance.isoformat()
    ]
    days = {r["start"]: (balance - date.fromisoformat(r["start"])).days for r in rows}
    latest_start = min(days, key=days.get) if days else None
    return {r["axes"]["MajorCustomersAxis"].removesuffix("Member"): r["value"] for r in rows if r["start"] == latest_start}


def _observed(batch: Batch, name: str) -> dict[str, float]:
    return {o.series.split(".", 2)[2]: o.value for o in batch.observations if o.series.split(".", 2)[2].startswith(name)}


@pytest.mark.parametrize("name", sorted(FILES))
def test_customer_shares_match_an_independent_reading(xbrl_dir: Path, name: str) -> None:
    accession, label, balance = FILES[name]
    path = xbrl_dir / name
    expected = _expected_shares(path.read_text("ascii"), balance)
    assert expected, "every file here tags at least one customer revenue share"
    batch = filing_batch(read_document(path), "T", datetime(2030, 1, 1), accession)
    shares = _observed(batch, "customer_share[")
    assert shares == {f"customer_share[{m}]": v for m, v in expected.items()}
    for o in batch.observations:
        assert o.source_ref == f"{accession} {label}" and o.known_at == datetime(2030, 1, 1)
        assert o.period_end == balance


@pytest.mark.parametrize(
    "name, top, over_10pct, shares",
    [
        # The figures of ../shared/data/sec/xbrl/MANIFEST.md, read off the filings by hand.
        # Q2 FY2024: the 22% cloud provider buys indirectly; the direct top is the distributor.
        ("NVDA/primary-document.html", 0.17, 1, {"DataCenterDistributorCustomer": 0.17, "CloudServiceProvider": 0.22}),
        # FY2024 10-K: Customer One's 24% of receivables is not a revenue share.
        ("NVDA/nvda-20240221_htm.xml", 0.13, 1, {"CustomerOne": 0.13}),
        ("NVDA/nvda-10-k-2025-02-26.html", 0.12, 3, {"CustomerA": 0.12, "CustomerB": 0.11, "CustomerC": 0.11}),
        # Q2 FY2026: the quarter (23%, 16%), not the half year (20%, 15%); the 99% row of
        # U.S.-based end customers of Singapore sales is not a customer.
        ("NVDA/nvda-10-q-2025-08-27.html", 0.23, 2, {"CustomerA": 0.23, "CustomerB": 0.16}),
        ("AMD/primary-document.html", 0.18, 1, {"CustomerA": 0.18}),
    ],
)
def test_top_customer_and_count_over_ten_percent(xbrl_dir: Path, name, top, over_10pct, shares) -> None:
    batch = filing_batch(read_document(xbrl_dir / name), "T", datetime(2030, 1, 1), "x")
    observed = _observed(batch, "")
    assert observed["top_customer_share"] == pytest.approx(top)
    assert observed["customers_over_10pct"] == over_10pct
    assert {k.removeprefix("customer_share[").rstrip("]"): v for k, v in observed.items() if "[" in k} == pytest.approx(shares)


@pytest.mark.parametrize(
    "name, balance, within_12m",
    [
        ("NVDA/primary-document.html", date(2023, 7, 30), 0.44),
        ("NVDA/nvda-20240221_htm.xml", date(2024, 1, 28), 0.40),
        ("NVDA/nvda-10-k-2025-02-26.html", date(2025, 1, 26), 0.39),
        # The typed start date is stale (2024-10-28); the balance date is the context's instant.
        ("NVDA/nvda-10-q-2025-08-27.html", date(2025, 7, 27), 0.40),
        # AMD tags amounts, not a percentage: $85M of $137M within 12 months.
        ("AMD/primary-document.html", date(2023, 12, 30), 85 / 137),
    ],
)
def test_rpo_within_twelve_months(xbrl_dir: Path, name: str, balance: date, within_12m: float) -> None:
    assert rpo_within_12m(read_document(xbrl_dir / name)) == (balance, pytest.approx(within_12m))


def test_import_is_known_at_the_filing_acceptance(xbrl_dir: Path, shared_data: Path, settings) -> None:
    source = SecSource(settings)
    subs_path = shared_data / "sec" / NVDA_SUBMISSIONS
    recent = json.loads(subs_path.read_text())["filings"]["recent"]
    accepted = {
        a: datetime.fromisoformat(t.removesuffix("Z").removesuffix(".000"))
        for a, t in zip(recent["accessionNumber"], recent["acceptanceDateTime"])
    }
    with pytest.raises(PayloadError, match="--known-at"):
        source.import_file(xbrl_dir / "NVDA/nvda-10-q-2025-08-27.html")
    source.import_file(subs_path)  # each filing's acceptance time, by accession
    for name in [n for n in FILES if n.startswith("NVDA/")]:
        accession, label, _ = FILES[name]
        assert source.sniff(xbrl_dir / name, (xbrl_dir / name).read_bytes()[:65536])
        batch = source.import_file(xbrl_dir / name)
        assert batch.observations and not batch.warnings
        for o in batch.observations:
            assert o.series.startswith("sec.NVDA.")
            assert o.known_at == accepted[accession] and o.source_ref == f"{accession} {label}"
    top = [o for o in source.import_file(xbrl_dir / "NVDA/nvda-10-q-2025-08-27.html").observations if o.series == "sec.NVDA.top_customer_share"]
    assert [(o.value, o.known_at) for o in top] == [(0.23, datetime(2025, 8, 27, 20, 52, 7))]


def test_known_at_dates_a_filing_submissions_do_not_cover(xbrl_dir: Path, settings, tmp_path: Path) -> None:
    source = SecSource(settings)
    batch = source.import_file(xbrl_dir / "AMD/primary-document.html", known_at=datetime(2024, 1, 31, 21))
    assert {o.known_at for o in batch.observations} == {datetime(2024, 1, 31, 21)}
    assert {o.series for o in batch.observations} >= {"sec.AMD.top_customer_share", "sec.AMD.rpo_within_12m"}
    assert {o.source_ref for o in batch.observations} == {"primary-document.html FY2023"}
    # Saved under its accession's folder, the accession names the filing.
    folder = tmp_path / "0000002488-24-000012"
    folder.mkdir()
    shutil.copy(xbrl_dir / "AMD/primary-document.html", folder)
    batch = source.import_file(folder / "primary-document.html", known_at=datetime(2024, 1, 31, 21))
    assert {o.source_ref for o in batch.observations} == {"0000002488-24-000012 FY2023"}


def test_accession_in_a_path() -> None:
    assert accession_in(Path("10-Q/NVDA/0001045810-23-000175/primary-document.html")) == "0001045810-23-000175"
    assert accession_in(Path("Archives/edgar/data/1045810/000104581023000175/nvda-20230730.htm")) == "0001045810-23-000175"
    assert accession_in(Path("nvda-10-q-2025-08-27.html")) is None


@pytest.mark.parametrize(
    "text, fmt, months",
    [
        ("P12M", "", 12), ("P1Y", "", 12), ("P1Y6M", "", 18), ("twelve months", "ixt-sec:durwordsen", 12),
        ("one year", "ixt-sec:durwordsen", 12), ("12", "ixt-sec:durmonth", 12), ("2", "ixt-sec:duryear", 24),
        ("24 months", "", 24), ("soon", "", None),
    ],
)
def test_duration_months(text: str, fmt: str, months: float | None) -> None:
    assert duration_months(text, fmt) == months


HEAD = (
    '<xbrli:xbrl xmlns:xbrli="http://www.xbrl.org/2003/instance" xmlns:xbrldi="http://xbrl.org/2006/xbrldi" '
    'xmlns:us-gaap="http://fasb.org/us-gaap/2024" xmlns:dei="http://xbrl.sec.gov/dei/2024" '
    'xmlns:srt="http://fasb.org/srt/2024" xmlns:ex="http://example.com/20250630">'
)


def _context(cid: str, start: str | None, end: str, **axes: str) -> str:
    members = "".join(f'<xbrldi:explicitMember dimension="{a}">{m}</xbrldi:explicitMember>' for a, m in axes.items())
    segment = f"<xbrli:segment>{members}</xbrli:segment>" if members else ""
    period = f"<xbrli:startDate>{start}</xbrli:startDate><xbrli:endDate>{end}</xbrli:endDate>" if start else f"<xbrli:instant>{end}</xbrli:instant>"
    return (
        f'<xbrli:context id="{cid}"><xbrli:entity><xbrli:identifier scheme="http://www.sec.gov/CIK">0000000001'
        f"</xbrli:identifier>{segment}</xbrli:entity><xbrli:period>{period}</xbrli:period></xbrli:context>"
    )


def _customer(cid: str, start: str, member: str, bench: str = "us-gaap:RevenueFromContractWithCustomerMember", **more: str) -> str:
    axes = {"srt:MajorCustomersAxis": member, "us-gaap:ConcentrationRiskByBenchmarkAxis": bench, **more}
    return _context(cid, start, "2025-06-30", **axes)


def _instance(contexts: list[str], facts: list[tuple[str, str, str]]) -> bytes:
    body = "".join(f'<{c} contextRef="{ref}" unitRef="pure" decimals="2">{v}</{c}>' for c, ref, v in facts)
    cover = '<dei:DocumentType contextRef="d">10-Q</dei:DocumentType><dei:TradingSymbol contextRef="d">EXM</dei:TradingSymbol>'
    cover += '<dei:DocumentFiscalYearFocus contextRef="d">2025</dei:DocumentFiscalYearFocus><dei:DocumentFiscalPeriodFocus contextRef="d">Q2</dei:DocumentFiscalPeriodFocus>'
    return (HEAD + _context("d", "2025-01-01", "2025-06-30") + "".join(contexts) + cover + body + "</xbrli:xbrl>").encode()


SHARE = "us-gaap:ConcentrationRiskPercentage1"


def test_snippet_quarter_beats_year_to_date_and_receivables_and_regions_do_not_count(settings, tmp_path: Path) -> None:
    contexts = [
        _customer("q-a", "2025-04-01", "ex:CustomerAMember"),
        _customer("h-a", "2025-01-01", "ex:CustomerAMember"),
        _customer("q-b", "2025-04-01", "ex:CustomerBMember"),
        _customer("q-ar", "2025-04-01", "ex:CustomerCMember", bench="us-gaap:AccountsReceivableMember"),
        _customer("q-geo", "2025-04-01", "ex:EndCustomersMember", **{"srt:StatementGeographicalAxis": "country:SG"}),
        _customer("q-old", "2024-04-01", "ex:CustomerOneMember").replace("2025-06-30", "2024-06-30"),
        _context("r", None, "2025-06-30"),
    ]
    facts = [
        (SHARE, "q-a", "0.31"), (SHARE, "h-a", "0.28"), (SHARE, "q-b", "0.09"), (SHARE, "q-ar", "0.45"),
        (SHARE, "q-geo", "0.99"), (SHARE, "q-old", "0.50"),
    ]
    path = tmp_path / "exm-20250630_htm.xml"
    path.write_bytes(_instance(contexts, facts))
    assert sniff(path.read_bytes()[:4096])
    batch = SecSource(settings).import_file(path, known_at=datetime(2025, 8, 1, 21, 5))
    observed = {(o.series, o.period_start, o.value) for o in batch.observations}
    assert observed == {
        ("sec.EXM.customer_share[CustomerA]", date(2025, 4, 1), 0.31),
        ("sec.EXM.customer_share[CustomerB]", date(2025, 4, 1), 0.09),
        ("sec.EXM.top_customer_share", date(2025, 4, 1), 0.31),
        ("sec.EXM.customers_over_10pct", date(2025, 4, 1), 1.0),
    }
    assert {o.source_ref for o in batch.observations} == {"exm-20250630_htm.xml FY2025Q2"}


def test_snippet_receivables_only_yields_nothing_rather_than_zero(settings, tmp_path: Path) -> None:
    path = tmp_path / "exm_htm.xml"
    path.write_bytes(_instance([_customer("ar", "2025-01-01", "ex:CustomerOneMember", bench="us-gaap:AccountsReceivableMember")], [(SHARE, "ar", "0.24")]))
    batch = SecSource(settings).import_file(path, known_at=datetime(2025, 8, 1))
    assert batch.observations == [] and batch.warnings


def test_snippet_rpo_from_the_earliest_bucket_and_only_at_twelve_months() -> None:
    axis = "us-gaap:RevenueRemainingPerformanceObligationExpectedTimingOfSatisfactionStartDateAxis"

    def bucket(cid: str, start: str) -> str:
        typed = f'<xbrldi:typedMember dimension="{axis}"><us-gaap:X.domain>{start}</us-gaap:X.domain></xbrldi:typedMember>'
        return (
            f'<xbrli:context id="{cid}"><xbrli:entity><xbrli:identifier scheme="http://www.sec.gov/CIK">1</xbrli:identifier>'
            f"<xbrli:segment>{typed}</xbrli:segment></xbrli:entity><xbrli:period><xbrli:instant>2025-06-30</xbrli:instant></xbrli:period></xbrli:context>"
        )

    pct = "us-gaap:RevenueRemainingPerformanceObligationPercentage"
    period = "us-gaap:RevenueRemainingPerformanceObligationExpectedTimingOfSatisfactionPeriod1"
    text = _instance(
        [bucket("b1", "2025-07-01"), bucket("b2", "2026-07-01")],
        [(pct, "b2", "0.35"), (pct, "b1", "0.49"), (period, "b1", "P12M"), (period, "b2", "P12M")],
    ).replace(b'unitRef="pure" decimals="2">P12M', b">P12M")
    import xml.etree.ElementTree as ET

    assert rpo_within_12m(parse_root(ET.fromstring(text))) == (date(2025, 6, 30), 0.49)
    longer = text.replace(b">P12M<", b">P3Y<", 1).replace(b">P12M<", b">P3Y<")
    assert rpo_within_12m(parse_root(ET.fromstring(longer))) is None


INLINE = """<html xmlns="http://www.w3.org/1999/xhtml" xmlns:ix="http://www.xbrl.org/2013/inlineXBRL"
 xmlns:xbrli="http://www.xbrl.org/2003/instance" xmlns:xbrldi="http://xbrl.org/2006/xbrldi"
 xmlns:us-gaap="http://fasb.org/us-gaap/2024" xmlns:srt="http://fasb.org/srt/2024" xmlns:dei="http://xbrl.sec.gov/dei/2024"
 xmlns:ex="http://example.com/x"><body><div style="display:none"><ix:header><ix:hidden>
<ix:nonNumeric name="dei:DocumentType" contextRef="d">10-Q</ix:nonNumeric>
<ix:nonNumeric name="dei:TradingSymbol" contextRef="d">EXM</ix:nonNumeric>
</ix:hidden><ix:resources>{contexts}</ix:resources></ix:header></div>
<div><span>One distributor represented <ix:nonFraction name="us-gaap:ConcentrationRiskPercentage1" contextRef="q-a" unitRef="number" decimals="2" scale="-2" format="ixt:num-dot-decimal">14</ix:nonFraction>% of revenue.
A large cloud provider, which buys indirectly through distributors, is estimated at <ix:nonFraction name="us-gaap:ConcentrationRiskPercentage1" contextRef="q-b" unitRef="number" decimals="2" scale="-2">2,1</ix:nonFraction>% of revenue.</span></div>
</body></html>"""


def test_inline_snippet_scale_and_an_indirect_customer(settings, tmp_path: Path) -> None:
    contexts = _context("d", "2025-01-01", "2025-06-30") + _customer("q-a", "2025-04-01", "ex:DistributorMember")
    contexts += _customer("q-b", "2025-04-01", "ex:CloudProviderMember")
    path = tmp_path / "exm-20250630.htm"
    path.write_text(INLINE.format(contexts=contexts).replace("2,1", "21"))
    batch = SecSource(settings).import_file(path, known_at=datetime(2025, 8, 1))
    observed = {o.series: o.value for o in batch.observations}
    assert observed == {
        "sec.EXM.customer_share[Distributor]": pytest.approx(0.14),
        "sec.EXM.customer_share[CloudProvider]": pytest.approx(0.21),
        "sec.EXM.top_customer_share": pytest.approx(0.14),  # the indirect 21% is no direct customer
        "sec.EXM.customers_over_10pct": 1.0,
    }


def test_check_ref_knows_the_new_names(settings) -> None:
    source = SecSource(settings)
    for ref in ("sec.VRT.gross_margin", "sec.VRT.fcf", "sec.NVDA.top_customer_share",
                "sec.NVDA.customer_share[CustomerA]", "sec.NVDA.rpo_within_12m", "sec.NVDA.customers_over_10pct"):
        assert source.check_ref(ref) is None, ref
    assert "unknown SEC metric" in source.check_ref("sec.NVDA.top_customer_shares")


CONCENTRATION_THESIS = """\
thesis: nvda_concentration
title: "NVIDIA's demand is not one buyer"
growth:
  reason: "several customers buy"
  when: sec.NVDA.customers_over_10pct >= 1
liquidity:
  reason: "contracts run past a year"
  when: sec.NVDA.rpo_within_12m < 0.9
soft_warning:
  - name: one_buyer_heavy
    when: sec.NVDA.top_customer_share > 20%
    summary: "The largest direct customer is over 20% of revenue"
kill_switch:
  - name: customer_a_dominates
    when: sec.NVDA.customer_share[CustomerA] > 40%
    summary: "The filing's Customer A is over 40% of revenue"
"""


def test_a_thesis_warns_when_the_10q_is_accepted(xbrl_dir: Path, shared_data: Path, tmp_path: Path, monkeypatch) -> None:
    """The Q2 FY2026 10-Q (Customer A 23% of the quarter) is accepted 2025-08-27 20:52:07 UTC:
    the warning fires then, not at the day's start."""
    from typer.testing import CliRunner

    from signalflow.cli import app

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "nvda_concentration.yaml").write_text(CONCENTRATION_THESIS)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'nvda.db'}")
    monkeypatch.setenv("SIGNALFLOW_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    assert runner.invoke(app, ["check"]).exit_code == 0
    imported = runner.invoke(app, ["import", str(shared_data / "sec" / NVDA_SUBMISSIONS), str(xbrl_dir / "NVDA"), "--json"])
    assert imported.exit_code == 0, imported.output
    states = {}
    for at in ("2025-08-27T20:52:06", "2025-08-27T20:52:07"):
        result = runner.invoke(app, ["evaluate", "nvda_concentration", "--as-of", at, "--json"])
        assert result.exit_code == 0, result.output
        states[at] = json.loads(result.stdout)[0]
    assert states["2025-08-27T20:52:06"]["state"] == "ok"
    assert states["2025-08-27T20:52:07"]["state"] == "soft_warning"
    assert states["2025-08-27T20:52:07"]["firing"] == ["one_buyer_heavy"]
