"""Choose sessions and assign representatives under a budget: a mixed-integer programme.

Formulation
-----------
Cells ``j`` are (region × segment) groups of the population, of size ``n_j``. A session
*type* ``k`` is (modality ``m``, target region ``r`` or ``cross``-region, target segment
``g`` or all); ``y_k ∈ ℤ≥0`` sessions of type ``k`` are held over the term, each with
``cap_m`` seats, costing ``F_m + p_m cap_m s̄`` (fixed + per-person cost of the expected
attendees: seats filled, ``s̄`` the population's mean show-up probability).
``x_kj ≥ 0`` seats of type ``k`` go to *distinct* people of cell ``j`` (continuous in
the programme, rounded down for the assignment; the session counts are the integers). With ``a_jm`` the acceptance of cell ``j`` for modality ``m``, ``s_j`` its
show-up probability and ``w_m`` the modality's interaction weight::

    maximise   Σ_j s_j Σ_k x_kj / N                       (expected coverage)
             + λ Σ_{k cross} w_m Σ_j x_kj / N             (cross-region mixing)
             − ε Σ_k cost_k y_k / B                       (no waste at equal value)
    s.t.       Σ_j x_kj ≤ cap_m y_k                        (seats)          ∀k
               Σ_k s_j x_kj ≤ n_j                          (each person trained
                                                            once; no-shows re-invited) ∀j
               Σ_{k: m(k)=m} s_j x_kj ≤ a_jm n_j           (only the willing
                                                            share of a cell is trained
                                                            by modality m)   ∀m, j
               Σ_{j ∈ r} x_kj ≤ σ cap_m y_k                (no region above σ of a
                                                            cross-region class) ∀k cross, r
               Σ_k cost_k y_k ≤ B                          (budget)
               x_kj = 0 unless cell j is in type k's target

It is solved exactly by :func:`scipy.optimize.milp` (HiGHS branch and cut) when the model
is moderate (``method="milp"``; ``"auto"`` picks it up to :data:`EXACT_MAX_VARIABLES`
variables). The heuristic for larger models (``method="heuristic"``) solves the LP
relaxation, rounds the session counts down, re-solves the seat LP for those sessions, then
greedily adds the session (among the types the relaxation uses) with the best objective
gain per yuan while the budget allows.

The chosen sessions become a :class:`~kexie_research.simulation.plan.Plan`
(:attr:`OptimizationResult.plan`, never-trained-first invitations without open seats, as
the assignment prescribes) that the simulator can check, and seats are turned into
a per-representative assignment (:attr:`OptimizationResult.assignment`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import lil_matrix

from ..errors import AnalysisError, PlanError
from ..regions import REGIONS
from .plan import MODALITY_GROUPS, SEGMENTS, Plan, SessionSpec, modality_key, segment_value
from .population import Population, load_population

__all__ = ["OptimizationResult", "optimize_plan", "plan_objective", "DEFAULT_CAPACITIES",
           "REMOTE_MODALITIES", "EXACT_MAX_VARIABLES", "METHODS"]

DEFAULT_CAPACITIES = {"centralized": 100, "exchange": 80, "online": 200, "video": 300,
                      "rep_organized": 40, "reading_class": 150, "study_tour": 40, "hybrid": 100}
REMOTE_MODALITIES = MODALITY_GROUPS["remote"]
"""Modalities that do not need leaving one's post: representatives who cannot leave their
posts accept them at the policy's default rate (assumption; cf. paper_recommended.toml)."""
EXACT_MAX_VARIABLES = 5000
METHODS = ("auto", "milp", "heuristic")


