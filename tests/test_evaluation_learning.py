"""Pre/post learning gains (kexie_research.evaluation.learning)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kexie_research.errors import AnalysisError
from kexie_research.evaluation.learning import cohen_dz_ci, compute_learning, hedges_g_paired, paired_effect

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "evaluation"))
from simdata import sim_pre_post  # noqa: E402

PRE, POST = [10, 12, 14, 16], [13, 14, 18, 19]


def test_paired_test_matches_scipy():
    d = sim_pre_post(1, n=40)
    r = paired_effect(d.pre_score, d.post_score)
    tt = stats.ttest_rel(d.post_score, d.pre_score)
    assert r.t == pytest.approx(tt.statistic) and r.p == pytest.approx(tt.pvalue)
    ci = tt.confidence_interval()
    assert (r.gain_ci_low, r.gain_ci_high) == pytest.approx((ci.low, ci.high))
    assert r.d_z == pytest.approx(r.mean_gain / r.sd_gain)


def test_hedges_g_hand_value():
    # see the docstring of hedges_g_paired for every step (Bonett 2008 variance, J = 8/11)
    g, se, lo, hi = hedges_g_paired(PRE, POST)
    d = 3 / np.sqrt((20 / 3 + 26 / 3) / 2)
    assert g == pytest.approx(d * (1 - 3 / 11))
    assert g == pytest.approx(0.78798, abs=1e-5)
    assert se == pytest.approx(0.72727 * np.sqrt(0.21798), abs=1e-4)
    assert hi - g == pytest.approx(g - lo) == pytest.approx(1.959964 * se)


def test_d_av_and_normalised_gain_hand_values():
    r = paired_effect([50, 60, 70, 80], [60, 65, 80, 84])
    # gains 10, 5, 10, 4: mean 7.25; Hake <g> = (72.25 − 65) / (100 − 65)
    assert r.mean_gain == 7.25
    assert r.normalized_gain == pytest.approx(7.25 / 35)
    # individual gains 10/50, 5/40, 10/30, 4/20
    assert r.mean_individual_gain == pytest.approx(np.mean([0.2, 0.125, 1 / 3, 0.2]))
    sd_av = (np.std([50, 60, 70, 80], ddof=1) + np.std([60, 65, 80, 84], ddof=1)) / 2
    assert r.d_av == pytest.approx(7.25 / sd_av)


def test_dz_exact_interval_inverts_noncentral_t():
    lo, hi = cohen_dz_ci(3.0, 10)
    assert stats.nct.sf(3.0, 9, lo * np.sqrt(10)) == pytest.approx(0.025, abs=1e-6)
    assert stats.nct.sf(3.0, 9, hi * np.sqrt(10)) == pytest.approx(0.975, abs=1e-6)


def test_recovers_planted_effect_size_and_covers_it():
    # gain 8, sd_pre = sd_post ≈ 10 (pre sd 10, post sd sqrt(100+36)): δ_av = 8/sqrt((100+136)/2)
    delta = 8 / np.sqrt((100 + 136) / 2)
    covered = []
    rng = np.random.default_rng(11)
    for i in range(150):
        d = sim_pre_post(int(rng.integers(1 << 30)), n=80)
        r = paired_effect(d.pre_score, d.post_score)
        covered.append(r.ci_low <= delta <= r.ci_high)
    assert 0.90 <= np.mean(covered) <= 0.99
    big = compute_learning(sim_pre_post(3, n=4000)).overall
    assert big.hedges_g == pytest.approx(delta, abs=0.05)
    assert big.mean_gain == pytest.approx(8, abs=0.4)


def test_per_session_rows_and_missing_pre():
    a = sim_pre_post(1, n=20).assign(training_id="S1")
    b = sim_pre_post(2, n=15).assign(training_id="S2")
    c = pd.DataFrame({"training_id": ["S3"], "pre_score": [50.0], "post_score": [60.0]})
    miss = pd.DataFrame({"training_id": ["S1"], "pre_score": [np.nan], "post_score": [70.0]})
    res = compute_learning(pd.concat([a, b, c, miss], ignore_index=True))
    assert list(res.sessions["training_id"]) == ["S1", "S2"]
    assert res.overall.n == 36 and res.overall.n_missing_pre == 1
    assert any("S3 left out" in n and "only 1 respondent" in n for n in res.notes)
    assert any("no pre score" in n for n in res.notes)
    with pytest.raises(AnalysisError, match="session S3"):
        compute_learning(pd.concat([a, c]), small="raise")


@pytest.mark.parametrize("pre, post, message", [
    ([50.0], [60.0], "only 1 respondent"),
    ([50, 60, 70], [55, 65, 75], "gained exactly 5 points"),
    ([100, 100], [100, 90], "mean pre score is 100"),
])
def test_degenerate_pairs(pre, post, message):
    with pytest.raises(AnalysisError, match=message):
        paired_effect(pre, post)


def test_missing_pre_scores_everywhere():
    df = pd.DataFrame({"training_id": "S1", "pre_score": [np.nan] * 3, "post_score": [60.0, 70, 80]})
    with pytest.raises(AnalysisError, match="no pre_score values"):
        compute_learning(df)
    with pytest.raises(AnalysisError, match="lacks column"):
        compute_learning(df.drop(columns="pre_score"))


def test_perfect_pre_post_correlation_gives_finite_interval():
    # the contract checker's data: post = 5 + 2·pre − 50 → r = 1; Bonett's SE stays > 0
    pre = 50 + np.arange(12.0)
    r = paired_effect(pre, 55 + 2 * np.arange(12.0))
    assert r.mean_gain == 10.5 and r.r_pre_post == pytest.approx(1)
    assert r.hedges_g_se > 0 and r.ci_low < r.hedges_g < r.ci_high
