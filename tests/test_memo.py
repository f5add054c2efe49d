"""Per-dataset memory of fits (helpers/memo.py): computed once, never served stale."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import from_frames
from helpers.incentives import fit_market
from helpers.memo import fingerprint, remembered


def fresh(sample):
    """A dataset no other test has fitted on (the memory is per dataset)."""
    return from_frames(sample.roster, sample.history.copy(), sample.reviews)


def test_computed_once_per_key_and_each_caller_gets_its_own_copy(sample):
    ds, calls = fresh(sample), []

    def compute():
        calls.append(1)
        return {"shares": [0.2, 0.5]}

    first = remembered(ds, "k", compute)
    first["shares"].append(9.0)  # a caller changing its result changes no one else's
    assert remembered(ds, "k", compute) == {"shares": [0.2, 0.5]} and len(calls) == 1
    remembered(ds, "other", compute)
    assert len(calls) == 2
    assert remembered(fresh(sample), "k", compute) and len(calls) == 3  # another dataset


def test_a_table_changed_in_place_is_computed_again(sample):
    ds = fresh(sample)
    before = fit_market(ds, 4)
    assert fit_market(ds, 4).outlooks["revenue"].drift == before.outlooks["revenue"].drift
    ds.history["revenue"] *= np.where(ds.history["month"].dt.year == 2026, 1.5, 1.0)
    after = fit_market(ds, 4)
    assert after.outlooks["revenue"].drift > before.outlooks["revenue"].drift
    fresh_fit = fit_market(from_frames(ds.roster, ds.history.copy(), ds.reviews), 4)
    assert after.outlooks["revenue"].drift == fresh_fit.outlooks["revenue"].drift


@settings(max_examples=40, deadline=None)
@given(row=st.integers(0, 19), column=st.sampled_from(["rep_id", "revenue", "month"]),
       swap=st.booleans())
def test_fingerprint_sees_any_one_change(row, column, swap):
    frame = pd.DataFrame({"rep_id": [f"R{i:02d}" for i in range(20)],
                          "revenue": np.arange(20) * 1.5,
                          "month": pd.date_range("2025-01-01", periods=20, freq="MS")})
    changed = frame.copy()
    if swap:  # the same values in another order is another table
        other = (row + 1) % 20
        changed.loc[[row, other], column] = changed.loc[[other, row], column].to_numpy()
    elif column == "rep_id":
        changed.loc[row, column] = "X"
    elif column == "revenue":
        changed.loc[row, column] += 0.01
    else:
        changed.loc[row, column] += pd.Timedelta(days=1)
    assert fingerprint(frame) == fingerprint(frame.copy())
    assert fingerprint(changed) != fingerprint(frame)
