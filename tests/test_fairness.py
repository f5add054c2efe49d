"""Fairness formulas against hand-computed tables, small-count handling and bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, fisher_exact

from helpers import fairness
from helpers.fairness import (
    MISSING,
    FairnessError,
    adverse_impact,
    audit,
    describe_audit,
    independence,
    level_independence,
    selection_rates,
)


def people(counts: dict[str, tuple[int, int]], name: str = "gender"):
    """outcome/group Series from {group: (selected, members)}."""
    outcome, group = [], []
    for g, (sel, n) in counts.items():
        outcome += [True] * sel + [False] * (n - sel)
        group += [g] * n
    return pd.Series(outcome), pd.Series(group, name=name)


def test_selection_rates_count_members_and_selected():
    outcome, group = people({"F": (3, 12), "M": (6, 10)})
    table = selection_rates(outcome, group)
    assert table.loc["F"].tolist() == [12, 3, 0.25]
    assert table.loc["M"].tolist() == [10, 6, 0.6]
    assert table.index.name == "gender"


def test_adverse_impact_matches_hand_computation():
    outcome, group = people({"A": (10, 20), "B": (4, 20)})
    table = adverse_impact(outcome, group)
    # reference is the highest rate: A at 10/20 = 0.5; B at 4/20 = 0.2 -> ratio 0.4 < 0.8
    assert table.loc["A", "reference"] and not table.loc["B", "reference"]
    assert table.loc["B", "ratio"] == pytest.approx(0.4)
    assert table.loc["B", "four_fifths"] and not table.loc["A", "four_fifths"]
    expected_p = fisher_exact([[4, 16], [10, 10]]).pvalue
    assert table.loc["B", "fisher_p"] == pytest.approx(expected_p)
    se = math.sqrt(1 / 4 - 1 / 20 + 1 / 10 - 1 / 20)  # Katz log interval
    assert table.loc["B", "ci_low"] == pytest.approx(0.4 * math.exp(-1.959964 * se), rel=1e-5)
    assert table.loc["B", "ci_high"] == pytest.approx(0.4 * math.exp(1.959964 * se), rel=1e-5)
    assert np.isnan(table.loc["A", "fisher_p"])


def test_four_fifths_boundary_is_exactly_point_eight():
    outcome, group = people({"A": (5, 10), "B": (4, 10), "C": (3, 10)})
    table = adverse_impact(outcome, group)
    assert table.loc["B", "ratio"] == pytest.approx(0.8)
    assert not table.loc["B", "four_fifths"]  # 0.8 itself is not below four fifths
    assert table.loc["C", "four_fifths"]


def test_zero_selected_uses_half_cell_correction():
    outcome, group = people({"A": (5, 10), "B": (0, 10)})
    row = adverse_impact(outcome, group).loc["B"]
    assert row["ratio"] == 0 and row["four_fifths"]
    se = math.sqrt(1 / 0.5 - 1 / 11 + 1 / 5.5 - 1 / 11)
    centre = math.log((0.5 / 11) / (5.5 / 11))
    assert row["ci_high"] == pytest.approx(math.exp(centre + 1.959964 * se), rel=1e-5)
    # none selected: the ratio is 0 and so is the exact lower bound (the corrected Katz
    # lower bound, 0.09 here, would leave the point estimate outside its own interval)
    assert row["ci_low"] == 0
    assert row["ci_method"] == ("Katz log, 0.5 added to each cell (a zero count); "
                                "lower bound 0 (none selected)")


def test_interval_method_is_named_per_row():
    outcome, group = people({"A": (10, 20), "B": (4, 20), "C": (6, 6), "D": (0, 5)})
    table = adverse_impact(outcome, group, reference="A")
    assert table.loc["B", "ci_method"] == "Katz log"
    assert table.loc["C", "ci_method"] == "Katz log, 0.5 added to each cell (a zero count)"
    assert table.loc["D", "ci_method"].endswith("lower bound 0 (none selected)")
    assert pd.isna(table.loc["A", "ci_method"]) and np.isnan(table.loc["A", "ci_low"])
    # a reference with no one selected leaves the ratio, and so its interval, undefined
    table = adverse_impact(outcome, group, reference="D")
    assert table.loc["A", ["ratio", "ci_low", "ci_high"]].isna().all()
    assert table.loc["A", "ci_method"] == "none: the reference group has no one selected"
    # at 50 % confidence the corrected interval (1.004 to 1.74) would miss a ratio of 1
    outcome, group = people({"A": (1, 1), "B": (59, 59)})
    row = adverse_impact(outcome, group, reference="A", confidence=0.5).loc["B"]
    assert row["ci_low"] == row["ratio"] == 1 and row["ci_high"] > 1.7
    assert row["ci_method"] == ("Katz log, 0.5 added to each cell (a zero count); "
                                "widened to hold the ratio")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(1, 12)), min_size=2, max_size=4),
       st.sampled_from([0.5, 0.8, 0.95, 0.99]), st.integers(0, 3))
def test_interval_holds_its_point_estimate(groups, confidence, ref):
    counts = {f"g{i}": (min(s, n), n) for i, (s, n) in enumerate(groups)}
    outcome, group = people(counts)
    reference = f"g{min(ref, len(groups) - 1)}"
    table = adverse_impact(outcome, group, reference=reference, confidence=confidence)
    rows = table[~table["reference"] & table["ratio"].notna()]
    assert (rows["ci_low"] <= rows["ratio"]).all() and (rows["ratio"] <= rows["ci_high"]).all()
    assert rows["ci_method"].str.startswith("Katz log").all()
    assert ((rows["selected"] == 0) == (rows["ci_low"] == 0)).all()


def test_explicit_reference_group():
    outcome, group = people({"A": (5, 10), "B": (8, 10)})
    table = adverse_impact(outcome, group, reference="A")
    assert table.loc["B", "ratio"] == pytest.approx(1.6)
    with pytest.raises(FairnessError, match="reference='Z'.*gender"):
        adverse_impact(outcome, group, reference="Z")


def test_group_with_no_members_is_named():
    outcome, group = people({"F": (3, 5), "M": (2, 5)})
    group = group.astype(pd.CategoricalDtype(["F", "M", "X"]))
    with pytest.raises(FairnessError, match="gender: group 'X' has no members"):
        adverse_impact(outcome, group)


def test_outcome_must_be_binary_and_complete():
    _, group = people({"F": (1, 2), "M": (1, 2)})
    with pytest.raises(FairnessError, match="outcome \\(gender\\).*True/False"):
        selection_rates(pd.Series([0, 1, 2, 1]), group)
    with pytest.raises(FairnessError, match="missing"):
        selection_rates(pd.Series([True, None, False, True]), group)
    with pytest.raises(FairnessError, match="3 group labels for 4"):
        selection_rates([True, False, False, True], group.iloc[:3].tolist())


def test_missing_group_label_is_its_own_group():
    outcome = pd.Series([True, False, True, True])
    group = pd.Series(["F", "F", None, "M"], name="gender")
    assert "(missing)" in selection_rates(outcome, group).index


def test_cramers_v_and_chi2_by_hand_on_2x2():
    # table F: (10 senior, 20 junior), M: (20 senior, 10 junior); n = 60
    levels = pd.Series(["senior"] * 10 + ["junior"] * 20 + ["senior"] * 20 + ["junior"] * 10)
    group = pd.Series(["F"] * 30 + ["M"] * 30, name="gender")
    res = level_independence(levels, group)
    a, b, c, d = 10, 20, 20, 10
    chi2 = 60 * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    assert res.chi2 == pytest.approx(chi2)  # = 6.667, no continuity correction
    assert res.cramers_v == pytest.approx(math.sqrt(chi2 / 60))
    assert res.dof == 1 and res.method == "chi-square"
    assert res.p_value == pytest.approx(chi2_contingency([[a, b], [c, d]], correction=False)[1])


def test_chi2_by_hand_on_2x3():
    counts = {"North": [6, 9, 15], "South": [12, 9, 9]}
    levels, group = [], []
    for g, row in counts.items():
        for lvl, k in zip(["junior", "senior", "top"], row, strict=True):
            levels += [lvl] * k
            group += [g] * k
    res = level_independence(pd.Series(levels), pd.Series(group, name="region"))
    expected = np.array([[9, 9, 12], [9, 9, 12]])  # row total 30, column totals 18/18/24
    chi2 = ((np.array(list(counts.values())) - expected) ** 2 / expected).sum()
    assert res.chi2 == pytest.approx(chi2)
    assert res.cramers_v == pytest.approx(math.sqrt(chi2 / (60 * 1)))
    assert res.dof == 2


def test_small_counts_switch_to_seeded_permutation():
    levels = pd.Series(["a", "b", "a", "b", "a", "a", "b", "c"])
    group = pd.Series(["x", "x", "x", "y", "y", "y", "z", "z"], name="team")
    res = level_independence(levels, group, seed=3)
    assert res.method == "permutation" and res.small_cells > 0.2
    assert 0 < res.p_value <= 1
    assert level_independence(levels, group, seed=3).p_value == res.p_value
    # a perfectly dependent layout must be rarer under permutation than an independent one
    dep = level_independence(pd.Series(["a"] * 4 + ["b"] * 4),
                             pd.Series(["x"] * 4 + ["y"] * 4, name="team"))
    assert dep.method == "permutation" and dep.p_value < 0.1


def test_independence_needs_two_groups():
    with pytest.raises(FairnessError, match="team: only one group, 'x'"):
        level_independence(pd.Series(["a", "b"]), pd.Series(["x", "x"], name="team"))


def test_unused_level_categories_are_dropped_not_divided_by_zero():
    levels = pd.Series(pd.Categorical(["junior"] * 10 + ["top"] * 10,
                                      categories=["junior", "senior", "top"]))
    group = pd.Series(["F", "M"] * 10, name="gender")
    res = level_independence(levels, group)
    assert list(res.table.columns) == ["junior", "top"]
    assert res.chi2 == pytest.approx(0.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 30)), min_size=2, max_size=5))
def test_ratio_is_rate_over_best_rate(groups):
    counts = {f"g{i}": (min(s, n), n) for i, (s, n) in enumerate(groups)}
    outcome, group = people(counts)
    table = adverse_impact(outcome, group)
    rates = {g: s / n for g, (s, n) in counts.items()}
    best = max(rates.values())
    for g, rate in rates.items():
        if best > 0:
            assert table.loc[g, "ratio"] == pytest.approx(rate / best)
            assert table.loc[g, "four_fifths"] == (rate / best < 0.8)
        assert table.loc[g, "ratio"] <= 1 + 1e-12 or best == 0


def test_audit_and_describe_in_plain_words():
    outcome, gender = people({"F": (2, 10), "M": (8, 10)})
    region = pd.Series(["N", "S"] * 10, name="region")
    table = audit(outcome, pd.DataFrame({"gender": gender, "region": region}))
    assert set(table["by"]) == {"gender", "region"}
    lines = describe_audit(table, "promoted")
    assert len(lines) == 1 and lines[0].startswith("gender F: 20% promoted against 80% for M")
    fair = audit(pd.Series([True, True, False, False] * 5), pd.DataFrame({"region": region}))
    assert describe_audit(fair)[0].startswith("No group falls below")


def test_outcome_and_group_align_by_person_not_by_row():
    outcome = pd.Series([True, False, False], index=["r1", "r2", "r3"])
    group = pd.Series(["M", "F", "F"], index=["r3", "r1", "r2"], name="gender")
    table = selection_rates(outcome, group)
    assert table.loc["F", "selected"] == 1 and table.loc["M", "selected"] == 0


def test_summary_stacks_audits_under_their_outcome():
    group = pd.Series(["a"] * 4 + ["b"] * 4, name="gender")
    senior = fairness.audit(pd.Series([1, 1, 1, 0, 1, 0, 0, 0]).astype(bool), {"gender": group})
    promoted = fairness.audit(pd.Series([1, 0, 0, 0, 1, 1, 0, 0]).astype(bool),
                              {"gender": group})
    table = fairness.summary({"senior": senior, "promoted": promoted})
    assert list(table.columns[:3]) == ["outcome", "by", "group"]
    assert table.groupby("outcome")["n"].sum().to_dict() == {"promoted": 8, "senior": 8}
    rates = table.set_index(["outcome", "group"])["rate"]
    assert rates[("senior", "a")] == 0.75 and rates[("promoted", "b")] == 0.5


# ------------------------------------------------- labelled inputs align on labels (issue 10)


def misaligned(n: int = 40, seed: int = 1):
    """Outcome on reps r0..r{n-1}; the group's index in another order, missing r0 and r1,
    holding two reps that are not in the outcome: same length, different people."""
    rng = np.random.default_rng(seed)
    ids = [f"r{i}" for i in range(n)]
    outcome = pd.Series(rng.random(n) < 0.5, index=ids)
    labels = rng.choice(["F", "M", "X"], size=n)
    group = pd.Series(labels, index=ids, name="gender")
    group = pd.concat([group.iloc[2:], pd.Series(["M", "M"], index=["z1", "z2"])])
    return outcome, group.sample(frac=1, random_state=seed).rename("gender")


def by_hand(outcome: pd.Series, group: pd.Series) -> dict[str, tuple[int, int]]:
    """{group: (members, selected)} from a Python loop over the outcome's people."""
    counts: dict[str, list[int]] = {}
    for rep, sel in outcome.items():
        label = group[rep] if rep in group.index else MISSING
        counts.setdefault(label, [0, 0])
        counts[label][0] += 1
        counts[label][1] += int(sel)
    return {g: tuple(v) for g, v in counts.items()}


