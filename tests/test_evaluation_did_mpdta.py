"""The group-time DiD on a researcher's own panel, checked against R's ``did`` on ``mpdta``.

The oracle: R ``did`` 2.5.0's ATT(g, t), aggregations and analytic standard errors on the
Callaway–Sant'Anna minimum-wage panel (fixtures/evaluation/mpdta/SOURCE.md says where the
panel and the values come from, with checksums).
"""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kexie_research.errors import AnalysisError
from kexie_research.evaluation import estimate_did, estimate_event_study, estimate_group_time

HERE = Path(__file__).parent / "fixtures" / "evaluation" / "mpdta"
COLS = dict(unit="countyreal", time="year", cohort="first.treat", outcome="lemp")
SCENARIO = {"never_treated": "mpdta_nev_dr", "not_yet_treated": "mpdta_nyt_dr"}


@pytest.fixture(scope="module")
def mpdta():
    raw = (HERE / "mpdta.csv").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == "2283bea1221a152420f98dfa20f633c5d054ea51d881115c8cd702a97bcd3167"
    return pd.read_csv(HERE / "mpdta.csv")


@pytest.fixture(scope="module")
def r_attgt():
    return pd.read_csv(HERE / "r_did_attgt.csv")


@pytest.fixture(scope="module")
def r_aggte():
    return pd.read_csv(HERE / "r_did_aggte.csv")


