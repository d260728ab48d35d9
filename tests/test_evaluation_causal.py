"""DiD, group-time, event study, mixed model and segments (evaluation.causal / .heterogeneity)."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kexie_research.errors import AnalysisError
from kexie_research.evaluation.causal import (build_panel, estimate_did, estimate_event_study,
                                              estimate_group_time, estimate_mixed_model)
from kexie_research.evaluation.heterogeneity import estimate_heterogeneity

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "evaluation"))
from simdata import sim_outputs  # noqa: E402


def _panel(**kw):
    d = sim_outputs(**kw)
    return build_panel(d["outputs"], d["attendance"], d["trainings"], d["representatives"])


@pytest.fixture(scope="module")
def panel():
    return _panel(seed=1, n_reps=200)


def test_build_panel_timing_rules():
    att = pd.DataFrame({"rep_id": ["A", "B", "B"], "training_id": ["T1", "T2", "T3"], "role": "learner"})
    tr = pd.DataFrame({"training_id": ["T1", "T2", "T3"],
                       "end_date": pd.to_datetime(["2018-06-30", "2017-11-20", "2019-03-01"]),
                       "modality": ["centralized", "online", "centralized"]})
    out = pd.DataFrame({"rep_id": np.repeat(["A", "B", "C"], 3), "year": [2017, 2018, 2019] * 3,
                        "proposals": 1, "research_reports": 0, "suggestions_adopted": 2})
    p = build_panel(out, att, tr).set_index(["rep_id", "year"])
    # A: ended by 30 June → treated from 2018; B: first session ended in November 2017 → 2018
    assert p.loc[("A", 2018), "cohort"] == 2018 and p.loc[("A", 2017), "treated"] == 0
    assert p.loc[("B", 2018), "treated"] == 1 and p.loc[("B", 2017), "rel_time"] == -1
    assert p.loc[("B", 2017), "modality"] == "online"
    assert pd.isna(p.loc[("C", 2019), "cohort"]) and p.loc[("C", 2019), "treated"] == 0
    assert p.loc[("A", 2017), "total"] == 3
    q = build_panel(out, att, tr, post_rule="session_year").set_index(["rep_id", "year"])
    assert q.loc[("B", 2017), "treated"] == 1


def test_twfe_equals_dummy_regression():
    import statsmodels.formula.api as smf
    panel = _panel(seed=6, n_reps=120)
    res = estimate_did(panel, n_boot=50, rng=1)
    tw = res.twfe
    g = pd.factorize(panel["rep_id"])[0]
    ols = smf.ols("proposals ~ treated + C(rep_id) + C(year)", panel).fit(
        cov_type="cluster", cov_kwds={"groups": g}, use_t=True)
    assert tw["estimate"] == pytest.approx(ols.params["treated"], rel=1e-8)
    # same CR1 covariance up to statsmodels' (N−1)/(N−K) factor, K counting the dummies here
    N, K = len(panel), int(ols.df_model) + 1
    assert tw["std_error"] == pytest.approx(ols.bse["treated"] * np.sqrt((N - K) / (N - 1)), rel=1e-6)


def test_did_and_mixed_model_recover_planted_effect():
    # 6 independent data sets with effect 0.7: the mean estimate of each estimator is
    # within 0.1 (≥ 2.5 SE of the mean) and its 95% interval covers the truth in at least 5
    # of 6 (P(< 5) ≈ 0.03 if coverage is nominal)
    rows = []
    for seed in range(6):
        p = _panel(seed=100 + seed, n_reps=300, effect=0.7)
        res = estimate_did(p, n_boot=100, rng=seed)
        mm = estimate_mixed_model(p).table.assign(method="mixed")
        rows.append(pd.concat([res.table, mm], ignore_index=True))
    allr = pd.concat(rows)
    for method, g in allr.groupby("method"):
        assert g["estimate"].mean() == pytest.approx(0.7, abs=0.1), method
        assert ((g["ci_low"] <= 0.7) & (0.7 <= g["ci_high"])).sum() >= 5, method
    assert res.n_treated_units < res.n_units
    assert "Goodman-Bacon" in res.caveat


def test_group_time_is_robust_to_growing_effects_where_twfe_is_not():
    # effects grow by 0.5 per year since training: TWFE mixes in forbidden comparisons
    p = _panel(seed=5, n_reps=600, effect=0.5, dynamic=0.5, noise_sd=0.5)
    gt = estimate_group_time(p, n_boot=100, rng=1)
    cells, overall = gt.cells, gt.overall
    post = cells[cells["rel_time"] >= 0]
    # each cell estimates 0.5 + 0.5·rel_time
    assert np.allclose(post["estimate"], 0.5 + 0.5 * post["rel_time"], atol=0.35)
    true_att = float(np.average(0.5 + 0.5 * post["rel_time"], weights=post["n"]))
    assert overall["ci_low"] <= true_att <= overall["ci_high"]
    tw = estimate_did(p, n_boot=50, rng=1).twfe["estimate"]
    assert tw < overall["estimate"] - 0.1
    # the dynamic profile: placebo leads ≈ 0, lags 0.5 + 0.5·e, intervals covering them
    dyn = gt.dynamic.set_index("rel_time")
    truth = np.where(dyn.index < 0, 0.0, 0.5 + 0.5 * dyn.index)
    # 95% intervals of ~9 exposure lengths: at most one may miss by chance
    assert ((dyn["ci_low"] > truth) | (dyn["ci_high"] < truth)).sum() <= 1
    assert np.allclose(dyn["estimate"], truth, atol=0.3)
    assert dyn.loc[0, "n_cohorts"] == 4


def test_event_study_pretrend_test(panel):
    ok = estimate_event_study(panel)
    assert ok.pretrend_p > 0.01
    ref = ok.table[ok.table["reference"]]
    assert list(ref["rel_time"]) == [-1] and float(ref["estimate"].iloc[0]) == 0
    lags = ok.table[ok.table["rel_time"] >= 0]
    assert (lags["ci_low"] <= 1.0).all() and (lags["ci_high"] >= 1.0).all()
    bad = estimate_event_study(_panel(seed=2, n_reps=300, pretrend=0.4))
    assert bad.pretrend_p < 0.001


def test_nobody_trained_is_a_clear_error():
    p = _panel(seed=1, n_reps=60)
    p = p.assign(cohort=pd.NA)
    with pytest.raises(AnalysisError, match="nobody in the outputs panel is observed after training"):
        estimate_did(p)
    with pytest.raises(AnalysisError, match="lacks column"):
        estimate_did(_panel(seed=1, n_reps=60), outcome="votes")


def test_closed_form_mixed_model_agrees_with_statsmodels():
    p = _panel(seed=1, n_reps=120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = estimate_mixed_model(p, engine="statsmodels")
    cf = estimate_mixed_model(p, engine="closed_form")
    assert sm.diagnostics["engine"] == "statsmodels" and cf.diagnostics["engine"] == "closed_form"
    assert cf.table["estimate"].iloc[0] == pytest.approx(sm.table["estimate"].iloc[0], abs=1e-4)
    assert cf.table["std_error"].iloc[0] == pytest.approx(sm.table["std_error"].iloc[0], rel=5e-3)
    np.testing.assert_allclose(cf.variance["variance"], sm.variance["variance"], rtol=2e-3)
    assert cf.converged


def test_mixed_model_variance_components():
    # province sd 0.6, rep sd 0.8, noise 1 → representative-level ICC = (.36 + .64)/2
    p = _panel(seed=8, n_reps=500, effect=1.0)
    m = estimate_mixed_model(p)
    assert m.icc_representative == pytest.approx((0.36 + 0.64) / 2.0, abs=0.12)
    assert m.diagnostics["n_groups"] == 10 and abs(m.diagnostics["skew"]) < 0.3


def test_segments_recover_planted_interaction_with_holm():
    from statsmodels.stats.multitest import multipletests
    p = _panel(seed=3, n_reps=500, effect=1.0, effect_reelected_extra=0.8)
    h = estimate_heterogeneity(p)
    it = h.interactions.set_index("segment")
    assert it.loc["reelected", "ci_low"] <= 0.8 <= it.loc["reelected", "ci_high"]
    assert bool(it.loc["reelected", "reject"])
    assert not it.loc["frontline", "reject"]  # no planted difference
    np.testing.assert_allclose(h.interactions["p_adjusted"],
                               multipletests(h.interactions["p"], method="holm")[1])
    eff = h.effects.set_index(["segment", "level"])
    assert eff.loc[("reelected", "new"), "ci_low"] <= 1.0 <= eff.loc[("reelected", "new"), "ci_high"]
    bh = estimate_heterogeneity(p, correction="fdr_bh")
    assert (bh.interactions["p_adjusted"] <= h.interactions["p_adjusted"] + 1e-12).all()
    with pytest.raises(ValueError, match="correction must be one of"):
        estimate_heterogeneity(p, correction="sidak_magic")


def test_everyone_trained_uses_not_yet_treated_and_event_study_says_why():
    p = _panel(seed=9, n_reps=150, share_never=0.0, effect=1.0)
    res = estimate_did(p, n_boot=50, rng=1)
    assert res.diagnostics["group_time_control"] == "not_yet_treated"
    assert res.diagnostics["group_time_skipped"] is None
    gt = res.table.set_index("method").loc["group_time"]
    assert gt["ci_low"] <= 1.0 <= gt["ci_high"]
    with pytest.raises(AnalysisError, match="never_treated|never-trained"):
        estimate_group_time(p, control="never_treated")
