"""Scenario discovery with PRIM: which parameter regions make a plan fail?

PRIM (Patient Rule Induction Method; Friedman & Fisher 1999), as used for scenario
discovery (Bryant & Lempert 2010; Kwakkel 2017): starting from the box holding every
sweep point, repeatedly *peel* a small share ``alpha`` of the points off the low or high
end of one parameter, choosing the peel that leaves the box with the highest *density*
(share of cases of interest inside the box). Each step trades *coverage* (share of all
cases of interest captured by the box) for density; the sequence of boxes is the
*peeling trajectory*. An analyst then picks a box on the trajectory (typically the knee of
the coverage–density curve). Pasting (re-expanding) is not implemented.

References
----------
Friedman, J. H. & Fisher, N. I. (1999). Bump hunting in high-dimensional data. Statistics
and Computing 9, 123–143.
Bryant, B. P. & Lempert, R. J. (2010). Thinking inside the box: a participatory,
computer-assisted approach to scenario discovery. Technological Forecasting and Social
Change 77, 34–49.
Kwakkel, J. H. (2017). The Exploratory Modeling Workbench. Environmental Modelling &
Software 96, 239–250.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from ..errors import AnalysisError

__all__ = ["PrimResult", "prim", "evaluate_box", "failure_cases"]


def failure_cases(table: pd.DataFrame, *, output: str = "coverage_mean",
                  threshold: float = 0.999, below: bool = True) -> np.ndarray:
    """Cases of interest: points whose ``output`` falls below (or above) ``threshold``.

    The default, coverage below 99.9 %, marks the points where full coverage fails.
    """
    if output not in table.columns:
        raise AnalysisError(f"sweep table has no column {output!r}")
    v = table[output].to_numpy(float)
    return (v < threshold) if below else (v > threshold)


def _inside(X: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.all((X >= lo) & (X <= hi), axis=1)


def evaluate_box(X: pd.DataFrame, y, limits: Mapping[str, tuple[float, float]]) -> dict:
    """Coverage, density and support of any box (limits for some or all parameters).

    Examples
    --------
    >>> X = pd.DataFrame({"a": [0.1, 0.2, 0.8, 0.9], "b": [0, 1, 0, 1]})
    >>> evaluate_box(X, [0, 0, 1, 1], {"a": (0.5, 1.0)})
    {'coverage': 1.0, 'density': 1.0, 'support': 0.5, 'n_in_box': 2, 'n_cases_in_box': 2}
    """
    y = np.asarray(y, dtype=bool)
    m = np.ones(len(X), dtype=bool)
    for k, (lo, hi) in limits.items():
        if k not in X.columns:
            raise AnalysisError(f"box limit on unknown parameter {k!r}")
        v = X[k].to_numpy(float)
        m &= (v >= lo) & (v <= hi)
    n_cases = int(y.sum())
    n_in = int(m.sum())
    hit = int((y & m).sum())
    return {"coverage": hit / n_cases if n_cases else float("nan"),
            "density": hit / n_in if n_in else float("nan"),
            "support": n_in / len(X) if len(X) else float("nan"),
            "n_in_box": n_in, "n_cases_in_box": hit}


@dataclass(frozen=True)
class PrimResult:
    """A peeling trajectory.

    ``trajectory`` has one row per box: ``step, coverage, density, support, n_in_box,
    n_restricted`` and ``<param>_lo`` / ``<param>_hi`` limits; ``chosen`` is the step
    suggested by :meth:`select` with its defaults.
    """

    trajectory: pd.DataFrame
    parameters: tuple[str, ...]
    bounds: dict
    base_density: float
    chosen: int

    def box(self, step: int | None = None) -> dict[str, tuple[float, float]]:
        """Limits of a box on the trajectory (default: the chosen one)."""
        r = self.trajectory.iloc[self.chosen if step is None else int(step)]
        return {p: (float(r[f"{p}_lo"]), float(r[f"{p}_hi"])) for p in self.parameters}

    def restricted(self, step: int | None = None) -> dict[str, tuple[float, float]]:
        """Only the limits that differ from the full range."""
        return {p: lim for p, lim in self.box(step).items()
                if lim[0] > self.bounds[p][0] or lim[1] < self.bounds[p][1]}

    def select(self, *, min_coverage: float = 0.5) -> int:
        """The densest box whose coverage is at least ``min_coverage``."""
        t = self.trajectory
        ok = t[t["coverage"] >= min_coverage]
        if ok.empty:
            return 0
        return int(ok.sort_values(["density", "coverage"], ascending=False).index[0])

    def to_dict(self) -> dict:
        return {"base_density": self.base_density, "chosen": self.chosen,
                "box": {k: list(v) for k, v in self.restricted().items()},
                "coverage": float(self.trajectory.iloc[self.chosen]["coverage"]),
                "density": float(self.trajectory.iloc[self.chosen]["density"]),
                "steps": int(len(self.trajectory))}


def prim(X: pd.DataFrame, y, *, alpha: float = 0.05, min_support: float = 0.05,
         min_coverage: float = 0.5) -> PrimResult:
    """Peel a box around the cases of interest ``y`` in the parameter table ``X``.

    Parameters
    ----------
    X : DataFrame
        Parameter values, one column per parameter.
    y : array-like of bool
        Case of interest (e.g. :func:`failure_cases`).
    alpha : float
        Share of the box's points removed per peel (0 < alpha < 0.5).
    min_support : float
        Stop when the box holds less than this share of all points.
    min_coverage : float
        Used to pick :attr:`PrimResult.chosen`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.random(400), "b": rng.random(400)})
    >>> y = (X["a"] > 0.7).to_numpy()
    >>> res = prim(X, y)
    >>> lo, hi = res.restricted()["a"]; round(lo, 1), float(res.trajectory.iloc[res.chosen]["density"])
    (0.7, 1.0)
    """
    if not 0 < alpha < 0.5:
        raise ValueError("alpha must be in (0, 0.5)")
    y = np.asarray(y, dtype=bool)
    if len(y) != len(X) or len(X) == 0:
        raise AnalysisError("PRIM needs one case flag per sweep point, and some points")
    if y.sum() == 0:
        raise AnalysisError("no case of interest in the sweep: nothing to discover")
    names = tuple(X.columns)
    A = X.to_numpy(float)
    bounds = {p: (float(A[:, j].min()), float(A[:, j].max())) for j, p in enumerate(names)}
    lo = A.min(axis=0)
    hi = A.max(axis=0)
    n_cases = y.sum()
    rows = []

    def record(step, m):
        n_in = int(m.sum())
        hit = int((y & m).sum())
        row = {"step": step, "coverage": hit / n_cases, "density": hit / n_in if n_in else np.nan,
               "support": n_in / len(y), "n_in_box": n_in,
               "n_restricted": int(sum(lo[j] > bounds[p][0] or hi[j] < bounds[p][1]
                                       for j, p in enumerate(names)))}
        for j, p in enumerate(names):
            row[f"{p}_lo"] = float(lo[j])
            row[f"{p}_hi"] = float(hi[j])
        rows.append(row)

    m = _inside(A, lo, hi)
    record(0, m)
    step = 0
    while True:
        n_in = m.sum()
        if n_in / len(y) <= min_support or (y & m).sum() == n_in:
            break
        best = None
        for j in range(len(names)):
            v = A[m, j]
            for side in ("lo", "hi"):
                if side == "lo":
                    cut = np.quantile(v, alpha, method="higher")
                    keep = m & (A[:, j] >= cut) if cut > lo[j] else None
                    if keep is not None and keep.sum() == n_in:
                        keep = m & (A[:, j] > cut)
                else:
                    cut = np.quantile(v, 1 - alpha, method="lower")
                    keep = m & (A[:, j] <= cut) if cut < hi[j] else None
                    if keep is not None and keep.sum() == n_in:
                        keep = m & (A[:, j] < cut)
                if keep is None or keep.sum() == 0 or keep.sum() == n_in:
                    continue
                dens = (y & keep).sum() / keep.sum()
                cand = (dens, keep.sum(), j, side, keep)
                if best is None or cand[:2] > best[:2]:
                    best = cand
        if best is None or best[1] / len(y) < min_support:
            break
        _, _, j, side, keep = best
        m = keep
        vals = A[m, j]
        if side == "lo":
            lo[j] = vals.min()
        else:
            hi[j] = vals.max()
        step += 1
        record(step, m)
    traj = pd.DataFrame(rows)
    res = PrimResult(traj, names, bounds, float(y.mean()), 0)
    return PrimResult(traj, names, bounds, float(y.mean()), res.select(min_coverage=min_coverage))