@pytest.mark.parametrize("control", ["never_treated", "not_yet_treated"])
def test_every_att_gt_and_its_se_match_r(mpdta, r_attgt, control):
    gt = estimate_group_time(mpdta, **COLS, control=control, se="analytic")
    ref = r_attgt[r_attgt["scenario"] == SCENARIO[control]].set_index(["group", "t"])
    ours = gt.cells.set_index(["cohort", "year"])
    # R's default base period is "varying": all 12 cells, pre-period ones included
    assert sorted(ours.index) == sorted(ref.index) and len(ref) == 12
    np.testing.assert_allclose(ours.loc[ref.index, "estimate"], ref["att"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(ours.loc[ref.index, "std_error"], ref["se"], rtol=1e-9)
    assert gt.choices["base_period"] == "varying" and gt.choices["control"] == control


@pytest.mark.parametrize("control", ["never_treated", "not_yet_treated"])
def test_aggregations_match_r(mpdta, r_aggte, control):
    gt = estimate_group_time(mpdta, **COLS, control=control, se="analytic")
    ref = r_aggte[r_aggte["scenario"] == SCENARIO[control]]
    simple = ref[ref["type"] == "simple"].iloc[0]
    # the review's figure: R's simple ATT −0.03995 under never-treated controls
    assert gt.overall["estimate"] == pytest.approx(simple["overall_att"], abs=1e-14)
    assert gt.overall["std_error"] == pytest.approx(simple["overall_se"], rel=1e-9)
    dyn = ref[ref["type"] == "dynamic"].set_index("egt")
    ours = gt.dynamic.set_index("rel_time")
    assert list(ours.index) == [-3, -2, -1, 0, 1, 2, 3]
    np.testing.assert_allclose(ours.loc[dyn.index, "estimate"], dyn["att_egt"], atol=1e-14)
    np.testing.assert_allclose(ours.loc[dyn.index, "std_error"], dyn["se_egt"], rtol=1e-9)
    assert gt.aggregates["dynamic"]["estimate"] == pytest.approx(dyn["overall_att"].iloc[0], abs=1e-14)
    assert gt.aggregates["dynamic"]["std_error"] == pytest.approx(dyn["overall_se"].iloc[0], rel=1e-9)
    grp = ref[ref["type"] == "group"].set_index("egt")
    ours = gt.groups.set_index("cohort")
    np.testing.assert_allclose(ours.loc[grp.index, "estimate"], grp["att_egt"], atol=1e-14)
    np.testing.assert_allclose(ours.loc[grp.index, "std_error"], grp["se_egt"], rtol=1e-9)
    assert gt.aggregates["group"]["estimate"] == pytest.approx(grp["overall_att"].iloc[0], abs=1e-14)
    assert gt.aggregates["group"]["std_error"] == pytest.approx(grp["overall_se"].iloc[0], rel=1e-9)
    cal = ref[ref["type"] == "calendar"].set_index("egt")
    ours = gt.calendar.set_index("year")
    np.testing.assert_allclose(ours.loc[cal.index, "estimate"], cal["att_egt"], atol=1e-14)
    np.testing.assert_allclose(ours.loc[cal.index, "std_error"], cal["se_egt"], rtol=1e-9)
    assert gt.aggregates["calendar"]["estimate"] == pytest.approx(cal["overall_att"].iloc[0], abs=1e-14)


def test_first_treatment_zero_is_never_treated_under_every_control(mpdta, r_aggte):
    """0 = never treated (R, csdid, diff-diff): once silently dropped as controls under
    not-yet-treated and 'auto' (overall −0.0418 instead of −0.0398, cohort 2007 lost)."""
    ref = r_aggte[(r_aggte["scenario"] == "mpdta_nyt_dr") & (r_aggte["type"] == "simple")]
    gt = estimate_group_time(mpdta, **COLS, control="not_yet_treated", se="analytic")
    assert gt.overall["estimate"] == pytest.approx(ref["overall_att"].iloc[0], abs=1e-14)
    assert 2007 in set(gt.cells["cohort"])
    assert gt.overall["n_units"] == 500 and gt.overall["n_never_treated"] == 309
    assert any("0" in n and "never treated" in n for n in gt.notes)
    # 'auto' (estimate_did's default) finds the 309 never-treated and uses them
    did = estimate_did(mpdta, **COLS, cluster="countyreal", n_boot=99, rng=1)
    assert did.diagnostics["group_time_control"] == "never_treated"
    assert did.table.set_index("method").loc["group_time", "estimate"] == pytest.approx(-0.0399512751551763,
                                                                                        abs=1e-14)
    assert did.n_units == 500 and did.n_treated_units == 191


def test_universal_base_period_is_offered_and_stated(mpdta):
    var = estimate_group_time(mpdta, **COLS, se="analytic")
    uni = estimate_group_time(mpdta, **COLS, se="analytic", base_period="universal")
    assert uni.choices["base_period"] == "universal"
    post_v = var.cells[var.cells["rel_time"] >= 0].set_index(["cohort", "year"])["estimate"]
    post_u = uni.cells[uni.cells["rel_time"] >= 0].set_index(["cohort", "year"])["estimate"]
    pd.testing.assert_series_equal(post_v, post_u)  # post-period cells use g − 1 either way
    # pre-period: long differences against g − 1 (hand-computed for cohort 2007, t = 2004)
    d = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    g = mpdta.groupby("countyreal")["first.treat"].first()
    dy = d[2004] - d[2006]
    want = dy[g == 2007].mean() - dy[g == 0].mean()
    cell = uni.cells.set_index(["cohort", "year"]).loc[(2007, 2004), "estimate"]
    assert cell == pytest.approx(want, abs=1e-14)
    assert -1 not in set(uni.dynamic["rel_time"])  # the reference period itself is not a cell


def test_cohort_after_the_last_year_is_never_treated_as_in_r(mpdta):
    late = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace({0: 2010})})
    a = estimate_group_time(mpdta, **COLS, se="analytic")
    b = estimate_group_time(late, **COLS, se="analytic")
    assert b.overall["estimate"] == pytest.approx(a.overall["estimate"], abs=1e-15)
    assert any("after the last period" in n for n in b.notes)
    assert b.choices["late_cohorts"] == "never_treated"
    with pytest.raises(AnalysisError, match="never-treated"):
        estimate_group_time(late, **COLS, late_cohorts="drop", control="never_treated")


