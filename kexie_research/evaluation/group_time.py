"""Group-time difference in differences (Callaway & Sant'Anna 2021) on any panel.

The estimator behind :func:`~kexie_research.evaluation.causal.estimate_did`'s clean-control
estimate, usable on a researcher's own panel: the caller names the unit, time,
first-treatment (cohort) and outcome columns, and any numeric outcome goes.

Conventions, as in R's ``did`` (tested against it on the ``mpdta`` panel):

* first treatment **0**, missing or infinite = never treated (R, csdid and diff-diff code
  the never-treated as 0);
* a cohort first treated after the panel's last period is counted as never treated
  (``late_cohorts="never_treated"``; or ``"drop"``), and units treated in the first period
  (no pre-treatment period) are left out — both said in ``notes``;
* base period ``"varying"`` (R's default: pre-treatment cells compare consecutive periods,
  so they are short placebo differences) or ``"universal"`` (every cell against the last
  period before treatment);
* the aggregations of R's ``aggte``: ``simple`` (post-treatment cells weighted by cohort
  size — the ``overall`` effect), ``dynamic`` (event study by exposure length), ``group``
  and ``calendar``;
* standard errors from the influence function (``se="analytic"``, R's ``bstrap = FALSE``)
  including the estimation of the cohort weights, or from a nonparametric bootstrap over
  clusters (``se="bootstrap"``) that redraws the cohort weights with each replicate;
  either clustered by a column of the caller's choice (constant within units).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import AnalysisError
from ..schema import REP_ID, YEAR
from ._common import check_level, dispatch, require_columns, result_to_dict, tidy

__all__ = ["GroupTimeResult", "estimate_group_time", "prepare_did_panel", "DiDPanel"]

CONTROLS = ("never_treated", "not_yet_treated")
BASE_PERIODS = ("varying", "universal")
SE_METHODS = ("bootstrap", "analytic")
LATE_COHORTS = ("never_treated", "drop")


# --------------------------------------------------------------------------- panel

@dataclass(frozen=True)
class DiDPanel:
    """A panel checked and put in a canonical form for the DiD estimators.

    Attributes
    ----------
    frame : DataFrame
        ``_unit, _time (int), _g (float, NaN = never treated), _y (float), _cl`` (cluster
        label) and ``treated`` (0/1), ``rel_time`` (time − cohort, NaN for the never
        treated), one row per unit and period.
    unit, time, cohort, outcome, cluster : str
        The caller's column names (``cluster`` = ``unit`` when none was given).
    notes : tuple of str
        What was recoded or left out, and why.
    """

    frame: pd.DataFrame
    unit: str
    time: str
    cohort: str
    outcome: str
    cluster: str
    notes: tuple[str, ...] = ()


def _numeric(s: pd.Series, name: str) -> pd.Series:
    """A column as float; a non-numeric value raises naming the column, row and value."""
    x = pd.to_numeric(s, errors="coerce")
    bad = x.isna() & s.notna() & (s.astype(str).str.strip() != "")
    if bad.any():
        i = bad.idxmax()
        raise AnalysisError(f"column {name!r} is not a number in row {i}: {s[i]!r}")
    return x.astype("float64")


def prepare_did_panel(data: pd.DataFrame, *, unit: str = REP_ID, time: str = YEAR, cohort: str = "cohort",
                      outcome: str = "proposals", cluster: str | None = None,
                      late_cohorts: Literal["never_treated", "drop"] = "never_treated") -> DiDPanel:
    """Check a unit × period panel and put it in the form the DiD estimators use.

    Parameters
    ----------
    data : DataFrame
        One row per unit and period (long format).
    unit, time, cohort, outcome : str
        Columns: unit id; period (integer, e.g. year); first period of treatment (0,
        missing or inf = never treated); outcome (any number).
    cluster : str, optional
        Cluster of the standard errors; must be constant within a unit. Default: the unit.
    late_cohorts : {"never_treated", "drop"}
        Units first treated after the last period: never treated (as R's ``did``) or left out.

    Returns
    -------
    DiDPanel

    Raises
    ------
    AnalysisError
        A missing column, a non-numeric value, a non-integer period, a unit whose cohort or
        cluster varies, or two rows for one unit and period — each naming the column/row.

    Examples
    --------
    >>> d = pd.DataFrame({"id": [1, 1, 2, 2], "t": [1, 2, 1, 2], "g": [2, 2, 0, 0], "y": [1.0, 3, 1, 1.5]})
    >>> p = prepare_did_panel(d, unit="id", time="t", cohort="g", outcome="y")
    >>> p.frame["treated"].tolist(), p.frame["_g"].isna().tolist()
    ([0, 1, 0, 0], [False, False, True, True])
    """
    dispatch("late_cohorts", late_cohorts, dict.fromkeys(LATE_COHORTS))
    cols = list(dict.fromkeys([unit, time, cohort, outcome] + ([cluster] if cluster else [])))
    require_columns(data, cols, table="panel")
    notes: list[str] = []
    t = _numeric(data[time], time)
    if t.isna().any():
        raise AnalysisError(f"column {time!r} (period) is missing in row {t.isna().idxmax()}")
    if not np.all(np.isfinite(t)) or not np.all(t == np.round(t)):
        i = (~np.isfinite(t) | (t != np.round(t))).idxmax()
        raise AnalysisError(f"column {time!r} (period) must hold whole numbers; row {i} has {data[time][i]!r}")
    y = _numeric(data[outcome], outcome)
    if np.isinf(y).any():
        raise AnalysisError(f"column {outcome!r} is infinite in row {np.isinf(y).idxmax()}")
    g = _numeric(data[cohort], cohort)
    never = g.isna() | np.isinf(g) | (g == 0)
    bad = ~never & ((g < 0) | (g != np.round(g)))
    if bad.any():
        i = bad.idxmax()
        raise AnalysisError(f"column {cohort!r} (first treatment) must be a period, or 0 for never "
                            f"treated; row {i} has {data[cohort][i]!r}")
    n_zero = int(data.loc[(g == 0).to_numpy(), unit].nunique())
    if n_zero:
        notes.append(f"{n_zero} units with first treatment 0 are never treated (the R/csdid convention)")
    f = pd.DataFrame({"_unit": data[unit].to_numpy(), "_time": t.astype("int64").to_numpy(),
                      "_g": g.where(~never).to_numpy(), "_y": y.to_numpy(),
                      "_cl": (data[cluster] if cluster else data[unit]).to_numpy()})
    if f["_unit"].isna().any():
        raise AnalysisError(f"column {unit!r} (unit) is missing in row {data.index[f['_unit'].isna().to_numpy()][0]}")
    dup = f.duplicated(["_unit", "_time"])
    if dup.any():
        i = data.index[dup.to_numpy()][0]
        raise AnalysisError(f"more than one row for {unit} {f['_unit'][dup].iloc[0]!r} and {time} "
                            f"{int(f['_time'][dup].iloc[0])} (row {i}); the panel needs one row per unit and period")
    per_unit = f.groupby("_unit", sort=False)
    if (per_unit["_g"].nunique(dropna=False) > 1).any():
        u = per_unit["_g"].nunique(dropna=False).idxmax()
        raise AnalysisError(f"column {cohort!r} (first treatment) varies within {unit} {u!r}; it must be "
                            "one value per unit")
    if cluster:
        if f["_cl"].isna().any():
            raise AnalysisError(f"cluster column {cluster!r} is missing in row "
                                f"{data.index[f['_cl'].isna().to_numpy()][0]}")
        if (per_unit["_cl"].nunique() > 1).any():
            u = per_unit["_cl"].nunique().idxmax()
            raise AnalysisError(f"cluster {cluster!r} varies within {unit} {u!r}: clusters must contain "
                                "whole units")
    n_missing = int(f["_y"].isna().sum())
    if n_missing:
        notes.append(f"{n_missing} rows without a value of {outcome!r} left out")
        f = f[f["_y"].notna()]
    last = f["_time"].max()
    late = f["_g"] > last
    if late.any():
        n_late = int(f.loc[late, "_unit"].nunique())
        if late_cohorts == "never_treated":
            f.loc[late, "_g"] = np.nan
            notes.append(f"{n_late} units first treated after the last period ({last}) are counted as never "
                         "treated (as R's did does)")
        else:
            f = f[~late]
            notes.append(f"{n_late} units first treated after the last period ({last}) left out")
    f["treated"] = (f["_g"].notna() & (f["_time"] >= f["_g"])).astype(int)
    f["rel_time"] = f["_time"] - f["_g"]
    f = f.sort_values(["_unit", "_time"]).reset_index(drop=True)
    return DiDPanel(frame=f, unit=unit, time=time, cohort=cohort, outcome=outcome,
                    cluster=cluster or unit, notes=tuple(notes))


# --------------------------------------------------------------------------- cells

def _cells(Y: np.ndarray, coh: np.ndarray, times: list, control: str, base_period: str):
    """ATT(g, t) cells: per cell the change Δy (nan where unobserved), treated and control masks."""
    never = np.isnan(coh)
    out = []
    for g in sorted(set(coh[~never].astype(int))):
        before = [i for i, tv in enumerate(times) if tv < g]
        if not before:
            continue
        gb = before[-1]  # the last period before treatment
        treat = coh == g
        for j, tv in enumerate(times):
            if base_period == "varying":
                b = gb if tv >= g else j - 1
            else:
                b = gb
            if b < 0 or b == j:
                continue
            later = max(tv, times[b])
            ctrl = never.copy() if control == "never_treated" else (never | (coh > later))
            ctrl &= ~treat
            dy = Y[:, j] - Y[:, b]
            ok = ~np.isnan(dy)
            if (treat & ok).sum() < 1 or (ctrl & ok).sum() < 1:
                continue
            out.append((g, tv, dy, treat & ok, ctrl & ok))
    return out


def _influence(D, T, C, est):
    """Influence functions (N × K) of the cell differences in means, scaled so that
    Var(ATT) = Σ ψ² / N² (R's ``did`` with ``bstrap = FALSE``)."""
    N = D.shape[0]
    nT, nC = T.sum(axis=0), C.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        muT = (D * T).sum(axis=0) / nT
        muC = (D * C).sum(axis=0) / nC
    return N * (T * (D - muT) / nT - C * (D - muC) / nC)


def _wif(members: np.ndarray, pg: np.ndarray) -> np.ndarray:
    """Influence of estimating the cohort weights pg_k / Σ pg (R's ``did:::wif``);
    ``members`` (N × K) is 1 where unit i belongs to the cohort of column k."""
    S = pg.sum()
    dev = members - pg
    return dev / S - np.outer(dev.sum(axis=1), pg / S ** 2)


@dataclass(frozen=True)
class GroupTimeResult:
    """Group-time effects and their aggregations.

    Attributes
    ----------
    cells : DataFrame
        ``cohort, year, rel_time, base_year, estimate, std_error, ci_low, ci_high, n,
        n_control`` — ATT(g, t); ``year`` is the period, whatever the caller's column.
    overall : dict
        The simple aggregate (post-treatment cells weighted by cohort size):
        ``estimate, std_error, ci_low, ci_high, p, se_method, n_boot, control, base_period,
        cluster, n_clusters, n_units, n_treated_units, n_never_treated``.
    dynamic : DataFrame
        ``rel_time, estimate, std_error, ci_low, ci_high, n, n_cohorts`` — the event study
        by exposure length (pre-treatment rows are placebo checks).
    groups, calendar : DataFrame
        ``cohort`` (resp. ``year``), ``estimate, std_error, ci_low, ci_high`` — per-cohort
        averages over its post periods; per-period averages over the cohorts treated by then.
    aggregates : dict
        ``{"simple", "dynamic", "group", "calendar"}`` → the overall estimate of each
        aggregation (dynamic: mean over exposure ≥ 0; group: cohort-size-weighted; calendar:
        mean over periods), with ``std_error, ci_low, ci_high``.
    choices : dict
        Every option in force: ``control, base_period, se, cluster, late_cohorts,
        bootstrap_weights, n_boot, level`` and the column names.
    notes : tuple of str
    """

    cells: pd.DataFrame
    overall: dict
    dynamic: pd.DataFrame
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    calendar: pd.DataFrame = field(default_factory=pd.DataFrame)
    aggregates: dict = field(default_factory=dict)
    choices: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return result_to_dict(self)


class _Agg:
    """One aggregate: its estimate, influence function (N) and bootstrap draws (B or None)."""

    def __init__(self, est, psi, boot):
        self.est, self.psi, self.boot = est, psi, boot


def _unit_arrays(p: DiDPanel, notes: list[str]):
    """Wide outcome matrix (units × periods), cohort and cluster code per unit; units
    treated in the first period (no pre-treatment period) left out, as R does."""
    f = p.frame
    times = sorted(f["_time"].unique())
    coh_u = f.groupby("_unit", sort=True)["_g"].first()
    early = coh_u.notna() & (coh_u <= times[0])
    if early.any():
        notes.append(f"{int(early.sum())} units treated in the first period ({times[0]}) have no "
                     "pre-treatment period and are left out (as in R's did)")
        f = f[~f["_unit"].isin(coh_u.index[early])]
        coh_u = coh_u[~early]
    Y = f.pivot(index="_unit", columns="_time", values="_y").reindex(index=coh_u.index, columns=times)
    cl = pd.factorize(f.groupby("_unit", sort=True)["_cl"].first().reindex(coh_u.index))[0]
    return Y.to_numpy(dtype=float), coh_u.to_numpy(dtype=float), times, cl


class _Cells:
    """The ATT(g, t) cells as matrices (units × cells) and their influence functions."""

    def __init__(self, Y, coh, times, control, base_period):
        raw = _cells(Y, coh, times, control, base_period)
        if not raw:
            raise AnalysisError("no cohort has a pre-treatment period and comparison units in the data")
        self.D = np.column_stack([np.nan_to_num(c[2]) for c in raw])
        self.T = np.column_stack([c[3] for c in raw]).astype(float)
        self.C = np.column_stack([c[4] for c in raw]).astype(float)
        self.est = (self.D * self.T).sum(0) / self.T.sum(0) - (self.D * self.C).sum(0) / self.C.sum(0)
        self.g = np.array([c[0] for c in raw], dtype=int)
        self.t = np.array([c[1] for c in raw], dtype=int)
        self.e = self.t - self.g
        if not (self.e >= 0).any():
            raise AnalysisError("no post-treatment period observed for any cohort with a pre-treatment period")
        self.base = np.array([max(tv for tv in times if tv < g) if (t >= g or base_period == "universal")
                              else times[times.index(t) - 1] for g, t in zip(self.g, self.t)])
        self.cohorts = sorted(set(self.g.tolist()))
        self.G1 = np.column_stack([coh == g for g in self.cohorts]).astype(float)   # N × cohorts
        self.member = self.G1[:, [self.cohorts.index(g) for g in self.g]]           # N × cells
        self.pg = self.member.mean(axis=0)                                           # P(G = g_k)
        self.psi = _influence(self.D, self.T, self.C, self.est)

    def bootstrap(self, cl, n_boot, rng):
        """Cluster bootstrap draws of every cell, with the cohort shares redrawn too."""
        n_cl = int(cl.max() + 1)
        draws = rng.multinomial(n_cl, np.full(n_cl, 1.0 / n_cl), size=n_boot).astype(float)
        W = draws[:, cl]                                                             # B × N
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = (W @ (self.D * self.T)) / (W @ self.T) - (W @ (self.D * self.C)) / (W @ self.C)
        share = W / W.sum(axis=1, keepdims=True)
        return boot, share


class _Aggregator:
    """R's ``aggte`` aggregations of the cells, with influence functions (weights estimated)
    and, for the bootstrap, the same aggregation per replicate with redrawn weights."""

    def __init__(self, cells: _Cells, cl, level, boot=None, share=None):
        self.c, self.cl, self.boot, self.share = cells, cl, boot, share
        self.q = stats.norm.ppf(0.5 + level / 2)
        self.a = (1 - level) / 2

    @staticmethod
    def _ratio(x, wb):
        ok = ~np.isnan(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (np.where(ok, x, 0) * wb).sum(1) / (wb * ok).sum(1)

    def cell(self, k) -> _Agg:
        return _Agg(float(self.c.est[k]), self.c.psi[:, k], None if self.boot is None else self.boot[:, k])

    def cohort_weighted(self, cols) -> _Agg:
        """Cells weighted by cohort size, the weights' estimation in the influence function."""
        c, cols = self.c, np.asarray(cols)
        w = c.pg[cols] / c.pg[cols].sum()
        psi = c.psi[:, cols] @ w + _wif(c.member[:, cols], c.pg[cols]) @ c.est[cols]
        b = None if self.boot is None else self._ratio(self.boot[:, cols], self.share @ c.member[:, cols])
        return _Agg(float(c.est[cols] @ w), psi, b)

    def equal(self, cols) -> _Agg:
        c, cols = self.c, np.asarray(cols)
        b = None if self.boot is None else self._ratio(self.boot[:, cols], np.ones((len(self.boot), len(cols))))
        return _Agg(float(c.est[cols].mean()), c.psi[:, cols].mean(axis=1), b)

    def mean_of(self, aggs: list[_Agg]) -> _Agg:
        b = None if self.boot is None else np.mean([a.boot for a in aggs], axis=0)
        return _Agg(float(np.mean([a.est for a in aggs])), np.mean([a.psi for a in aggs], axis=0), b)

    def by_cohort(self, aggs: list[_Agg], gs: list[int]) -> _Agg:
        """Cohort-size-weighted mean of per-cohort aggregates, weights estimated."""
        G = self.c.G1[:, [self.c.cohorts.index(g) for g in gs]]
        pgc = G.mean(axis=0)
        w = pgc / pgc.sum()
        ests = np.array([a.est for a in aggs])
        psi = np.column_stack([a.psi for a in aggs]) @ w + _wif(G, pgc) @ ests
        b = None if self.boot is None else self._ratio(np.column_stack([a.boot for a in aggs]), self.share @ G)
        return _Agg(float(ests @ w), psi, b)

    def summary(self, ag: _Agg) -> dict:
        if ag.boot is None:
            s = float(np.sqrt((np.bincount(self.cl, weights=ag.psi) ** 2).sum()) / len(ag.psi))
            lo, hi = ag.est - self.q * s, ag.est + self.q * s
        else:
            s = float(np.nanstd(ag.boot, ddof=1))
            lo, hi = (float(v) for v in np.nanquantile(ag.boot, [self.a, 1 - self.a]))
        pval = float(2 * stats.norm.sf(abs(ag.est / s))) if s > 0 else float("nan")
        return {"estimate": ag.est, "std_error": s, "ci_low": lo, "ci_high": hi, "p": pval}

    def row(self, ag: _Agg) -> dict:
        return {k: v for k, v in self.summary(ag).items() if k != "p"}


def _tables(agg: _Aggregator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """Cells, dynamic, group and calendar tables and the overall aggregates."""
    c = agg.c
    cells = tidy(pd.DataFrame([{"cohort": int(c.g[k]), YEAR: int(c.t[k]), "rel_time": int(c.e[k]),
                                "base_year": int(c.base[k]), **agg.row(agg.cell(k)),
                                "n": int(c.T[:, k].sum()), "n_control": int(c.C[:, k].sum())}
                               for k in range(len(c.est))]), ["cohort", YEAR, "rel_time"])
    dyn = {int(ev): agg.cohort_weighted(np.flatnonzero(c.e == ev)) for ev in sorted(set(c.e.tolist()))}
    dynamic = tidy(pd.DataFrame([{"rel_time": ev, **agg.row(ag), "n": int(c.T[:, c.e == ev].sum()),
                                  "n_cohorts": int((c.e == ev).sum())} for ev, ag in dyn.items()]), ["rel_time"])
    grp = {g: agg.equal(np.flatnonzero((c.g == g) & (c.e >= 0))) for g in c.cohorts if ((c.g == g) & (c.e >= 0)).any()}
    groups = tidy(pd.DataFrame([{"cohort": g, **agg.row(ag), "n": int(c.G1[:, c.cohorts.index(g)].sum())}
                                for g, ag in grp.items()]), ["cohort"])
    post = c.e >= 0
    cal = {int(tv): agg.cohort_weighted(np.flatnonzero((c.t == tv) & post)) for tv in sorted(set(c.t[post].tolist()))}
    calendar = tidy(pd.DataFrame([{YEAR: tv, **agg.row(ag), "n_cohorts": int(((c.t == tv) & post).sum())}
                                  for tv, ag in cal.items()]), [YEAR])
    aggregates = {"simple": agg.summary(agg.cohort_weighted(np.flatnonzero(post))),
                  "dynamic": agg.summary(agg.mean_of([ag for ev, ag in dyn.items() if ev >= 0])),
                  "group": agg.summary(agg.by_cohort(list(grp.values()), list(grp))),
                  "calendar": agg.summary(agg.mean_of(list(cal.values())))}
    return cells, dynamic, groups, calendar, aggregates


def estimate_group_time(panel: pd.DataFrame, *, outcome: str = "proposals", unit: str = REP_ID,
                        time: str = YEAR, cohort: str = "cohort",
                        control: Literal["never_treated", "not_yet_treated"] = "never_treated",
                        base_period: Literal["varying", "universal"] = "varying",
                        se: Literal["bootstrap", "analytic"] = "bootstrap", cluster: str | None = None,
                        late_cohorts: Literal["never_treated", "drop"] = "never_treated",
                        n_boot: int = 199, level: float = 0.95,
                        rng: np.random.Generator | int | None = None) -> GroupTimeResult:
    """Callaway–Sant'Anna group-time average effects ATT(g, t), unconditional, and their
    aggregations.

    For cohort g (first treated period) and period t with base period b:
    ATT(g, t) = E[Y_t − Y_b | cohort g] − E[Y_t − Y_b | controls]. Post-treatment cells
    (t ≥ g) use b = the last period before g; pre-treatment cells use b = t − 1 with
    ``base_period="varying"`` (R's default) or the same b with ``"universal"``. Controls:
    the never treated, or (``"not_yet_treated"``) also units first treated after max(t, b).
    A unit counts in a cell when observed in both periods.

    Parameters
    ----------
    panel : DataFrame
        Long panel: :func:`~kexie_research.evaluation.causal.build_panel`'s output
        (defaults) or the caller's own, with columns named below.
    outcome : str
        Outcome column (any number).
    unit, time, cohort : str
        Unit id, period and first-treatment columns (0 / missing = never treated).
    control : {"never_treated", "not_yet_treated"}
    base_period : {"varying", "universal"}
    se : {"bootstrap", "analytic"}
        Nonparametric bootstrap over clusters (percentile intervals; cohort weights
        redrawn with every replicate) or the influence-function standard errors of R's
        ``did`` (``bstrap = FALSE``; normal intervals), which include the estimation of the
        cohort weights.
    cluster : str, optional
        Cluster column (constant within units), e.g. a province or state; default: units.
    late_cohorts : {"never_treated", "drop"}
        Units first treated after the last period (see :func:`prepare_did_panel`).
    n_boot : int
        Bootstrap replicates (``se="bootstrap"``).
    level : float
    rng : Generator or int, optional

    Returns
    -------
    GroupTimeResult

    References
    ----------
    Callaway, B., & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
    periods. *Journal of Econometrics*, 225(2), 200–230.

    Examples
    --------
    Two units, two periods; unit 1 first treated in period 2 (+2 vs the control's +0.5):

    >>> d = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3], "t": [1, 2] * 3, "g": [2, 2, 0, 0, 0, 0],
    ...                   "y": [1.0, 3.0, 1.0, 1.5, 2.0, 2.5]})
    >>> r = estimate_group_time(d, unit="id", time="t", cohort="g", outcome="y", se="analytic")
    >>> r.overall["estimate"]
    1.5
    """
    dispatch("control", control, dict.fromkeys(CONTROLS))
    dispatch("base_period", base_period, dict.fromkeys(BASE_PERIODS))
    dispatch("se", se, dict.fromkeys(SE_METHODS))
    level = check_level(level)
    if se == "bootstrap" and (not isinstance(n_boot, (int, np.integer)) or n_boot < 10):
        raise ValueError(f"n_boot must be an integer >= 10, not {n_boot!r}")
    p = prepare_did_panel(panel, unit=unit, time=time, cohort=cohort, outcome=outcome, cluster=cluster,
                          late_cohorts=late_cohorts)
    notes = list(p.notes)
    Y, coh, times, cl = _unit_arrays(p, notes)
    never = np.isnan(coh)
    if control == "never_treated" and not never.any():
        raise AnalysisError("no never-treated units to compare with under control='never_treated'; "
                            "use control='not_yet_treated'")
    c = _Cells(Y, coh, times, control, base_period)
    boot = share = None
    if se == "bootstrap":
        boot, share = c.bootstrap(cl, n_boot, np.random.default_rng(rng))
    cells, dynamic, groups, calendar, aggregates = _tables(_Aggregator(c, cl, level, boot, share))
    choices = {"control": control, "base_period": base_period, "se": se, "cluster": p.cluster,
               "late_cohorts": late_cohorts,
               "bootstrap_weights": "redrawn" if se == "bootstrap" else None,
               "n_boot": int(n_boot) if se == "bootstrap" else None, "level": level,
               "unit": unit, "time": time, "cohort": cohort, "outcome": outcome}
    overall = {**aggregates["simple"], "se_method": se, "n_boot": choices["n_boot"], "control": control,
               "base_period": base_period, "cluster": p.cluster, "n_clusters": int(cl.max() + 1),
               "n_units": int(len(Y)), "n_treated_units": int((~never).sum()), "n_never_treated": int(never.sum())}
    return GroupTimeResult(cells=cells, overall=overall, dynamic=dynamic, groups=groups, calendar=calendar,
                           aggregates=aggregates, choices=choices, notes=tuple(notes))
