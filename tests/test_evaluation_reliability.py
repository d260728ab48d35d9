"""Reliability (alpha, omega, item-total) and factor structure (EFA, one-factor CFA)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kexie_research.errors import AnalysisError
from kexie_research.evaluation.reliability import (complete_items, compute_reliability, cronbach_alpha,
                                                   item_statistics, mcdonald_omega)
from kexie_research.evaluation.structure import (bartlett_sphericity, compute_cfa, compute_efa,
                                                 fit_one_factor, implied_correlation, kmo)
from kexie_research.schema import QUALITY_ITEMS

TINY = [[1, 1, 2], [2, 2, 2], [3, 3, 4], [2, 2, 4]]


def _items(x, names=QUALITY_ITEMS):
    return pd.DataFrame(np.asarray(x), columns=list(names)[: np.asarray(x).shape[1]])


def test_alpha_hand_computed_on_tiny_matrix():
    # item variances 2/3, 2/3, 4/3 (sum 8/3); sum scores 4, 6, 10, 8: variance 20/3
    # alpha = 3/2 · (1 − (8/3)/(20/3)) = 0.9
    a = cronbach_alpha(TINY)
    assert a.alpha == pytest.approx(0.9)
    assert (a.n, a.n_items) == (4, 3)


def test_feldt_interval_formula():
    a = cronbach_alpha(TINY, level=0.9)
    df1, df2 = 3, 6
    assert a.ci_low == pytest.approx(1 - 0.1 * stats.f.ppf(0.95, df1, df2))
    assert a.ci_high == pytest.approx(1 - 0.1 * stats.f.ppf(0.05, df1, df2))
    assert a.ci_low < a.alpha < a.ci_high


def test_feldt_interval_covers_population_alpha():
    # 8 parallel items, loading .7: population alpha = 8·.49/(1 + 7·.49) = 0.8849
    rng = np.random.default_rng(5)
    r = implied_correlation([0.7] * 8)
    true = 8 * 0.49 / (1 + 7 * 0.49)
    covered = []
    for _ in range(200):
        a = cronbach_alpha(rng.multivariate_normal(np.zeros(8), r, 120))
        covered.append(a.ci_low <= true <= a.ci_high)
    assert 0.90 <= np.mean(covered) <= 0.99


def test_item_statistics_hand_value():
    x = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 5], "c": [2, 1, 4, 3]})
    st = item_statistics(x).set_index("item")
    # a vs b+c = (3, 3, 7, 8): cov sum 9.5, SS 5 and 20.75 → r = 9.5/sqrt(103.75)
    assert st.loc["a", "item_total_r"] == pytest.approx(9.5 / np.sqrt(5 * 20.75))
    assert st.loc["a", "alpha_if_deleted"] == pytest.approx(cronbach_alpha(x[["b", "c"]]).alpha)


def test_constant_item_and_too_few_responses_are_clear_errors():
    x = _items(np.column_stack([np.arange(10) % 5 + 1, np.full(10, 3), (np.arange(10) * 3) % 5 + 1]))
    with pytest.raises(AnalysisError, match=r"constant item\(s\) curriculum_design \(every answer = 3\)"):
        compute_reliability(x, scales={"s": list(x.columns)})
    with pytest.raises(AnalysisError, match="2 complete response"):
        complete_items(_items([[1, 2, 3], [2, 3, 4]]), ["needs_fit", "curriculum_design", "lecturers"])


def test_omega_recovers_population_value():
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    true = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam ** 2).sum())
    x = np.random.default_rng(1).multivariate_normal(np.zeros(4), implied_correlation(lam), 5000)
    assert mcdonald_omega(x) == pytest.approx(true, abs=0.02)


def test_reliability_by_role_and_skip_notes():
    rng = np.random.default_rng(3)
    f = rng.normal(size=60)
    x = pd.DataFrame({it: np.clip(np.rint(3 + f + rng.normal(0, 0.7, 60)), 1, 5) for it in QUALITY_ITEMS})
    x["rater_role"] = ["learner"] * 58 + ["office"] * 2
    res = compute_reliability(x, by="rater_role", errors="skip")
    assert list(res.scales["scale"]) == ["quality", "quality[learner]"]
    assert any("quality[office]" in n and "skipped" in n for n in res.notes)
    row = res.scales.iloc[0]
    assert row["ci_low"] < row["alpha"] < row["ci_high"] and row["n"] == 60
    with pytest.raises(AnalysisError):
        compute_reliability(x, by="rater_role", errors="raise")


# ------------------------------------------------------------------ CFA


def test_three_indicators_closed_form():
    # just identified: λ1 = sqrt(r12 r13 / r23)
    r = np.array([[1, 0.42, 0.35], [0.42, 1, 0.30], [0.35, 0.30, 1]])
    fit = fit_one_factor(r, n=300)
    assert fit.loadings[0] == pytest.approx(np.sqrt(0.42 * 0.35 / 0.30), abs=1e-4)
    assert fit.loadings[2] == pytest.approx(np.sqrt(0.35 * 0.30 / 0.42), abs=1e-4)
    assert fit.df == 0 and np.isnan(fit.cfi)


def test_exact_one_factor_matrix_fits_perfectly():
    fit = fit_one_factor(implied_correlation([0.8, 0.7, 0.6, 0.5, 0.75]), n=500)
    assert fit.chi2 == pytest.approx(0, abs=1e-6)
    assert fit.df == 5 and fit.cfi == pytest.approx(1) and fit.rmsea == 0 and fit.srmr < 1e-4
    np.testing.assert_allclose(fit.loadings, [0.8, 0.7, 0.6, 0.5, 0.75], atol=1e-4)


def test_ml_loadings_agree_with_statsmodels_factor():
    from statsmodels.multivariate.factor import Factor
    x = np.random.default_rng(3).multivariate_normal(np.zeros(8), implied_correlation(
        [0.8, 0.7, 0.75, 0.6, 0.65, 0.7, 0.5, 0.55]), 300)
    r = np.corrcoef(x, rowvar=False)
    ours = fit_one_factor(np.cov(x, rowvar=False), n=300)
    sm = np.abs(np.asarray(Factor(corr=r, n_factor=1, method="ml", nobs=300).fit().loadings).ravel())
    np.testing.assert_allclose(ours.loadings, sm, atol=1e-3)


def test_fit_indices_formulas_and_misfit():
    # two uncorrelated factors of 4 items each: a one-factor model must fit badly
    lam = np.zeros((8, 2))
    lam[:4, 0] = 0.8
    lam[4:, 1] = 0.8
    sig = lam @ lam.T + np.diag(1 - (lam ** 2).sum(1))
    x = np.random.default_rng(9).multivariate_normal(np.zeros(8), sig, 400)
    fit = compute_cfa(_items(x))
    assert fit.rmsea > 0.15 and fit.cfi < 0.8
    # formulas: chi2 → p, RMSEA and TLI from chi2, df, baseline
    assert fit.p == pytest.approx(stats.chi2.sf(fit.chi2, fit.df))
    assert fit.rmsea == pytest.approx(np.sqrt((fit.chi2 - fit.df) / (fit.df * (fit.n - 1))))
    b = fit.chi2_baseline / fit.df_baseline
    assert fit.tli == pytest.approx((b - fit.chi2 / fit.df) / (b - 1))
    assert fit.rmsea_ci_low <= fit.rmsea <= fit.rmsea_ci_high


def test_cfa_errors():
    with pytest.raises(AnalysisError, match="at least 4 items"):
        compute_cfa(_items(np.ones((5, 3))), items=QUALITY_ITEMS[:3])
    # 12 responses with only 5 distinct rows: singular correlation matrix
    x = _items([[(i + j) % 5 + 1 for j in range(8)] for i in range(12)])
    with pytest.raises(AnalysisError, match="singular"):
        compute_cfa(x)


# ------------------------------------------------------------------ EFA


def test_efa_parallel_analysis_finds_two_factors():
    lam = np.zeros((8, 2))
    lam[:4, 0] = 0.75
    lam[4:, 1] = 0.75
    sig = lam @ lam.T + np.diag(1 - (lam ** 2).sum(1))
    x = _items(np.random.default_rng(4).multivariate_normal(np.zeros(8), sig, 500))
    e = compute_efa(x, rng=1, n_iter=40)
    assert e.n_factors_suggested == 2 and e.n_factors == 2
    L = e.loadings[["F1", "F2"]].abs().to_numpy()
    # varimax: each item loads mainly on its own factor
    assert (L[:4].argmax(1) == L[:4].argmax(1)[0]).all()
    assert (L[4:].argmax(1) != L[:4].argmax(1)[0]).all()
    assert 0 < e.bartlett_p < 1e-10 and 0.5 < e.kmo < 1


def test_kmo_and_bartlett_on_identity():
    assert bartlett_sphericity(np.eye(4), 100)[0] == pytest.approx(0)
    with pytest.raises(ValueError, match="method must be one of"):
        compute_efa(_items(np.random.default_rng(0).normal(size=(50, 8))), method="minres")
    k, per = kmo(implied_correlation([0.7] * 6))
    assert 0.5 < k < 1 and len(per) == 6


from hypothesis import given, strategies as st  # noqa: E402


@given(st.lists(st.lists(st.integers(1, 5), min_size=4, max_size=4), min_size=5, max_size=40))
def test_alpha_invariants(rows):
    x = np.asarray(rows, float)
    if (x.std(axis=0) == 0).any() or x.sum(axis=1).std() == 0:
        return
    a = cronbach_alpha(x)
    assert a.alpha <= 1 + 1e-12
    assert a.ci_low <= a.alpha <= a.ci_high
