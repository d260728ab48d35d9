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
    res = compute_session_quality(pd.DataFrame(_rows("S1", "learner", vals)), interval="t")
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
    res = compute_session_quality(df, weights={"learner": 1, "teacher": 1}, interval="t")
    r = res.overall().iloc[0]
    assert r.estimate == pytest.approx(3.0)
    assert r.std_error == pytest.approx(np.sqrt(1 / 3))
    assert r.df == pytest.approx(288 / 171)
    assert r.ci_high - r.estimate == pytest.approx(stats.t.ppf(0.975, 288 / 171) * np.sqrt(1 / 3))
    # default weights 0.4/0.2 renormalised over the two roles present -> 2/3, 1/3
    d = compute_session_quality(df).overall().iloc[0]
    assert d.estimate == pytest.approx(2 / 3 * 4 + 1 / 3 * 2)


def test_bounded_interval_is_the_logit_interval_hand_computed():
    # learners 3, 4, 5: mean 4, SE 1/√3 on the 1–5 scale; p = (4 − 1)/4 = 0.75,
    # SE(logit p) = (1/√3)/4 / (0.75 · 0.25); bounds logit(0.75) ± t(.975, 2) · SE, back-transformed
    res = compute_session_quality(pd.DataFrame(_rows("S1", "learner", [3, 4, 5])))
    r = res.overall().iloc[0]
    se_l = (1 / np.sqrt(3)) / 4 / (0.75 * 0.25)
    q = stats.t.ppf(0.975, 2)
    lo, hi = (1 + 4 / (1 + np.exp(-(np.log(3) + s * q * se_l))) for s in (-1, 1))
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), rel=1e-12)
    assert (round(r.ci_low, 3), round(r.ci_high, 3)) == (1.394, 4.952)
    assert r.std_error == pytest.approx(1 / np.sqrt(3)) and r.df == 2
    assert res.interval == "logit"
    with pytest.raises(ValueError, match="interval must be one of 'logit', 't'"):
        compute_session_quality(pd.DataFrame(_rows("S1", "learner", [3, 4, 5])), interval="wald")


def test_embedded_session_t1_08_stays_on_the_scale_and_shows_its_df():
    """The review's case: T1-08's t interval was 2.888–5.126 (Satterthwaite df 1.2 from
    two small rater roles); on the 1–5 scale it must stay within [1, 5], df shown."""
    from kexie_research.data import load_dataset

    ds = load_dataset(kinds=["survey"])
    sc = compute_session_quality(ds.survey, small="drop").scores
    r = sc[(sc["training_id"] == "T1-08") & (sc["dimension"] == "overall")].iloc[0]
    assert r.df == pytest.approx(1.2, abs=0.05)
    assert 1 <= r.ci_low < r.estimate < r.ci_high <= 5
    assert ((sc["ci_low"] >= 1) & (sc["ci_high"] <= 5)).all()
    t = compute_session_quality(ds.survey, small="drop", interval="t").scores
    assert (t["ci_high"] > 5).any()  # the unbounded interval leaves the scale


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
    assert session_icc(df, outcome="overall") == pytest.approx((6 - 1) / (6 + 2 * 1))


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


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["S1", "S2", "S3"]),
                          st.sampled_from(["learner", "teacher", "manager", "office"]),
                          st.lists(st.integers(1, 5), min_size=8, max_size=8)), min_size=6, max_size=40),
       st.sampled_from([0.8, 0.95, 0.99]))
def test_every_interval_within_the_scale(rows, level):
    """Property: whatever the ratings, roles and level, every interval lies in [1, 5]."""
    df = pd.DataFrame([{"training_id": s, "rater_role": r, **dict(zip(QUALITY_ITEMS, v))} for s, r, v in rows])
    try:
        sc = compute_session_quality(df, level=level, small="drop").scores
    except AnalysisError:
        return
    assert sc[["ci_low", "ci_high", "df"]].notna().all().all()
    assert ((sc["ci_low"] >= 1) & (sc["ci_high"] <= 5)).all()
    assert ((sc["ci_low"] <= sc["estimate"] + 1e-12) & (sc["estimate"] <= sc["ci_high"] + 1e-12)).all()


# --------------------------------------------------------------------------- Krippendorff's alpha

_NA = np.nan
# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", worked example:
# 4 observers (rows), 12 units (columns), missing values
_K2011 = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _NA, _NA, _NA],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _NA, 3],
    [_NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _NA],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _NA],
]).T


@pytest.mark.parametrize("lom, published", [("nominal", 0.743), ("ordinal", 0.815),
                                            ("interval", 0.849), ("ratio", 0.797)])
