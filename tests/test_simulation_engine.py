"""The simulation engine: analytic checks, agreement with the per-person loop, determinism."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from kexie_research.simulation import (Plan, Policy, PopulationSpec, SessionSpec, Simulator,
                                       Term, compile_plan, population_from_frame, simulate,
                                       simulate_individuals, simulate_reference_loop)
from kexie_research.simulation.engine import _gini_rows, mvhg
from kexie_research.simulation.plan import resolve_plan


def _pop(n_by_prov: dict, segments=None) -> "Population":  # noqa: F821
    prov = [p for p, n in n_by_prov.items() for _ in range(n)]
    df = pd.DataFrame({"rep_id": [f"R{i}" for i in range(len(prov))], "province": prov})
    if segments is not None:
        df["segment"] = [segments[i % len(segments)] for i in range(len(prov))]
    return population_from_frame(df)


def _plan(years=1, sessions=(), **policy) -> Plan:
    return Plan(Term(years), tuple(sessions), policy=Policy(**policy))


# ---- analytic sanity ------------------------------------------------------------------

@pytest.mark.parametrize("N,c,k", [(1000, 100, 4), (200, 30, 5), (200, 30, 7), (50, 50, 3), (97, 10, 9)])
def test_never_trained_first_coverage_is_exactly_min_1_kc_over_n(N, c, k):
    # acceptance 1, no no-shows: the k sessions seat k*c distinct people until everyone is
    # trained, in every replication: coverage = min(1, k c / N) exactly
    pop = _pop({"上海": N // 2, "甘肃": N - N // 2})
    plan = _plan(sessions=[SessionSpec(c, per_year=k)], selection="never_trained_first")
    res = simulate(plan, replications=300, seed=7, population=pop)
    expected = min(1.0, k * c / N)
    cov = res.replicates["coverage"].to_numpy()
    assert np.all(np.abs(cov - expected) < 1e-12)
    assert res.coverage_mean == pytest.approx(expected, abs=1e-15)
    # the trajectory is exact too: after j sessions min(1, j c / N)
    assert res.trajectory["coverage_mean"].tolist() == pytest.approx(
        [min(1.0, j * c / N) for j in range(1, k + 1)], abs=1e-12)


@pytest.mark.parametrize("N,c,k", [(1000, 100, 4), (300, 40, 6), (120, 60, 3)])
def test_random_selection_expected_coverage(N, c, k):
    # each session seats a uniform random c-subset: P(never seated) = (1 - c/N)^k
    pop = _pop({"上海": N // 3, "甘肃": N // 3, "辽宁": N - 2 * (N // 3)})
    plan = _plan(sessions=[SessionSpec(c, per_year=k)], selection="random")
    res = simulate(plan, replications=4000, seed=11, population=pop)
    expected = 1 - (1 - c / N) ** k
    se = res.summary["coverage"]["sd"] / math.sqrt(res.replications)
    assert abs(res.coverage_mean - expected) < 4 * se + 1e-12


def test_fixed_seats_are_never_exceeded_and_filled_when_everyone_accepts():
    pop = _pop({"上海": 40, "甘肃": 40})
    plan = _plan(sessions=[SessionSpec(25, per_year=3)], selection="random")
    res = simulate(plan, replications=200, seed=1, population=pop)
    assert (res.trajectory["attended_mean"] == 25).all()   # every seat filled, every time
    plan2 = dataclasses.replace(plan, policy=Policy(selection="random", no_show_prob=0.2))
    cp = compile_plan(plan2, pop)
    from kexie_research.simulation.engine import run_chunk
    raw = run_chunk(cp, 500, np.random.SeedSequence(3))
    assert raw["attended"].max() <= 25
    # no-shows are binomial(25, 0.8) per session: mean 20
    assert raw["attended"].mean() == pytest.approx(20, abs=0.2)


def test_cost_is_fixed_plus_per_attendee():
    pop = _pop({"上海": 100})
    s = SessionSpec(10, per_year=2, cost_fixed=1000.0, cost_per_person=50.0)
    res = simulate(_plan(sessions=[s]), replications=10, seed=1, population=pop)
    assert res.cost_mean == pytest.approx(2 * (1000 + 50 * 10))   # hand-computed: 2 x 1,500


def test_years_to_80pct_exact_when_deterministic():
    # N = 100, 20 seats, 5 sessions in year 1 at times 0.2, 0.4, ... -> 80 % after the 4th
    pop = _pop({"上海": 100})
    res = simulate(_plan(sessions=[SessionSpec(20, per_year=5)]), replications=20, seed=1,
                   population=pop)
    t = res.summary["years_to_80pct"]
    assert t["share_reached"] == 1.0 and t["p50"] == pytest.approx(0.8)
    assert res.summary["years_to_100pct"]["p50"] == pytest.approx(1.0)
    assert res.summary["p_full_coverage"] == 1.0


def test_targeting_trains_only_the_target_groups():
    pop = _pop({"上海": 30, "甘肃": 30, "辽宁": 30})
    plan = _plan(sessions=[SessionSpec(10, per_year=2, regions=("west",))])
    res = simulate(plan, replications=50, seed=2, population=pop)
    reg = res.by_region.set_index("region")["coverage_mean"]
    assert reg["west"] == pytest.approx(20 / 30)
    assert reg["east"] == 0 and reg["northeast"] == 0
    prov = res.by_province.set_index("province")["coverage_mean"]
    assert prov["甘肃"] == pytest.approx(20 / 30) and prov["上海"] == 0


def test_segment_priority_fills_the_priority_segment_first():
    segs = ["new", "cannot_leave_post", "frontline", "reelected"]
    pop = _pop({"上海": 80}, segments=segs)          # 20 per segment
    plan = _plan(sessions=[SessionSpec(20, per_year=1)], selection="segment_priority",
                 priority=("cannot_leave_post",))
    res = simulate(plan, replications=30, seed=3, population=pop)
    seg = res.by_segment.set_index("segment")["coverage_mean"]
    assert seg["cannot_leave_post"] == 1.0 and seg[["new", "frontline", "reelected"]].sum() == 0


def test_segment_acceptance_table_applies_by_segment():
    pop = _pop({"上海": 60}, segments=["new", "cannot_leave_post"])
    plan = _plan(sessions=[SessionSpec(60, per_year=1)], selection="random",
                 accept_prob={"cannot_leave_post": 0.0, "default": 1.0})
    res = simulate(plan, replications=20, seed=3, population=pop)
    seg = res.by_segment.set_index("segment")["coverage_mean"]
    assert seg["new"] == 1.0 and seg["cannot_leave_post"] == 0.0


# ---- the fast engine agrees with the per-person loop in distribution -----------------

def _rich_plan() -> tuple[Plan, "Population"]:  # noqa: F821
    segs = ["new", "frontline", "cannot_leave_post", "reelected", "frontline"]
    pop = _pop({"上海": 14, "江苏": 10, "甘肃": 12, "辽宁": 8, "全国学会": 16}, segments=segs)
    sessions = (
        SessionSpec(12, per_year=1, regions=("east", "west")),
        SessionSpec(10, per_year=1, modality="online", segments=("cannot_leave_post", "new"),
                    accept_prob={"cannot_leave_post": 0.8, "default": 0.6}),
        SessionSpec(9, per_year=1, provinces=("全国学会", "辽宁"), modality="exchange",
                    selection="random"),
    )
    plan = Plan(Term(2), sessions, policy=Policy(
        selection="segment_priority", priority=("frontline",), within="never_trained_first",
        accept_prob={"cannot_leave_post": 0.3, "default": 0.85}, no_show_prob=0.1,
        reinvite_share=0.25))
    return plan, pop


@pytest.mark.parametrize("acceptance", ["persistent", "per_invitation"])
def test_fast_engine_matches_reference_loop_in_distribution(acceptance):
    plan, pop = _rich_plan()
    plan = dataclasses.replace(plan, policy=dataclasses.replace(plan.policy, acceptance=acceptance))
    fast = simulate(plan, replications=6000, seed=5, population=pop)
    loop = simulate_reference_loop(plan, replications=600, seed=6, population=pop)
    for col in ("coverage", "cost", "gain_per_rep", "mixing"):
        a = fast.replicates[col].to_numpy(float)
        b = loop.replicates[col].to_numpy(float)
        se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        assert abs(a.mean() - b.mean()) < 4.5 * se + 1e-9, col
        # variances: se of a sample variance ~ var * sqrt(2 / (n - 1)) (normal approximation,
        # widened for the discrete, bounded outcome)
        va, vb = a.var(ddof=1), b.var(ddof=1)
        se_v = math.sqrt(va ** 2 * 2 / (len(a) - 1) + vb ** 2 * 2 / (len(b) - 1))
        if col == "mixing" and acceptance == "persistent":
            # the engine takes mixing's expectation given the attendance counts
            # (Rao-Blackwell): same mean, never more variance than the per-person count
            assert va < vb + 5 * se_v, col
            continue
        assert abs(va - vb) < 5 * se_v + 1e-12, col
    # group breakdowns agree too
    fa = fast.by_segment.set_index("segment")["coverage_mean"]
    lb = loop.by_segment.set_index("segment")["coverage_mean"]
    assert (fa - lb).abs().max() < 0.05


def test_fixed_seat_constraint_shapes_the_spread():
    # a per-person binomial shortcut would give sd sqrt(N p (1-p)); sampling exactly c seats
    # without replacement gives sd 0 for one session: the engine must keep the latter
    pop = _pop({"上海": 200})
    res = simulate(_plan(sessions=[SessionSpec(50)], selection="random"), replications=500,
                   seed=1, population=pop)
    assert res.summary["coverage"]["sd"] == pytest.approx(0.0, abs=1e-12)


# ---- determinism ----------------------------------------------------------------------

def test_same_seed_same_result_and_workers_do_not_matter():
    plan, pop = _rich_plan()
    sim = Simulator(plan, pop)
    a = sim.run(replications=5000, seed=42)
    b = sim.run(replications=5000, seed=42)
    c = sim.run(replications=5000, seed=42, workers=2)
    pd.testing.assert_frame_equal(a.replicates, b.replicates)
    pd.testing.assert_frame_equal(a.replicates, c.replicates)
    d = sim.run(replications=5000, seed=43)
    assert not a.replicates["coverage"].equals(d.replicates["coverage"])


def test_individual_path_is_seeded_and_consistent():
    plan, pop = _rich_plan()
    a = simulate_individuals(plan, replications=2, seed=9, population=pop)
    b = simulate_individuals(plan, replications=2, seed=9, population=pop)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 60 and {"trained_r0", "trained_r1"} <= set(a.columns)


# ---- helpers --------------------------------------------------------------------------

def test_mvhg_sums_and_means():
    rng = np.random.default_rng(0)
    counts = np.tile([30, 0, 50, 20], (20000, 1))
    x = mvhg(rng, counts, np.full(20000, 10))
    assert (x.sum(axis=1) == 10).all() and (x <= counts).all() and (x[:, 1] == 0).all()
    # E[x_k] = n * K_k / N = 10 * [0.3, 0, 0.5, 0.2]
    assert x.mean(axis=0) == pytest.approx([3.0, 0.0, 5.0, 2.0], abs=0.05)


def test_gini_rows_hand_computed():
    # (0, 0, 1): mean 1/3, mean abs difference over all ordered pairs = 4/9 -> G = 2/3
    # (1, 1, 1): 0
    g = _gini_rows(np.array([[0.0, 0.0, 1.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]))
    assert g.tolist() == pytest.approx([2 / 3, 0.0, 0.0])


# ---- shipped plans --------------------------------------------------------------------

def test_minimal_plan_as_written():
    res = simulate(resolve_plan("minimal"), replications=100, seed=1)
    assert res.n_population == 1000
    assert res.coverage_mean == pytest.approx(0.4, abs=1e-15)        # min(1, 4*100/1000)


def test_ninth_congress_history_reproduces_584_within_interval():
    plan = resolve_plan("ninth_congress_history")
    res = simulate(plan, replications=2000, seed=2016)
    N = res.n_population
    lo, hi = res.summary["untrained"]["p95"], res.summary["untrained"]["p05"]
    distinct_lo, distinct_hi = N - lo, N - hi
    assert distinct_lo <= 584 <= distinct_hi          # seed 000 §1: 584 distinct reps
    assert res.coverage_mean * N == pytest.approx(584, abs=5)
    assert res.summary["seats"] == 616                 # 140+70+150+120+70+66 person-times
    assert res.summary["provinces_reached"]["p50"] == 31   # "来自全国31个省" (seed 000 §1)


def test_widget_speed_target():
    # 3,000 people, 5 years, 10 sessions a year: a 200-replication update (target < 200 ms;
    # asserted loosely because CI machines are shared)
    import time
    plan = Plan(Term(5), (SessionSpec(60, per_year=10),),
                population=PopulationSpec(synthetic_size=3000, seed=1),
                policy=Policy(accept_prob=0.9, no_show_prob=0.05))
    sim = Simulator(plan)
    sim.run(replications=200, seed=1)
    t0 = time.perf_counter()
    sim.run(replications=200, seed=2)
    assert time.perf_counter() - t0 < 1.0


# ---- invariants on random small plans (hypothesis) ----------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(n_a=st.integers(1, 30), n_b=st.integers(0, 30), cap=st.integers(1, 40),
       per_year=st.integers(0, 4), years=st.integers(1, 3),
       acc=st.floats(0, 1), ns=st.floats(0, 1), rho=st.floats(0, 1),
       sel=st.sampled_from(["random", "never_trained_first"]), target_west=st.booleans())
def test_invariants_on_random_plans(n_a, n_b, cap, per_year, years, acc, ns, rho, sel, target_west):
    pop = _pop({"上海": n_a, "甘肃": n_b} if n_b else {"上海": n_a})
    s = SessionSpec(cap, per_year=per_year, regions=("west",) if target_west else ())
    plan = Plan(Term(years), (s,), policy=Policy(selection=sel, accept_prob=acc, no_show_prob=ns,
                                                 reinvite_share=rho))
    cp = compile_plan(plan, pop)
    from kexie_research.simulation.engine import aggregate, run_chunk
    raw = run_chunk(cp, 64, np.random.SeedSequence(1))
    N = n_a + n_b
    cov = raw["covered"]
    assert (raw["attended"] <= cap).all() and (raw["attended"] >= 0).all()
    assert (np.diff(cov, axis=1) >= 0).all() and (cov <= N).all()      # coverage never falls
    if target_west:
        assert (cov <= n_b).all()                                      # only the west is invited
    for kind, u in raw["untrained_by"].items():                       # each margin adds up
        assert (u.sum(axis=1) == N - (cov[:, -1] if cov.shape[1] else 0)).all(), kind
    res = aggregate(cp, raw, seed=1)
    c = res.summary["coverage"]
    assert 0 <= c["p05"] <= c["p50"] <= c["p95"] <= 1
    final = res.replicates["coverage"]
    assert final.min() - 1e-12 <= c["mean"] <= final.max() + 1e-12
    if acc == 1.0 and ns == 0.0 and rho == 0.0 and sel == "never_trained_first" and not target_west:
        assert (cov[:, -1] == min(N, cap * per_year * years)).all()


def test_plan_without_sessions_gives_zero_coverage_and_full_tables():
    pop = _pop({"上海": 10})
    res = simulate(_plan(years=2, sessions=[SessionSpec(5, per_year=0)]), replications=5, seed=1,
                   population=pop)
    assert res.coverage_mean == 0.0 and res.summary["untrained"]["mean"] == 10
    assert "time" in res.trajectory.columns and len(res.trajectory) == 0
    assert res.by_year["coverage_mean"].tolist() == [0.0, 0.0]
