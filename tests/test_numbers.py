"""helpers.numbers: the two safe-divide rules, each named for what no denominator gives;
the fast NaN median, checked against numpy's."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers.numbers import divide_or_nan, divide_or_zero, nanmedian


def test_divide_or_nan_leaves_no_ratio_unknown_and_never_warns():
    a = np.array([6.0, 1.0, 1.0, 0.0, np.nan, 3.0])
    b = np.array([3.0, 0.0, -2.0, 0.0, 2.0, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = divide_or_nan(a, b)
    np.testing.assert_array_equal(out, [2.0, np.nan, np.nan, np.nan, np.nan, np.nan])


def test_divide_or_nan_broadcasts_like_division():
    cube = np.arange(12.0).reshape(2, 3, 2)
    by = np.array([[1.0, 0.0], [2.0, 4.0]])[:, None, :]
    out = divide_or_nan(cube, by)
    assert out.shape == cube.shape
    np.testing.assert_array_equal(out[:, :, 0], cube[:, :, 0] / by[:, :, 0])
    assert np.isnan(out[0, :, 1]).all()


def test_divide_or_zero_counts_no_target_as_zero_in_the_numerators_dtype():
    a = np.array([[6.0, 1.0, 1.0, 5.0]], dtype=np.float32)
    b = np.array([3.0, 0.0, -2.0, np.nan], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = divide_or_zero(a, b)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[2.0, 0.0, 0.0, 0.0]])
    # the engine's arithmetic: a times the reciprocal, bit for bit
    x = np.float32(0.7) * np.arange(1, 50, dtype=np.float32)
    y = np.full(49, 0.3, dtype=np.float32)
    np.testing.assert_array_equal(divide_or_zero(x, y), x * (np.float32(1) / y))


values = st.one_of(st.just(np.nan), st.floats(-1e9, 1e9, allow_nan=False))


@settings(max_examples=300, deadline=None)
@given(a=hnp.arrays("float64", hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6),
                    elements=values), data=st.data())
def test_nanmedian_is_numpys(a, data):
    """Same medians as np.nanmedian on any shape and axis, all-NaN slices NaN, no warning."""
    axis = data.draw(st.integers(0, a.ndim - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(a, axis=axis)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = nanmedian(a, axis=axis)
    np.testing.assert_array_equal(got, expected)
