"""A generated corpus of hostile inputs: thesis files, rule-test files and payloads.

Each entry is a name and the bytes of one file, chosen the way a careful attacker or an
unlucky operator would write it: numbers outside float range, NaN and Infinity, dates that
do not exist or that the store cannot hold, nesting that exhausts a recursive parser,
YAML aliases that expand without bound, and strings where numbers go. The tests feed every
entry to ``signalflow check``/``test``/``import`` and expect a clear error or a result,
never a traceback.
"""

from __future__ import annotations

import json

THESIS = """\
thesis: hostile
title: hostile input
review_by: {review_by}
series:
  spread: {series}
growth:
  reason: growth holds
  when: {growth}
liquidity:
  reason: liquidity holds
  when: fred.DGS10 < 9
soft_warning:
  - name: warn
    when: {when}
    for: {for_}
    keep_firing_for: {keep}
    stale_after: {stale}
kill_switch:
  - name: kill
    when: fred.DGS10 > 20
every: {every}
"""

_DEFAULTS = {
    "review_by": "2099-01-01",
    "series": "fred.BAMLH0A0HYM2 * 1",
    "growth": "yoy(fred.M2SL) > 0",
    "when": "spread > 5",
    "for_": "30d",
    "keep": "7d",
    "stale": "90d",
    "every": "6h",
}


def thesis(**fields: str) -> str:
    """The template with some fields replaced; every other field is valid."""
    return THESIS.format(**{**_DEFAULTS, **fields})


def _nested_parens(n: int) -> str:
    return "(" * n + "fred.DGS10" + ")" * n + " > 1"


def _nested_calls(n: int) -> str:
    return "abs(" * n + "fred.DGS10" + ")" * n + " > 1"


def _and_chain(n: int) -> str:
    return " and ".join(["fred.DGS10 > 1"] * n)


def _block(expr_lines: list[str]) -> str:
    return "|\n" + "".join(f"      {line}\n" for line in expr_lines)


HARMLESS_THESES = frozenset({"review_by_timestamp_overflow.yaml"})
"""Entries that look hostile but are valid: a timestamp as review_by counts as its day."""


