"""Counterparties, term, technology, location and the named delay, on real headlines from the
labelled set (tests/data/headlines.csv) and a few built ones for what the set lacks."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from signalflow.news.classify import Classifier
from signalflow.news.details import Delay, Party, counterparties, delay, locations, technologies, term_years

HEADLINES = Path(__file__).resolve().parents[1] / "data" / "headlines.csv"


@pytest.fixture(scope="module")
def matcher():
    return Classifier.default().matcher


def labelled() -> set[str]:
    with HEADLINES.open(newline="", encoding="utf-8") as handle:
        return {row["headline"] for row in csv.DictReader(handle)}


REAL_CONTRACTS = [
    ("Microsoft signs 140MW solar PPA with Avangrid in Washington", ("Microsoft", "MSFT"), ("Avangrid", None)),
    ("Avangrid signs 240MW Texas PPA with Meta", ("Meta", "META"), ("Avangrid", None)),
    ("Constellation Enters 20-year Power Purchase Agreement With Microsoft - Quick Facts",
     ("Microsoft", "MSFT"), ("Constellation", "CEG")),
    ("Talen Energy (TLN) Inks 1.9 GW Nuclear Deal With Amazon (AMZN)", ("Amazon", "AMZN"), ("Talen Energy", "TLN")),
    ("Talen Energy and Amazon sign nuclear power deal to fuel data centers", ("Amazon", "AMZN"), ("Talen Energy", "TLN")),
    ("Meta Inks 176 MW Solar Deal with Zelestra in Texas, Bolstering Clean Energy Push", ("Meta", "META"),
     ("Zelestra", None)),
    ("Constellation inks power supply deal with Microsoft, plans to restart nuclear plant", ("Microsoft", "MSFT"),
     ("Constellation", "CEG")),
    ("Microsoft signs two large solar power purchase agreements", ("Microsoft", "MSFT"), None),
]  # fmt: skip


@pytest.mark.parametrize("headline, buyer, seller", REAL_CONTRACTS)
def test_counterparties_of_real_contracts(matcher, headline, buyer, seller):
    assert headline in labelled()
    assert counterparties(headline, matcher) == (Party(*buyer) if buyer else None, Party(*seller) if seller else None)


@pytest.mark.parametrize(
    "headline, buyer, seller",
    [
        ("Brookfield to supply Microsoft with 10.5 GW of renewable power", ("Microsoft", "MSFT"), ("Brookfield", None)),
        ("Amazon buys nuclear power from Talen Energy for 17 years", ("Amazon", "AMZN"), ("Talen Energy", "TLN")),
    ],
)
def test_counterparties_by_syntax(matcher, headline, buyer, seller):
    assert counterparties(headline, matcher) == (Party(*buyer), Party(*seller))


@pytest.mark.parametrize(
    "text, years",
    [
        ("Constellation Enters 20-year Power Purchase Agreement With Microsoft - Quick Facts", 20.0),
        ("Amazon buys nuclear power from Talen Energy for 17 years", 17.0),
        ("Google signs a two-decade deal for geothermal power", 20.0),
        ("Meta signs decade-long solar contract", 10.0),
        ("US Data Center Developers Confront Frustrating 7-Year Wait Times for Grid Access!", None),  # a wait
        ("US capital spending seen falling to 4-yr low in 2015", None),
        ("Microsoft signs 140MW solar PPA with Avangrid in Washington", None),
    ],
)
def test_term(text, years):
    assert term_years(text) == years


@pytest.mark.parametrize(
    "text, found",
    [
        ("Meta Inks New Long-Term Nuclear, Solar PPAs with Constellation and AES",
         ("nuclear", "solar")),
        ("Google strikes deal for geothermal power", ("geothermal",)),
        ("Power Hungry: Google in Data Center Agreement for Small Modular Nuclear Reactors", ("nuclear",)),
        ("New Dublin data centres barred from connecting to national grid", ("grid",)),
        ("Vistra signs gas-fired power deal and battery storage contract", ("gas", "storage")),
        ("Microsoft signs contract for 10.5 GW of offshore wind", ("wind",)),
        ("Microsoft announces firm’s single largest green energy PPA", ()),
    ],
)  # fmt: skip
def test_technology(text, found):
    assert technologies(text) == found


@pytest.mark.parametrize(
    "text, found",
    [
        ("Meta Pauses Data Center Builds in Texas, Alabama", ("Texas", "Alabama")),
        ("Semiconductor giant TSMC delays chip output in U.S. Arizona due to worker shortage",
         ("United States", "Arizona")),
        ("OpenAI Halts Landmark A.I. Project in Britain", ("United Kingdom",)),
        ("Microsoft signs 140MW solar PPA with Avangrid in Washington", ("Washington",)),
        ("Data center in West Virginia delayed", ("West Virginia",)),  # not Virginia
        ("Nvidia delays AI chip launch due to design flaws affecting key technology customers", ()),
    ],
)  # fmt: skip
def test_locations(text, found):
    assert locations(text) == found


@pytest.mark.parametrize(
    "text, expected",
    [
        ("TSMC delays second Arizona chip plant to 2027 or 2028", Delay("second Arizona chip plant", None, "2027 or 2028")),
        ("TSMC Delays Arizona Chip Output to 2025 on Worker Shortages", Delay("Arizona Chip Output", None, "2025")),
        ("Nvidia delays AI chip launch due to design flaws affecting key technology customers",
         Delay("AI chip launch")),
        ("Microsoft has cancelled data center leases in the U.S., TD Cowen says", Delay("data center leases")),
        ("Meta Pauses Data Center Builds in Texas, Alabama", Delay("Data Center Builds")),
        ("OpenAI Halts Landmark A.I. Project in Britain", Delay("Landmark A.I. Project")),
        ("NVIDIA's Rubin Chip Production May Face Delays Due to Redesign and Competition from AMD",
         Delay("NVIDIA's Rubin Chip Production")),
        ("Stargate AI data centers for OpenAI reportedly delayed by squabbles between partners",
         Delay("Stargate AI data centers for OpenAI")),
        ("Microsoft says it's 'slowing or pausing' some AI data center projects, including $1B plan for Ohio",
         Delay("AI data center projects")),
        ("Microsoft delays 300 MW data center in Ohio by six months", Delay("300 MW data center", 6.0)),
        ("Intel's Ohio fab faces a two-year delay", Delay("Intel's Ohio fab", 24.0)),
        ("Microsoft signs 300 MW power deal", None),
    ],
)  # fmt: skip
def test_the_named_delay(text, expected):
    assert delay(text) == expected


def test_classification_carries_the_details():
    result = Classifier.default().classify("Constellation Enters 20-year Power Purchase Agreement With Microsoft - Quick Facts")
    assert result.label == "power_contract"
    d = result.as_dict()["details"]
    assert (d["buyer"], d["seller"], d["term_years"]) == (
        {"name": "Microsoft", "ticker": "MSFT"}, {"name": "Constellation", "ticker": "CEG"}, 20.0
    )  # fmt: skip
    delayed = Classifier.default().classify("TSMC delays second Arizona chip plant to 2027 or 2028")
    assert delayed.details.delay == Delay("second Arizona chip plant", None, "2027 or 2028")
    assert delayed.details.locations == ("Arizona",) and delayed.details.buyer is None
    assert Classifier.default().classify("Flight delays pile up at Newark").details is None  # unlabelled
