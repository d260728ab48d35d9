"""Power and design of a planned evaluation: sample sizes, minimal detectable effects,
clustered designs (design effect) and simulation-based power for the mixed model.

All effect sizes are standardised (Cohen's d) unless a function says otherwise.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import AnalysisError
from ..stats import wilson_interval
from ._common import dispatch, result_to_dict

__all__ = [
    "design_effect",
    "sample_size_ttest",
    "mde_ttest",
    "sample_size_paired",
    "sample_size_clustered",
    "mde_clustered",
    "mde_did",
    "PowerSimulation",
    "simulate_power_mixed",
    "power_table",
    "DesignPlan",
    "plan_design",
]

_ALTERNATIVES = {"two-sided": "two-sided", "larger": "larger", "smaller": "smaller"}


def _check_prob(name, v):
    if not 0 < v < 1:
        raise ValueError(f"{name} must be between 0 and 1, not {v!r}")


def design_effect(cluster_size: float, icc: float) -> float:
    """Kish's design effect of cluster sampling, 1 + (m − 1)·ICC.

    Parameters
    ----------
    cluster_size : float
        Average number of individuals per cluster (m ≥ 1); e.g. representatives per
        province or learners per session.
    icc : float
        Intraclass correlation of the outcome within clusters (0 ≤ ICC ≤ 1).

    References
    ----------
    Kish, L. (1965). *Survey Sampling*. Wiley. Donner, A., & Klar, N. (2000). *Design and
    Analysis of Cluster Randomization Trials*. Arnold.

    Examples
    --------
    >>> round(design_effect(20, 0.05), 10)  # 1 + 19·0.05
    1.95
    """
    if cluster_size < 1:
        raise ValueError(f"cluster_size must be >= 1, not {cluster_size!r}")
    if not 0 <= icc <= 1:
        raise ValueError(f"icc must be between 0 and 1, not {icc!r}")
    return float(1 + (cluster_size - 1) * icc)


def sample_size_ttest(effect_size: float, *, alpha: float = 0.05, power: float = 0.8,
                      ratio: float = 1.0, alternative: str = "two-sided") -> float:
    """Sample size of the first group of a two-sample t-test (statsmodels ``TTestIndPower``).

    Examples
    --------
    >>> round(sample_size_ttest(0.5), 2)  # statsmodels' documented value
    63.77
    """
    from statsmodels.stats.power import TTestIndPower

    _check_prob("alpha", alpha), _check_prob("power", power)
    alt = dispatch("alternative", alternative, _ALTERNATIVES)
    if effect_size == 0:
        raise AnalysisError("an effect size of 0 cannot be detected with any sample size")
    return float(TTestIndPower().solve_power(effect_size=effect_size, alpha=alpha, power=power,
                                             ratio=ratio, alternative=alt))


def mde_ttest(n_per_group: float, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0,
              alternative: str = "two-sided") -> float:
    """Minimal detectable standardised effect of a two-sample t-test with ``n_per_group``
    in the first group (and ``ratio``·n in the second).

    Examples
    --------
    >>> round(mde_ttest(64), 3)
    0.499
    """
    from statsmodels.stats.power import TTestIndPower

    _check_prob("alpha", alpha), _check_prob("power", power)
    alt = dispatch("alternative", alternative, _ALTERNATIVES)
    if n_per_group < 2:
        raise AnalysisError(f"need at least 2 per group, got {n_per_group}")
    return float(TTestIndPower().solve_power(nobs1=n_per_group, alpha=alpha, power=power,
                                             ratio=ratio, alternative=alt))


def sample_size_paired(effect_size: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Pairs needed for a paired (pre/post) t-test to detect d_z = ``effect_size``
    (statsmodels ``TTestPower``).

    Examples
    --------
    >>> math.ceil(sample_size_paired(0.5))
    34
    """
    from statsmodels.stats.power import TTestPower

    _check_prob("alpha", alpha), _check_prob("power", power)
    return float(TTestPower().solve_power(effect_size=effect_size, alpha=alpha, power=power))


