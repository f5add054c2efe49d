"""Leaderboards, honours and contest standings (issue 16, §3): ties decided by value and
rep_id, never by row order; juniors rank among juniors; honours follow their YAML rules
(checked by brute force on the sample); a contest's prizes cost what the engine pays.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from helpers import incentives as inc
from helpers import load
from helpers.data import DataError
from helpers.incentives import (
    Honour,
    LeaderboardError,
    Plan,
    PlanError,
    award_honours,
    contest_standings,
    leaderboard,
    leaderboard_html,
    leaderboard_top,
)
from helpers.ranking import SAME

YEAR = 2026


def results_of(attainment: dict[str, list[float]], target: float = 100.0,
               start: str = "2026-01-01") -> pd.DataFrame:
    """One row a rep and month: revenue = attainment × target, with the target beside it."""
    rows = []
    for rep, values in attainment.items():
        for i, a in enumerate(values):
            rows.append({"rep_id": rep, "month": pd.Timestamp(start) + pd.DateOffset(months=i),
                         "revenue": a * target, "revenue_target": target})
    return pd.DataFrame(rows)


def shuffled(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


def by_rep(table: pd.DataFrame, group: str = "all") -> pd.Series:
    part = table[table["group"] == group]
    return part.set_index(["period", "rep_id"])["rank"].sort_index()


@pytest.fixture(scope="module")
def plan():
    return inc.load_plans(inc.PLANS_DIR)["Level bonus + contest"]


@pytest.fixture(scope="module")
def levels(sample):
    return sample.roster.set_index("rep_id")["level"]


# ------------------------------------------------------------------------- ties


def test_exact_ties_share_the_best_rank_and_are_listed_by_rep_id():
    results = results_of({"R4": [1.2], "R2": [1.0], "R3": [1.0], "R1": [0.8], "R9": [1.0]})
    for seed in range(3):
        table = leaderboard(shuffled(results, seed), period="month")
        assert table["rep_id"].tolist() == ["R4", "R2", "R3", "R9", "R1"]
        assert table["rank"].tolist() == [1, 2, 2, 2, 5]  # "min": 1, 2, 2, 2, 5
        assert table["out_of"].eq(5).all()


def test_float_noise_ties_within_same_and_a_real_gap_does_not():
    # 0.1 + 0.2 and 0.3 differ by float noise only; 0.3 * (1 + 1e-9) is a real difference
    results = results_of({"A": [0.1 + 0.2], "B": [0.3], "C": [0.3 * (1 + 1e-9)]}, target=1)
    table = leaderboard(results, period="month")
    ranks = table.set_index("rep_id")["rank"]
    assert (0.1 + 0.2) != 0.3 and abs((0.1 + 0.2) - 0.3) <= SAME * 0.3
    assert ranks.to_dict() == {"C": 1, "A": 2, "B": 2}
    assert table["rep_id"].tolist() == ["C", "A", "B"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=2, max_size=25), st.integers(0, 10**6))
def test_ranks_follow_the_values_under_shuffles_and_relabelled_ids(scores, seed):
    """Whole-number scores (many exact ties): ranks are scipy's "min" ranks of the values,
    each rep keeps its rank when rows are shuffled and ids relabelled, and tied reps are
    listed by rep_id."""
    reps = [f"R{i:03d}" for i in range(len(scores))]
    results = results_of({r: [s / 4] for r, s in zip(reps, scores, strict=True)}, target=1)
    table = leaderboard(results, period="month")
    expected = rankdata([-s for s in scores], method="min").astype(int)
    assert table.set_index("rep_id")["rank"].reindex(reps).tolist() == expected.tolist()
    rng = np.random.default_rng(seed)
    relabel = dict(zip(reps, rng.permutation([f"X{i}" for i in range(len(reps))]),
                       strict=True))
    other = leaderboard(shuffled(results.assign(rep_id=results["rep_id"].map(relabel)),
                                 seed), period="month")
    back = {v: k for k, v in relabel.items()}
    moved = other.assign(rep_id=other["rep_id"].map(back)).set_index("rep_id")["rank"]
    assert moved.reindex(reps).tolist() == expected.tolist()
    listed = other[["rank", "rep_id"]].to_records(index=False).tolist()
    assert listed == sorted(listed)  # by rank, then rep_id within a tie


# ------------------------------------------------------------------ the sample


def test_sample_quarters_rank_attainment_of_quota_overall_and_within_levels(sample, levels):
    table = leaderboard(sample.history, period="quarter", levels=levels)
    assert table.attrs["basis"] == "attainment" and table.attrs["target_source"] == "quota"
    h = sample.history.assign(q=sample.history["month"].dt.to_period("Q"))
    sums = h.groupby(["q", "rep_id"])[["revenue", "quota"]].sum().reset_index()
    sums["att"] = sums["revenue"] / sums["quota"]
    q2 = sums[sums["q"] == pd.Period("2026Q2")].set_index("rep_id")
    got = table[(table["period"] == "2026 Q2") & (table["group"] == "all")].set_index("rep_id")
    assert set(got.index) == set(q2.index)
    assert np.allclose(got["attainment"], q2["att"].reindex(got.index))
    assert got["rank"].tolist() == rankdata(-q2["att"].reindex(got.index),
                                            method="min").astype(int).tolist()
    # within a level: only that level's reps, ranked among themselves
    for level in ("junior", "top"):
        part = table[(table["period"] == "2026 Q2") & (table["group"] == level)]
        assert (part["level"] == level).all()
        assert set(part["rep_id"]) == set(got.index[got["level"] == level])
        assert part["rank"].tolist() == rankdata(-part["attainment"],
                                                 method="min").astype(int).tolist()
        assert part["out_of"].eq(len(part)).all()
    # change of rank: the rank in Q1 minus the rank in Q2, for reps ranked in both
    q1 = by_rep(table[table["period"] == "2026 Q1"]).droplevel("period")
    q2r = by_rep(table[table["period"] == "2026 Q2"]).droplevel("period")
    change = got["rank_change"].dropna()
    assert (change == (q1 - q2r).reindex(change.index)).all()
    assert got["rank_change"].isna().sum() == len(got.index.difference(q1.index))


def test_a_targets_table_or_the_results_column_rank_alike(sample):
    h = sample.history[sample.history["month"].dt.year == YEAR]
    long = h[["rep_id", "month"]].assign(measure="revenue", target=h["quota"])
    from_quota = leaderboard(h, period="year")
    from_table = leaderboard(h.drop(columns="quota"), long, period="year")
    from_wide = leaderboard(h.drop(columns="quota"),
                            h[["rep_id", "month"]].assign(target=h["quota"]), period="year")
    cols = ["rep_id", "rank", "attainment"]
    pd.testing.assert_frame_equal(from_quota[cols], from_table[cols])
    pd.testing.assert_frame_equal(from_quota[cols], from_wide[cols])
    assert from_table.attrs["target_source"] == "targets"


def test_the_year_to_date_ranks_on_the_targets_of_the_months_with_actuals(sample):
    """In-year: a history cut at June against the whole year's targets ranks on January to
    June's target (the phased target), not on the year's."""
    h = sample.history[sample.history["month"].dt.year == YEAR]
    full_year = h[["rep_id", "month"]].assign(measure="revenue", target=h["quota"])
    to_june = h[h["month"].dt.month <= 6].drop(columns="quota")
    table = leaderboard(to_june, full_year, period="year")
    half = h[h["month"].dt.month <= 6].groupby("rep_id")[["revenue", "quota"]].sum()
    got = table.set_index("rep_id")
    assert np.allclose(got["target"], half["quota"].reindex(got.index))
    assert np.allclose(got["attainment"], (half["revenue"] / half["quota"]).reindex(got.index))


def test_a_score_is_averaged_over_its_months_not_added(sample):
    table = leaderboard(sample.history, period="quarter", measure="csat", basis="value")
    h = sample.history.assign(q=sample.history["month"].dt.to_period("Q"))
    mean = h[h["q"] == pd.Period("2026Q3")].groupby("rep_id")["csat"].mean().dropna()
    got = table[table["period"] == "2026 Q3"].set_index("rep_id")
    assert np.allclose(got["value"], mean.reindex(got.index)) and len(got) == len(mean)


def test_reps_without_a_target_are_left_out_with_a_note():
    results = results_of({"A": [1.1], "B": [0.9], "C": [1.5]})
    results.loc[results["rep_id"] == "C", "revenue_target"] = np.nan
    table = leaderboard(results, period="month")
    assert table["rep_id"].tolist() == ["A", "B"]
    assert "1 rep(s) left out" in table.attrs["note"] and "no target" in table.attrs["note"]
    on_value = leaderboard(results, period="month", basis="value")
    assert on_value["rep_id"].tolist() == ["C", "A", "B"] and on_value.attrs["note"] == ""


def test_a_rep_without_results_or_a_level_is_named_not_ranked_there():
    results = results_of({"A": [1.1], "B": [0.9], "C": [1.5], "D": [1.0]})
    results.loc[results["rep_id"] == "C", "revenue"] = np.nan
    table = leaderboard(results, period="month", levels=pd.Series({"A": "junior",
                                                                   "B": "junior"}))
    note = table.attrs["note"]
    assert "1 rep(s) left out of 1 ranking period(s) for no revenue there (e.g. C)" in note
    assert "1 rep(s) without a level are ranked overall only (e.g. D)" in note
    assert table.loc[table["group"] == "all", "rep_id"].tolist() == ["A", "D", "B"]
    assert table.loc[table["group"] == "junior", "rep_id"].tolist() == ["A", "B"]


def test_no_targets_at_all_ranks_on_the_value_and_says_so(sample):
    h = sample.history.drop(columns="quota")
    table = leaderboard(h, period="year")
    assert table.attrs["basis"] == "value"
    assert "ranked on revenue itself, not attainment" in table.attrs["note"]
    one = table[table["period"] == str(YEAR)]
    total = h[h["month"].dt.year == YEAR].groupby("rep_id")["revenue"].sum()
    assert one["rep_id"].iloc[0] == total.idxmax()
    assert one["rank"].tolist() == rankdata(-total.reindex(one["rep_id"]),
                                            method="min").astype(int).tolist()


def test_bad_settings_and_columns_name_what_is_wrong(sample):
    with pytest.raises(LeaderboardError, match="period: must be one of month, quarter, year"):
        leaderboard(sample.history, period="week")
    with pytest.raises(LeaderboardError, match="basis: must be one of"):
        leaderboard(sample.history, basis="raw")
    with pytest.raises(LeaderboardError, match="measure: must be one of"):
        leaderboard(sample.history, measure="profit")
    with pytest.raises(DataError, match="results: missing column"):
        leaderboard(sample.history.drop(columns="revenue"))
    bad = sample.history[["rep_id", "month"]].assign(target="lots")
    with pytest.raises(DataError, match="targets: column 'target' has values that are not"):
        leaderboard(sample.history, bad)


# ------------------------------------------------------------------ honours


def test_honours_follow_their_rules_on_the_sample_by_brute_force(sample, plan):
    won = award_honours(plan, sample.history, None, sample.roster, year=YEAR)
    assert won.attrs["note"] == ""
    h = sample.history
    names = sample.roster.set_index("rep_id")["name"]

    # President's Club: top 10% of the year by attainment (rounded up), at least 100%
    year = h[h["month"].dt.year == YEAR].groupby("rep_id")[["revenue", "quota"]].sum()
    att = (year["revenue"] / year["quota"]).to_dict()
    ordered = sorted(att, key=lambda r: -att[r])
    cut = math.ceil(0.1 * len(att))
    club = {r for r in ordered if sum(att[o] > att[r] for o in att) < cut and att[r] >= 1.0}
    got = won[won["honour"] == "President's Club"]
    assert set(got["rep_id"]) == club and len(club) == cut
    assert (got["name"] == got["rep_id"].map(names)).all()

    # rookie of the quarter: best attainment among reps hired within 12 months of its start
    hired = pd.to_datetime(sample.roster.set_index("rep_id")["hire_date"])
    for q in range(1, 5):
        start = pd.Timestamp(YEAR, 3 * q - 2, 1)
        end = start + pd.DateOffset(months=3)
        part = h[(h["month"] >= start) & (h["month"] < end)].groupby("rep_id")[
            ["revenue", "quota"]].sum()
        rookies = [r for r in part.index
                   if start - pd.DateOffset(months=12) <= hired[r] < end]
        best = max(rookies, key=lambda r: part.loc[r, "revenue"] / part.loc[r, "quota"])
        one = won[(won["honour"] == "Rookie of the quarter") & (won["period"] == f"{YEAR} Q{q}")]
        assert one["rep_id"].tolist() == [best]
        assert f"among the {len(rookies)} rep(s) hired within 12 months" in one["why"].iloc[0]

    # most improved: the largest gain in the year's attainment over the year before
    before = h[h["month"].dt.year == YEAR - 1].groupby("rep_id")[["revenue", "quota"]].sum()
    old = (before["revenue"] / before["quota"]).to_dict()
    gain = {r: att[r] - old[r] for r in att if r in old}
    top = max(gain, key=gain.get)
    got = won[won["honour"] == "Most improved"]
    assert got["rep_id"].tolist() == [top]
    assert got["value"].iloc[0] == pytest.approx(gain[top])
    assert "over 2025" in got["why"].iloc[0]


def test_an_honour_takes_every_rep_tied_at_the_cut(plan):
    results = results_of({"A": [1.3] * 12, "B": [1.1] * 12, "C": [1.1] * 12, "D": [0.7] * 12})
    club = plan.replace(honours=(Honour("Top two", "top", n=2),))
    won = award_honours(club, shuffled(results), None, None, year=YEAR)
    assert won["rep_id"].tolist() == ["A", "B", "C"] and won["rank"].tolist() == [1, 2, 2]
    assert won["name"].isna().all()  # no roster: no names, nothing invented


def test_honours_that_cannot_be_decided_say_why_instead_of_failing(sample, plan):
    one_year = sample.history[sample.history["month"].dt.year == YEAR]
    won = award_honours(plan, one_year, None, sample.roster.drop(columns="hire_date"),
                        year=YEAR)
    assert set(won["honour"]) == {"President's Club"}
    note = won.attrs["note"]
    assert "Most improved: needs 2025 as well as 2026" in note
    assert "Rookie of the quarter: the roster has no hire_date" in note


def test_honours_on_a_minimal_real_shape_run_and_say_what_they_lack(tmp_path, plan):
    sys.path.insert(0, str(Path(__file__).parent))
    import shapes

    ds = load(shapes.make(tmp_path / "data", *shapes.COMBINED["minimal"]))
    won = award_honours(plan, ds.history, None, ds.roster, year=ds.last_year)
    note = won.attrs["note"]
    assert "ranked on revenue itself, not attainment" in note  # no quota
    assert "Most improved: needs" in note  # one year
    table = leaderboard(ds.history, period="quarter",
                        levels=ds.roster.set_index("rep_id")["level"])
    assert len(table) and table.attrs["basis"] == "value"


# ------------------------------------------------------------------ the YAML


def test_honours_read_back_equal_from_yaml(plan):
    assert [h.rule for h in plan.honours] == ["top", "rookie", "most_improved"]
    assert Plan.from_dict(yaml.safe_load(plan.to_yaml())) == plan
    assert inc.edit_plan(plan, "revenue bonus", ti_scale=1.1).honours == plan.honours
    assert "honours" not in inc.load_plans(inc.PLANS_DIR)["Current plan"].to_dict()


@pytest.mark.parametrize(("honour", "message"), [
    ({"name": "X", "rule": "best"},
     "honours[1].rule: must be one of top, rookie, most_improved, got 'best'"),
    ({"name": "X", "rule": "top", "n": 2, "share": 0.1}, "honours[1].share: give n or share"),
    ({"name": "X", "rule": "top", "n": 1.5}, "honours[1].n: must be a whole number"),
    ({"name": "X", "rule": "top", "months": 6}, "honours[1].months: only a rookie"),
    ({"name": "X", "rule": "top", "period": "week"}, "honours[1].period: must be one of"),
    ({"name": "X", "rule": "top", "measure": "profit"}, "honours[1].measure: unknown measure"),
    ({"name": "X", "rule": "top", "share": 0}, "honours[1].share: must be more than 0"),
    ({"name": "Club", "rule": "top"}, "honours[1].name: 'Club' is used twice"),
    ({"name": "X", "rule": "top", "min_atainment": 1}, "honours[1].min_atainment: unknown key"),
    ({"rule": "top"}, "honours[1].name: is required"),
])
def test_honour_errors_name_the_key(plan, honour, message):
    d = plan.to_dict()
    d["honours"] = [{"name": "Club", "rule": "top"}, honour]
    with pytest.raises(PlanError) as info:
        Plan.from_dict(d)
    assert str(info.value).startswith(message)


# ------------------------------------------------------------------ contests


def test_contest_prizes_cost_what_the_engine_pays(sample, plan):
    replayed = inc.replay(plan, sample)
    paid = replayed[replayed["type"] == "contest"].groupby("rep_id")["amount"].sum()
    standings = contest_standings(plan, replayed)
    assert standings.attrs["cost"] == pytest.approx(paid.sum()) and paid.sum() > 0
    prize = standings.set_index("rep_id")["prize"]
    assert (prize.reindex(paid.index) == paid).all()
    won = standings[standings["prize"] > 0]
    assert won["prize"].tolist() == sorted(
        [c for c in plan.components if c.type == "contest"][0].prizes, reverse=True)
    assert (won["honours"] == "President's Club trip").all()
    # from the results the engine reads, rows shuffled: the same standings
    targets = inc.default_targets(sample, sample.last_year, measures=plan.measures)
    results = inc.build_results(sample, targets, None, sample.last_year)
    again = contest_standings(plan, shuffled(results))
    pd.testing.assert_series_equal(again.set_index("rep_id")["prize"].sort_index(),
                                   prize.sort_index())


def test_contest_ties_at_a_prize_follow_the_engine(plan):
    """Exact ties around the prizes: standings share a rank, and who gets which prize is
    the engine's call (its keyed order), so the cost and each rep's prize still agree."""
    contest = next(c for c in plan.components if c.type == "contest")
    att = {"A": 1.4, "B": 1.2, "C": 1.2, "D": 1.2, "E": 1.2, "F": 1.2, "G": 1.0, "H": 0.5}
    results = results_of({r: [a] * 12 for r, a in att.items()})
    results = results.assign(level="senior", new_customers=1, new_customers_target=1,
                             csat=90.0, team="T1")
    for seed in range(3):
        table = shuffled(results, seed)
        paid = inc.payout(plan, table)
        engine = paid[paid["component"] == contest.name].groupby("rep_id")["amount"].sum()
        standings = contest_standings(plan, table)
        prize = standings.set_index("rep_id")["prize"]
        assert (prize.reindex(engine.index) == engine).all()
        assert standings.attrs["cost"] == sum(contest.prizes)
        ranks = standings.set_index("rep_id")["rank"]
        assert ranks[["B", "C", "D", "E", "F"]].eq(2).all() and ranks["G"] == 7
        assert "tied" in standings.set_index("rep_id").loc["B", "why"]


def test_a_plan_without_a_contest_has_no_standings(sample):
    current = inc.load_plans(inc.PLANS_DIR)["Current plan"]
    standings = contest_standings(current, inc.replay(current, sample))
    assert standings.empty and standings.attrs["cost"] == 0
    assert "has no contest" in standings.attrs["note"]


# ------------------------------------------------------------------ the HTML


def test_the_html_fragment_is_simple_escaped_and_shows_the_ranking(sample, levels):
    table = leaderboard(sample.history, period="quarter", levels=levels)
    names = sample.roster.set_index("rep_id")["name"].copy()
    first = table[(table["period"] == "2026 Q4") & (table["group"] == "junior")].iloc[0]
    names[first["rep_id"]] = "<b>Ann & Co</b>"
    text = leaderboard_html(table, group="junior", names=names, top=5)
    assert text.startswith("<section>") and text.endswith("</section>")
    assert "&lt;b&gt;Ann &amp; Co&lt;/b&gt;" in text and "<b>Ann" not in text
    assert "Leaderboard, 2026 Q4: junior level" in text
    shown = leaderboard_top(table, group="junior", top=5)
    assert text.count("<tr>") == len(shown) + 1
    tags = set(pd.Series(text.split("<")[1:]).str.extract(r"^/?(\w+)")[0])
    assert tags <= {"section", "h2", "p", "table", "tr", "th", "td", "i"}
    with pytest.raises(LeaderboardError, match="period: no ranking for '1999'"):
        leaderboard_html(table, period="1999")
    on_value = leaderboard_html(leaderboard(sample.history.drop(columns="quota")), top=3)
    assert "<th>Attainment</th>" not in on_value and "<th>Revenue</th>" in on_value
    assert "ranked on revenue itself" in on_value  # the note, in italics under the table


def test_a_team_page_ranks_the_managers_reps_among_themselves(sample):
    """One page a manager: only that manager's reps, ranked 1.. among themselves in the last
    quarter (the team alone through `leaderboard`), the same whatever the row order."""
    import re

    last = sample.history[sample.history["month"].dt.year == 2026]
    pages = inc.team_leaderboards(last, sample.roster)
    managers = sorted(sample.roster["manager_id"].dropna().astype(str).unique())
    assert sorted(pages) == managers
    names = sample.roster.set_index("rep_id")["name"]
    for manager, (title, body) in pages.items():
        team = sample.roster.loc[sample.roster["manager_id"] == manager, "rep_id"]
        alone = inc.leaderboard(last[last["rep_id"].isin(team)], period="quarter")
        top = inc.leaderboard_top(alone)
        shown = [n for n in names[names.index.isin(team)] if n in body]
        assert len(shown) == len(top), manager  # every place shown, nobody from another team
        others = set(names[~names.index.isin(team)]) - set(names[names.index.isin(team)])
        assert not any(re.search(rf">{re.escape(n)}<", body) for n in others), manager
        assert manager in title
    shuffled = inc.team_leaderboards(last.sample(frac=1, random_state=3),
                                     sample.roster.sample(frac=1, random_state=4))
    assert shuffled == pages


def test_a_team_page_says_which_period_it_ranks(sample):
    from helpers.incentives import team_leaderboards

    last_year = sample.history[sample.history["month"].dt.year == sample.last_year]
    pages = team_leaderboards(last_year, sample.roster)
    title, body = next(iter(pages.values()))
    shown = f"{sample.last_year} Q4"
    assert title.endswith(shown) and f"who leads in {shown}" in body


def test_contest_standings_on_a_year_the_data_stops_in(sample, plan):
    """History to July: the replay has three quarters; the standings read them and rank as
    the engine's own results do."""
    from helpers.targets import cut_history

    cut = cut_history(sample, "2026-07")
    replayed = inc.replay(plan, cut)
    assert replayed["period"].max() == 3
    standings = contest_standings(plan, replayed)
    targets = inc.default_targets(cut, cut.last_year, measures=plan.measures)
    again = contest_standings(plan, inc.build_results(cut, targets, None, cut.last_year))
    pd.testing.assert_series_equal(standings.set_index("rep_id")["rank"].sort_index(),
                                   again.set_index("rep_id")["rank"].sort_index())
