"""Behaviour and results (Kirkpatrick levels 3–4): did training change representatives' duty
outputs?

Representatives are trained at different times (staggered adoption), so their yearly
outputs (``outputs`` table: proposals, research reports, suggestions adopted) can be
compared before and after training and against the not-yet-trained or never-trained:

* :func:`build_panel` — the representative × year panel with treatment timing;
* :func:`estimate_did` — two-way fixed effects (representative and year) difference in
  differences with cluster-robust standard errors, plus a Callaway–Sant'Anna-style
  group-time comparison with clean controls;
* :func:`estimate_event_study` — leads and lags around training with a joint pre-trend test;
* :func:`estimate_mixed_model` — a linear mixed model with representatives nested in
  provinces (statsmodels MixedLM), with variance components, ICCs and residual checks.

Estimand and caveat: with staggered adoption and effects that vary by cohort or grow over
time, the TWFE coefficient is a weighted average of all 2×2 comparisons including
"forbidden" ones that use already-trained representatives as controls, and can be biased
(Goodman-Bacon 2021; de Chaisemartin & D'Haultfœuille 2020). The group-time estimator
(Callaway & Sant'Anna 2021) only compares with never-trained (or not-yet-trained)
representatives and is reported next to it; when they disagree, prefer the latter.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import AnalysisError
from ..schema import END_DATE, IS_FRONTLINE, IS_REELECTED, MODALITY, PROVINCE, REP_ID, TRAINING_ID, YEAR
from ._common import check_level, dispatch, require_columns, result_to_dict, tidy

__all__ = [
    "OUTCOMES",
    "build_panel",
    "DiDResult",
    "EventStudyResult",
    "MixedModelResult",
    "estimate_did",
    "estimate_group_time",
    "GroupTimeResult",
    "estimate_event_study",
    "estimate_mixed_model",
    "twfe_fit",
]

OUTCOMES = ("proposals", "research_reports", "suggestions_adopted", "total")
"""Outcome columns of the panel; ``total`` is the sum of the three counts."""

CAVEAT = ("With staggered training and heterogeneous effects the TWFE coefficient weights "
          "2×2 comparisons that use already-trained representatives as controls and can be "
          "biased (Goodman-Bacon 2021); the group-time estimate (Callaway & Sant'Anna 2021) "
          "uses clean controls only.")

_POST_RULES = ("mid_year", "session_year", "next_year")


def _post_year(end: pd.Series, rule: str) -> pd.Series:
    end = pd.to_datetime(end)
    y = end.dt.year
    return {"mid_year": y + (end.dt.month > 6).astype(int), "session_year": y,
            "next_year": y + 1}[rule]


def build_panel(outputs: pd.DataFrame, attendance: pd.DataFrame, trainings: pd.DataFrame,
                representatives: pd.DataFrame | None = None, *,
                post_rule: Literal["mid_year", "session_year", "next_year"] = "mid_year",
                completed_only: bool = False) -> pd.DataFrame:
    """The representative × year panel of outputs with treatment timing.

    A representative's **cohort** is the first year counted as "after training" for the
    first session attended as a learner; ``post_rule`` says which year that is:
    ``"mid_year"`` (default) — the session's year if it ended by 30 June, else the next
    year (a session in November cannot change that year's proposals much);
    ``"session_year"``; ``"next_year"``. Never-trained representatives have no cohort.

    Parameters
    ----------
    outputs : DataFrame
        ``rep_id, year, proposals, research_reports, suggestions_adopted``.
    attendance, trainings : DataFrame
        Who attended what (``role == "learner"``) and when (``end_date``, ``modality``).
    representatives : DataFrame, optional
        Adds ``province``, ``is_reelected``, ``is_frontline`` (for clustering, nesting and
        segments).
    post_rule : {"mid_year", "session_year", "next_year"}
    completed_only : bool
        Count only completed attendance as training.

    Returns
    -------
    DataFrame
        ``rep_id, year, <outcomes>, total, cohort (Int64, NA = never), treated (0/1),
        rel_time (Int64), ever_treated, modality`` (+ representative columns).
    """
    dispatch("post_rule", post_rule, dict.fromkeys(_POST_RULES))
    require_columns(outputs, [REP_ID, YEAR, *OUTCOMES[:3]], table="outputs")
    require_columns(attendance, [REP_ID, TRAINING_ID], table="attendance")
    require_columns(trainings, [TRAINING_ID, END_DATE], table="trainings")
    out = outputs[[REP_ID, YEAR, *OUTCOMES[:3]]].copy()
    out[REP_ID] = out[REP_ID].astype(str)
    out[YEAR] = pd.to_numeric(out[YEAR]).astype(int)
    for c in OUTCOMES[:3]:
        out[c] = pd.to_numeric(out[c]).astype(float)
    out["total"] = out[list(OUTCOMES[:3])].sum(axis=1)
    att = attendance.copy()
    if "role" in att.columns:
        att = att[att["role"].astype(str) == "learner"]
    if completed_only and "completed" in att.columns:
        att = att[att["completed"].fillna(False).astype(bool)]
    tr = trainings.set_index(trainings[TRAINING_ID].astype(str))
    att = att.assign(**{TRAINING_ID: att[TRAINING_ID].astype(str), REP_ID: att[REP_ID].astype(str)})
    att = att[att[TRAINING_ID].isin(tr.index)]
    att["from_year"] = _post_year(tr.loc[att[TRAINING_ID], END_DATE], post_rule).to_numpy()
    if MODALITY in tr.columns:
        att[MODALITY] = tr.loc[att[TRAINING_ID], MODALITY].astype(str).to_numpy()
    else:
        att[MODALITY] = "unknown"
    first = att.sort_values(["from_year", TRAINING_ID]).groupby(REP_ID).first()
    out["cohort"] = out[REP_ID].map(first["from_year"]).astype("Int64")
    out[MODALITY] = out[REP_ID].map(first[MODALITY]).fillna("never")
    out["ever_treated"] = out["cohort"].notna().astype(int)
    out["treated"] = (out["cohort"].notna() & (out[YEAR] >= out["cohort"].fillna(10 ** 6))).astype(int)
    out["rel_time"] = (out[YEAR] - out["cohort"]).astype("Int64")
    if representatives is not None:
        cols = [c for c in (PROVINCE, IS_REELECTED, IS_FRONTLINE, "can_leave_post") if c in representatives.columns]
        rep = representatives.assign(**{REP_ID: representatives[REP_ID].astype(str)}).set_index(REP_ID)[cols]
        out = out.join(rep, on=REP_ID)
        if PROVINCE in out.columns:
            out[PROVINCE] = out[PROVINCE].astype(str)
    return out.sort_values([REP_ID, YEAR]).reset_index(drop=True)


# --------------------------------------------------------------------------- TWFE core

def _demean(arrs: np.ndarray, g1: np.ndarray, g2: np.ndarray, *, tol: float = 1e-10,
            maxiter: int = 1000) -> np.ndarray:
    """Sweep out two sets of fixed effects by alternating projections (exact for
    balanced panels in one pass; iterates to ``tol`` otherwise)."""
    x = np.array(arrs, dtype=float, copy=True)
    if x.ndim == 1:
        x = x[:, None]
    n1, n2 = g1.max() + 1, g2.max() + 1
    c1, c2 = np.bincount(g1, minlength=n1), np.bincount(g2, minlength=n2)
    for _ in range(maxiter):
        prev = x.copy()
        for g, c, n in ((g1, c1, n1), (g2, c2, n2)):
            for j in range(x.shape[1]):
                x[:, j] -= (np.bincount(g, weights=x[:, j], minlength=n) / c)[g]
        if np.abs(x - prev).max() < tol:
            break
    return x


@dataclass(frozen=True)
class _TwfeFit:
    params: np.ndarray
    cov: np.ndarray
    names: tuple[str, ...]
    n: int
    n_clusters: int
    resid: np.ndarray

    def table(self, level: float) -> pd.DataFrame:
        se = np.sqrt(np.diag(self.cov))
        df = self.n_clusters - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            t = self.params / se
        q = stats.t.ppf(0.5 + level / 2, df)
        return pd.DataFrame({"term": list(self.names), "estimate": self.params, "std_error": se,
                             "ci_low": self.params - q * se, "ci_high": self.params + q * se,
                             "p": 2 * stats.t.sf(np.abs(t), df), "n": self.n})

    def wald(self, idx: Sequence[int]) -> tuple[float, int, int, float]:
        """Joint test that the coefficients ``idx`` are 0: (F, df1, df2, p)."""
        idx = list(idx)
        b = self.params[idx]
        v = self.cov[np.ix_(idx, idx)]
        w = float(b @ np.linalg.pinv(v) @ b) / len(idx)
        df2 = self.n_clusters - 1
        return w, len(idx), df2, float(stats.f.sf(w, len(idx), df2))


def twfe_fit(y: np.ndarray, X: np.ndarray, unit: np.ndarray, time: np.ndarray,
             cluster: np.ndarray, names: Sequence[str]) -> _TwfeFit:
    """OLS of y on X with unit and time fixed effects swept out, cluster-robust covariance.

    The covariance is statsmodels' cluster-robust (CR1) one on the demeaned data:
    G/(G − 1)·(N − 1)/(N − K) with K the number of regressors in X — fixed effects nested
    in the clusters are not counted, as in Stata's ``xtreg, fe vce(cluster)``. Inference
    uses t with G − 1 degrees of freedom.
    """
    import statsmodels.api as sm

    u = pd.factorize(unit)[0]
    t = pd.factorize(time)[0]
    c = pd.factorize(cluster)[0]
    dm = _demean(np.column_stack([y, X]), u, t)
    yd, Xd = dm[:, 0], dm[:, 1:]
    keep = np.abs(Xd).max(axis=0) > 1e-12
    if not keep.all():
        dropped = [n for n, k in zip(names, keep) if not k]
        raise AnalysisError(f"regressor(s) {', '.join(dropped)} vanish after removing "
                            "representative and year effects (no variation within representatives "
                            "over time: nobody changes treatment status in the data)")
    if np.linalg.matrix_rank(Xd) < Xd.shape[1]:
        raise AnalysisError(f"regressors {', '.join(names)} are collinear with the representative "
                            "and year effects (e.g. every representative is trained and there are "
                            "no never-trained controls, so leads/lags cannot be told apart from years)")
    G = int(c.max() + 1)
    if G < 2:
        raise AnalysisError("cluster-robust errors need at least 2 clusters")
    res = sm.OLS(yd, Xd).fit(cov_type="cluster", cov_kwds={"groups": c}, use_t=True)
    return _TwfeFit(params=np.asarray(res.params), cov=np.asarray(res.cov_params()),
                    names=tuple(names), n=len(y), n_clusters=G, resid=np.asarray(res.resid))


def _check_panel(panel: pd.DataFrame, outcome: str, cluster: str) -> pd.DataFrame:
    dispatch("outcome", outcome, dict.fromkeys(OUTCOMES))
    require_columns(panel, [REP_ID, YEAR, outcome, "treated", "cohort", cluster], table="panel")
    p = panel.dropna(subset=[outcome, cluster])
    if p.empty:
        raise AnalysisError(f"no rows with a value of {outcome!r}")
    if p["treated"].sum() == 0:
        raise AnalysisError("nobody in the outputs panel is observed after training: no "
                            "treatment effect can be estimated")
    if (p["treated"] == 0).sum() == 0:
        raise AnalysisError("every representative-year is after training: no comparison "
                            "observations (not-yet or never trained)")
    return p


# --------------------------------------------------------------------------- group-time

@dataclass(frozen=True)
class GroupTimeResult:
    """Group-time effects.

    Attributes
    ----------
    cells : DataFrame
        ``cohort, year, rel_time, estimate, std_error, ci_low, ci_high, n`` — ATT(g, t).
    overall : dict
        ``estimate, std_error, ci_low, ci_high, p, n_boot, control, n_units, n_treated_units``
        — post-training cells averaged with cohort-size weights.
    dynamic : DataFrame
        ``rel_time, estimate, std_error, ci_low, ci_high, n, n_cohorts`` — cells averaged by
        years since training (pre-training rows are placebo checks, base year −1).
    """

    cells: pd.DataFrame
    overall: dict
    dynamic: pd.DataFrame

    def to_dict(self) -> dict:
        return result_to_dict(self)


def estimate_group_time(panel: pd.DataFrame, *, outcome: str = "proposals",
                        control: Literal["never_treated", "not_yet_treated"] = "never_treated",
                        n_boot: int = 199, level: float = 0.95,
                        rng: np.random.Generator | int | None = None) -> "GroupTimeResult":
    """Callaway–Sant'Anna-style group-time average effects ATT(g, t), unconditional.

    For cohort g (first post year) and year t, with base year g − 1:
    ATT(g, t) = E[Y_t − Y_{g−1} | cohort g] − E[Y_t − Y_{g−1} | control], controls being the
    never-trained (or, with ``"not_yet_treated"``, also those whose cohort is after
    max(t, g − 1)). Post-period cells (t ≥ g) are averaged with weights ∝ cohort size into
    the overall ATT; pre-period cells (t < g − 1) are placebo checks; the cells of equal
    relative time t − g are averaged the same way into a dynamic (event-study) profile that,
    unlike TWFE leads and lags, is not contaminated by other periods' effects. Standard
    errors and percentile intervals by a nonparametric bootstrap over representatives
    (seeded; the same draws for every aggregate).

    Returns
    -------
    GroupTimeResult

    References
    ----------
    Callaway, B., & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
    periods. *Journal of Econometrics*, 225(2), 200–230.
    """
    dispatch("control", control, dict.fromkeys(("never_treated", "not_yet_treated")))
    level = check_level(level)
    rng = np.random.default_rng(rng)
    wide = panel.pivot_table(index=REP_ID, columns=YEAR, values=outcome, aggfunc="mean")
    years = list(wide.columns)
    cohort = panel.groupby(REP_ID)["cohort"].first().reindex(wide.index)
    coh = cohort.to_numpy(dtype=float, na_value=np.nan)
    Y = wide.to_numpy(dtype=float)
    never = np.isnan(coh)
    if control == "never_treated" and not never.any():
        raise AnalysisError("no never-trained representatives to compare with; use "
                            "control='not_yet_treated'")
    cols, meta = [], []
    for g in sorted(set(coh[~never].astype(int))):
        if g - 1 not in years:
            continue
        base = Y[:, years.index(g - 1)]
        treat = coh == g
        for t in years:
            if t == g - 1:
                continue
            ctrl = never.copy() if control == "never_treated" else (never | (coh > max(t, g - 1)))
            ctrl &= ~treat
            dy = Y[:, years.index(t)] - base
            ok = ~np.isnan(dy)
            if (treat & ok).sum() < 1 or (ctrl & ok).sum() < 2:
                continue
            cols.append((dy, treat & ok, ctrl & ok))
            meta.append((g, t, int((treat & ok).sum())))
    if not cols:
        raise AnalysisError("no cohort has a pre-training base year and comparison units in the data")
    N = len(Y)
    D = np.column_stack([np.nan_to_num(c[0]) for c in cols])
    T = np.column_stack([c[1] for c in cols]).astype(float)
    C = np.column_stack([c[2] for c in cols]).astype(float)

    def att(w):  # w: (B, N) unit weights
        with np.errstate(invalid="ignore", divide="ignore"):
            return (w @ (D * T)) / (w @ T) - (w @ (D * C)) / (w @ C)

    est = att(np.ones((1, N)))[0]
    W = rng.multinomial(N, np.full(N, 1.0 / N), size=n_boot).astype(float)
    boot = att(W)
    cells = pd.DataFrame(meta, columns=["cohort", YEAR, "n"])
    cells["rel_time"] = cells[YEAR] - cells["cohort"]
    cells["estimate"] = est
    cells["std_error"] = np.nanstd(boot, axis=0, ddof=1)
    a = (1 - level) / 2
    cells["ci_low"] = np.nanquantile(boot, a, axis=0)
    cells["ci_high"] = np.nanquantile(boot, 1 - a, axis=0)
    post = (cells["rel_time"] >= 0).to_numpy()
    if not post.any():
        raise AnalysisError("no post-training year observed for any cohort with a base year")
    nb = np.nan_to_num(boot)
    okb = (~np.isnan(boot)).astype(float)

    def agg(mask):
        """Cohort-size-weighted mean of the cells in ``mask``: (estimate, bootstrap draws)."""
        w = cells["n"].to_numpy(float) * mask
        with np.errstate(invalid="ignore", divide="ignore"):
            return float(est @ w / w.sum()), (nb @ w) / (okb @ w)

    o_est, o_boot = agg(post)
    o_se = float(np.nanstd(o_boot, ddof=1))
    overall = {"estimate": o_est, "std_error": o_se,
               "ci_low": float(np.nanquantile(o_boot, a)), "ci_high": float(np.nanquantile(o_boot, 1 - a)),
               "p": float(2 * stats.norm.sf(abs(o_est / o_se))) if o_se > 0 else float("nan"),
               "n_boot": int(n_boot), "control": control,
               "n_units": int(N), "n_treated_units": int((~never).sum())}
    rows = []
    for e in sorted(cells["rel_time"].unique()):
        m = (cells["rel_time"] == e).to_numpy()
        ee, eb = agg(m)
        rows.append({"rel_time": int(e), "estimate": ee, "std_error": float(np.nanstd(eb, ddof=1)),
                     "ci_low": float(np.nanquantile(eb, a)), "ci_high": float(np.nanquantile(eb, 1 - a)),
                     "n": int(cells.loc[m, "n"].sum()), "n_cohorts": int(m.sum())})
    dynamic = tidy(pd.DataFrame(rows), ["rel_time"])
    cells = tidy(cells, ["cohort", YEAR, "rel_time"])
    return GroupTimeResult(cells=cells, overall=overall, dynamic=dynamic)


# --------------------------------------------------------------------------- DiD

@dataclass(frozen=True)
class DiDResult:
    """Difference in differences of one outcome.

    Attributes
    ----------
    table : DataFrame
        ``method, term, estimate, std_error, ci_low, ci_high, p, n`` — the TWFE coefficient
        (``twfe``) and the group-time aggregate (``group_time``).
    group_time : DataFrame
        ATT(g, t) cells (see :func:`estimate_group_time`).
    group_time_dynamic : DataFrame
        Cells averaged by years since training (a contamination-free event study).
    outcome, cluster : str
    n_units, n_treated_units, n_clusters : int
    estimand, caveat : str
    diagnostics : dict
        ``mean_outcome_untreated``, ``twfe_minus_group_time``, ``share_treated_obs``,
        ``group_time_control`` and ``group_time_skipped`` (the reason, when it could not run).
    """

    table: pd.DataFrame
    group_time: pd.DataFrame
    group_time_dynamic: pd.DataFrame
    outcome: str
    cluster: str
    n_units: int
    n_treated_units: int
    n_clusters: int
    estimand: str
    caveat: str
    diagnostics: dict = field(default_factory=dict)

    @property
    def twfe(self) -> pd.Series:
        return self.table.set_index("method").loc["twfe"]

    def to_dict(self) -> dict:
        return result_to_dict(self)


def estimate_did(panel: pd.DataFrame, *, outcome: str = "proposals", cluster: str = REP_ID,
                 control: Literal["auto", "never_treated", "not_yet_treated"] = "auto",
                 n_boot: int = 199, level: float = 0.95,
                 rng: np.random.Generator | int | None = None) -> DiDResult:
    """Difference in differences of duty outputs, trained vs not-yet/never trained.

    ``y_it = α_i + γ_t + β·D_it + ε_it`` with D_it = 1 from the representative's cohort
    year on; β by OLS with representative and year effects swept out, cluster-robust
    standard errors (by ``cluster``: ``rep_id`` or ``province``; see :func:`twfe_fit`).
    The group-time aggregate (:func:`estimate_group_time`) is added with clean controls.

    Parameters
    ----------
    panel : DataFrame
        From :func:`build_panel`.
    outcome : {"proposals", "research_reports", "suggestions_adopted", "total"}
    cluster : str
        Column to cluster on (``"rep_id"`` or ``"province"``).
    control : {"auto", "never_treated", "not_yet_treated"}
        Controls of the group-time estimator; ``"auto"`` uses the never-trained when there
        are any, else the not-yet-trained.
    n_boot : int
        Bootstrap replicates of the group-time estimator.
    level : float
    rng : Generator or int, optional

    Returns
    -------
    DiDResult
    """
    level = check_level(level)
    p = _check_panel(panel, outcome, cluster)
    dispatch("control", control, dict.fromkeys(("auto", "never_treated", "not_yet_treated")))
    if control == "auto":
        control = "never_treated" if p["cohort"].isna().any() else "not_yet_treated"
    fit = twfe_fit(p[outcome].to_numpy(float), p[["treated"]].to_numpy(float), p[REP_ID].to_numpy(),
                   p[YEAR].to_numpy(), p[cluster].to_numpy(), ["treated"])
    tw = fit.table(level).assign(method="twfe")
    skipped = None
    try:
        gtr = estimate_group_time(p, outcome=outcome, control=control, n_boot=n_boot,
                                  level=level, rng=rng)
        cells, overall, dynamic = gtr.cells, gtr.overall, gtr.dynamic
        gt = pd.DataFrame([{"method": "group_time", "term": "treated", **{k: overall[k] for k in
                            ("estimate", "std_error", "ci_low", "ci_high", "p")}, "n": len(p)}])
        table = pd.concat([tw, gt], ignore_index=True)
        diff = float(tw["estimate"].iloc[0] - overall["estimate"])
    except AnalysisError as exc:
        cells = pd.DataFrame(columns=["cohort", YEAR, "rel_time", "estimate", "std_error", "ci_low", "ci_high", "n"])
        dynamic = pd.DataFrame(columns=["rel_time", "estimate", "std_error", "ci_low", "ci_high", "n", "n_cohorts"])
        table, diff = tw, float("nan")
        skipped = str(exc)
    units = p.groupby(REP_ID)["ever_treated"].first() if "ever_treated" in p.columns else \
        p.groupby(REP_ID)["cohort"].first().notna()
    return DiDResult(
        table=tidy(table, ["method", "term"]), group_time=cells, group_time_dynamic=dynamic,
        outcome=outcome, cluster=cluster,
        n_units=int(p[REP_ID].nunique()), n_treated_units=int(units.sum()), n_clusters=fit.n_clusters,
        estimand=("TWFE: variance-weighted average of 2×2 DiD comparisons (ATT if effects are "
                  "homogeneous); group_time: ATT averaged over cohorts and post-training years, "
                  "weighted by cohort size"),
        caveat=CAVEAT,
        diagnostics={"mean_outcome_untreated": float(p.loc[p["treated"] == 0, outcome].mean()),
                     "twfe_minus_group_time": diff,
                     "share_treated_obs": float(p["treated"].mean()),
                     "group_time_control": control, "group_time_skipped": skipped})


# --------------------------------------------------------------------------- event study

@dataclass(frozen=True)
class EventStudyResult:
    """Leads and lags of training.

    Attributes
    ----------
    table : DataFrame
        ``rel_time, estimate, std_error, ci_low, ci_high, p, n, reference`` — the reference
        period (−1) is a row with estimate 0 and no interval; endpoints are binned
        (``rel_time`` = −leads means "−leads or earlier").
    pretrend_F, pretrend_p : float
        Joint Wald test that all leads (before −1) are 0 (cluster-robust, F(q, G − 1)).
    reference : int
    outcome, cluster : str
    n_clusters : int
    caveat : str
    """

    table: pd.DataFrame
    pretrend_F: float
    pretrend_df: int
    pretrend_p: float
    reference: int
    outcome: str
    cluster: str
    n_clusters: int
    caveat: str

    def to_dict(self) -> dict:
        return result_to_dict(self)


def estimate_event_study(panel: pd.DataFrame, *, outcome: str = "proposals", leads: int = 3,
                         lags: int = 3, reference: int = -1, cluster: str = REP_ID,
                         level: float = 0.95) -> EventStudyResult:
    """Event-study regression of outputs on leads and lags of training.

    ``y_it = α_i + γ_t + Σ_k β_k·1[t − g_i = k] + ε_it`` for k from −``leads`` to ``lags``
    except ``reference``; relative times beyond the window are binned into the endpoints;
    never-trained representatives have all indicators 0. Leads near 0 and a large
    pre-trend p-value support (they cannot prove) parallel trends.

    Parameters
    ----------
    panel : DataFrame
    outcome : str
    leads, lags : int
        Window (leads ≥ 2 so that at least one lead is tested).
    reference : int
        Omitted period (default −1, the year before training).
    cluster : str
    level : float

    Returns
    -------
    EventStudyResult
    """
    level = check_level(level)
    if leads < 2 or lags < 0:
        raise ValueError(f"need leads >= 2 and lags >= 0, got leads={leads}, lags={lags}")
    if not -leads <= reference < 0:
        raise ValueError(f"reference must be a lead between -{leads} and -1, got {reference}")
    p = _check_panel(panel, outcome, cluster)
    rel = p["rel_time"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    binned = np.clip(rel, -leads, lags)
    ks = [k for k in range(-leads, lags + 1) if k != reference]
    present = [k for k in ks if (binned == k).any()]
    if not any(k < reference for k in present):
        raise AnalysisError("no representative is observed before the reference year: the "
                            "pre-trend cannot be tested")
    X = np.column_stack([(binned == k).astype(float) for k in present])
    names = [f"rel_{k}" for k in present]
    fit = twfe_fit(p[outcome].to_numpy(float), X, p[REP_ID].to_numpy(), p[YEAR].to_numpy(),
                   p[cluster].to_numpy(), names)
    tab = fit.table(level)
    tab["rel_time"] = present
    tab["n"] = [int((binned == k).sum()) for k in present]
    tab["reference"] = False
    ref = pd.DataFrame([{"rel_time": reference, "estimate": 0.0, "std_error": np.nan, "ci_low": np.nan,
                         "ci_high": np.nan, "p": np.nan, "n": int((binned == reference).sum()),
                         "reference": True, "term": f"rel_{reference}"}])
    tab = pd.concat([tab, ref], ignore_index=True).sort_values("rel_time")
    lead_idx = [i for i, k in enumerate(present) if k < reference]
    F, q, _, pp = fit.wald(lead_idx)
    return EventStudyResult(table=tidy(tab, ["rel_time", "term"]), pretrend_F=F, pretrend_df=q,
                            pretrend_p=pp, reference=reference, outcome=outcome, cluster=cluster,
                            n_clusters=fit.n_clusters,
                            caveat="TWFE event-study coefficients can be contaminated by effects "
                                   "from other periods under heterogeneous effects (Sun & Abraham "
                                   "2021); compare with the group-time cells.")


# --------------------------------------------------------------------------- mixed model

@dataclass(frozen=True)
class MixedModelResult:
    """Linear mixed model: treatment effect with province and representative random effects.

    Attributes
    ----------
    table : DataFrame
        ``term, estimate, std_error, ci_low, ci_high, p, n`` for ``treated``.
    variance : DataFrame
        ``component, variance, share`` (province, representative within province, residual).
    icc_province, icc_representative : float
        Share of variance between provinces; between representatives (province + rep).
    converged : bool
    diagnostics : dict
        Residual ``skew``, ``excess_kurtosis``, ``jarque_bera_p``, ``resid_sd``,
        ``n_groups``, ``warnings`` raised while fitting, ``formula``.
    """

    table: pd.DataFrame
    variance: pd.DataFrame
    icc_province: float
    icc_representative: float
    converged: bool
    diagnostics: dict

    def to_dict(self) -> dict:
        return result_to_dict(self)


def _nested_reml(y: np.ndarray, X: np.ndarray, unit: np.ndarray, group: np.ndarray):
    """REML fit of y = Xβ + u_group + v_unit + e with units nested in groups.

    Closed-form covariance algebra (Woodbury twice): with ratios ρ_u = σ²_u/σ²_e and
    ρ_g = σ²_g/σ²_e, H = V/σ²_e is block-diagonal by group with compound-symmetric unit
    blocks, so H⁻¹x and log|H| need only unit and group sums. σ²_e is profiled out and
    the two ratios are found by L-BFGS-B on [0, ∞). Returns a dict with beta, cov_beta,
    variances (group, unit, residual), loglik (REML), converged, resid.
    """
    from scipy import optimize

    N, K = X.shape
    u = pd.factorize(unit)[0]
    gu = pd.Series(pd.factorize(group)[0]).groupby(u).first().to_numpy()  # group of each unit
    if (pd.Series(pd.factorize(group)[0]).groupby(u).nunique() > 1).any():
        raise AnalysisError("representatives must be nested in provinces (a representative "
                            "appears in two provinces)")
    T = np.bincount(u).astype(float)
    nu, ng = len(T), int(gu.max() + 1)
    M = np.column_stack([y, X])
    sums_u = np.stack([np.bincount(u, weights=M[:, j], minlength=nu) for j in range(M.shape[1])], 1)

    def parts(theta):
        rho_u, rho_g = theta
        w = 1.0 / (1.0 + T * rho_u)           # A⁻¹1 on each unit block
        kappa = rho_u * w                     # A⁻¹ = I − κ J on each unit block
        s_g = np.bincount(gu, weights=T * w, minlength=ng)
        ainv = M - (kappa[:, None] * sums_u)[u]
        one_ainv = np.stack([np.bincount(gu, weights=sums_u[:, j] * w, minlength=ng)
                             for j in range(M.shape[1])], 1)            # 1'A⁻¹M per group
        fac = rho_g / (1.0 + rho_g * s_g)
        hinv = ainv - (w[:, None] * (fac[:, None] * one_ainv)[gu])[u]   # H⁻¹M
        # einsum, not BLAS: a tall-skinny product is ~10x slower through a threaded BLAS
        # on a busy machine
        G = np.einsum("ij,ik->jk", M, hinv)
        logdet = float(np.sum(np.log1p(T * rho_u)) + np.sum(np.log1p(rho_g * s_g)))
        return G, logdet, hinv

    def negll(theta):
        G, logdet, _ = parts(theta)
        xhx, xhy, yhy = G[1:, 1:], G[1:, 0], G[0, 0]
        sign, ld_x = np.linalg.slogdet(xhx)
        if sign <= 0:
            return 1e12
        beta = np.linalg.solve(xhx, xhy)
        rhr = yhy - beta @ xhy
        if rhr <= 0:
            return 1e12
        return 0.5 * ((N - K) * np.log(rhr / (N - K)) + logdet + ld_x)

    best = None
    # a second start only to confirm a solution on or near the boundary
    for start in ((0.5, 0.1), (2.0, 0.5), (0.05, 0.01)):
        r = optimize.minimize(negll, np.array(start), method="L-BFGS-B",
                              bounds=[(0.0, 1e6), (0.0, 1e6)], options={"ftol": 1e-12, "gtol": 1e-8})
        if best is None or r.fun < best.fun:
            best = r
        if best.success and (best.x > 1e-4).all():
            break
    G, logdet, hinv = parts(best.x)
    xhx, xhy, yhy = G[1:, 1:], G[1:, 0], G[0, 0]
    beta = np.linalg.solve(xhx, xhy)
    sig2 = (yhy - beta @ xhy) / (N - K)
    cov = sig2 * np.linalg.inv(xhx)
    return {"beta": beta, "cov_beta": cov, "var_group": float(sig2 * best.x[1]),
            "var_unit": float(sig2 * best.x[0]), "var_resid": float(sig2),
            "neg_reml_loglik": float(best.fun), "converged": bool(best.success),
            "resid": hinv[:, 0] - hinv[:, 1:] @ beta,  # conditional residuals H⁻¹(y − Xβ)
            "boundary": bool((best.x < 1e-6).any())}


_ENGINES = ("auto", "statsmodels", "closed_form")


def estimate_mixed_model(panel: pd.DataFrame, *, outcome: str = "proposals",
                         groups: str = PROVINCE, nested: str | None = REP_ID,
                         engine: Literal["auto", "statsmodels", "closed_form"] = "auto",
                         max_units_statsmodels: int = 150, level: float = 0.95) -> MixedModelResult:
    """Mixed-effects model ``y ~ treated + C(year)`` with representatives nested in provinces.

    Random intercepts for ``groups`` (provinces) and, when ``nested`` is given, for
    representatives within them, fitted by REML. Unlike TWFE it pools between- and
    within-representative information, so it assumes training is unrelated to the
    representative effect (random-effects assumption); compare with :func:`estimate_did`.

    Engines: ``"statsmodels"`` fits ``MixedLM`` with a ``vc_formula`` for the nested
    level — exact but slow for many representatives (about a minute for 1,600 × 6 on a
    busy 2-core machine); ``"closed_form"`` fits the same REML likelihood with the
    covariance algebra of nested random intercepts (Woodbury identity; milliseconds) and is
    tested to agree with ``MixedLM``; ``"auto"`` uses statsmodels up to
    ``max_units_statsmodels`` representatives and the closed form above. Without
    ``nested`` statsmodels is always used.

    Returns
    -------
    MixedModelResult
    """
    import statsmodels.formula.api as smf

    level = check_level(level)
    dispatch("outcome", outcome, dict.fromkeys(OUTCOMES))
    dispatch("engine", engine, dict.fromkeys(_ENGINES))
    cols = [REP_ID, YEAR, outcome, "treated", groups] + ([nested] if nested else [])
    require_columns(panel, cols, table="panel")
    d = panel[list(dict.fromkeys(cols))].dropna().copy()
    d = d.rename(columns={outcome: "y"})
    d["_g"] = d[groups].astype(str)
    if d["_g"].nunique() < 2:
        raise AnalysisError(f"the mixed model needs at least 2 {groups} groups")
    if d["treated"].nunique() < 2:
        raise AnalysisError("the mixed model needs both trained and untrained observations")
    formula = "y ~ treated + C(year)"
    n_units = int(d[nested].nunique()) if nested else 0
    use = "statsmodels" if (nested is None or engine == "statsmodels" or
                            (engine == "auto" and n_units <= max_units_statsmodels)) else "closed_form"
    msgs: list[str] = []
    if use == "statsmodels":
        vc = {"rep": f"0 + C({nested})"} if nested else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = smf.mixedlm(formula, d, groups=d["_g"], re_formula="1", vc_formula=vc)
            try:
                res = model.fit(reml=True, method=["lbfgs", "powell"])
            except np.linalg.LinAlgError:  # lbfgs can step onto a singular point near a 0 variance
                res = model.fit(reml=True, method=["powell"])
        msgs = sorted({str(w.message).split("\n")[0] for w in caught})
        b, se = float(res.fe_params["treated"]), float(res.bse_fe["treated"])
        v_prov = float(np.asarray(res.cov_re)[0, 0])
        v_rep = float(np.asarray(res.vcomp)[0]) if nested else 0.0
        v_res = float(res.scale)
        r = np.asarray(res.resid, dtype=float)
        converged = bool(res.converged)
        boundary = min(v_prov, v_rep if nested else 1.0) < 1e-8
    else:
        years = sorted(d[YEAR].unique())
        X = np.column_stack([np.ones(len(d)), d["treated"].to_numpy(float)]
                            + [(d[YEAR] == yv).to_numpy(float) for yv in years[1:]])
        fit = _nested_reml(d["y"].to_numpy(float), X, d[nested].to_numpy(), d["_g"].to_numpy())
        b, se = float(fit["beta"][1]), float(np.sqrt(fit["cov_beta"][1, 1]))
        v_prov, v_rep, v_res = fit["var_group"], fit["var_unit"], fit["var_resid"]
        r, converged, boundary = fit["resid"], fit["converged"], fit["boundary"]
    if boundary:
        msgs.append("a variance component is estimated at 0 (boundary of the parameter space)")
    q = stats.norm.ppf(0.5 + level / 2)
    table = pd.DataFrame([{"term": "treated", "estimate": b, "std_error": se, "ci_low": b - q * se,
                           "ci_high": b + q * se, "p": float(2 * stats.norm.sf(abs(b / se))), "n": len(d)}])
    tot = v_prov + v_rep + v_res
    variance = pd.DataFrame({"component": [groups, f"{nested} within {groups}" if nested else "-", "residual"],
                             "variance": [v_prov, v_rep, v_res]})
    variance["share"] = variance["variance"] / tot
    if not nested:
        variance = variance.iloc[[0, 2]].reset_index(drop=True)
    jb = stats.jarque_bera(r)
    diag = {"skew": float(stats.skew(r)), "excess_kurtosis": float(stats.kurtosis(r)),
            "jarque_bera_p": float(jb.pvalue), "resid_sd": float(r.std(ddof=1)),
            "n_groups": int(d["_g"].nunique()), "n_units": int(d[REP_ID].nunique()),
            "warnings": msgs, "engine": use,
            "formula": formula + f" + (1 | {groups})" + (f" + (1 | {groups}:{nested})" if nested else ""),
            "method": "REML"}
    return MixedModelResult(table=tidy(table, ["term"]), variance=variance,
                            icc_province=v_prov / tot, icc_representative=(v_prov + v_rep) / tot,
                            converged=converged, diagnostics=diag)
