"""The data contract: every bad input is refused with a message that says where and what."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from conftest import edit_csv
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import DataError, load, quality_report
from helpers.data import SAMPLE_DIR, among, from_frames, save
from helpers.schema import HISTORY, LEVELS, ROSTER


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_sample_loads_with_contract_dtypes(sample):
    assert sample.roster["rep_id"].is_unique
    assert list(sample.roster["level"].cat.categories) == list(LEVELS)
    assert sample.roster["level"].cat.ordered
    assert pd.api.types.is_datetime64_any_dtype(sample.history["month"])
    assert (sample.history["month"].dt.day == 1).all()
    assert (sample.history["revenue"] >= 0).all()
    assert not sample.history.duplicated(["rep_id", "month"]).any()
    assert sample.plan_year == sample.last_year + 1


def test_loading_never_modifies_inputs(sample_copy):
    before = _digest(sample_copy)
    load(sample_copy)
    assert _digest(sample_copy) == before


@pytest.mark.parametrize(
    ("table", "change", "column", "fragment"),
    [
        ("history", lambda f: f.drop(columns="revenue"), "revenue", "missing column"),
        ("history", lambda f: f.assign(deals_won=f["deals_won"].where(f.index != 3, "many")),
         "deals_won", "not numbers"),
        ("history", lambda f: f.assign(deals_won=f["deals_won"].where(f.index != 3, "2.5")),
         "deals_won", "not whole numbers"),
        ("history", lambda f: f.assign(month=f["month"].where(f.index != 7, "13/45/2024")),
         "month", "not dates"),
        ("history", lambda f: f.assign(month=f["month"].where(f.index != 7, "2024-03-15")),
         "month", "first of a month"),
        ("history", lambda f: f.assign(revenue=f["revenue"].where(f.index != 4, "-100")),
         "revenue", "below 0"),
        ("history", lambda f: f.assign(csat=f["csat"].where(f.index != 4, "130")),
         "csat", "above 100"),
        ("history", lambda f: pd.concat([f, f.iloc[[10]]]), "rep_id, month", "duplicated"),
        ("history", lambda f: f.assign(rep_id=f["rep_id"].where(f.index != 5, "R999")),
         "rep_id", "not in the roster"),
        ("history", lambda f: f.assign(customers_retained="50"), "customers_retained",
         "exceeds customers_up_for_renewal"),
        ("roster", lambda f: f.assign(hire_date=f["hire_date"].where(f.index != 2, "soon")),
         "hire_date", "not dates"),
        ("roster", lambda f: f.assign(level=f["level"].where(f.index != 2, "wizard")),
         "level", "unknown level"),
        ("roster", lambda f: f.assign(region=f["region"].where(f.index != 2, "")),
         "region", "empty values"),
        ("roster", lambda f: pd.concat([f, f.iloc[[0]]]), "rep_id", "duplicated"),
        ("reviews", lambda f: f.assign(collaboration=f["collaboration"].where(f.index != 1, "9")),
         "collaboration", "above 5"),
    ],
)
def test_bad_input_names_file_column_rows_and_expectation(sample_copy, table, change,
                                                          column, fragment):
    edit_csv(sample_copy / f"{table}.csv", change)
    with pytest.raises(DataError) as err:
        load(sample_copy)
    message = str(err.value)
    assert f"{table}.csv" in message
    assert f"'{column}'" in message
    assert fragment in message
    if fragment != "missing column":
        assert "line " in message and "Expected" in message


def test_offending_row_is_the_file_line(sample_copy):
    edit_csv(sample_copy / "history.csv",
             lambda f: f.assign(revenue=f["revenue"].where(f.index != 4, "-1")))
    with pytest.raises(DataError, match=r"line 6 \(rep_id=R001, month=2024-05-01; revenue='-1'\)"):
        load(sample_copy)


@pytest.mark.parametrize("quoted", [True, False])
def test_csv_line_counts_blank_lines_and_quoted_line_breaks(sample_copy, quoted):
    """A CRM note spanning two lines, or blank lines, must not shift the line named."""
    edit_csv(sample_copy / "roster.csv",
             lambda f: f.assign(level=f["level"].where(f["rep_id"] != "R004", "wizard")))
    lines = (sample_copy / "roster.csv").read_text().splitlines()
    if quoted:
        lines[1] = lines[1].replace("Avery Hansen", '"Avery\nHansen"')  # R001 on lines 2-3
    else:
        lines.insert(1, "  ")  # line 2 blank, R001 on line 3
    lines.insert(3, "")  # then R002 on line 4 or 5, R003 on 6, R004 on 7
    (sample_copy / "roster.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"in 1 row\(s\): line 7 \(rep_id=R004; level='wizard'\)"):
        load(sample_copy)


def test_csv_the_line_counter_cannot_read_counts_data_rows_and_says_so(sample_copy):
    """A field over the csv module's size limit: pandas reads it, lines are not counted."""
    edit_csv(sample_copy / "roster.csv",
             lambda f: f.assign(level=f["level"].where(f["rep_id"] != "R004", "wizard")))
    text = (sample_copy / "roster.csv").read_text()
    (sample_copy / "roster.csv").write_text(text.replace("Avery Hansen",
                                                         '"' + "x" * 200_000 + '"'))
    with pytest.raises(DataError, match=r"row 4 \(rep_id=R004; level='wizard'\)\. Expected .*"
                                        r"Rows are data rows counted from 1\."):
        load(sample_copy)