@dataclass(frozen=True)
class OptimizationResult:
    """Chosen sessions (``sessions``), seats per cell (``allocation``), per-person
    ``assignment``, the resulting ``plan`` and the predicted objective terms."""

    status: str
    method: str
    objective: float
    coverage: float
    mixing_term: float
    cost: float
    budget: float
    sessions: pd.DataFrame
    allocation: pd.DataFrame
    assignment: pd.DataFrame
    plan: Plan
    lam: float

    def to_dict(self) -> dict:
        return {"status": self.status, "method": self.method, "objective": self.objective,
                "coverage_predicted": self.coverage, "mixing_term": self.mixing_term,
                "cost": self.cost, "budget": self.budget, "lambda": self.lam,
                "sessions": self.sessions.to_dict(orient="records"),
                "n_sessions": int(self.sessions["count"].sum()) if len(self.sessions) else 0}


def plan_objective(result, *, lam: float = 0.5) -> float:
    """The optimiser's objective measured on a simulation: coverage + λ · mixing.

    ``mixing`` is the simulated cross-region share of co-attendee pairs (0 when no
    session has two attendees).
    """
    mix = result.summary["mixing"]["mean"]
    return float(result.coverage_mean + lam * (0.0 if not np.isfinite(mix) else mix))


def _types(cells: pd.DataFrame, modalities: Sequence[str], segment_targets: bool):
    regs = [r for r in REGIONS if r in set(cells["region"])]
    # segment-pure sessions when segments are targeted: a simulated session then seats the
    # group the programme meant (an open session would fill from the largest willing pool)
    segs = [g for g in SEGMENTS if g in set(cells["segment"])] if segment_targets else [None]
    out = []
    for m in modalities:
        for tgt in ["cross"] + regs:
            if tgt == "cross" and len(regs) < 2:
                continue
            for g in segs:
                mask = np.ones(len(cells), dtype=bool)
                if tgt != "cross":
                    mask &= (cells["region"] == tgt).to_numpy()
                if g is not None:
                    mask &= (cells["segment"] == g).to_numpy()
                if mask.any():
                    out.append({"modality": m, "target": tgt, "segment": g, "cells": np.flatnonzero(mask)})
    return out


