"""Power and design (kexie_research.evaluation.power)."""

import math

import numpy as np
import pytest
from scipy import stats

from kexie_research.errors import AnalysisError
from kexie_research.evaluation.power import (design_effect, mde_clustered, mde_did, mde_ttest, plan_design,
                                             power_table, sample_size_clustered, sample_size_paired,
                                             sample_size_ttest, simulate_power_mixed)


def test_statsmodels_oracle_63_77():
    # statsmodels' documented example (DOMAIN.md § 6): d = 0.5, α = .05, power .8
    assert sample_size_ttest(0.5) == pytest.approx(63.77, abs=0.01)
    assert mde_ttest(63.7656) == pytest.approx(0.5, abs=1e-3)


def test_paired_size_matches_noncentral_t():
    n = math.ceil(sample_size_paired(0.5))
    # power at n pairs from the noncentral t by hand
    df, nc = n - 1, 0.5 * math.sqrt(n)
    crit = stats.t.ppf(0.975, df)
    pw = stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc)
    assert pw >= 0.8 and n == 34


def test_design_effect_and_clustered_size():
    assert design_effect(1, 0.3) == 1.0
    assert design_effect(20, 0.05) == pytest.approx(1.95)
    r = sample_size_clustered(0.5, cluster_size=20, icc=0.05)
    assert r["n_per_arm_exact"] == pytest.approx(63.7656 * 1.95, rel=1e-4)
    # people are whole numbers: 63.77 → 64 per arm (SRS), 124.3 → 125 (clustered)
    assert (r["n_srs"], r["n_per_arm"]) == (64, 125)
    assert r["clusters_per_arm"] == 7  # ceil(124.3 / 20)
    # inverse: 7 clusters of 20 detect a little less than 0.5
    assert mde_clustered(7, cluster_size=20, icc=0.05) < 0.5
    with pytest.raises(ValueError, match="icc must be between 0 and 1"):
        design_effect(10, 1.5)


def test_mde_did_hand_and_mckenzie_cases():
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)  # 2.8016
    # m = r = 1, ρ = 0: Var = σ²(2/n)·2
    assert mde_did(100, 100) == pytest.approx(z * math.sqrt(0.02 * 2))
    # more rounds and correlation shrink the MDE by sqrt((1 − ρ)(m + r)/(2 m r))
    assert mde_did(100, 100, rho=0.5, pre_periods=2, post_periods=2) == pytest.approx(
        z * math.sqrt(0.02 * 0.5 * 1.0))
    assert mde_did(100, 100, cluster_size=10, icc=0.1) == pytest.approx(
        mde_did(100, 100) * math.sqrt(1.9))
    with pytest.raises(AnalysisError):
        mde_did(0, 10)


def test_mde_did_matches_simulated_two_period_did():
    # at the MDE, a two-period DiD (z test on change scores) has power ≈ 0.8
    rng = np.random.default_rng(0)
    n, rho = 200, 0.5
    mde = mde_did(n, n, rho=rho)
    cov = [[1, rho], [rho, 1]]
    hits = 0
    for _ in range(400):
        t = rng.multivariate_normal([0, mde], cov, n)
        c = rng.multivariate_normal([0, 0], cov, n)
        dt, dc = t[:, 1] - t[:, 0], c[:, 1] - c[:, 0]
        zstat = (dt.mean() - dc.mean()) / math.sqrt(dt.var(ddof=1) / n + dc.var(ddof=1) / n)
        hits += abs(zstat) > 1.96
    assert hits / 400 == pytest.approx(0.8, abs=0.06)


def test_simulated_mixed_power_is_reproducible_and_sane():
    a = simulate_power_mixed(0.6, n_clusters=10, cluster_size=8, icc=0.1, n_sims=8, rng=3)
    b = simulate_power_mixed(0.6, n_clusters=10, cluster_size=8, icc=0.1, n_sims=8, rng=3)
    assert a == b
    assert 0 <= a.ci_low <= a.power <= a.ci_high <= 1 and a.n_failed == 0
    null = simulate_power_mixed(0.0, n_clusters=10, cluster_size=8, icc=0.1, n_sims=8, rng=4)
    assert null.power <= 0.4
    with pytest.raises(AnalysisError, match="at least 4 clusters"):
        simulate_power_mixed(0.5, n_clusters=2, cluster_size=5, icc=0.1, n_sims=2)


