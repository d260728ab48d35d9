"""Sweeps, the Parquet store, sensitivity, PRIM, the optimiser and the recommendations."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from kexie_research.errors import AnalysisError, PlanError
from kexie_research.simulation import simulate
from kexie_research.simulation.discovery import evaluate_box, failure_cases, prim
from kexie_research.simulation.optimize import optimize_plan, plan_objective
from kexie_research.simulation.plan import resolve_plan
from kexie_research.simulation.recommend import LEVERS, recommend
from kexie_research.simulation.sensitivity import morris_analysis, sobol_analysis, tornado
from kexie_research.simulation.store import SweepStore
from kexie_research.simulation.sweep import (PARAMETERS, apply_parameters, parse_parameter_ranges,
                                             run_sweep, sample_points)


@pytest.fixture(scope="module")
def small_plan():
    import dataclasses
    p = resolve_plan("minimal")
    # 300 people, 3 sessions of 100: coverage 1 with everyone accepting, less otherwise
    return dataclasses.replace(p, population=dataclasses.replace(p.population, synthetic_size=300),
                               sessions=(dataclasses.replace(p.sessions[0], per_year=3),))


# ---- parameters and sweeps ------------------------------------------------------------

def test_apply_parameters_changes_the_plan():
    p = resolve_plan("plan_2020_one_duty_class")
    q = apply_parameters(p, {"accept_prob": 0.5, "accept_prob_cannot_leave_post": 0.1,
                             "cost_scale": 2.0, "reinvite_share": 0.0})
    assert q.policy.accept_prob == {"cannot_leave_post": 0.1, "default": 0.5}
    assert q.modalities["centralized"].cost_per_person == 2 * p.modalities["centralized"].cost_per_person
    assert q.policy.reinvite_share == 0.0
    with pytest.raises(PlanError, match="unknown sweep parameter 'nope'"):
        apply_parameters(p, {"nope": 1})


def test_parse_ranges_errors():
    with pytest.raises(PlanError, match="LOW:HIGH"):
        parse_parameter_ranges(["accept_prob=0.5"])
    with pytest.raises(PlanError, match="LOW must be below HIGH"):
        parse_parameter_ranges(["accept_prob=0.9:0.5"])


def test_sweep_store_provenance_reload_and_extend(tmp_path, small_plan):
    rng = {"no_show_prob": (0.0, 0.3)}
    store = tmp_path / "sweep.parquet"
    a = run_sweep(small_plan, rng, 5, replications=20, seed=4, store=store, batch_size=2)
    st = SweepStore(store)
    assert len(st.parts()) == 3                      # streamed: one part per batch of 2 points
    df = st.load()
    assert len(df) == 5 and df["point_id"].tolist() == [0, 1, 2, 3, 4]
    for col in ("run_id", "seed_entropy", "seed_spawn_key", "package_version", "plan_sha256",
                "replications", "no_show_prob", "coverage_mean"):
        assert col in df.columns
    assert df["seed_spawn_key"].tolist() == ["0", "1", "2", "3", "4"]
    meta = st.metadata()[0]
    assert meta["seed"] == 4 and "[term]" in meta["plan_toml"]
    with pytest.raises(PlanError, match="already holds results"):
        run_sweep(small_plan, rng, 2, replications=20, seed=4, store=store)
    run_sweep(small_plan, rng, 3, replications=20, seed=4, store=store, extend=True)
    ext = st.load()
    assert ext["point_id"].tolist() == list(range(8))
    # extending gives exactly what one longer sweep would have given
    full = run_sweep(small_plan, rng, 8, replications=20, seed=4)
    pd.testing.assert_series_equal(ext["coverage_mean"], full.table["coverage_mean"], check_names=False)
    pd.testing.assert_series_equal(ext["no_show_prob"], full.table["no_show_prob"], check_names=False)
    # streaming read
    assert sum(len(b) for b in st.iter_batches(batch_size=3)) == 8
    assert a.to_dict()["points"] == 5


def test_sweep_outputs_respond_to_no_shows(small_plan):
    pts = pd.DataFrame({"no_show_prob": [0.0, 0.5]})
    from kexie_research.simulation.sweep import evaluate_points
    out = evaluate_points(small_plan, pts, replications=50, seed=1, common_random_numbers=True)
    assert out["coverage_mean"].iloc[0] == 1.0       # 3 x 100 seats, 300 people, all come
    assert out["coverage_mean"].iloc[1] < 0.9         # half the seated stay away


def test_sample_points_within_ranges():
    pts = sample_points({"accept_prob": (0.5, 1.0), "cost_scale": (0.7, 1.5)}, 50, seed=3)
    assert pts["accept_prob"].between(0.5, 1.0).all() and pts["cost_scale"].between(0.7, 1.5).all()


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_results(small_plan, capsys):
    distributed = pytest.importorskip("dask.distributed")
    rng = {"no_show_prob": (0.0, 0.3), "accept_prob": (0.5, 1.0)}
    local = run_sweep(small_plan, rng, 6, replications=30, seed=12)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = run_sweep(small_plan, rng, 6, replications=30, seed=12, executor=client)
        # and through the CLI's --scheduler
        from kexie_research.cli import main
        args = ["sweep", "--plan", "minimal", "--points", "4", "--replications", "10",
                "--param", "no_show_prob", "--seed", "3", "--json"]
        assert main(args) == 0
        out_local = capsys.readouterr().out
        assert main(args + ["--scheduler", cluster.scheduler_address]) == 0
        out_dask = capsys.readouterr().out
    cols = ["point_id", "no_show_prob", "accept_prob", "coverage_mean", "cost_mean", "mixing_mean"]
    pd.testing.assert_frame_equal(local.table[cols], remote.table[cols])
    assert json.loads(out_local) == json.loads(out_dask)


# ---- sensitivity ----------------------------------------------------------------------

def test_morris_and_tornado_rank_no_shows_above_costs(small_plan):
    rng = {"no_show_prob": (0.0, 0.3), "cost_scale": (0.7, 1.5)}
    m = morris_analysis(small_plan, rng, trajectories=4, replications=20, seed=1)
    mu = m.indices.set_index("parameter")["mu_star"]
    assert mu["no_show_prob"] > 0 and mu["cost_scale"] == 0.0   # costs never change coverage
    t = tornado(small_plan, rng, replications=30, seed=1)
    assert t.indices["parameter"].iloc[0] == "no_show_prob"
    assert t.baseline == 1.0 and t.indices.set_index("parameter").loc["cost_scale", "swing"] == 0.0


def test_sobol_indices_on_cost(small_plan):
    rng = {"cost_scale": (0.5, 1.5), "no_show_prob": (0.0, 0.2)}
    s = sobol_analysis(small_plan, rng, n_base=16, replications=10, seed=2, output="cost_mean")
    ind = s.indices.set_index("parameter")
    assert len(s.design) == 16 * 4
    # cost is ~linear in cost_scale: it carries most of the variance
    assert ind.loc["cost_scale", "ST"] > ind.loc["no_show_prob", "ST"]
    with pytest.raises(ValueError, match="output must be one of"):
        sobol_analysis(small_plan, rng, output="happiness")


# ---- PRIM -------------------------------------------------------------------------------

def test_prim_finds_the_failure_region():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"accept_prob": rng.random(500), "no_show_prob": rng.random(500),
                      "cost_scale": rng.random(500)})
    y = ((X["accept_prob"] < 0.3) & (X["no_show_prob"] > 0.5)).to_numpy()
    res = prim(X, y, alpha=0.05, min_support=0.02)
    box = res.restricted(res.select(min_coverage=0.8))
    assert set(box) >= {"accept_prob", "no_show_prob"}
    assert box["accept_prob"][1] == pytest.approx(0.3, abs=0.06)
    assert box["no_show_prob"][0] == pytest.approx(0.5, abs=0.06)
    traj = res.trajectory
    assert traj["coverage"].iloc[0] == 1.0 and traj["density"].iloc[0] == pytest.approx(y.mean())
    assert (np.diff(traj["support"]) < 0).all()                     # every peel removes points
    # evaluating the chosen box directly gives the trajectory's numbers
    ev = evaluate_box(X, y, res.box(res.chosen))
    assert ev["density"] == pytest.approx(traj["density"].iloc[res.chosen])
    assert ev["coverage"] == pytest.approx(traj["coverage"].iloc[res.chosen])


def test_prim_errors_and_failure_cases():
    X = pd.DataFrame({"a": [0.1, 0.2]})
    with pytest.raises(AnalysisError, match="nothing to discover"):
        prim(X, [False, False])
    t = pd.DataFrame({"coverage_mean": [1.0, 0.98, 0.5]})
    assert failure_cases(t).tolist() == [False, True, True]
    with pytest.raises(AnalysisError, match="no column"):
        failure_cases(t, output="x")


# ---- optimisation ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["plan_2020_one_duty_class", "ninth_congress_history", pytest.param(
    "paper_recommended", marks=pytest.mark.xfail(strict=True, reason=(
        "under persistent acceptance (the default since issue 12) the paper's plan, whose "
        "online course is its own acceptance group, edges out the optimiser's LP (1.2251 vs "
        "1.2265 at seed 1); the optimiser's rework belongs to the simanalysis stream")))])
def test_optimiser_beats_shipped_plans_at_equal_budget(name):
    plan = resolve_plan(name)
    base = simulate(plan, replications=300, seed=1)
    res = optimize_plan(plan, base.cost_mean, time_limit=20)
    assert res.cost <= base.cost_mean + 1e-6
    opt = simulate(res.plan, replications=300, seed=1)
    assert opt.cost_mean <= base.cost_mean * 1.01          # equal budget (expected cost)
    assert plan_objective(opt) > plan_objective(base)       # coverage + 0.5 x mixing
    # the assignment names distinct people; seats beyond a cell's size are kept for
    # re-inviting no-shows
    assert res.assignment["rep_id"].is_unique
    assert len(res.assignment) <= int(res.allocation["seats"].sum())
    assert len(res.assignment) >= 0.9 * res.coverage * base.n_population


def test_optimiser_small_budget_and_heuristic():
    plan = resolve_plan("minimal")
    exact = optimize_plan(plan, 1_000_000, method="milp")
    heur = optimize_plan(plan, 1_000_000, method="heuristic")
    assert exact.cost <= 1_000_000 and heur.cost <= 1_000_000 + 1e-6
    assert heur.objective <= exact.objective + 1e-6          # the MILP is optimal
    assert heur.objective >= 0.8 * exact.objective          # and the heuristic is close
    with pytest.raises(AnalysisError, match="single session"):
        optimize_plan(plan, 1000.0)
    with pytest.raises(ValueError, match="method must be one of"):
        optimize_plan(plan, 1e6, method="magic")


# ---- recommendations -------------------------------------------------------------------

def test_recommendations_rank_and_cite_numbers():
    plan = resolve_plan("plan_2020_one_duty_class")
    res = recommend(plan, levers=["add_centralized_class", "online_for_cannot_leave_post",
                                  "never_trained_first"], replications=60, seed=3)
    t = res.table
    assert t["rank"].tolist() == [1, 2, 3] and (t["basis"] == "model-based").all()
    # removing open seats is free and helps, so it ranks first; online beats a centralised
    # class per million yuan
    assert t["lever"].tolist() == ["never_trained_first", "online_for_cannot_leave_post",
                                   "add_centralized_class"]
    row = t.set_index("lever").loc["add_centralized_class"]
    assert row["d_coverage_lo"] <= row["d_coverage"] <= row["d_coverage_hi"]
    assert f"{row['d_coverage'] * 100:+.1f} points" in row["text"] and "[Model-based]" in row["text"]
    json.dumps(res.to_dict(), default=str)
    zh = recommend(plan, levers=["rep_organized"], replications=20, seed=3, lang="zh")
    assert zh.table["text"].iloc[0].startswith("【模型估计】")
    with pytest.raises(PlanError, match="unknown lever"):
        recommend(plan, levers=["bribes"])
    assert set(LEVERS) >= {"add_centralized_class", "rep_organized"}
    assert set(PARAMETERS) >= {"accept_prob", "no_show_prob", "cost_scale"}


# ---- effect calibration --------------------------------------------------------------

def test_session_gains_and_calibration_recover_the_model():
    from kexie_research.simulation.effects import calibrate_effect, session_gains
    from kexie_research.simulation.plan import EffectModel
    em = EffectModel(0.8, 24.0)
    tr = pd.DataFrame({"training_id": [f"T{i}" for i in range(6)],
                       "modality": ["centralized"] * 3 + ["online"] * 3})
    hours = [24, 16, 8, 10, 6, 12]
    att = pd.DataFrame({"rep_id": [f"r{i}" for i in range(6)], "training_id": tr["training_id"],
                        "hours": hours, "role": "learner"})
    # gains generated by the model: 0.8 points/h, online multiplier 0.5
    gain = [em.gain(h, 1.0 if i < 3 else 0.5) for i, h in enumerate(hours)]
    sv = pd.DataFrame({"training_id": tr["training_id"], "rater_role": "learner",
                       "pre_score": 50.0, "post_score": [50.0 + g for g in gain]})
    g = session_gains(tr, att, sv)
    assert g["gain"].tolist() == pytest.approx(gain)
    model, mult = calibrate_effect(g)
    assert model.gain_per_hour == pytest.approx(0.8, rel=1e-4)
    assert mult["online"] == pytest.approx(0.5, rel=1e-4)
    with pytest.raises(AnalysisError, match="pre_score"):
        session_gains(tr, att, sv.drop(columns=["pre_score"]))
