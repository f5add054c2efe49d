"""helpers.deals: a CRM deal export in, the history contract (rep x month) and a roster out.

- A hand-computed example checked cell by cell (new customers, renewals, a refund netted, a
  clawback carried and one left over, a split deal, sales cycles, lost and open deals
  ignored, zero months filled).
- Salesforce- and HubSpot-named exports synthesised from the sample company give back the
  sample's revenue (to the cent) and deals per rep and month, and run through grading and
  targets.
- Shuffled rows and relabelled owners change no rep's history; input files stay
  byte-identical.
- Bad input stops with a DataError naming the file, the column and the rows.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from shapes import deals_export

from helpers import grading, load, load_deals, load_sample, quality_report
from helpers import targets as tg
from helpers.data import DataError
from helpers.deals import DealsError

SF = ["Opportunity ID", "Opportunity Owner", "Account Name", "Stage", "Created Date",
      "Close Date", "Amount"]
HS = ["Record ID", "Deal Name", "Deal Stage", "Close Date", "Deal owner", "Amount",
      "Create Date", "Associated Company", "Pipeline"]

# id, owner, account, stage, created, close, amount
DEALS = [
    ("D01", "Ana", "Acme", "Closed Won", "2024-01-05", "2024-01-20", "1000"),
    ("D02", "Ana", "Bolt", "Closed Won", "2024-01-10", "2024-02-09", "500"),
    ("D03", "Ana", "Acme", "Closed Lost", "2024-02-01", "2024-03-15", "9999"),
    ("D04", "Ana", "Core", "Prospecting", "2024-03-01", "2025-06-30", "700"),
    ("D05", "Ben", "Core", "Closed Won", "2024-02-01", "2024-03-02", "2000"),
    ("D06", "Ben", "Core", "Closed Won", "2024-04-03", "2024-04-10", "-2500"),  # refund
    ("D07", "Ben", "Dune", "Closed Won", "2024-05-01", "2024-05-21", "1000"),
    ("D08", "Ben", "Dune", "Closed Won", "2024-06-01", "2024-06-11", "2000"),
    ("D09", "Ana", "Acme", "Closed Won", "2024-12-01", "2025-01-15", "1200"),
    ("D10", "Ana", "Bolt", "Closed Lost", "2025-01-20", "2025-02-25", ""),
    ("D11", "Ben", "Dune", "Closed Won", "2025-05-20", "2025-06-05", "800"),
    ("D12", "Cy", "Echo", "Closed Won", "2024-06-01", "2024-07-31", "1000.01"),  # split
    ("D13", "Cy", "Foxx", "Verbal Commit", "2024-07-01", "2024-09-30", "300"),  # unknown
    ("D14", "Cy", "Echo", "Closed Won", "2024-07-10", "2024-07-20", "-1500"),  # credit note
]
SPLITS = {"Opportunity ID": ["D12", "D12"], "Team Member": ["Cy", "Ana"],
          "Percent (%)": ["60%", "40%"]}
TEAMS = {"rep": ["Ana", "Ben", "Dee"], "region": ["North", "South", "East"],
         "team": ["N1", "S1", "E1"], "manager": ["M1", "M2", "M3"],
         "hire_date": ["", "2023-06-01", ""]}

# rep, month: revenue, deals_won, new_customers, retained, up_for_renewal, sales_cycle_days
EXPECTED = {
    ("Ana", "2024-01"): (1000.00, 1, 1, 0, 0, 15.0),  # Acme's first win
    ("Ana", "2024-02"): (500.00, 1, 1, 0, 0, 30.0),  # Bolt's first win
    ("Ana", "2024-07"): (400.00, 0, 0, 0, 0, 60.0),  # 40% of D12: 0.4 deal rounds to 0
    ("Ana", "2025-01"): (1200.00, 1, 0, 1, 1, 45.0),  # Acme due (Jan 2024 + 12), won again
    ("Ana", "2025-02"): (0.00, 0, 0, 0, 1, None),  # Bolt due (Feb 2024 + 12), lapsed
    ("Ben", "2024-03"): (2000.00, 1, 1, 0, 0, 30.0),  # Core's first win (leap February)
    ("Ben", "2024-04"): (0.00, 0, 0, 0, 0, None),  # refund -2500: carries 2500
    ("Ben", "2024-05"): (0.00, 1, 1, 0, 0, 20.0),  # 1000 - 2500 carried: still owes 1500
    ("Ben", "2024-06"): (500.00, 1, 0, 0, 0, 10.0),  # 2000 - 1500: clawback recovered
    ("Ben", "2025-03"): (0.00, 0, 0, 0, 1, None),  # Core due, lapsed (the refund is no sale)
    ("Ben", "2025-05"): (0.00, 0, 0, 1, 1, None),  # Dune due (May 2024), won again Jun 2024
    ("Ben", "2025-06"): (800.00, 1, 0, 1, 1, 16.0),  # Dune due (Jun 2024), won Jun 2025
    ("Cy", "2024-07"): (0.00, 1, 1, 0, 0, 60.0),  # 600.01 - 1500 credit note: owes 899.99
}
SPANS = {"Ana": ("2024-01", "2025-02"), "Ben": ("2024-02", "2025-06"),
         "Cy": ("2024-06", "2024-07")}


def deals_frame(rows=DEALS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=SF)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def hand():
    return load_deals(deals_frame(), pd.DataFrame(TEAMS), splits=pd.DataFrame(SPLITS))


# ------------------------------------------------------------------- the hand example


def test_hand_example_cell_by_cell(hand):
    history = hand.dataset.history
    months = history["month"].dt.strftime("%Y-%m")
    assert len(history) == 14 + 17 + 2  # Jan 2024-Feb 2025, Feb 2024-Jun 2025, Jun-Jul 2024
    for rep, (first, last) in SPANS.items():
        mine = months[history["rep_id"] == rep]
        assert (mine.min(), mine.max(), mine.is_unique) == (first, last, True)
        assert len(mine) == len(pd.period_range(first, last, freq="M"))  # no month missing
    got = history.set_index([history["rep_id"], months])
    cols = ["revenue", "deals_won", "new_customers", "customers_retained",
            "customers_up_for_renewal", "sales_cycle_days"]
    for key, want in EXPECTED.items():
        row = got.loc[key, cols]
        assert row["revenue"] == pytest.approx(want[0], abs=1e-9), key
        assert tuple(row.iloc[1:5].astype(int)) == want[1:5], key
        if want[5] is None:
            assert np.isnan(row["sales_cycle_days"]), key
        else:
            assert row["sales_cycle_days"] == pytest.approx(want[5]), key
    others = ~pd.Index(list(zip(history["rep_id"], months, strict=True))).isin(list(EXPECTED))
    rest = history[others]
    assert len(rest) == len(history) - len(EXPECTED)
    assert (rest[cols[:5]] == 0).all().all() and rest["sales_cycle_days"].isna().all()
    assert history["csat"].isna().all()
    # the lost deal's 9,999 and the open deals count nowhere; every refund cent is netted
    assert history["revenue"].sum() == pytest.approx(1000 + 500 + 400 + 1200 + 2000 + 500
                                                     + 800)


def test_hand_example_roster(hand):
    roster = hand.dataset.roster.set_index("rep_id")
    assert list(roster.index) == ["Ana", "Ben", "Cy"]  # Dee has no deals
    assert roster.loc["Ana", ["region", "team", "manager_id"]].tolist() == ["North", "N1", "M1"]
    assert roster.loc["Cy", ["region", "team", "manager_id"]].tolist() == ["(unassigned)"] * 3
    assert roster["hire_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-05", "2023-06-01", "2024-06-01"]  # first activity, unless teams gives it
    assert roster["level"].astype(str).tolist() == ["junior"] * 3
    assert roster["name"].tolist() == ["Ana", "Ben", "Cy"]
    # what was assumed is kept per rep: Ben's hire date is the teams table's, no level is
    assert roster["assumed"].tolist() == ["level hire_date", "level", "level hire_date"]
    assert list(hand.dataset.assumed("hire_date")) == ["Ana", "Cy"]
    assert list(hand.dataset.assumed("level")) == ["Ana", "Ben", "Cy"]
    assert hand.dataset.notes == tuple(hand.report.assumptions)


def test_levels_the_teams_table_gives_are_not_assumed():
    teams = pd.DataFrame({**TEAMS, "level": ["senior", "", "top"]})
    ds, report = load_deals(deals_frame(), teams)
    roster = ds.roster.set_index("rep_id")
    assert roster["level"].astype(str).tolist() == ["senior", "junior", "junior"]
    assert list(ds.assumed("level")) == ["Ben", "Cy"]
    current, said = grading.current_levels(ds)
    assert current.isna().tolist() == [False, True, True] and current["Ana"] == "senior"
    assert len(said) == 1 and "2 rep(s)" in said[0]
    assert "except 1 rep(s) whose level the teams table gives" in str(report)


def test_hand_example_report(hand):
    r = hand.report
    assert (r.preset, r.preset_detected, r.rows_read) == ("salesforce", True, 14)
    assert (r.won, r.lost, r.open, r.refunds) == (8, 2, 2, 2)
    assert r.refunds_amount == pytest.approx(-4000)
    assert r.unknown_stages == {"Verbal Commit": 1}
    assert r.clawback_months == 2
    assert r.clawback_carried == pytest.approx(2500 + 899.99)
    assert r.clawback_left == {"Cy": pytest.approx(899.99)}
    assert (r.split_deals, r.split_rows_unmatched) == (1, 0)
    assert r.renewals_outside == pytest.approx(3)  # Acme Jan 2026, Dune Jun 2026, Echo Jul 2025
    assert (r.reps_without_team, r.team_reps_without_deals) == (["Cy"], ["Dee"])
    text = str(r)
    for phrase in ("8 won, 2 lost, 2 open", "'Verbal Commit' (1)", "netted into revenue",
                   "Cy 899.99", "3,399.99 was carried", "(unassigned): Cy",
                   "Hire date = the rep's first activity", "Level = junior",
                   "No CSAT in CRM data", "Salesforce column names (detected"):
        assert phrase in text, phrase
    assert r.to_frame()["report"].tolist() == r.lines()


def test_split_cents_add_up_and_halves_count_for_each(hand):
    history = hand.dataset.history
    july = history[history["month"] == "2024-07-01"].set_index("rep_id")
    # D12's 1,000.01: 600.01 to Cy (the larger remainder takes the odd cent) + 400.00 to Ana
    assert july.loc["Ana", "revenue"] == 400.00
    assert hand.report.clawback_left["Cy"] == pytest.approx(1500 - 600.01)
    half = pd.DataFrame({"Opportunity ID": ["D12", "D12"], "Team Member": ["Cy", "Ana"],
                         "Percent (%)": [0.5, 0.5]})  # fractions adding up to 1
    ds, _ = load_deals(deals_frame(), splits=half)
    july = ds.history[ds.history["month"] == "2024-07-01"].set_index("rep_id")
    # half a deal and half a new customer each: halves round up, so both count them
    assert july.loc["Ana", ["deals_won", "new_customers"]].tolist() == [1, 1]
    assert july.loc["Cy", ["deals_won", "new_customers"]].tolist() == [1, 1]
    assert july.loc["Ana", "revenue"] == 500.01  # 500.005 each: the odd cent to Ana by name
    assert july.loc["Cy", "revenue"] == 0.0  # 500.00 - 1,500 credit note


def test_input_frames_are_not_modified():
    deals, teams, splits = deals_frame(), pd.DataFrame(TEAMS), pd.DataFrame(SPLITS)
    copies = [f.copy(deep=True) for f in (deals, teams, splits)]
    load_deals(deals, teams, splits=splits)
    for frame, copy in zip((deals, teams, splits), copies, strict=True):
        pd.testing.assert_frame_equal(frame, copy)


def test_stage_lists_can_be_replaced():
    ds, report = load_deals(deals_frame(), stages={"won": ["Closed Won", "verbal  commit"],
                                                   "open": ["Prospecting"]})
    cy = ds.history[ds.history["rep_id"] == "Cy"]
    cy = cy.set_index(cy["month"].dt.strftime("%Y-%m"))
    # now won: a deal and a new customer; no splits here, so Cy owes 1,500 - 1,000.01 from
    # July and the 300 recovers part of it
    assert cy.loc["2024-09", ["revenue", "deals_won", "new_customers"]].tolist() == [0, 1, 1]
    assert report.clawback_left == {"Cy": pytest.approx(499.99 - 300)}
    assert report.unknown_stages == {} and report.won == 9
    with pytest.raises(DealsError, match="listed under two outcomes"):
        load_deals(deals_frame(), stages={"won": ["Closed Won"], "lost": ["closed won"]})
    with pytest.raises(DealsError, match="unknown key"):
        load_deals(deals_frame(), stages={"wins": ["Closed Won"]})


def test_level_and_preset_arguments():
    ds, report = load_deals(deals_frame(), level="Senior", preset="salesforce")
    assert set(ds.roster["level"].astype(str)) == {"senior"}
    assert not report.preset_detected and "Level = senior" in str(report)
    with pytest.raises(DealsError, match="level='boss'"):
        load_deals(deals_frame(), level="boss")
    with pytest.raises(DealsError, match="preset='pipedrive'"):
        load_deals(deals_frame(), preset="pipedrive")


def test_column_map_overrides_the_preset():
    frame = deals_frame().rename(columns={"Opportunity Owner": "Owner Full Name",
                                          "Close Date": "Won On"})
    ds, report = load_deals(frame, column_map={"Owner Full Name": "owner", "Won On": "close"})
    assert report.columns["owner"] == "Owner Full Name" and report.preset == "salesforce"
    assert ds.history["revenue"].sum() == pytest.approx(6000)  # no split: D12 all Cy's
    teams = pd.DataFrame({"Seller": ["Ana"], "Area": ["North"], "Squad": ["N1"], "Boss": ["M"]})
    ds, _ = load_deals(frame, teams, column_map={
        "deals": {"Owner Full Name": "owner", "Won On": "close"},
        "teams": {"Seller": "rep", "Area": "region", "Squad": "team", "Boss": "manager_id"}})
    assert ds.roster.set_index("rep_id").loc["Ana", "region"] == "North"
    with pytest.raises(DealsError, match="'sales' is not a field"):
        load_deals(frame, column_map={"Amount": "sales"})


def test_write_round_trips_through_load(hand, tmp_path):
    written = hand.write(tmp_path / "data")
    assert {p.name for p in written} == {"roster.csv", "history.csv", "deals_report.txt",
                                         "assumptions.txt"}
    back = load(tmp_path / "data")
    pd.testing.assert_frame_equal(back.history, hand.dataset.history, check_dtype=False)
    assert back.roster["rep_id"].tolist() == hand.dataset.roster["rep_id"].tolist()
    assert back.notes == hand.dataset.notes and len(back.notes) > 3  # said in the notebooks
    assert list(back.assumed("level")) == list(hand.dataset.assumed("level"))
    assert back.summary()[1:] == ["Assumed when the data was loaded:",
                                  *(f"- {n}" for n in hand.dataset.notes)]
    assert "Assumptions:" in (tmp_path / "data" / "deals_report.txt").read_text()


def test_hand_dataset_runs_through_grading_and_targets(hand):
    k = grading.kpis(hand.dataset, 2025)
    assert list(k.index) == ["Ana", "Ben"]  # Cy was last active in 2024
    assert k.loc["Ben", "retention"] == pytest.approx(2 / 3)
    # revenue only: nobody won a new customer in 2025, so there is no basis to split on
    tg.plan_targets(hand.dataset, measures=("revenue",))


# ------------------------------------------------------------ exports from the sample


def compare_to_sample(history: pd.DataFrame, sample_history: pd.DataFrame,
                      to_rep: dict) -> int:
    """Revenue (to the cent) and deals per rep and month equal the sample's; months the
    sample lacks are zeros. Returns how many such months there are."""
    mine = history.assign(rep_id=history["rep_id"].map(to_rep))
    assert mine["rep_id"].notna().all()
    both = sample_history.merge(mine, on=["rep_id", "month"], how="outer",
                                suffixes=("_sample", ""), indicator=True)
    assert (both["_merge"] != "left_only").all()  # every sample month is in the history
    common = both[both["_merge"] == "both"]
    assert (np.round(common["revenue"] * 100) == np.round(common["revenue_sample"] * 100)).all()
    assert (common["deals_won"] == common["deals_won_sample"]).all()
    extra = both[both["_merge"] == "right_only"]
    assert (extra["revenue"] == 0).all() and (extra["deals_won"] == 0).all()
    return len(extra)


@pytest.fixture(scope="module")
def salesforce(tmp_path_factory):
    sample = load_sample()
    export, teams, to_rep = deals_export(sample)
    folder = tmp_path_factory.mktemp("sf")
    export.to_csv(folder / "opportunities.csv", index=False)
    teams.to_csv(folder / "teams.csv", index=False)
    return sample, folder, to_rep


def test_salesforce_export_gives_back_the_sample(salesforce):
    sample, folder, to_rep = salesforce
    files = [folder / "opportunities.csv", folder / "teams.csv"]
    before = [digest(f) for f in files]
    ds, report = load_deals(files[0], files[1])
    assert [digest(f) for f in files] == before  # inputs only read
    assert report.preset == "salesforce" and report.preset_detected
    assert report.won == sample.history["deals_won"].sum()
    assert compare_to_sample(ds.history, sample.history, to_rep) == 1  # the sample's gap
    assert report.reps_without_team == [] and report.unknown_stages == {}
    roster = ds.roster.assign(rep_id=ds.roster["rep_id"].map(to_rep)).set_index("rep_id")
    want = sample.roster.set_index("rep_id")
    assert (roster.loc[want.index, "region"] == want["region"]).all()
    assert (roster.loc[want.index, "manager_id"] == want["manager_id"]).all()
    left = want["leave_date"].notna()
    assert (roster.loc[want.index[left], "leave_date"] == want.loc[left, "leave_date"]).all()
    assert report.quiet_reps == []  # every rep active to the end or given a leave date
    # hire = first activity = the first month of the rep's history: no gap to warn about
    checks = set(quality_report(ds)["check"])
    assert not checks & {"missing months", "history outside employment", "no history"}
    k = grading.kpis(ds)
    assert len(k) > 80 and k["revenue"].gt(0).all() and k["csat"].isna().all()
    plan = tg.plan_targets(ds)
    assert plan.year == sample.plan_year and len(plan.targets) > 0


def test_hubspot_export_gives_back_the_sample(tmp_path):
    sample = load_sample()
    keep = sample.roster["rep_id"].iloc[::8]  # 15 reps: smaller
    small = sample.history[sample.history["rep_id"].isin(keep)]
    small_ds = type(sample)(sample.roster[sample.roster["rep_id"].isin(keep)], small)
    export, teams, to_rep = deals_export(small_ds, hubspot=True, seed=5)
    path = tmp_path / "hubspot-crm-exports-all-deals.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"note": ["not this one"]}).to_excel(xl, sheet_name="About", index=False)
        export.to_excel(xl, sheet_name="Deals", index=False)
    before = digest(path)
    ds, report = load_deals(path, teams)
    assert digest(path) == before
    assert (report.preset, report.unknown_stages) == ("hubspot", {})
    assert report.source.endswith("[Deals]")
    compare_to_sample(ds.history, small, to_rep)
    grading.kpis(ds)
    tg.plan_targets(ds)


def test_shuffled_rows_and_relabelled_owners_change_no_history(salesforce, tmp_path):
    sample, folder, to_rep = salesforce
    export = pd.read_csv(folder / "opportunities.csv", dtype=str)
    teams = pd.read_csv(folder / "teams.csv", dtype=str)
    base, _ = load_deals(export, teams)
    rng = np.random.default_rng(11)
    names = export["Opportunity Owner"].unique()
    new = dict(zip(names, [f"zz{k:04d}" for k in rng.permutation(len(names))], strict=True))
    moved = export.assign(**{"Opportunity Owner": export["Opportunity Owner"].map(new)})
    moved = moved.iloc[rng.permutation(len(moved))]
    moved.to_parquet(tmp_path / "moved.parquet")
    before = digest(tmp_path / "moved.parquet")
    other, _ = load_deals(tmp_path / "moved.parquet",
                          teams.assign(rep=teams["rep"].map(new)).iloc[::-1])
    assert digest(tmp_path / "moved.parquet") == before
    back = {v: k for k, v in new.items()}
    relabelled = other.history.assign(rep_id=other.history["rep_id"].map(back))
    key = ["rep_id", "month"]
    pd.testing.assert_frame_equal(
        relabelled.sort_values(key, ignore_index=True),
        base.history.sort_values(key, ignore_index=True), check_dtype=False)
    roster = other.roster.assign(rep_id=other.roster["rep_id"].map(back))
    cols = ["rep_id", "region", "team", "manager_id", "hire_date", "level"]
    pd.testing.assert_frame_equal(roster[cols].sort_values("rep_id", ignore_index=True),
                                  base.roster[cols].sort_values("rep_id", ignore_index=True),
                                  check_dtype=False)


def test_hand_example_shuffled_and_relabelled():
    new = {"Ana": "Zoe Quist", "Ben": "Al Berg", "Cy": "Mo"}
    rows = [(i, new[o], *rest) for i, o, *rest in DEALS][::-1]
    splits = pd.DataFrame(SPLITS).assign(**{"Team Member": lambda f: f["Team Member"].map(
        new)})
    teams = pd.DataFrame(TEAMS).assign(rep=lambda f: f["rep"].map(lambda r: new.get(r, r)))
    ds, report = load_deals(deals_frame(rows), teams, splits=splits)
    back = {v: k for k, v in new.items()}
    history = ds.history.assign(rep_id=ds.history["rep_id"].map(back))
    base, _ = load_deals(deals_frame(), pd.DataFrame(TEAMS), splits=pd.DataFrame(SPLITS))
    pd.testing.assert_frame_equal(history.sort_values(["rep_id", "month"], ignore_index=True),
                                  base.history, check_dtype=False)
    assert report.clawback_left == {"Mo": pytest.approx(899.99)}


# --------------------------------------------------------------------- file handling


def test_report_footer_currency_amounts_and_day_first_dates(tmp_path):
    frame = deals_frame()
    frame["Amount"] = frame["Amount"].map(lambda a: f"USD {float(a):,.2f}" if a else "")
    frame["Close Date"] = pd.to_datetime(frame["Close Date"]).dt.strftime("%d/%m/%Y")
    frame["Created Date"] = pd.to_datetime(frame["Created Date"]).dt.strftime("%d/%m/%Y")
    path = tmp_path / "report.csv"
    text = frame.to_csv(index=False) + ('\n"Grand Totals (14 records)"\n\n"Copyright (c) '
                                        '2000-2024 salesforce.com, inc. All rights reserved."\n')
    path.write_text(text)
    ds, report = load_deals(path, date_format="%d/%m/%Y")
    assert report.footer_rows == 2 and report.rows_read == 16
    base, _ = load_deals(deals_frame())
    pd.testing.assert_frame_equal(ds.history, base.history)


# ------------------------------------------------------------------------ bad input


def write(tmp_path, frame, name="deals.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_missing_column_names_the_preset_names(tmp_path):
    path = write(tmp_path, deals_frame().drop(columns=["Close Date"]))
    with pytest.raises(DataError) as err:
        load_deals(path)
    msg = str(err.value)
    assert str(path) in msg and "missing column(s) for close" in msg
    assert "Salesforce 'Close Date'" in msg and "HubSpot 'Close Date'" in msg
    assert "column_map={'<your column>': 'close'}" in msg
    with pytest.raises(DataError, match=r"deals: missing column\(s\) for owner, account, "
                       r"stage, created \(read with the HubSpot column names\).*"
                       r"deal owner \(rep\): Salesforce 'Opportunity Owner', HubSpot "
                       r"'Deal owner'"):
        load_deals(deals_frame(), preset="hubspot")
    title = pd.DataFrame({"Opportunities by owner": ["Filtered by: all", "Owner"],
                          "Unnamed: 1": ["", "Stage"]})
    with pytest.raises(DataError, match=r"generic column names.*does not look like a header"):
        load_deals(title)


def test_bad_dates_and_amounts_name_file_column_and_line(tmp_path):
    frame = deals_frame()
    frame.loc[4, "Close Date"] = "2024-13-45"
    path = write(tmp_path, frame)
    with pytest.raises(DataError, match=r"deals\.csv: column 'Close Date' has values that are "
                       r"not dates in 1 row\(s\): line 6 \(Opportunity ID=D05; "
                       r"Close Date='2024-13-45'\)"):
        load_deals(path)
    frame = deals_frame()
    frame.loc[1, "Amount"] = "five hundred"
    with pytest.raises(DataError, match=r"column 'Amount' has values that are not numbers in "
                       r"1 row\(s\): line 3 \(Opportunity ID=D02; Amount='five hundred'\)"):
        load_deals(write(tmp_path, frame))
    with pytest.raises(DataError, match=r"not dates in the format '%d/%m/%Y'.*line 2"):
        load_deals(write(tmp_path, deals_frame()), date_format="%d/%m/%Y")


def test_won_deals_need_amount_close_date_and_owner(tmp_path):
    for col, row in (("Amount", 0), ("Close Date", 1), ("Opportunity Owner", 4)):
        frame = deals_frame()
        frame.loc[row, col] = ""
        with pytest.raises(DataError, match=rf"column '{col}' is empty on won deals in 1 "
                           rf"row\(s\): line {row + 2} \(Opportunity ID=D0{row + 1}"):
            load_deals(write(tmp_path, frame))
    frame = deals_frame()
    frame.loc[2, "Amount"] = ""  # a lost deal: fine
    frame.loc[3, "Opportunity Owner"] = ""  # an open deal nobody owns: left out
    _, report = load_deals(write(tmp_path, frame))
    assert report.no_owner == 1


def test_duplicate_deal_ids_and_bad_splits(tmp_path):
    frame = deals_frame()
    frame.loc[5, "Opportunity ID"] = "D05"
    with pytest.raises(DataError, match=r"column 'Opportunity ID' is duplicated in 2 row\(s\)"):
        load_deals(write(tmp_path, frame))
    splits = pd.DataFrame({"Opportunity ID": ["D12", "D12", "D09"],
                           "Team Member": ["Cy", "Ana", "Ana"],
                           "Percent (%)": ["60", "30", "100"]})
    path = write(tmp_path, splits, "splits.csv")
    with pytest.raises(DataError, match=r"splits\.csv: split shares of 1 deal\(s\) do not add "
                       r"up to 100%: D12 \(90%\)"):
        load_deals(deals_frame(), splits=path)
    with pytest.raises(DataError, match=r"missing split column\(s\) for share"):
        load_deals(deals_frame(), splits=splits.drop(columns=["Percent (%)"]))


def test_bad_teams_and_missing_files(tmp_path):
    teams = pd.DataFrame(TEAMS).assign(level=["junior", "wizard", ""])
    path = write(tmp_path, teams, "teams.csv")
    with pytest.raises(DataError, match=r"teams\.csv: column 'level' has an unknown level in "
                       r"1 row\(s\): line 3 \(rep=Ben; level='wizard'\)"):
        load_deals(deals_frame(), path)
    with pytest.raises(DataError, match=r"teams\.csv: no rep column"):
        load_deals(deals_frame(), write(tmp_path, teams.drop(columns=["rep"]), "teams.csv"))
    nobody = deals_frame().assign(**{"Opportunity Owner": "", "Stage": "Prospecting"})
    with pytest.raises(DataError, match=r"deals: no deal has both a rep"):
        load_deals(nobody)
    with pytest.raises(DataError, match="nowhere.csv: no such file"):
        load_deals(tmp_path / "nowhere.csv")
    (tmp_path / "deals.txt").write_text("x")
    with pytest.raises(DataError, match=r"expected the deals as \.csv, \.xlsx or \.parquet"):
        load_deals(tmp_path / "deals.txt")
