"""Shared statistics helpers: the one home of the Wilson interval, entropy and co-information
in bits, and the column check every analysis runs on entry.

A low layer: it imports only numpy, pandas, scipy and :mod:`kexie_research.errors`, so
every other module (the synthetic generator included) may use it. Before writing a small
statistic elsewhere, look here; a second copy drifts (the review behind issue 13 found the
Wilson interval twice, one copy without the rounding fix below, and co-information three
times).

Examples
--------
>>> lo, hi = wilson_interval(8, 10)
>>> round(float(lo), 4), round(float(hi), 4)
(0.4902, 0.9433)
>>> entropy_bits([1, 1, 2])
1.5
>>> import numpy as np
>>> xor = np.zeros((2, 2, 2)); xor[0, 0, 0] = xor[0, 1, 1] = xor[1, 0, 1] = xor[1, 1, 0] = 1
>>> co_information(xor)
-1.0
"""

from __future__ import annotations

from itertools import combinations
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats as _sps

from .errors import AnalysisError, MissingColumnsError

__all__ = [
    "wilson_interval",
    "entropy_bits",
    "subset_entropies",
    "co_information",
    "mutual_information",
    "require_columns",
]


# ---- proportions ----------------------------------------------------------------------------

def wilson_interval(count, nobs, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval(s) for ``count`` successes out of ``nobs`` (two-sided).

    The same arithmetic as :func:`statsmodels.stats.proportion.proportion_confint` with
    ``method="wilson"`` (the tests use it as the oracle), plus two guarantees it lacks:

    - the interval always contains the estimate ``count / nobs``: rounding can put a bound
      a few ulps on the wrong side (an upper bound of 0.9999999999999999 for 30/30, a lower
      bound of 5e-17 for 0/n), which breaks error bars and ``low <= p <= high`` checks;
    - ``nobs == 0`` gives NaN instead of a division warning.

    Parameters
    ----------
    count, nobs : array-like
        Successes and trials (broadcast against each other).
    confidence : float
        Level in (0, 1).

    Returns
    -------
    (low, high) : ndarray
        0-d arrays for scalar input (``float(low)`` gives the number).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22, 209–212. Brown, Cai & DasGupta (2001), Statistical Science 16, 101–133.

    Examples
    --------
    >>> lo, hi = wilson_interval(30, 30)
    >>> float(hi), float(lo) < 1.0
    (1.0, True)
    >>> [float(x) for x in wilson_interval(0, 0)]
    [nan, nan]
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), not {confidence!r}")
    c = np.asarray(count, dtype=float)
    n = np.asarray(nobs, dtype=float)
    safe_n = np.where(n > 0, n, 1.0)
    q = c / safe_n
    crit = _sps.norm.isf((1 - confidence) / 2.0)
    crit2 = crit ** 2
    denom = 1 + crit2 / safe_n
    center = (q + crit2 / (2 * safe_n)) / denom
    dist = crit * np.sqrt(q * (1.0 - q) / safe_n + crit2 / (4.0 * safe_n ** 2))
    dist /= denom
    lo = np.clip(center - dist, 0, 1)
    hi = np.clip(center + dist, 0, 1)
    lo, hi = np.minimum(lo, q), np.maximum(hi, q)
    lo = np.where(n > 0, lo, np.nan)
    hi = np.where(n > 0, hi, np.nan)
    return lo, hi


# ---- information ----------------------------------------------------------------------------

def entropy_bits(p) -> float:
    """Shannon entropy in bits of a distribution given as probabilities or counts.

    The values are normalised to sum 1; zeros are ignored; an empty or all-zero vector has
    entropy 0.

    Examples
    --------
    >>> entropy_bits([0.5, 0.5]), entropy_bits([1.0, 0.0]), entropy_bits([3, 3, 3, 3])
    (1.0, 0.0, 2.0)
    """
    c = np.asarray(p, dtype=float).ravel()
    c = c[c > 0]
    if c.size == 0:
        return 0.0
    q = c / c.sum()
    return float(-(q * np.log2(q)).sum()) + 0.0