@pytest.mark.slow
def test_simulated_mixed_power_agrees_with_design_effect_formula():
    r = simulate_power_mixed(0.5, n_clusters=16, cluster_size=10, icc=0.1, n_sims=120, rng=11)
    # Wald z with few clusters is a little liberal; the analytic t-based power is ~0.6
    assert r.ci_low - 0.08 <= r.analytic <= r.ci_high + 0.08


def test_power_table_rows():
    t = power_table((0.2, 0.3, 0.5), cluster_size=30, icc=0.05)
    assert list(t["effect_size"]) == [0.2, 0.3, 0.5]
    # the review's case: d = 0.2 needs 393.41 per group → 394 people (ceil), an integer column
    assert t["n_srs"].tolist() == [394, 176, 64] and t["n_srs"].dtype.kind == "i"
    assert t["n_srs_exact"].iloc[0] == pytest.approx(393.41, abs=0.01)
    assert t["pairs_pre_post"].tolist() == [199, 90, 34]
    assert (t["n_per_arm"] >= t["n_srs_exact"] * t["design_effect"]).all() and t["n_per_arm"].dtype.kind == "i"
    t = t.iloc[1:].reset_index(drop=True)
    assert t["design_effect"].tolist() == pytest.approx([2.45, 2.45])


def _gain_survey(gains_by_session, quality_by_session=None):
    import pandas as pd
    from kexie_research.schema import QUALITY_ITEMS

    rows = []
    for s, gains in gains_by_session.items():
        q = (quality_by_session or {}).get(s, [3] * len(gains))
        for i, (g, v) in enumerate(zip(gains, q)):
            rows.append({"training_id": s, "rater_role": "learner", "pre_score": 50.0,
                         "post_score": 50.0 + g, **{it: v for it in QUALITY_ITEMS}})
    return pd.DataFrame(rows)


def test_plan_design_estimates_the_icc_of_the_learning_gain():
    # gains: session a 1, 2, 3; session b 3, 4, 5 → MSB = 6, MSW = 1, m0 = 3 → ICC = 5/8;
    # quality all equal within a session, 1 vs 5 → quality ICC would be 1 (the wrong outcome)
    df = _gain_survey({"a": [1, 2, 3], "b": [3, 4, 5]}, {"a": [1, 1, 1], "b": [5, 5, 5]})
    plan = plan_design(df, effect_size=0.3, cluster_size=30)
    assert plan.icc == pytest.approx(5 / 8) and plan.icc_outcome == "gain"
    assert plan.icc_source == "estimated"
    deff = 1 + 29 * 5 / 8
    n = sample_size_ttest(0.3)
    assert plan.design_effect == pytest.approx(deff)
    assert (plan.n_srs, plan.n_per_arm, plan.clusters_per_arm) == (
        math.ceil(n), math.ceil(n * deff), math.ceil(n * deff / 30))
    d = plan.to_dict()
    assert d["icc_outcome"] == "gain" and d["clusters_per_arm"] == plan.clusters_per_arm
    assert isinstance(d["n_srs"], int) and len(d["table"]) == 3
    # the quality composite is still available when that is what a design targets
    assert plan_design(df, outcome="overall").icc == pytest.approx(1.0)


def test_plan_design_falls_back_to_the_assumed_icc_and_says_so():
    import pandas as pd
    from kexie_research.schema import QUALITY_ITEMS

    df = pd.DataFrame([{"training_id": "a", "rater_role": "learner", **{i: 3 for i in QUALITY_ITEMS}}])
    plan = plan_design(df, assumed_icc=0.05)
    assert (plan.icc, plan.icc_source) == (0.05, "assumed") and plan.note
    plan = plan_design(None, assumed_icc=0.1)
    assert (plan.icc, plan.icc_source) == (0.1, "assumed")
    with pytest.raises(ValueError, match="outcome must be one of"):
        plan_design(df, outcome="height")


def test_embedded_survey_gain_icc_is_near_zero_so_few_sessions_are_needed():
    """The review's case: the report planned d = 0.3 with the quality composite's ICC
    (0.179 → 37 sessions per arm); the trial targets learning gains, whose between-session
    ICC is ≈ 0 (truncated at 0), so 176 learners in 6 sessions of 30 per arm suffice."""
    from kexie_research.data import load_dataset

    ds = load_dataset(kinds=["survey"])
    assert plan_design(ds.survey, outcome="overall").clusters_per_arm == 37
    plan = plan_design(ds.survey)
    assert plan.icc_outcome == "gain" and plan.icc == 0.0 and plan.icc_raw < 0
    assert (plan.n_srs, plan.clusters_per_arm) == (176, 6)
