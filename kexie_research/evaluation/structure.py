"""Factor structure of the quality instrument: exploratory and one-factor confirmatory.

* :func:`compute_efa` — sampling adequacy (KMO, Bartlett), eigenvalues with Horn's parallel
  analysis for the number of factors, and principal-axis or maximum-likelihood factoring
  with rotation, through :class:`statsmodels.multivariate.factor.Factor` (BSD-3).
* :func:`fit_one_factor` / :func:`compute_cfa` — a one-factor confirmatory model fitted by
  maximum likelihood here (numpy/scipy), with χ², CFI, TLI, RMSEA (90 % CI) and SRMR from
  the standard formulas. The eight items are meant to measure one construct, so the
  one-factor model is the hypothesis to test.

Licences: ``factor_analyzer`` (GPL-2.0-or-later) is not used — it would bind the project's BSD-3
licence. ``semopy`` (MIT) would be compatible, but a one-factor model does not justify
the dependency; see ``docs/effectiveness.md``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import AnalysisError
from ..schema import QUALITY_ITEMS
from ._common import complete_items, dispatch, result_to_dict

__all__ = [
    "OneFactorFit",
    "EFAResult",
    "implied_correlation",
    "fit_one_factor",
    "compute_cfa",
    "compute_efa",
    "parallel_analysis",
    "kmo",
    "bartlett_sphericity",
]


def implied_correlation(loadings: Sequence[float]) -> np.ndarray:
    """The correlation matrix a one-factor model with standardised ``loadings`` implies.

    Examples
    --------
    >>> implied_correlation([0.8, 0.5]).round(2).tolist()
    [[1.0, 0.4], [0.4, 1.0]]
    """
    lam = np.asarray(loadings, dtype=float)
    r = np.outer(lam, lam)
    np.fill_diagonal(r, 1.0)
    return r


def _to_corr(s: np.ndarray) -> np.ndarray:
    s = np.asarray(s, dtype=float)
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise AnalysisError("a square covariance or correlation matrix is needed")
    d = np.sqrt(np.diag(s))
    if not (d > 0).all():
        raise AnalysisError("an item has zero variance (constant item); drop it")
    return s / np.outer(d, d)


def _check_pd(r: np.ndarray) -> None:
    ev = np.linalg.eigvalsh(r)
    if ev.min() <= 1e-10 * max(ev.max(), 1.0):
        raise AnalysisError("the item correlation matrix is singular (items are exact linear "
                            "combinations of each other, or fewer distinct responses than "
                            "items): factor models cannot be fitted")


@dataclass(frozen=True)
class OneFactorFit:
    """A one-factor model fitted by maximum likelihood (standardised solution).

    ``chi2`` = (n − 1)·F_ML; ``df`` = p(p + 1)/2 − 2p; CFI = 1 − max(χ² − df, 0) /
    max(χ²₀ − df₀, χ² − df, 0); TLI = (χ²₀/df₀ − χ²/df)/(χ²₀/df₀ − 1); RMSEA =
    √(max(χ² − df, 0)/(df·(n − 1))) with a 90 % CI from the noncentral χ²; SRMR = root mean
    square of the residual correlations (lower triangle with diagonal). χ²₀, df₀ are the
    independence model's. Fit indices are NaN when df = 0 (p = 3, just identified).
    ``heywood`` flags a unique variance at its lower bound.
    """

    items: tuple[str, ...]
    loadings: np.ndarray
    uniquenesses: np.ndarray
    n: int
    chi2: float
    df: int
    p: float
    chi2_baseline: float
    df_baseline: int
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    srmr: float
    converged: bool
    heywood: bool

    def loadings_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"item": list(self.items), "loading": self.loadings,
                             "uniqueness": self.uniquenesses})

    def fit_indices(self) -> dict:
        return {k: getattr(self, k) for k in ("chi2", "df", "p", "cfi", "tli", "rmsea",
                                              "rmsea_ci_low", "rmsea_ci_high", "srmr", "n")}

    def to_dict(self) -> dict:
        return result_to_dict(self)


def _rmsea_ci(chi2: float, df: int, n: int, level: float = 0.90) -> tuple[float, float]:
    """Noncentral-χ² interval of RMSEA (Steiger & Lind 1980; MacCallum et al. 1996)."""
    def solve(target):
        f = lambda nc: stats.ncx2.cdf(chi2, df, nc) - target if nc > 0 else stats.chi2.cdf(chi2, df) - target  # noqa: E731
        if f(0.0) < 0:
            return 0.0
        hi = max(10.0, chi2 * 4)
        while f(hi) > 0:
            hi *= 2
        return optimize.brentq(f, 0.0, hi)
    a = (1 - level) / 2
    lo, hi = solve(1 - a), solve(a)
    return float(np.sqrt(lo / (df * (n - 1)))), float(np.sqrt(hi / (df * (n - 1))))


def fit_one_factor(cov: np.ndarray, *, n: int, items: Sequence[str] | None = None,
                   psi_min: float = 0.005) -> OneFactorFit:
    """Fit a one-factor model by maximum likelihood to a covariance/correlation matrix.

    Minimises :math:`F = \\log|\\Sigma| + \\mathrm{tr}(S\\Sigma^{-1}) - \\log|S| - p` over
    :math:`\\Sigma = \\lambda\\lambda^\\top + \\Psi` (factor variance 1) on the correlation
    scale, with the analytic gradient (L-BFGS-B; unique variances bounded below by
    ``psi_min``).

    Parameters
    ----------
    cov : array, shape (p, p)
    n : int
        Number of observations (for χ² = (n − 1)·F).
    items : sequence of str, optional
    psi_min : float

    Returns
    -------
    OneFactorFit

    References
    ----------
    Jöreskog, K. G. (1969). A general approach to confirmatory maximum likelihood factor
    analysis. *Psychometrika*, 34, 183–202. Hu, L., & Bentler, P. M. (1999). Cutoff
    criteria for fit indexes. *Structural Equation Modeling*, 6, 1–55.

    Examples
    --------
    Three indicators are just identified: λ₁ = √(r₁₂ r₁₃ / r₂₃) (here √(.56·.48/.42) = .8).

    >>> r = implied_correlation([0.8, 0.7, 0.6])
    >>> fit_one_factor(r, n=200).loadings.round(3).tolist()
    [0.8, 0.7, 0.6]
    """
    r = _to_corr(cov)
    p = r.shape[0]
    if p < 3:
        raise AnalysisError(f"a one-factor model needs at least 3 items, got {p}")
    if n <= p:
        raise AnalysisError(f"a one-factor model of {p} items needs more than {p} responses, got {n}")
    _check_pd(r)
    logdet_s = np.linalg.slogdet(r)[1]

    def f_and_grad(theta):
        lam, psi = theta[:p], theta[p:]
        sig = np.outer(lam, lam) + np.diag(psi)
        sign, logdet = np.linalg.slogdet(sig)
        if sign <= 0:
            return 1e10, np.zeros_like(theta)
        inv = np.linalg.inv(sig)
        f = logdet + np.trace(r @ inv) - logdet_s - p
        g = inv - inv @ r @ inv
        return f, np.concatenate([2 * g @ lam, np.diag(g)])

    ev, evec = np.linalg.eigh(r)
    lam0 = evec[:, -1] * np.sqrt(ev[-1])
    lam0 *= np.sign(lam0.sum()) or 1.0
    lam0 = np.clip(lam0, -0.95, 0.95)
    theta0 = np.concatenate([lam0, np.clip(1 - lam0 ** 2, psi_min, None)])
    bounds = [(None, None)] * p + [(psi_min, None)] * p
    res = optimize.minimize(f_and_grad, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-10})
    lam, psi = res.x[:p], res.x[p:]
    if lam.sum() < 0:
        lam = -lam
    fmin = max(float(res.fun), 0.0)
    chi2 = (n - 1) * fmin
    df = p * (p + 1) // 2 - 2 * p
    chi2_0 = (n - 1) * (-logdet_s)
    df_0 = p * (p - 1) // 2
    if df > 0:
        pval = float(stats.chi2.sf(chi2, df))
        d, d0 = max(chi2 - df, 0.0), max(chi2_0 - df_0, 0.0)
        cfi = 1.0 - d / max(d0, d) if max(d0, d) > 0 else 1.0
        tli = (chi2_0 / df_0 - chi2 / df) / (chi2_0 / df_0 - 1)
        rmsea = float(np.sqrt(d / (df * (n - 1))))
        rl, rh = _rmsea_ci(chi2, df, n)
    else:
        pval = cfi = tli = rmsea = rl = rh = float("nan")
    resid = r - (np.outer(lam, lam) + np.diag(psi))
    tri = np.tril_indices(p)
    srmr = float(np.sqrt(np.mean(resid[tri] ** 2)))
    names = tuple(items) if items is not None else tuple(f"item{i + 1}" for i in range(p))
    return OneFactorFit(items=names, loadings=lam, uniquenesses=psi, n=int(n), chi2=float(chi2),
                        df=int(df), p=pval, chi2_baseline=float(chi2_0), df_baseline=int(df_0),
                        cfi=float(cfi), tli=float(tli), rmsea=rmsea, rmsea_ci_low=rl,
                        rmsea_ci_high=rh, srmr=srmr, converged=bool(res.success),
                        heywood=bool((psi <= psi_min * 1.0001).any()))


def compute_cfa(survey: pd.DataFrame, *, items: Sequence[str] = QUALITY_ITEMS) -> OneFactorFit:
    """One-factor confirmatory model of the quality items (complete responses).

    Raises :class:`AnalysisError` when fit indices cannot exist (fewer than 4 items: the
    model is just identified) or the data cannot support the model.
    """
    if len(items) < 4:
        raise AnalysisError(f"CFA fit indices need at least 4 items (df = 0 with 3); got {len(items)}")
    x = complete_items(survey, items, scale="quality")
    return fit_one_factor(np.cov(x.to_numpy(), rowvar=False), n=len(x), items=list(items))


# --------------------------------------------------------------------------- EFA

def kmo(r: np.ndarray) -> tuple[float, np.ndarray]:
    """Kaiser–Meyer–Olkin measure of sampling adequacy: overall and per item.

    KMO = Σ r²ᵢⱼ / (Σ r²ᵢⱼ + Σ a²ᵢⱼ) over i ≠ j, with aᵢⱼ the partial (anti-image)
    correlations from the inverse correlation matrix (Kaiser 1974).
    """
    r = _to_corr(r)
    inv = np.linalg.inv(r)
    d = np.sqrt(np.diag(inv))
    a = -inv / np.outer(d, d)
    off = ~np.eye(len(r), dtype=bool)
    r2, a2 = np.where(off, r ** 2, 0), np.where(off, a ** 2, 0)
    return float(r2.sum() / (r2.sum() + a2.sum())), r2.sum(0) / (r2.sum(0) + a2.sum(0))


def bartlett_sphericity(r: np.ndarray, n: int) -> tuple[float, int, float]:
    """Bartlett's test that the correlation matrix is the identity: (χ², df, p).

    χ² = −(n − 1 − (2p + 5)/6)·ln|R|, df = p(p − 1)/2 (Bartlett 1951).
    """
    r = _to_corr(r)
    p = r.shape[0]
    chi2 = -(n - 1 - (2 * p + 5) / 6) * np.linalg.slogdet(r)[1]
    df = p * (p - 1) // 2
    return float(chi2), int(df), float(stats.chi2.sf(chi2, df))


def parallel_analysis(n: int, p: int, *, n_iter: int = 100, quantile: float = 0.95,
                      rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Horn's (1965) parallel analysis: the ``quantile`` of each ordered eigenvalue of the
    correlation matrix of n × p independent normal data, over ``n_iter`` draws."""
    rng = np.random.default_rng(rng)
    ev = np.empty((n_iter, p))
    for i in range(n_iter):
        z = rng.standard_normal((n, p))
        ev[i] = np.sort(np.linalg.eigvalsh(np.corrcoef(z, rowvar=False)))[::-1]
    return np.quantile(ev, quantile, axis=0)