def thesis_corpus() -> dict[str, bytes]:
    """Hostile thesis files by name (``.yaml``), one category of attack each."""
    texts: dict[str, str] = {
        # durations
        "duration_1e400d_window.yaml": thesis(when="change(fred.DGS10, 1e400d) > 0"),
        "duration_99999999y_window.yaml": thesis(when="change(fred.DGS10, 99999999y) > 0"),
        "duration_zero_window.yaml": thesis(when="change(fred.DGS10, 0d) > 0"),
        "duration_5000y_window.yaml": thesis(when="mean(fred.DGS10, 5000y) > 0"),
        "duration_for_1e400d.yaml": thesis(for_="1e400d"),
        "duration_for_99999999y.yaml": thesis(for_="99999999y"),
        "duration_for_negative.yaml": thesis(for_="-5d"),
        "duration_for_nan.yaml": thesis(for_="nand"),
        "duration_for_huge_releases.yaml": thesis(for_="99999999999999999999 releases"),
        "duration_keep_negative.yaml": thesis(keep="-30d"),
        "duration_keep_inf.yaml": thesis(keep="infd"),
        "duration_stale_zero.yaml": thesis(stale="0d"),
        "duration_stale_1e400.yaml": thesis(stale="1e400s"),
        "duration_every_99999999y.yaml": thesis(every="99999999y"),
        # nesting, length
        "nested_parens_123.yaml": thesis(when=_nested_parens(123)),
        "nested_parens_2000.yaml": thesis(when=_nested_parens(2000)),
        "nested_calls_109.yaml": thesis(when=_nested_calls(109)),
        "nested_not_3000.yaml": thesis(when="not " * 3000 + "fred.DGS10 > 1"),
        "nested_minus_3000.yaml": thesis(when="-" * 3000 + "fred.DGS10 > 1"),
        "and_chain_495.yaml": thesis(when=_and_chain(495)),
        "plus_chain_2000.yaml": thesis(series=" + ".join(["fred.DGS10"] * 2000)),
        "long_multiline_16000.yaml": thesis(when=_block(["fred.DGS10 > 1 and"] * 16000 + ["fred.DGS10 > 1"])),
        # characters
        "superscript_digit.yaml": thesis(when="fred.DGS10 > 2\u00b2"),
        "arabic_digit.yaml": thesis(when="fred.DGS10 > \u0661\u0662"),
        "unicode_letter.yaml": thesis(when="caf\u00e9 > 1"),
        "unicode_name_start.yaml": thesis(when="\u00e9t\u00e9 > 1"),
        "nul_byte.yaml": thesis(when="fred.DGS10 > 1\x00"),
        # numbers
        "number_1e400.yaml": thesis(when="fred.DGS10 > 1e400"),
        "percent_1e400.yaml": thesis(when="yoy(fred.M2SL) > 1e400%"),
        "lag_huge.yaml": thesis(when="lag(fred.DGS10, 99999999999999999999) > 1"),
        "mean_huge_n.yaml": thesis(when="mean(fred.DGS10, 1e300) > 1"),
        "pct_change_huge.yaml": thesis(when="pct_change(fred.DGS10, 10000000) > 1"),
        # dates
        "review_by_feb_30.yaml": thesis(review_by="2025-02-30"),
        "review_by_year_0.yaml": thesis(review_by="0000-01-01"),
        "review_by_year_99999.yaml": thesis(review_by="99999-01-01"),
        "review_by_text.yaml": thesis(review_by="soon"),
        "review_by_list.yaml": thesis(review_by="[1, 2]"),
        "review_by_timestamp_overflow.yaml": thesis(review_by="9999-12-31T23:59:59-05:00"),
        # YAML
        "yaml_billion_laughs.yaml": _billion_laughs("thesis: x\ngrowth: ", "\n"),
        "yaml_recursive_alias.yaml": "a: &a [*a]\nthesis: x\n",
        "yaml_deep_lists.yaml": "thesis: " + "[" * 5000 + "]" * 5000 + "\n",
        "yaml_deep_maps.yaml": "thesis: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
        "yaml_python_tag.yaml": "thesis: !!python/object/apply:os.system ['true']\n",
        "yaml_unknown_tag.yaml": "thesis: !custom x\n",
        "yaml_binary_key.yaml": "? !!binary aGVsbG8=\n: 1\n",
        "yaml_list_root.yaml": "- 1\n- 2\n",
        "yaml_scalar_root.yaml": "42\n",
        "yaml_tabs.yaml": "thesis:\n\t- x\n",
        "yaml_two_documents.yaml": "thesis: a\n---\nthesis: b\n",
        "yaml_int_keys.yaml": thesis().replace("soft_warning:", "1: 2\nsoft_warning:"),
        "yaml_null_everything.yaml": "thesis:\ngrowth:\nliquidity:\nsoft_warning:\nkill_switch:\n",
        "yaml_when_mapping.yaml": thesis(when="{a: 1}"),
        "yaml_series_list.yaml": thesis().replace("series:\n  spread: fred.BAMLH0A0HYM2 * 1", "series: [1, 2]"),
        "empty.yaml": "",
    }
    out = {name: text.encode("utf-8") for name, text in texts.items()}
    out["invalid_utf8.yaml"] = b"thesis: \xff\xfe\n"
    out["binary_junk.yaml"] = bytes(range(256)) * 4
    out["too_large.yaml"] = thesis().encode() + b"#" * 1_100_000 + b"\n"
    return out


def _billion_laughs(prefix: str, suffix: str, levels: int = 9) -> str:
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n" + prefix + f"*a{levels}" + suffix


TEST_FILE = """\
thesis_files: [{files}]
tests:
  - name: hostile
    series:
      fred.DGS10: {series}
    expect:
      - {{at: {at}, thesis: hostile, state: ok}}
"""


def rule_test_file(files: str = "hostile.yaml", series: str = "{2025-01-01: 4.0}", at: str = "2025-03-01") -> str:
    return TEST_FILE.format(files=files, series=series, at=at)