def _entropy_last_axis(table: np.ndarray) -> np.ndarray:
    """Entropy (bits) over the last axis of probabilities; shape (..., cells) → (...)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.where(table > 0, np.log2(np.where(table > 0, table, 1.0)), 0.0)
    return -(table * logp).sum(axis=-1) + 0.0


def subset_entropies(tables: np.ndarray, d: int) -> dict[tuple[int, ...], np.ndarray]:
    """``H(X_S)`` in bits for every non-empty ``S ⊆ {0, …, d−1}``, for a batch of tables.

    Parameters
    ----------
    tables : ndarray
        Shape ``(B, k_0, …, k_{d−1})``: B joint distributions (probabilities summing to 1
        each) of d variables.
    d : int
        Number of variables.

    Returns
    -------
    dict
        ``S`` (sorted tuple of axes) → array of the B entropies.

    Examples
    --------
    >>> t = np.full((1, 2, 2), 0.25)
    >>> {S: float(h[0]) for S, h in subset_entropies(t, 2).items()}
    {(0,): 1.0, (1,): 1.0, (0, 1): 2.0}
    """
    out = {}
    B = tables.shape[0]
    for r in range(1, d + 1):
        for S in combinations(range(d), r):
            drop = tuple(1 + a for a in range(d) if a not in S)
            marg = tables.sum(axis=drop) if drop else tables
            out[S] = _entropy_last_axis(marg.reshape(B, -1))
    return out


def co_information(table) -> float:
    """Co-information in bits of a d-dimensional contingency table (counts or probabilities).

    ``I = Σ_{∅≠S} (−1)^{|S|+1} H(X_S)`` (McGill 1954): the mutual information for d = 2,
    Leydesdorff's triple-helix T for d = 3 (T < 0: synergy), T_uigp for d = 4.

    Raises
    ------
    AnalysisError
        The table is empty (total weight 0).

    References
    ----------
    McGill, W. J. (1954). Multivariate information transmission. Psychometrika 19, 97–116.
    Leydesdorff, L. (2003). The mutual information of university–industry–government
    relations. Scientometrics 58, 445–467.

    Examples
    --------
    >>> xor = np.zeros((2, 2, 2)); xor[0, 0, 0] = xor[0, 1, 1] = xor[1, 0, 1] = xor[1, 1, 0] = 1
    >>> co_information(xor)
    -1.0
    >>> copy = np.zeros((2, 2, 2)); copy[0, 0, 0] = copy[1, 1, 1] = 1
    >>> co_information(copy)
    1.0
    >>> co_information(np.ones((2, 2, 2)))   # independent
    0.0
    """
    t = np.asarray(table, dtype=float)
    if t.sum() <= 0:
        raise AnalysisError("the contingency table is empty")
    t = t / t.sum()
    H = subset_entropies(t[None, ...], t.ndim)
    return float(sum((-1) ** (len(S) + 1) * h[0] for S, h in H.items())) + 0.0


def mutual_information(table, axes: tuple[int, int]) -> float:
    """Mutual information (bits) between two axes of a contingency table.

    Examples
    --------
    >>> mutual_information(np.eye(2), (0, 1))
    1.0
    """
    t = np.asarray(table, dtype=float)
    drop = tuple(a for a in range(t.ndim) if a not in axes)
    return co_information(t.sum(axis=drop) if drop else t)


# ---- column checks --------------------------------------------------------------------------

def require_columns(df: pd.DataFrame | None, columns: Iterable[str], *, table: str) -> None:
    """Check that ``df`` has every column of ``columns``; the one column check of the package.

    Raises
    ------
    MissingColumnsError
        Naming the table, every missing column and the columns it has (a
        :class:`~kexie_research.errors.DataValidationError` and an
        :class:`~kexie_research.errors.AnalysisError`: the CLI's exit 2).
    AnalysisError
        ``df`` is None (a table the analysis needs was not given).
    TypeError
        ``df`` is not a DataFrame (a programming error).

    Examples
    --------
    >>> require_columns(pd.DataFrame({"rep_id": []}), ["rep_id"], table="representatives")
    >>> require_columns(pd.DataFrame({"rep_id": []}), ["rep_id", "training_id"], table="attendance")
    Traceback (most recent call last):
    ...
    kexie_research.errors.MissingColumnsError: column 'training_id': the attendance table lacks column(s) training_id (has: rep_id) [rule: required_column]
    """
    if df is None:
        raise AnalysisError(f"the {table} table is required for this analysis")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"the {table} table must be a pandas DataFrame, not {type(df).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c not in df.columns]
    if missing:
        raise MissingColumnsError(table, missing, df.columns)
