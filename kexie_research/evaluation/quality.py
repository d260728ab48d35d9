"""Quality of training sessions on the plan's eight dimensions (Kirkpatrick level 1).

The 2020–2023 plan (seed 001 § 六(五)) has each session rated on eight dimensions by four
kinds of rater — learners, teachers, class managers and the teaching office. This module
turns the ``survey`` table into

* per-session × per-dimension scores with t-based confidence intervals, combining the rater
  roles with weights the user sets (:func:`compute_session_quality`);
* agreement between rater roles, as intraclass correlations (:func:`compute_rater_agreement`);
* a ranking of sessions that is honest about uncertainty: bootstrap rank intervals and a
  "tied rank" that only separates sessions whose intervals do not overlap
  (:func:`rank_sessions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping

import numpy as np
import pandas as pd
from scipy import special, stats

from ..errors import AnalysisError
from ..schema import POST_SCORE, PRE_SCORE, QUALITY_ITEMS, RATER_ROLE, RATER_ROLES, TRAINING_ID
from ._common import as_float, check_level, dispatch, require_columns, result_to_dict, t_interval, tidy

__all__ = [
    "DEFAULT_ROLE_WEIGHTS",
    "QualityResult",
    "AgreementResult",
    "RankingResult",
    "parse_weights",
    "compute_session_quality",
    "compute_rater_agreement",
    "icc_table",
    "KrippendorffResult",
    "krippendorff_alpha",
    "rank_sessions",
    "session_icc",
]

DEFAULT_ROLE_WEIGHTS: dict[str, float] = {"learner": 0.4, "teacher": 0.2, "manager": 0.2,
                                          "office": 0.2}
"""Default rater-role weights: learners 40 %, teachers, class managers and teaching office
20 % each. Learners are the largest and most directly affected group, so they get the
largest single share, but the three staff perspectives together still outweigh them. This
is a convention, not a finding: set your own with ``weights=``. Weights are renormalised
over the roles that actually rated a session."""

COMPOSITE = "overall"
"""Name of the composite dimension (mean of a response's answered items)."""

SCALE = (1.0, 5.0)
"""Bounds of the quality items (schema: integers 1–5); every score and interval lies within."""

_INTERVALS = ("logit", "t")


def parse_weights(text: str) -> dict[str, float]:
    """Parse ``"learner=0.5,teacher=0.2"`` into a weight dict (CLI helper).

    Examples
    --------
    >>> parse_weights("learner=0.5, teacher=0.5")
    {'learner': 0.5, 'teacher': 0.5}
    """
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise ValueError(f"weight {part!r} must look like role=number "
                             f"(roles: {', '.join(RATER_ROLES)})")
        k, v = (s.strip() for s in part.split("=", 1))
        try:
            out[k] = float(v)
        except ValueError:
            raise ValueError(f"weight for {k!r} is not a number: {v!r}") from None
    return _check_weights(out)


def _check_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    w = dict(DEFAULT_ROLE_WEIGHTS if weights is None else weights)
    bad = sorted(set(w) - set(RATER_ROLES))
    if bad:
        raise ValueError(f"unknown rater role(s) {', '.join(bad)}; allowed: {', '.join(RATER_ROLES)}")
    if any(not np.isfinite(v) or v < 0 for v in w.values()):
        raise ValueError(f"role weights must be finite and >= 0, got {w}")
    if sum(w.values()) <= 0:
        raise ValueError("at least one role weight must be positive")
    return {k: float(v) for k, v in w.items()}


def _long_ratings(survey: pd.DataFrame, items=QUALITY_ITEMS) -> pd.DataFrame:
    """Long table: response index, session, role, dimension, value (missing cells dropped);
    the composite ``overall`` (mean of answered items) is appended as a dimension."""
    require_columns(survey, [TRAINING_ID, RATER_ROLE, *items], table="survey")
    vals = pd.DataFrame({it: as_float(survey[it]) for it in items}, index=survey.index)
    answered = vals.notna().sum(axis=1)
    comp = vals.mean(axis=1).where(answered > 0)
    vals[COMPOSITE] = comp
    base = pd.DataFrame({TRAINING_ID: survey[TRAINING_ID].astype(str).to_numpy(),
                         RATER_ROLE: survey[RATER_ROLE].astype(str).to_numpy(),
                         "response": np.arange(len(survey))})
    long = pd.concat([base.assign(dimension=c, value=vals[c].to_numpy()) for c in vals.columns],
                     ignore_index=True)
    return long.dropna(subset=["value"])


@dataclass(frozen=True)
class QualityResult:
    """Per-session quality scores.

    Attributes
    ----------
    scores : DataFrame
        ``training_id, dimension, estimate, std_error, ci_low, ci_high, p, n, df, roles`` —
        one row per session and dimension (the eight items plus ``overall``, the mean of a
        response's answered items). ``p`` is left empty (no null hypothesis for a mean
        score); ``n`` counts responses; ``df`` is the Welch–Satterthwaite degrees of
        freedom of the interval (small when few raters of a heavily weighted role: then
        the interval is wide); ``std_error`` is on the 1–5 scale.
    by_role : DataFrame
        ``training_id, rater_role, dimension, mean, sd, n`` — the unweighted role means.
    weights : dict
        Role weights used (before renormalisation over the roles present).
    level : float
        Confidence level.
    dropped : tuple of str
        Sessions left out because they had a single response (``small="drop"``).
    notes : tuple of str
        Other sessions left out, and why (e.g. rated only by roles with weight 0).
    interval : {"logit", "t"}
        How the intervals were formed (see :func:`compute_session_quality`).
    """

    scores: pd.DataFrame
    by_role: pd.DataFrame
    weights: dict
    level: float
    dropped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    interval: str = "logit"

    def overall(self) -> pd.DataFrame:
        """The composite score per session (rows of :attr:`scores` with dimension ``overall``)."""
        return self.scores[self.scores["dimension"] == COMPOSITE].reset_index(drop=True)

    def to_dict(self) -> dict:
        return result_to_dict(self)


def _bounded_interval(est, se, df, level: float) -> tuple[np.ndarray, np.ndarray]:
    """t interval on the logit of (x − 1)/4, back-transformed: always inside [1, 5].

    The standard error is carried to the logit scale by the delta method,
    SE(logit p) = SE(x)/4 / (p(1 − p)); a score on a bound (every rating equal to 1 or 5)
    has SE 0 and a degenerate interval at the bound.
    """
    lo_s, hi_s = SCALE
    width = hi_s - lo_s
    est, se, df = (np.asarray(v, dtype=float) for v in (est, se, df))
    p = np.clip((est - lo_s) / width, 0.0, 1.0)
    q = stats.t.ppf(0.5 + level / 2, df)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lg = np.log(p) - np.log1p(-p)
        se_l = se / width / (p * (1 - p))
        lo = lo_s + width * special.expit(lg - q * se_l)
        hi = lo_s + width * special.expit(lg + q * se_l)
    on_bound = (p <= 0) | (p >= 1) | (se <= 0)
    lo = np.where(on_bound, est, lo)
    hi = np.where(on_bound, est, hi)
    return np.clip(lo, lo_s, hi_s), np.clip(hi, lo_s, hi_s)


def _combine_roles(by_role: pd.DataFrame, weights: dict[str, float], level: float,
                   interval: str = "logit") -> pd.DataFrame:
    """Weighted mean over roles with a Satterthwaite t interval (see compute_session_quality)."""
    d = by_role.copy()
    d["w"] = d[RATER_ROLE].map(weights).fillna(0.0)
    d = d[d["w"] > 0]
    if d.empty:
        raise AnalysisError("no response comes from a rater role with positive weight "
                            f"(weights: {weights})")
    key = [TRAINING_ID, "dimension"]
    d["w"] = d["w"] / d.groupby(key)["w"].transform("sum")
    # a role with one response has no variance of its own: borrow the pooled within-role
    # variance of the same session and dimension; when no role has two responses, the
    # variance of all the session's responses (between roles included: conservative)
    grp = [d[TRAINING_ID], d["dimension"]]
    ss = (d["var"].fillna(0.0) * (d["n"] - 1)).groupby(grp).transform("sum")
    dfp = (d["n"] - 1).groupby(grp).transform("sum")
    n_tot = d["n"].groupby(grp).transform("sum")
    grand = (d["n"] * d["mean"]).groupby(grp).transform("sum") / n_tot
    ss_tot = ss + (d["n"] * (d["mean"] - grand) ** 2).groupby(grp).transform("sum")
    pooled = (ss / dfp.where(dfp > 0)).fillna(ss_tot / (n_tot - 1).where(n_tot > 1))
    var = d["var"].where(d["n"] > 1, pooled)
    dfr = (d["n"] - 1).where(d["n"] > 1, dfp.where(dfp > 0, n_tot - 1))
    d["a"] = d["w"] ** 2 * var / d["n"]
    d["a2df"] = d["a"] ** 2 / dfr
    d["wm"] = d["w"] * d["mean"]
    g = d.groupby(key, sort=True)
    out = pd.DataFrame({
        "estimate": g["wm"].sum(),
        "var": g["a"].sum(min_count=1),
        "a2df": g["a2df"].sum(min_count=1),
        "n": g["n"].sum(),
        "roles": g[RATER_ROLE].agg(lambda s: ",".join(sorted(s))),
    }).reset_index()
    out["std_error"] = np.sqrt(out["var"])
    with np.errstate(divide="ignore", invalid="ignore"):
        sdf = out["var"] ** 2 / out["a2df"]
    # zero variance (all ratings equal): the interval collapses; keep a finite df
    out["df"] = sdf.where(out["var"] > 0, (out["n"] - 1).clip(lower=1))
    if interval == "logit":
        lo, hi = _bounded_interval(out["estimate"], out["std_error"], out["df"], level)
    else:
        lo, hi = t_interval(out["estimate"], out["std_error"], out["df"], level)
    out["ci_low"], out["ci_high"] = lo, hi
    out["p"] = np.nan
    return out.drop(columns=["var", "a2df"])


def compute_session_quality(survey: pd.DataFrame, *, weights: Mapping[str, float] | None = None,
                            level: float = 0.95, small: Literal["raise", "drop"] = "raise",
                            interval: Literal["logit", "t"] = "logit") -> QualityResult:
    """Per-session, per-dimension quality scores with confidence intervals.

    For session *s* and dimension *j*, each rater role *r* gives a mean
    :math:`\\bar x_r` over its :math:`n_r` responses. The score is the weighted mean
    :math:`\\hat\\mu = \\sum_r \\tilde w_r \\bar x_r` with the weights renormalised over the
    roles present (:math:`\\tilde w_r = w_r / \\sum_{r'} w_{r'}`); its variance is
    :math:`\\sum_r \\tilde w_r^2 s_r^2 / n_r` (roles as independent strata) and the interval
    uses Student's t with Welch–Satterthwaite degrees of freedom. A role with a single
    response borrows the pooled within-role variance of the session and dimension.

    Scores are bounded (1–5), so by default (``interval="logit"``) the t interval is formed
    on the logit of p = (x − 1)/4 (delta-method SE) and transformed back: it always lies
    inside [1, 5] and is asymmetric near the bounds. ``interval="t"`` gives the symmetric
    t interval on the raw scale (with one role, the ordinary t interval of the mean), which
    leaves the scale when the df are small — e.g. 1.2 df from two small rater roles.

    Parameters
    ----------
    survey : DataFrame
        The ``survey`` table (``training_id``, ``rater_role`` and the eight items 1–5).
    weights : dict, optional
        Rater role → weight (default :data:`DEFAULT_ROLE_WEIGHTS`). Roles left out get 0.
    level : float
        Confidence level of the intervals.
    small : {"raise", "drop"}
        A session with a single response has no interval: raise :class:`AnalysisError`
        naming it, or drop it (listed in ``dropped``).
    interval : {"logit", "t"}
        Bounded (default) or raw-scale t interval (see above).

    Returns
    -------
    QualityResult

    Examples
    --------
    >>> import pandas as pd
    >>> from kexie_research.schema import QUALITY_ITEMS
    >>> rows = [dict(training_id="S1", rater_role="learner", **{i: v for i in QUALITY_ITEMS})
    ...         for v in (3, 4, 5)]
    >>> res = compute_session_quality(pd.DataFrame(rows))
    >>> r = res.overall().iloc[0]
    >>> [round(float(v), 3) for v in (r.estimate, r.ci_low, r.ci_high)]  # logit interval, inside [1, 5]
    [4.0, 1.394, 4.952]
    >>> r = compute_session_quality(pd.DataFrame(rows), interval="t").overall().iloc[0]
    >>> [round(float(v), 3) for v in (r.ci_low, r.ci_high)]  # 4 ± t(.975, 2)·1/√3 leaves the scale
    [1.516, 6.484]
    """
    level = check_level(level)
    w = _check_weights(weights)
    dispatch("small", small, {"raise": None, "drop": None})
    dispatch("interval", interval, dict.fromkeys(_INTERVALS))
    long = _long_ratings(survey)
    if long.empty:
        raise AnalysisError("the survey has no answered quality items")
    n_resp = long[long["dimension"] == COMPOSITE].groupby(TRAINING_ID)["response"].nunique()
    one = sorted(n_resp.index[n_resp < 2])
    if one:
        if small == "raise" or len(one) == len(n_resp):
            raise AnalysisError(
                f"session(s) {', '.join(one)} have a single response: no variance, so no "
                "confidence interval; collect more responses or pass small='drop'")
        long = long[~long[TRAINING_ID].isin(one)]
    by_role = (long.groupby([TRAINING_ID, RATER_ROLE, "dimension"], sort=True)["value"]
               .agg(mean="mean", var="var", n="count").reset_index())
    scores = _combine_roles(by_role, w, level, interval)
    unweighted = sorted(set(by_role[TRAINING_ID]) - set(scores[TRAINING_ID]))
    notes = ((f"session(s) {', '.join(unweighted)} rated only by roles with weight 0: left out",)
             if unweighted else ())
    order = {d: i for i, d in enumerate((*QUALITY_ITEMS, COMPOSITE))}
    scores = scores.sort_values([TRAINING_ID, "dimension"], key=lambda s: s.map(order) if s.name == "dimension" else s)
    by_role = by_role.assign(sd=np.sqrt(by_role["var"])).drop(columns="var")
    return QualityResult(scores=tidy(scores, [TRAINING_ID, "dimension"]),
                         by_role=by_role[[TRAINING_ID, RATER_ROLE, "dimension", "mean", "sd", "n"]],
                         weights=w, level=level, dropped=tuple(one), notes=notes, interval=interval)


# --------------------------------------------------------------------------- agreement

@dataclass(frozen=True)
class AgreementResult:
    """Intraclass correlations between rater roles.

    Attributes
    ----------
    icc : DataFrame
        ``type, description, estimate, ci_low, ci_high, F, df1, df2, p, n, k`` for the six
        Shrout–Fleiss ICCs (ICC1, ICC2, ICC3 single-rater; ICC1k, ICC2k, ICC3k average).
    targets : str
        What was rated: ``"session"`` (composite) or ``"session_dimension"``.
    roles : tuple of str
        The roles (raters) compared.
    n_targets : int
    matrix : DataFrame
        Targets × roles matrix of mean ratings used.
    alpha : KrippendorffResult or None
        Interval-level Krippendorff's alpha of the role means over every target rated by at
        least two of the roles (so targets a role skipped still count), with a unit bootstrap
        interval (``n_boot`` replicates); ``None`` when undefined.
    """

    icc: pd.DataFrame
    targets: str
    roles: tuple[str, ...]
    n_targets: int
    matrix: pd.DataFrame
    alpha: KrippendorffResult | None = None

    def get(self, kind: str = "ICC2k") -> float:
        """One ICC estimate by type (e.g. ``"ICC2"``)."""
        return float(self.icc.set_index("type").loc[kind, "estimate"])

    def to_dict(self) -> dict:
        return result_to_dict(self)


def icc_table(matrix: np.ndarray | pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """The six Shrout–Fleiss intraclass correlations of an n-targets × k-raters matrix.

    From the two-way ANOVA mean squares — between targets (MSR), between raters (MSC),
    residual (MSE) and within targets (MSW) — ICC(1,1) = (MSR − MSW)/(MSR + (k−1)MSW),
    ICC(2,1) = (MSR − MSE)/(MSR + (k−1)MSE + k(MSC − MSE)/n), ICC(3,1) =
    (MSR − MSE)/(MSR + (k−1)MSE), and the average-measure forms ICC(1,k) = (MSR − MSW)/MSR,
    ICC(2,k) = (MSR − MSE)/(MSR + (MSC − MSE)/n), ICC(3,k) = (MSR − MSE)/MSR. Confidence
    intervals follow McGraw & Wong (1996), Table 7 (F-based; Satterthwaite df for ICC2).

    Parameters
    ----------
    matrix : array-like, shape (n, k)
        Complete ratings, one row per target, one column per rater.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. *Psychological Bulletin*, 86(2), 420–428.
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass
    correlation coefficients. *Psychological Methods*, 1(1), 30–46.

    Examples
    --------
    Shrout & Fleiss's (1979) Table 2 data (6 targets, 4 judges); their Table 4 gives
    ICC(1,1) = .17, ICC(2,1) = .29, ICC(3,1) = .71:

    >>> x = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> t = icc_table(x).set_index("type")["estimate"].round(2)
    >>> [float(t[k]) for k in ("ICC1", "ICC2", "ICC3")]
    [0.17, 0.29, 0.71]
    """
    level = check_level(level)
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2:
        raise AnalysisError("ICC needs a targets × raters matrix")
    n, k = x.shape
    if n < 2 or k < 2:
        raise AnalysisError(f"ICC needs at least 2 targets and 2 raters; got {n} × {k}")
    if not np.isfinite(x).all():
        raise AnalysisError("ICC needs a complete targets × raters matrix (missing cells found)")
    grand = x.mean()
    ss_tot = ((x - grand) ** 2).sum()
    ss_r = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_c = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_e = ss_tot - ss_r - ss_c
    df_r, df_c, df_e, df_w = n - 1, k - 1, (n - 1) * (k - 1), n * (k - 1)
    msr, msc, mse = ss_r / df_r, ss_c / df_c, ss_e / df_e
    msw = (ss_c + ss_e) / df_w
    if msr <= 0 or mse <= 0 or msw <= 0:
        raise AnalysisError("ICC is undefined: the ratings do not vary between targets or "
                            "the raters agree perfectly (a mean square is 0)")
    icc1 = (msr - msw) / (msr + (k - 1) * msw)
    icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    icc3 = (msr - mse) / (msr + (k - 1) * mse)
    icc1k = (msr - msw) / msr
    icc2k = (msr - mse) / (msr + (msc - mse) / n)
    icc3k = (msr - mse) / msr
    a = 1 - level
    f = stats.f
    f1 = msr / msw
    f1l, f1u = f1 / f.ppf(1 - a / 2, df_r, df_w), f1 * f.ppf(1 - a / 2, df_w, df_r)
    f3 = msr / mse
    f3l, f3u = f3 / f.ppf(1 - a / 2, df_r, df_e), f3 * f.ppf(1 - a / 2, df_e, df_r)
    # McGraw & Wong (1996) case 2A: Satterthwaite df for ICC(2,1)
    fj = msc / mse
    vn = df_e * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = df_r * k ** 2 * icc2 ** 2 * fj ** 2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    fs = f.ppf(1 - a / 2, df_r, v)
    fi = f.ppf(1 - a / 2, v, df_r)
    l2 = n * (msr - fs * mse) / (fs * (k * msc + (k * n - k - n) * mse) + n * msr)
    u2 = n * (fi * msr - mse) / (k * msc + (k * n - k - n) * mse + n * fi * msr)
    rows = [
        ("ICC1", "single rater, one-way random", icc1, (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1), f1, df_r, df_w),
        ("ICC2", "single rater, two-way random, absolute agreement", icc2, l2, u2, f3, df_r, df_e),
        ("ICC3", "single rater, two-way mixed, consistency", icc3, (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1), f3, df_r, df_e),
        ("ICC1k", "mean of k raters, one-way random", icc1k, 1 - 1 / f1l, 1 - 1 / f1u, f1, df_r, df_w),
        ("ICC2k", "mean of k raters, two-way random, absolute agreement", icc2k,
         l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1)), f3, df_r, df_e),
        ("ICC3k", "mean of k raters, two-way mixed, consistency", icc3k, 1 - 1 / f3l, 1 - 1 / f3u, f3, df_r, df_e),
    ]
    out = pd.DataFrame(rows, columns=["type", "description", "estimate", "ci_low", "ci_high", "F", "df1", "df2"])
    out["p"] = f.sf(out["F"], out["df1"], out["df2"])
    out["n"], out["k"] = n, k
    return out