def test_issue_example_is_counted_by_label():
    outcome = pd.Series([1, 1, 0, 0], index=["r1", "r2", "r3", "r4"])
    group = pd.Series(["F", "F", "M", "M"], index=["r4", "r3", "r2", "r9"], name="gender")
    table = selection_rates(outcome, group)
    # r4, r3 are F (none selected), r2 is M (selected), r1 has no label, r9 is not counted
    assert table.loc["F", ["n", "selected"]].tolist() == [2, 0]
    assert table.loc["M", ["n", "selected"]].tolist() == [1, 1]
    assert table.loc[MISSING, ["n", "selected"]].tolist() == [1, 1]
    assert table["n"].sum() == 4


def test_selection_rates_and_adverse_impact_align_on_labels():
    outcome, group = misaligned()
    expected = by_hand(outcome, group)
    for table in (selection_rates(outcome, group), adverse_impact(outcome, group)):
        got = {g: (int(r.n), int(r.selected)) for g, r in table.iterrows()}
        assert got == expected
    # the same people matched by hand and given by position give the same table
    by_position = adverse_impact(outcome.tolist(), group.reindex(outcome.index).tolist())
    pd.testing.assert_frame_equal(adverse_impact(outcome, group), by_position,
                                  check_names=False)


def test_audit_aligns_each_column_on_labels():
    outcome, group = misaligned()
    region = pd.Series(np.where(np.arange(len(group)) % 2, "N", "S"), index=group.index)
    table = audit(outcome, pd.DataFrame({"gender": group, "region": region}))
    rows = table[table["by"] == "gender"].set_index("group")
    assert {g: (int(r.n), int(r.selected)) for g, r in rows.iterrows()} == by_hand(outcome, group)
    rows = table[table["by"] == "region"].set_index("group")
    assert {g: (int(r.n), int(r.selected)) for g, r in rows.iterrows()} == by_hand(outcome,
                                                                                   region)
    # plain lists in a mapping have no labels: matched by position, length checked
    plain = audit(outcome, {"gender": group.reindex(outcome.index).tolist()})
    pd.testing.assert_frame_equal(plain, table[table["by"] == "gender"].reset_index(drop=True))
    with pytest.raises(FairnessError, match="gender: 3 group labels for 40"):
        audit(outcome, {"gender": ["F", "M", "F"]})