def test_krippendorff_published_example(lom, published):
    from kexie_research.evaluation import krippendorff_alpha

    r = krippendorff_alpha(_K2011, level_of_measurement=lom)
    assert round(r.alpha, 3) == published
    # unit 12 has a single value and is not pairable: 11 units, 40 values
    assert (r.n_units, r.n_values) == (11, 40)


def _alpha_by_coincidence_matrix(x, lom):
    """Textbook route: coincidence matrix o_ck, marginals n_c, metric table δ²_ck."""
    vals = np.unique(x[np.isfinite(x)])
    idx = {v: i for i, v in enumerate(vals)}
    o = np.zeros((len(vals), len(vals)))
    for row in x:
        r = row[np.isfinite(row)]
        if len(r) < 2:
            continue
        for i in range(len(r)):
            for j in range(len(r)):
                if i != j:
                    o[idx[r[i]], idx[r[j]]] += 1 / (len(r) - 1)
    nc = o.sum(axis=1)
    n = nc.sum()
    d2 = np.zeros_like(o)
    for c in range(len(vals)):
        for k in range(len(vals)):
            a, b = vals[c], vals[k]
            if lom == "nominal":
                d2[c, k] = float(a != b)
            elif lom == "interval":
                d2[c, k] = (a - b) ** 2
            elif lom == "ratio":
                d2[c, k] = ((a - b) / (a + b)) ** 2 if a + b else 0.0
            else:
                lo, hi = min(c, k), max(c, k)
                d2[c, k] = (nc[lo:hi + 1].sum() - (nc[c] + nc[k]) / 2) ** 2
    return 1 - (n - 1) * (o * d2).sum() / (np.outer(nc, nc) * d2).sum()


@pytest.mark.parametrize("lom", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_krippendorff_matches_coincidence_matrix(lom, seed):
    from kexie_research.evaluation import krippendorff_alpha

    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, size=30)
    x = np.clip(truth[:, None] + rng.integers(-1, 2, size=(30, 4)), 1, 5).astype(float)
    x[rng.random(x.shape) < 0.25] = np.nan
    assert krippendorff_alpha(x, level_of_measurement=lom).alpha == pytest.approx(
        _alpha_by_coincidence_matrix(x, lom), abs=1e-12)
    # invariant to the order of units and of raters
    perm = x[rng.permutation(30)][:, rng.permutation(4)]
    assert krippendorff_alpha(perm, level_of_measurement=lom).alpha == pytest.approx(
        krippendorff_alpha(x, level_of_measurement=lom).alpha, abs=1e-12)


def test_krippendorff_edge_cases_and_bootstrap():
    from kexie_research.evaluation import krippendorff_alpha

    assert krippendorff_alpha([[1, 1, _NA], [3, 3, 3], [2, _NA, 2]]).alpha == 1.0
    # two raters always swapping 1 and 2: every within-unit pair differs (D_o = 1) while the
    # pooled values 1, 1, 2, 2 give D_e = 2·2·2 / (4·3) = 2/3, so alpha = 1 − 3/2 = −0.5
    assert krippendorff_alpha([[1, 2], [2, 1]], level_of_measurement="nominal").alpha == pytest.approx(-0.5)
    with pytest.raises(AnalysisError, match="two raters"):
        krippendorff_alpha([[1, _NA], [_NA, 2]])
    with pytest.raises(AnalysisError, match="undefined"):
        krippendorff_alpha([[2, 2], [2, 2]])
    with pytest.raises(AnalysisError, match="non-negative"):
        krippendorff_alpha([[1, -1], [2, 2]], level_of_measurement="ratio")
    with pytest.raises(ValueError, match="rng"):
        krippendorff_alpha(_K2011, n_boot=10)
    a = krippendorff_alpha(_K2011, n_boot=300, rng=np.random.default_rng(5))
    b = krippendorff_alpha(_K2011, n_boot=300, rng=np.random.default_rng(5))
    assert a == b and a.ci_low < a.alpha <= a.ci_high <= 1.0
    assert np.isnan(krippendorff_alpha(_K2011).ci_low)


def test_agreement_alpha_keeps_sessions_a_role_skipped():
    rng = np.random.default_rng(3)
    rows = []
    for s in range(12):
        q = 2.5 + 0.2 * s
        roles = ("learner", "teacher", "manager") if s < 8 else ("learner", "teacher")
        for role in roles:
            rows += _rows(f"S{s}", role, np.clip(np.round(q + rng.normal(0, 0.4, 4)), 1, 5))
    res = compute_rater_agreement(pd.DataFrame(rows), n_boot=200, rng=np.random.default_rng(0))
    assert res.n_targets == 8            # the ICC needs every role
    assert res.alpha.n_units == 12       # alpha keeps the 4 sessions managers skipped
    assert res.alpha.n_values == 8 * 3 + 4 * 2
    from kexie_research.evaluation import krippendorff_alpha
    m = (pd.DataFrame(rows).assign(v=lambda d: d[list(QUALITY_ITEMS)].mean(axis=1))
         .pivot_table(index="training_id", columns="rater_role", values="v")
         [["learner", "teacher", "manager"]])
    assert res.alpha.alpha == pytest.approx(krippendorff_alpha(m.to_numpy()).alpha)
    assert res.alpha.alpha > 0.8


