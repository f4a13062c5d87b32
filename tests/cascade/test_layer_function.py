"""``layer(NAME)``: the share of a layer's theses warning, point in time, and the order
(and loops) of layer reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from signalflow.errors import CheckFailed
from signalflow.thesis.cascade import cascade
from signalflow.thesis.engine import backtest
from signalflow.thesis.layers import layer_order
from signalflow.thesis.loader import load_files

from tests.cascade.helpers import T0, load, provider, thesis_yaml, write

# Three power theses warn on days 10, 20 and 30 (the first is a Kill Switch from day 25);
# the second resolves on day 40. A packaging thesis warns while more than half of power does.
SERIES = {
    "fred.P1": {0: 0, 10: 2, 25: 9},
    "fred.P2": {0: 0, 20: 2, 40: 0},
    "fred.P3": {0: 0, 30: 2},
    "fred.K": {0: 0},
}


def _theses(tmp_path):
    return load(
        tmp_path,
        {
            "p1": thesis_yaml("p1", "power", "fred.P1"),
            "p2": thesis_yaml("p2", "power", "fred.P2"),
            "p3": thesis_yaml("p3", "power", "fred.P3"),
            "reader": thesis_yaml("reader", "packaging", "fred.K", extra_soft="layer(power) > 50%"),
        },
    )


@pytest.mark.parametrize(
    ("day", "share"),
    [(5, 0.0), (10, 1 / 3), (15, 1 / 3), (20, 2 / 3), (26, 2 / 3), (30, 1.0), (40, 2 / 3), (45, 2 / 3)],
)
def test_the_layer_share_is_the_share_of_its_theses_warning_at_that_instant(tmp_path, day, share):
    c = cascade(_theses(tmp_path), provider(SERIES), T0 + timedelta(days=50))
    assert c.share("power", T0 + timedelta(days=day)) == pytest.approx(share)


def test_a_thesis_reads_the_layer_point_in_time(tmp_path):
    theses = _theses(tmp_path)
    at = T0 + timedelta(days=50)
    c = cascade(theses, provider(SERIES), at, only={"reader"})
    reader = next(t for t in theses if t.id == "reader")
    bt = backtest(reader, c.provider, None, at)
    fired = [(tr.at, tr.to_state.value) for tr in bt.transitions if tr.rule == "read"]
    # above 50% from day 20 (two of three) ... still two of three after day 40: never resolves
    assert fired[0] == (T0 + timedelta(days=20), "firing")
    assert all(state == "firing" for _, state in fired)
    assert bt.status_at(T0 + timedelta(days=19)).state.value == "ok"
    assert bt.status_at(T0 + timedelta(days=21)).state.value == "soft_warning"


def test_without_the_layer_series_the_value_is_unknown(tmp_path):
    reader = next(t for t in _theses(tmp_path) if t.id == "reader")
    bt = backtest(reader, provider(SERIES), None, T0 + timedelta(days=50))
    assert bt.final.state.value == "ok" and not [tr for tr in bt.transitions if tr.rule == "read"]


def test_readers_come_after_the_layers_they_read(tmp_path):
    order = [t.id for t in layer_order(reversed(_theses(tmp_path)))]
    assert order.index("reader") > max(order.index(x) for x in ("p1", "p2", "p3"))


def test_a_loop_of_layer_reads_is_an_error_naming_the_file_and_line(tmp_path):
    paths = write(
        tmp_path,
        {
            "a": thesis_yaml("a", "power", "fred.A", extra_soft="layer(packaging) > 0"),
            "b": thesis_yaml("b", "packaging", "fred.B", extra_soft="layer(power) > 0"),
        },
    )
    ruleset = load_files(paths)
    with pytest.raises(CheckFailed) as err:
        ruleset.raise_for_errors()
    text = str(err.value)
    assert "layer() reads go round in a circle" in text
    assert "a reads layer(packaging), which holds b; b reads layer(power), which holds a" in text
    assert f"{tmp_path / 'a.yaml'}:14:" in text


def test_a_thesis_cannot_read_its_own_layer(tmp_path):
    paths = write(tmp_path, {"a": thesis_yaml("a", "power", "fred.A", extra_soft="layer(power) > 0")})
    with pytest.raises(CheckFailed, match="a reads layer\\(power\\), which holds a"):
        load_files(paths).raise_for_errors()


def test_an_unknown_layer_is_named_with_the_nearest_one(tmp_path):
    paths = write(tmp_path, {"a": thesis_yaml("a", "power", "fred.A", extra_soft="layer(powr) > 0")})
    with pytest.raises(CheckFailed, match="unknown layer 'powr'.*power"):
        load_files(paths).raise_for_errors()


@pytest.mark.parametrize(
    ("compute", "power", "moves"),
    [
        # both start warning at once: no incumbent, the first in bottleneck-map order binds
        ({0: 0, 10: 2}, {0: 0, 10: 2}, [(10, "compute", ("c",))]),
        # power first; compute ties it later: the incumbent keeps binding
        ({0: 0, 12: 2}, {0: 0, 10: 2}, [(10, "power", ("p",))]),
        # power resolves while compute warns: the binding layer moves
        ({0: 0, 12: 2}, {0: 0, 10: 2, 15: 0}, [(10, "power", ("p",)), (15, "compute", ("c",))]),
        # everything resolves: no layer binds
        ({0: 0}, {0: 0, 10: 2, 15: 0}, [(10, "power", ("p",)), (15, "", ())]),
    ],
)
def test_the_binding_layer_and_its_ties(tmp_path, compute, power, moves):
    theses = load(
        tmp_path,
        {"c": thesis_yaml("c", "compute", "fred.C"), "p": thesis_yaml("p", "power", "fred.P")},
    )
    c = cascade(theses, provider({"fred.C": compute, "fred.P": power}), T0 + timedelta(days=30))
    assert [(m.at, m.layer, m.theses) for m in c.moves] == [(T0 + timedelta(days=d), x, t) for d, x, t in moves]


def test_check_reports_the_loop_and_keeps_no_thesis_of_it(tmp_path):
    from typer.testing import CliRunner

    from signalflow.cli import app

    write(
        tmp_path / "rules",
        {
            "a": thesis_yaml("a", "power", "fred.A", extra_soft="layer(packaging) > 0"),
            "b": thesis_yaml("b", "packaging", "fred.B", extra_soft="layer(power) > 0"),
            "c": thesis_yaml("c", "compute", "fred.C", extra_soft="layer(power) > 0"),
        },
    )
    result = CliRunner().invoke(app, ["check", str(tmp_path / "rules")])
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "a.yaml:14:13: error: layer() reads go round in a circle" in out
    assert "1 thesis(es) ok, 1 error(s)" in out  # c reads power without a loop


def test_a_thesis_that_cannot_be_evaluated_counts_as_not_warning(tmp_path):
    theses = _theses(tmp_path)
    series = {**SERIES, "fred.P1": {}}  # p1 has no data at all: nothing to evaluate
    c = cascade(theses, provider(series), T0 + timedelta(days=50))
    assert c.share("power", T0 + timedelta(days=35)) == pytest.approx(2 / 3)
