"""Learning (Kirkpatrick level 2): pre/post knowledge gains with paired tests and effect sizes.

Uses the ``pre_score``/``post_score`` columns of the ``survey`` table (0–100). Only
responses with both scores count; responses with a post score but no pre score are
counted in ``n_missing_pre`` and left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import AnalysisError
from ..schema import POST_SCORE, PRE_SCORE, TRAINING_ID
from ._common import as_float, check_level, dispatch, require_columns, result_to_dict, tidy

__all__ = ["GainResult", "LearningResult", "paired_effect", "hedges_g_paired", "cohen_dz_ci",
           "compute_learning"]


def hedges_g_paired(pre, post, *, level: float = 0.95) -> tuple[float, float, float, float]:
    """Hedges' g for a pre/post (repeated-measures) design with its standard error and CI.

    :math:`d = \\bar D / S` with :math:`S^2 = (s_{pre}^2 + s_{post}^2)/2` (d on the scale
    of the scores, comparable with between-group designs; Lakens' d_av family). Its
    variance follows Bonett (2008, paired-samples case), which allows unequal variances
    and accounts for estimating S:

    .. math:: \\widehat{V}(d) = \\frac{d^2 (s_1^4 + s_2^4 + 2 r^2 s_1^2 s_2^2)}{8 (n-1) S^4}
              + \\frac{s_1^2 + s_2^2 - 2 r s_1 s_2}{(n-1) S^2}

    with r the pre–post correlation. Hedges' small-sample factor
    :math:`J = 1 - 3/(4\\,df - 1)`, df = n − 1, gives g = J·d and SE(g) = J·SE(d)
    (Hedges 1981; Borenstein et al. 2009, eq. 4.22–4.24). The interval is g ± z·SE(g).

    Returns
    -------
    (g, se, ci_low, ci_high)

    References
    ----------
    Bonett, D. G. (2008). Confidence intervals for standardized linear contrasts of means.
    *Psychological Methods*, 13(2), 99–109.
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and
    related estimators. *Journal of Educational Statistics*, 6(2), 107–128.
    Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative
    science. *Frontiers in Psychology*, 4, 863.

    Examples
    --------
    Hand-computed: pre 10, 12, 14, 16; post 13, 14, 18, 19 → mean gain 3, s₁² = 6.667,
    s₂² = 8.667, S² = 7.667, d = 3/2.7689 = 1.0835, r = 0.96476;
    V(d) = 1.1739·(44.44 + 75.11 + 2·0.93076·57.78)/(8·3·58.78) + (15.333 − 2·0.96476·7.6010)/(3·7.667)
    = 0.18899 + 0.02899 = 0.21798; J = 1 − 3/11 = 0.72727 → g = 0.788, SE = 0.72727·0.46688 = 0.340.

    >>> g, se, lo, hi = hedges_g_paired([10, 12, 14, 16], [13, 14, 18, 19])
    >>> round(g, 3), round(se, 3)
    (0.788, 0.34)
    """
    level = check_level(level)
    x, y = np.asarray(pre, float), np.asarray(post, float)
    n = len(x)
    if n < 2:
        raise AnalysisError("Hedges' g needs at least 2 pairs")
    v1, v2 = x.var(ddof=1), y.var(ddof=1)
    s2 = (v1 + v2) / 2
    if not s2 > 0:
        raise AnalysisError("Hedges' g is undefined: pre and post scores do not vary")
    d = (y - x).mean() / np.sqrt(s2)
    r = float(np.corrcoef(x, y)[0, 1]) if v1 > 0 and v2 > 0 else 0.0
    s1s2 = np.sqrt(v1 * v2)
    vd = (d ** 2 * (v1 ** 2 + v2 ** 2 + 2 * r ** 2 * v1 * v2) / (8 * (n - 1) * s2 ** 2)
          + (v1 + v2 - 2 * r * s1s2) / ((n - 1) * s2))
    j = 1 - 3 / (4 * (n - 1) - 1)
    g, se = j * d, j * np.sqrt(max(vd, 0.0))
    q = stats.norm.ppf(0.5 + level / 2)
    return float(g), float(se), float(g - q * se), float(g + q * se)


def cohen_dz_ci(t: float, n: int, *, level: float = 0.95) -> tuple[float, float]:
    """Exact CI of d_z = t/√n by inverting the noncentral t distribution (Cumming & Finch 2001).

    Examples
    --------
    >>> lo, hi = cohen_dz_ci(3.0, 10)
    >>> lo < 3.0 / 10 ** 0.5 < hi
    True
    """
    df = n - 1
    a = (1 - level) / 2

    def nc_for(prob):
        f = lambda nc: stats.nct.sf(t, df, nc) - prob  # noqa: E731  sf rises with nc
        lo, hi = t - 10 - abs(t), t + 10 + abs(t)
        return optimize.brentq(f, lo, hi)
    return float(nc_for(a) / np.sqrt(n)), float(nc_for(1 - a) / np.sqrt(n))


@dataclass(frozen=True)
class GainResult:
    """Pre/post gain of one group (all respondents or one session).

    ``mean_gain`` ± its t interval (``gain_ci_low``, ``gain_ci_high``), ``t``/``p`` from the
    paired t-test, ``d_z`` (mean gain / sd of gains) with its exact noncentral-t interval,
    ``d_av`` (mean gain / average of the pre and post sds, Lakens 2013), ``hedges_g`` with
    ``ci_low``/``ci_high`` (Bonett's SE, see :func:`hedges_g_paired`), ``normalized_gain`` (Hake's class
    average ⟨g⟩ = (mean post − mean pre)/(100 − mean pre)) and ``mean_individual_gain``
    (mean of (post − pre)/(100 − pre) over respondents with pre < 100).
    """

    n: int
    mean_pre: float
    mean_post: float
    mean_gain: float
    sd_gain: float
    std_error: float
    gain_ci_low: float
    gain_ci_high: float
    t: float
    p: float
    d_z: float
    d_z_ci_low: float
    d_z_ci_high: float
    d_av: float
    hedges_g: float
    hedges_g_se: float
    ci_low: float
    ci_high: float
    r_pre_post: float
    normalized_gain: float
    mean_individual_gain: float
    n_missing_pre: int = 0
    level: float = 0.95

    def to_dict(self) -> dict:
        return result_to_dict(self)


def paired_effect(pre, post, *, level: float = 0.95, n_missing_pre: int = 0,
                  label: str = "") -> GainResult:
    """Paired t-test and effect sizes of complete pre/post pairs.

    Parameters
    ----------
    pre, post : array-like
        Scores 0–100 of the same respondents.
    level : float
    n_missing_pre : int
        Carried into the result (responses dropped for lack of a pre score).
    label : str
        Named in error messages (e.g. the session).

    Raises
    ------
    AnalysisError
        Fewer than two pairs, gains without variance, or a mean pre score of 100.

    Examples
    --------
    >>> r = paired_effect([50, 60, 70, 80], [60, 65, 80, 84])
    >>> r.mean_gain, round(r.normalized_gain, 4)  # 7.25 / (100 − 65)
    (7.25, 0.2071)
    """
    level = check_level(level)
    x, y = np.asarray(pre, float), np.asarray(post, float)
    where = f" in {label}" if label else ""
    if len(x) != len(y):
        raise AnalysisError("pre and post must have the same length")
    n = len(x)
    if n < 2:
        raise AnalysisError(f"only {n} respondent(s){where} with both pre and post scores: a "
                            "paired test needs at least 2")
    diff = y - x
    sd = diff.std(ddof=1)
    if not sd > 0:
        raise AnalysisError(f"every respondent{where} gained exactly {diff[0]:g} points (the "
                            "gains do not vary): no paired test or effect size is defined")
    mean_pre = x.mean()
    if mean_pre >= 100:
        raise AnalysisError(f"mean pre score{where} is 100: the normalised gain is undefined")
    tt = stats.ttest_rel(y, x)
    se = sd / np.sqrt(n)
    q = stats.t.ppf(0.5 + level / 2, n - 1)
    d_z = diff.mean() / sd
    dzl, dzh = cohen_dz_ci(float(tt.statistic), n, level=level)
    s_av = (x.std(ddof=1) + y.std(ddof=1)) / 2
    g, gse, gl, gh = hedges_g_paired(x, y, level=level)
    ok = x < 100
    indiv = float(np.mean(diff[ok] / (100 - x[ok]))) if ok.any() else float("nan")
    r = float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else float("nan")
    return GainResult(n=n, mean_pre=float(mean_pre), mean_post=float(y.mean()),
                      mean_gain=float(diff.mean()), sd_gain=float(sd), std_error=float(se),
                      gain_ci_low=float(diff.mean() - q * se), gain_ci_high=float(diff.mean() + q * se),
                      t=float(tt.statistic), p=float(tt.pvalue), d_z=float(d_z), d_z_ci_low=dzl,
                      d_z_ci_high=dzh, d_av=float(diff.mean() / s_av) if s_av > 0 else float("nan"),
                      hedges_g=g, hedges_g_se=gse, ci_low=gl, ci_high=gh, r_pre_post=r,
                      normalized_gain=float((y.mean() - mean_pre) / (100 - mean_pre)),
                      mean_individual_gain=indiv, n_missing_pre=int(n_missing_pre), level=level)


@dataclass(frozen=True)
class LearningResult:
    """Learning gains overall and per session.

    Attributes
    ----------
    overall : GainResult
    sessions : DataFrame
        ``training_id, estimate (mean gain), std_error, ci_low, ci_high, p, n, hedges_g,
        g_ci_low, g_ci_high, normalized_gain``.
    notes : tuple of str
        Sessions left out and why.
    """

    overall: GainResult
    sessions: pd.DataFrame
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return result_to_dict(self)


def compute_learning(survey: pd.DataFrame, *, level: float = 0.95,
                     small: Literal["raise", "drop"] = "drop") -> LearningResult:
    """Pre/post learning gains for all respondents and per session.

    Parameters
    ----------
    survey : DataFrame
        With ``pre_score`` and ``post_score`` (and ``training_id`` for the per-session rows).
    level : float
    small : {"raise", "drop"}
        A session whose gains cannot be analysed (one pair, constant gains) raises, or is
        left out of ``sessions`` with a note.

    Returns
    -------
    LearningResult

    Raises
    ------
    AnalysisError
        No pre scores, no complete pairs, or (overall) degenerate gains.
    """
    dispatch("small", small, {"raise": None, "drop": None})
    require_columns(survey, [PRE_SCORE, POST_SCORE], table="survey")
    pre, post = as_float(survey[PRE_SCORE]), as_float(survey[POST_SCORE])
    if np.isnan(pre).all():
        raise AnalysisError("no pre_score values: learning gains need scores before and after "
                            "training for the same respondents")
    if np.isnan(post).all():
        raise AnalysisError("no post_score values: learning gains need scores before and after "
                            "training for the same respondents")
    both = ~np.isnan(pre) & ~np.isnan(post)
    missing_pre = int((np.isnan(pre) & ~np.isnan(post)).sum())
    if not both.any():
        raise AnalysisError("no respondent has both a pre_score and a post_score")
    overall = paired_effect(pre[both], post[both], level=level, n_missing_pre=missing_pre)
    rows, notes = [], []
    if missing_pre:
        notes.append(f"{missing_pre} response(s) with a post score but no pre score left out")
    if TRAINING_ID in survey.columns:
        sid = survey[TRAINING_ID].astype(str).to_numpy()
        for s in sorted(set(sid[both])):
            m = both & (sid == s)
            try:
                r = paired_effect(pre[m], post[m], level=level, label=f"session {s}")
            except AnalysisError as exc:
                if small == "raise":
                    raise
                notes.append(f"session {s} left out: {exc}")
                continue
            rows.append({TRAINING_ID: s, "estimate": r.mean_gain, "std_error": r.std_error,
                         "ci_low": r.gain_ci_low, "ci_high": r.gain_ci_high, "p": r.p, "n": r.n,
                         "hedges_g": r.hedges_g, "g_ci_low": r.ci_low, "g_ci_high": r.ci_high,
                         "normalized_gain": r.normalized_gain})
    sessions = tidy(pd.DataFrame(rows, columns=[TRAINING_ID, "estimate", "std_error", "ci_low",
                                                "ci_high", "p", "n", "hedges_g", "g_ci_low",
                                                "g_ci_high", "normalized_gain"]), [TRAINING_ID])
    return LearningResult(overall=overall, sessions=sessions, notes=tuple(notes))
