"""The behaviour model: per-invitation reproduces the earlier engine, persistent acceptance
has memory (analytic checks of issue 12), heterogeneity and calibration."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kexie_research.simulation import Plan, simulate
from kexie_research.simulation.plan import resolve_plan

DATA = Path(__file__).parent / "data"


def _golden_module():
    spec = importlib.util.spec_from_file_location("per_invitation_golden", DATA / "per_invitation_golden.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _per_invitation(plan: Plan) -> Plan:
    return dataclasses.replace(plan, policy=dataclasses.replace(plan.policy, acceptance="per_invitation"))


def _assert_same(got, want, where=""):
    if isinstance(want, dict):
        assert set(want) <= set(got), where
        for k, v in want.items():
            _assert_same(got[k], v, f"{where}.{k}")
    elif isinstance(want, list):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and math.isnan(want):
        assert got is None or math.isnan(got), where
    elif isinstance(want, (int, float)) and not isinstance(want, bool):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12), where
    else:
        assert got == want, where


@pytest.mark.parametrize("case", ["rich", "paper_recommended", "bench_random"])
def test_per_invitation_reproduces_the_earlier_engine_exactly(case):
    # golden numbers: the engine before persistent acceptance existed, same seeds
    # (tests/data/per_invitation_golden.json, written by per_invitation_golden.py)
    golden = json.loads((DATA / "per_invitation_golden.json").read_text(encoding="utf-8"))[case]
    mod = _golden_module()
    pop = None
    if case == "rich":
        plan, pop = mod.rich()
    elif case == "paper_recommended":
        plan = resolve_plan("paper_recommended")
    else:
        plan = Plan.from_toml_text(mod.BENCH)
    res = simulate(_per_invitation(plan), replications=golden["replications"], seed=golden["seed"],
                   population=pop)
    got = mod.capture(res)
    got = json.loads(json.dumps(got, default=float))
    _assert_same(got, golden["result"], case)


# ---- persistent acceptance: analytic checks (issue 12, Done-when) --------------------------

from kexie_research.simulation import (Policy, SessionSpec, Term, population_from_frame,  # noqa: E402
                                       simulate_reference_loop)
from kexie_research.simulation.plan import LatentClass  # noqa: E402


def _people(n, segments=("new",), provinces=("上海", "甘肃", "辽宁")):
    return population_from_frame(pd.DataFrame({
        "rep_id": [f"R{i}" for i in range(n)],
        "province": [provinces[i % len(provinces)] for i in range(n)],
        "segment": [segments[i % len(segments)] for i in range(n)]}))


def _binom_pmf(n, p):
    from scipy.stats import binom
    w = np.arange(n + 1)
    return w, binom.pmf(w, n, p)


def test_persistent_acceptance_caps_random_coverage_near_p():
    # 3,000 people, 50 sessions of 50 seats, random selection, p = 0.2: W ~ Bin(3000, 0.2)
    # people are willing for the whole term; each session seats 50 of them uniformly, so
    # E[coverage | W] = W (1 - (1 - 50/W)^50) / 3000 (hand-derived); ~0.198 overall.
    pop = _people(3000)
    plan = Plan(Term(1), (SessionSpec(50, per_year=50),),
                policy=Policy(selection="random", accept_prob=0.2))
    res = simulate(plan, replications=400, seed=12, population=pop)
    w, pmf = _binom_pmf(3000, 0.2)
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.where(w > 50, w * (1 - (1 - 50 / np.maximum(w, 1)) ** 50), w) / 3000
    expected = float((pmf * cond).sum())
    assert expected == pytest.approx(0.198, abs=0.0015)
    se = res.summary["coverage"]["sd"] / math.sqrt(res.replications)
    assert abs(res.coverage_mean - expected) < 4 * se + 1e-4
    # the memoryless model refills declines: 1 - (1 - 50/3000)^50 = 0.568 whatever p
    old = simulate(_per_invitation(plan), replications=200, seed=12, population=pop)
    assert old.coverage_mean == pytest.approx(1 - (1 - 50 / 3000) ** 50, abs=0.004)


def test_persistent_never_trained_first_covers_exactly_the_willing():
    # 1,000 people, 4 x 100 seats, never-trained-first, p = 0.3: the W ~ Bin(1000, 0.3)
    # willing are all trained (W <= 400 with overwhelming probability): coverage = W/1000,
    # mean 0.300, sd sqrt(0.3 * 0.7 / 1000) = 0.0145
    pop = _people(1000)
    plan = Plan(Term(1), (SessionSpec(100, per_year=4),), policy=Policy(accept_prob=0.3))
    res = simulate(plan, replications=4000, seed=3, population=pop)
    c = res.summary["coverage"]
    assert c["mean"] == pytest.approx(0.300, abs=4 * 0.0145 / math.sqrt(4000))
    assert c["sd"] == pytest.approx(math.sqrt(0.21 / 1000), rel=0.05)
    # per invitation, the declines are refilled: 400 distinct people every time
    assert simulate(_per_invitation(plan), replications=50, seed=3,
                    population=pop).coverage_mean == pytest.approx(0.4)


def test_acceptance_by_modality_group_is_persistent_per_group():
    # those who cannot leave their posts: 0.2 for in-person classes, 0.9 for online
    # courses, drawn independently once per term; ample seats, never-trained-first:
    # covered = willing for either = 1 - 0.8 * 0.1 = 0.92; the others (0.5 everywhere,
    # one group) = 0.5
    pop = _people(2000, segments=("cannot_leave_post", "new"))
    acc = {"cannot_leave_post": {"in_person": 0.2, "remote": 0.9}, "default": 0.5}
    plan = Plan(Term(2), (SessionSpec(1000, per_year=1), SessionSpec(1000, modality="online")),
                policy=Policy(accept_prob=acc))
    res = simulate(plan, replications=300, seed=4, population=pop)
    seg = res.by_segment.set_index("segment")["coverage_mean"]
    se = math.sqrt(0.92 * 0.08 / 1000 / 300)
    assert seg["cannot_leave_post"] == pytest.approx(0.92, abs=5 * se)
    assert seg["new"] == pytest.approx(0.5, abs=5 * math.sqrt(0.25 / 1000 / 300))


def test_session_with_its_own_acceptance_is_its_own_group():
    # an online course with its own accept_prob (0.6) asks the same people each year and
    # they answer the same: 3 yearly courses of ample size reach 0.6, not 1 - 0.4^3
    pop = _people(1000)
    plan = Plan(Term(3), (SessionSpec(1000, modality="online", accept_prob=0.6),),
                policy=Policy(accept_prob=1.0))
    res = simulate(plan, replications=200, seed=5, population=pop)
    assert res.coverage_mean == pytest.approx(0.6, abs=5 * math.sqrt(0.24 / 1000 / 200))


def _hetero_plan(acceptance):
    pop = _people(60, segments=("new", "cannot_leave_post", "frontline"))
    plan = Plan(Term(2), (
        SessionSpec(12, per_year=2),
        SessionSpec(15, modality="online", segments=("cannot_leave_post", "new"),
                    accept_prob={"cannot_leave_post": 0.7, "default": 0.5}),
        SessionSpec(10, modality="video", regions=("west", "east"))),
        policy=Policy(selection="random", acceptance=acceptance, no_show_prob=0.1, reinvite_share=0.2,
                      accept_prob={"cannot_leave_post": {"in_person": 0.3, "remote": 0.8}, "default": 0.7},
                      latent_classes=(LatentClass(0.3, "keen", accept_prob=0.95),
                                      LatentClass(0.7, "busy", no_show_prob=0.3))))
    return plan, pop


@pytest.mark.parametrize("acceptance", ["persistent", "per_invitation"])
def test_latent_classes_and_groups_match_the_per_person_loop(acceptance):
    # the loop draws each person's class and willingness per group by the model's
    # definition; the engine uses cells of (class x willingness pattern): same distribution
    plan, pop = _hetero_plan(acceptance)
    fast = simulate(plan, replications=6000, seed=8, population=pop)
    loop = simulate_reference_loop(plan, replications=800, seed=9, population=pop)
    for col in ("coverage", "cost", "gain_per_rep"):
        a = fast.replicates[col].to_numpy(float)
        b = loop.replicates[col].to_numpy(float)
        se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        assert abs(a.mean() - b.mean()) < 4.5 * se + 1e-9, col
        va, vb = a.var(ddof=1), b.var(ddof=1)
        se_v = math.sqrt(va ** 2 * 2 / (len(a) - 1) + vb ** 2 * 2 / (len(b) - 1))
        assert abs(va - vb) < 5 * se_v + 1e-12, col
    fa = fast.by_segment.set_index("segment")["coverage_mean"]
    lb = loop.by_segment.set_index("segment")["coverage_mean"]
    assert (fa - lb).abs().max() < 0.04


def test_latent_classes_bind_per_invitation_too():
    # half the people never accept (class 'no'), half always: however many invitations,
    # per-invitation coverage stops at the willing half
    pop = _people(400)
    plan = Plan(Term(1), (SessionSpec(50, per_year=20),),
                policy=Policy(selection="random", acceptance="per_invitation",
                              latent_classes=(LatentClass(0.5, "yes", accept_prob=1.0),
                                              LatentClass(0.5, "no", accept_prob=0.0))))
    res = simulate(plan, replications=300, seed=2, population=pop)
    # E = E[W (1 - (1 - 50/W)^20)] / 400 with W ~ Bin(400, 0.5)
    w, pmf = _binom_pmf(400, 0.5)
    cond = np.where(w > 50, w * (1 - (1 - 50 / np.maximum(w, 1)) ** 20), w) / 400
    expected = float((pmf * cond).sum())
    assert res.coverage_mean == pytest.approx(expected, abs=4 * res.summary["coverage"]["sd"] / math.sqrt(300) + 1e-4)
    assert res.coverage_p95 <= 0.56


def test_beta_dispersion_lowers_per_invitation_coverage_and_keeps_the_mean():
    # a Beta propensity (mean 0.5) makes repeat invitations correlated: fewer distinct
    # people reached than with i.i.d. acceptance, same first-session acceptance
    pop = _people(500)
    base = Plan(Term(1), (SessionSpec(40, per_year=12),),
                policy=Policy(selection="random", acceptance="per_invitation", accept_prob=0.5))
    disp = dataclasses.replace(base, policy=dataclasses.replace(base.policy, accept_dispersion=0.5))
    a = simulate(base, replications=300, seed=1, population=pop)
    b = simulate(disp, replications=300, seed=1, population=pop)
    assert b.coverage_mean < a.coverage_mean - 0.02
    assert b.trajectory["coverage_mean"].iloc[0] == pytest.approx(40 / 500)   # first session
    from kexie_research.simulation.behaviour import behaviour_classes
    cls = behaviour_classes(disp)
    assert math.fsum(c.share * c.accept_prob for c in cls) == pytest.approx(0.5, abs=1e-12)


def test_persistent_is_the_default_and_plans_round_trip():
    p = resolve_plan("minimal")
    assert p.policy.acceptance == "persistent"
    text = p.to_toml()
    assert 'acceptance = "persistent"' in text
    plan, _ = _hetero_plan("persistent")
    assert Plan.from_toml_text(plan.to_toml()) == plan


@pytest.mark.parametrize("bad,match", [
    ('acceptance = "sometimes"', r"policy\.acceptance: 'sometimes' is not allowed; allowed: persistent, per_invitation"),
    ("accept_prob = { cannot_leave_post = { hologram = 0.5, default = 0.2 }, default = 1 }",
     r"policy\.accept_prob\.cannot_leave_post\.hologram: unknown modality"),
    ("accept_prob = { cannot_leave_post = { online = 0.5 }, default = 1 }",
     r"policy\.accept_prob\.cannot_leave_post: table must give every modality"),
    ("[[policy.latent_classes]]\nshare = 0.4\n[[policy.latent_classes]]\nshare = 0.4",
     r"policy\.latent_classes: shares must add up to 1"),
    ("[[policy.latent_classes]]\naccept_prob = 0.4", r"policy\.latent_classes\[0\]\.share: is required"),
    ("accept_dispersion = 1.5", r"policy\.accept_dispersion: must be in"),
])
def test_bad_behaviour_keys_are_named(bad, match):
    from kexie_research.errors import PlanError
    text = "[term]\nyears = 1\n[population]\nsynthetic_size = 100\n[[sessions]]\ncapacity = 10\n[policy]\n"
    with pytest.raises(PlanError, match=match):
        Plan.from_toml_text(text + bad + "\n")


# ---- calibration of acceptance from records ------------------------------------------------

from kexie_research.simulation.behaviour import calibrate_acceptance  # noqa: E402


def _cal_records():
    reps = pd.DataFrame({"rep_id": [f"r{i}" for i in range(6)],
                         "segment": ["new"] * 3 + ["cannot_leave_post"] * 3})
    trainings = pd.DataFrame({"training_id": ["T1", "T2", "O1"],
                              "modality": ["centralized", "centralized", "online"]})
    inv = pd.DataFrame({
        "rep_id":      ["r0", "r1", "r2", "r3", "r4", "r5", "r3", "r4", "r5", "r0"],
        "training_id": ["T1", "T1", "T1", "T1", "T1", "T1", "T2", "T2", "O1", "T2"],
        "accepted":    [True, True, False, False, False, True, False, True, True, True],
        "attended":    [True, False, False, False, False, True, False, True, True, True]})
    return reps, trainings, inv


def test_calibration_from_invitations_gives_beta_posteriors():
    reps, trainings, inv = _cal_records()
    cal = calibrate_acceptance(reps, invitations=inv, trainings=trainings)
    assert cal.identified and cal.source == "invitations"
    e = cal.estimates.set_index(["segment", "modality_group", "parameter"])
    # new, in person: 4 invitations (r0 twice, r1, r2), 3 accepted: Beta(4, 2), mean 2/3
    row = e.loc[("new", "in_person", "accept_prob")]
    assert (row["n"], row["k"]) == (4, 3)
    assert row["mean"] == pytest.approx(4 / 6)
    assert row["sd"] == pytest.approx(math.sqrt(4 * 2 / (36 * 7)))
    # cannot leave post: in person 5 invitations, 2 accepted; remote 1 of 1
    assert tuple(e.loc[("cannot_leave_post", "in_person", "accept_prob"), ["n", "k"]]) == (5, 2)
    one = e.loc[("cannot_leave_post", "remote", "accept_prob")]
    # Beta(2, 1): CDF x^2 -> 5% / 95% quantiles sqrt(0.05), sqrt(0.95) (hand-computed)
    assert (one["low"], one["high"]) == pytest.approx((math.sqrt(0.05), math.sqrt(0.95)))
    # no-shows among those who accepted: new in person 3 accepted, 1 absent (r1)
    ns = e.loc[("new", "in_person", "no_show_prob")]
    assert (ns["n"], ns["k"]) == (3, 1)
    # persistence: r0 (2 accepts), r3 (2 declines), r4 (decline, accept) invited twice in
    # person: 1 of 3 changed their answer
    assert cal.persistence["people_invited_repeatedly"] == 3
    assert cal.persistence["both_accepted_and_declined"] == 1
    # the estimates feed a plan's [uncertainty] table directly
    plan = Plan.from_toml_text(resolve_plan("minimal").to_toml().replace(
        "accept_prob = 1.0", "accept_prob = 0.8") + cal.to_uncertainty_toml())
    assert "policy.accept_prob.cannot_leave_post.remote" in plan.uncertainty


def test_calibration_from_attendance_alone_says_acceptance_is_not_identified():
    reps, trainings, _ = _cal_records()
    att = pd.DataFrame({"rep_id": ["r0", "r1", "r3"], "training_id": ["T1", "T1", "T1"],
                        "role": ["learner"] * 3})
    cal = calibrate_acceptance(reps, att, trainings=trainings)
    assert not cal.identified and cal.uncertainty == {}
    assert any("NOT identified" in n for n in cal.notes)
    assert any("No-shows are not identified" in n for n in cal.notes)
    e = cal.estimates.set_index(["segment", "parameter"])
    lb = e.loc[("new", "accept_prob_lower_bound")]
    assert (lb["n"], lb["k"]) == (3, 2) and not lb["identified"]
    assert "lower bound" in lb["note"]
