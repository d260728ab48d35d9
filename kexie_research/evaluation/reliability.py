"""Reliability of the quality instrument: Cronbach's alpha, McDonald's omega, item-total
correlations.

The eight quality items (:data:`kexie_research.schema.QUALITY_ITEMS`) are meant to measure
one thing — the quality of a session as the rater saw it — so they are treated as one scale
(optionally per rater role). Missing answers are handled by listwise deletion within a
scale; ``n`` is the number of complete responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import AnalysisError
from ..schema import QUALITY_ITEMS
from ._common import check_level, complete_items, dispatch, require_columns, result_to_dict
from .structure import fit_one_factor

__all__ = [
    "AlphaResult",
    "ReliabilityResult",
    "cronbach_alpha",
    "item_statistics",
    "mcdonald_omega",
    "compute_reliability",
    "complete_items",
]


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha with Feldt's confidence interval."""

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    n_items: int
    level: float

    def to_dict(self) -> dict:
        return result_to_dict(self)


def cronbach_alpha(items: pd.DataFrame | np.ndarray, *, level: float = 0.95) -> AlphaResult:
    """Cronbach's alpha of complete item scores, with Feldt's F-based interval.

    :math:`\\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_i s_i^2}{s_X^2}\\right)` with
    :math:`s_X^2` the variance of the sum score. Under the classical model
    :math:`(1-\\hat\\alpha)/(1-\\alpha) \\sim F(n-1, (n-1)(k-1))`, which gives the interval
    :math:`1 - (1-\\hat\\alpha) F_{1-\\gamma/2}` to :math:`1 - (1-\\hat\\alpha) F_{\\gamma/2}`.

    Parameters
    ----------
    items : DataFrame or array, shape (n, k)
        Complete item scores (see :func:`complete_items`).
    level : float

    Returns
    -------
    AlphaResult

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16, 297–334. Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987).
    Statistical inference for coefficient alpha. *Applied Psychological Measurement*, 11, 93–103.

    Examples
    --------
    Hand-computed: item variances 2/3, 2/3, 4/3 (sum 8/3); sum scores 4, 6, 10, 8 have
    variance 20/3 → alpha = 3/2 · (1 − (8/3)/(20/3)) = 0.9.

    >>> round(cronbach_alpha([[1, 1, 2], [2, 2, 2], [3, 3, 4], [2, 2, 4]]).alpha, 3)
    0.9
    """
    level = check_level(level)
    x = np.asarray(items, dtype=float)
    n, k = x.shape
    if k < 2 or n < 3:
        raise AnalysisError(f"alpha needs at least 2 items and 3 responses, got {k} and {n}")
    var_items = x.var(axis=0, ddof=1)
    var_total = x.sum(axis=1).var(ddof=1)
    if var_total <= 0:
        raise AnalysisError("alpha is undefined: the sum score does not vary")
    alpha = k / (k - 1) * (1 - var_items.sum() / var_total)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    g = 1 - level
    lo = 1 - (1 - alpha) * stats.f.isf(g / 2, df1, df2)
    hi = 1 - (1 - alpha) * stats.f.isf(1 - g / 2, df1, df2)
    return AlphaResult(float(alpha), float(lo), float(hi), int(n), int(k), level)


def item_statistics(items: pd.DataFrame) -> pd.DataFrame:
    """Per item: mean, sd, corrected item-total correlation, alpha if the item is deleted.

    The corrected item-total correlation correlates an item with the sum of the *other*
    items (so the item does not correlate with itself).

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 5], "c": [2, 1, 4, 3]})
    >>> item_statistics(x)["item_total_r"].round(3).tolist()  # a vs b+c: 9.5/√(5·20.75)
    [0.933, 0.845, 0.562]
    """
    x = items.astype(float)
    total = x.sum(axis=1)
    rows = []
    for c in x.columns:
        rest = total - x[c]
        r = float(np.corrcoef(x[c], rest)[0, 1]) if rest.std() > 0 else np.nan
        others = x.drop(columns=c)
        a = cronbach_alpha(others).alpha if others.shape[1] >= 2 else np.nan
        rows.append({"item": c, "mean": float(x[c].mean()), "sd": float(x[c].std(ddof=1)),
                     "item_total_r": r, "alpha_if_deleted": a})
    return pd.DataFrame(rows)


