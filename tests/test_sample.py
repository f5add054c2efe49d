"""The synthetic company: reproducible byte for byte, and realistic where notebooks rely on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import make_company
from helpers.cli import main
from helpers.data import SAMPLE_DIR
from helpers.sample import LENIENT, SEVERE


def test_committed_sample_equals_a_regeneration(tmp_path):
    assert main(["sample", "--out", str(tmp_path)]) == 0
    for name in ("roster", "history", "reviews"):
        fresh, committed = (tmp_path / f"{name}.csv"), (SAMPLE_DIR / f"{name}.csv")
        assert fresh.read_bytes() == committed.read_bytes(), (
            f"data/sample/{name}.csv is stale: run `python -m helpers sample`")


def test_same_seed_same_company_other_seed_other_company():
    a, b, c = make_company(n_reps=30, seed=1), make_company(n_reps=30, seed=1), make_company(
        n_reps=30, seed=2)
    pd.testing.assert_frame_equal(a.history, b.history)
    pd.testing.assert_frame_equal(a.reviews, b.reviews)
    assert not a.history["revenue"].equals(c.history["revenue"])


def test_sizes_follow_the_arguments():
    ds = make_company(n_reps=40, years=2, seed=3)
    assert len(ds.roster) == 40
    assert ds.history["month"].dt.year.nunique() == 2
    with pytest.raises(ValueError, match="n_reps"):
        make_company(n_reps=5)


def test_regions_differ_in_potential_and_revenue(sample):
    per_rep = sample.history.groupby("rep_id")["revenue"].mean()
    by_region = per_rep.groupby(sample.roster.set_index("rep_id")["region"]).median()
    assert by_region.idxmax() == "North" and by_region.idxmin() == "West"
    potential = sample.roster.groupby("region")["territory_potential"].mean()
    assert potential["North"] > potential["South"] > potential["West"]


def test_season_peaks_in_q4_and_dips_in_february(sample):
    month_total = sample.history.groupby(sample.history["month"].dt.month)["revenue"].sum()
    assert month_total.idxmax() == 12
    assert month_total.idxmin() == 2


def test_hires_and_leavers_mid_history(sample):
    first, last = sample.history["month"].min(), sample.history["month"].max()
    hired = sample.roster["hire_date"].between(first, last)
    left = sample.roster["leave_date"].notna()
    assert hired.sum() >= 5 and left.sum() >= 3
    months = sample.history.groupby("rep_id")["month"]
    leavers = sample.roster.loc[left].set_index("rep_id")["leave_date"]
    assert (months.max()[leavers.index] <= leavers).all()


def test_one_lenient_and_one_severe_manager(sample):
    by_rater = sample.reviews.groupby("rater_id")["collaboration"].mean()
    others = by_rater.drop([LENIENT, SEVERE])
    assert by_rater[LENIENT] > others.max()
    assert by_rater[SEVERE] < others.min()


def test_skill_persists_across_years(sample):
    h = sample.history.assign(year=sample.history["month"].dt.year)
    yearly = h.groupby(["rep_id", "year"])["revenue"].mean().unstack().dropna()
    years = sorted(yearly.columns)
    rho = np.corrcoef(np.log(yearly[years[-2]]), np.log(yearly[years[-1]]))[0, 1]
    assert rho > 0.6


def test_both_genders_at_every_level(sample):
    table = pd.crosstab(sample.roster["level"], sample.roster["gender"])
    assert (table > 0).all().all()