def rule_test_corpus() -> dict[str, bytes]:
    """Hostile rule-test files (``.test.yaml``); each sits beside a valid ``hostile.yaml``."""
    texts = {
        "billion_laughs.test.yaml": _billion_laughs("thesis_files: [hostile.yaml]\ntests:\n  - name: x\n    series:\n      fred.DGS10: {2025-01-01: ", "}\n    expect: []\n"),
        "billion_laughs_name.test.yaml": _billion_laughs("thesis_files: [hostile.yaml]\ntests:\n  - name: ", "\n    expect: []\n"),
        "dev_zero.test.yaml": rule_test_file(files="/dev/zero"),
        "missing_thesis.test.yaml": rule_test_file(files="nowhere.yaml"),
        "value_text.test.yaml": rule_test_file(series="{2025-01-01: lots}"),
        "value_nan.test.yaml": rule_test_file(series="{2025-01-01: .nan}"),
        "value_inf.test.yaml": rule_test_file(series="{2025-01-01: .inf}"),
        "value_1e400.test.yaml": rule_test_file(series="{2025-01-01: 1e400}"),
        "value_huge_int.test.yaml": rule_test_file(series="{2025-01-01: " + "9" * 400 + "}"),
        "period_year_9999.test.yaml": rule_test_file(series="{9999-12-31: 1.0}"),
        "period_year_1.test.yaml": rule_test_file(series="{0001-01-01: 1.0}"),
        "period_feb_30.test.yaml": rule_test_file(series="{2025-02-30: 1.0}"),
        "at_year_9999.test.yaml": rule_test_file(at="9999-12-31"),
        "at_feb_30.test.yaml": rule_test_file(at="2025-02-30"),
        "known_at_overflow.test.yaml": rule_test_file(
            series="[{period: 2025-01-01, value: 1, known_at: '9999-12-31T23:59:59-05:00'}]"
        ),
        "deep.test.yaml": "tests: " + "[" * 3000 + "]" * 3000 + "\n",
        "root_list.test.yaml": "- 1\n",
        "empty.test.yaml": "",
    }
    return {name: text.encode("utf-8") for name, text in texts.items()}


VALID_THESIS = thesis()


def _facts(val: object, end: str = "2024-03-31", filed: str = "2024-05-01") -> str:
    row = (
        f'{{"start": "2024-01-01", "end": "{end}", "val": {val}, "accn": "0000320193-24-000001", '
        f'"fy": 2024, "fp": "Q2", "form": "10-Q", "filed": "{filed}"}}'
    )
    return (
        '{"cik": 320193, "entityName": "Apple Inc.", "facts": {"us-gaap": {"Revenues": '
        '{"label": "Revenues", "units": {"USD": [' + row + "]}}}}}"
    )


def _fred_json(value: str, date: str = "2024-01-01", count: object = 1, realtime: str = "2024-02-01") -> str:
    return json.dumps(
        {
            "count": count,
            "units": "lin",
            "observations": [{"realtime_start": realtime, "realtime_end": "9999-12-31", "date": date, "value": value}],
        }
    )


def _eia(response: object) -> str:
    return json.dumps({"response": response, "request": {"command": "/v2/electricity/data", "params": {}}, "dateFormat": "x"})


def _chart(close: str, stamp: str = "1704153600") -> str:
    return (
        '{"chart": {"result": [{"meta": {"symbol": "NVDA", "gmtoffset": -18000}, "timestamp": [' + stamp + '], '
        '"indicators": {"quote": [{"open": [1], "high": [1], "low": [1], "close": [' + close + '], "volume": [1]}]}}], '
        '"error": null}}'
    )


HARMLESS_PAYLOADS = frozenset(
    {
        "fred_count/DGS10.json",  # an import reads no `count`
        "NVDA_inf.csv",  # the csv source reads its first value column (Open), not Close
        "NVDA_1e400.csv",
        "feed_bad_date.xml",  # an unreadable date makes an undated entry, known when collected
        "mlenergy_bad/index.json",  # an index holds no datapoints
    }
)


