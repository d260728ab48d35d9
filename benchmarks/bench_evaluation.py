"""Mixed-model speed: the closed-form nested random-intercept REML of
``kexie_research.evaluation.estimate_mixed_model(engine="closed_form")`` against statsmodels
``MixedLM`` with a ``vc_formula`` for representatives nested in provinces — the same model
and likelihood (the tests check the estimates agree).

Panel: simulated representatives × 8 years, 10 provinces, staggered training. Target: the
report's effectiveness section must stay under 30 s, which MixedLM alone exceeds at the
embedded data's 1,600 representatives; require ≥ 20x.

Run: ``python -m benchmarks evaluation`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd


def _panel(n_reps: int, seed: int = 1) -> pd.DataFrame:
    from kexie_research.evaluation import build_panel

    rng = np.random.default_rng(seed)
    years = np.arange(2015, 2023)
    provs = np.array([f"P{i}" for i in range(10)])
    reps = pd.DataFrame({"rep_id": [f"A{i:05d}" for i in range(n_reps)],
                         "province": rng.choice(provs, n_reps)})
    cohorts = (2017, 2018, 2019, 2020)
    tr = pd.DataFrame({"training_id": [f"T{g}" for g in cohorts],
                       "end_date": pd.to_datetime([f"{g}-03-04" for g in cohorts])})
    never = rng.random(n_reps) < 0.3
    coh = np.where(never, np.nan, rng.choice(cohorts, n_reps))
    att = pd.DataFrame({"rep_id": reps["rep_id"][~never].to_numpy(),
                        "training_id": [f"T{int(g)}" for g in coh[~never]], "role": "learner"})
    u = pd.Series(rng.normal(0, 0.6, 10), index=provs)[reps["province"]].to_numpy() + rng.normal(0, 0.8, n_reps)
    post = ~np.isnan(coh)[:, None] & (years[None, :] >= np.nan_to_num(coh, nan=1e9)[:, None])
    y = 3 + u[:, None] + 0.1 * (years - 2015)[None, :] + 0.7 * post + rng.normal(0, 1, post.shape)
    out = pd.DataFrame({"rep_id": np.repeat(reps["rep_id"], len(years)), "year": np.tile(years, n_reps),
                        "proposals": y.ravel(), "research_reports": 0.0, "suggestions_adopted": 0.0})
    return build_panel(out, att, tr, reps)


def run(quick: bool = False) -> list[dict]:
    from kexie_research.evaluation import estimate_mixed_model

    n = 150 if quick else 800
    p = _panel(n)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = estimate_mixed_model(p, engine="statsmodels")
    t_sm = time.perf_counter() - t0
    t0 = time.perf_counter()
    cf = estimate_mixed_model(p, engine="closed_form")
    t_cf = time.perf_counter() - t0
    diff = abs(float(sm.table["estimate"].iloc[0]) - float(cf.table["estimate"].iloc[0]))
    return [{"name": f"nested REML, {n} reps x 8 years", "baseline": "statsmodels MixedLM + vc_formula",
             "baseline_s": t_sm, "candidate_s": t_cf, "target": None if quick else 20.0,
             "note": f"|difference of treatment estimates| = {diff:.1e}"}]
