"""Bottom-up targets (issue 16, item 6): commitments read with errors that name the file,
column and lines; flags at their documented thresholds; rollups that add up; and targets
reconciled from the commitments that keep the total exactly to the cent, for every rule,
keyed by who the rep is (shuffled rows and relabelled ids change no rep's number).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shapes  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import helpers.targets as tg  # noqa: E402
from helpers import load  # noqa: E402
from helpers.data import SAMPLE_DIR, DataError  # noqa: E402
from helpers.errors import TargetError  # noqa: E402
from helpers.plots import targets as target_charts  # noqa: E402

YEAR = 2027


@pytest.fixture(scope="module")
def plan(sample):
    return tg.plan_targets(sample, measures=("revenue",))


@pytest.fixture(scope="module")
def committed(sample, plan):
    return tg.sample_commitments(sample, targets=plan.targets)


def cents(values) -> np.ndarray:
    """Amounts as whole cents, asserting they sit on the cent grid."""
    x = np.asarray(values, dtype="float64") * 100
    units = np.rint(x)
    assert np.all(np.abs(x - units) < 1e-6 * np.maximum(1, np.abs(x))), "off the cent grid"
    return units.astype(np.int64)


# ------------------------------------------------------------------------------ loading


def write(tmp_path, text: str, name: str = "commitments.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_reads_money_as_the_deals_loader_does(tmp_path, sample):
    path = write(tmp_path, 'rep_id,commitment,submitted_by\nR001,"1,234,567.50",M01\n'
                           'R002,$900000,M01\nR003,,M01\nR004,"USD 12,000",\n')
    out = tg.load_commitments(path, sample)
    assert out["rep_id"].tolist() == ["R001", "R002", "R004"]
    assert out["commitment"].tolist() == [1234567.5, 900000.0, 12000.0]
    assert (out["measure"] == "revenue").all()
    assert "line 4" in out.attrs["note"] and "no commitment" in out.attrs["note"]


def test_a_folder_without_the_file_means_no_commitments(tmp_path):
    out = tg.load_commitments(tmp_path)
    assert out.empty and list(out.columns)[:3] == ["rep_id", "commitment", "measure"]
    assert "commitments.csv" in out.attrs["note"] and "top-down" in out.attrs["note"]


@pytest.mark.parametrize(("text", "words"), [
    ("rep_id,amount\nR001,5\n", ["commitments.csv", "missing column", "'commitment'"]),
    ("rep_id,commitment\nR001,5\nR002,lots\nR003,7\n",
     ["commitments.csv", "column 'commitment'", "not numbers", "line 3", "lots"]),
    ("rep_id,commitment\nR001,5\nR002,7\nR003,-1\n",
     ["column 'commitment'", "below 0", "line 4", "R003"]),
    ("rep_id,commitment\nR001,5\nR002,7\nR001,9\n",
     ["column 'rep_id, measure'", "duplicated", "line 2", "line 4"]),
    ("rep_id,commitment,measure\nR001,5,revenue\nR002,7,margin\n",
     ["column 'measure'", "line 3", "margin", "revenue, new_customers"]),
    ("rep_id,commitment\nR001,5\nX999,7\n",
     ["column 'rep_id'", "not in the roster", "line 3", "X999"]),
])
def test_loader_errors_name_file_column_and_lines(tmp_path, sample, text, words):
    with pytest.raises(DataError) as error:
        tg.load_commitments(write(tmp_path, text), sample)
    for word in words:
        assert word in str(error.value), (word, str(error.value))


def test_the_sample_file_is_the_generators_output(tmp_path, sample, plan, committed):
    written = tg.write_commitments(committed, tmp_path / "commitments.csv")
    assert written.read_bytes() == (SAMPLE_DIR / tg.COMMITMENTS_FILE).read_bytes()
    back = tg.load_commitments(SAMPLE_DIR, sample)
    pd.testing.assert_frame_equal(back[["rep_id", "measure", "commitment"]],
                                  committed[["rep_id", "measure", "commitment"]],
                                  check_dtype=False)


def test_the_sample_has_a_few_of_each_kind(sample, plan, committed):
    table = tg.compare_commitments(plan.targets, committed, sample.history)
    counts = table["flag"].value_counts()
    reps = len(plan.targets)
    assert counts["ok"] > 0.75 * reps
    assert 3 <= counts["soft"] <= 0.15 * reps and 2 <= counts["unrealistic"] <= 0.1 * reps
    assert counts["no commitment"] >= 1 and counts["not in targets"] == 1


def test_sample_commitments_follow_the_rep_not_the_row(sample, plan):
    relabelled, back = _relabelled(sample, plan.targets)
    again = tg.sample_commitments(relabelled.ds, targets=relabelled.targets)
    first = tg.sample_commitments(sample, targets=plan.targets).set_index("rep_id")
    again = again.assign(rep_id=again["rep_id"].map(back)).set_index("rep_id")
    pd.testing.assert_series_equal(first["commitment"].sort_index(),
                                   again["commitment"].sort_index(), check_index_type=False)


# ---------------------------------------------------------------------------- compare


def one_rep(months: int = 12, monthly: float = 1000.0, run_rate: float = 12000.0):
    start = pd.Timestamp(YEAR - 1, 13 - months, 1)
    history = pd.DataFrame({"rep_id": "A", "month": pd.date_range(start, periods=months,
                                                                  freq="MS"),
                            "revenue": monthly})
    targets = pd.DataFrame({"rep_id": ["A"], "region": "R", "team": "T", "measure": "revenue",
                            "target": [13000.0], "run_rate": [run_rate], "capacity": [1.0]})
    return targets, history


@pytest.mark.parametrize("soft_below", [0.9, 0.75])
def test_soft_starts_just_below_its_threshold(soft_below):
    targets, history = one_rep()
    pace = 12000.0
    edge = soft_below * pace
    for amount, flag in ((edge, "ok"), (np.nextafter(edge, 0), "soft"), (edge - 0.01, "soft")):
        out = tg.compare_commitments(targets, pd.Series({"A": amount}), history,
                                     soft_below=soft_below)
        assert out["flag"].tolist() == [flag], amount
    assert f"below {soft_below:.0%}" in out["reason"].iloc[0]


@pytest.mark.parametrize("above", [1.5, 1.2])
def test_unrealistic_starts_just_above_the_best_year(above):
    targets, history = one_rep(run_rate=6000.0)  # best 12 months 12,000 > the pace
    edge = above * 12000.0
    for amount, flag in ((edge, "ok"), (np.nextafter(edge, np.inf), "unrealistic"),
                         (edge + 0.01, "unrealistic")):
        out = tg.compare_commitments(targets, pd.Series({"A": amount}), history,
                                     unrealistic_above=above)
        assert out["flag"].tolist() == [flag], amount
    assert out["best_12_months"].iloc[0] == 12000.0


def test_a_ramping_rep_is_judged_on_the_higher_of_best_year_and_pace():
    targets, history = one_rep(run_rate=20000.0)  # best 12 months 12,000 < the pace
    out = tg.compare_commitments(targets, pd.Series({"A": 1.5 * 20000.0}), history)
    assert out["flag"].tolist() == ["ok"]
    out = tg.compare_commitments(targets, pd.Series({"A": 1.5 * 20000.0 + 1}), history)
    assert out["flag"].tolist() == ["unrealistic"]


def test_best_months_needs_a_full_window():
    _, history = one_rep(months=11)
    assert np.isnan(tg.best_months(history, YEAR)["A"])
    _, history = one_rep(months=12)
    grown = history.assign(revenue=np.arange(1, 13) * 100.0)
    assert tg.best_months(grown, YEAR)["A"] == 7800.0
    longer = pd.concat([grown, grown.assign(month=grown["month"] - pd.DateOffset(years=1),
                                            revenue=50.0)])
    assert tg.best_months(longer, YEAR)["A"] == 7800.0  # the best window, not the last
    assert tg.best_months(longer, YEAR - 1)["A"] == 600.0  # only before the year


def test_no_history_is_not_judged_and_a_missing_rep_is_listed():
    targets, history = one_rep()
    targets = pd.concat([targets, targets.assign(rep_id="B", run_rate=np.nan)])
    empty = history[history["rep_id"] == "Z"]
    out = tg.compare_commitments(targets, pd.Series({"A": 12000.0, "B": 5.0, "Z": 9.0}),
                                 empty, year=YEAR)
    with pytest.raises(TargetError, match="^year: the history is empty"):
        tg.compare_commitments(targets, pd.Series({"A": 1.0}), empty)
    flags = dict(zip(out["rep_id"], out["flag"], strict=True))
    assert flags == {"A": "ok", "B": "not judged", "Z": "not in targets"}
    out = tg.compare_commitments(targets, pd.Series({"B": 5.0}), history)
    assert dict(zip(out["rep_id"], out["flag"], strict=True))["A"] == "no commitment"
    assert np.isnan(out.set_index("rep_id").loc["A", "commitment"])


def test_compare_matches_reps_by_id(sample, plan, committed):
    table = tg.compare_commitments(plan.targets, committed, sample.history).set_index("rep_id")
    shuffled = committed.sample(frac=1, random_state=3)
    history = sample.history.sample(frac=1, random_state=4)
    targets = plan.targets.sample(frac=1, random_state=5)
    again = tg.compare_commitments(targets, shuffled, history).set_index("rep_id")
    pd.testing.assert_frame_equal(table.sort_index(), again.sort_index())
    row = table.loc["R001"]
    assert row["top_down"] == plan.targets.set_index("rep_id").loc["R001", "target"]
    assert row["gap"] == pytest.approx(row["commitment"] - row["top_down"])


def test_rollups_add_up_from_reps_to_teams_to_regions(sample, plan, committed):
    table = tg.compare_commitments(plan.targets, committed, sample.history)
    teams = tg.commitment_gaps(table, "team")
    regions = tg.commitment_gaps(table, "region")
    company = tg.commitment_gaps(table, "company")
    reps = tg.commitment_gaps(table, "rep")
    assert len(reps) == len(plan.targets) and teams["reps"].sum() == len(plan.targets)
    for column in ("top_down", "commitment", "top_down_committed", "uncommitted", "gap"):
        by_region = pd.Series(cents(teams[column])).groupby(teams["region"].to_numpy()).sum()
        assert (by_region.to_numpy() == cents(regions[column])).all(), column
        assert cents(regions[column]).sum() == cents(company[column])[0], column
    assert cents(company["top_down"])[0] == cents(plan.targets["target"]).sum()
    assert cents(company["commitment"])[0] == cents(reps["commitment"].fillna(0)).sum()
    assert company["soft"][0] == (table["flag"] == "soft").sum()
    with pytest.raises(TargetError, match="by: expected"):
        tg.commitment_gaps(table, "manager")


# --------------------------------------------------------------------- reconciliation


def _frame(top: list[int], commit: list[int | None], teams: list[int]) -> tuple:
    n = len(top)
    ids = [f"r{i:02d}" for i in range(n)]
    targets = pd.DataFrame({
        "rep_id": ids, "name": [f"Rep {i}" for i in range(n)],
        "hire_date": pd.Timestamp("2020-01-01"), "region": [f"G{t % 2}" for t in teams],
        "team": [f"T{t}" for t in teams], "measure": "revenue",
        "target": np.array(top, dtype="float64") / 100})
    given = pd.DataFrame({"rep_id": ids, "commitment": [
        np.nan if c is None else c / 100 for c in commit]})
    return targets, given


reps = st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.lists(st.one_of(st.just(0), st.integers(0, 10**9)), min_size=n, max_size=n),
    st.lists(st.one_of(st.none(), st.just(0), st.integers(0, 10**9)), min_size=n, max_size=n),
    st.lists(st.integers(0, 3), min_size=n, max_size=n)))


@settings(max_examples=150, deadline=None)
@given(reps, st.sampled_from(tg.RECONCILE_RULES), st.sampled_from(tg.KEEPS),
       st.sampled_from(tg.MISSING), st.one_of(st.none(), st.just(0), st.integers(0, 10**10)),
       st.floats(0, 1))
def test_reconciliation_sums_exactly_to_the_total(data, rule, keep, missing, total, weight):
    top, commit, teams = data
    targets, given = _frame(top, commit, teams)
    kept = sum(top) if total is None else total
    try:
        out = tg.reconcile(targets, given, rule=rule, keep=keep, missing=missing,
                           total=None if total is None else total / 100, weight=weight)
    except TargetError as error:  # only a total the reps who keep theirs do not fit in
        assert total is not None and str(error).startswith("total:"), str(error)
        return
    out = out.set_index("rep_id").loc[targets["rep_id"]].reset_index()  # by key
    new = cents(out["target"])
    assert new.sum() == kept
    assert (new >= 0).all()
    out = out.assign(new=new, top=cents(out["top_down"]))
    has = out["commitment"].notna()
    if keep != "company" and total is None:  # every group keeps its own top-down total
        key = ["region", "team"] if keep == "team" else ["region"]
        sums = out.groupby(key)[["new", "top"]].sum()
        assert (sums["new"] == sums["top"]).all()
    if keep == "company" and missing == "keep" and has.any():
        kept_rows = out[~has]
        assert (kept_rows["new"] == kept_rows["top"]).all()  # said so, and so they do
    if rule == "proportional" and has.all() and keep == "company" and sum(
            c for c in commit if c) > 0:
        factor = kept / sum(commit)
        assert np.all(np.abs(new - np.array(commit) * factor) < 1 + 1e-6)


@settings(max_examples=80, deadline=None)
@given(reps, st.integers(0, 10**10))
def test_top_down_gap_moves_the_difference_by_the_top_down_targets(data, total):
    top, commit, teams = data
    commit = [0 if c is None else c for c in commit]
    targets, given = _frame(top, commit, teams)
    out = tg.reconcile(targets, given, rule="top_down_gap", total=total / 100)
    out = out.set_index("rep_id").loc[targets["rep_id"]]  # the input's order, by key
    new, own = cents(out["target"]), np.array(commit)
    assert new.sum() == total
    extra = total - own.sum()
    if extra >= 0 and sum(top) > 0:  # each gets its commitment plus a top-down share
        share = new - own
        assert (share >= 0).all()
        assert np.all(np.abs(share - extra * np.array(top) / sum(top)) < 1 + 1e-6)
    elif extra < 0:  # a cut never takes more than a rep committed
        assert (new <= own).all()


def test_one_rep_gets_the_whole_total():
    targets, given = _frame([500_00], [300_00], [0])
    for rule in tg.RECONCILE_RULES:
        out = tg.reconcile(targets, given, rule=rule, total=1234.56)
        assert out["target"].tolist() == [1234.56]
        assert tg.reconcile(targets, given, rule=rule)["target"].tolist() == [500.0]


def test_blend_weight_runs_from_commitments_to_top_down():
    targets, given = _frame([100_00, 300_00], [300_00, 100_00], [0, 0])
    bottom = tg.reconcile(targets, given, rule="blend", weight=0.0)
    top = tg.reconcile(targets, given, rule="blend", weight=1.0)
    half = tg.reconcile(targets, given, rule="blend", weight=0.5)
    assert bottom["target"].tolist() == [300.0, 100.0]
    assert top["target"].tolist() == [100.0, 300.0]
    assert half["target"].tolist() == [200.0, 200.0]
    pd.testing.assert_frame_equal(bottom.drop(columns="basis"), tg.reconcile(
        targets, given, rule="proportional").drop(columns="basis"))


def test_reps_without_a_commitment_keep_their_target_and_the_note_says_so():
    targets, given = _frame([100_00, 200_00, 300_00], [120_00, None, 200_00], [0, 0, 0])
    out = tg.reconcile(targets, given).set_index("rep_id")
    assert out.loc["r01", "target"] == 200.0 and out.loc["r01", "change"] == 0
    assert out.loc["r01", "basis"] == "top-down target kept (no commitment)"
    assert out["target"].tolist() == [150.0, 200.0, 250.0]  # 400 over 120 : 200
    assert "1 rep(s) without a commitment keep their top-down target" in out.attrs["note"]
    scaled = tg.reconcile(targets, given, missing="top_down").set_index("rep_id")
    assert scaled["target"].sum() == 600.0 and scaled.loc["r01", "basis"].endswith(
        "scaled (no commitment)")
    with pytest.raises(TargetError, match="total: the company keeps 100.00 .* 200.00"):
        tg.reconcile(targets, given, total=100.0)


def test_ties_go_by_who_the_rep_is_not_the_row_or_the_id(sample, plan):
    """Equal commitments split 0.05 over 3: the spare cents follow the reps' keyed order."""
    targets = plan.targets
    given = pd.DataFrame({"rep_id": targets["rep_id"], "commitment": 1000.0})
    total = float(targets["target"].sum()) // 1 + 0.07
    first = tg.reconcile(targets, given, total=total).set_index("rep_id")["target"]
    assert len(set(cents(first))) == 2  # equal shares, a cent apart: ties were broken
    relabelled, back = _relabelled(sample, targets)
    renamed = given.assign(rep_id=given["rep_id"].map({v: k for k, v in back.items()}))
    again = tg.reconcile(relabelled.targets, renamed.sample(frac=1, random_state=2),
                         total=total)
    again = again.assign(rep_id=again["rep_id"].map(back)).set_index("rep_id")["target"]
    pd.testing.assert_series_equal(first.sort_index(), again.sort_index(),
                                   check_index_type=False)


