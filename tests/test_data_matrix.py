"""The whole workbook on data shaped unlike the sample: it runs to the end and keeps its
invariants (every active rep in every output keyed by rep, weeks adding up to months).

Each run combines several shapes (tests/shapes.py) to keep `make test` short; `make matrix`
(MATRIX=all) also runs every single shape on its own and a HubSpot-named deals export.
"""

from __future__ import annotations

import contextlib
import io
import os

import pandas as pd
import pytest
import shapes
from conftest import FAST

from helpers import load, load_sample
from helpers.cli import main

RUNS = sorted(shapes.COMBINED) + ["deals"] + (
    sorted(shapes.SHAPES) + ["hubspot"] if os.environ.get("MATRIX") == "all" else [])


def run(args: list[str], out) -> None:
    """Run the workbook; a failure carries what the run said, so a CI log's tail explains it."""
    said = io.StringIO()
    with contextlib.redirect_stderr(said):
        code = main(["run", *args, "--out", str(out), *FAST])
    assert code == 0, said.getvalue()[-3000:]


@pytest.fixture(scope="module", params=RUNS)
def shaped_run(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    out = tmp_path_factory.mktemp(f"{request.param}_out")
    if request.param in ("deals", "hubspot"):
        export, teams, _ = shapes.deals_export(load_sample(),
                                               hubspot=request.param == "hubspot")
        export.to_csv(folder / "opportunities.csv", index=False)
        teams.to_csv(folder / "teams.csv", index=False)
        run(["--deals", str(folder / "opportunities.csv"), "--teams",
             str(folder / "teams.csv")], out)
        return load(out / "data"), out
    shapes.make(folder, *shapes.COMBINED.get(request.param, (request.param,)))
    run(["--data", str(folder)], out)
    return load(folder), out


@pytest.mark.slow
def test_every_output_is_written_and_keyed_by_every_active_rep(shaped_run):
    ds, out = shaped_run
    year = ds.plan_year
    files = {stem: out / f"{stem}_{year}.csv" for stem in
             ("targets", "levels", "calibration", "fairness", "incentives",
              "incentives_metrics")}
    assert all(f.exists() for f in files.values()), [f.name for f in files.values()
                                                     if not f.exists()]
    assert (out / f"plan_{year}.xlsx").exists()
    roster = ds.roster
    active = roster.loc[roster.get("leave_date", pd.Series(pd.NaT, roster.index)).isna(),
                        "rep_id"].astype(str)
    targets = pd.read_csv(files["targets"], dtype={"rep_id": str})
    assert set(active) <= set(targets["rep_id"])
    pay = pd.read_csv(files["incentives"], dtype={"rep_id": str})
    assert set(pay["rep_id"]) == set(targets["rep_id"])  # nobody dropped from the cost
    levels = pd.read_csv(files["levels"], dtype={"rep_id": str})
    assert set(levels["rep_id"]) <= set(active) and len(levels) > 0


@pytest.mark.slow
def test_weeks_and_months_add_up_to_each_reps_year(shaped_run):
    ds, out = shaped_run
    year = ds.plan_year
    months = pd.read_csv(out / f"targets_{year}.csv", dtype={"rep_id": str})
    weeks = pd.read_csv(out / f"targets_by_week_{year}.csv", dtype={"rep_id": str})
    key = ["rep_id", "measure"]
    a = (months.groupby(key)["target"].sum() * 100).round()
    b = (weeks.groupby(key)["target"].sum() * 100).round()
    pd.testing.assert_series_equal(a, b.reindex(a.index))


@pytest.mark.slow
def test_cli_parameters_reach_the_notebooks(shaped_run):
    import json

    _, out = shaped_run
    cells = json.loads((out / "02_grading.ipynb").read_text())["cells"]
    injected = next(c for c in cells if "injected-parameters" in c["metadata"].get("tags", []))
    assert "n_boot = 50" in "".join(injected["source"])


def test_data_and_deals_together_are_refused(tmp_path):
    with pytest.raises(SystemExit):
        main(["run", "--data", str(tmp_path), "--deals", str(tmp_path / "x.csv")])


@pytest.mark.slow
def test_what_the_loader_assumed_is_said_in_the_notebooks(shaped_run):
    """A deals export's roster is partly assumed (levels, hire dates): the notebooks say
    so, and grading places those reps rather than promote them from a guessed level."""
    ds, out = shaped_run
    text = {nb: (out / f"{nb}.ipynb").read_text() for nb in ("01_targets", "02_grading")}
    said = "Assumed when the data was loaded" in text["01_targets"]
    assert said == bool(ds.notes)
    levels = pd.read_csv(out / f"levels_{ds.plan_year}.csv", dtype={"rep_id": str})
    guessed = levels["rep_id"].isin(ds.assumed("level"))
    assert (levels.loc[guessed, "change"] == "first level").all()
    assert levels.loc[guessed, "current"].isna().all()
    assert ("placed for the first time" in text["02_grading"]) == guessed.any()


@pytest.mark.slow
def test_notebook_03_prices_the_year_notebook_01_paced(shaped_run):
    """The rest-of-year cost is priced on notebook 01's paced targets whenever it paced."""
    ds, out = shaped_run
    paced = out / f"pacing_targets_{ds.plan_year}.csv"
    assert paced.exists()
    said = "against the targets notebook 01 paced it on" in (out / "03_incentives.ipynb"
                                                             ).read_text()
    assert said == (len(pd.read_csv(paced)) > 0)
