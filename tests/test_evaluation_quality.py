"""Quality scores, rater agreement and ranking (kexie_research.evaluation.quality)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kexie_research.errors import AnalysisError
from kexie_research.evaluation.quality import (compute_rater_agreement, compute_session_quality,
                                               icc_table, parse_weights, rank_sessions, session_icc)
from kexie_research.schema import QUALITY_ITEMS

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "evaluation"))
from simdata import sim_survey  # noqa: E402


def _rows(session, role, values):
    return [dict(training_id=session, rater_role=role, **{i: v for i in QUALITY_ITEMS}) for v in values]


def test_single_role_is_the_t_interval_of_the_mean():
    vals = [3, 4, 4, 5, 2]
    res = compute_session_quality(pd.DataFrame(_rows("S1", "learner", vals)))
    r = res.overall().iloc[0]
    ci = stats.t.interval(0.95, len(vals) - 1, loc=np.mean(vals), scale=stats.sem(vals))
    assert r.estimate == pytest.approx(3.6)
    assert (r.ci_low, r.ci_high) == pytest.approx(ci)
    assert r.n == 5


def test_role_weighting_hand_computed():
    # learners 3,4,5 (mean 4, var 1, n 3); teachers 1,3 (mean 2, var 2, n 2)
    # weights 0.5/0.5 -> estimate 3; var = .25*1/3 + .25*2/2 = 1/3
    # Satterthwaite df = (1/3)^2 / ((1/12)^2/2 + (1/4)^2/1) = (1/9)/(19/288) = 288/171
    df = pd.DataFrame(_rows("S1", "learner", [3, 4, 5]) + _rows("S1", "teacher", [1, 3]))
    res = compute_session_quality(df, weights={"learner": 1, "teacher": 1})
    r = res.overall().iloc[0]
    assert r.estimate == pytest.approx(3.0)
    assert r.std_error == pytest.approx(np.sqrt(1 / 3))
    assert r.df == pytest.approx(288 / 171)
    assert r.ci_high - r.estimate == pytest.approx(stats.t.ppf(0.975, 288 / 171) * np.sqrt(1 / 3))
    # default weights 0.4/0.2 renormalised over the two roles present -> 2/3, 1/3
    d = compute_session_quality(df).overall().iloc[0]
    assert d.estimate == pytest.approx(2 / 3 * 4 + 1 / 3 * 2)


def test_every_dimension_and_overall_per_session():
    df, _ = sim_survey(1, n_sessions=3)
    res = compute_session_quality(df)
    assert len(res.scores) == 3 * 9
    assert (res.scores["ci_low"] <= res.scores["estimate"]).all()
    assert (res.scores["estimate"] <= res.scores["ci_high"]).all()
    assert set(res.by_role["rater_role"]) == {"learner", "teacher", "manager", "office"}
    assert {"estimate", "std_error", "ci_low", "ci_high", "p", "n"} <= set(res.scores.columns)


def test_session_with_one_response_raises_or_drops():
    df = pd.DataFrame(_rows("S1", "learner", [3, 4, 5]) + _rows("S2", "learner", [4]))
    with pytest.raises(AnalysisError, match="S2 have a single response"):
        compute_session_quality(df)
    res = compute_session_quality(df, small="drop")
    assert res.dropped == ("S2",)
    assert set(res.scores["training_id"]) == {"S1"}


def test_weights_validation():
    assert parse_weights("learner=0.5,teacher=0.2") == {"learner": 0.5, "teacher": 0.2}
    with pytest.raises(ValueError, match="unknown rater role"):
        parse_weights("student=1")
    with pytest.raises(ValueError, match="role=number"):
        parse_weights("learner")
    with pytest.raises(ValueError, match="small must be one of"):
        compute_session_quality(pd.DataFrame(_rows("S1", "learner", [3, 4])), small="ignore")


SF = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]


def test_icc_shrout_fleiss_published_values():
    # Shrout & Fleiss (1979), Table 4: .17 .29 .71 / .44 .62 .91
    t = icc_table(SF).set_index("type")["estimate"]
    assert t.round(2).to_dict() == {"ICC1": 0.17, "ICC2": 0.29, "ICC3": 0.71,
                                    "ICC1k": 0.44, "ICC2k": 0.62, "ICC3k": 0.91}


def test_icc_intervals_bracket_and_f_test():
    t = icc_table(SF)
    assert (t["ci_low"] <= t["estimate"]).all() and (t["estimate"] <= t["ci_high"]).all()
    # F for ICC1 = MSR/MSW; MSR = 11.24, MSW = 6.26 (Shrout & Fleiss Table 3)
    assert t.set_index("type").loc["ICC1", "F"] == pytest.approx(11.24 / 6.26, rel=1e-2)


def test_icc_degenerate_inputs():
    with pytest.raises(AnalysisError, match="at least 2 targets and 2 raters"):
        icc_table([[1, 2, 3]])
    with pytest.raises(AnalysisError, match="complete"):
        icc_table([[1, np.nan], [2, 3]])
    with pytest.raises(AnalysisError, match="mean square is 0"):
        icc_table([[3, 3], [3, 3], [3, 3]])


def test_agreement_recovers_strong_session_differences():
    df, _ = sim_survey(2, n_sessions=12, session_sd=1.0, continuous=True,
                       per_role={"learner": 40, "teacher": 20, "manager": 20, "office": 20})
    res = compute_rater_agreement(df)
    assert res.roles == ("learner", "teacher", "manager", "office")
    assert res.n_targets == 12
    # role means estimate the same session quality with role offsets: consistency is high,
    # absolute agreement is lower because of the planted role biases
    assert res.get("ICC3k") > 0.9
    assert res.get("ICC2") <= res.get("ICC3")


def test_agreement_needs_two_roles():
    df = pd.DataFrame(_rows("S1", "learner", [3, 4]) + _rows("S2", "learner", [2, 4]))
    with pytest.raises(AnalysisError, match="at least two rater roles"):
        compute_rater_agreement(df)


def test_ranking_ties_when_intervals_overlap_and_separates_when_not():
    # S1 and S2 identical, S3 far better
    a = [3, 4, 5, 3, 4, 5]
    df = pd.DataFrame(_rows("S1", "learner", a) + _rows("S2", "learner", a)
                      + _rows("S3", "learner", [x + 10 for x in a]))
    r = rank_sessions(df, n_boot=200, rng=1).table.set_index("training_id")
    assert r.loc["S3", "rank"] == 1 and r.loc["S3", "rank_high"] == 1
    assert r.loc["S1", "tied_rank"] == r.loc["S2", "tied_rank"] == 2
    assert r.loc["S1", "rank_low"] == 2 and r.loc["S1", "rank_high"] == 3


def test_ranking_is_reproducible_with_a_seed():
    df, _ = sim_survey(3, n_sessions=5)
    a = rank_sessions(df, n_boot=100, rng=7).table
    b = rank_sessions(df, n_boot=100, rng=7).table
    pd.testing.assert_frame_equal(a, b)


def test_session_icc_hand_value_and_recovery():
    df = pd.DataFrame({"training_id": list("aaabbb"), "rater_role": "learner",
                       **{i: [1, 2, 3, 3, 4, 5] for i in QUALITY_ITEMS}})
    # means 2 and 4, grand 3: MSB = 3·(1+1)/1 = 6; MSW = (1+0+1)·2/4 = 1; m0 = 3
    assert session_icc(df) == pytest.approx((6 - 1) / (6 + 2 * 1))


def test_sessions_rated_only_by_zero_weight_roles_are_noted():
    df = pd.DataFrame(_rows("S1", "learner", [3, 4, 5]) + _rows("S2", "office", [2, 4]))
    res = compute_session_quality(df, weights={"learner": 1, "office": 0})
    assert set(res.scores["training_id"]) == {"S1"}
    assert res.notes and "S2" in res.notes[0]


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=25)
@given(st.lists(st.lists(st.integers(1, 5), min_size=8, max_size=8), min_size=4, max_size=30),
       st.sampled_from(["learner", "teacher"]))
def test_interval_invariants(rows, role):
    df = pd.DataFrame(rows, columns=list(QUALITY_ITEMS)).assign(training_id="S1", rater_role=role)
    sc = compute_session_quality(df).scores
    assert ((sc["ci_low"] <= sc["estimate"] + 1e-12) & (sc["estimate"] <= sc["ci_high"] + 1e-12)).all()
    assert ((sc["estimate"] >= 1) & (sc["estimate"] <= 5)).all()
    assert (sc["n"] == len(rows)).all()
