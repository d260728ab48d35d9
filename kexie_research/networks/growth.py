"""Growth of enterprise S&T associations: yearly counts per province, a fitted growth
model and projections with prediction intervals; the seed's 2017 → 2021 figures.

Models (``model``)
------------------
``"loglinear"``
    OLS of log(cumulative count) on year over the fitting window: the slope b gives the
    annual growth rate e^b − 1. Projections are exp of the OLS prediction; the prediction
    interval is exp of the OLS *observation* interval (a median-unbiased interval for a
    log-normal count).
``"negbin"``
    Negative-binomial regression (statsmodels ``NegativeBinomial``, log link, dispersion
    α estimated) of the *new* associations founded each year on year. The projected
    cumulative count is the last observed count plus the projected new ones; its
    prediction interval is simulated: coefficients from their estimated normal
    distribution, yearly counts from the NB(μ, α) (gamma–Poisson) — so it carries both
    estimation and count noise. Seeded through ``rng``.

Counts come from the organizations table (``founded_year <= Y``); the seed series
(企业科协基本情况调查: 15,787 in 2017, 26,708 at end 2021, datasets/real) is reproduced by
:func:`seed_growth` and by counting the synthetic table, which was calibrated to it. The
NBS yearbook series (2008/2009) has other definitions and is never spliced in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..schema import PROVINCE
from ._common import check_choice, require_columns

__all__ = ["yearly_counts", "GrowthResult", "fit_growth", "fit_growth_by_province",
           "seed_growth"]


def yearly_counts(organizations: pd.DataFrame, *, org_type: str = "enterprise_association",
                  years=None, by: str | None = None) -> pd.DataFrame:
    """Cumulative and new counts per year (and per ``by`` group, e.g. province).

    Returns
    -------
    DataFrame
        ``year``, (``by``), ``count`` (founded_year <= year), ``new`` (founded in year).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"type": ["enterprise_association"] * 3, "founded_year": [2019, 2020, 2020]})
    >>> yearly_counts(df, years=[2019, 2020]).values.tolist()
    [[2019, 1, 1], [2020, 3, 2]]
    """
    require_columns(organizations, ("type", "founded_year"), table="organizations")
    o = organizations[organizations["type"] == org_type]
    fy = pd.to_numeric(o["founded_year"], errors="coerce")
    o = o[fy.notna().to_numpy()]
    fy = fy[fy.notna()].astype(int)
    if not len(o):
        raise AnalysisError(f"no {org_type} with a founding year")
    years = list(range(int(fy.min()), int(fy.max()) + 1)) if years is None else list(years)
    groups = [(None, o, fy)] if by is None else [
        (k, o[(o[by] == k).to_numpy()], fy[(o[by] == k).to_numpy()]) for k in sorted(o[by].dropna().unique())]
    rows = []
    for k, sub, f in groups:
        new = f.value_counts()
        for y in years:
            row = {"year": int(y)}
            if by is not None:
                row[by] = k
            row["count"] = int((f <= y).sum())
            row["new"] = int(new.get(y, 0))
            rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class GrowthResult:
    """A fitted growth model and its projection.

    Attributes
    ----------
    model : str
    observed : DataFrame
        ``year``, ``count``, ``new``, ``fitted`` over the fitting window.
    projection : DataFrame
        ``year``, ``mean`` (point projection of the cumulative count), ``lower``, ``upper``.
    annual_growth : float
        Fitted yearly growth rate of the cumulative count (loglinear) or of new
        foundations (negbin).
    annual_growth_ci : tuple
    level : float
    params : dict
    """

    model: str
    observed: pd.DataFrame
    projection: pd.DataFrame
    annual_growth: float
    annual_growth_ci: tuple[float, float]
    level: float
    params: dict

    def to_dict(self) -> dict:
        return {"model": self.model, "annual_growth": self.annual_growth,
                "annual_growth_ci": list(self.annual_growth_ci), "level": self.level,
                "params": self.params, "observed": self.observed.to_dict("records"),
                "projection": self.projection.to_dict("records")}


def _loglinear(obs, future, level):
    import statsmodels.api as sm  # imported on use: statsmodels takes seconds to import

    X = sm.add_constant(obs["year"].to_numpy(dtype=float))
    y = np.log(obs["count"].to_numpy(dtype=float))
    if len(obs) < 3:
        raise AnalysisError("the log-linear model needs at least three years with counts")
    res = sm.OLS(y, X).fit()
    fitted = np.exp(res.fittedvalues)
    pf = res.get_prediction(sm.add_constant(np.asarray(future, dtype=float), has_constant="add"))
    fr = pf.summary_frame(alpha=1 - level)
    proj = pd.DataFrame({"year": future, "mean": np.exp(fr["mean"].to_numpy()),
                         "lower": np.exp(fr["obs_ci_lower"].to_numpy()),
                         "upper": np.exp(fr["obs_ci_upper"].to_numpy())})
    b = res.params[1]
    lo, hi = res.conf_int(alpha=1 - level)[1]
    return (fitted, proj, float(np.exp(b) - 1), (float(np.exp(lo) - 1), float(np.exp(hi) - 1)),
            {"intercept": float(res.params[0]), "slope": float(b), "r2": float(res.rsquared),
             "resid_sd": float(np.sqrt(res.scale))})


def _negbin(obs, future, level, rng, n_sim):
    import statsmodels.api as sm
    from scipy import stats

    yrs = obs["year"].to_numpy(dtype=float)
    if len(obs) < 3:
        raise AnalysisError("the negative-binomial model needs at least three years")
    x0 = yrs.mean()
    X = sm.add_constant(yrs - x0)
    y = obs["new"].to_numpy(dtype=float)
    res = sm.NegativeBinomial(y, X).fit(disp=0, maxiter=500)
    beta = res.params[:2]
    alpha = float(res.params[2])
    cov = res.cov_params()[:2, :2]
    fitted_new = np.exp(X @ beta)
    fitted = obs["count"].to_numpy(dtype=float)[0] - y[0] + np.cumsum(fitted_new)
    fut = np.asarray(future, dtype=float)
    Xf = sm.add_constant(fut - x0, has_constant="add")
    rng = np.random.default_rng(rng)
    B = rng.multivariate_normal(beta, cov, size=n_sim)
    mu = np.exp(B @ Xf.T)  # (n_sim, horizon)
    if alpha > 1e-8:
        lam = rng.gamma(shape=1 / alpha, scale=mu * alpha)
    else:
        lam = mu
    draws = rng.poisson(lam)
    last = float(obs["count"].iloc[-1])
    cum = last + np.cumsum(draws, axis=1)
    a = (1 - level) / 2
    proj = pd.DataFrame({"year": future,
                         "mean": last + np.cumsum(np.exp(Xf @ beta)),
                         "lower": np.quantile(cum, a, axis=0),
                         "upper": np.quantile(cum, 1 - a, axis=0)})
    se = float(np.sqrt(cov[1, 1]))
    z = float(stats.norm.ppf(1 - a))
    return (fitted, proj, float(np.exp(beta[1]) - 1),
            (float(np.exp(beta[1] - z * se) - 1), float(np.exp(beta[1] + z * se) - 1)),
            {"intercept": float(beta[0]), "slope": float(beta[1]), "alpha": alpha,
             "year_centre": float(x0), "n_sim": int(n_sim)})


def fit_growth(counts: pd.DataFrame, *, model: str = "loglinear", fit_years=None,
               horizon: int = 4, level: float = 0.95, rng=None, n_sim: int = 4000) -> GrowthResult:
    """Fit a growth model to yearly counts and project ``horizon`` years ahead.

    Parameters
    ----------
    counts : DataFrame
        ``year``, ``count`` (cumulative) and ``new`` (from :func:`yearly_counts`).
    model : {"loglinear", "negbin"}
    fit_years : (first, last), optional
        Fitting window (default: the last ten years available).
    horizon : int
        Years to project after the window.
    level : float
        Prediction-interval level.
    rng : Generator or seed, keyword-only
        For the negbin simulation.
    n_sim : int
        Simulation draws (negbin).

    Returns
    -------
    GrowthResult

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"year": range(2010, 2016), "count": [100, 110, 121, 133, 146, 161]})
    >>> r = fit_growth(c, horizon=1)
    >>> round(r.annual_growth, 3)
    0.1
    """
    fits = {"loglinear": None, "negbin": None}
    check_choice(model, tuple(fits), "model")
    require_columns(counts, ("year", "count"), table="counts")
    c = counts.sort_values("year")
    if fit_years is None:
        last = int(c["year"].max())
        fit_years = (last - 9, last)
    lo, hi = fit_years
    obs = c[(c["year"] >= lo) & (c["year"] <= hi)].copy()
    obs = obs[obs["count"] > 0]
    if "new" not in obs.columns:
        obs["new"] = obs["count"].diff().fillna(obs["count"].iloc[0] if len(obs) else 0)
    future = list(range(int(obs["year"].max()) + 1, int(obs["year"].max()) + 1 + horizon)) if len(obs) else []
    if model == "loglinear":
        fitted, proj, g, gci, params = _loglinear(obs, future, level)
    else:
        fitted, proj, g, gci, params = _negbin(obs, future, level, rng, n_sim)
    obs = obs[["year", "count", "new"]].reset_index(drop=True)
    obs["fitted"] = np.asarray(fitted)
    return GrowthResult(model, obs, proj, g, gci, float(level),
                        {**params, "fit_years": [int(lo), int(hi)]})


def fit_growth_by_province(organizations: pd.DataFrame, *, model: str = "loglinear",
                           fit_years=None, horizon: int = 4, level: float = 0.95, rng=None,
                           provinces=None) -> pd.DataFrame:
    """Fitted growth rate and projection of the last horizon year, per province.

    Returns
    -------
    DataFrame
        ``province``, ``count_last``, ``annual_growth``, ``growth_low``, ``growth_high``,
        ``projected``, ``lower``, ``upper`` (for the final projected year), sorted by count.
    """
    yc = yearly_counts(organizations, by=PROVINCE)
    provs = provinces if provinces is not None else sorted(yc[PROVINCE].unique())
    seeds = np.random.SeedSequence(np.random.default_rng(rng).integers(2**63)).spawn(len(provs))
    rows = []
    for p, ss in zip(provs, seeds):
        sub = yc[yc[PROVINCE] == p]
        try:
            r = fit_growth(sub, model=model, fit_years=fit_years, horizon=horizon, level=level,
                           rng=np.random.default_rng(ss))
        except (AnalysisError, np.linalg.LinAlgError, ValueError):
            continue
        last = r.projection.iloc[-1]
        rows.append({PROVINCE: p, "count_last": int(r.observed["count"].iloc[-1]),
                     "annual_growth": r.annual_growth, "growth_low": r.annual_growth_ci[0],
                     "growth_high": r.annual_growth_ci[1], "projected_year": int(last["year"]),
                     "projected": float(last["mean"]), "lower": float(last["lower"]),
                     "upper": float(last["upper"])})
    out = pd.DataFrame(rows)
    return out.sort_values(["count_last", PROVINCE], ascending=[False, True]).reset_index(drop=True) if len(out) else out


def seed_growth(stats: pd.DataFrame) -> dict:
    """The seed's 2017 → 2021 enterprise-association figures (datasets/real).

    Parameters
    ----------
    stats : DataFrame
        ``enterprise_assoc_stats`` (``kexie_research.data.load_real``).

    Returns
    -------
    dict
        ``count_2017``, ``count_2021``, ``growth``, ``growth_pct``, ``cagr`` (4 years),
        ``top`` (province, count, share of national) and ``new_2021``.

    Examples
    --------
    >>> from kexie_research.data import load_real
    >>> s = seed_growth(load_real("enterprise_assoc_stats"))
    >>> s["count_2017"], s["count_2021"], s["growth"], round(s["growth_pct"], 1)
    (15787, 26708, 10921, 69.2)
    """
    require_columns(stats, ("series", "year", "measure", "value"), table="enterprise_assoc_stats")
    nat = stats[(stats["series"] == "survey_national")
                & (stats["measure"] == "enterprise_associations_count")]
    by_year = {int(y): int(float(v)) for y, v in zip(nat["year"], nat["value"])}
    if 2017 not in by_year or 2021 not in by_year:
        raise AnalysisError("the seed table lacks the 2017 or 2021 national count")
    c17, c21 = by_year[2017], by_year[2021]
    prov = stats[(stats["series"] == "survey_province")
                 & (stats["measure"] == "enterprise_associations_count")]
    top = [{"province": p, "count": int(float(v)), "share": int(float(v)) / c21}
           for p, v in zip(prov["province"], prov["value"])]
    top.sort(key=lambda r: -r["count"])
    new = stats[(stats["series"] == "survey_province")
                & (stats["measure"] == "new_enterprise_associations")]
    return {"count_2017": c17, "count_2021": c21, "growth": c21 - c17,
            "growth_pct": 100 * (c21 - c17) / c17, "cagr": (c21 / c17) ** (1 / 4) - 1,
            "top": top,
            "new_2021": {p: int(float(v)) for p, v in zip(new["province"], new["value"])}}
