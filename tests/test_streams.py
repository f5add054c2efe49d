"""Keyed random streams: a rep's draws follow the rep, never the row or the id's spelling."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from helpers import streams

PEOPLE = pd.DataFrame({"name": ["Ana Li", "Bo Chen", "Cy Diaz", "Ana Li"],
                       "hire_date": pd.to_datetime(["2020-01-01", "2021-05-03", "2019-07-01",
                                                    "2020-01-01"])},
                      index=pd.Index(["r1", "r2", "r3", "r4"], name="rep_id"))


def test_keys_follow_who_the_rep_is_not_the_row_or_the_id():
    keys = pd.Series(streams.rep_keys(PEOPLE.index, PEOPLE, seed=3), index=PEOPLE.index)
    relabel = {"r1": "z9", "r2": "a0", "r3": "m5", "r4": "zz"}  # another sort order
    moved = PEOPLE.rename(index=relabel).iloc[[2, 0, 3, 1]]
    again = pd.Series(streams.rep_keys(moved.index, moved, seed=3), index=moved.index)
    assert again.rename(index={v: k for k, v in relabel.items()}).reindex(keys.index).equals(keys)
    assert keys.nunique() == 4  # the two Ana Li hired the same day still differ (by id order)
    assert not np.array_equal(streams.rep_keys(PEOPLE.index, PEOPLE, seed=4), keys.to_numpy())


def test_reps_missing_from_people_are_keyed_by_id():
    keys = streams.rep_keys(["r1", "TBH001", "TBH002"], PEOPLE)
    assert len(set(keys.tolist())) == 3
    assert keys[1] == streams.rep_keys(["TBH001"])[0]


def test_a_number_depends_on_seed_rep_and_counter_only():
    keys = streams.rep_keys([f"r{i}" for i in range(50)], seed=1)
    full = streams.uniforms(keys, np.arange(100))
    part = streams.uniforms(keys[[7, 3]], np.arange(40, 60))
    np.testing.assert_array_equal(part, full[40:60][:, [7, 3]])  # any chunk, any subset
    np.testing.assert_array_equal(streams.uniforms(keys, np.arange(100)), full)


def test_uniforms_and_normals_have_the_right_distribution():
    keys = streams.rep_keys([f"rep-{i}" for i in range(400)], seed=11)
    u = streams.uniforms(keys, np.arange(500))
    assert u.min() > 0 and u.max() < 1
    assert stats.kstest(u.ravel(), "uniform").pvalue > 1e-3
    z = streams.normals(keys, np.arange(500)).astype(np.float64)
    assert stats.kstest(z.ravel(), "norm").pvalue > 1e-3
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert abs(((z ** 4).mean()) - 3) < 0.05
    # neither neighbouring reps nor neighbouring counters are correlated
    assert abs(np.corrcoef(z[:, :-1].ravel(), z[:, 1:].ravel())[0, 1]) < 0.01
    assert abs(np.corrcoef(z[:-1].ravel(), z[1:].ravel())[0, 1]) < 0.01


def test_float32_normals_are_standard_to_the_tails():
    z = streams.normals(streams.rep_keys(["one"]), np.arange(1_000_001))[:, 0]
    assert z.dtype == np.float32 and np.isfinite(z).all()
    assert abs(z.mean()) < 0.005 and abs(z.std() - 1) < 0.005
    assert abs((z ** 4).mean() - 3) < 0.05 and abs((z > 1.96).mean() - 0.025) < 0.001


def test_normals_are_the_pairs_interleaved():
    keys = streams.rep_keys(["a", "b", "c"])
    even, odd = streams.normal_pairs(keys, np.arange(5))
    z = streams.normals(keys, np.arange(10))
    np.testing.assert_array_equal(z[0::2], even)
    np.testing.assert_array_equal(z[1::2], odd)