def test_missing_column_suggests_column_map(sample_copy):
    edit_csv(sample_copy / "roster.csv", lambda f: f.drop(columns="team"))
    with pytest.raises(DataError, match=r"column_map=\{'<your name>': 'team'\}"):
        load(sample_copy)


def test_empty_file(sample_copy):
    (sample_copy / "history.csv").write_text("")
    with pytest.raises(DataError, match="history.csv: the file is empty"):
        load(sample_copy)


def test_header_only_file(sample_copy):
    header = (sample_copy / "history.csv").read_text().splitlines()[0]
    (sample_copy / "history.csv").write_text(header + "\n")
    with pytest.raises(DataError, match="history.csv: no data rows"):
        load(sample_copy)


def test_non_utf8_csv_names_the_line(sample_copy):
    text = (sample_copy / "roster.csv").read_text().replace("Avery Hansen", "Åsa Hansen")
    (sample_copy / "roster.csv").write_bytes(text.encode("latin-1"))
    with pytest.raises(DataError, match=r"roster.csv: not UTF-8 .* line 2"):
        load(sample_copy)


def test_bom_and_chinese_headers_via_column_map(sample_copy):
    chinese = {"rep_id": "销售代表", "month": "月份", "revenue": "收入"}
    edit_csv(sample_copy / "history.csv", lambda f: f.rename(columns=chinese))
    raw = (sample_copy / "history.csv").read_text(encoding="utf-8")
    (sample_copy / "history.csv").write_bytes("\ufeff".encode() + raw.encode("utf-8"))
    with pytest.raises(DataError, match="'rep_id', 'month', 'revenue'"):
        load(sample_copy)
    ds = load(sample_copy, column_map={"history": {v: k for k, v in chinese.items()}})
    reference = load(SAMPLE_DIR)
    pd.testing.assert_frame_equal(ds.history, reference.history)


def test_flat_column_map_applies_to_every_table(sample_copy):
    for name in ("roster", "history", "reviews"):
        edit_csv(sample_copy / f"{name}.csv", lambda f: f.rename(columns={"rep_id": "Owner"}))
    ds = load(sample_copy, column_map={"Owner": "rep_id"})
    assert ds.history["rep_id"].iloc[0] == "R001"


def test_missing_table_and_missing_folder(sample_copy, tmp_path):
    (sample_copy / "history.csv").unlink()
    with pytest.raises(DataError, match="no 'history' table"):
        load(sample_copy)
    with pytest.raises(DataError, match="no such file"):
        load(tmp_path / "nowhere")