def sample_size_clustered(effect_size: float, *, cluster_size: float, icc: float,
                          alpha: float = 0.05, power: float = 0.8) -> dict:
    """Sample size of a two-arm design randomised (or compared) by cluster.

    The individually randomised size per arm (t-test) is multiplied by the design effect
    1 + (m − 1)·ICC and divided into clusters of size m. People and clusters are whole
    numbers: every count is rounded **up** (the exact values are kept beside them).

    Returns
    -------
    dict
        ``n_srs`` (people per arm under simple random sampling, rounded up),
        ``n_srs_exact``, ``design_effect``, ``n_per_arm`` (people per arm in the clustered
        design, rounded up), ``n_per_arm_exact``, ``clusters_per_arm``, ``cluster_size``,
        ``icc``.

    Examples
    --------
    >>> r = sample_size_clustered(0.5, cluster_size=20, icc=0.05)
    >>> r["n_srs"], r["n_per_arm"], r["clusters_per_arm"]  # 63.77 · 1.95 = 124.3 → 125 people, 7 clusters of 20
    (64, 125, 7)
    """
    n = sample_size_ttest(effect_size, alpha=alpha, power=power)
    deff = design_effect(cluster_size, icc)
    n_arm = n * deff
    return {"n_srs": int(math.ceil(n)), "n_srs_exact": n, "design_effect": deff,
            "n_per_arm": int(math.ceil(n_arm)), "n_per_arm_exact": n_arm,
            "clusters_per_arm": int(math.ceil(n_arm / cluster_size)),
            "cluster_size": float(cluster_size), "icc": float(icc)}


def mde_clustered(clusters_per_arm: int, *, cluster_size: float, icc: float, alpha: float = 0.05,
                  power: float = 0.8) -> float:
    """Minimal detectable standardised effect with ``clusters_per_arm`` clusters of size m
    per arm: the t-test MDE at the effective size n·m / (1 + (m − 1)·ICC).

    Examples
    --------
    >>> round(mde_clustered(7, cluster_size=20, icc=0.05), 3)  # n_eff = 140 / 1.95 = 71.8
    0.471
    """
    n_eff = clusters_per_arm * cluster_size / design_effect(cluster_size, icc)
    return mde_ttest(n_eff, alpha=alpha, power=power)


def mde_did(n_treated: int, n_control: int, *, sd: float = 1.0, rho: float = 0.0,
            pre_periods: int = 1, post_periods: int = 1, alpha: float = 0.05, power: float = 0.8,
            cluster_size: float = 1.0, icc: float = 0.0) -> float:
    """Minimal detectable effect (in outcome units) of a difference-in-differences design.

    With m pre and r post periods, outcome sd σ and a constant correlation ρ between a
    unit's periods, Var(DiD) = σ²·(1/n_T + 1/n_C)·(1 − ρ)·(m + r)/(m·r) (McKenzie 2012,
    eq. for the DiD estimator), inflated by the design effect for clustering; the MDE is
    (z_{1−α/2} + z_{power})·√Var (normal approximation).

    References
    ----------
    McKenzie, D. (2012). Beyond baseline and follow-up: the case for more T in experiments.
    *Journal of Development Economics*, 99(2), 210–221. Bloom, H. S. (1995). Minimum
    detectable effects. *Evaluation Review*, 19(5), 547–556.

    Examples
    --------
    Two periods, ρ = 0: Var = 2·σ²·(2/n) with n = 100 per arm → MDE = 2.8016·0.2 = 0.56.

    >>> round(mde_did(100, 100), 3)
    0.56
    """
    _check_prob("alpha", alpha), _check_prob("power", power)
    if n_treated < 1 or n_control < 1:
        raise AnalysisError("a DiD needs treated and control units")
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), not {rho!r}")
    if pre_periods < 1 or post_periods < 1:
        raise ValueError("need at least one pre and one post period")
    m, r = pre_periods, post_periods
    var = sd ** 2 * (1 / n_treated + 1 / n_control) * (1 - rho) * (m + r) / (m * r)
    var *= design_effect(cluster_size, icc)
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(z * math.sqrt(var))


@dataclass(frozen=True)
class PowerSimulation:
    """Simulated power of the mixed model.

    ``power`` = share of replicates with p < alpha for the treatment effect, with a
    Wilson interval (``ci_low``, ``ci_high``); ``analytic`` = power of the
    design-effect-adjusted t-test for comparison; ``n_failed`` replicates that did not fit.
    """

    power: float
    ci_low: float
    ci_high: float
    n_sims: int
    n_failed: int
    analytic: float
    parameters: dict

    def to_dict(self) -> dict:
        return result_to_dict(self)


