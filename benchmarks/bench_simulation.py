"""Simulation speed: our exact vectorised engine against (a) a straightforward per-person
Python loop of the same model and (b) the same model written with Mesa 3 agents.

The plan: 3,000 synthetic representatives, 5 years, 10 sessions of 60 seats a year,
never-trained-first invitations, acceptance 0.9, no-shows 0.05. Targets (issue 6):

- 100,000 replications from the CLI, start-up included, >= 500x faster than the loop
  (the loop's and Mesa's per-replication cost is measured on a few replications and
  extrapolated to 100,000 — running them for real would take hours);
- a 200-replication update (the widget's slider) well under 200 ms.

Run: ``python -m benchmarks simulation`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PLAN_TOML = """
name = "bench_3000_5y_10"
[term]
years = 5
[population]
synthetic_size = 3000
seed = 1
[[sessions]]
per_year = 10
capacity = 60
modality = "centralized"
[policy]
selection = "never_trained_first"
accept_prob = 0.9
no_show_prob = 0.05
"""
TARGET_REPS = 100_000


def _plan():
    from kexie_research.simulation import Plan
    return Plan.from_toml_text(PLAN_TOML)


def _mesa_model_class():
    import mesa

    class Rep(mesa.Agent):
        def __init__(self, model, cell):
            super().__init__(model)
            self.cell = cell
            self.trained = False

        def respond(self):
            s = self.model.session
            if s.eligible[self.cell] and self.model.rng.random() < s.p_accept[self.cell]:
                self.model.willing.append(self)

    class TrainingModel(mesa.Model):
        """The same model as the engine: willing (random order) → open seats → tiers → no-shows."""

        def __init__(self, compiled, rng=None):
            super().__init__(rng=rng)
            self.cp = compiled
            Rep.create_agents(self, compiled.n, cell=compiled.person_cell.tolist())
            self.n_trained = 0

        def step(self, s):
            self.session = s
            self.willing = []
            self.agents.shuffle_do("respond")          # random order of the willing
            C = self.cp.n_cells
            n = min(s.capacity, len(self.willing))
            n_open = int(self.rng.binomial(n, s.reinvite)) if (s.reinvite > 0 and n) else 0
            seated = self.willing[:n_open]
            rest = sorted(self.willing[n_open:],
                          key=lambda a: s.rank[(C if a.trained else 0) + a.cell])
            seated += rest[:n - n_open]
            for a in seated:
                if self.rng.random() < s.p_show[a.cell] and not a.trained:
                    a.trained = True
                    self.n_trained += 1

    return TrainingModel


def _time_mesa(cp, reps: int) -> float:
    Model = _mesa_model_class()
    t0 = time.perf_counter()
    for sq in np.random.SeedSequence(7).spawn(reps):
        m = Model(cp, rng=np.random.default_rng(sq))
        for s in cp.sessions:
            m.step(s)
    return (time.perf_counter() - t0) / reps


def run(quick: bool = False) -> list[dict]:
    from kexie_research.simulation import Simulator, simulate_reference_loop

    plan = _plan()
    sim = Simulator(plan)
    cp = sim.compiled
    rows = []
    # (a) the per-person loop, per replication
    n_loop = 3 if quick else 100
    t0 = time.perf_counter()
    simulate_reference_loop(plan, replications=n_loop, seed=3, compiled=cp)
    loop_per_rep = (time.perf_counter() - t0) / n_loop
    # ours: 100,000 replications through the CLI, start-up included
    n_ours = 10_000 if quick else TARGET_REPS
    with tempfile.TemporaryDirectory() as d:
        pf = Path(d) / "bench.toml"
        pf.write_text(PLAN_TOML, encoding="utf-8")
        cmd = [sys.executable, "-m", "kexie_research", "simulate", "--plan", str(pf),
               "--replications", str(n_ours), "--seed", "1", "--workers", str(min(2, os.cpu_count() or 1)),
               "--json"]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        ours = time.perf_counter() - t0
    scale = TARGET_REPS / n_ours
    rows.append({
        "name": f"simulate {TARGET_REPS:,} reps: loop vs CLI",
        "baseline": f"per-person Python loop, {loop_per_rep * 1e3:.0f} ms/replication measured on "
                    f"{n_loop} replications, extrapolated x{TARGET_REPS:,}",
        "baseline_s": loop_per_rep * TARGET_REPS,
        "candidate_s": ours * scale,
        "target": None if quick else 500,
        "note": f"ours: `kexie-research simulate --replications {n_ours:,}` incl. start-up"
                + (f", scaled x{scale:g} (quick run)" if quick else ""),
    })
    # (b) Mesa 3
    try:
        import mesa  # noqa: F401
        n_mesa = 2 if quick else 30
        mesa_per_rep = _time_mesa(cp, n_mesa)
        rows.append({
            "name": f"simulate {TARGET_REPS:,} reps: Mesa 3 vs CLI",
            "baseline": f"same model in Mesa {mesa.__version__} (Agent.create_agents, "
                        f"agents.shuffle_do), {mesa_per_rep * 1e3:.0f} ms/replication on "
                        f"{n_mesa} replications, extrapolated",
            "baseline_s": mesa_per_rep * TARGET_REPS,
            "candidate_s": ours * scale,
            "target": None,
            "note": "Mesa is in the 'bench' extra (make bench installs it)",
        })
    except ImportError:
        rows.append({"name": "Mesa 3 comparison", "baseline": "mesa not installed (pip install "
                     "kexie_research[bench])", "baseline_s": float("nan"), "candidate_s": 1.0,
                     "target": None, "note": "skipped"})
    # (c) the widget update: 200 replications of a cached simulator
    sim.run(replications=200, seed=1)
    times = []
    for k in range(3 if quick else 10):
        t0 = time.perf_counter()
        sim.run(replications=200, seed=k)
        times.append(time.perf_counter() - t0)
    rows.append({
        "name": "widget update: 200 replications",
        "baseline": "the 200 ms budget of a slider update",
        "baseline_s": 0.2,
        "candidate_s": float(np.median(times)),
        "target": None if quick else 1,
        "note": "median of repeated runs on a cached Simulator (population and plan compiled once)",
    })
    return rows