def test_reviews_are_optional(sample_copy):
    (sample_copy / "reviews.csv").unlink()
    ds = load(sample_copy)
    assert ds.reviews.empty and list(ds.reviews.columns)[:2] == ["rep_id", "period"]


def test_xlsx_and_parquet_load_the_same_tables(sample, tmp_path):
    book = tmp_path / "crm.xlsx"
    with pd.ExcelWriter(book) as writer:
        for name in ("roster", "history", "reviews"):
            getattr(sample, name).to_excel(writer, sheet_name=name.title(), index=False)
    folder = tmp_path / "pq"
    for name in ("roster", "history", "reviews"):
        save(getattr(sample, name), folder / f"{name}.parquet")
    for ds in (load(book), load(folder)):
        pd.testing.assert_frame_equal(ds.history, sample.history)
        pd.testing.assert_frame_equal(ds.roster, sample.roster)


def test_xlsx_errors_name_the_sheet(sample, tmp_path):
    book = tmp_path / "crm.xlsx"
    history = sample.history.assign(revenue=sample.history["revenue"].astype(object))
    history.loc[2, "revenue"] = "lots"
    with pd.ExcelWriter(book) as writer:
        sample.roster.to_excel(writer, sheet_name="roster", index=False)
        history.to_excel(writer, sheet_name="history", index=False)
    with pytest.raises(DataError, match=r"crm.xlsx\[history\]: column 'revenue'.*row 4"):
        load(book)
    with pytest.raises(DataError, match=r"in 1 row\(s\): sheet row 4 \(rep_id=R001"):
        load(book)


def test_parquet_errors_count_rows_from_one_and_say_so(sample, tmp_path):
    folder = tmp_path / "pq"
    save(sample.roster, folder / "roster.parquet")
    history = sample.history.copy()
    history.loc[2, "revenue"] = -1.0
    save(history, folder / "history.parquet")
    with pytest.raises(DataError, match=r"history.parquet: .* row 3 \(rep_id=R001, "
                                        r"month=2024-03-01.*Rows are data rows counted from 1"):
        load(folder)


@pytest.mark.parametrize("labels", ["shuffled", "strings"])
def test_from_frames_errors_name_the_index_label(sample, labels):
    history = sample.history.copy()
    if labels == "shuffled":
        history = history.sample(frac=1, random_state=0)
    else:
        history.index = [f"h{i}" for i in range(len(history))]
    label = history.index[7]
    history.loc[label, "revenue"] = -1.0
    shown = repr(label) if isinstance(label, str) else label
    with pytest.raises(DataError, match=rf"in 1 row\(s\): index label {shown} \(rep_id="):
        from_frames(sample.roster, history)
    history.loc[label, "revenue"] = 1.0
    history.loc[label, "rep_id"] = "R999"
    with pytest.raises(DataError, match=rf"not in the roster .*: index label {shown} \("):
        from_frames(sample.roster, history)


def test_from_frames_validates_in_memory_tables(sample):
    broken = sample.history.assign(revenue=-sample.history["revenue"])
    with pytest.raises(DataError, match="history: column 'revenue' has values below 0"):
        from_frames(sample.roster, broken)


def test_quality_report_finds_what_the_sample_plants(sample):
    report = quality_report(sample)
    assert list(report.columns) == ["severity", "check", "rep_id", "detail"]
    found = set(report["check"])
    assert {"missing months", "outlier", "new hire", "leaver"} <= found
    leavers = set(sample.roster.loc[sample.roster["leave_date"].notna(), "rep_id"])
    assert set(report.loc[report["check"] == "leaver", "rep_id"]) == leavers
    # the planted mega deal is the largest spike
    spikes = report[report["check"] == "outlier"]
    top = sample.history.loc[sample.history["revenue"].idxmax(), "rep_id"]
    assert top in set(spikes["rep_id"])


def test_quality_report_counts_a_gap_and_a_rep_without_history(sample):
    history = sample.history[~((sample.history["rep_id"] == "R001")
                               & sample.history["month"].dt.month.isin([3, 4]))]
    history = history[history["rep_id"] != "R002"]
    report = quality_report(from_frames(sample.roster, history))
    gaps = report[(report["check"] == "missing months") & (report["rep_id"] == "R001")]
    assert gaps["detail"].str.startswith("6 month").all()  # March and April of 3 years
    assert "R002" in set(report.loc[report["check"] == "no history", "rep_id"])


