"""[uncertainty]: declarations by path, Latin hypercube draws, intervals that cover the
parameters and chance, the law-of-total-variance share, common random numbers."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from kexie_research.errors import PlanError
from kexie_research.simulation import Plan, simulate
from kexie_research.simulation.plan import resolve_plan
from kexie_research.simulation.uncertainty import (apply_parameters, draw_parameters, ppf,
                                                   variance_share)

NO_SHOW = '[uncertainty]\n"policy.no_show_prob" = { low = 0.0, high = 0.5 }\n'


def _minimal(extra=NO_SHOW) -> Plan:
    return Plan.from_toml_text(resolve_plan("minimal").to_toml() + extra)


def test_uniform_no_show_on_the_minimal_plan_gives_the_analytic_interval():
    # minimal plan: 4 x 100 seats of 1,000, never-trained-first, everyone accepts; with
    # no-show q the attendees are Bin(400, 1 - q) distinct people: coverage 0.4 (1 - q).
    # q ~ U[0, 0.5]: mean 0.4 x 0.75 = 0.30; 90% interval 0.4 x (1 - [0.475, 0.025]) =
    # 0.21 .. 0.39; Var(E[Y|q]) = 0.16 / 48 = 3.33e-3 against E[Var(Y|q)] =
    # 400 E[q(1-q)] / 1e6 = 6.7e-5: parameter share 0.980 (hand-computed)
    res = simulate(_minimal(), replications=200, parameter_draws=100, seed=1)
    assert res.coverage_mean == pytest.approx(0.30, abs=0.003)
    assert res.coverage_p05 == pytest.approx(0.21, abs=0.01)
    assert res.coverage_p95 == pytest.approx(0.39, abs=0.01)
    u = res.uncertainty
    assert u["sources"] == ["parameters", "chance"]
    assert u["parameter_share"] == pytest.approx(0.98, abs=0.01)
    assert 0 < u["parameter_share_se"] < 0.01
    assert u["parameter_draws"] == 100 and u["replications_per_draw"] == 200
    assert res.replications == 20000
    # the per-year and per-group intervals cover both sources too
    assert res.by_year["coverage_p05"].iloc[0] == pytest.approx(0.21, abs=0.01)
    seg = res.by_segment
    assert (seg["coverage_p95"] - seg["coverage_p05"] > 0.12).all()
    assert len(res.parameter_draws) == 100
    assert res.parameter_draws["policy.no_show_prob"].between(0, 0.5).all()


def test_without_uncertainty_the_interval_is_chance_alone():
    res = simulate(resolve_plan("minimal"), replications=50, seed=1)
    assert res.uncertainty["sources"] == ["chance"]
    assert res.uncertainty["parameter_share"] == 0.0
    d = res.to_dict()
    assert d["uncertainty"]["sources"] == ["chance"] and "parameter_draws" not in d


def test_latin_hypercube_strata_and_seeding():
    plan = _minimal(NO_SHOW + '"sessions[0].capacity" = { low = 60, high = 100, integer = true }\n')
    a = draw_parameters(plan, 10, seed=4)
    b = draw_parameters(plan, 10, seed=4)
    pd.testing.assert_frame_equal(a, b)
    strata = np.floor(a["policy.no_show_prob"] / 0.05).astype(int)
    assert sorted(strata.tolist()) == list(range(10))          # one draw per stratum
    cap = a["sessions[0].capacity"]
    assert (cap == cap.round()).all() and cap.between(60, 100).all()
    assert not draw_parameters(plan, 10, seed=5).equals(a)


def test_beta_parameter_has_the_declared_mean_and_sd():
    from kexie_research.simulation.plan import UncertainParameter
    u = UncertainParameter("p", "beta", mean=0.3, sd=0.1)
    x = ppf(u, (np.arange(20000) + 0.5) / 20000)
    assert x.mean() == pytest.approx(0.3, abs=1e-3) and x.std() == pytest.approx(0.1, abs=1e-3)


def test_common_random_numbers_across_plans():
    # the same parameter sets and seed: an unchanged plan reproduces the result exactly; a
    # lever (more seats) is compared set by set with far less noise than independent runs
    plan = _minimal()
    draws = draw_parameters(plan, 20, seed=3)
    a = simulate(plan, replications=100, seed=3, parameters=draws)
    b = simulate(plan, replications=100, seed=3, parameters=draws)
    assert a.coverage_mean == b.coverage_mean
    pd.testing.assert_frame_equal(a.parameter_draws, b.parameter_draws)
    lever = dataclasses.replace(plan, sessions=(dataclasses.replace(plan.sessions[0], capacity=120),))
    c = simulate(lever, replications=100, seed=3, parameters=draws)
    diff = c.parameter_draws["coverage_mean"] - a.parameter_draws["coverage_mean"]
    # hand-computed: 4 x 20 more seats attended with probability 1 - q: 0.08 (1 - q)
    q = draws["policy.no_show_prob"]
    assert np.allclose(diff, 0.08 * (1 - q), atol=0.006)


def test_results_do_not_depend_on_workers_with_draws():
    plan = _minimal()
    one = simulate(plan, replications=3000, parameter_draws=3, seed=2, workers=1)
    two = simulate(plan, replications=3000, parameter_draws=3, seed=2, workers=2)
    assert one.to_dict() == two.to_dict()


@pytest.mark.parametrize("decl,match", [
    ('"term.years" = { low = 1, high = 3 }', r'uncertainty\."term\.years": cannot be uncertain'),
    ('"sessions[3].capacity" = { low = 1, high = 3 }', r'uncertainty\."sessions\[3\]\.capacity": the plan has 1'),
    ('"policy.no_show_prob" = { low = 0.0, high = 1.5 }', r'uncertainty\."policy\.no_show_prob": .*must be in \[0.0, 1.0\]'),
    ('"sessions[0].capacity" = { low = 0, high = 10 }', r'uncertainty\."sessions\[0\]\.capacity": .*must be at least 1'),
    ('"policy.no_show_prob" = { dist = "beta", mean = 0.3 }', r'uncertainty\."policy\.no_show_prob"\.sd: is required'),
    ('"policy.no_show_prob" = { dist = "beta", mean = 0.3, sd = 0.6 }', r'uncertainty\."policy\.no_show_prob"\.sd: must be above 0'),
    ('"policy.no_show_prob" = { dist = "lognormal", low = 0, high = 1 }', r'\.dist: .lognormal. is not allowed'),
    ('"policy.no_show_prob" = { low = 0.5, high = 0.1 }', r'low must be below high'),
    ('"policy.colour" = { low = 0.1, high = 0.2 }', r'unknown policy field'),
    ('"policy.accept_prob.veterans" = { low = 0.1, high = 0.2 }', r'unknown segment'),
    ('"sessions[0].per_year" = { low = 1, high = 2 }', r'cannot be uncertain'),
    ('"policy.no_show_prob" = { low = 0.1, high = 0.2, skew = 3 }', r'\.skew: unknown key'),
])
def test_bad_declarations_name_the_key(decl, match):
    with pytest.raises(PlanError, match=match):
        _minimal("[uncertainty]\n" + decl + "\n")


def test_paths_reach_nested_probabilities():
    plan = resolve_plan("paper_recommended")
    p = apply_parameters(plan, {"policy.accept_prob.cannot_leave_post.remote": 0.8,
                                "sessions[4].accept_prob.cannot_leave_post": 0.5,
                                "modalities.online.cost_per_person": 400.0})
    assert p.policy.accept_prob["cannot_leave_post"] == {"default": 0.3, "remote": 0.8}
    assert p.sessions[4].accept_prob["cannot_leave_post"] == 0.5
    assert p.modalities["online"].cost_per_person == 400.0
    with pytest.raises(PlanError, match="is a table"):
        apply_parameters(p, {"policy.accept_prob.cannot_leave_post": 0.4})


def test_variance_share_hand_computed():
    # between-draw variance of the means 1/60 (0.1, 0.2, 0.3, 0.4 -> var 0.016667) less
    # the chance part 0.01 / 10 = 0.001: 0.015667; total 0.025667: share 0.6104
    v = variance_share(np.array([0.1, 0.2, 0.3, 0.4]), np.full(4, 0.01), 10)
    assert v.var_parameters == pytest.approx(1 / 60 - 0.001)
    assert v.share == pytest.approx((1 / 60 - 0.001) / (1 / 60 - 0.001 + 0.01))


def test_parameter_draws_need_an_uncertainty_table():
    with pytest.raises(PlanError, match="no \\[uncertainty\\] table"):
        simulate(resolve_plan("minimal"), replications=10, parameter_draws=5)


def test_given_parameter_sets_keep_their_draw_ids():
    # draws numbered 500.. (e.g. a slice of a larger design): the seeds follow the ids, so
    # the same rows give the same numbers wherever they sit
    plan = _minimal()
    draws = draw_parameters(plan, 6, seed=2)
    tail = draws.iloc[3:].assign(draw=lambda d: d["draw"] + 500)
    res = simulate(plan, replications=50, seed=2, parameters=tail)
    assert res.parameter_draws["draw"].tolist() == [503, 504, 505]
    assert set(res.replicates["draw"]) == {503, 504, 505}
    again = simulate(plan, replications=50, seed=2, parameters=tail.iloc[1:])
    assert again.parameter_draws["coverage_mean"].tolist() == res.parameter_draws["coverage_mean"].tolist()[1:]
