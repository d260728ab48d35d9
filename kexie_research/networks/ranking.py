"""Rank intervals for league tables: organisations by centrality, slices by synergy.

A point ranking of noisy estimates invites over-reading ("2nd, ahead of the 3rd"). Each
table here carries, beside the rank of the estimate, the interval of ranks the item takes
across replicates of the estimation (percentile interval, default 95 %):

- **exact measures** (degree, PageRank, ... and exact betweenness/closeness): no sampling
  error; the interval spans tied values only;
- **betweenness from sampled paths**: a Poisson bootstrap of the sampled paths (each path
  reweighted by a Poisson(1) count; the paths' shared nodes keep their dependence);
- **other sampled measures** (closeness from sampled sources, source-sampled betweenness):
  independent normal draws from each estimate and its SE (the covariance between nodes is
  ignored, which widens the intervals of nodes that move together);
- **triple-helix T by slice**: the slices' own bootstrap replicates
  (:func:`~.triple_helix.triple_helix_by`), ranked jointly replicate by replicate.

Candidates are the ``pool`` best estimates (default three times the table length, at least
50): a node far below cannot enter the top ranks in a replicate, and ranks are counted
among the candidates.

References
----------
.. [1] H. Goldstein & D. J. Spiegelhalter, "League tables and their limitations: statistical
   issues in comparisons of institutional performance", J. R. Stat. Soc. A 159 (1996) 385–443.
.. [2] N. Hall & N. Miller, "Ranking the ranks: uncertainty in league tables", (bootstrap
   rank intervals), 2009.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..schema import ORG_ID
from .measures import _ASCENDING, MeasuresResult

__all__ = ["rank_interval_table", "replicate_ranks", "centrality_ranks", "RANK_COLUMNS"]

RANK_COLUMNS = ("rank", "rank_low", "rank_high")


def replicate_ranks(draws: np.ndarray, *, ascending: bool = False) -> np.ndarray:
    """Rank (1 = best) of each column within each row of a replicates × items matrix; ties
    share the best rank (``min`` method)."""
    d = np.asarray(draws, dtype=float)
    key = d if ascending else -d
    key = np.where(np.isnan(key), np.inf, key)
    srt = np.sort(key, axis=1)
    return np.stack([np.searchsorted(srt[b], key[b], side="left") + 1 for b in range(len(key))])


def rank_interval_table(estimates, draws: np.ndarray | None, *, ascending: bool = False,
                        level: float = 0.95) -> pd.DataFrame:
    """``rank`` of each estimate (ties share the best rank; ``rank_worst`` their worst) and
    the percentile interval ``rank_low``–``rank_high`` of its ranks over the replicates.

    Examples
    --------
    Two clearly separated items and two that swap places:

    >>> draws = np.array([[10, 5, 3.0, 2.9], [10, 5, 2.9, 3.0], [10, 5, 3.0, 2.9], [10, 5, 2.9, 3.0]])
    >>> rank_interval_table([10, 5, 3.0, 2.95], draws, level=0.9)[["rank", "rank_low", "rank_high"]].values.tolist()
    [[1, 1, 1], [2, 2, 2], [3, 3, 4], [4, 3, 4]]
    """
    est = np.asarray(estimates, dtype=float)
    point = replicate_ranks(est[None, :], ascending=ascending)[0]
    worst = _worst_rank(est, ascending)
    if draws is None or len(draws) == 0:
        lo, hi = point, worst
    else:
        r = replicate_ranks(draws, ascending=ascending)
        a = (1 - level) / 2
        lo = np.quantile(r, a, axis=0, method="lower").astype(int)
        hi = np.quantile(r, 1 - a, axis=0, method="higher").astype(int)
        lo, hi = np.minimum(lo, point), np.maximum(hi, point)
    return pd.DataFrame({"rank": point.astype(int), "rank_worst": worst.astype(int),
                         "rank_low": np.asarray(lo, dtype=int), "rank_high": np.asarray(hi, dtype=int)})


def _worst_rank(est: np.ndarray, ascending: bool) -> np.ndarray:
    key = est if ascending else -est
    key = np.where(np.isnan(key), np.inf, key)
    srt = np.sort(key)
    return np.searchsorted(srt, key, side="right")


def centrality_ranks(result: MeasuresResult, measure: str, *, top: int = 10, n_boot: int = 200,
                     level: float = 0.95, rng=None, pool: int | None = None) -> pd.DataFrame:
    """The ``top`` organisations on ``measure`` with rank intervals (see the module doc).

    Returns
    -------
    DataFrame
        ``org_id``, the measure, ``<measure>_se`` when sampled, ``rank``, ``rank_low``,
        ``rank_high``; ``attrs`` holds ``rank_method`` (``"path_bootstrap"``, ``"se_draws"``
        or ``"exact"``), ``n_boot``, ``n_paths`` and ``level``.
    """
    t = result.table
    if measure not in t.columns:
        raise ValueError(f"measure {measure!r} was not computed")
    asc = measure in _ASCENDING
    vals = t[measure].to_numpy(dtype=float)
    key = np.where(np.isnan(vals), np.inf if asc else -np.inf, vals)
    order = np.lexsort((t[ORG_ID].to_numpy(dtype=str), key if asc else -key))
    pool = int(pool or max(3 * top, 50))
    cand = order[:min(pool, len(order))]
    se_col = f"{measure}_se"
    meth = result.methods.get(measure, {}).get("method", "exact")
    rng = np.random.default_rng(rng)
    draws = None
    if meth == "sampled paths" and result.paths is not None and n_boot > 0:
        draws = _path_bootstrap(result.paths, cand, n_boot, rng, len(t))
        how = {"rank_method": "path_bootstrap", "n_boot": n_boot, "n_paths": int(result.paths.n_samples)}
    elif se_col in t.columns and n_boot > 0:
        se = t[se_col].to_numpy(dtype=float)[cand]
        draws = vals[cand][None, :] + rng.standard_normal((n_boot, len(cand))) * se[None, :]
        how = {"rank_method": "se_draws", "n_boot": n_boot}
    else:
        how = {"rank_method": "exact", "n_boot": 0}
    ranks = rank_interval_table(vals[cand], draws, ascending=asc, level=level)
    out = pd.DataFrame({ORG_ID: t[ORG_ID].to_numpy()[cand], measure: vals[cand]})
    if se_col in t.columns:
        out[se_col] = t[se_col].to_numpy(dtype=float)[cand]
    out = pd.concat([out, ranks[list(RANK_COLUMNS)]], axis=1).head(top)
    out.attrs.update(how, level=level)
    return out


def _path_bootstrap(paths, cand: np.ndarray, n_boot: int, rng, n: int) -> np.ndarray:
    """Replicates × candidates matrix of betweenness under Poisson(1) reweighting of paths."""
    pos = np.full(n, -1, dtype=np.int64)
    pos[cand] = np.arange(len(cand))
    sample_of = np.repeat(np.arange(paths.n_samples), np.diff(paths.ptr))
    keep = pos[paths.inner] >= 0
    M = sp.csr_array((np.ones(int(keep.sum())), (sample_of[keep], pos[paths.inner[keep]])),
                     shape=(paths.n_samples, len(cand)))
    scale = n / (n - 2) if n > 2 else 0.0
    out = np.empty((n_boot, len(cand)))
    step = max(1, int(4e6 // max(paths.n_samples, 1)))
    for s in range(0, n_boot, step):
        b = min(step, n_boot - s)
        W = rng.poisson(1.0, size=(b, paths.n_samples)).astype(np.float64)
        tot = W.sum(axis=1, keepdims=True)
        out[s:s + b] = (sp.csr_array(M.T) @ W.T).T / np.where(tot > 0, tot, 1.0) * scale
    return out