def test_reconcile_is_keyed_for_every_rule(sample, plan, committed):
    relabelled, back = _relabelled(sample, plan.targets)
    renamed = committed.assign(rep_id=committed["rep_id"].map(
        {v: k for k, v in back.items()}))
    for rule in tg.RECONCILE_RULES:
        for keep in tg.KEEPS:
            first = tg.reconcile(plan.targets, committed, rule=rule, keep=keep)
            again = tg.reconcile(relabelled.targets, renamed.sample(frac=1, random_state=1),
                                 rule=rule, keep=keep)
            assert cents(first["target"]).sum() == cents(plan.targets["target"]).sum()
            again = again.assign(rep_id=again["rep_id"].map(back))
            pd.testing.assert_series_equal(first.set_index("rep_id")["target"].sort_index(),
                                           again.set_index("rep_id")["target"].sort_index(),
                                           check_index_type=False)
    left = sorted(set(committed["rep_id"]) - set(plan.targets["rep_id"]))
    assert first.attrs["unused"] == left and len(left) == 1
    assert left[0] in first.attrs["note"]


def test_reconciled_rollups_keep_team_and_region_totals(sample, plan, committed):
    out = tg.reconcile(plan.targets, committed, keep="team", rule="top_down_gap")
    teams = tg.commitment_gaps(out, "team")
    assert (cents(teams["target"]) == cents(teams["top_down"])).all()
    regions = tg.commitment_gaps(out, "region")
    assert cents(regions["target"]).sum() == cents(plan.targets["target"]).sum()


