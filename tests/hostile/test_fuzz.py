"""Property-based fuzzing: every parser gives a result or a SignalflowError, never another
exception, and within a deadline. Examples are kept few so the file runs in seconds."""

from __future__ import annotations

import json
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hostile.corpus import VALID_THESIS, rule_test_file, thesis
from signalflow.errors import SignalflowError, ThesisSyntaxError
from signalflow.settings import Settings
from signalflow.sources.validate import check_batch
from signalflow.thesis.loader import read_thesis
from signalflow.thesis.parser import parse_expression
from signalflow.thesis.testfile import load_test_file

FUZZ = settings(
    max_examples=40,
    deadline=timedelta(seconds=3),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_ATOMS = st.sampled_from(
    ["fred.DGS10", "x", "1", "0", "1e400", "2.5%", "30d", "0d", "99999999y", "1e-400", "lag", "\u00b2", "\u0661",
     "news.power_contract[MSFT].mw", "\u00e9", "", "9" * 30, ".", "_"]
)  # fmt: skip
_OPS = st.sampled_from([" and ", " or ", " > ", " < ", " == ", " + ", " - ", " * ", " / ", ", ", " ", "not ", "-", "="])


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    """Texts near the grammar: nested calls and parentheses, chains, odd characters."""
    kind = draw(st.integers(0, 4 if depth < 60 else 0))
    if kind == 0:
        return draw(_ATOMS)
    if kind == 1:
        return "(" + draw(expressions(depth + 1)) + draw(st.sampled_from([")", ""]))
    if kind == 2:
        func = draw(st.sampled_from(["yoy", "change", "lag", "mean", "abs", "max", "nope"]))
        args = draw(st.lists(expressions(depth + 1), max_size=3))
        return f"{func}(" + ", ".join(args) + ")"
    if kind == 3:
        return draw(expressions(depth + 1)) + draw(_OPS) + draw(expressions(depth + 1))
    return draw(st.sampled_from(["not ", "-", "+"])) * draw(st.integers(1, 80)) + draw(expressions(depth + 1))


@FUZZ
@given(st.one_of(expressions(), st.text(max_size=300)))
def test_parse_expression_gives_a_tree_or_a_syntax_error(text: str) -> None:
    try:
        parse_expression(text, "fuzz.yaml")
    except ThesisSyntaxError as exc:
        assert str(exc).startswith("fuzz.yaml")


def _read(text: str) -> None:
    """read_thesis collects problems rather than raising: it must return, whatever the text."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        found, problems = read_thesis(path)
        assert found is not None or problems
        assert all(str(p).startswith(str(path)) for p in problems)


@FUZZ
@given(expressions(), st.sampled_from(["when", "growth", "series"]))
def test_a_thesis_with_any_expression_loads_or_reports(expr: str, field: str) -> None:
    _read(thesis(**{field: json.dumps(expr)}))


_DURATIONS = st.one_of(
    st.sampled_from(["30d", "-5d", "0d", "1e400d", "99999999y", "nand", "infd", "2 releases", "0 releases", "9" * 25 + " releases"]),
    st.builds(lambda n, u: f"{n}{u}", st.floats(allow_nan=True, allow_infinity=True), st.sampled_from("smhdwy")),
    st.text(max_size=20),
)
_DATES = st.one_of(
    st.dates().map(str),
    st.sampled_from(["2025-02-30", "0000-01-01", "99999-01-01", "9999-12-31T23:59:59-05:00", "soon", "[1]", "{}"]),
)


@FUZZ
@given(_DURATIONS, _DURATIONS, _DURATIONS, _DURATIONS, _DATES)
def test_durations_and_dates_load_or_report(for_: str, keep: str, stale: str, every: str, review_by: str) -> None:
    _read(thesis(for_=json.dumps(for_), keep=json.dumps(keep), stale=json.dumps(stale), every=json.dumps(every), review_by=review_by))


_YAML_PIECES = st.sampled_from(
    ["thesis: x\n", "&a ", "*a ", "[", "]", "{", "}", ": ", "- ", "\n", "  ", "!!binary ", "!!python/name:os ", "? ",
     "'", '"', "|\n", ">\n", "#", "a", "1e400", ".nan", "~", "---\n", "\t", "&b [*a, *a, *a, *a]\n"]
)  # fmt: skip


@FUZZ
@given(st.one_of(st.lists(_YAML_PIECES, max_size=60).map("".join), st.text(max_size=400)))
def test_any_yaml_text_loads_or_reports(text: str) -> None:
    _read(text)


_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).replace("nan", ".nan").replace("inf", ".inf")),
    st.integers().map(str),
    st.sampled_from(["1e400", "9" * 400, "lots", "null", "[1, 2]", "{a: 1}", "''", "2025-01-01"]),
)


@FUZZ
@given(st.lists(st.tuples(_DATES, _VALUES), max_size=4), _DATES)
def test_any_rule_test_file_loads_or_fails_to_load(points: list[tuple[str, str]], at: str) -> None:
    series = "{" + ", ".join(f"{json.dumps(d)}: {v}" for d, v in points) + "}"
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "hostile.yaml").write_text(VALID_THESIS)
        path = Path(folder) / "fuzz.test.yaml"
        path.write_text(rule_test_file(series=series, at=json.dumps(at)))
        try:
            load_test_file(path)
        except SignalflowError as exc:
            assert str(path) in str(exc)


# Payloads -------------------------------------------------------------------------------

_JSON_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.text(max_size=12),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
_TEXT_DATES = st.one_of(st.dates().map(str), st.text(max_size=12), st.sampled_from(["2024-02-30", "9999-12-31", "0000-01-01"]))


def _companyfacts(val: object, end: object, filed: object) -> dict:
    row = {"start": "2024-01-01", "end": end, "val": val, "accn": "0000320193-24-000001", "fy": 2024, "fp": "Q1",
           "form": "10-Q", "filed": filed}  # fmt: skip
    return {"cik": 320193, "entityName": "Apple", "facts": {"us-gaap": {"Revenues": {"label": "R", "units": {"USD": [row]}}}}}


def _fred_api(val: object, end: object, filed: object) -> dict:
    return {"count": val, "observations": [{"date": end, "value": val, "realtime_start": filed}]}


def _chart(val: object, end: object, filed: object) -> dict:
    quote = {f: [val] for f in ("open", "high", "low", "close", "volume")}
    return {"chart": {"result": [{"meta": {"symbol": "NVDA", "gmtoffset": val}, "timestamp": [val],
                                  "indicators": {"quote": [quote]}}], "error": None}}  # fmt: skip


def _eia(val: object, end: object, filed: object) -> dict:
    return {"response": {"data": [{"period": end, "value": val}], "dateFormat": "YYYY-MM"}, "dateFormat": "x",
            "request": {"command": "/v2/electricity/data", "params": {"data": ["value"]}}}  # fmt: skip


def _mlperf(val: object, end: object, filed: object) -> list:
    return [{"has_power": True, "Performance_Result": val, "Power_Result": val, "Power_Units": "Watts",
             "Performance_Units": "Tokens/s", "version": "v5.0", "a#": val, "Nodes": val, "Platform": "p",
             "Model": "m", "Scenario": "s"}]  # fmt: skip


JSON_FORMATS = {
    "AAPL_companyfacts.json": _companyfacts,
    "DGS10.json": _fred_api,
    "NVDA.chart.json": _chart,
    "eia.json": _eia,
    "summary_results.json": _mlperf,
}


def _import(folder: Path, name: str, data: bytes) -> None:
    """The parser itself, not the import boundary: a source's import_file then check_batch."""
    from signalflow.service import SNIFF_BYTES
    from signalflow.sources.registry import source_classes

    path = folder / name
    path.write_bytes(data)
    config = Settings(eia=[{"name": "fuzz", "route": "electricity", "data_column": "value"}])
    sources = [cls(config) for _, cls in sorted(source_classes().items())]
    source = next((s for s in sources if s.sniff(path, data[:SNIFF_BYTES])), None)
    if source is None:
        return
    try:
        check_batch(source.import_file(path), str(path))
    except SignalflowError:
        pass


@FUZZ
@given(st.sampled_from(sorted(JSON_FORMATS)), _JSON_VALUES, _TEXT_DATES, _TEXT_DATES)
def test_json_payload_parsers_give_a_batch_or_a_payload_error(name: str, val: object, end: object, filed: object) -> None:
    payload = JSON_FORMATS[name](val, end, filed)
    with tempfile.TemporaryDirectory() as folder:
        _import(Path(folder), name, json.dumps(payload, allow_nan=True).encode())


_CSV_CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e400", "-inf", "Infinity", "NaN", ".", "", "lots", "1,250.5", "9" * 400]),
    st.text(alphabet="0123456789.-eE,\" ", max_size=10),
)
CSV_FORMATS = {
    "DGS10.csv": "date,value\n{date},{value}\n",
    "fredgraph.csv": "DATE,DGS10\n{date},{value}\n",
    "alfred.csv": "DATE,DGS10_20240101\n{date},{value}\n",
    "NVDA.csv": "Date,Open,High,Low,Close,Volume\n{date},{value},{value},{value},{value},{value}\n",
    "data.csv": "date,value\n{date},{value}\n",
}