def test_level_independence_and_independence_align_on_labels():
    rng = np.random.default_rng(4)
    ids = [f"r{i}" for i in range(300)]
    levels = pd.Series(rng.choice(["junior", "senior", "top"], size=300), index=ids)
    truth = pd.Series(rng.choice(["N", "S"], size=300), index=ids, name="region")
    # same length, another order, r0 unlabelled and a stranger z9 in its place
    group = pd.concat([truth.iloc[1:], pd.Series(["N"], index=["z9"])]).iloc[::-1]
    res = level_independence(levels, group.rename("region"))
    expected = pd.crosstab(truth.iloc[1:], levels.iloc[1:])
    assert res.table.loc[["N", "S"]].to_numpy().tolist() == expected.to_numpy().tolist()
    assert res.table.loc[MISSING].sum() == 1 and res.table.to_numpy().sum() == 300
    table = independence(levels, pd.DataFrame({"region": group}))
    assert table.loc["region", "chi2"] == pytest.approx(res.chi2)


def test_positional_only_when_one_side_has_no_labels():
    outcome = pd.Series([True, False, True], index=["a", "b", "c"])
    table = selection_rates(outcome, ["F", "M", "F"])  # list: the i-th label is the i-th rep
    assert table.loc["F", "selected"] == 2
    table = selection_rates([True, False, True], pd.Series(["F", "M", "F"], index=["c", "b", "a"]))
    assert table.loc["F", "selected"] == 2
    # two Series on the default index are labelled too: rep 3 has no group, not an error
    table = selection_rates(pd.Series([True, False, False, True]), pd.Series(["F", "F", "M"]))
    assert table.loc[MISSING, "n"] == 1