@pytest.mark.parametrize("lom", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_ignores_who_rated(lom):
    # alpha pairs values within a unit, whoever gave them: spreading each unit's values over
    # 300 mostly-empty rater columns (as when every learner is a rater) changes nothing
    from kexie_research.evaluation import krippendorff_alpha

    rng = np.random.default_rng(11)
    compact = rng.integers(1, 6, size=(40, 3)).astype(float)
    compact[rng.random(compact.shape) < 0.2] = np.nan
    wide = np.full((40, 300), np.nan)
    for i, row in enumerate(compact):
        wide[i, rng.choice(300, size=3, replace=False)] = row
    assert krippendorff_alpha(wide, level_of_measurement=lom).alpha == pytest.approx(
        krippendorff_alpha(compact, level_of_measurement=lom).alpha, abs=1e-12)


def test_krippendorff_accepts_labels():
    from kexie_research.evaluation import krippendorff_alpha

    # the published example with the numbers written as words: nominal alpha is unchanged
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
    labels = [[None if np.isnan(v) else words[int(v)] for v in row] for row in _K2011]
    assert round(krippendorff_alpha(labels, level_of_measurement="nominal").alpha, 3) == 0.743
    df = pd.DataFrame(labels).replace({None: ""})          # empty strings are missing too
    assert round(krippendorff_alpha(df, level_of_measurement="nominal").alpha, 3) == 0.743
    # ordered categoricals carry the order the ordinal metric needs
    order = ["one", "two", "three", "four", "five"]
    cat = pd.DataFrame({c: pd.Categorical(pd.DataFrame(labels)[c], categories=order, ordered=True)
                        for c in range(4)})
    assert round(krippendorff_alpha(cat, level_of_measurement="ordinal").alpha, 3) == 0.815
    with pytest.raises(AnalysisError, match="nominal level only"):
        krippendorff_alpha(labels, level_of_measurement="interval")


def test_ranking_flags_neighbours_the_data_cannot_order():
    # S1 and S2 rated alike (indistinguishable), S3 far below both
    df = pd.DataFrame(_rows("S1", "learner", [4, 5, 5, 4, 5, 4]) + _rows("S2", "learner", [5, 4, 4, 5, 4, 5])
                      + _rows("S3", "learner", [1, 2, 1, 2, 1, 2]))
    t = rank_sessions(df, n_boot=400, rng=3).table.set_index("training_id")
    assert list(t.index) == ["S1", "S2", "S3"] and t.loc["S1", "rank"] == t.loc["S2", "rank"] == 1
    assert pd.isna(t.loc["S1", "p_above"]) and not t.loc["S1", "indistinguishable_from_above"]
    assert 0.2 < t.loc["S2", "p_above"] < 0.8 and t.loc["S2", "indistinguishable_from_above"]
    # S3 never reaches S2 in any replicate (max 2 < min 4)
    assert t.loc["S3", "p_above"] == 0 and not t.loc["S3", "indistinguishable_from_above"]
    assert (t.loc["S3", "rank_low"], t.loc["S3", "rank_high"]) == (3, 3)


def test_ranking_reuses_given_quality_scores():
    df, _ = sim_survey(4, n_sessions=5)
    q = compute_session_quality(df, small="drop")
    a = rank_sessions(df, n_boot=100, rng=5, small="drop").table
    b = rank_sessions(df, n_boot=100, rng=5, quality=q).table
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="differ from those of the given quality result"):
        rank_sessions(df, n_boot=100, rng=5, quality=q, weights={"learner": 1})


def test_evaluate_computes_session_quality_once(monkeypatch):
    """evaluate() scored every session twice (directly and inside rank_sessions)."""
    from kexie_research.evaluation import quality as qmod, summary

    df, _ = sim_survey(4, n_sessions=5)
    calls = []
    real = qmod.compute_session_quality

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(qmod, "compute_session_quality", counting)
    monkeypatch.setattr(summary, "compute_session_quality", counting)
    res = summary.evaluate(survey=df, n_boot=50, seed=1)
    assert res.ranking is not None and res.quality is not None
    assert len(calls) == 1