@dataclass(frozen=True)
class EFAResult:
    """Exploratory factor analysis of the items.

    Attributes
    ----------
    loadings : DataFrame
        ``item, F1..Fm, communality, uniqueness`` (rotated when ``rotation`` is not none).
    eigen : DataFrame
        ``factor, eigenvalue, parallel_95, proportion`` — eigenvalues of the correlation
        matrix against the parallel-analysis threshold.
    n_factors : int
        Factors extracted.
    n_factors_suggested : int
        By parallel analysis (eigenvalues above the random-data 95th percentile).
    kmo : float
    bartlett_chi2, bartlett_df, bartlett_p : float, int, float
    method, rotation : str
    n : int
    converged : bool
        False when statsmodels' ML fit reported non-convergence (a Heywood case is likely).
    """

    loadings: pd.DataFrame
    eigen: pd.DataFrame
    n_factors: int
    n_factors_suggested: int
    kmo: float
    bartlett_chi2: float
    bartlett_df: int
    bartlett_p: float
    method: str
    rotation: str
    n: int
    converged: bool = True

    def to_dict(self) -> dict:
        return result_to_dict(self)


_METHODS = {"ml": "ml", "principal_axis": "pa"}
_ROTATIONS = ("varimax", "promax", "oblimin", "none")