def test_bad_parameters_are_named(plan, committed):
    for kwargs, word in (({"rule": "equal"}, "rule"), ({"keep": "manager"}, "keep"),
                         ({"missing": "drop"}, "missing"), ({"weight": 1.5}, "weight"),
                         ({"total": -1.0}, "total"), ({"precision": 0}, "precision")):
        with pytest.raises(TargetError, match=f"^{word}"):
            tg.reconcile(plan.targets, committed, **kwargs)
    with pytest.raises(TargetError, match="commitment"):
        tg.reconcile(plan.targets, pd.Series({"R001": -5.0}))
    with pytest.raises(TargetError, match="soft_below"):
        tg.compare_commitments(plan.targets, committed, plan.targets, soft_below=0)


# --------------------------------------------------------------- data shapes and chart


@pytest.mark.parametrize("shape", ["minimal", "partial"])
def test_runs_on_real_data_shapes(tmp_path, shape):
    ds = load(shapes.make(tmp_path / shape, *shapes.COMBINED[shape]))
    targets = tg.plan_targets(ds, measures=("revenue",)).targets
    given = tg.sample_commitments(ds, targets=targets)
    table = tg.compare_commitments(targets, given, ds.history)
    assert set(table["flag"]) <= set(tg.COMMITMENT_FLAGS)
    assert table["rep_id"].isin(targets["rep_id"]).sum() == len(targets)
    assert table["best_12_months"].notna().any()
    for rule in tg.RECONCILE_RULES:
        out = tg.reconcile(targets, given, rule=rule, keep="region")
        assert cents(out["target"]).sum() == cents(targets["target"]).sum()
    if shape == "minimal":
        assert tg.commitment_gaps(table, "region")["region"].tolist() == ["Home"]


