"""Metamorphic tests of the whole workbook: changes to the input that must not change a number.

- Relabelling the rep ids (so they sort in another order), shuffling the rows of every input
  table and adding a column nobody uses changes no rep's numbers in any output of
  `python -m helpers run` (targets, scores, levels, probabilities, reasons, payouts, the
  plan workbook): every output is compared keyed by rep.
- Multiplying all money (history, potential, the plans' amounts) by 100 multiplies every
  money output by 100 and changes no ratio, level or share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, copy_sample

from helpers import fairness, from_frames, grading, load_sample
from helpers import incentives as inc
from helpers import targets as tg
from helpers.cli import main
from helpers.export import read_workbook
from helpers.incentives import Plan

YEAR = 2027
KEYED = ("targets", "targets_by_week", "levels", "calibration", "incentives")
UNKEYED = ("fairness", "incentives_metrics")


def relabel(ids: pd.Series, seed: int = 7) -> dict[str, str]:
    """New ids whose sort order is unrelated to the old one (R001 < R002 but not after)."""
    order = np.random.default_rng(seed).permutation(len(ids))
    return {old: f"{chr(65 + k % 26)}-{k * 37 % 1000:03d}" for old, k in zip(ids, order,
                                                                          strict=True)}


def transformed_copy(folder, mapping: dict[str, str], seed: int = 3):
    """The sample as CSV with ids relabelled, rows shuffled and an unused column added."""
    sample = load_sample()
    rng = np.random.default_rng(seed)
    for name, frame in (("roster", sample.roster), ("history", sample.history),
                        ("reviews", sample.reviews)):
        raw = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        assert len(raw) == len(frame)
        raw["rep_id"] = raw["rep_id"].map(mapping)
        raw["crm_note"] = "imported"  # a column the workbook does not use
        raw.iloc[rng.permutation(len(raw))].to_csv(folder / f"{name}.csv", index=False)
    return folder


def run(data, out):
    # the same fewer resamples and scenarios as the shared plain run (conftest.FAST)
    assert main(["run", "--data", str(data), "--out", str(out), *FAST]) == 0
    return out


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, sample_run):
    ids = load_sample().roster["rep_id"]
    mapping = relabel(ids)
    assert sorted(mapping, key=mapping.get) != sorted(mapping)  # another sort order
    moved = transformed_copy(copy_sample(tmp_path_factory.mktemp("moved")), mapping)
    return sample_run[1], run(moved, tmp_path_factory.mktemp("b")), mapping


def keyed(frame: pd.DataFrame, back: dict[str, str] | None = None) -> pd.DataFrame:
    """A table sorted by its key columns, ids mapped back to the original ones."""
    frame = frame.copy()
    if back is not None:
        frame["rep_id"] = frame["rep_id"].map(lambda r: back.get(r, r))
    keys = [c for c in ("rep_id", "plan", "measure", "month", "week_start", "outcome", "by",
                        "group") if c in frame.columns]
    return frame.sort_values(keys, ignore_index=True)[sorted(frame.columns)]


@pytest.mark.slow
@pytest.mark.parametrize("stem", KEYED + UNKEYED)
def test_relabelled_shuffled_input_changes_no_rep_number(two_runs, stem):
    plain, moved, mapping = two_runs
    back = {new: old for old, new in mapping.items()}
    a = keyed(pd.read_csv(plain / f"{stem}_{YEAR}.csv"))
    b = keyed(pd.read_csv(moved / f"{stem}_{YEAR}.csv"), back if "rep_id" in a else None)
    assert len(a) == len(b) and list(a.columns) == list(b.columns)
    # sums over reps run in another order, so float noise may move a rounded cent; the Monte
    # Carlo works in float32 (7 digits), so its sums agree to a millionth, not to the bit
    rtol = 1e-6 if stem.startswith("incentives") else 1e-9
    for column in a.columns:
        if pd.api.types.is_float_dtype(a[column]):
            x = a[column].to_numpy() * 100
            cents = bool(np.all(np.isnan(x) | np.isclose(x, np.round(x), rtol=0, atol=1e-6)))
            np.testing.assert_allclose(b[column], a[column], rtol=rtol,
                                       atol=0.0101 if cents else 0, err_msg=f"{stem}.{column}")
        else:
            assert a[column].equals(b[column]), f"{stem}.{column}"


@pytest.mark.slow
def test_relabelled_plan_workbook_sheets_carry_the_same_rep_rows(two_runs):
    plain, moved, mapping = two_runs
    back = {new: old for old, new in mapping.items()}
    a = read_workbook(plain / f"plan_{YEAR}.xlsx")  # machine names, data rows only
    b = read_workbook(moved / f"plan_{YEAR}.xlsx")
    for sheet in ("Levels", "Calibration", "Payouts"):
        left, right = keyed(a[sheet]), keyed(b[sheet], back)
        pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=1e-9,
                                      atol=0.0101 if sheet == "Payouts" else 0, obj=sheet)


# ------------------------------------------------------------------- money x 100

MONEY_KEYS = {"target_incentive", "base_salary", "amount", "cap_payout", "per_unit", "prizes"}


def scale_plan(plan: Plan, factor: float) -> Plan:
    """The same plan with every amount of money times `factor` (rates and attainments kept)."""
    def walk(node, key=None):
        if isinstance(node, dict):
            return {k: walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, key) for v in node]
        if key in MONEY_KEYS and isinstance(node, int | float) and not isinstance(node, bool):
            return node * factor
        return node

    import yaml
    return Plan.from_dict(walk(yaml.safe_load(plan.to_yaml())))


def scale_money(ds, factor: float):
    history = ds.history.copy()
    for column in ("revenue", "quota"):
        history[column] = history[column] * factor
    roster = ds.roster.assign(territory_potential=ds.roster["territory_potential"] * factor)
    return from_frames(roster, history, ds.reviews)


@pytest.fixture(scope="module")
def rich():
    return scale_money(load_sample(), 100)


def test_money_times_100_scales_targets_and_keeps_their_shape(sample, rich):
    def plan(ds):
        return tg.plan_targets(ds, YEAR, growth=0.05, method="blend",
                               blend={"history": 0.6, "potential": 0.4}, over_assign=0.05,
                               planned_hires=4, grain="month")

    a, b = plan(sample), plan(rich)
    assert b.totals["revenue"] == pytest.approx(100 * a.totals["revenue"], rel=1e-12)
    assert b.totals["new_customers"] == a.totals["new_customers"]
    key = ["rep_id", "month", "measure"]
    left = a.monthly.set_index(key)["target"]
    right = b.monthly.set_index(key)["target"].reindex(left.index)
    money = left.index.get_level_values("measure") == "revenue"
    # rounding to the cent at either scale: within a cent x 100 of the scaled target
    np.testing.assert_allclose(right[money], 100 * left[money], rtol=0, atol=1.0)
    np.testing.assert_array_equal(right[~money], left[~money])
    audit_a = tg.smart_audit(a.targets, sample.history, YEAR)
    audit_b = tg.smart_audit(b.targets, rich.history, YEAR)
    assert audit_a[list(tg.FLAGS)].equals(audit_b[list(tg.FLAGS)])


def test_money_times_100_changes_no_level_probability_or_fairness_share(sample, rich):
    def levels(ds):
        k = grading.kpis(ds, 2026)
        current = ds.roster.set_index("rep_id")["level"]
        result = grading.grade(k, grading.PRESETS["balanced"], current=current,
                               hysteresis=2.0, rules={"senior": {"tenure_years": 2}},
                               territory=ds.roster.set_index("rep_id")["territory_potential"])
        stab = grading.stability(ds, grading.PRESETS["balanced"], result.thresholds,
                                 period=2026, n_boot=40, seed=1)
        return k, result, stab

    (ka, ra, sa), (kb, rb, sb) = levels(sample), levels(rich)
    np.testing.assert_allclose(kb["revenue"], 100 * ka["revenue"], rtol=1e-12)
    np.testing.assert_allclose(kb["attainment"], ka["attainment"], rtol=1e-12)
    np.testing.assert_allclose(rb.scores, ra.scores, rtol=1e-9)
    assert rb.assigned["proposed"].equals(ra.assigned["proposed"])
    pd.testing.assert_frame_equal(sb.probabilities, sa.probabilities)
    groups = sample.roster.set_index("rep_id").loc[ka.index, ["gender", "region", "team"]]
    audit_a = fairness.audit(ra.assigned["proposed"] >= "senior", groups)
    audit_b = fairness.audit(rb.assigned["proposed"] >= "senior", groups)
    pd.testing.assert_frame_equal(audit_a, audit_b)


def test_money_times_100_scales_every_payout_and_keeps_every_share(sample, rich):
    plans = inc.load_plans(inc.PLANS_DIR)
    scaled = {name: scale_plan(p, 100) for name, p in plans.items()}
    for name in plans:
        rows = inc.replay(plans[name], sample).groupby("rep_id")["amount"]
        a, b = rows.sum(), inc.replay(scaled[name], rich).groupby("rep_id")["amount"].sum()
        # each row is paid to the cent at its own scale: up to half a cent x 100 per row
        np.testing.assert_allclose(b.reindex(a.index), 100 * a, rtol=0,
                                   atol=0.5 * rows.size().max() + 1e-6, err_msg=name)
    sim_a = inc.simulate(plans, sample, n=128, seed=5)
    sim_b = inc.simulate(scaled, rich, n=128, seed=5)
    ma, mb = inc.metrics(sim_a), inc.metrics(sim_b)
    money = [c for c in ma.columns if "cost" in c and "of_sales" not in c
             or c.startswith("marginal") or c == "base_salaries"]
    np.testing.assert_allclose(mb[money], 100 * ma[money], rtol=1e-4)
    ratios = [c for c in ma.columns if c not in money and c != "spearman_pay_perf"]
    np.testing.assert_allclose(mb[ratios], ma[ratios], rtol=1e-4, atol=1e-9)
    # ranks tie within float32's seventh digit (helpers.ranking), which rounds differently
    # at x100: a tie at the edge may flip in one of the 128 scenarios, worth ~1e-4 here
    np.testing.assert_allclose(mb["spearman_pay_perf"], ma["spearman_pay_perf"], atol=1e-3)


# ------------------------------------------------- two labelled objects, misaligned


def test_grading_aligns_every_labelled_argument_on_rep_id(sample):
    """normalize/grade/assign/stability take Series about reps: a shuffled order (or a
    superset of reps) must give exactly what the aligned Series give."""
    k = grading.kpis(sample, 2026)
    roster = sample.roster.set_index("rep_id")
    shuffle = np.random.default_rng(0).permutation(len(roster))
    aligned = {"by": roster.loc[k.index, "region"],
               "territory": roster.loc[k.index, "territory_potential"],
               "current": roster.loc[k.index, "level"]}
    shuffled = {name: roster[s.name].iloc[shuffle] for name, s in aligned.items()}
    assert not shuffled["by"].index.equals(k.index)
    rules = {"senior": {"tenure_years": 2, "csat": 75}}
    a = grading.grade(k, grading.PRESETS["balanced"], hysteresis=2, rules=rules, **aligned)
    b = grading.grade(k, grading.PRESETS["balanced"], hysteresis=2, rules=rules, **shuffled)
    pd.testing.assert_series_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.assigned, b.assigned)
    facts = k.iloc[shuffle[shuffle < len(k)]]
    c = grading.assign(a.scores, a.thresholds, current=aligned["current"], rules=rules,
                       facts=facts, hysteresis=2)
    pd.testing.assert_frame_equal(c, a.assigned)
    s1 = grading.stability(sample, grading.PRESETS["balanced"], a.thresholds, period=2026,
                           n_boot=20, by=aligned["by"], territory=aligned["territory"])
    s2 = grading.stability(sample, grading.PRESETS["balanced"], a.thresholds, period=2026,
                           n_boot=20, by=shuffled["by"], territory=shuffled["territory"])
    pd.testing.assert_frame_equal(s1.probabilities, s2.probabilities)


def test_targets_and_incentives_align_labelled_arguments(sample):
    roster = sample.roster.set_index("rep_id")
    hired = roster["hire_date"]
    a = tg.run_rate(sample.history, hired, 2027)
    b = tg.run_rate(sample.history, hired.iloc[::-1], 2027)
    pd.testing.assert_series_equal(a, b.reindex(a.index))
    plans = inc.load_plans(inc.PLANS_DIR)
    levels = inc.default_levels(sample)
    one = inc.simulate(plans, sample, n=32, levels=levels)
    two = inc.simulate(plans, sample, n=32, levels=levels.iloc[::-1])
    pd.testing.assert_frame_equal(inc.rep_summary(one), inc.rep_summary(two))