def test_clustered_and_bootstrap_standard_errors(mpdta):
    # clustering by state (40 clusters of counties): the analytic SE sums the influence
    # function within clusters, the bootstrap resamples whole states
    state = mpdta.assign(state=mpdta["countyreal"] // 1000)
    a = estimate_group_time(state, **COLS, se="analytic")
    c = estimate_group_time(state, **COLS, se="analytic", cluster="state")
    assert c.choices["cluster"] == "state" and c.overall["n_clusters"] == state["state"].nunique()
    assert c.overall["std_error"] != pytest.approx(a.overall["std_error"], rel=1e-3)
    b = estimate_group_time(state, **COLS, se="bootstrap", cluster="state", n_boot=999, rng=7)
    assert b.overall["std_error"] == pytest.approx(c.overall["std_error"], rel=0.2)
    assert b.overall["ci_low"] < b.overall["estimate"] < b.overall["ci_high"]
    u = estimate_group_time(state, **COLS, se="bootstrap", n_boot=999, rng=7)
    assert u.overall["std_error"] == pytest.approx(a.overall["std_error"], rel=0.15)
    with pytest.raises(AnalysisError, match="cluster .* varies within"):
        estimate_group_time(state.assign(state=np.arange(len(state)) % 7), **COLS, cluster="state")


def test_bootstrap_redraws_the_cohort_weights(mpdta):
    """With fixed cohort weights the bootstrap misses the variance of the weights that R's
    analytic SE (and multiplier bootstrap) include; redrawn, it matches R's SE."""
    # two cohorts whose effects differ by 10 with almost no noise: the simple ATT's
    # uncertainty is nearly all in the cohort shares (60 vs 40 of 100 treated units)
    rng = np.random.default_rng(3)
    n = 300
    g = np.r_[np.full(60, 2), np.full(40, 3), np.zeros(200)]
    eff = np.where(g == 3, 10.0, 0.0)
    rows = [(i, t, g[i], (t >= g[i]) * (g[i] > 0) * eff[i] + 0.01 * rng.standard_normal())
            for i in range(n) for t in (1, 2, 3)]
    d = pd.DataFrame(rows, columns=["id", "t", "g", "y"])
    kw = dict(unit="id", time="t", cohort="g", outcome="y")
    an = estimate_group_time(d, **kw, se="analytic").overall
    bs = estimate_group_time(d, **kw, se="bootstrap", n_boot=999, rng=5).overall
    # post cells: (2,2), (2,3) weight 60 each, (3,3) weight 40 → ATT = 400/160 = 2.5
    assert an["estimate"] == pytest.approx(2.5, abs=0.01)
    # with fixed weights the bootstrap SE would be ~0.001; redrawn, it is the analytic one
    assert an["std_error"] > 0.2 and bs["std_error"] == pytest.approx(an["std_error"], rel=0.15)
    b = estimate_group_time(mpdta, **COLS, se="bootstrap", n_boot=1999, rng=11)
    assert b.choices["bootstrap_weights"] == "redrawn"
    assert b.overall["std_error"] == pytest.approx(0.0120340127701854, rel=0.1)
    dyn = b.aggregates["dynamic"]
    assert dyn["std_error"] == pytest.approx(0.0199649890618494, rel=0.1)


def test_any_numeric_outcome_and_named_columns(mpdta):
    # a continuous outcome under caller-named columns; the TWFE and event study run too
    did = estimate_did(mpdta, **COLS, cluster="countyreal", n_boot=49, rng=1)
    assert did.outcome == "lemp" and did.n_clusters == 500
    es = estimate_event_study(mpdta, **COLS, cluster="countyreal")
    # no binning by default: every relative time observed (−4 … 3), reference −1
    assert sorted(es.table["rel_time"]) == [-4, -3, -2, -1, 0, 1, 2, 3]
    assert es.binned == {"leads": None, "lags": None}
    es3 = estimate_event_study(mpdta, **COLS, cluster="countyreal", leads=3)
    assert es3.binned == {"leads": 3, "lags": None} and min(es3.table["rel_time"]) == -3
    bad = mpdta.assign(lemp=mpdta["lemp"].astype(object))
    bad.loc[5, "lemp"] = "n/a"
    with pytest.raises(AnalysisError, match="lemp.*not a number.*'n/a'"):
        estimate_group_time(bad, **COLS)
    with pytest.raises(AnalysisError, match="lacks column"):
        estimate_group_time(mpdta, **{**COLS, "outcome": "wages"})
    dup = pd.concat([mpdta, mpdta.iloc[[0]]])
    with pytest.raises(AnalysisError, match="more than one row"):
        estimate_group_time(dup, **COLS)