def test_chart_by_team_and_by_rep(sample, plan, committed):
    table = tg.compare_commitments(plan.targets, committed, sample.history)
    fig = target_charts.commitments_chart(table)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert sorted(labels) == sorted(plan.targets["team"].unique())
    fig, ax = plt.subplots()
    assert target_charts.commitments_chart(table, by="rep", ax=ax) is fig
    shown = sum(len(c.get_offsets()) for c in ax.collections)
    assert shown == table["commitment"].notna().sum() - 1  # the leaver has no target
    with pytest.raises(ValueError, match="by"):
        target_charts.commitments_chart(table, by="region")
    plt.close("all")


# ---------------------------------------------------------------------------- helpers


class _Relabelled:
    def __init__(self, ds, targets):
        self.ds, self.targets = ds, targets


def _relabelled(sample, targets):
    """The sample and its targets with new ids that sort differently, rows shuffled; and
    the map from the new ids back to the old."""
    from dataclasses import replace

    ids = sample.roster["rep_id"]
    new = {old: f"Z{(997 * k) % 1009:04d}" for k, old in enumerate(ids)}
    roster = sample.roster.assign(rep_id=sample.roster["rep_id"].map(new)).sample(
        frac=1, random_state=7)
    history = sample.history.assign(rep_id=sample.history["rep_id"].map(new))
    ds = replace(sample, roster=roster.reset_index(drop=True), history=history)
    moved = targets.assign(rep_id=targets["rep_id"].map(new)).sample(frac=1, random_state=8)
    return _Relabelled(ds, moved.reset_index(drop=True)), {v: k for k, v in new.items()}