@pytest.mark.parametrize(("last", "hired", "new"), [
    ("2026-12-01", "2025-12-02", False),  # 12 full months by the end of December
    ("2026-12-01", "2025-12-31", False),
    ("2026-12-01", "2026-01-01", False),
    ("2026-12-01", "2026-01-02", True),
    ("2026-12-01", "2026-01-15", True),
    ("2026-06-01", "2025-06-02", False),  # history ending mid-year
    ("2026-06-01", "2025-07-01", False),
    ("2026-06-01", "2025-07-02", True),
])
def test_new_hire_means_under_12_calendar_months_at_the_end_of_history(sample, last, hired,
                                                                         new):
    roster = sample.roster.copy()
    roster.loc[roster["rep_id"] == "R001", "hire_date"] = pd.Timestamp(hired)
    history = sample.history[sample.history["month"] <= pd.Timestamp(last)]
    report = quality_report(from_frames(roster, history))
    assert ("R001" in set(report.loc[report["check"] == "new hire", "rep_id"])) is new


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path, sample):
    path = save(sample.roster, tmp_path / "out" / "roster.csv")
    assert [p.name for p in path.parent.iterdir()] == ["roster.csv"]
    with pytest.raises(ValueError, match="can only write"):
        save(sample.roster, tmp_path / "roster.json")
    assert [p.name for p in path.parent.iterdir()] == ["roster.csv"]


def test_schema_required_columns_are_in_the_sample(sample):
    assert set(ROSTER.required) <= set(sample.roster.columns)
    assert set(HISTORY.required) <= set(sample.history.columns)


# ------------------------------------------------------------- day or month first


def test_day_first_dates_are_read_day_first_in_every_column(tmp_path, sample):
    import shapes

    folder = shapes.make(tmp_path / "dmy", "day_first_dates")
    ds = load(folder)
    pd.testing.assert_frame_equal(ds.roster, sample.roster)
    pd.testing.assert_frame_equal(ds.history, sample.history)


def test_one_column_with_both_orders_stops_naming_both(tmp_path):
    roster = pd.read_csv(SAMPLE_DIR / "roster.csv", dtype=str, keep_default_na=False)
    roster.loc[0, "hire_date"], roster.loc[1, "hire_date"] = "25/11/2016", "11/25/2016"
    with pytest.raises(DataError, match=r"'hire_date' has dates in both orders.*'25/11/2016' "
                                        r"\(day first\).*'11/25/2016' \(month first\)"):
        from_frames(roster, pd.read_csv(SAMPLE_DIR / "history.csv"))


def test_orders_disagreeing_between_columns_stop(tmp_path):
    roster = pd.read_csv(SAMPLE_DIR / "roster.csv", dtype=str, keep_default_na=False)
    roster.loc[0, "hire_date"] = "11/25/2016"  # month first
    roster.loc[2, "leave_date"] = "25/11/2024"  # day first
    with pytest.raises(DataError, match="dates in both orders.*date_format"):
        from_frames(roster, pd.read_csv(SAMPLE_DIR / "history.csv"))


def test_only_ambiguous_dates_ask_for_date_format_unless_months_decide():
    roster = pd.read_csv(SAMPLE_DIR / "roster.csv", dtype=str, keep_default_na=False)
    roster = roster.head(2).assign(hire_date=["05/04/2016", "03/02/2017"], leave_date="")
    history = pd.read_csv(SAMPLE_DIR / "history.csv", dtype=str, keep_default_na=False)
    history = history[history["rep_id"].isin(roster["rep_id"])]
    with pytest.raises(DataError, match=r"'hire_date' has dates like '05/04/2016' that "
                                        r"could be day or month first.*date_format"):
        from_frames(roster, history)
    # 01/06/2026 is a first of the month only when read day first: the months decide
    dmy = history.assign(month=pd.to_datetime(history["month"]).dt.strftime("%d/%m/%Y"))
    ds = from_frames(roster, dmy)
    assert ds.roster["hire_date"].dt.strftime("%Y-%m-%d").tolist() == ["2016-04-05",
                                                                        "2017-02-03"]
    ds = from_frames(roster, history, date_format="%m/%d/%Y")
    assert ds.roster["hire_date"].dt.strftime("%Y-%m-%d").tolist() == ["2016-05-04",
                                                                        "2017-03-02"]