def payload_corpus() -> dict[str, bytes]:
    """Hostile payloads by file name; names matter, because import sniffs by name and head."""
    texts = {
        # SEC companyfacts and submissions
        "AAPL_facts_nan.json": _facts("NaN"),
        "AAPL_facts_inf.json": _facts("Infinity"),
        "AAPL_facts_minus_inf.json": _facts("-Infinity"),
        "AAPL_facts_1e400.json": _facts("1e400"),
        "AAPL_facts_string.json": _facts('"lots"'),
        "AAPL_facts_null.json": _facts("null"),
        "AAPL_facts_list.json": _facts("[1, 2]"),
        "AAPL_facts_year_9999.json": _facts("1", end="9999-12-31", filed="9999-12-31"),
        "AAPL_facts_year_0.json": _facts("1", end="0000-01-01"),
        "AAPL_facts_feb_30.json": _facts("1", end="2024-02-30"),
        "AAPL_facts_units_list.json": '{"cik": 320193, "entityName": "A", "facts": {"us-gaap": {"Revenues": {"units": []}}}}',
        "AAPL_facts_facts_null.json": '{"cik": 320193, "entityName": "A", "facts": null}',
        "AAPL_facts_cik_text.json": '{"cik": "abc", "entityName": "A", "facts": {}}',
        "AAPL_subs_bad.json": '{"cik": "320193", "fiscalYearEnd": "1399", "tickers": ["AAPL"], "filings": {"recent": {"form": ["10-Q"], "reportDate": ["2024-02-30"], "filingDate": [5], "accessionNumber": [null]}}}',
        "AAPL_subs_null.json": '{"cik": "320193", "fiscalYearEnd": null, "tickers": [null], "filings": null}',
        "AAPL_subs_text.json": '{"cik": "x", "fiscalYearEnd": "abcd", "tickers": "AAPL", "filings": {"recent": "x"}}',
        # FRED
        "fred_nan/DGS10.json": _fred_json("NaN"),
        "fred_inf/DGS10.json": _fred_json("inf"),
        "fred_1e400/DGS10.json": _fred_json("1e400"),
        "fred_text/DGS10.json": _fred_json("lots"),
        "fred_year_9999/DGS10.json": _fred_json("1", date="9999-12-31"),
        "fred_count/DGS10.json": _fred_json("1", count="many"),
        "fred_error_code/DGS10.json": '{"error_code": "abc", "error_message": "x"}',
        "fred_obs_null/DGS10.json": '{"observations": [null, 1, "x"]}',
        "DGS10.csv": "date,value\n2024-01-01,inf\n",
        "DGS10_1e400.csv": "DATE,DGS10\n2024-01-01,1e400\n",
        "fredgraph_nan.csv": "observation_date,DGS10\n2024-01-01,NaN\n",
        "fredgraph_year_9999.csv": "DATE,DGS10\n9999-12-31,1\n",
        "alfred_inf.csv": "DATE,DGS10_20240101\n2023-12-01,-inf\n",
        "alfred_bad_vintage.csv": "DATE,DGS10_20249999\n2023-12-01,1\n",
        # EIA
        "eia_response_null.json": _eia(None),
        "eia_data_text.json": _eia({"data": "x", "dateFormat": "YYYY"}),
        "eia_error_code_text.json": '{"response": 1, "error": "bad", "code": "x", "dateFormat": 1}',
        # prices
        "NVDA_inf.csv": "Date,Open,High,Low,Close,Volume\n2024-01-02,1,1,1,inf,1\n",
        "NVDA_1e400.csv": "Date,Open,High,Low,Close,Volume\n2024-01-02,1,1,1,1e400,1\n",
        "NVDA_year_9999.csv": "Date,Open,High,Low,Close,Volume\n9999-12-31,1,1,1,1,1\n",
        "NVDA_chart_nan.json": _chart("NaN"),
        "NVDA_chart_text.json": _chart('"x"'),
        "NVDA_chart_stamp_huge.json": _chart("1", stamp="99999999999999999"),
        "NVDA_chart_stamp_text.json": _chart("1", stamp='"x"'),
        # tabular CSV / JSON
        "data_inf.csv": "date,value\n2024-01-01,Infinity\n",
        "data_1e400.csv": "date,value\n2024-01-01,1e400\n",
        "data_year_9999.csv": "date,value\n9999-12-31,1\n",
        "data_text.csv": "date,value\n2024-01-01,lots\n",
        # RSS
        "feed_bad_date.xml": '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>Acme signs 1e400 MW power contract</title><link>http://x/1</link><pubDate>Mon, 30 Feb 9999 25:61:61 +9999</pubDate></item></channel></rss>',
        "feed_huge_mw.xml": '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>Microsoft signs 9' + "9" * 400 + ' MW power purchase agreement</title><link>http://x/2</link><pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item></channel></rss>',
        # MLPerf / ML.ENERGY
        "mlperf_text/summary_results.json": json.dumps([{"has_power": True, "Performance_Result": "x", "Power_Units": "Watts", "Performance_Units": "Tokens/s", "version": "v5.0"}]),
        "mlperf_nan/summary_results.json": '[{"has_power": true, "Performance_Result": NaN, "Power_Result": Infinity, "Power_Units": "Watts", "Performance_Units": "Tokens/s", "version": "v5.0", "a#": 1, "Platform": "p", "Model": "m", "Scenario": "s"}]',
        "mlenergy_bad/index.json": '{"last_updated": "2025-01-01", "architectures": []}',
        "mlenergy_bad/model.json": '{"configurations": [{"gpu_model": "H100", "output_throughput_tokens_per_sec": NaN, "avg_power_watts": "x", "num_gpus": "y", "max_num_seqs": null, "model_id": "m"}]}',
    }
    return {name: text.encode("utf-8") for name, text in texts.items()}