def mcdonald_omega(items: pd.DataFrame | np.ndarray) -> float:
    """McDonald's omega (total) of the unit-weighted sum score, from a one-factor ML model.

    :math:`\\omega = (\\sum_i\\lambda_i)^2 / [(\\sum_i\\lambda_i)^2 + \\sum_i\\psi_i]` with
    loadings :math:`\\lambda` and unique variances :math:`\\psi` on the items' own (raw)
    scale, from :func:`kexie_research.evaluation.structure.fit_one_factor`.

    References
    ----------
    McDonald, R. P. (1999). *Test theory: a unified treatment*. Erlbaum.

    Examples
    --------
    Items built from one factor with loadings .8, .7, .6, .5 (unit variances) have
    population omega = 2.6² / (2.6² + 2.26) = 0.749:

    >>> from kexie_research.evaluation.structure import implied_correlation
    >>> rng = np.random.default_rng(1)
    >>> x = rng.multivariate_normal(np.zeros(4), implied_correlation([.8, .7, .6, .5]), 4000)
    >>> abs(mcdonald_omega(x) - 0.749) < 0.02
    True
    """
    x = np.asarray(items, dtype=float)
    fit = fit_one_factor(np.cov(x, rowvar=False), n=len(x))
    sd = np.sqrt(np.diag(np.cov(x, rowvar=False)))
    lam = fit.loadings * sd
    psi = fit.uniquenesses * sd ** 2
    return float(lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum()))


@dataclass(frozen=True)
class ReliabilityResult:
    """Reliability per scale.

    Attributes
    ----------
    scales : DataFrame
        ``scale, alpha, ci_low, ci_high, omega, n, n_items, mean_inter_item_r`` — one row
        per scale (and group when ``by`` is given). ``omega`` is empty where the one-factor
        model could not be fitted (the reason is in ``notes``).
    items : DataFrame
        ``scale, item, mean, sd, item_total_r, alpha_if_deleted``.
    notes : tuple of str
        Scales or groups skipped, and why.
    level : float
    """

    scales: pd.DataFrame
    items: pd.DataFrame
    notes: tuple[str, ...] = ()
    level: float = 0.95

    def to_dict(self) -> dict:
        return result_to_dict(self)


def _one_scale(x: pd.DataFrame, name: str, level: float, notes: list[str]):
    a = cronbach_alpha(x, level=level)
    try:
        om = mcdonald_omega(x)
    except AnalysisError as exc:
        om = np.nan
        notes.append(f"{name}: omega not computed ({exc})")
    r = np.corrcoef(x.to_numpy(), rowvar=False)
    k = r.shape[0]
    mean_r = float((r.sum() - k) / (k * (k - 1)))
    row = {"scale": name, "alpha": a.alpha, "ci_low": a.ci_low, "ci_high": a.ci_high,
           "omega": om, "n": a.n, "n_items": a.n_items, "mean_inter_item_r": mean_r}
    it = item_statistics(x).assign(scale=name)
    return row, it


def compute_reliability(survey: pd.DataFrame, *, scales: Mapping[str, Sequence[str]] | None = None,
                        by: str | None = None, level: float = 0.95,
                        errors: Literal["raise", "skip"] = "raise") -> ReliabilityResult:
    """Alpha (with Feldt CI), omega and item statistics for each scale.

    Parameters
    ----------
    survey : DataFrame
        The ``survey`` table (or any frame holding the item columns).
    scales : dict, optional
        Scale name → item columns (default ``{"quality": QUALITY_ITEMS}``).
    by : str, optional
        Also compute each scale within the groups of this column (e.g. ``"rater_role"``);
        such rows are named ``"<scale>[<group>]"``.
    level : float
    errors : {"raise", "skip"}
        A scale that cannot be analysed (constant item, too few responses) raises
        :class:`AnalysisError`, or is skipped with a note. The whole-sample scale always
        raises when it fails.

    Returns
    -------
    ReliabilityResult
    """
    level = check_level(level)
    dispatch("errors", errors, {"raise": None, "skip": None})
    scales = {"quality": QUALITY_ITEMS} if scales is None else dict(scales)
    rows, items, notes = [], [], []
    for name, cols in scales.items():
        x = complete_items(survey, cols, scale=name)
        row, it = _one_scale(x, name, level, notes)
        rows.append(row)
        items.append(it)
        if by is None:
            continue
        require_columns(survey, [by], table="survey")
        if survey[by].nunique() < 2:
            continue  # one group: its row would repeat the whole-sample row
        for g, sub in survey.groupby(survey[by].astype(str), sort=True):
            gname = f"{name}[{g}]"
            try:
                row, it = _one_scale(complete_items(sub, cols, scale=gname), gname, level, notes)
            except AnalysisError as exc:
                if errors == "raise":
                    raise
                notes.append(f"{gname}: skipped ({exc})")
                continue
            rows.append(row)
            items.append(it)
    it = pd.concat(items, ignore_index=True)
    return ReliabilityResult(scales=pd.DataFrame(rows),
                             items=it[["scale", "item", "mean", "sd", "item_total_r", "alpha_if_deleted"]],
                             notes=tuple(notes), level=level)
