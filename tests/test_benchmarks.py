"""The benchmark suites at tiny sizes: the cases build and run, and every naive baseline
computes the same numbers as the engine it is timed against (no timings asserted here)."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import mean_absolute_percentage_error

from benchmarks import __main__ as bench
from benchmarks import (
    bench_breaks,
    bench_forecast,
    bench_grading,
    bench_incentives,
    bench_targets,
    bench_widgets,
)
from benchmarks.harness import NAIVE, Case, Result, fmt_x, measure, table, version
from helpers.grading import exact_kmeans, fit_gaussian_mixture, natural_breaks


def test_targets_loop_gives_the_engines_cents():
    engine = bench_targets.engine(bench_targets.setup(60))
    loop = bench_targets.loop(bench_targets.loop_setup(60))
    assert len(loop) == len(engine)
    assert [row[0] for row in loop] == engine["rep_id"].tolist()
    assert [row[1] for row in loop] == engine["measure"].tolist()
    np.testing.assert_array_equal(np.array([row[3] for row in loop]),
                                  engine["target"].to_numpy())


def test_largest_remainder_loop_is_exact():
    assert bench_targets.split(10, [1.0, 1.0, 1.0]) == [4, 3, 3]  # ties to the first
    assert bench_targets.split(7, [0.0, 2.0, 1.0]) == [0, 5, 2]
    assert sum(bench_targets.split(1_000_003, [0.3, 0.7, 1e-9, 2.5])) == 1_000_003
    values = list(np.random.default_rng(0).random(300))
    assert bench_targets.pairwise_sum(values) == np.asarray(values)[None, :].sum(axis=1)[0]


def test_stability_loop_gives_the_engines_probabilities():
    inp = bench_grading.Inputs(bench_grading.company(60), 30, seed=3)
    engine = bench_grading.engine(inp)
    loop = bench_grading.loop(inp)
    np.testing.assert_array_equal(loop.to_numpy(), engine.to_numpy())
    assert loop.index.equals(engine.index)


def test_incentive_loop_pays_what_the_engine_pays():
    from helpers.incentives.engine import Inputs, run

    inp = bench_incentives.setup(40, 256, 256)
    data = bench_incentives.draws(inp, 12)
    loop = bench_incentives.loop(data)
    wide = Inputs({m: v.astype(float) for m, v in data.actual.items()},
                  {m: v.astype(float) for m, v in data.target.items()}, data.level)
    engine = run(bench_incentives.plan(), wide).total.sum(axis=(0, 2))
    np.testing.assert_allclose(loop, engine, rtol=1e-9)
    # and the draws are simulate's own: same cost for the same first scenarios
    sim = bench_incentives.engine(inp)
    np.testing.assert_allclose(sim.stats[bench_incentives.plan().name]["cost"][:12], loop,
                               rtol=1e-5)


def test_panel_change_runs_and_shows_a_png():
    panel = bench_widgets.setup(60, "week")
    before = panel.panel.plan.totals["revenue"]
    bench_widgets.change(panel)
    assert panel.panel.plan.totals["revenue"] != before
    assert panel.panel.overview.png().startswith(b"\x89PNG")
    assert bench_widgets.rebuild(panel).startswith(b"\x89PNG")


def test_break_peers_are_measured_on_the_same_terms():
    x, k = bench_breaks.scores(300), bench_breaks.K
    ours = natural_breaks(x, k)
    assert bench_breaks.breaks_quality(x, ours, bench_breaks.jenks(x)).startswith(
        "breaks identical to jenkspy's")
    labels, _, ss = exact_kmeans(x, k)
    assert bench_breaks.class_ss(x, labels) == pytest.approx(ss, rel=1e-12)
    assert bench_breaks.breaks_ss(x, ours) == pytest.approx(ss, rel=1e-12)
    assert ss <= bench_breaks.sk_kmeans(x).inertia_ * (1 + 1e-12)
    w, m, v, loglik = fit_gaussian_mixture(x, k, seed=0)
    assert bench_breaks.mixture_loglik(x, w, m, v) == pytest.approx(loglik, rel=1e-9)
    gm = bench_breaks.sk_mixture(x)  # the one formula gives scikit-learn's own score
    assert bench_breaks.mixture_loglik(x, gm.weights_, gm.means_, gm.covariances_) == (
        pytest.approx(gm.score(x[:, None]) * len(x), rel=1e-9))


def test_quality_reads_the_last_outputs_of_engine_and_baseline():
    calls = []

    def run(xs):
        calls.append("run")
        return sum(xs) + len(calls)

    case = Case(goal="sum", size="3 numbers", setup=lambda: [1, 2, 3], run=run,
                baseline=lambda xs: -sum(xs), repeat=2, warmup=False,
                quality=lambda data, ours, theirs: f"{data} {ours} {theirs}")
    assert measure(case).checks == ["[1, 2, 3] 8 -6"]  # the second timed run, not the traced
    case.baseline_setup = lambda: [1]
    assert measure(case).checks[0].endswith(" None")  # a baseline on a slice is not compared
    assert [fmt_x(None), fmt_x(0.2468), fmt_x(3.14), fmt_x(1234.5)] == ["–", "0.25x", "3.1x",
                                                                        "1,234x"]


@pytest.mark.parametrize("suite", ["bench_data", "bench_targets", "bench_grading",
                                   "bench_breaks", "bench_incentives", "bench_widgets",
                                   "bench_forecast"])
def test_quick_cases_are_well_formed(suite):
    import importlib

    assert suite in bench.SUITES
    cases = list(importlib.import_module(f"benchmarks.{suite}").cases(quick=True))
    assert cases and all(isinstance(c, Case) and c.goal and c.size for c in cases)


def test_measure_and_table_on_a_tiny_case():
    case = Case(goal="sum", size="3 numbers", setup=lambda: [1, 2, 3], run=sum,
                baseline=lambda xs: sum(x for x in xs), baseline_scale=2.0, limit_s=10.0,
                repeat=2, notes="toy")
    result = measure(case)
    assert isinstance(result, Result) and len(result.runs_s) == 2 and result.passed
    assert result.baseline_s is not None and "(scaled)" in table([result])


def test_quick_run_of_one_suite_writes_only_where_told(tmp_path, monkeypatch):
    tiny = types.ModuleType("benchmarks.bench_tiny")  # a suite with a case and a section
    tiny.cases = lambda quick: [Case(goal="sum", size="3 numbers", setup=lambda: [1, 2, 3],
                                     run=sum, baseline=lambda xs: sum(list(xs)), repeat=1)]
    tiny.sections = lambda results, quick: ["## Tiny section\n\nfrom the same run"]
    monkeypatch.setitem(sys.modules, "benchmarks.bench_tiny", tiny)
    monkeypatch.setattr(bench, "SUITES", ("bench_tiny",))
    results = Path(bench.__file__).with_name("RESULTS.md")
    before = results.stat().st_mtime_ns
    assert bench.main(["--quick", "--only", "bench_tiny"]) == 0
    assert results.stat().st_mtime_ns == before  # --only never overwrites the results file
    out = tmp_path / "one.md"
    assert bench.main(["--quick", "--only", "bench_tiny", "--out", str(out)]) == 0
    text = out.read_text()
    assert "| compared with |" in text and f"| {NAIVE} |" in text
    assert text.index("| sum | 3 numbers |") < text.index("## Tiny section")


def test_table_names_each_peer_and_its_ratio():
    slow = Case(goal="sum", size="3 numbers", setup=lambda: [1, 2, 3],
                run=lambda xs: sum(xs), baseline=lambda xs: sum(xs), repeat=1,
                peer=f"numpy {version('numpy')}")
    result = measure(slow)
    result.median_s, result.baseline_s = 4.0, 1.0  # the engine 4x slower than its peer
    row = table([result]).splitlines()[-1]
    assert f"| numpy {np.__version__} |" in row and "| 0.25x |" in row
    assert version("no-such-distribution-here") == "(not installed)"
    alone = measure(Case(goal="sum", size="3", setup=lambda: [1], run=sum, repeat=1))
    assert "| – | – | – |" in table([alone])  # no peer: nothing claimed


# ------------------------------------------------------------------ forecast accuracy

FEW = ["Abilene", "Austin", "Bay Area", "Laredo", "Waco"]


@pytest.fixture(scope="module")
def few_cities() -> pd.DataFrame:
    panel = bench_forecast.txhousing()
    return panel[panel["city"].isin(FEW)].reset_index(drop=True)


def test_forecast_scores_are_keyed_not_positional(few_cities):
    settings_ = bench_forecast.SETTINGS[:1] + bench_forecast.SETTINGS[3:5]
    first = bench_forecast.evaluate(few_cities, (2011,), settings=settings_)
    relabel = {c: f"zz-{c[::-1]}" for c in FEW}  # another sort order
    shuffled = few_cities.sample(frac=1.0, random_state=7).assign(
        city=lambda f: f["city"].map(relabel))
    second = bench_forecast.evaluate(shuffled, (2011,), settings=settings_)
    metrics = ["wape_annual", "mape_annual", "wape_monthly", "mape_monthly"]
    assert first.table.index.tolist() == second.table.index.tolist()
    np.testing.assert_allclose(second.table[metrics], first.table[metrics], rtol=1e-9)
    assert first.scored == second.scored == 5 and first.left_out == second.left_out
    # the last-year rule and the seasonal naive agree on the year by construction
    t = first.table
    assert t.loc[settings_[0].label, "wape_annual"] == pytest.approx(
        t.loc[bench_forecast.NAIVE, "wape_annual"], rel=1e-9)
    assert sum(first.ets_counts[k] for k in ("mul", "add")) + first.ets_counts[
        "under 24 months or both fits failed: seasonal naive"] == 5
    text = bench_forecast.markdown(first)
    assert "## Target accuracy on a public panel (txhousing)" in text
    assert "**Where the project stands.**" in text


def test_forecast_leaves_out_cities_with_missing_months_and_says_so(few_cities):
    data = bench_forecast.monthly(few_cities)
    gap = (data["city"] == "Waco") & (data["month"] == "2011-05-01")
    s = bench_forecast.split(data.assign(volume=data["volume"].mask(gap)), 2011)
    assert sorted(s.actual["city"].unique()) == sorted(set(FEW) - {"Waco"})
    assert s.left_out == {"fewer than 12 months on record in the test year": 1}
    assert s.history["month"].min() == pd.Timestamp("2008-01-01")
    assert s.history["month"].max() == pd.Timestamp("2010-12-01")
    dropped = bench_forecast.split(data[~gap], 2012)  # a gap in the year before
    assert dropped.left_out == {"fewer than 12 months on record in the year before": 1}


def _cells(values) -> pd.DataFrame:
    months = pd.date_range("2020-01-01", periods=len(values), freq="MS")
    return pd.DataFrame({"city": [f"c{i % 3}" for i in range(len(values))],
                         "month": months, "actual": values})


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1.0, 1e6), min_size=3, max_size=30),
       st.floats(0.0, 3.0), st.floats(0.01, 100.0), st.integers(0, 10**6))
def test_wape_and_mape_of_forecasts(values, factor, scale, seed):
    actual = _cells(values)
    perfect = actual.rename(columns={"actual": "target"})
    assert set(bench_forecast.scores(actual, perfect).values()) == {0.0}
    off = perfect.assign(target=perfect["target"] * factor)
    got = bench_forecast.scores(actual, off)
    assert got["wape_monthly"] == pytest.approx(abs(1 - factor), abs=1e-12)
    assert got["mape_monthly"] == pytest.approx(abs(1 - factor), abs=1e-12)
    noisy = perfect.assign(target=perfect["target"] * np.random.default_rng(seed).uniform(
        0, 2, len(values)))
    got = bench_forecast.scores(actual, noisy)
    assert got["mape_monthly"] == pytest.approx(
        mean_absolute_percentage_error(actual["actual"], noisy["target"]), rel=1e-9)
    moved = bench_forecast.scores(  # money in another unit, rows in another order
        actual.assign(actual=actual["actual"] * scale),
        noisy.assign(target=noisy["target"] * scale).sample(frac=1.0, random_state=seed))
    assert moved == pytest.approx(got, rel=1e-9)


def test_scores_refuse_a_month_without_a_target():
    actual = _cells([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="no target for 1 scored months"):
        bench_forecast.scores(actual, actual.rename(columns={"actual": "target"}).iloc[1:])
    with pytest.raises(ValueError, match="1 months are not > 0"):
        bench_forecast.scores(actual.assign(actual=[1.0, 0.0, 3.0]),
                              actual.rename(columns={"actual": "target"}))
