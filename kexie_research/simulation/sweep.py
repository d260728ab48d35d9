"""Scenario sweeps over uncertain parameters.

One parameter registry (:data:`PARAMETERS`) drives the samplers, the sensitivity analysis,
the CLI and the widgets: each entry has a name, labels, a default range and a function that
applies a value to a plan. A sweep samples points, simulates each with its own seed
(``SeedSequence(seed).spawn`` children, or one common seed with
``common_random_numbers=True``), and streams the outputs with provenance to a
:class:`~kexie_research.simulation.store.SweepStore`. The executor is local processes by
default or a Dask client; the outcome is identical either way.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .. import labels
from ..errors import PlanError
from .engine import Simulator
from .executor import map_chunks
from .plan import Plan
from .population import Population, load_population
from .store import SweepStore

__all__ = ["ParameterSpec", "PARAMETERS", "apply_parameters", "OUTPUTS", "SweepResult",
           "run_sweep", "evaluate_points", "parse_parameter_ranges", "sample_points"]


def _set_prob_default(spec, value):
    if isinstance(spec, Mapping):
        d = dict(spec)
        keys = [k for k in d if k == "default"] or [k for k in d]
        for k in keys:
            d[k] = value
        return d
    return value


def _apply_accept(plan: Plan, v: float) -> Plan:
    return dataclasses.replace(plan, policy=dataclasses.replace(
        plan.policy, accept_prob=_set_prob_default(plan.policy.accept_prob, float(v))))


def _apply_accept_clp(plan: Plan, v: float) -> Plan:
    spec = plan.policy.accept_prob
    d = dict(spec) if isinstance(spec, Mapping) else {"default": float(spec)}
    d["cannot_leave_post"] = float(v)
    return dataclasses.replace(plan, policy=dataclasses.replace(plan.policy, accept_prob=d))


def _apply_no_show(plan: Plan, v: float) -> Plan:
    spec = plan.policy.no_show_prob
    new = {k: float(v) for k in spec} if isinstance(spec, Mapping) else float(v)
    return dataclasses.replace(plan, policy=dataclasses.replace(plan.policy, no_show_prob=new))


def _apply_reinvite(plan: Plan, v: float) -> Plan:
    return dataclasses.replace(plan, policy=dataclasses.replace(plan.policy, reinvite_share=float(v)))


def _apply_cost_scale(plan: Plan, v: float) -> Plan:
    mods = {m: dataclasses.replace(s, cost_per_person=s.cost_per_person * v, cost_fixed=s.cost_fixed * v)
            for m, s in plan.modalities.items()}
    sessions = tuple(dataclasses.replace(
        s, cost_per_person=None if s.cost_per_person is None else s.cost_per_person * v,
        cost_fixed=None if s.cost_fixed is None else s.cost_fixed * v) for s in plan.sessions)
    return dataclasses.replace(plan, modalities=mods, sessions=sessions)


def _apply_capacity_scale(plan: Plan, v: float) -> Plan:
    sessions = tuple(dataclasses.replace(s, capacity=max(1, int(round(s.capacity * v))))
                     for s in plan.sessions)
    return dataclasses.replace(plan, sessions=sessions)


@dataclass(frozen=True)
class ParameterSpec:
    """An uncertain parameter: name, default range, how to apply it to a plan.

    Its display names come from :mod:`kexie_research.labels` (kind ``"parameter"``):
    :meth:`label`, or ``label_zh`` / ``label_en``.
    """

    name: str
    low: float
    high: float
    apply: Callable[[Plan, float], Plan] = field(repr=False, compare=False)
    description: str = ""

    def label(self, lang: str = "zh") -> str:
        """Display name in ``lang`` (capitalised in English, for a header or a slider)."""
        return labels.label(self.name, lang, kind="parameter", capitalize=True)

    @property
    def label_zh(self) -> str:
        return self.label("zh")

    @property
    def label_en(self) -> str:
        return self.label("en")


PARAMETERS: dict[str, ParameterSpec] = {p.name: p for p in (
    ParameterSpec("accept_prob", 0.5, 1.0, _apply_accept,
                  "the policy's acceptance (the 'default' entry of a segment table)"),
    ParameterSpec("accept_prob_cannot_leave_post", 0.1, 0.9, _apply_accept_clp,
                  "the policy's acceptance for representatives who cannot leave their posts"),
    ParameterSpec("no_show_prob", 0.0, 0.3, _apply_no_show,
                  "the policy's no-show probability (every segment)"),
    ParameterSpec("reinvite_share", 0.0, 0.6, _apply_reinvite,
                  "share of seats given regardless of training history"),
    ParameterSpec("cost_scale", 0.7, 1.5, _apply_cost_scale,
                  "multiplies every per-person and fixed cost"),
    ParameterSpec("capacity_scale", 0.7, 1.3, _apply_capacity_scale,
                  "multiplies every session's seats (rounded, at least 1)"),
)}

OUTPUTS: tuple[str, ...] = ("coverage_mean", "coverage_p05", "coverage_p95", "p_full_coverage",
                            "years_to_80pct_p50", "share_reaching_80pct", "cost_mean",
                            "gain_per_rep_mean", "mixing_mean", "untrained_mean", "gini_province_mean")


def apply_parameters(plan: Plan, values: Mapping[str, float]) -> Plan:
    """Apply parameter values (names from :data:`PARAMETERS`) to a plan.

    Examples
    --------
    >>> from kexie_research.simulation.plan import resolve_plan
    >>> p = apply_parameters(resolve_plan("minimal"), {"no_show_prob": 0.1, "capacity_scale": 1.5})
    >>> p.policy.no_show_prob, p.sessions[0].capacity
    (0.1, 150)
    """
    for k, v in values.items():
        if k not in PARAMETERS:
            raise PlanError(f"unknown sweep parameter {k!r}; allowed: {', '.join(PARAMETERS)}")
        plan = PARAMETERS[k].apply(plan, float(v))
    return plan


def parse_parameter_ranges(items: Sequence[str] | None) -> dict[str, tuple[float, float]]:
    """``["accept_prob=0.5:1", "no_show_prob"]`` → ranges (defaults where not given).

    Examples
    --------
    >>> parse_parameter_ranges(["accept_prob=0.6:0.9", "no_show_prob"])
    {'accept_prob': (0.6, 0.9), 'no_show_prob': (0.0, 0.3)}
    """
    out = {}
    for it in items or ["accept_prob", "no_show_prob", "cost_scale"]:
        name, _, rng = it.partition("=")
        name = name.strip()
        if name not in PARAMETERS:
            raise PlanError(f"unknown sweep parameter {name!r}; allowed: {', '.join(PARAMETERS)}")
        if rng:
            try:
                lo, hi = (float(x) for x in rng.split(":"))
            except ValueError:
                raise PlanError(f"parameter range for {name} must look like LOW:HIGH, got {rng!r}") from None
            if not lo < hi:
                raise PlanError(f"parameter range for {name}: LOW must be below HIGH")
        else:
            lo, hi = PARAMETERS[name].low, PARAMETERS[name].high
        out[name] = (lo, hi)
    return out


def sample_points(ranges: Mapping[str, tuple[float, float]], n: int, *, seed: int,
                  start: int = 0) -> pd.DataFrame:
    """``n`` uniform random points; point ``i`` comes from its own child seed, so a sweep
    can be extended later (points ``start..start+n-1``) with the same values it would have
    had in one run.

    Examples
    --------
    >>> a = sample_points({"no_show_prob": (0, 0.3)}, 4, seed=1)
    >>> b = sample_points({"no_show_prob": (0, 0.3)}, 2, seed=1, start=2)
    >>> a["no_show_prob"].iloc[2:].tolist() == b["no_show_prob"].tolist()
    True
    """
    names = list(ranges)
    rows = []
    for i in range(start, start + int(n)):
        u = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i, 1))).random(len(names))
        rows.append({"point_id": i, **{k: ranges[k][0] + u[j] * (ranges[k][1] - ranges[k][0])
                                       for j, k in enumerate(names)}})
    return pd.DataFrame(rows, columns=["point_id", *names])


def _outputs(res) -> dict:
    s = res.summary
    return {
        "coverage_mean": s["coverage"]["mean"], "coverage_p05": s["coverage"]["p05"],
        "coverage_p95": s["coverage"]["p95"], "p_full_coverage": s["p_full_coverage"],
        "years_to_80pct_p50": s["years_to_80pct"]["p50"] if s["years_to_80pct"]["p50"] is not None else np.nan,
        "share_reaching_80pct": s["years_to_80pct"]["share_reached"],
        "cost_mean": s["cost"]["mean"], "gain_per_rep_mean": s["gain_per_rep"]["mean"],
        "mixing_mean": s["mixing"]["mean"], "untrained_mean": s["untrained"]["mean"],
        "gini_province_mean": s["gini_province"]["mean"],
    }


def _point_task(args) -> dict:
    plan, population, values, replications, entropy, spawn_key = args
    p = apply_parameters(plan, values)
    seq = np.random.SeedSequence(entropy, spawn_key=spawn_key)
    res = Simulator(p, population).run(replications=replications, seed=seq, detail=True)
    return _outputs(res)


def evaluate_points(plan: Plan, points: pd.DataFrame, *, replications: int = 200, seed: int = 0,
                    common_random_numbers: bool = False, workers: int = 1, executor=None,
                    progress: bool = False, population: Population | None = None) -> pd.DataFrame:
    """Simulate every row of ``points`` (parameter columns; ``point_id`` optional).

    Point ``i`` uses seed ``SeedSequence(seed, spawn_key=(i,))`` (= the i-th child of
    ``SeedSequence(seed).spawn``), or ``SeedSequence(seed)`` for all points with
    ``common_random_numbers``.
    """
    pop = population if population is not None else load_population(plan)
    params = [c for c in points.columns if c in PARAMETERS]
    ids = points["point_id"].to_numpy() if "point_id" in points.columns else np.arange(len(points))
    tasks = []
    for i, (_, row) in zip(ids, points.iterrows()):
        key = () if common_random_numbers else (int(i),)
        tasks.append((plan, pop, {k: float(row[k]) for k in params}, int(replications), int(seed), key))
    outs = map_chunks(_point_task, tasks, workers=workers, executor=executor, progress=progress,
                      desc="sweep points")
    df = points.reset_index(drop=True).copy()
    if "point_id" not in df.columns:
        df.insert(0, "point_id", ids)
    return pd.concat([df, pd.DataFrame(outs)], axis=1)


@dataclass(frozen=True)
class SweepResult:
    """Sweep outcome: one row per point (parameters, outputs, provenance)."""

    table: pd.DataFrame
    parameters: dict
    plan_name: str
    seed: int
    replications: int
    store: str | None = None

    def to_dict(self) -> dict:
        return {"plan": self.plan_name, "seed": self.seed, "replications": self.replications,
                "parameters": {k: list(v) for k, v in self.parameters.items()},
                "points": int(len(self.table)), "store": self.store,
                "outputs": {c: {"mean": float(self.table[c].mean()), "min": float(self.table[c].min()),
                                "max": float(self.table[c].max())}
                            for c in OUTPUTS if c in self.table.columns and self.table[c].notna().any()}}


def plan_sha256(plan: Plan) -> str:
    return hashlib.sha256(plan.to_toml().encode("utf-8")).hexdigest()


def run_sweep(plan: Plan, ranges: Mapping[str, tuple[float, float]], n_points: int, *,
              replications: int = 200, seed: int = 0, store: str | None = None,
              extend: bool = False, common_random_numbers: bool = False, workers: int = 1,
              executor=None, progress: bool = False, batch_size: int = 64,
              points: pd.DataFrame | None = None, method: str = "random",
              keep_in_memory: bool = True) -> SweepResult:
    """Sample ``n_points`` parameter points, simulate each, stream results to ``store``.

    Parameters
    ----------
    plan : Plan
    ranges : {name: (low, high)}
        Parameters of :data:`PARAMETERS` and their ranges.
    n_points : int
    replications : int
        Replications per point.
    seed : int
    store : path, optional
        Sweep store folder; each batch of ``batch_size`` points is written as soon as it
        is done, with provenance columns.
    extend : bool
        Continue an existing store: new points get the next ids (and the values and seeds
        they would have had in one longer run). Without ``extend`` a non-empty store is an
        error.
    common_random_numbers : bool
        One seed for every point (smoother response surfaces; default: one child seed per
        point).
    workers, executor
        Local processes, or a Dask client / Executor. Results do not depend on them.
    points : DataFrame, optional
        Evaluate these points instead of sampling (e.g. a Sobol design).
    keep_in_memory : bool
        With a store, ``False`` keeps nothing in memory (the result's table is empty;
        reload with :meth:`SweepStore.load` or stream with :meth:`SweepStore.iter_batches`).

    Returns
    -------
    SweepResult
    """
    from .. import __version__

    if n_points < 1 and points is None:
        raise PlanError("a sweep needs at least one point")
    st = SweepStore(store) if store else None
    start = 0
    if st is not None and st.exists():
        if not extend:
            raise PlanError(f"sweep store {store} already holds results; use extend to add points")
        start = st.next_point_id()
    if points is None:
        points = sample_points(ranges, n_points, seed=seed, start=start)
    elif "point_id" not in points.columns:
        points = points.copy()
        points.insert(0, "point_id", np.arange(start, start + len(points)))
    pop = load_population(plan)
    sha = plan_sha256(plan)
    run_id = hashlib.sha256(f"{sha}:{seed}:{start}:{len(points)}:{replications}".encode()).hexdigest()[:12]
    meta = {"plan_name": plan.name, "plan_toml": plan.to_toml(), "seed": int(seed),
            "replications": int(replications), "parameters": {k: list(v) for k, v in ranges.items()},
            "package_version": __version__, "common_random_numbers": bool(common_random_numbers),
            "method": method}
    frames = []
    for b in range(0, len(points), batch_size):
        chunk = points.iloc[b:b + batch_size]
        out = evaluate_points(plan, chunk, replications=replications, seed=seed,
                              common_random_numbers=common_random_numbers, workers=workers,
                              executor=executor, progress=progress, population=pop)
        out["run_id"] = run_id
        out["seed_entropy"] = int(seed)
        out["seed_spawn_key"] = ["" if common_random_numbers else str(int(i)) for i in out["point_id"]]
        out["replications"] = int(replications)
        out["plan_name"] = plan.name
        out["plan_sha256"] = sha
        out["package_version"] = __version__
        out["method"] = method
        if st is not None:
            st.append(out, run_id=run_id, metadata=meta)
        if keep_in_memory or st is None:
            frames.append(out)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return SweepResult(table=table, parameters=dict(ranges), plan_name=plan.name, seed=int(seed),
                       replications=int(replications), store=str(store) if store else None)

