"""Source links in alerts point where a reader can check the figure."""

from __future__ import annotations

import pytest

from signalflow.alerts.message import filing_url, source_url
from signalflow.thesis.results import InputValue

VERTIV_PAGE = "https://www.sec.gov/cgi-bin/browse-edgar?action=getcompany&CIK=0001674101&type=10-&owner=include"


@pytest.mark.parametrize(
    ("source_ref", "company_url", "expected"),
    [
        # Apple files itself: the accession's prefix is its own CIK.
        ("0000320193-25-000079 FY2025Q4", "", "https://www.sec.gov/Archives/edgar/data/320193/000032019325000079/"),
        # A filing agent's accession: the filing lives under the company's CIK.
        (
            "0001628280-25-036716 FY2025Q2",
            VERTIV_PAGE,
            "https://www.sec.gov/Archives/edgar/data/1674101/000162828025036716/",
        ),
        ("vintage 2025-03-01", "", ""),
    ],
)
def test_filing_url(source_ref, company_url, expected):
    assert filing_url(source_ref, company_url) == expected


def test_source_urls_by_series():
    sec = InputValue("sec.VRT.capex", 45e6, source_ref="0001628280-25-036716 FY2025Q2", url=VERTIV_PAGE)
    assert source_url(sec).startswith("https://www.sec.gov/Archives/edgar/data/1674101/")
    assert source_url(InputValue("fred.DGS10", 4.2)) == "https://fred.stlouisfed.org/series/DGS10"
    assert source_url(InputValue("csv.util", 0.6)) == ""