def test_duplicated_index_labels_are_named():
    outcome = pd.Series([True, False, True], index=["a", "b", "a"])
    with pytest.raises(FairnessError, match="outcome.*'a'.*more than once"):
        selection_rates(outcome, pd.Series(["F", "M"], index=["a", "b"], name="gender"))
    group = pd.Series(["F", "M", "F"], index=["a", "b", "b"], name="gender")
    with pytest.raises(FairnessError, match="gender.*'b'.*more than once"):
        adverse_impact(pd.Series([True, False], index=["a", "b"]), group)


# ------------------------------------------------------ the reference group (issue 10)


def test_missing_labels_are_never_the_default_reference():
    outcome, group = people({"F": (5, 10), "M": (3, 10), "X": (4, 4)})
    group = group.replace("X", None)  # four unlabelled people, all selected
    table = adverse_impact(outcome, group)
    assert table.loc["F", "reference"] and table.loc[MISSING, "ratio"] == pytest.approx(2.0)
    lines = describe_audit(audit(outcome, {"gender": group}), "promoted")
    assert lines[0].startswith("gender M: 30% promoted against 50% for F")
    assert not any(f"for {MISSING}" in line for line in lines)
    # asked for by name, it is the reference
    assert adverse_impact(outcome, group, reference=MISSING).loc[MISSING, "reference"]


