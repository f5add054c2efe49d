"""Random numbers keyed by rep, so a rep's draws never depend on row order or id spelling.

A seeded generator hands out numbers in row order: shuffle the roster, or relabel the ids so
they sort differently, and every rep gets someone else's luck. Here each rep has its own
counter-based stream (SplitMix64: state = key + counter × golden gamma, output = the
SplitMix64 finaliser of the state), keyed by who the rep is — name and hire date — and the
seed. The k-th number of a rep's stream is a pure function of (seed, rep, k): vectorised over
reps and counters, independent of position, chunking and threads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GAMMA = np.uint64(0x9E3779B97F4A7C15)
IDENTITY = ("name", "hire_date")
"""Roster columns that say who a rep is for their random stream (ids are labels, not people)."""


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every input bit moves every output bit (in place on uint64)."""
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def rep_keys(rep_ids, people: pd.DataFrame | None = None, seed: int = 0) -> np.ndarray:
    """A 64-bit stream key per rep from the seed and who the rep is, not from the id or row.

    `people` (indexed by rep_id) gives the IDENTITY columns; a rep it lacks (e.g. a planned
    hire) is keyed by its id. Reps sharing name and hire date are told apart by id order,
    the only place an id matters.

    Parameters
    ----------
    rep_ids : array_like
        Rep ids, one key each.
    people : pandas.DataFrame or None, default None
        Roster indexed by rep_id with the IDENTITY columns; None keys every rep by its id.
    seed : int, default 0
        The run's seed.

    Returns
    -------
    numpy.ndarray
        uint64 keys in the order of `rep_ids`.
    """
    ids = pd.Index(rep_ids).astype("string")
    text = pd.Series(ids.to_numpy(), index=ids, dtype="string")
    if people is not None and len(people):
        cols = [c for c in IDENTITY if c in people.columns]
        if cols:
            found = people.reindex(ids)[cols].astype("string").fillna("")
            who = found[cols[0]]
            for col in cols[1:]:  # vectorised: a row-wise join took seconds at 10,000 reps
                who = who + "\x1f" + found[col]
            known = people.index.get_indexer(ids) >= 0  # (isin on strings is slow)
            text = text.where(~known, "who:" + who)
    who, people_seen = pd.factorize(text)
    dup = np.zeros(len(ids), dtype=np.int64)
    if len(people_seen) < len(ids):  # same identity: number them in id order, never row order
        by_id = np.asarray(ids.argsort(), dtype=np.int64)  # stable; arrow sorts at C speed
        order = by_id[np.argsort(who[by_id], kind="stable")]  # identity, then id
        first = np.r_[True, who[order][1:] != who[order][:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(len(ids)), 0))
        dup[order] = np.arange(len(ids)) - start
    hashed = pd.util.hash_array(text.to_numpy(dtype=object)).astype(np.uint64)
    hashed += dup.astype(np.uint64) * GAMMA
    seed_key = _mix(np.array([np.uint64(seed % 2**64)], dtype=np.uint64) + GAMMA)
    return _mix(hashed ^ seed_key)


def words(keys: np.ndarray, counters) -> np.ndarray:
    """Random 64-bit words: out[c, r] is number counters[c] of rep r's stream.

    Parameters
    ----------
    keys : numpy.ndarray
        Stream keys from `rep_keys`, one per rep (uint64).
    counters : array_like of int
        Which numbers of each stream, any shape.

    Returns
    -------
    numpy.ndarray
        uint64 words, shape counters.shape + keys.shape.
    """
    keys = np.asarray(keys, dtype=np.uint64)
    counters = np.asarray(counters, dtype=np.uint64)
    state = counters[..., None] * GAMMA + keys  # uint64 arithmetic wraps, as SplitMix64 does
    return _mix(state)


def uniforms(keys: np.ndarray, counters) -> np.ndarray:
    """Uniforms in (0, 1), float64 with 53 random bits, shape counters.shape + keys.shape.

    Parameters
    ----------
    keys : numpy.ndarray
        Stream keys from `rep_keys`, one per rep (uint64).
    counters : array_like of int
        Which numbers of each stream, any shape.

    Returns
    -------
    numpy.ndarray
        float64 uniforms, never exactly 0 or 1.
    """
    bits = words(keys, counters) >> np.uint64(11)
    return (bits.astype(np.float64) + 0.5) * 2.0 ** -53


def normal_pairs(keys: np.ndarray, counters, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Standard normals number 2c and 2c + 1 of each stream, from word c by Box-Muller.

    Both halves of the pair are used, so a caller that needs many normals pays for one
    word, one log and one sqrt per two.

    Parameters
    ----------
    keys : numpy.ndarray
        Stream keys from `rep_keys`, one per rep (uint64).
    counters : array_like of int
        Which pairs of each stream (pair c holds normals 2c and 2c + 1), any shape.
    dtype : numpy dtype, default numpy.float32
        Float type of the result.

    Returns
    -------
    even, odd : numpy.ndarray
        Normals 2c and 2c + 1, each of shape counters.shape + keys.shape.
    """
    w = words(keys, counters)
    scale = dtype(2.0 ** -32)
    u1 = ((w >> np.uint64(32)).astype(dtype) + dtype(0.5)) * scale  # (0, 1]: log finite
    w &= np.uint64(0xFFFFFFFF)
    angle = (w.astype(dtype) + dtype(0.5)) * dtype(2 * np.pi * 2.0 ** -32)
    del w
    radius = np.log(u1, out=u1)
    radius *= dtype(-2)
    np.sqrt(radius, out=radius)
    return radius * np.cos(angle), np.multiply(radius, np.sin(angle, out=angle), out=angle)


def normals(keys: np.ndarray, counters, dtype=np.float32) -> np.ndarray:
    """Standard normals: out[c, r] is normal number counters[c] of rep r's stream.

    Parameters
    ----------
    keys : numpy.ndarray
        Stream keys from `rep_keys`, one per rep (uint64).
    counters : array_like of int
        Which numbers of each stream, any shape.
    dtype : numpy dtype, default numpy.float32
        Float type of the result.

    Returns
    -------
    numpy.ndarray
        Normals, shape counters.shape + keys.shape.
    """
    counters = np.asarray(counters, dtype=np.uint64)
    even, odd = normal_pairs(keys, counters >> np.uint64(1), dtype)
    return np.where((counters & np.uint64(1)).astype(bool)[..., None], odd, even)
