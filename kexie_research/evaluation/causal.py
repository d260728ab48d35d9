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
from ..io import to_jsonable
from ..schema import END_DATE, IS_FRONTLINE, IS_REELECTED, MODALITY, PROVINCE, REP_ID, TRAINING_ID, YEAR
from ._common import check_level, dispatch, require_columns, result_to_dict, tidy
from .group_time import CONTROLS, DiDPanel, GroupTimeResult, estimate_group_time, prepare_did_panel

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
    "prepare_did_panel",
    "DiDPanel",
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
        ``attrs["post_rule"]`` and ``attrs["notes"]`` say which rule made the cohorts and
        how many representatives it moved to the year after their session.
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
    end = pd.to_datetime(tr.loc[first[TRAINING_ID], END_DATE]).to_numpy() if len(first) else []
    moved = int((pd.DatetimeIndex(end).year < first["from_year"].to_numpy()).sum()) if len(first) else 0
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
    out = out.sort_values([REP_ID, YEAR]).reset_index(drop=True)
    out.attrs["post_rule"] = post_rule
    out.attrs["cohorts"] = {"post_rule": post_rule, "n_trained": int(len(first)), "n_next_year": moved}
    out.attrs["notes"] = (_POST_RULE_TEXT[post_rule] + (
        f": {moved} of {len(first)} trained representatives are counted as treated from the year "
        "after their first session" if moved else ""),)
    return out


_POST_RULE_TEXT = {
    "mid_year": "cohort = the year of the first session if it ended by 30 June, else the next year "
                "(post_rule='mid_year')",
    "session_year": "cohort = the year of the first session (post_rule='session_year')",
    "next_year": "cohort = the year after the first session (post_rule='next_year')",
}


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
    """The built-in panel's rows with an outcome and a cluster (heterogeneity models)."""
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
        ``group_time_control`` (the controls used: ``"never_treated"`` or
        ``"not_yet_treated"``, also when ``"auto"`` chose them) and ``group_time_skipped``
        (the reason, when it could not run).
    choices : dict
        Every option in force (controls requested and used, base period, SE method,
        cluster, late cohorts, column names).
    notes : tuple of str
        What was recoded or left out (first treatment 0, late or always-treated cohorts...).
    group_time_result : GroupTimeResult or None
        The full group-time result (cells, aggregations); not in :meth:`to_dict`, whose
        ``group_time`` and ``group_time_dynamic`` carry its tables.
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
    choices: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    _group_time: GroupTimeResult | None = field(default=None, repr=False)

    @property
    def twfe(self) -> pd.Series:
        return self.table.set_index("method").loc["twfe"]

    @property
    def group_time_result(self) -> GroupTimeResult | None:
        return self._group_time

    def to_dict(self) -> dict:
        out = result_to_dict(self)
        if self._group_time is not None:
            out["group_time_aggregates"] = to_jsonable(self._group_time.aggregates)
            out["group_time_groups"] = to_jsonable(self._group_time.groups)
            out["group_time_calendar"] = to_jsonable(self._group_time.calendar)
        return out


def _checked(p: DiDPanel) -> None:
    f = p.frame
    if f.empty:
        raise AnalysisError(f"no rows with a value of {p.outcome!r}")
    if f["treated"].sum() == 0:
        raise AnalysisError("nobody in the outputs panel is observed after training: no "
                            "treatment effect can be estimated")
    if (f["treated"] == 0).sum() == 0:
        raise AnalysisError("every representative-year is after training: no comparison "
                            "observations (not-yet or never trained)")