def test_reference_ties_go_to_the_larger_group_then_label_order():
    # missing, A and B all at 50%: B is larger; "(" sorting first must not matter
    outcome, group = people({"A": (2, 4), "B": (5, 10), "C": (1, 10), "Z": (1, 2)})
    group = group.replace("Z", None)
    assert adverse_impact(outcome, group)["reference"].idxmax() == "B"
    outcome, group = people({"B": (5, 10), "A": (5, 10), "C": (1, 10)})
    assert adverse_impact(outcome, group)["reference"].idxmax() == "A"


def test_no_labelled_group_is_an_error():
    outcome = pd.Series([True, False], index=["a", "b"])
    group = pd.Series(["F", "M"], index=["x", "y"], name="gender")
    with pytest.raises(FairnessError, match="gender: no one in the outcome has a label"):
        adverse_impact(outcome, group)


# ----------------------------------------------------------- display order (issue 10)


def test_groups_in_natural_order_missing_last():
    outcome = pd.Series([True, False, True, True, False, True], index=list("abcdef"))
    managers = pd.Series([10, 2, 1, 10, 2], index=list("abcde"), name="manager")  # f: none
    table = selection_rates(outcome, managers)
    assert list(table.index) == ["1", "2", "10", MISSING]
    assert adverse_impact(outcome, managers, reference=10).loc["10", "reference"]
    text = pd.Series(["M10", "M2", "M1", "(a)", "M2", None], index=list("abcdef"), name="team")
    assert list(selection_rates(outcome, text).index) == ["(a)", "M1", "M2", "M10", MISSING]
    digits = pd.Series(["10", "9", "100", "9", "10", "9"], index=list("abcdef"), name="id")
    assert list(selection_rates(outcome, digits).index) == ["9", "10", "100"]
    sizes = pd.Series(pd.Categorical(["small", "large", "medium", "small", "large", "small"],
                                     categories=["small", "medium", "large"]),
                      index=list("abcdef"), name="size")
    assert list(selection_rates(outcome, sizes).index) == ["small", "medium", "large"]
    levels = pd.Series(["a", "b"] * 3, index=list("abcdef"))
    res = level_independence(levels, managers)
    assert list(res.table.index) == ["1", "2", "10", MISSING]