def simulate_power_mixed(effect_size: float, *, n_clusters: int, cluster_size: int, icc: float,
                         n_sims: int = 200, alpha: float = 0.05,
                         rng: np.random.Generator | int | None = None) -> PowerSimulation:
    """Power of a two-level design analysed with a random-intercept mixed model, by simulation.

    Clusters (e.g. provinces or sessions) are split half-and-half into treated and control;
    y = effect·treated + u_cluster + e with Var(u) = ICC and Var(e) = 1 − ICC (total
    variance 1, so ``effect_size`` is standardised). Each replicate fits statsmodels
    ``MixedLM`` (REML) and tests the treatment coefficient (Wald z).

    Parameters
    ----------
    effect_size : float
    n_clusters : int
        Total clusters (≥ 4), half treated.
    cluster_size : int
    icc : float
        In [0, 1).
    n_sims : int
    alpha : float
    rng : Generator or int, optional

    Returns
    -------
    PowerSimulation

    Examples
    --------
    >>> r = simulate_power_mixed(0.8, n_clusters=8, cluster_size=10, icc=0.1, n_sims=10, rng=1)
    >>> 0 <= r.ci_low <= r.power <= r.ci_high <= 1
    True
    """
    from statsmodels.regression.mixed_linear_model import MixedLM

    _check_prob("alpha", alpha)
    if n_clusters < 4:
        raise AnalysisError(f"need at least 4 clusters, got {n_clusters}")
    if cluster_size < 2:
        raise AnalysisError(f"need at least 2 individuals per cluster, got {cluster_size}")
    if not 0 <= icc < 1:
        raise ValueError(f"icc must be in [0, 1), not {icc!r}")
    if n_sims < 1:
        raise ValueError("n_sims must be >= 1")
    rng = np.random.default_rng(rng)
    g = np.repeat(np.arange(n_clusters), cluster_size)
    treat_c = (np.arange(n_clusters) < n_clusters // 2).astype(float)
    X = np.column_stack([np.ones(len(g)), treat_c[g]])
    hits = failed = 0
    for child in rng.spawn(n_sims):
        u = child.normal(0, math.sqrt(icc), n_clusters)
        y = effect_size * X[:, 1] + u[g] + child.normal(0, math.sqrt(1 - icc), len(g))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # Powell is derivative-free: robust when the cluster variance is near 0,
                # where lbfgs hits singular matrices
                res = MixedLM(y, X, groups=g).fit(reml=True, method=["powell", "lbfgs"])
            pval = float(res.pvalues[1])
        except (np.linalg.LinAlgError, ValueError):
            failed += 1
            continue
        if not np.isfinite(pval):
            failed += 1
            continue
        hits += pval < alpha
    done = n_sims - failed
    if done == 0:
        raise AnalysisError("no simulation replicate could be fitted")
    lo, hi = (float(x) for x in wilson_interval(hits, done))
    n_eff = (n_clusters // 2) * cluster_size / design_effect(cluster_size, icc)
    from statsmodels.stats.power import TTestIndPower
    analytic = float(TTestIndPower().power(effect_size, nobs1=n_eff, alpha=alpha))
    return PowerSimulation(power=hits / done, ci_low=lo, ci_high=hi, n_sims=n_sims, n_failed=failed,
                           analytic=analytic,
                           parameters={"effect_size": effect_size, "n_clusters": n_clusters,
                                       "cluster_size": cluster_size, "icc": icc, "alpha": alpha})


def power_table(effect_sizes=(0.2, 0.3, 0.5), *, cluster_size: float = 1.0, icc: float = 0.0,
                alpha: float = 0.05, power: float = 0.8) -> pd.DataFrame:
    """Planning table: per effect size, people per arm (t-test), design effect, people
    and clusters per arm in a clustered design, and pairs for a pre/post design. Counts of
    people are whole numbers, rounded up (``n_srs_exact`` keeps the exact solution).

    Examples
    --------
    >>> t = power_table((0.2, 0.5))
    >>> t["n_srs"].tolist(), t["n_srs_exact"].round(2).tolist()
    ([394, 64], [393.41, 63.77])
    """
    rows = []
    for d in effect_sizes:
        r = sample_size_clustered(d, cluster_size=cluster_size, icc=icc, alpha=alpha, power=power)
        rows.append({"effect_size": d, **r,
                     "pairs_pre_post": int(math.ceil(sample_size_paired(d, alpha=alpha, power=power)))})
    cols = ["effect_size", "n_srs", "design_effect", "n_per_arm", "clusters_per_arm", "cluster_size",
            "icc", "pairs_pre_post", "n_srs_exact", "n_per_arm_exact"]
    return pd.DataFrame(rows)[cols]


@dataclass(frozen=True)
class DesignPlan:
    """Sample size of a study that samples whole sessions, planned on one outcome.

    Attributes
    ----------
    outcome : str
        The outcome the design targets and whose ICC was used (``"gain"`` = post − pre
        test score; ``"overall"`` = the quality composite; ...).
    icc : float
        Between-session ICC used (estimated and truncated at 0, or assumed).
    icc_raw : float or None
        The untruncated estimate (``None`` when assumed).
    icc_source : {"estimated", "assumed"}
    effect_size, alpha, power, cluster_size, design_effect : float
    n_srs, n_per_arm, clusters_per_arm : int
        People per arm (simple random sampling; clustered) and sessions per arm for
        ``effect_size``, rounded up.
    table : DataFrame
        :func:`power_table` for ``effect_sizes`` at this ICC.
    note : str
        Why the ICC was assumed, if it was.
    """

    outcome: str
    icc: float
    icc_raw: float | None
    icc_source: str
    effect_size: float
    alpha: float
    power: float
    cluster_size: float
    design_effect: float
    n_srs: int
    n_per_arm: int
    clusters_per_arm: int
    table: pd.DataFrame
    note: str = ""

    @property
    def icc_outcome(self) -> str:
        """The outcome the ICC was estimated on (same as :attr:`outcome`)."""
        return self.outcome

    def to_dict(self) -> dict:
        return {**result_to_dict(self), "icc_outcome": self.outcome}


def plan_design(survey: pd.DataFrame | None = None, *, outcome: str = "gain", effect_size: float = 0.3,
                effect_sizes=(0.2, 0.3, 0.5), cluster_size: float = 30, assumed_icc: float = 0.05,
                alpha: float = 0.05, power: float = 0.8) -> DesignPlan:
    """Plan a two-arm study that samples whole sessions, with the ICC of its own outcome.

    The between-session ICC is estimated from ``survey`` on ``outcome`` — by default the
    learning gain (post − pre score), the outcome a training trial targets — with
    :func:`~kexie_research.evaluation.quality.session_icc`; when the survey cannot give
    one (no survey, no pre/post scores, a single session) ``assumed_icc`` is used and the
    result says so.

    Parameters
    ----------
    survey : DataFrame, optional
    outcome : {"gain", "pre_score", "post_score", "overall", <quality item>}
    effect_size : float
        Standardised effect (Cohen's d) of the headline plan.
    effect_sizes : sequence of float
        Rows of the planning table.
    cluster_size : float
        Learners per session.
    assumed_icc : float
        ICC used when none can be estimated.
    alpha, power : float

    Returns
    -------
    DesignPlan

    Examples
    --------
    >>> plan = plan_design(None, assumed_icc=0.0)
    >>> plan.icc_source, plan.n_srs, plan.clusters_per_arm  # 175.4 → 176 people, 6 sessions of 30
    ('assumed', 176, 6)
    """
    from .quality import _ICC_OUTCOMES, session_icc

    dispatch("outcome", outcome, dict.fromkeys(_ICC_OUTCOMES))
    icc, raw, src, note = float(assumed_icc), None, "assumed", ""
    if survey is None:
        note = "no survey: ICC assumed"
    else:
        try:
            raw = session_icc(survey, outcome=outcome, truncate=False)
            icc, src = max(0.0, raw), "estimated"
        except AnalysisError as exc:
            note = f"ICC assumed: {exc}"
    plan = sample_size_clustered(effect_size, cluster_size=cluster_size, icc=icc, alpha=alpha, power=power)
    return DesignPlan(outcome=outcome, icc=icc, icc_raw=raw, icc_source=src, effect_size=float(effect_size),
                      alpha=float(alpha), power=float(power), cluster_size=float(cluster_size),
                      design_effect=plan["design_effect"], n_srs=plan["n_srs"], n_per_arm=plan["n_per_arm"],
                      clusters_per_arm=plan["clusters_per_arm"],
                      table=power_table(effect_sizes, cluster_size=cluster_size, icc=icc, alpha=alpha,
                                        power=power),
                      note=note)