def optimize_plan(plan: Plan, budget: float, *, lam: float = 0.5, modalities: Sequence[str] = (
        "centralized", "exchange", "online", "rep_organized"), capacities: Mapping[str, int] | None = None,
        max_region_share: float = 0.5, segment_targets: bool = True, method: str = "auto",
        population: Population | None = None, time_limit: float = 20.0,
        mip_gap: float = 1e-3, epsilon: float = 1e-3) -> OptimizationResult:
    """Choose sessions and assign representatives to maximise coverage and mixing.

    Parameters
    ----------
    plan : Plan
        Gives the population, the term, the policy (acceptance, no-show) and the
        per-modality costs; its own sessions are ignored.
    budget : float
        Yuan over the term.
    lam : float
        Weight λ of cross-region mixing against coverage.
    modalities : sequence of str
        Candidate modalities.
    capacities : {modality: seats}, optional
        Seats per session (default :data:`DEFAULT_CAPACITIES`).
    max_region_share : float
        σ: the largest share of a cross-region class one region may take.
    segment_targets : bool
        Allow sessions for one segment only.
    method : {"auto", "milp", "heuristic"}
    time_limit, mip_gap : float
        HiGHS limits: seconds, and the relative optimality gap at which to stop (the
        result's ``status`` says whether the limit was hit).

    Returns
    -------
    OptimizationResult
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if not budget > 0:
        raise PlanError("budget must be positive")
    for m in modalities:
        if m not in plan.modalities:
            raise PlanError(f"unknown modality {m!r}; allowed: {', '.join(plan.modalities)}")
    caps = {**DEFAULT_CAPACITIES, **(capacities or {})}
    pop = population if population is not None else load_population(plan)
    people = pop.people
    N = len(people)
    cells = people.groupby(["region", "segment"], sort=True).size().rename("n").reset_index()
    cells = cells.sort_values(["region", "segment"], key=lambda s: s.map(
        {**{r: i for i, r in enumerate(REGIONS)}, **{g: i for i, g in enumerate(SEGMENTS)}}),
        kind="stable").reset_index(drop=True)
    n_j = cells["n"].to_numpy(float)
    J = len(cells)
    pol = plan.policy
    acc = {}
    for m in modalities:
        for j, g in enumerate(cells["segment"]):
            a = segment_value(pol.accept_prob, g)
            if m in REMOTE_MODALITIES and g == "cannot_leave_post":
                a = segment_value(pol.accept_prob, "default" if isinstance(pol.accept_prob, Mapping)
                                  and "default" in pol.accept_prob else "new")
            acc[m, j] = a
    show = np.array([1 - segment_value(pol.no_show_prob, g) for g in cells["segment"]])
    types = _types(cells, modalities, segment_targets)
    K = len(types)
    show_bar = float((show * n_j).sum() / N)     # expected share of seats attended
    cost_k = np.array([plan.modalities[t["modality"]].cost_fixed
                       + plan.modalities[t["modality"]].cost_per_person * caps[t["modality"]] * show_bar
                       for t in types])
    cap_k = np.array([caps[t["modality"]] for t in types], dtype=float)
    # variable layout: y_0..y_{K-1}, then x for each (k, j in cells of k)
    xk, xj = [], []
    for k, t in enumerate(types):
        for j in t["cells"]:
            xk.append(k)
            xj.append(j)
    xk = np.array(xk)
    xj = np.array(xj)
    nx = len(xk)
    nv = K + nx
    c = np.zeros(nv)
    w_k = np.array([plan.modalities[t["modality"]].interaction if t["target"] == "cross" else 0.0
                    for t in types])
    c[K:] = -(show[xj] / N + lam * w_k[xk] / N)
    c[:K] = epsilon * cost_k / budget
    rows = []
    A = lil_matrix((K + J + len(modalities) * J + K * len(REGIONS) + 1, nv))    # rows: at most
    lb, ub = [], []
    r = 0
    for k in range(K):                               # seats
        A[r, k] = -cap_k[k]
        for v in np.flatnonzero(xk == k):
            A[r, K + v] = 1
        lb.append(-np.inf); ub.append(0.0); r += 1
    for j in range(J):                               # each person trained once
        for v in np.flatnonzero(xj == j):
            A[r, K + v] = show[j]
        lb.append(-np.inf); ub.append(n_j[j]); r += 1
    for grp, ms in _acceptance_groups(plan, modalities, cells["segment"]).items():
        # willing people per acceptance group: under persistent acceptance a person's
        # willingness is one draw per group (docs/simulation.md), so the group's sessions
        # share one pool of willing people
        j = grp[0]
        vs = [v for v in np.flatnonzero(xj == j) if types[xk[v]]["modality"] in ms]
        if not vs:
            continue
        for v in vs:
            A[r, K + v] = show[j]
        lb.append(-np.inf); ub.append(min(acc[m, j] for m in ms) * n_j[j]); r += 1
    for k, t in enumerate(types):                    # region share in cross-region classes
        if t["target"] != "cross":
            continue
        for reg in REGIONS:
            vs = [v for v in np.flatnonzero(xk == k) if cells["region"].iloc[xj[v]] == reg]
            if not vs:
                continue
            for v in vs:
                A[r, K + v] = 1
            A[r, k] = -max_region_share * cap_k[k]
            lb.append(-np.inf); ub.append(0.0); r += 1
    A[r, :K] = cost_k                                # budget
    lb.append(-np.inf); ub.append(float(budget)); r += 1
    A = A[:r].tocsr()
    cons = LinearConstraint(A, np.array(lb), np.array(ub))
    ymax = np.ceil(N / cap_k) + 1
    bounds = Bounds(np.zeros(nv), np.r_[ymax, n_j[xj] / np.maximum(show[xj], 1e-9)])
    use_exact = method == "milp" or (method == "auto" and nv <= EXACT_MAX_VARIABLES)
    if use_exact:
        integrality = np.r_[np.ones(K), np.zeros(nx)]   # session counts integer, seats LP
        res = milp(c, constraints=cons, integrality=integrality, bounds=bounds,
                   options={"time_limit": float(time_limit), "mip_rel_gap": float(mip_gap)})
        if res.x is None:
            raise AnalysisError(f"the optimiser found no solution: {res.message}")
        sol = np.r_[np.round(res.x[:K]), np.floor(res.x[K:] + 1e-6)]
        status = "optimal" if res.status == 0 else f"time limit (best found; {res.message})"
        used = "milp"
    else:
        sol, status = _heuristic(c, A, np.array(lb), np.array(ub), bounds, K, cost_k, budget)
        used = "heuristic"
    y = sol[:K]
    x = sol[K:]
    coverage = float((show[xj] * x).sum() / N)
    mixing_term = float((w_k[xk] * x).sum() / N)
    cost = float((cost_k * y).sum())
    sess_rows, alloc_rows = [], []
    for k, t in enumerate(types):
        if y[k] <= 0:
            continue
        seats = x[xk == k]
        sess_rows.append({"type": k, "modality": t["modality"], "target": t["target"],
                          "segment": t["segment"] or "all", "count": int(y[k]),
                          "capacity": int(cap_k[k]), "seats_assigned": int(seats.sum()),
                          "cost": float(cost_k[k] * y[k])})
        for v in np.flatnonzero((xk == k) & (x > 0)):
            alloc_rows.append({"type": k, "region": cells["region"].iloc[xj[v]],
                               "segment": cells["segment"].iloc[xj[v]], "seats": int(x[v])})
    sessions = pd.DataFrame(sess_rows, columns=["type", "modality", "target", "segment", "count",
                                                "capacity", "seats_assigned", "cost"])
    allocation = pd.DataFrame(alloc_rows, columns=["type", "region", "segment", "seats"])
    assignment = _assign(people, allocation)
    # target each chosen session at the groups the programme gave its seats to, so that a
    # simulation of the plan follows the allocation (open sessions would drain the groups
    # that targeted sessions were meant for)
    alloc_regions = {k: tuple(r for r in REGIONS if ((allocation["type"] == k) & (allocation["region"] == r)).any())
                     for k in range(K)}
    alloc_segments = {k: tuple(g for g in SEGMENTS if ((allocation["type"] == k) & (allocation["segment"] == g)).any())
                      for k in range(K)}
    new_plan = _to_plan(plan, types, y, cap_k, budget, alloc_regions, alloc_segments)
    obj = coverage + lam * mixing_term
    return OptimizationResult(status=status, method=used, objective=obj, coverage=coverage,
                              mixing_term=mixing_term, cost=cost, budget=float(budget),
                              sessions=sessions, allocation=allocation, assignment=assignment,
                              plan=new_plan, lam=float(lam))


def _acceptance_groups(plan: Plan, modalities, cell_segments) -> dict:
    """``{(cell, group): modalities}``: per modality without persistence, else the
    acceptance groups of the engine (remote sessions for those who cannot leave their posts
    get their own acceptance in the optimised plan)."""
    out: dict = {}
    pol = plan.policy
    for j, g in enumerate(cell_segments):
        for m in modalities:
            if pol.acceptance != "persistent":
                key = m
            elif m in REMOTE_MODALITIES and g == "cannot_leave_post":
                key = "remote_own"
            else:
                v = pol.accept_prob
                if isinstance(v, Mapping):
                    v = v[g] if g in v else v["default"]
                key = modality_key(v, m) if isinstance(v, Mapping) else "all"
            out.setdefault((j, key), []).append(m)
    return out


def _heuristic(c, A, lb, ub, bounds, K, cost_k, budget):
    """LP relaxation → round session counts down → re-solve seats → greedy additions."""
    cons_ub = ub.copy()

    def seat_lp(y):
        # x only; y fixed: move y's columns to the right-hand side
        Ax = A[:, K:]
        rhs = cons_ub - A[:, :K] @ y
        r = linprog(c[K:], A_ub=Ax, b_ub=rhs, bounds=list(zip(bounds.lb[K:], bounds.ub[K:])),
                    method="highs")
        if r.status != 0:
            return None, np.inf
        return r.x, float(c[:K] @ y + r.fun)

    relax = linprog(c, A_ub=A, b_ub=cons_ub, bounds=list(zip(bounds.lb, bounds.ub)), method="highs")
    if relax.status != 0:
        raise AnalysisError(f"the LP relaxation failed: {relax.message}")
    y = np.floor(relax.x[:K] + 1e-9)
    x, val = seat_lp(y)
    improved = True
    while improved:
        improved = False
        best = None
        # candidates: the session types the LP relaxation uses (its support)
        support = np.flatnonzero(relax.x[:K] > 1e-6)
        for k in support[np.argsort(-(relax.x[support] - np.floor(relax.x[support])))]:
            if (cost_k @ y) + cost_k[k] > budget + 1e-6 or y[k] + 1 > bounds.ub[k]:
                continue
            y2 = y.copy()
            y2[k] += 1
            x2, v2 = seat_lp(y2)
            if x2 is not None and v2 < val - 1e-12:
                gain = (val - v2) / cost_k[k]
                if best is None or gain > best[0]:
                    best = (gain, y2, x2, v2)
        if best is not None:
            _, y, x, val = best
            improved = True
    return np.r_[y, np.floor(x + 1e-9)], "heuristic (LP rounding + greedy)"


def _assign(people: pd.DataFrame, allocation: pd.DataFrame) -> pd.DataFrame:
    """Seats per (type, cell) → named representatives (by rep_id order within a cell)."""
    rows = []
    for (reg, seg), grp in people.sort_values("rep_id").groupby(["region", "segment"], sort=True):
        ids = grp["rep_id"].tolist()
        pos = 0
        for a in allocation[(allocation["region"] == reg) & (allocation["segment"] == seg)].itertuples():
            for rid in ids[pos:pos + a.seats]:
                rows.append({"rep_id": rid, "session_type": a.type, "region": reg, "segment": seg})
            pos += a.seats
    return pd.DataFrame(rows, columns=["rep_id", "session_type", "region", "segment"])


def _to_plan(plan: Plan, types, y, cap_k, budget, alloc_regions, alloc_segments) -> Plan:
    years = plan.term.years
    pol = plan.policy
    present_regions = set(REGIONS)
    sessions = []
    order = sorted(range(len(types)), key=lambda k: -(len(REGIONS) - len(alloc_regions[k])
                                                      + len(SEGMENTS) - len(alloc_segments[k])))
    for k in order:
        t = types[k]
        n = int(y[k])
        if n <= 0:
            continue
        q, rem = divmod(n, years)
        regs = alloc_regions[k] or (() if t["target"] == "cross" else (t["target"],))
        segs = alloc_segments[k] or (() if t["segment"] is None else (t["segment"],))
        base = dict(capacity=int(cap_k[k]), modality=t["modality"],
                    regions=() if set(regs) >= present_regions else regs,
                    segments=() if len(segs) == len(SEGMENTS) else segs)
        if t["modality"] in REMOTE_MODALITIES and isinstance(pol.accept_prob, Mapping):
            d = dict(pol.accept_prob)
            d["cannot_leave_post"] = segment_value(pol.accept_prob, "default") if "default" in d \
                else segment_value(pol.accept_prob, "new")
            base["accept_prob"] = d
        name = f"{t['modality']} · {t['target']} · {t['segment'] or 'all'}"
        if q:
            sessions.append(SessionSpec(per_year=q, name=name, **base))
        if rem:
            # spread the remaining sessions over the first years
            sessions.append(SessionSpec(per_year=1, years=tuple(range(1, rem + 1)),
                                        name=name + " (extra)", **base))
    if not sessions:
        raise AnalysisError("the budget does not pay for a single session")
    return dataclasses.replace(plan, sessions=tuple(sessions), name=f"optimized_{plan.name or 'plan'}",
                               description=f"Optimised for coverage + mixing under a budget of {budget:,.0f}",
                               policy=dataclasses.replace(pol, selection="never_trained_first",
                                                          reinvite_share=0.0))


