"""Stability: how sure each rep's level is under resampled months, and how much a small
change of each KPI's weight moves levels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import streams
from ..data import Dataset
from ..errors import GradingError
from ..schema import LEVELS
from .breaks import levels_of
from .kpi import DIRECTIONS, MAX_MONTHS, REVIEW_KPIS, kpi_arrays, monthly_parts
from .levels import _levels_cuts
from .scale import Scale, _context, check_weights, composite_arrays, normalize_arrays
from .standards import standard_levels, usable_standards

# ---------------------------------------------------------------------------- stability

BLOCK_CELLS = 1 << 16
"""Resample x rep cells regraded at once: a block's arrays stay in cache, and memory stays
bounded whatever the number of resamples."""
MAX_WORKERS = 2
DRAWS_PER_WORD = 4  # 16-bit draws in a 64-bit word of a rep's stream
WORDS_PER_RESAMPLE = -(-MAX_MONTHS // DRAWS_PER_WORD)  # words of a rep's stream per resample


@dataclass(frozen=True)
class Stability:
    """How sure each rep's level is, from `stability`.

    Parameters
    ----------
    probabilities : pandas.DataFrame
        Rep x level: the share of resamples landing at each level.
    borderline : pandas.DataFrame
        Reps whose most likely level has probability below the threshold: most likely
        level and its probability, runner-up and its probability.
    sensitivity : pandas.DataFrame
        KPI x (`weight_up`, `weight_down`): the share of reps changing level.
    """

    probabilities: pd.DataFrame  # rep x level: share of resamples landing there
    borderline: pd.DataFrame  # reps whose most likely level has probability < threshold
    sensitivity: pd.DataFrame  # KPI x (weight up, weight down): share of reps changing level


def stability(ds: Dataset, weights: Mapping[str, float], cutoffs, *, period=None,
              method: Scale = "percentile", n_boot: int = 1000, seed: int = 0,
              by: pd.Series | None = None, territory: pd.Series | None = None,
              reviews: pd.DataFrame | None = None, delta: float = 0.05,
              borderline_below: float = 0.8, levels: Sequence[str] = LEVELS,
              standards=None, missing: str = "drop", workers: int = 2) -> Stability:
    """How sure each rep's level is: resample each rep's months, regrade, count levels.

    Each bootstrap draws every rep's worked months with replacement (a multinomial count
    per month), recomputes KPIs, normalisation and score, and places the score against
    the fixed cut lines. Reviews are half-yearly, so they are held fixed. Borderline reps
    are those whose most likely level has probability < `borderline_below`. Weight
    sensitivity moves each KPI's weight by +/- `delta` (others rescaled to sum 1) and
    reports the share of reps whose level changes. Vectorised over reps and resamples.
    With `standards` each resample is placed by the level standards instead of the cut
    lines (as written, no margin; requirements the data lacks dropped or blocking as
    `missing` says), so the probabilities are those of the criteria-based levels.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    weights : Mapping[str, float]
        KPI name -> weight, summing to 1.
    cutoffs : Thresholds or Sequence[float]
        The fixed cut lines.
    period : int or str, optional
        The graded period (see `kpis`); None means the last year.
    method : {"percentile", "zscore", "minmax", "robust"}, default "percentile"
        The scale of `normalize`.
    n_boot : int, default 1000
        Number of resamples, >= 1.
    seed : int, default 0
        Seed of the keyed per-rep streams.
    by : pandas.Series, optional
        Rep -> peer group for the normalisation.
    territory : pandas.Series, optional
        Rep -> territory potential for the normalisation.
    reviews : pandas.DataFrame, optional
        Review scores to use instead of `ds.reviews`.
    delta : float, default 0.05
        How far each KPI's weight is moved up and down for the sensitivity.
    borderline_below : float, default 0.8
        A rep is borderline when no level reaches this probability.
    levels : Sequence[str], default LEVELS
        Level names (ignored when `cutoffs` is a `Thresholds`).
    standards : LevelStandards, optional
        Place each resample by these level standards instead of `cutoffs`.
    missing : {"drop", "block"}, default "drop"
        A standard's requirement on a KPI no rep has (see `usable_standards`).
    workers : int, default 2
        Threads sharing the blocks of resamples (at most 2); the numbers do not depend on it.

    Returns
    -------
    Stability
        Level probabilities, borderline reps and weight sensitivity.

    Raises
    ------
    GradingError
        On cut lines that do not fit the levels, `n_boot` < 1, bad weights, a period with no
        history, or a rep with no `by` or `territory` value.
    """
    levels, cuts = _levels_cuts(cutoffs, levels)
    if standards is not None:
        levels = standards.levels
    k = len(levels)
    if n_boot < 1:
        raise GradingError(f"n_boot={n_boot!r}: must be >= 1")
    data = monthly_parts(ds, period, reviews)
    names = list(DIRECTIONS)
    w = check_weights(weights, names).to_numpy()
    groups, potential = _context(by, territory, data.reps)
    n, m = data.parts["revenue"].shape
    keys = streams.rep_keys(data.reps, ds.roster.set_index("rep_id"), seed)
    point = kpi_arrays({c: v.sum(axis=1) for c, v in data.parts.items()}, data.months, data)
    place = _placer(standards, cuts, point, data, missing)
    # reviews are held fixed: scaled once, not once per resample
    fixed = normalize_arrays({c: point[c] for c in REVIEW_KPIS}, method, DIRECTIONS, groups,
                             potential)
    table = _month_table(data)
    block = max(1, min(n_boot, BLOCK_CELLS // n))

    def regrade(start: int) -> np.ndarray:
        """Level counts (rep x level) of resamples start..start + block."""
        b = min(block, n_boot - start)
        sums = table.unpack(_resampled_sums(keys, data.months, table.lanes, start, b))
        values = kpi_arrays(sums, data.months, data)
        scaled = normalize_arrays({c: v for c, v in values.items() if c not in fixed}, method,
                                  DIRECTIONS, groups, potential)
        scaled.update({c: np.broadcast_to(v, (b, n)) for c, v in fixed.items()})
        level = place(composite_arrays(np.stack([scaled[c] for c in names]), w), values)
        cells = (np.arange(n) * k + level).ravel()  # (b, n): rep r at level l -> r * k + l
        return np.bincount(cells, minlength=n * k).reshape(n, k)

    def regrade_all(starts: range) -> np.ndarray:
        counts = np.zeros((n, k), dtype=np.int64)
        for start in starts:
            counts += regrade(start)
        return counts

    starts = range(0, n_boot, block)
    threads = max(1, min(workers, MAX_WORKERS, len(starts)))
    if threads > 1:  # numpy lets go of the GIL in the heavy steps; each thread keeps a total
        with ThreadPoolExecutor(max_workers=threads) as pool:
            counts = sum(pool.map(regrade_all, [starts[i::threads] for i in range(threads)]))
    else:
        counts = regrade_all(starts)
    probs = pd.DataFrame(counts / n_boot, index=data.reps, columns=list(levels))
    top = probs.to_numpy().argsort(axis=1, kind="stable")[:, ::-1]
    p = np.take_along_axis(probs.to_numpy(), top, axis=1)
    border = pd.DataFrame({
        "most_likely": pd.Categorical.from_codes(top[:, 0], levels, ordered=True),
        "probability": p[:, 0],
        "runner_up": pd.Categorical.from_codes(top[:, 1], levels, ordered=True),
        "runner_up_probability": p[:, 1],
    }, index=data.reps)
    border = border[border["probability"] < borderline_below].sort_values("probability")
    scaled = np.stack([normalize_arrays(point, method, DIRECTIONS, groups, potential)[k]
                       for k in names])
    return Stability(probs, border,
                     _sensitivity(scaled, w, lambda x: place(x, point), names, delta))


def _placer(standards, cuts: np.ndarray, point: Mapping[str, np.ndarray], data, missing: str):
    """score, KPI values -> level index: by the cut lines, or by the level standards
    (checked once against the point KPIs, so a KPI no rep has is dropped or blocks).
    """
    if standards is None:
        return lambda score, values: levels_of(score, cuts)
    frame = pd.DataFrame({**point, "tenure_years": data.tenure_years}, index=data.reps)
    checked, _ = usable_standards(standards, frame, missing=missing)
    blank = {k: np.full(len(data.reps), np.nan) for k in checked.kpis if k not in frame}
    return lambda score, values: standard_levels(
        {**values, "tenure_years": data.tenure_years, **blank}, score, checked)


@dataclass(frozen=True)
class _MonthTable:
    """The monthly components as lanes, month-first (months, lanes, reps), to be summed.

    Whole-number components (customers, deals, months with CSAT, ...) share a lane: each
    gets enough bits for the most a rep can sum (months x its largest month) at its own
    offset, so one float sum adds several of them at once and exactly (whole numbers below
    2**53 add exactly in any order); money and averages keep a lane each.
    """

    lanes: np.ndarray  # (months, lanes, reps)
    fields: dict[str, tuple[int, int, int]]  # name -> (lane, bit offset, bits); bits 0: a lane

    def unpack(self, sums: np.ndarray) -> dict[str, np.ndarray]:
        """Component sums from lane sums (lanes, ...): a whole-number field is cut out by
        exact power-of-two scaling and floor.
        """
        out = {}
        for name, (lane, offset, bits) in self.fields.items():
            total = sums[lane]
            if bits == 0:
                out[name] = total
                continue
            low = np.floor(total * 2.0 ** -offset)
            out[name] = low - np.floor(total * 2.0 ** -(offset + bits)) * 2.0 ** bits
        return out


def _month_table(data) -> _MonthTable:
    """Pack the monthly components into lanes for `_resampled_sums` (see `_MonthTable`)."""
    n, m = data.parts["revenue"].shape
    lanes: list[np.ndarray] = []
    used: dict[int, int] = {}  # packed lane -> bits taken
    fields = {}
    for name, part in data.parts.items():
        whole = bool(np.isfinite(part).all() and (part >= 0).all()
                     and (part == np.floor(part)).all())
        bits = int(m * part.max()).bit_length() if whole and part.size else 0
        room = [lane for lane, taken in used.items() if taken + bits <= 53]
        if whole and 0 < bits <= 53 and room:
            lane = room[0]
            lanes[lane] = lanes[lane] + part * 2.0 ** used[lane]
            fields[name] = (lane, used[lane], bits)
            used[lane] += bits
        elif whole and 0 < bits <= 53:
            fields[name] = (len(lanes), 0, bits)
            used[len(lanes)] = bits
            lanes.append(part.astype(float))
        else:  # money, averages, or nothing to add: a lane of its own
            fields[name] = (len(lanes), 0, 0)
            lanes.append(part.astype(float))
    return _MonthTable(np.ascontiguousarray(np.stack(lanes).transpose(2, 0, 1)), fields)


def _month_draws(keys: np.ndarray, months: np.ndarray, m: int, start: int, b: int
                 ) -> np.ndarray:
    """Month picked by draw j of resamples `start`..`start + b` of each rep: (b, m, n).

    A 64-bit word of the rep's keyed stream holds four draws of 16 bits each: draw j of
    resample t is bits 16 (j % 4) .. of word t * WORDS_PER_RESAMPLE + j // 4, and picks month
    (bits x months) >> 16, so a rep's resamples follow the rep, not its row, and a
    resample takes 3 words, not 12. (A month's chance is 1 / months to within 2**-16.)
    """
    counters = np.arange(start, start + b)[:, None] * WORDS_PER_RESAMPLE
    counters = (counters + np.arange(WORDS_PER_RESAMPLE)).astype(np.uint64)
    words = streams.words(keys, counters)  # (b, WORDS_PER_RESAMPLE, n)
    draws = np.empty((b, WORDS_PER_RESAMPLE, DRAWS_PER_WORD, len(keys)), dtype=np.uint64)
    for k in range(DRAWS_PER_WORD):
        np.right_shift(words, np.uint64(16 * k), out=draws[:, :, k])
    draws = draws.reshape(b, WORDS_PER_RESAMPLE * DRAWS_PER_WORD, -1)[:, :m]
    draws &= np.uint64(0xFFFF)
    draws *= months.astype(np.uint64)
    draws >>= np.uint64(16)
    return draws


def _resampled_sums(keys: np.ndarray, months: np.ndarray, table: np.ndarray, start: int,
                    b: int) -> np.ndarray:
    """Each component summed over resamples `start`..`start + b` of each rep's months.

    The draws of `_month_draws` become month counts (4 bits a month, packed in one
    integer per resample and rep: no scatter), and the sum adds count x component month
    by month, in month order: components x resamples x reps.
    """
    m, c, n = table.shape
    nibble = _month_draws(keys, months, m, start, b)
    if (months < m).any():
        nibble[:, np.arange(m)[:, None] >= months] = m  # slots a rep does not draw
    nibble <<= np.uint64(2)  # month j counts in bits 4j..4j+3 (at most 12 < 16)
    packed = np.left_shift(np.uint64(1), nibble, out=nibble).sum(axis=1, dtype=np.uint64)
    sums = np.empty((c, b, n))
    term = np.empty((c, b, n))
    count = np.empty((b, n))
    for month in range(m):
        np.copyto(count, (packed >> np.uint64(4 * month)) & np.uint64(15), casting="unsafe")
        if month == 0:
            np.multiply(count, table[0][:, None, :], out=sums)
        else:
            sums += np.multiply(count, table[month][:, None, :], out=term)
    return sums


def _sensitivity(scaled: np.ndarray, w: np.ndarray, place, names: list[str],
                 delta: float) -> pd.DataFrame:
    base = place(composite_arrays(scaled, w))
    bump = np.eye(len(w)) * delta
    moved = np.concatenate([np.clip(w + bump, 0, None), np.clip(w - bump, 0, None)])
    moved = moved / moved.sum(axis=1, keepdims=True)
    changed = place(composite_arrays(scaled, moved)) != base  # (2k, n)
    share = changed.mean(axis=1)
    return pd.DataFrame({"weight_up": share[: len(w)], "weight_down": share[len(w):]},
                        index=pd.Index(names, name="kpi"))