def compute_efa(survey: pd.DataFrame, *, items: Sequence[str] = QUALITY_ITEMS,
                n_factors: int | None = None,
                method: Literal["ml", "principal_axis"] = "principal_axis",
                rotation: Literal["varimax", "promax", "oblimin", "none"] = "varimax",
                n_iter: int = 100, rng: np.random.Generator | int | None = None) -> EFAResult:
    """Exploratory factor analysis of the quality items.

    Parameters
    ----------
    survey : DataFrame
    items : sequence of str
    n_factors : int, optional
        Factors to extract; default: the parallel-analysis suggestion (at least 1).
    method : {"principal_axis", "ml"}
        Iterated principal-axis factoring (SMC start) or maximum likelihood, by statsmodels.
    rotation : {"varimax", "promax", "oblimin", "none"}
        Ignored with one factor.
    n_iter : int
        Random data sets for parallel analysis.
    rng : Generator or int, optional

    Returns
    -------
    EFAResult

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    *Psychometrika*, 30, 179–185. Fabrigar, L. R., et al. (1999). Evaluating the use of
    exploratory factor analysis in psychological research. *Psychological Methods*, 4, 272–299.
    """
    from statsmodels.multivariate.factor import Factor

    sm_method = dispatch("method", method, _METHODS)
    dispatch("rotation", rotation, dict.fromkeys(_ROTATIONS))
    x = complete_items(survey, items, scale="quality")
    n, p = x.shape
    r = np.corrcoef(x.to_numpy(), rowvar=False)
    _check_pd(r)
    k_all, _ = kmo(r)
    b_chi2, b_df, b_p = bartlett_sphericity(r, n)
    ev = np.sort(np.linalg.eigvalsh(r))[::-1]
    pa = parallel_analysis(n, p, n_iter=n_iter, rng=rng)
    above = ev > pa
    suggested = int(np.argmin(above)) if not above.all() else p
    m = n_factors if n_factors is not None else max(1, suggested)
    max_m = int(np.floor((2 * p + 1 - np.sqrt(8 * p + 1)) / 2))  # positive df for ML
    if not 1 <= m <= max(1, max_m):
        raise AnalysisError(f"cannot extract {m} factors from {p} items (at most {max_m})")
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    fa = Factor(corr=r, n_factor=m, method=sm_method, nobs=n, endog_names=list(items))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        res = fa.fit()
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    if m > 1 and rotation != "none":
        res.rotate(rotation)
    L = np.asarray(res.loadings, dtype=float)
    L = L * np.where(L.sum(axis=0) < 0, -1.0, 1.0)
    comm = (L ** 2).sum(axis=1) if rotation in ("varimax", "none") or m == 1 else 1 - np.asarray(res.uniqueness)
    loadings = pd.DataFrame(L, columns=[f"F{j + 1}" for j in range(m)])
    loadings.insert(0, "item", list(items))
    loadings["communality"] = comm
    loadings["uniqueness"] = 1 - comm
    eigen = pd.DataFrame({"factor": np.arange(1, p + 1), "eigenvalue": ev, "parallel_95": pa,
                          "proportion": ev / p})
    return EFAResult(loadings=loadings, eigen=eigen, n_factors=m, n_factors_suggested=suggested,
                     kmo=k_all, bartlett_chi2=b_chi2, bartlett_df=b_df, bartlett_p=b_p,
                     method=method, rotation=rotation if m > 1 else "none", n=n, converged=converged)