def test_optional_columns_may_be_absent_and_the_dataset_says_what_it_lacks(tmp_path, sample):
    import shapes

    assert sample.lacks() == {}
    ds = load(shapes.make(tmp_path / "bare", "no_csat", "no_quota", "no_reviews",
                          "bare_roster"))
    assert ds.history["csat"].isna().all()  # an absent measure reads as empty, not an error
    assert set(ds.lacks()) == {"reviews", "csat", "quota", "territory_potential", "gender",
                               "leave_date"}
    assert all(text and "." not in text[-1:] for text in ds.lacks().values())


def test_employed_is_the_one_rule_for_who_is_active(sample):
    """Hired by the day, not left on or before it; no day: no leave date at all."""
    from dataclasses import replace

    roster = pd.DataFrame({
        "rep_id": ["a", "b", "c", "d"], "hire_date": pd.to_datetime(
            ["2020-01-01", "2024-06-01", "2020-01-01", "2020-01-01"]),
        "leave_date": pd.to_datetime([None, None, "2024-03-31", "2025-02-01"])})
    ds = replace(sample, roster=roster.iloc[::-1])  # any row order
    day = pd.Timestamp("2024-03-31")
    assert list(ds.employed(day)) == ["d", "a"]  # b not hired yet, c left that day
    assert list(ds.employed("2024-03-30")) == ["d", "c", "a"]
    assert list(ds.employed()) == ["b", "a"]  # d has a leave date: no future plan
    assert list(replace(ds, roster=roster.drop(columns="leave_date")).employed()) == list("abcd")


def test_start_opens_a_notebook_the_same_way_every_time(tmp_path, capsys):
    """One call loads, settles year and output folder, says what was loaded and counts the
    quality findings (the three notebooks' opening)."""
    from helpers import start

    ds, year, out, findings = start(None, None, tmp_path / "out")
    assert year == ds.plan_year and out == tmp_path / "out"
    said = capsys.readouterr().out
    assert said.startswith(f"{len(ds.roster)} reps,") and f"planning {year}" in said
    counts = quality_report(ds).groupby(["severity", "check"]).size()
    pd.testing.assert_series_equal(findings["findings"], counts.rename("findings"))
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("roster", "history"):
        (folder / f"{name}.csv").write_bytes((SAMPLE_DIR / f"{name}.csv").read_bytes())
    (folder / "assumptions.txt").write_text("Levels are what HR said in March.\n")
    again = start(folder, 2030, show=True)
    assert again.year == 2030 and again.ds.notes == ("Levels are what HR said in March.",)
    assert "- Levels are what HR said in March." in capsys.readouterr().out


ids = st.one_of(st.none(), st.sampled_from(["R1", "R2", "r1", "R 1", "", "é"]), st.text(max_size=3))


@settings(max_examples=200, deadline=None)
@given(column=st.lists(ids, max_size=30), keys=st.lists(ids, max_size=10),
       kind=st.sampled_from(["list", "index", "series", "set", "object"]))
def test_among_is_isin(column, keys, kind):
    """The fast membership test answers exactly what pandas' isin answers, missing ids too."""
    series = pd.Series(column, dtype="string")
    given_keys = {"list": keys, "set": set(keys), "index": pd.Index(keys, dtype="string"),
                  "series": pd.Series(keys, dtype="string"),
                  "object": pd.Index(keys, dtype=object)}[kind]
    expected = series.isin(given_keys).to_numpy(dtype=bool)
    np.testing.assert_array_equal(among(series, given_keys), expected)