# ------------------------------------------------- permutation test: memory, invariance


def managers_and_levels(n_managers: int, size: int, seed: int = 0):
    """Levels of reps under managers M0001..., a mild dependence on the manager."""
    rng = np.random.default_rng(seed)
    manager = np.repeat(np.arange(n_managers), size)
    shift = rng.normal(0, 0.6, n_managers)[manager]
    level = np.clip(np.round(rng.normal(2 + shift, 1.0)), 0, 4).astype(int)
    ids = [f"R{i:06d}" for i in range(len(manager))]
    names = np.array(["junior", "intermediate", "senior", "principal", "top"])
    return (pd.Series(pd.Categorical(names[level], categories=names), index=ids, name="level"),
            pd.Series([f"M{m:04d}" for m in manager], index=ids, name="manager_id"))


def test_permutation_memory_is_bounded_at_30000_people():
    import tracemalloc

    levels, group = managers_and_levels(3000, 10)  # 30,000 reps, ~2 per cell expected
    tracemalloc.start()
    try:
        res = level_independence(levels, group, n_perm=500)  # 15 chunks of 34
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.method == "permutation"
    assert peak < 100e6, f"peak {peak / 1e6:.0f} MB"  # was n_perm x people arrays: 335 MB


def test_permutation_p_value_ignores_row_order_and_group_names():
    levels, group = managers_and_levels(12, 8, seed=5)
    res = level_independence(levels, group, seed=7)
    assert res.method == "permutation"
    order = np.random.default_rng(1).permutation(len(levels))
    renamed = {m: f"{chr(ord('z') - i)}-team" for i, m in enumerate(sorted(set(group)))}
    shuffled = level_independence(levels.iloc[order], group.iloc[order].map(renamed), seed=7)
    assert shuffled.p_value == res.p_value
    assert shuffled.chi2 == pytest.approx(res.chi2)


# ------------------------------------------------------------ trusted libraries as oracles


def people_from_table(table: np.ndarray, seed: int = 0):
    """Shuffled levels/group Series (on rep labels, the group in another row order)."""
    rows, cols = np.nonzero(np.ones_like(table))
    group = np.repeat([f"g{i}" for i in rows], table.ravel())
    levels = np.repeat([f"L{j}" for j in cols], table.ravel())
    ids = np.random.default_rng(seed).permutation(len(group))
    levels = pd.Series(levels, index=[f"r{i}" for i in ids], name="level")
    group = pd.Series(group, index=levels.index, name="team").sample(frac=1, random_state=seed)
    return levels, group