def estimate_did(panel: pd.DataFrame, *, outcome: str = "proposals", unit: str = REP_ID, time: str = YEAR,
                 cohort: str = "cohort", cluster: str = REP_ID,
                 control: Literal["auto", "never_treated", "not_yet_treated"] = "auto",
                 base_period: Literal["varying", "universal"] = "varying",
                 se: Literal["bootstrap", "analytic"] = "bootstrap",
                 late_cohorts: Literal["never_treated", "drop"] = "never_treated",
                 n_boot: int = 199, level: float = 0.95,
                 rng: np.random.Generator | int | None = None) -> DiDResult:
    """Difference in differences: TWFE and the group-time (Callaway–Sant'Anna) aggregate.

    ``y_it = α_i + γ_t + β·D_it + ε_it`` with D_it = 1 from the unit's first treated period
    on; β by OLS with unit and period effects swept out, cluster-robust standard errors
    (see :func:`twfe_fit`). The group-time aggregate (:func:`estimate_group_time`) is added
    with clean controls.

    Parameters
    ----------
    panel : DataFrame
        :func:`build_panel`'s output (the defaults name its columns) or any long panel.
    outcome : str
        Outcome column: any number (a count, a rate, a log).
    unit, time, cohort : str
        Unit id, period (whole numbers) and first treated period (0 or missing = never
        treated, the R/csdid convention).
    cluster : str
        Column to cluster on (e.g. ``"rep_id"``, ``"province"``, a state); constant within
        units. Used by both estimators.
    control : {"auto", "never_treated", "not_yet_treated"}
        Controls of the group-time estimator; ``"auto"`` uses the never treated when there
        are any (after recoding 0 and late cohorts), else the not yet treated. The choice
        made is ``diagnostics["group_time_control"]``.
    base_period, se, late_cohorts
        See :func:`estimate_group_time` (defaults as R's ``did``: ``"varying"``; late
        cohorts count as never treated).
    n_boot : int
        Bootstrap replicates of the group-time estimator (``se="bootstrap"``).
    level : float
    rng : Generator or int, optional

    Returns
    -------
    DiDResult
    """
    level = check_level(level)
    dispatch("control", control, dict.fromkeys(("auto", *CONTROLS)))
    p = prepare_did_panel(panel, unit=unit, time=time, cohort=cohort, outcome=outcome, cluster=cluster,
                          late_cohorts=late_cohorts)
    _checked(p)
    f = p.frame
    chosen = control
    if control == "auto":
        chosen = "never_treated" if f["_g"].isna().any() else "not_yet_treated"
    fit = twfe_fit(f["_y"].to_numpy(float), f[["treated"]].to_numpy(float), f["_unit"].to_numpy(),
                   f["_time"].to_numpy(), f["_cl"].to_numpy(), ["treated"])
    tw = fit.table(level).assign(method="twfe")
    skipped, gtr = None, None
    try:
        gtr = estimate_group_time(panel, outcome=outcome, unit=unit, time=time, cohort=cohort,
                                  control=chosen, base_period=base_period, se=se, cluster=cluster,
                                  late_cohorts=late_cohorts, n_boot=n_boot, level=level, rng=rng)
        cells, overall, dynamic = gtr.cells, gtr.overall, gtr.dynamic
        gt = pd.DataFrame([{"method": "group_time", "term": "treated", **{k: overall[k] for k in
                            ("estimate", "std_error", "ci_low", "ci_high", "p")}, "n": len(f)}])
        table = pd.concat([tw, gt], ignore_index=True)
        diff = float(tw["estimate"].iloc[0] - overall["estimate"])
    except AnalysisError as exc:
        cells = pd.DataFrame(columns=["cohort", YEAR, "rel_time", "estimate", "std_error", "ci_low", "ci_high", "n"])
        dynamic = pd.DataFrame(columns=["rel_time", "estimate", "std_error", "ci_low", "ci_high", "n", "n_cohorts"])
        table, diff = tw, float("nan")
        skipped = str(exc)
    units = f.groupby("_unit")["_g"].first()
    choices = dict(gtr.choices) if gtr is not None else {
        "control": chosen, "base_period": base_period, "se": se, "cluster": cluster,
        "late_cohorts": late_cohorts, "unit": unit, "time": time, "cohort": cohort, "outcome": outcome}
    choices["control_requested"] = control
    return DiDResult(
        table=tidy(table, ["method", "term"]), group_time=cells, group_time_dynamic=dynamic,
        outcome=outcome, cluster=cluster,
        n_units=int(len(units)), n_treated_units=int(units.notna().sum()), n_clusters=fit.n_clusters,
        estimand=("TWFE: variance-weighted average of 2×2 DiD comparisons (ATT if effects are "
                  "homogeneous); group_time: ATT per unit ever treated, averaged over cohorts and "
                  "post-treatment periods, weighted by cohort size"),
        caveat=CAVEAT,
        diagnostics={"mean_outcome_untreated": float(f.loc[f["treated"] == 0, "_y"].mean()),
                     "twfe_minus_group_time": diff,
                     "share_treated_obs": float(f["treated"].mean()),
                     "group_time_control": chosen, "group_time_skipped": skipped},
        choices=choices, notes=tuple(dict.fromkeys(p.notes + (gtr.notes if gtr is not None else ()))),
        _group_time=gtr)


# --------------------------------------------------------------------------- event study

