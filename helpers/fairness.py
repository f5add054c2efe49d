"""Group fairness checks, shared by targets, grading and incentives.

Definitions follow the EEOC Uniform Guidelines (29 CFR 1607.4D) and fairlearn:
- selection rate of a group = selected / members;
- impact ratio = a group's selection rate / the highest labelled group's rate; below 4/5
  (0.8) is the four-fifths rule's sign of adverse impact; a Fisher exact test (two-sided)
  of the group against that reference says whether the gap could be chance;
- independence of a categorical outcome (e.g. level) from a group: Pearson chi-square
  and Cramer's V = sqrt(chi2 / (n (min(rows, cols) - 1))), with a permutation p-value
  when expected counts are too small for the chi-square approximation.
Outcome and group Series are matched person by person on their index (plain lists by
position); people with no group label form the group MISSING, shown last. Groups are
listed in natural order (numbers by value). Bad input raises `FairnessError` naming the
column and the offending group or labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2 as chi2_dist
from scipy.stats import fisher_exact, norm

from .errors import FairnessError

FOUR_FIFTHS = 0.8
MISSING = "(missing)"
PERM_CELLS = 1 << 20  # person-cells per chunk of permutations: ~8 MB per int64 array
KATZ = "Katz log"
KATZ_ZERO = "Katz log, 0.5 added to each cell (a zero count)"
AUDIT_COLUMNS = ["by", "group", "n", "selected", "rate", "ratio", "four_fifths", "fisher_p",
                 "ci_low", "ci_high", "ci_method", "reference"]



def _pair(outcome, group, name: str | None = None) -> tuple[pd.Series, pd.Series, str]:
    """Outcome and group label per person, the group as a categorical in display order.

    Two Series are matched on their index (never by position): the outcome's people are
    the population, those without a group label join MISSING, labels of anyone else are
    ignored, and an index label used twice is an error (which row is the person?). Only
    a plain list or array (no labels) is matched by position, after a length check.
    """
    if name is None:
        name = str(group.name) if getattr(group, "name", None) is not None else "group"
    if isinstance(outcome, pd.Series) and isinstance(group, pd.Series):
        for side, index in (("outcome", outcome.index), (name, group.index)):
            if not index.is_unique:
                twice = index[index.duplicated()].unique()[:5].tolist()
                raise FairnessError(f"{side}: index label(s) {twice} appear more than once; "
                                    "give each person one row")
        where = group.index.get_indexer(outcome.index)  # -1: no group label
    else:
        if len(outcome) != len(group):
            raise FairnessError(f"{name}: {len(group)} group labels for {len(outcome)} outcomes")
        if not isinstance(outcome, pd.Series):
            outcome = pd.Series(outcome, index=group.index if isinstance(group, pd.Series)
                                else None)
        where = np.arange(len(group))
    if len(outcome) == 0:
        raise FairnessError(f"{name}: no people to compare")
    group = pd.Series(group)
    codes, uniques = pd.factorize(group)  # NaN -> -1
    person = np.append(codes, -1)[where]  # -1 (no label) picks the sentinel
    present = np.unique(person[person >= 0])
    labels = uniques.take(present)
    if isinstance(group.dtype, pd.CategoricalDtype):
        empty = [c for c in group.cat.categories if c not in set(labels)]
        if empty:
            raise FairnessError(f"{name}: group {empty[0]!r} has no members; drop unused "
                                "categories (remove_unused_categories) or add its people")
    text = pd.Index(np.asarray(labels)).astype(str)
    if text.has_duplicates:
        raise FairnessError(f"{name}: labels {text[text.duplicated()].unique()[:5].tolist()} "
                            "are different values that read the same; make them one type")
    order = _order(labels, text)
    text = text[order]
    rank = np.full(len(uniques) + 1, -1)  # code -> position in `text`; last: sentinel
    rank[present[order]] = np.arange(len(present))
    if MISSING in text:  # a label spelled "(missing)" is the missing group
        k = text.get_loc(MISSING)
        rank = np.where(rank == k, -1, rank - (rank > k))
        text = text.delete(k)
    codes = rank[person]
    codes[codes < 0] = len(text)
    categories = [*text, MISSING] if (codes == len(text)).any() else list(text)
    group = pd.Series(pd.Categorical.from_codes(codes, categories), index=outcome.index,
                      name=name)
    return outcome, group, name


def _order(labels, text: pd.Index) -> np.ndarray:
    """Positions that put the distinct labels in natural order, the order people read:
    categories as declared, numbers by value, text with its digit runs read as numbers
    (M2 before M10, "9" before "10"). Sorting the text alone puts 10 before 2.
    """
    if isinstance(labels.dtype, pd.CategoricalDtype):
        return np.argsort(labels.codes, kind="stable")
    values = np.asarray(labels)
    if values.dtype.kind in "biuf":
        return np.argsort(values, kind="stable")
    keys = [([int(p) if i % 2 else p for i, p in enumerate(re.split(r"(\d+)", t))], t)
            for t in text]  # one key per group, not per person
    return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=int)


def _as_bool(outcome: pd.Series, name: str) -> pd.Series:
    values = pd.Series(outcome)
    if values.isna().any():
        where = list(values.index[values.isna()][:5])
        raise FairnessError(f"outcome ({name}): missing values at {where}")
    if values.dtype == bool:
        return values
    if not values.isin([0, 1]).all():
        raise FairnessError(f"outcome ({name}): expected True/False or 0/1, "
                            f"found {values[~values.isin([0, 1])].unique()[:5].tolist()}")
    return values.astype(bool)


def selection_rates(outcome, group) -> pd.DataFrame:
    """Members, selected and selection rate per group (outcome True = selected).

    Two Series are matched on their index; see `_pair`.

    Parameters
    ----------
    outcome : pandas.Series or array_like of bool
        True (or 1) for each person selected, one entry per person.
    group : pandas.Series or array_like
        Each person's group label; missing labels form the group MISSING.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (in display order, MISSING last): n, selected and rate.

    Raises
    ------
    FairnessError
        If an index label repeats, lengths differ (plain lists), there is no one to
        compare, a categorical group has no members, two labels read the same, or an
        outcome is missing or not True/False (0/1).
    """
    return _rates(*_pair(outcome, group))


def _rates(outcome: pd.Series, group: pd.Series, name: str) -> pd.DataFrame:
    selected = _as_bool(outcome, name).to_numpy()
    codes, k = group.cat.codes.to_numpy(), len(group.cat.categories)
    n = np.bincount(codes, minlength=k)
    chosen = np.bincount(codes, weights=selected, minlength=k).astype(int)
    table = pd.DataFrame({"n": n, "selected": chosen},
                         index=pd.Index(group.cat.categories, name=name))
    table["rate"] = table["selected"] / table["n"]
    return table


def adverse_impact(outcome, group, *, reference: str | None = None,
                   confidence: float = 0.95) -> pd.DataFrame:
    """Each group's selection rate against the reference group.

    The default reference is the labelled group with the highest rate; ties go to the
    larger group, then to the first in display order; MISSING only when named.

    Columns: n, selected, rate, ratio (rate / reference rate), four_fifths (True when the
    ratio is below 0.8), fisher_p (two-sided Fisher exact test of the group's 2x2 table
    against the reference), ci_low / ci_high (interval of the ratio) and ci_method, the
    method that gave it: "Katz log"; "Katz log, 0.5 added to each cell (a zero count)"
    when a cell of the 2x2 table is empty; with none selected the ratio is 0 and so is
    the exact lower bound ("...; lower bound 0 (none selected)"); an interval always
    holds its ratio. The reference row has ratio 1, no test and no interval.
    Two Series are matched on their index; see `_pair`.

    Parameters
    ----------
    outcome : pandas.Series or array_like of bool
        True (or 1) for each person selected, one entry per person.
    group : pandas.Series or array_like
        Each person's group label; missing labels form the group MISSING.
    reference : str or None, default None
        The group to compare against; None for the default above.
    confidence : float, default 0.95
        Confidence level of the ratio's interval.

    Returns
    -------
    pandas.DataFrame
        Indexed by group: the columns above, plus `reference` (True on its row).

    Raises
    ------
    FairnessError
        If an index label repeats, lengths differ (plain lists), there is no one to
        compare, a categorical group has no members, two labels read the same, or an
        outcome is missing or not True/False (0/1), or `reference` is
        no group (or no one has a label).
    """
    return _impact(_rates(*_pair(outcome, group)), reference, confidence)


def _best(table: pd.DataFrame) -> str:
    """The default reference: highest rate among labelled groups, then the larger group,
    then the first in display order. People with no label are no benchmark to hold
    others to, so MISSING is the reference only when asked for by name.
    """
    labelled = table[table.index != MISSING]
    if labelled.empty:
        raise FairnessError(f"{table.index.name}: no one in the outcome has a label "
                            "(do the two indexes hold the same people?)")
    top = labelled[labelled["rate"] == labelled["rate"].max()]
    return top.index[np.argmax(top["n"].to_numpy())]  # argmax: first of the largest


def _impact(table: pd.DataFrame, reference, confidence: float) -> pd.DataFrame:
    name = table.index.name
    if reference is None:
        reference = _best(table)
    elif reference not in table.index and str(reference) in table.index:
        reference = str(reference)  # labels are shown as text: 10 is "10"
    elif reference not in table.index:
        raise FairnessError(f"reference={reference!r}: no such group in {name} "
                            f"({', '.join(map(str, table.index))})")
    a, n1 = table["selected"].to_numpy(float), table["n"].to_numpy(float)
    c, n2 = table.at[reference, "selected"], float(table.at[reference, "n"])
    ref_rate = c / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ref_rate > 0, (a / n1) / ref_rate, np.nan)
        zero = (a == 0) | (c == 0) | (a == n1) | (c == n2)
        ac, cc = a + 0.5 * zero, c + 0.5 * zero
        n1c, n2c = n1 + zero, n2 + zero
        log_ratio = np.log((ac / n1c) / (cc / n2c))
        se = np.sqrt(1 / ac - 1 / n1c + 1 / cc - 1 / n2c)
    z = norm.ppf(0.5 + confidence / 2)
    low, high = np.exp(log_ratio - z * se), np.exp(log_ratio + z * se)
    # The 0.5 correction moves the centre away from the ratio: with none selected the
    # ratio is 0 and the exact lower bound is 0; at low confidence the corrected interval
    # can also miss the ratio, so it is widened to hold it (and the method says so).
    widened = (ratio < low) | (ratio > high)
    method = np.where(zero, KATZ_ZERO, KATZ).astype(object)
    method[widened & (a > 0)] += "; widened to hold the ratio"
    method[a == 0] += "; lower bound 0 (none selected)"
    low, high = np.fmin(low, ratio), np.fmax(high, ratio)
    method[np.isnan(ratio)] = "none: the reference group has no one selected"
    low[np.isnan(ratio)] = high[np.isnan(ratio)] = np.nan
    table["ratio"] = ratio
    table["four_fifths"] = table["ratio"] < FOUR_FIFTHS
    table["fisher_p"] = [
        fisher_exact([[int(s), int(m - s)], [int(c), int(n2 - c)]]).pvalue
        for s, m in zip(a, n1, strict=True)]  # one test per group: a handful
    is_ref = table.index == reference
    table["ci_low"], table["ci_high"] = low, high
    table["ci_method"] = pd.Series(np.where(is_ref, None, method), index=table.index,
                                   dtype="string")
    table.loc[is_ref, ["fisher_p", "ci_low", "ci_high"]] = np.nan
    table["reference"] = is_ref
    return table


@dataclass(frozen=True)
class Independence:
    """Is a categorical outcome (e.g. level) independent of a group?

    Parameters
    ----------
    table : pandas.DataFrame
        Observed counts, group x outcome, empty columns dropped.
    chi2 : float
        Pearson chi-square statistic.
    dof : int
        Its degrees of freedom.
    p_value : float
        From the chi-square distribution, or from permutations (see `method`).
    cramers_v : float
        Cramer's V, 0 (independent) to 1.
    method : str
        "chi-square", "permutation" (small expected counts) or "no variation".
    small_cells : float
        Share of cells with an expected count below `min_expected`.
    """

    table: pd.DataFrame  # observed counts, group x outcome, empty rows/columns dropped
    chi2: float
    dof: int
    p_value: float
    cramers_v: float
    method: str  # "chi-square" or "permutation" (small expected counts)
    small_cells: float  # share of cells with expected count < 5


def level_independence(levels, group, *, min_expected: float = 5.0, n_perm: int = 2000,
                       seed: int = 0) -> Independence:
    """Chi-square test and Cramer's V of levels against a group.

    When more than 20 % of expected counts are below `min_expected` or any is below 1
    (Cochran's rule), the p-value comes from `n_perm` seeded permutations of the group
    labels instead of the chi-square distribution; the statistic and V are unchanged.
    The permutations start from the contingency table with its rows in a canonical
    order, so the same seed gives the same p-value whatever the row order of the people
    or the names of the groups; they run in chunks, so memory does not grow with n_perm.
    Two Series are matched on their index; see `_pair`.

    Parameters
    ----------
    levels : pandas.Series or array_like
        Each person's level (or any categorical outcome), none missing.
    group : pandas.Series or array_like
        Each person's group label; missing labels form the group MISSING.
    min_expected : float, default 5.0
        Expected count under which a cell is small (Cochran's rule).
    n_perm : int, default 2000
        Permutations when the chi-square approximation is not trusted.
    seed : int, default 0
        Seed of the permutations.

    Returns
    -------
    Independence
        The table, statistic, p-value, Cramer's V and the method used.

    Raises
    ------
    FairnessError
        If a level is missing, only one group has people, or the people cannot be
        matched to their groups (see `selection_rates`).
    """
    return _independence(*_pair(levels, group), min_expected, n_perm, seed)


def _independence(levels: pd.Series, group: pd.Series, name: str, min_expected: float,
                  n_perm: int, seed: int) -> Independence:
    if levels.isna().any():
        where = list(levels.index[levels.isna()][:5])
        raise FairnessError(f"levels ({name}): missing values at {where}")
    lv = pd.Categorical(levels)  # levels in their own order (categories, else sorted)
    r, c = len(group.cat.categories), len(lv.categories)
    cells = group.cat.codes.to_numpy() * c + lv.codes
    counts = np.bincount(cells, minlength=r * c).reshape(r, c)
    used = counts.sum(axis=0) > 0
    observed = pd.DataFrame(counts[:, used], index=pd.Index(group.cat.categories, name=name),
                            columns=pd.Index(lv.categories[used], name=levels.name))
    if len(observed) < 2:
        raise FairnessError(f"{name}: only one group, {observed.index[0]!r}; nothing to compare")
    # Rows in a canonical order (by their counts): the statistic and the permutation
    # p-value then depend on the table alone, not on row order or group names.
    obs = observed.to_numpy()
    obs = obs[np.lexsort(obs.T[::-1])]
    n = obs.sum()
    expected = obs.sum(axis=1, keepdims=True) * obs.sum(axis=0, keepdims=True) / n
    stat = float(_chi2(obs, expected))
    r, c = obs.shape
    dof = (r - 1) * (c - 1)
    small = float((expected < min_expected).mean())
    if c < 2:
        return Independence(observed, 0.0, 0, 1.0, 0.0, "no variation", small)
    v = float(np.sqrt(stat / (n * (min(r, c) - 1))))
    if small <= 0.2 and expected.min() >= 1:
        return Independence(observed, stat, dof, float(chi2_dist.sf(stat, dof)), v,
                            "chi-square", small)
    p = _permutation_p(obs, expected, stat, n_perm, seed)
    return Independence(observed, stat, dof, p, v, "permutation", small)


def _chi2(tables: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Pearson chi-square of each table in the last two axes."""
    return ((tables - expected) ** 2 / expected).sum(axis=(-2, -1))


def _permutation_p(obs: np.ndarray, expected: np.ndarray, stat: float, n_perm: int,
                   seed: int) -> float:
    """Share of `n_perm` seeded shuffles of the group labels with chi-square >= `stat`.

    The people are rebuilt from the table (group of each, then level), and shuffles are
    drawn in chunks of at most PERM_CELLS person-cells (and table cells): memory holds
    a few arrays of one number per person, never one per person and permutation
    (30 MB at 30,000 people, where n_perm x people arrays took 1.3 GB).
    """
    r, c = obs.shape
    counts = obs.ravel()
    g = np.repeat(np.repeat(np.arange(r), c), counts)
    lv = np.repeat(np.tile(np.arange(c), r), counts)
    size = max(1, PERM_CELLS // max(len(g), r * c))
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, n_perm, size):  # a loop over chunks of permutations
        k = min(size, n_perm - start)
        cells = np.tile(g, (k, 1))
        for row in cells:  # rng.shuffle per row is ~4x faster than rng.permuted(axis=1)
            rng.shuffle(row)
        cells *= c
        cells += lv
        cells += np.arange(k)[:, None] * (r * c)  # one table per permutation
        tables = np.bincount(cells.ravel(), minlength=k * r * c).reshape(k, r, c)
        hits += int(np.count_nonzero(_chi2(tables, expected) >= stat - 1e-9 * max(stat, 1)))
    return (1 + hits) / (1 + n_perm)


def _columns(groups: pd.DataFrame | Mapping) -> list[tuple[str, object]]:
    """(name, labels) per group column; plain lists in a mapping stay plain (by position)."""
    return [(str(col), values) for col, values in groups.items()]


def _why_not(name: str, values) -> str:
    """'' when a group column can be compared, else one sentence saying why not."""
    labels = pd.Series(values).dropna()
    labels = labels[labels.astype(str).str.strip() != ""]
    if labels.empty:
        return f"{name}: no one has a value; not checked."
    distinct = labels.astype(str).unique()
    if len(distinct) < 2:
        return f"{name}: everyone is in one group ({distinct[0]!r}); nothing to compare."
    return ""


def comparable(frame: pd.DataFrame, columns) -> tuple[pd.DataFrame, list[str]]:
    """The `columns` of `frame` that hold two or more groups, and one sentence for each
    column left out: not in the data, no one has a value, or everyone in one group.

    Parameters
    ----------
    frame : pandas.DataFrame
        People and their group columns.
    columns : iterable of str
        The group columns wanted.

    Returns
    -------
    frame : pandas.DataFrame
        `frame` with only the comparable columns.
    notes : list of str
        One sentence per column left out.
    """
    keep, notes = [], []
    for col in columns:
        why = (f"{col}: not in the data; not checked." if col not in frame.columns
               else _why_not(str(col), frame[col]))
        if why:
            notes.append(why)
        else:
            keep.append(col)
    return frame[keep], notes


def _split(outcome, groups) -> tuple[list[tuple[str, object]], list[str]]:
    """Group columns with two or more groups among the outcome's people, and a sentence
    for each skipped one (a single group or no labels: nothing to compare).
    """
    usable, skipped = [], []
    for col, values in _columns(groups):
        if isinstance(outcome, pd.Series) and isinstance(values, pd.Series) \
                and values.index.is_unique:
            values_here = values.reindex(outcome.index)
        else:
            values_here = values
        why = _why_not(col, values_here)
        if why:
            skipped.append(why)
        else:
            usable.append((col, values))
    return usable, skipped


def audit(outcome, groups: pd.DataFrame | Mapping[str, pd.Series]) -> pd.DataFrame:
    """`adverse_impact` for each group column (gender, region, team, manager...), stacked.

    Each Series (or the frame's columns) is matched to the outcome on its index. A column
    with fewer than two groups among these people is skipped: the sentence saying so is
    in `attrs["skipped"]` (and `describe_audit` repeats it); with none left the table is empty.

    Parameters
    ----------
    outcome : pandas.Series or array_like of bool
        True (or 1) for each person selected, one entry per person.
    groups : pandas.DataFrame or Mapping of str to pandas.Series
        Group columns (gender, region, team, manager...), each one label per person.

    Returns
    -------
    pandas.DataFrame
        One row per column and group: by, group, then the `adverse_impact` columns
        (`AUDIT_COLUMNS`); attrs["skipped"] lists the columns skipped.

    Raises
    ------
    FairnessError
        If an index label repeats, lengths differ (plain lists), there is no one to
        compare, a categorical group has no members, two labels read the same, or an
        outcome is missing or not True/False (0/1).
    """
    usable, skipped = _split(outcome, groups)
    frames = [_impact(_rates(*_pair(outcome, values, col)), None, 0.95).rename_axis("group")
              .reset_index().assign(by=col) for col, values in usable]
    if not frames:
        out = pd.DataFrame(columns=AUDIT_COLUMNS)
    else:
        out = pd.concat(frames, ignore_index=True)
        out = out[["by", "group", *[c for c in out.columns if c not in ("by", "group")]]]
    out.attrs["skipped"] = skipped
    return out


def summary(audits: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Several `audit` tables (outcome name -> table) as one, for the calibration file.

    Parameters
    ----------
    audits : Mapping of str to pandas.DataFrame
        Outcome name -> its `audit` table; empty tables are left out.

    Returns
    -------
    pandas.DataFrame
        The tables stacked, with an `outcome` column first.
    """
    frames = [table.assign(outcome=name) for name, table in audits.items() if len(table)]
    if not frames:
        return pd.DataFrame(columns=["outcome", *AUDIT_COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    return out[["outcome", *[c for c in out.columns if c != "outcome"]]]


def independence(levels, groups: pd.DataFrame | Mapping[str, pd.Series], *,
                 seed: int = 0) -> pd.DataFrame:
    """`level_independence` for each group column, one row each.

    Columns with fewer than two groups are skipped; their sentences are in
    `attrs["skipped"]`, and with none left the table is empty.

    Parameters
    ----------
    levels : pandas.Series or array_like
        Each person's level, none missing.
    groups : pandas.DataFrame or Mapping of str to pandas.Series
        Group columns (gender, region, team, manager...), each one label per person.
    seed : int, default 0
        Seed of the permutations (`level_independence`, 2000 of them).

    Returns
    -------
    pandas.DataFrame
        Indexed by column ("by"): chi2, dof, p_value, cramers_v and method.

    Raises
    ------
    FairnessError
        As `level_independence`, for any column compared.
    """
    usable, skipped = _split(levels, groups)
    rows = {}
    for col, values in usable:
        res = _independence(*_pair(levels, values, col), 5.0, 2000, seed)
        rows[col] = {"chi2": res.chi2, "dof": res.dof, "p_value": res.p_value,
                     "cramers_v": res.cramers_v, "method": res.method}
    out = pd.DataFrame.from_dict(rows, orient="index",
                                 columns=["chi2", "dof", "p_value", "cramers_v", "method"])
    out = out.rename_axis("by")
    out.attrs["skipped"] = skipped
    return out


def describe_audit(impact: pd.DataFrame, what: str = "selected", *,
                   alpha: float = 0.05) -> list[str]:
    """Plain-words findings from an `audit` table, the ones HR should look at first.

    Parameters
    ----------
    impact : pandas.DataFrame
        An `audit` table (its attrs["skipped"] sentences come first).
    what : str, default "selected"
        What the outcome means, in words ("promoted", "paid a bonus").
    alpha : float, default 0.05
        Fisher p-value under which a gap is called unlikely to be chance.

    Returns
    -------
    list of str
        Sentences: skipped columns, then each group below four fifths (surest first),
        or one sentence saying none is.
    """
    lines = list(impact.attrs.get("skipped", []))
    if impact.empty:
        return [*lines, f"Nothing was compared: no group column has two or more groups, so "
                        f"this says nothing about fairness of being {what}."]
    flagged = impact[impact["four_fifths"]].sort_values(["fisher_p", "ratio"])  # surest first
    for row in flagged.itertuples():
        ref = impact[(impact["by"] == row.by) & impact["reference"]].iloc[0]
        chance = ("unlikely to be chance" if row.fisher_p < alpha
                  else "could be chance at this group size")
        lines.append(f"{row.by} {row.group}: {row.rate:.0%} {what} against {ref.rate:.0%} "
                     f"for {ref.group} (ratio {row.ratio:.2f}, below 4/5); {chance} "
                     f"(Fisher p = {row.fisher_p:.2f}, n = {row.n}).")
    if len(lines) == len(impact.attrs.get("skipped", [])):
        lines.append(f"No group falls below four fifths of the best group's rate of "
                     f"being {what}.")
    return lines