_ALPHA_LEVELS = ("nominal", "ordinal", "interval", "ratio")


@dataclass(frozen=True)
class KrippendorffResult:
    """Krippendorff's alpha with a unit-bootstrap interval.

    Attributes
    ----------
    alpha : float
        1 − D_o / D_e (1 = perfect agreement, 0 = chance, < 0 = systematic disagreement).
    level_of_measurement : str
        ``"nominal"``, ``"ordinal"``, ``"interval"`` or ``"ratio"``.
    observed, expected : float
        Observed and expected disagreement D_o, D_e.
    n_units : int
        Units with at least two values (the pairable units).
    n_values : int
        Pairable values n (values in those units).
    ci_low, ci_high : float
        Percentile interval from resampling units (NaN when ``n_boot == 0``).
    n_boot : int
    level : float
    """

    alpha: float
    level_of_measurement: str
    observed: float
    expected: float
    n_units: int
    n_values: int
    ci_low: float
    ci_high: float
    n_boot: int
    level: float

    def to_dict(self) -> dict:
        return result_to_dict(self)


def _alpha_parts(x: np.ndarray, metric: str) -> tuple[float, float, int]:
    """(D_o, D_e, pairable values) of a units × raters array with NaN gaps, every unit of
    which has at least two values."""
    m = np.isfinite(x).sum(axis=1)
    rows, cols = np.nonzero(np.isfinite(x))
    vals = x[rows, cols]
    n = len(vals)
    if n < 2:
        return float("nan"), float("nan"), n
    uniq, counts = np.unique(vals, return_counts=True)
    if metric == "ordinal":
        # δ(c, k) = Σ_{g=c..k} n_g − (n_c + n_k)/2 is the distance between mid-ranks
        # r_v = cum_v − n_v/2, so ordinal alpha is interval alpha on the mid-ranks
        mid = np.cumsum(counts) - counts / 2.0
        x = np.where(np.isfinite(x), mid[np.searchsorted(uniq, np.nan_to_num(x, nan=uniq[0]))], np.nan)
        uniq = mid
    if metric in ("interval", "ordinal"):
        # Σ_{i≠j} (a_i − a_j)² = 2 (m Σa² − (Σa)²) within a unit and over the pooled values
        s1 = np.nansum(x, axis=1)
        s2 = np.nansum(x * x, axis=1)
        within = 2 * (m * s2 - s1 * s1)
        pooled = 2 * (n * float((counts * uniq * uniq).sum()) - float((counts * uniq).sum()) ** 2)
    elif metric == "nominal":
        # ordered pairs of unequal values in a unit: m² − Σ_c m_c² (m_c the count of value c)
        cnt = np.zeros((len(x), len(uniq)))
        np.add.at(cnt, (rows, np.searchsorted(uniq, vals)), 1.0)
        within = m.astype(float) ** 2 - (cnt * cnt).sum(axis=1)
        pooled = float(n * n - (counts * counts).sum())
    else:  # ratio: explicit pairs of each unit's values, packed left, in blocks of units
        start = np.concatenate([[0], np.cumsum(m)[:-1]])
        packed = np.full((len(x), int(m.max())), np.nan)
        packed[rows, np.arange(len(rows)) - start[rows]] = vals
        r = packed.shape[1]
        step = max(1, int(4e6 // max(r * r, 1)))
        within = np.empty(len(x))
        for lo in range(0, len(x), step):
            xb = packed[lo:lo + step]
            d = xb[:, :, None] - xb[:, None, :]
            with np.errstate(invalid="ignore", divide="ignore"):
                ssum = xb[:, :, None] + xb[:, None, :]
                delta = np.where(ssum != 0, (d / ssum) ** 2, 0.0)
            within[lo:lo + step] = np.where(np.isfinite(d), delta, 0.0).sum(axis=(1, 2))
        pooled = 0.0
        for lo in range(0, len(uniq), 2048):  # V × V in blocks
            a = uniq[lo:lo + 2048, None]
            with np.errstate(invalid="ignore", divide="ignore"):
                ab = np.where(a + uniq != 0, ((a - uniq) / (a + uniq)) ** 2, 0.0)
            pooled += float((counts[lo:lo + 2048, None] * counts * ab).sum())
    d_o = float((within / (m - 1)).sum()) / n
    d_e = pooled / (n * (n - 1))
    return d_o, d_e, n


def _alpha_matrix(data, level_of_measurement: str) -> np.ndarray:
    """The units × raters float matrix (NaN = missing) of :func:`krippendorff_alpha`.

    Numbers pass through. Labels (text) are accepted at the nominal level (coded in sorted
    order; which code a label gets does not matter there) and, as an ordered categorical
    DataFrame, at the ordinal level (coded by the category order).
    """
    if isinstance(data, pd.DataFrame):
        cols = [data[c] for c in data.columns]
        if cols and all(isinstance(c.dtype, pd.CategoricalDtype) and c.dtype.ordered for c in cols):
            cats = cols[0].cat.categories
            if any(not c.cat.categories.equals(cats) for c in cols):
                raise AnalysisError("ordered categorical columns must share the same categories")
            codes = np.column_stack([c.cat.codes.to_numpy() for c in cols]).astype(float)
            codes[codes < 0] = np.nan
            return codes
        arr = data.to_numpy(dtype=object)
    else:
        arr = data
    try:
        return np.asarray(arr, dtype=float)
    except (TypeError, ValueError):
        pass
    arr = np.asarray(arr, dtype=object)
    if arr.ndim != 2:
        raise AnalysisError("Krippendorff's alpha needs a units × raters matrix")
    if level_of_measurement != "nominal":
        raise AnalysisError(f"{level_of_measurement} alpha needs numbers (or, for ordinal, a DataFrame of "
                            "ordered categoricals); text labels are allowed at the nominal level only")
    flat = pd.Series(arr.ravel())
    flat = flat.where(flat.notna() & (flat.astype(str).str.strip() != ""))
    codes, _ = pd.factorize(flat.astype(object).map(lambda v: v if pd.isna(v) else str(v)), sort=True)
    out = codes.astype(float)
    out[codes < 0] = np.nan
    return out.reshape(arr.shape)


def krippendorff_alpha(data: np.ndarray | pd.DataFrame, *,
                       level_of_measurement: Literal["nominal", "ordinal", "interval", "ratio"] = "interval",
                       n_boot: int = 0, rng: np.random.Generator | None = None,
                       level: float = 0.95) -> KrippendorffResult:
    """Krippendorff's alpha for any number of raters, with missing ratings allowed.

    Unlike the ICCs of :func:`icc_table`, alpha uses every unit that at least two raters
    rated, so sessions that one rater role skipped still count. With the coincidence
    counts of pairable values, α = 1 − D_o/D_e, where D_o averages the squared difference
    δ² over pairs of values within a unit (each unit weighted 1/(m_u − 1)) and D_e over all
    pairs of pairable values. δ² is 1 for unequal values (nominal), (c − k)² (interval),
    the squared distance between mid-ranks (ordinal) or ((c − k)/(c + k))² (ratio).

    Parameters
    ----------
    data : array-like or DataFrame, shape (units, raters)
        One row per unit (e.g. a session), one column per rater (e.g. a rater role); NaN
        (or None, or an empty string) where the rater gave no value. Text labels are
        accepted at the nominal level; a DataFrame of ordered categoricals at the ordinal level.
    level_of_measurement : {"nominal", "ordinal", "interval", "ratio"}
    n_boot : int
        Bootstrap replicates (resampling units with replacement) for a percentile interval;
        0 (default) skips it.
    rng : numpy.random.Generator or int, optional
        Source (or seed) of the bootstrap draws; needed when ``n_boot > 0``.
    level : float
        Confidence level of the interval.

    Returns
    -------
    KrippendorffResult

    Raises
    ------
    AnalysisError
        No unit has two values, or the pairable values are all equal (D_e = 0).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School
    for Communication, University of Pennsylvania. (Its worked example — 4 observers,
    12 units, missing values — gives α = 0.743 nominal, 0.815 ordinal, 0.849 interval,
    0.797 ratio; the tests reproduce all four.)
    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability
    measure for coding data. *Communication Methods and Measures*, 1(1), 77–89.

    Examples
    --------
    >>> x = [[1, 1], [2, 2], [3, 3], [4, 4]]
    >>> krippendorff_alpha(x).alpha
    1.0

    Hand-computed, nominal: units (1, 2), (2, 1), (3, 3) give 4 disagreeing ordered pairs of
    n = 6 values; the pooled values (two each of 1, 2, 3) give 6² − 3·2² = 24 disagreeing
    ordered pairs, so α = 1 − (n − 1)·4/24 = 1/6.

    >>> round(krippendorff_alpha([[1, 2], [2, 1], [3, 3]], level_of_measurement="nominal").alpha, 4)
    0.1667
    """
    dispatch("level_of_measurement", level_of_measurement, dict.fromkeys(_ALPHA_LEVELS))
    level = check_level(level)
    x = _alpha_matrix(data, level_of_measurement)
    if x.ndim != 2:
        raise AnalysisError("Krippendorff's alpha needs a units × raters matrix")
    if np.isinf(x).any():
        raise AnalysisError("Krippendorff's alpha: infinite ratings found")
    if level_of_measurement == "ratio" and (x[np.isfinite(x)] < 0).any():
        raise AnalysisError("ratio-level alpha needs non-negative values")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer, not {n_boot!r}")
    if n_boot and rng is None:
        raise ValueError("n_boot > 0 needs rng (a numpy.random.Generator or a seed)")
    x = x[np.isfinite(x).sum(axis=1) >= 2]  # only units with two values are pairable
    n_units = len(x)
    d_o, d_e, n_values = _alpha_parts(x, level_of_measurement)
    if n_units == 0:
        raise AnalysisError("Krippendorff's alpha needs at least one unit rated by two raters")
    if not d_e > 0:
        raise AnalysisError("Krippendorff's alpha is undefined: every pairable value is the same "
                            "(no variation to agree on)")
    alpha = 1 - d_o / d_e
    lo = hi = float("nan")
    if n_boot:
        rng = np.random.default_rng(rng)
        boots = []
        for _ in range(int(n_boot)):
            o, e, _ = _alpha_parts(x[rng.integers(0, n_units, n_units)], level_of_measurement)
            if e > 0:
                boots.append(1 - o / e)
        if boots:
            lo, hi = (float(q) for q in np.quantile(boots, [(1 - level) / 2, (1 + level) / 2]))
    return KrippendorffResult(float(alpha), level_of_measurement, float(d_o), float(d_e), n_units,
                              n_values, lo, hi, int(n_boot), level)


_TARGETS = ("session", "session_dimension")


def compute_rater_agreement(survey: pd.DataFrame, *, targets: Literal["session", "session_dimension"] = "session",
                            roles=None, level: float = 0.95, n_boot: int = 1000,
                            rng: np.random.Generator | None = None) -> AgreementResult:
    """Agreement between rater roles on the sessions they all rated, as ICCs.

    Each role's mean rating of each target (a session's composite score, or each session ×
    dimension) forms an n × k matrix (targets × roles); targets not rated by every role
    are left out. The roles are treated as the "judges" of Shrout & Fleiss (1979); see
    :func:`icc_table`. ICC2k (two-way random, absolute agreement, mean of the roles) is the
    reliability of the role-averaged score; ICC2 that of a single role.

    Parameters
    ----------
    survey : DataFrame
    targets : {"session", "session_dimension"}
        Targets of the agreement: sessions (composite), or session × dimension cells (more
        targets, but cells of one session are not independent — intervals are optimistic).
    roles : sequence of str, optional
        Roles to compare (default: every role present).
    level : float
    n_boot : int
        Bootstrap replicates of the interval for Krippendorff's alpha, which is computed
        beside the ICCs on every target rated by at least two roles (:func:`krippendorff_alpha`).
    rng : numpy.random.Generator or int, optional
        Source (or seed) of the bootstrap draws (default: seed 0).

    Returns
    -------
    AgreementResult

    Raises
    ------
    AnalysisError
        Fewer than two roles, or fewer than two targets rated by all of them.
    """
    dispatch("targets", targets, dict.fromkeys(_TARGETS))
    long = _long_ratings(survey)
    if targets == "session":
        long = long[long["dimension"] == COMPOSITE]
        index = [TRAINING_ID]
    else:
        long = long[long["dimension"] != COMPOSITE]
        index = [TRAINING_ID, "dimension"]
    present = sorted(long[RATER_ROLE].unique(), key=lambda r: RATER_ROLES.index(r) if r in RATER_ROLES else 99)
    roles = tuple(present if roles is None else roles)
    if len(roles) < 2:
        raise AnalysisError("inter-rater agreement needs at least two rater roles; the survey has "
                            f"only {', '.join(roles) or 'none'}")
    m = (long[long[RATER_ROLE].isin(roles)]
         .pivot_table(index=index, columns=RATER_ROLE, values="value", aggfunc="mean"))
    full = m.reindex(columns=list(roles))
    m = full.dropna()
    if len(m) < 2:
        raise AnalysisError(f"inter-rater agreement needs at least two {targets.replace('_', ' × ')}s "
                            f"rated by every role ({', '.join(roles)}); found {len(m)}")
    icc = icc_table(m.to_numpy(), level=level)  # may raise: then alpha need not be computed
    try:
        alpha = krippendorff_alpha(full.to_numpy(dtype=float), level_of_measurement="interval",
                                   n_boot=n_boot, level=level, rng=0 if rng is None else rng)
    except AnalysisError:
        alpha = None
    return AgreementResult(icc=icc, targets=targets, roles=roles, n_targets=len(m),
                           matrix=m.reset_index(), alpha=alpha)


# --------------------------------------------------------------------------- ranking

@dataclass(frozen=True)
class RankingResult:
    """A ranking of sessions that shows its uncertainty.

    Attributes
    ----------
    table : DataFrame
        ``training_id, estimate, ci_low, ci_high, n, rank, rank_low, rank_high, tied_rank,
        n_better, p_above, indistinguishable_from_above`` sorted by ``rank``. ``rank`` is
        the point rank (1 = best); ``rank_low``/``rank_high`` the bootstrap percentile
        interval of the rank; ``tied_rank`` = 1 + the number of sessions whose score
        interval lies entirely above this one's, so sessions with overlapping intervals
        share a tied rank; ``n_better`` is that number. ``p_above`` is the share of
        bootstrap replicates in which the session scores at least as high as the session
        placed just above it (NaN for the first), and ``indistinguishable_from_above`` flags
        neighbours the data cannot order: ``p_above`` > (1 − level)/2, i.e. the bootstrap
        interval of their difference contains 0.
    n_boot : int
    level : float
    dimension : str
    """

    table: pd.DataFrame
    n_boot: int
    level: float
    dimension: str

    def to_dict(self) -> dict:
        return result_to_dict(self)


def rank_sessions(survey: pd.DataFrame, *, weights: Mapping[str, float] | None = None,
                  dimension: str = COMPOSITE, n_boot: int = 1000, level: float = 0.95,
                  small: Literal["raise", "drop"] = "raise",
                  rng: np.random.Generator | int | None = None,
                  quality: QualityResult | None = None) -> RankingResult:
    """Rank sessions on a quality score, with bootstrap rank intervals.

    Each bootstrap replicate resamples responses with replacement within every session ×
    rater-role stratum, recomputes the role-weighted score of every session and ranks them
    (1 = best, ties share the lowest rank). The percentile interval of a session's rank
    across replicates says how sure its place is (Goldstein & Spiegelhalter 1996). The
    ``tied_rank`` column is a conservative ordinal: only sessions whose confidence intervals
    (from :func:`compute_session_quality`) do not overlap are ranked apart.

    Parameters
    ----------
    survey : DataFrame
    weights : dict, optional
        Rater-role weights (see :data:`DEFAULT_ROLE_WEIGHTS`).
    dimension : str
        ``"overall"`` (composite) or one of the eight items.
    n_boot : int
        Bootstrap replicates.
    level : float
    small : {"raise", "drop"}
        As in :func:`compute_session_quality`.
    rng : Generator or int, optional
        Source of randomness (seeded for reproducibility).
    quality : QualityResult, optional
        The scores of this survey from :func:`compute_session_quality`, when the caller has
        them already (its weights and level are used; ``weights``, ``level`` and ``small``
        must then be left at their defaults or agree).

    Returns
    -------
    RankingResult

    References
    ----------
    Goldstein, H., & Spiegelhalter, D. J. (1996). League tables and their limitations:
    statistical issues in comparisons of institutional performance. *JRSS A*, 159(3), 385–443.
    """
    rng = np.random.default_rng(rng)
    level = check_level(level)
    if n_boot < 10:
        raise ValueError(f"n_boot must be at least 10, not {n_boot}")
    dispatch("dimension", dimension, dict.fromkeys((*QUALITY_ITEMS, COMPOSITE)))
    if quality is None:
        q = compute_session_quality(survey, weights=weights, level=level, small=small)
    else:
        q = quality
        if weights is not None and _check_weights(weights) != q.weights:
            raise ValueError(f"weights {weights} differ from those of the given quality result {q.weights}")
        if q.level != level:
            raise ValueError(f"level {level} differs from that of the given quality result ({q.level})")
    est = q.scores[q.scores["dimension"] == dimension].set_index(TRAINING_ID)
    sessions = list(est.index)
    if len(sessions) < 2:
        raise AnalysisError("ranking needs at least two sessions with two or more responses")
    long = _long_ratings(survey)
    long = long[(long["dimension"] == dimension) & long[TRAINING_ID].isin(sessions)]
    w = q.weights
    boot = np.zeros((n_boot, len(sessions)))
    for j, s in enumerate(sessions):
        sub = long[long[TRAINING_ID] == s]
        roles = [r for r in sorted(sub[RATER_ROLE].unique()) if w.get(r, 0) > 0]
        wsum = sum(w[r] for r in roles)
        for r in roles:
            v = sub.loc[sub[RATER_ROLE] == r, "value"].to_numpy()
            idx = rng.integers(0, len(v), size=(n_boot, len(v)))
            boot[:, j] += (w[r] / wsum) * v[idx].mean(axis=1)
    ranks = stats.rankdata(-boot, axis=1, method="min")
    a = (1 - level) / 2
    lo_ci, hi_ci = est["ci_low"].to_numpy(), est["ci_high"].to_numpy()
    n_better = np.array([(lo_ci > hi_ci[j]).sum() for j in range(len(sessions))])
    point = stats.rankdata(-est["estimate"].to_numpy(), method="min")
    order = np.lexsort((np.array(sessions, dtype=object).astype(str), point))
    p_above = np.full(len(sessions), np.nan)
    for prev, j in zip(order[:-1], order[1:]):
        p_above[j] = float(np.mean(boot[:, j] >= boot[:, prev]))
    table = pd.DataFrame({
        TRAINING_ID: sessions,
        "estimate": est["estimate"].to_numpy(),
        "ci_low": lo_ci, "ci_high": hi_ci, "n": est["n"].to_numpy(),
        "rank": point.astype(int),
        "rank_low": np.floor(np.quantile(ranks, a, axis=0)).astype(int),
        "rank_high": np.ceil(np.quantile(ranks, 1 - a, axis=0)).astype(int),
        "tied_rank": 1 + n_better,
        "n_better": n_better,
        "p_above": p_above,
        "indistinguishable_from_above": p_above > a,
    }).sort_values(["rank", TRAINING_ID]).reset_index(drop=True)
    return RankingResult(table=table, n_boot=n_boot, level=level, dimension=dimension)


_ICC_OUTCOMES = ("gain", "pre_score", "post_score", COMPOSITE, *QUALITY_ITEMS)


def _icc_oneway(values: pd.Series, groups: pd.Series) -> float:
    """ICC(1) of the one-way ANOVA for unequal group sizes, untruncated (may be < 0)."""
    g = values.groupby(groups)
    n_i, m_i = g.count(), g.mean()
    k, N = len(n_i), int(n_i.sum())
    if k < 2 or N - k < 1:
        raise AnalysisError("a session ICC needs at least 2 sessions and more responses than sessions")
    grand = values.mean()
    msb = float((n_i * (m_i - grand) ** 2).sum() / (k - 1))
    msw = float(((values - groups.map(m_i)) ** 2).sum() / (N - k))
    m0 = (N - (n_i ** 2).sum() / N) / (k - 1)
    den = msb + (m0 - 1) * msw
    return float((msb - msw) / den) if den > 0 else 0.0


def session_icc(survey: pd.DataFrame, *, outcome: str = "gain", truncate: bool = True) -> float:
    """Share of the variance of a learner's outcome that lies between sessions (ICC(1)).

    One-way ANOVA estimator for unequal group sizes: (MSB − MSW) / (MSB + (m₀ − 1)·MSW) with
    m₀ = (N − Σnᵢ²/N)/(k − 1) (Donner 1986), truncated at 0 unless ``truncate=False``. This
    is the ICC to plan a study that samples whole sessions (see
    :func:`kexie_research.evaluation.power.design_effect`) — **on the outcome the study
    targets**: a trial of learning gains needs the ICC of the gains, not of the quality
    ratings (sessions differ much more in how they are rated than in what learners gain).

    Parameters
    ----------
    survey : DataFrame
    outcome : {"gain", "pre_score", "post_score", "overall", <quality item>}
        ``"gain"`` (default) = post − pre score of each response with both; ``"overall"``
        the quality composite; or one quality item.
    truncate : bool
        Clip a negative estimate (less variation between sessions than chance) to 0.

    Examples
    --------
    >>> df = pd.DataFrame({"training_id": list("aaabbb"), "rater_role": "learner",
    ...                    **{i: [1, 2, 3, 3, 4, 5] for i in QUALITY_ITEMS}})
    >>> round(session_icc(df, outcome="overall"), 3)  # MSB = 6, MSW = 1 → 5 / (6 + 2)
    0.625
    >>> df = df.assign(pre_score=50.0, post_score=[51, 52, 53, 53, 54, 55])
    >>> round(session_icc(df), 3)  # the same numbers as gains
    0.625
    """
    dispatch("outcome", outcome, dict.fromkeys(_ICC_OUTCOMES))
    if outcome in ("gain", PRE_SCORE, POST_SCORE):
        cols = [PRE_SCORE, POST_SCORE] if outcome == "gain" else [outcome]
        require_columns(survey, [TRAINING_ID, *cols], table="survey")
        v = pd.DataFrame({c: as_float(survey[c]) for c in cols}, index=survey.index)
        val = (v[POST_SCORE] - v[PRE_SCORE]) if outcome == "gain" else v[outcome]
        ok = val.notna()
        if not ok.any():
            raise AnalysisError(f"no response has a {'pre and a post score' if outcome == 'gain' else outcome}: "
                                "no session ICC of it")
        values = val[ok].reset_index(drop=True)
        groups = survey.loc[ok, TRAINING_ID].astype(str).reset_index(drop=True)
    else:
        long = _long_ratings(survey)
        v = long[long["dimension"] == outcome]
        values, groups = v["value"].reset_index(drop=True), v[TRAINING_ID].reset_index(drop=True)
    icc = _icc_oneway(values, groups)
    return max(0.0, icc) if truncate else icc