@dataclass(frozen=True)
class EventStudyResult:
    """Leads and lags of treatment (TWFE event study).

    Attributes
    ----------
    table : DataFrame
        ``rel_time, estimate, std_error, ci_low, ci_high, p, n, reference`` — the reference
        period (−1) is a row with estimate 0 and no interval. Without binning (the default)
        every observed relative time has its own row; with ``leads``/``lags`` given, the
        endpoints are binned (``rel_time`` = −leads means "−leads or earlier").
    pretrend_F, pretrend_p : float
        Joint Wald test that all leads (before the reference) are 0 (cluster-robust,
        F(q, G − 1)).
    reference : int
    outcome, cluster : str
    n_clusters : int
    caveat : str
    binned : dict
        ``{"leads": L or None, "lags": K or None}``: the window's binned endpoints (None =
        not binned), so the output says what was chosen.
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
    binned: dict = field(default_factory=lambda: {"leads": None, "lags": None})

    def to_dict(self) -> dict:
        return result_to_dict(self)


def estimate_event_study(panel: pd.DataFrame, *, outcome: str = "proposals", unit: str = REP_ID,
                         time: str = YEAR, cohort: str = "cohort", leads: int | None = None,
                         lags: int | None = None, reference: int = -1, cluster: str = REP_ID,
                         late_cohorts: Literal["never_treated", "drop"] = "never_treated",
                         level: float = 0.95) -> EventStudyResult:
    """Event-study regression of the outcome on leads and lags of treatment.

    ``y_it = α_i + γ_t + Σ_k β_k·1[t − g_i = k] + ε_it`` for every observed relative time k
    except ``reference``; never-treated units have all indicators 0. By default nothing is
    binned (as R's ``did`` event study, which shows every exposure length); with ``leads``
    (or ``lags``) given, relative times before −leads (after +lags) are binned into the
    endpoint, and :attr:`EventStudyResult.binned` says so. Leads near 0 and a large
    pre-trend p-value support (they cannot prove) parallel trends.

    Parameters
    ----------
    panel : DataFrame
        :func:`build_panel`'s output or any long panel (columns named below).
    outcome, unit, time, cohort : str
        As in :func:`estimate_did`.
    leads, lags : int, optional
        Bin relative times beyond −leads / +lags (leads ≥ 2 so that a lead is tested).
    reference : int
        Omitted period (default −1, the period before treatment).
    cluster : str
    late_cohorts : {"never_treated", "drop"}
    level : float

    Returns
    -------
    EventStudyResult
    """
    level = check_level(level)
    if (leads is not None and leads < 2) or (lags is not None and lags < 0):
        raise ValueError(f"need leads >= 2 and lags >= 0, got leads={leads}, lags={lags}")
    if reference >= 0 or (leads is not None and reference < -leads):
        raise ValueError(f"reference must be a lead between -{leads if leads else 'leads'} and -1, "
                         f"got {reference}")
    pp = prepare_did_panel(panel, unit=unit, time=time, cohort=cohort, outcome=outcome, cluster=cluster,
                           late_cohorts=late_cohorts)
    _checked(pp)
    f = pp.frame
    rel = f["rel_time"].to_numpy(dtype=float)
    lo = -leads if leads is not None else np.nanmin(rel)
    hi = lags if lags is not None else np.nanmax(rel)
    binned = np.clip(rel, lo, hi)
    ks = [k for k in range(int(lo), int(hi) + 1) if k != reference]
    present = [k for k in ks if (binned == k).any()]
    if not any(k < reference for k in present):
        raise AnalysisError("no representative is observed before the reference year: the "
                            "pre-trend cannot be tested")
    X = np.column_stack([(binned == k).astype(float) for k in present])
    names = [f"rel_{k}" for k in present]
    fit = twfe_fit(f["_y"].to_numpy(float), X, f["_unit"].to_numpy(), f["_time"].to_numpy(),
                   f["_cl"].to_numpy(), names)
    tab = fit.table(level)
    tab["rel_time"] = present
    tab["n"] = [int((binned == k).sum()) for k in present]
    tab["reference"] = False
    ref = pd.DataFrame([{"rel_time": reference, "estimate": 0.0, "std_error": np.nan, "ci_low": np.nan,
                         "ci_high": np.nan, "p": np.nan, "n": int((binned == reference).sum()),
                         "reference": True, "term": f"rel_{reference}"}])
    tab = pd.concat([tab, ref], ignore_index=True).sort_values("rel_time")
    lead_idx = [i for i, k in enumerate(present) if k < reference]
    F, q, _, pval = fit.wald(lead_idx)
    return EventStudyResult(table=tidy(tab, ["rel_time", "term"]), pretrend_F=F, pretrend_df=q,
                            pretrend_p=pval, reference=reference, outcome=outcome, cluster=cluster,
                            n_clusters=fit.n_clusters,
                            caveat="TWFE event-study coefficients can be contaminated by effects "
                                   "from other periods under heterogeneous effects (Sun & Abraham "
                                   "2021); compare with the group-time cells.",
                            binned={"leads": leads, "lags": lags})


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