@pytest.mark.parametrize("seed, shape", [(0, (2, 2)), (1, (3, 4)), (2, (5, 3)), (3, (4, 6))])
def test_chi_square_branch_equals_scipy_chi2_contingency(seed, shape):
    table = np.random.default_rng(seed).integers(8, 60, size=shape)
    res = level_independence(*people_from_table(table, seed))
    assert res.method == "chi-square"
    assert res.table.to_numpy().tolist() == table.tolist()
    oracle = chi2_contingency(table, correction=False)
    assert res.chi2 == pytest.approx(oracle.statistic, rel=1e-12)
    assert res.dof == oracle.dof
    assert res.p_value == pytest.approx(oracle.pvalue, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("table", [[[3, 1, 0], [1, 3, 2], [0, 2, 4], [2, 1, 1]],
                                   [[4, 0], [1, 3], [2, 2]]])
def test_permutation_p_value_agrees_with_scipy_permutation_test(table):
    from scipy.stats import permutation_test

    table = np.array(table)
    levels, group = people_from_table(table, 3)
    res = level_independence(levels, group, n_perm=4000, seed=11)
    assert res.method == "permutation"
    x = pd.Categorical(group.reindex(levels.index)).codes
    y = pd.Categorical(levels).codes
    r, c = table.shape

    def chi2(x, y):
        observed = np.bincount(x * c + y, minlength=r * c).reshape(r, c)
        return chi2_contingency(observed, correction=False).statistic

    oracle = permutation_test((x, y), chi2, permutation_type="pairings", n_resamples=9999,
                              alternative="greater", rng=np.random.default_rng(5))
    assert res.chi2 == pytest.approx(oracle.statistic)
    p = oracle.pvalue
    sd = math.sqrt(p * (1 - p) * (1 / 4000 + 1 / 9999))
    assert abs(res.p_value - p) < 4 * sd + 1e-3  # Monte Carlo error of both estimates


def test_rates_and_parity_ratio_equal_fairlearn():
    import warnings

    from fairlearn.metrics import MetricFrame, demographic_parity_ratio, selection_rate

    outcome, group = misaligned(n=400, seed=6)
    table = selection_rates(outcome, group)
    aligned = group.reindex(outcome.index).fillna(MISSING).to_numpy()  # matched by hand
    y = outcome.to_numpy().astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = MetricFrame(metrics=selection_rate, y_true=y, y_pred=y,
                            sensitive_features=aligned)
        ratio = demographic_parity_ratio(y, y, sensitive_features=aligned)
    by_group = frame.by_group.rename(index=str)
    assert set(by_group.index) == set(table.index)
    for g in table.index:
        assert table.loc[g, "rate"] == pytest.approx(by_group[g], rel=1e-12)
    assert table["rate"].min() / table["rate"].max() == pytest.approx(ratio, rel=1e-12)


# ------------------------------------------------------ real data: one group, absent (issue 11)


def test_comparable_skips_absent_and_single_group_columns_with_a_sentence():
    roster = pd.DataFrame({"region": ["Home"] * 4, "team": ["a", "a", "b", "b"],
                           "gender": [None] * 4}, index=list("wxyz"))
    kept, notes = fairness.comparable(roster, ("gender", "region", "team", "manager_id"))
    assert list(kept.columns) == ["team"]
    assert notes == [
        "gender: no one has a value; not checked.",
        "region: everyone is in one group ('Home'); nothing to compare.",
        "manager_id: not in the data; not checked.",
    ]


def test_audit_and_independence_skip_a_single_group_and_say_so():
    outcome = pd.Series([True, False, True, False])
    groups = pd.DataFrame({"region": ["Home"] * 4, "team": ["a", "a", "b", "b"]})
    table = audit(outcome, groups)
    assert set(table["by"]) == {"team"}
    assert table.attrs["skipped"] == [
        "region: everyone is in one group ('Home'); nothing to compare."]
    assert list(independence(outcome.map({True: "senior", False: "junior"}), groups).index) \
        == ["team"]


def test_describe_never_claims_fairness_when_nothing_was_compared():
    outcome = pd.Series([True, False, True, False])
    table = audit(outcome, pd.DataFrame({"region": ["Home"] * 4}))
    assert table.empty
    lines = describe_audit(table, "promoted")
    assert not any("No group falls below" in line for line in lines)
    assert lines == ["region: everyone is in one group ('Home'); nothing to compare.",
                     "Nothing was compared: no group column has two or more groups, so "
                     "this says nothing about fairness of being promoted."]
    empty = audit(outcome, pd.DataFrame(index=outcome.index))
    assert empty.empty and describe_audit(empty)[-1].startswith("Nothing was compared")
    assert independence(outcome, pd.DataFrame(index=outcome.index)).empty