@FUZZ
@given(st.sampled_from(sorted(CSV_FORMATS)), _TEXT_DATES, _CSV_CELLS)
def test_csv_payload_parsers_give_a_batch_or_a_payload_error(name: str, day: str, value: str) -> None:
    text = CSV_FORMATS[name].format(date=day, value=value)
    with tempfile.TemporaryDirectory() as folder:
        _import(Path(folder), name, text.encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(st.text(max_size=80), _TEXT_DATES, st.text(max_size=20))
def test_rss_parser_gives_a_batch_or_a_payload_error(title: str, day: str, link: str) -> None:
    from xml.sax.saxutils import escape

    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        f"<title>{escape(title)} signs 1e400 MW power contract</title><link>{escape(link)}</link>"
        f"<pubDate>{escape(day)}</pubDate></item></channel></rss>"
    )
    with tempfile.TemporaryDirectory() as folder:
        _import(Path(folder), "feed.xml", feed.encode("utf-8", errors="surrogatepass"))


@pytest.mark.parametrize("name", sorted(JSON_FORMATS))
def test_a_nan_in_each_json_format_is_refused(name: str, tmp_path: Path) -> None:
    payload = JSON_FORMATS[name](float("nan"), "2024-03-31", "2024-05-01")
    path = tmp_path / name
    path.write_text(json.dumps(payload, allow_nan=True))
    config = Settings(eia=[{"name": "fuzz", "route": "electricity", "data_column": "value"}])
    from signalflow.sources.registry import source_classes

    source = next(s for s in (cls(config) for _, cls in sorted(source_classes().items())) if s.sniff(path, path.read_bytes()))
    with pytest.raises(SignalflowError) as caught:
        check_batch(source.import_file(path), str(path))
    assert str(path) in str(caught.value)
