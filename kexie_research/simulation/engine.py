"""The simulation engine: an exact, vectorised Monte Carlo of a training plan.

Model (one session, in time order)
----------------------------------
1. *Eligible*: people in the session's target groups (regions, provinces, segments).
2. *Willing*: each eligible person is willing to come with probability ``accept_prob`` of
   their segment (fresh for each invitation).
3. *Seats*: ``n = min(capacity, willing)`` seats are filled. With probability
   ``reinvite_share`` each seat is an "open" seat given uniformly among the willing;
   the others are filled by the selection policy's tiers (uniformly within a tier,
   :mod:`.policies`). The number of seats is fixed: this is sampling *without*
   replacement.
4. *No-show*: each seated person stays away with probability ``no_show_prob`` of their
   segment. Attendees become "trained".

Exactness
---------
People are grouped into *cells* of identical behaviour (region × segment where it matters
× membership of every target group), and the state of a replication is the number of
untrained and trained people per cell. Within a cell people are exchangeable, so the
draws on counts reproduce the per-person process in distribution exactly: binomial
willingness per (tier, behaviour) unit, multivariate hypergeometric allocation of seats
among units, binomial no-shows, and a multivariate hypergeometric split of the attendees
over the cells of their unit. Breakdowns that do not influence the dynamics (province,
segment) are split from the final cell counts by a multivariate hypergeometric draw, again
exact by exchangeability. :func:`simulate_reference_loop` runs the same model person by
person (the test oracle and benchmark baseline).

Determinism
-----------
Replications run in fixed chunks of :data:`CHUNK`; chunk ``i`` draws from
``SeedSequence(seed).spawn(n_chunks)[i]``. Results therefore do not depend on the number
of workers or on the executor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import PlanError
from ..regions import PROVINCES_31, REGIONS
from .effects import attendance_gain
from .plan import SEGMENTS, Plan, segment_value
from .policies import tier_rank
from .population import Population, load_population

__all__ = ["CompiledPlan", "SimulationResult", "compile_plan", "simulate", "Simulator",
           "simulate_reference_loop", "simulate_individuals", "mvhg", "CHUNK",
           "run_chunk", "aggregate"]

CHUNK = 2048
"""Replications per chunk (fixed, so results never depend on the worker count)."""


# ---------------------------------------------------------------------------------------
# multivariate hypergeometric on counts, vectorised over replications

def mvhg(rng: np.random.Generator, counts: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Draw ``n[r]`` items without replacement from urns with ``counts[r, k]`` balls.

    Exact: the urns are split in halves recursively, each split a hypergeometric draw
    conditional on its parent (vectorised over rows and over the splits of a level, so a
    draw over K urns takes ``ceil(log2 K)`` generator calls).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = mvhg(rng, np.array([[5, 0, 5], [1, 1, 1]]), np.array([10, 2]))
    >>> x[0].tolist(), int(x[1].sum())
    ([5, 0, 5], 2)
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    K = counts.shape[1]
    return mvhg_segments(rng, counts, np.array([0]), np.array([K]), n[:, None])


def mvhg_segments(rng: np.random.Generator, counts: np.ndarray, starts: np.ndarray,
                  ends: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Independent multivariate hypergeometric draws on column segments.

    Segment ``j`` (columns ``starts[j]:ends[j]``) receives ``n[:, j]`` draws; segments
    must not overlap. Returns the draws per column (columns outside segments get 0).
    """
    counts = np.asarray(counts, dtype=np.int64)
    R, K = counts.shape
    out = np.zeros((R, K), dtype=np.int64)
    if K == 0 or len(starts) == 0:
        return out
    csum = np.zeros((R, K + 1), dtype=np.int64)
    np.cumsum(counts, axis=1, out=csum[:, 1:])
    s = np.asarray(starts, dtype=np.int64)
    e = np.asarray(ends, dtype=np.int64)
    N = np.asarray(n, dtype=np.int64).reshape(R, len(s))
    while len(s):
        single = (e - s) == 1
        if single.any():
            out[:, s[single]] = N[:, single]
        keep = ~single & ((e - s) > 1) & (N != 0).any(axis=0)
        s, e, N = s[keep], e[keep], N[:, keep]
        if not len(s):
            break
        m = (s + e) // 2
        left = csum[:, m] - csum[:, s]
        right = csum[:, e] - csum[:, m]
        if np.count_nonzero(N):
            d = rng.hypergeometric(left, right, N)
        else:
            d = np.zeros_like(N)
        s = np.concatenate([s, m])
        e = np.concatenate([m, e])
        N = np.concatenate([d, N - d], axis=1)
    return out


# ---------------------------------------------------------------------------------------
# compilation: plan + population -> cells, sessions, tiers

@dataclass(frozen=True)
class CompiledSession:
    index: int
    name: str
    spec_index: int
    year: int
    time: float
    modality: str
    capacity: int
    eligible: np.ndarray          # bool[C]
    p_accept: np.ndarray          # float[C]
    p_show: np.ndarray            # float[C]
    rank: np.ndarray              # int[2C] tier index per category (-1 = not eligible)
    units: tuple                  # ((tier, cats int[], p_accept, p_show), ...)
    unit_cats: np.ndarray         # categories of all units, concatenated
    unit_starts: np.ndarray       # unit u owns unit_cats[unit_starts[u]:unit_ends[u]]
    unit_ends: np.ndarray
    unit_pa: np.ndarray
    unit_ps: np.ndarray
    n_tiers: int
    reinvite: float
    gain_first: float
    gain_repeat: float
    cost_fixed: float
    cost_per_person: float
    interaction: float


@dataclass(frozen=True)
class CompiledPlan:
    """A plan bound to a population: cells, per-session parameters, output groups."""

    plan: Plan
    population: Population
    n: int
    cell_size: np.ndarray         # int[C]
    cell_region: np.ndarray       # int[C] index into REGIONS
    cell_segment: np.ndarray      # int[C] index into SEGMENTS
    person_cell: np.ndarray       # int[N]
    sessions: tuple
    sub_cell: np.ndarray          # int[G] cell of each (province, segment) output group
    sub_size: np.ndarray          # int[G]
    sub_province: tuple           # str[G]
    sub_segment: tuple            # str[G]
    person_sub: np.ndarray        # int[N]
    years: int

    @property
    def n_cells(self) -> int:
        return len(self.cell_size)


def _session_target(s, people: pd.DataFrame) -> np.ndarray:
    m = np.ones(len(people), dtype=bool)
    if s.regions:
        m &= people["region"].isin(s.regions).to_numpy()
    if s.provinces:
        m &= people["province"].isin(s.provinces).to_numpy()
    if s.segments:
        m &= people["segment"].isin(s.segments).to_numpy()
    return m


_CODES: dict[int, tuple] = {}


def _population_codes(pop: Population):
    """Integer codes of region, segment and province per person (cached per population)."""
    hit = _CODES.get(id(pop))
    if hit is not None and hit[0] is pop:
        return hit[1]
    people = pop.people
    region_idx = people["region"].map({r: i for i, r in enumerate(REGIONS)})
    if region_idx.isna().any():
        bad = people.loc[region_idx.isna(), "region"].iloc[0]
        raise PlanError(f"population.region: unknown region {bad!r}")
    seg_idx = people["segment"].map({g: i for i, g in enumerate(SEGMENTS)})
    if seg_idx.isna().any():
        bad = people.loc[seg_idx.isna(), "segment"].iloc[0]
        raise PlanError(f"population.segment: unknown segment {bad!r}")
    codes, names = pd.factorize(people["province"].astype(str), sort=True)
    out = (region_idx.to_numpy(dtype=np.int64), seg_idx.to_numpy(dtype=np.int64),
           np.asarray(codes, dtype=np.int64), tuple(str(x) for x in names))
    if len(_CODES) > 64:
        _CODES.clear()
    _CODES[id(pop)] = (pop, out)
    return out


def _is_table(v) -> bool:
    return v is not None and not isinstance(v, (int, float))


def compile_plan(plan: Plan, population: Population | None = None) -> CompiledPlan:
    """Bind ``plan`` to its population and precompute everything the engine needs.

    Examples
    --------
    >>> from kexie_research.simulation.plan import Term, SessionSpec
    >>> from kexie_research.simulation.population import population_from_frame
    >>> pop = population_from_frame(pd.DataFrame({"province": ["上海"] * 6 + ["甘肃"] * 4}))
    >>> cp = compile_plan(Plan(Term(1), (SessionSpec(3, per_year=2),)), pop)
    >>> cp.n, cp.cell_size.tolist(), len(cp.sessions)
    (10, [6, 4], 2)
    """
    pop = population if population is not None else load_population(plan)
    people = pop.people
    N = len(people)
    if N == 0:
        raise PlanError("population: no representatives")
    pol = plan.policy
    segment_dynamic = (
        _is_table(pol.accept_prob) or _is_table(pol.no_show_prob)
        or pol.selection == "segment_priority"
        or any(s.segments or s.selection == "segment_priority" or _is_table(s.accept_prob)
               or _is_table(s.no_show_prob) for s in plan.sessions))
    region_idx, seg_idx, prov_code, prov_names = _population_codes(pop)
    # distinct target sets -> membership bits
    targets = {}
    for s in plan.sessions:
        key = (s.regions, s.provinces, s.segments)
        if key != ((), (), ()) and key not in targets:
            targets[key] = _session_target(s, people)
    sig = np.column_stack([region_idx, seg_idx if segment_dynamic else np.zeros(N, np.int64)]
                          + [m.astype(np.int64) for m in targets.values()])
    uniq, cell_of = np.unique(sig, axis=0, return_inverse=True)
    C = len(uniq)
    person_cell = np.asarray(cell_of, dtype=np.int64).reshape(-1)
    cell_size = np.bincount(person_cell, minlength=C).astype(np.int64)
    _, first = np.unique(person_cell, return_index=True)
    cell_region = region_idx[first]
    # segment of a cell (only meaningful when segment_dynamic; else per person below)
    cell_segment = seg_idx[first] if segment_dynamic else np.full(C, -1)

    # output groups (province, segment) nested in cells, sorted by cell
    sub_uniq, sub_codes = np.unique(np.column_stack([person_cell, prov_code, seg_idx]), axis=0,
                                    return_inverse=True)
    person_sub = np.asarray(sub_codes, dtype=np.int64).reshape(-1)
    sub_cell = sub_uniq[:, 0].astype(np.int64)
    sub_prov = tuple(prov_names[i] for i in sub_uniq[:, 1])
    sub_seg = tuple(SEGMENTS[i] for i in sub_uniq[:, 2])
    sub_size = np.bincount(person_sub, minlength=len(sub_uniq)).astype(np.int64)
    assert (np.diff(sub_cell) >= 0).all()  # groups of a cell are contiguous

    sessions = []
    for k, (year, t, si) in enumerate(plan.session_schedule()):
        s = plan.sessions[si]
        key = (s.regions, s.provinces, s.segments)
        if key == ((), (), ()):
            elig = np.ones(C, dtype=bool)
        else:
            elig = targets[key][first]
        acc = s.accept_prob if s.accept_prob is not None else pol.accept_prob
        nsh = s.no_show_prob if s.no_show_prob is not None else pol.no_show_prob
        if segment_dynamic:
            pa = np.array([segment_value(acc, SEGMENTS[g]) for g in cell_segment])
            ps = np.array([1.0 - segment_value(nsh, SEGMENTS[g]) for g in cell_segment])
        else:
            pa = np.full(C, float(acc))
            ps = np.full(C, 1.0 - float(nsh))
        selection = s.selection or pol.selection
        ranks = tier_rank(selection, pol.priority, pol.within)
        rank = np.full(2 * C, -1, dtype=np.int64)
        for st in (0, 1):
            for c in range(C):
                if elig[c]:
                    seg = SEGMENTS[cell_segment[c]] if segment_dynamic else "new"
                    rank[st * C + c] = ranks[(st, seg)]
        n_tiers = int(rank.max()) + 1 if (rank >= 0).any() else 0
        units = {}
        for cat in range(2 * C):
            if rank[cat] < 0:
                continue
            c = cat % C
            units.setdefault((int(rank[cat]), float(pa[c]), float(ps[c])), []).append(cat)
        unit_list = tuple((t_, np.array(cats, dtype=np.int64), a, b)
                          for (t_, a, b), cats in sorted(units.items(), key=lambda kv: kv[0]))
        lens = [len(u[1]) for u in unit_list]
        ustarts = np.cumsum([0] + lens[:-1]).astype(np.int64) if lens else np.zeros(0, np.int64)
        uends = np.cumsum(lens).astype(np.int64) if lens else np.zeros(0, np.int64)
        ucats = np.concatenate([u[1] for u in unit_list]) if lens else np.zeros(0, np.int64)
        g0, g1 = attendance_gain(plan, s)
        mod = plan.modalities[s.modality]
        sessions.append(CompiledSession(
            index=k, name=s.name or f"S{si + 1}", spec_index=si, year=year, time=t,
            modality=s.modality, capacity=s.capacity, eligible=elig, p_accept=pa, p_show=ps,
            rank=rank, units=unit_list, unit_cats=ucats, unit_starts=ustarts, unit_ends=uends,
            unit_pa=np.array([u[2] for u in unit_list]), unit_ps=np.array([u[3] for u in unit_list]),
            n_tiers=n_tiers, reinvite=float(pol.reinvite_share),
            gain_first=g0, gain_repeat=g1,
            cost_fixed=float(s.cost_fixed if s.cost_fixed is not None else mod.cost_fixed),
            cost_per_person=float(s.cost_per_person if s.cost_per_person is not None else mod.cost_per_person),
            interaction=float(mod.interaction)))
    return CompiledPlan(plan=plan, population=pop, n=N, cell_size=cell_size,
                        cell_region=cell_region, cell_segment=cell_segment,
                        person_cell=person_cell, sessions=tuple(sessions), sub_cell=sub_cell,
                        sub_size=sub_size, sub_province=sub_prov, sub_segment=sub_seg,
                        person_sub=person_sub, years=plan.term.years)


# ---------------------------------------------------------------------------------------
# the vectorised engine

def _binom_vec(rng, n, p):
    """Binomial draws with a probability per column (1 and 0 handled without drawing)."""
    p = np.asarray(p, dtype=float)
    if (p >= 1.0).all():
        return n.copy()
    if (p > 0.0).all() and (p < 1.0).all():
        return rng.binomial(n, p if np.ptp(p) > 0 else float(p[0]))
    out = n.copy()
    mid = (p > 0.0) & (p < 1.0)
    out[:, p <= 0.0] = 0
    if mid.any():
        out[:, mid] = rng.binomial(n[:, mid], p[mid])
    return out


def _binom(rng, n, p):
    if p >= 1.0:
        return n.copy()
    if p <= 0.0:
        return np.zeros_like(n)
    return rng.binomial(n, p)


def run_chunk(cp: CompiledPlan, replications: int, seed_seq: np.random.SeedSequence, *,
              detail: bool = True) -> dict[str, np.ndarray]:
    """Run ``replications`` replications of a compiled plan from one seed sequence.

    Returns per-replication arrays: ``covered`` (int[R, S], people trained after each
    session), ``attended`` (int[R, S]), ``cost``, ``gain``, ``mix_num``, ``mix_den`` and,
    with ``detail``, ``untrained_sub`` (int[R, G] untrained per output group at the end).
    """
    rng = np.random.default_rng(seed_seq)
    R = int(replications)
    C = cp.n_cells
    S = len(cp.sessions)
    X = np.zeros((R, 2 * C), dtype=np.int64)
    X[:, :C] = cp.cell_size
    U = X[:, :C]          # views: updating U and T updates X
    T = X[:, C:]
    covered = np.zeros((R, S), dtype=np.int32)
    attended = np.zeros((R, S), dtype=np.int32)
    cost = np.zeros(R)
    gain = np.zeros(R)
    mix_num = np.zeros(R)
    mix_den = np.zeros(R)
    n_reg = len(REGIONS)
    onehot = np.zeros((C, n_reg))
    onehot[np.arange(C), cp.cell_region] = 1.0
    for s in cp.sessions:
        A = np.zeros((R, 2 * C), dtype=np.int64)
        nu = len(s.units)
        if nu:
            Xu = X[:, s.unit_cats]
            csum = np.zeros((R, Xu.shape[1] + 1), dtype=np.int64)
            np.cumsum(Xu, axis=1, out=csum[:, 1:])
            pools = csum[:, s.unit_ends] - csum[:, s.unit_starts]
            W = _binom_vec(rng, pools, s.unit_pa)
            n = np.minimum(s.capacity, W.sum(axis=1))
            sel = np.zeros_like(W)
            rem = n
            if s.reinvite > 0:
                n_open = _binom(rng, n, s.reinvite)
                o = mvhg(rng, W, n_open)
                sel += o
                W = W - o
                rem = n - n_open
            tiers = [t_ for (t_, _, _, _) in s.units]
            for t_ in sorted(set(tiers)):
                if not rem.any():
                    break
                idx = [u for u in range(nu) if tiers[u] == t_]
                Wt = W[:, idx]
                take = np.minimum(rem, Wt.sum(axis=1))
                if len(idx) == 1:
                    sel[:, idx[0]] += take
                else:
                    sel[:, idx] += mvhg(rng, Wt, take)
                rem = rem - take
            a_u = _binom_vec(rng, sel, s.unit_ps)
            if np.count_nonzero(a_u):
                A[:, s.unit_cats] = mvhg_segments(rng, Xu, s.unit_starts, s.unit_ends, a_u)
        newly = A[:, :C]
        again = A[:, C:]
        U -= newly
        T += newly
        covered[:, s.index] = cp.n - U.sum(axis=1)
        tot = A.sum(axis=1)
        attended[:, s.index] = tot
        cost += s.cost_fixed + s.cost_per_person * tot
        gain += s.gain_first * newly.sum(axis=1) + s.gain_repeat * again.sum(axis=1)
        if s.interaction > 0:
            a_reg = (newly + again) @ onehot
            a = a_reg.sum(axis=1)
            mix_den += s.interaction * a * (a - 1) / 2.0
            mix_num += s.interaction * (a * a - (a_reg * a_reg).sum(axis=1)) / 2.0
    out = {"covered": covered, "attended": attended, "cost": cost, "gain": gain,
           "mix_num": mix_num, "mix_den": mix_den}
    if detail:
        # output groups are sorted by cell, so each cell is a contiguous segment
        starts = np.searchsorted(cp.sub_cell, np.arange(C), side="left")
        ends = np.searchsorted(cp.sub_cell, np.arange(C), side="right")
        usub = mvhg_segments(rng, np.broadcast_to(cp.sub_size, (R, len(cp.sub_size))),
                             starts, ends, U)
        out["untrained_sub"] = usub.astype(np.int32)
    return out


# ---------------------------------------------------------------------------------------
# the per-person reference loop (test oracle, benchmark baseline)

def _loop_replication(cp: CompiledPlan, rng: np.random.Generator, person_seg: list,
                      person_region: list) -> dict:
    N = cp.n
    cell = cp.person_cell.tolist()
    trained = [False] * N
    n_trained = 0
    covered, attended = [], []
    cost = gain = mix_num = mix_den = 0.0
    for s in cp.sessions:
        elig = s.eligible.tolist()
        pa = s.p_accept.tolist()
        ps = s.p_show.tolist()
        rank = s.rank.tolist()
        C = cp.n_cells
        willing = []
        for i in range(N):
            c = cell[i]
            if elig[c] and rng.random() < pa[c]:
                willing.append(i)
        n = min(s.capacity, len(willing))
        seated = []
        pool = willing
        n_policy = n
        if s.reinvite > 0 and n > 0:
            n_open = int(rng.binomial(n, s.reinvite))
            pick = set(rng.choice(len(willing), size=n_open, replace=False).tolist())
            seated = [willing[j] for j in sorted(pick)]
            pool = [willing[j] for j in range(len(willing)) if j not in pick]
            n_policy = n - n_open
        order = rng.permutation(len(pool)).tolist()
        shuffled = [pool[j] for j in order]
        shuffled.sort(key=lambda i: rank[(C if trained[i] else 0) + cell[i]])
        seated += shuffled[:n_policy]
        att = [i for i in seated if rng.random() < ps[cell[i]]]
        reg_counts = {}
        for i in att:
            if trained[i]:
                gain += s.gain_repeat
            else:
                gain += s.gain_first
                trained[i] = True
                n_trained += 1
            reg_counts[person_region[i]] = reg_counts.get(person_region[i], 0) + 1
        a = len(att)
        cost += s.cost_fixed + s.cost_per_person * a
        if s.interaction > 0:
            mix_den += s.interaction * a * (a - 1) / 2.0
            mix_num += s.interaction * (a * a - sum(v * v for v in reg_counts.values())) / 2.0
        covered.append(n_trained)
        attended.append(a)
    usub = [0] * len(cp.sub_size)
    for i in range(N):
        if not trained[i]:
            usub[cp.person_sub[i]] += 1
    return {"covered": covered, "attended": attended, "cost": cost, "gain": gain,
            "mix_num": mix_num, "mix_den": mix_den, "untrained_sub": usub,
            "trained": trained}


def simulate_reference_loop(plan: Plan, *, replications: int = 100, seed: int | None = None,
                            population: Population | None = None,
                            compiled: CompiledPlan | None = None) -> "SimulationResult":
    """The same model, person by person in plain Python (oracle and benchmark baseline).

    Replication ``r`` draws from ``SeedSequence(seed).spawn(replications)[r]``.
    """
    cp = compiled if compiled is not None else compile_plan(plan, population)
    seed = plan.population.seed if seed is None else seed
    R = int(replications)
    if R < 1:
        raise ValueError("replications must be at least 1")
    seqs = np.random.SeedSequence(seed).spawn(R)
    region = cp.population.people["region"].tolist()
    seg = cp.population.people["segment"].tolist()
    rows = [_loop_replication(cp, np.random.default_rng(sq), seg, region) for sq in seqs]
    S = len(cp.sessions)
    raw = {
        "covered": np.array([r["covered"] for r in rows], dtype=np.int32).reshape(R, S),
        "attended": np.array([r["attended"] for r in rows], dtype=np.int32).reshape(R, S),
        "cost": np.array([r["cost"] for r in rows]),
        "gain": np.array([r["gain"] for r in rows]),
        "mix_num": np.array([r["mix_num"] for r in rows]),
        "mix_den": np.array([r["mix_den"] for r in rows]),
        "untrained_sub": np.array([r["untrained_sub"] for r in rows], dtype=np.int32),
    }
    return aggregate(cp, raw, seed=seed, engine="reference_loop")


def simulate_individuals(plan: Plan, *, replications: int = 3, seed: int | None = None,
                         population: Population | None = None) -> pd.DataFrame:
    """Per-person outcomes for a few replications (seeded individual path).

    Returns one row per representative with columns ``rep_id``, ``province``, ``segment``
    and ``trained_r<k>`` (bool) per replication.
    """
    cp = compile_plan(plan, population)
    seed = plan.population.seed if seed is None else seed
    seqs = np.random.SeedSequence(seed).spawn(int(replications))
    region = cp.population.people["region"].tolist()
    seg = cp.population.people["segment"].tolist()
    df = cp.population.people[["rep_id", "province", "region", "segment"]].copy()
    for k, sq in enumerate(seqs):
        df[f"trained_r{k}"] = _loop_replication(cp, np.random.default_rng(sq), seg, region)["trained"]
    return df


# ---------------------------------------------------------------------------------------
# results

def _q(x: np.ndarray, q: float) -> float:
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return float("nan")
    return float(np.quantile(x, q))


def _intervals(M: np.ndarray) -> dict[str, np.ndarray]:
    """Column-wise mean, p05, p50, p95 of a [R, K] matrix (all finite)."""
    M = np.asarray(M, dtype=float)
    if M.shape[0] == 0:
        nan = np.full(M.shape[1], np.nan)
        return {"mean": nan, "p05": nan, "p50": nan, "p95": nan}
    q = np.quantile(M, [0.05, 0.5, 0.95], axis=0)
    return {"mean": M.mean(axis=0), "p05": q[0], "p50": q[1], "p95": q[2]}


def _interval(x) -> dict:
    x = np.asarray(x, dtype=float)
    finite = x[np.isfinite(x)]
    return {"mean": math.fsum(finite.tolist()) / finite.size if finite.size else float("nan"),
            "sd": float(finite.std(ddof=1)) if finite.size > 1 else float("nan"),
            "p05": _q(finite, 0.05), "p50": _q(finite, 0.5), "p95": _q(finite, 0.95)}


def _time_dist(t: np.ndarray) -> dict:
    reached = np.isfinite(t)
    share = float(reached.mean()) if t.size else 0.0

    def qq(q):
        v = float(np.quantile(np.where(reached, t, np.inf), q, method="inverted_cdf")) \
            if t.size else float("inf")
        return v if math.isfinite(v) else None
    return {"share_reached": share,
            "mean_if_reached": float(t[reached].mean()) if reached.any() else None,
            "p05": qq(0.05), "p50": qq(0.5), "p95": qq(0.95)}


def _gini_rows(x: np.ndarray) -> np.ndarray:
    """Gini coefficient of each row (unweighted across groups)."""
    if x.shape[1] == 0:
        return np.zeros(x.shape[0])
    s = np.sort(x, axis=1)
    n = s.shape[1]
    tot = s.sum(axis=1)
    i = np.arange(1, n + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = (2.0 * (s * i).sum(axis=1)) / (n * tot) - (n + 1.0) / n
    return np.where(tot > 0, g, 0.0)


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of a Monte Carlo run of a plan.

    Tables: ``by_year`` (coverage at each year end), ``trajectory`` (after each session),
    ``by_province`` / ``by_segment`` / ``by_region`` (coverage at term end), ``replicates``
    (one row per replication: coverage, untrained, cost, gain per representative, mixing,
    years to 80 % / 100 %, Gini across provinces). ``summary`` holds the headline numbers
    with intervals (mean, p05, p50, p95). All intervals are Monte Carlo percentiles.
    """

    plan_name: str
    n_population: int
    replications: int
    seed: int
    engine: str
    summary: dict
    by_year: pd.DataFrame
    trajectory: pd.DataFrame
    by_province: pd.DataFrame
    by_segment: pd.DataFrame
    by_region: pd.DataFrame
    replicates: pd.DataFrame
    provenance: dict = field(default_factory=dict)

    @property
    def coverage_mean(self) -> float:
        return self.summary["coverage"]["mean"]

    @property
    def coverage_p05(self) -> float:
        return self.summary["coverage"]["p05"]

    @property
    def coverage_p95(self) -> float:
        return self.summary["coverage"]["p95"]

    @property
    def cost_mean(self) -> float:
        return self.summary["cost"]["mean"]

    def to_dict(self) -> dict:
        """JSON-able dictionary (the ``simulate --json`` output)."""
        s = self.summary
        return {
            "plan": self.plan_name, "engine": self.engine, "population": self.n_population,
            "replications": self.replications, "seed": self.seed,
            "coverage_mean": s["coverage"]["mean"], "coverage_p05": s["coverage"]["p05"],
            "coverage_p95": s["coverage"]["p95"], "coverage": s["coverage"],
            "years_to_80pct": s["years_to_80pct"], "years_to_100pct": s["years_to_100pct"],
            "cost_mean": s["cost"]["mean"], "cost": s["cost"],
            "gain_per_rep": s["gain_per_rep"], "mixing": s["mixing"],
            "gini_province": s["gini_province"], "untrained": s["untrained"],
            "provinces_reached": s["provinces_reached"],
            "p_full_coverage": s["p_full_coverage"],
            "by_year": self.by_year.to_dict(orient="records"),
            "by_province": self.by_province.to_dict(orient="records"),
            "by_segment": self.by_segment.to_dict(orient="records"),
            "by_region": self.by_region.to_dict(orient="records"),
            "provenance": self.provenance,
        }


def _group_table(cp: CompiledPlan, usub: np.ndarray, key: str) -> tuple[pd.DataFrame, np.ndarray]:
    labels = {"province": np.array(cp.sub_province), "segment": np.array(cp.sub_segment)}
    if key == "region":
        reg_of_cell = np.array(REGIONS)[cp.cell_region]
        lab = reg_of_cell[cp.sub_cell]
    else:
        lab = labels[key]
    names = sorted(set(lab.tolist()), key=lambda v: (REGIONS.index(v) if key == "region" else 0, v)) \
        if key != "segment" else [g for g in SEGMENTS if g in set(lab.tolist())]
    sizes = np.array([cp.sub_size[lab == nm].sum() for nm in names], dtype=float)
    untr = np.stack([usub[:, lab == nm].sum(axis=1) for nm in names], axis=1).astype(float)
    cov = 1.0 - untr / sizes
    iv = _intervals(cov)
    um = untr.mean(axis=0)
    rows = []
    for j, nm in enumerate(names):
        row = {key: nm, "n": int(sizes[j]), "coverage_mean": float(iv["mean"][j]),
               "coverage_p05": float(iv["p05"][j]), "coverage_p95": float(iv["p95"][j]),
               "untrained_mean": float(um[j])}
        if key == "province":
            from ..regions import province_region
            row["region"] = province_region(nm) or "national"
        rows.append(row)
    return pd.DataFrame(rows), cov


_TRAJ_COLUMNS = ["session", "name", "year", "time", "modality", "capacity", "attended_mean",
                 "coverage_mean", "coverage_p05", "coverage_p50", "coverage_p95"]


def aggregate(cp: CompiledPlan, raw: dict, *, seed: int, engine: str = "vectorized") -> SimulationResult:
    """Turn per-replication arrays (from :func:`run_chunk` or the loop) into a result."""
    N = cp.n
    covered = np.asarray(raw["covered"])
    R, S = covered.shape if covered.ndim == 2 else (len(raw["cost"]), 0)
    cov = covered / N
    final = cov[:, -1] if S else np.zeros(R)
    times = np.array([s.time for s in cp.sessions])
    years_arr = np.array([s.year for s in cp.sessions])

    def first_time(thresh_count):
        if S == 0:
            return np.full(R, np.inf)
        hit = covered >= thresh_count
        idx = hit.argmax(axis=1)
        return np.where(hit.any(axis=1), times[idx], np.inf)

    t80 = first_time(math.ceil(0.8 * N - 1e-9))
    t100 = first_time(N)
    by_year = []
    for y in range(1, cp.years + 1):
        idx = np.flatnonzero(years_arr <= y)
        cy = cov[:, idx[-1]] if idx.size else np.zeros(R)
        iv = _interval(cy)
        by_year.append({"year": y, "coverage_mean": iv["mean"], "coverage_p05": iv["p05"],
                        "coverage_p50": iv["p50"], "coverage_p95": iv["p95"],
                        "sessions": int((years_arr == y).sum())})
    traj = []
    att = np.asarray(raw["attended"])
    ivs = _intervals(cov) if S else None
    for k, s in enumerate(cp.sessions):
        traj.append({"session": k + 1, "name": s.name, "year": s.year, "time": s.time,
                     "modality": s.modality, "capacity": s.capacity,
                     "attended_mean": float(att[:, k].mean()),
                     "coverage_mean": float(ivs["mean"][k]), "coverage_p05": float(ivs["p05"][k]),
                     "coverage_p50": float(ivs["p50"][k]), "coverage_p95": float(ivs["p95"][k])})
    cost = np.asarray(raw["cost"], dtype=float)
    gain = np.asarray(raw["gain"], dtype=float) / N
    with np.errstate(invalid="ignore", divide="ignore"):
        mixing = np.where(raw["mix_den"] > 0, raw["mix_num"] / np.where(raw["mix_den"] > 0, raw["mix_den"], 1), np.nan)
    untrained = N - (covered[:, -1] if S else np.zeros(R))
    empty = pd.DataFrame()
    by_prov = by_seg = by_reg = empty
    gini = np.full(R, np.nan)
    reached = np.full(R, np.nan)
    if "untrained_sub" in raw and raw["untrained_sub"] is not None:
        usub = np.asarray(raw["untrained_sub"])
        by_prov, cov_p = _group_table(cp, usub, "province")
        by_seg, _ = _group_table(cp, usub, "segment")
        by_reg, _ = _group_table(cp, usub, "region")
        gini = _gini_rows(cov_p)
        # the 31 provinces (省、自治区、直辖市: not XPCC, not national delegations) with at
        # least one trained representative
        is_prov = by_prov["province"].isin(PROVINCES_31).to_numpy()
        reached = (cov_p[:, is_prov] > 0).sum(axis=1).astype(float)
    replicates = pd.DataFrame({
        "replication": np.arange(R), "coverage": final, "untrained": untrained.astype(np.int64),
        "cost": cost, "gain_per_rep": gain, "mixing": mixing, "years_to_80pct": t80,
        "years_to_100pct": t100, "gini_province": gini})
    summary = {
        "coverage": _interval(final),
        "years_to_80pct": _time_dist(t80),
        "years_to_100pct": _time_dist(t100),
        "p_full_coverage": float((untrained == 0).mean()) if R else float("nan"),
        "cost": _interval(cost),
        "gain_per_rep": _interval(gain),
        "mixing": _interval(mixing),
        "gini_province": _interval(gini),
        "provinces_reached": _interval(reached),
        "untrained": _interval(untrained),
        "sessions": S,
        "seats": int(sum(s.capacity for s in cp.sessions)),
    }
    from .. import __version__
    prov = {"package_version": __version__, "seed": int(seed), "engine": engine,
            "population": cp.population.source, "replications": int(R)}
    return SimulationResult(
        plan_name=cp.plan.name or "plan", n_population=N, replications=int(R), seed=int(seed),
        engine=engine, summary=summary, by_year=pd.DataFrame(by_year),
        trajectory=pd.DataFrame(traj, columns=_TRAJ_COLUMNS), by_province=by_prov, by_segment=by_seg,
        by_region=by_reg, replicates=replicates, provenance=prov)


# ---------------------------------------------------------------------------------------
# public entry points

def _merge(parts: Sequence[dict]) -> dict:
    keys = parts[0].keys()
    return {k: np.concatenate([p[k] for p in parts], axis=0) for k in keys}


def _chunk_sizes(replications: int) -> list[int]:
    R = int(replications)
    return [min(CHUNK, R - i) for i in range(0, R, CHUNK)]


def run_replications(cp: CompiledPlan, replications: int, seed: int, *, workers: int = 1,
                     detail: bool = True, executor=None, progress: bool = False) -> dict:
    """Raw per-replication arrays of ``replications`` runs, chunked and seeded as the
    module docstring says (identical whatever ``workers`` or ``executor``)."""
    from .executor import map_chunks

    sizes = _chunk_sizes(replications)
    seqs = as_seed_sequence(seed).spawn(len(sizes))
    tasks = [(cp, n, sq, detail) for n, sq in zip(sizes, seqs)]
    parts = map_chunks(_chunk_task, tasks, workers=workers, executor=executor, progress=progress,
                       desc="replications")
    return _merge(parts)


def as_seed_sequence(seed) -> np.random.SeedSequence:
    """A fresh SeedSequence from an int or a copy of a SeedSequence (spawning mutates)."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)
    return np.random.SeedSequence(int(seed))


def seed_label(seed) -> int:
    """The integer entropy of a seed (what results report as their seed)."""
    return int(seed.entropy) if isinstance(seed, np.random.SeedSequence) else int(seed)


def _chunk_task(args) -> dict:
    cp, n, sq, detail = args
    return run_chunk(cp, n, sq, detail=detail)


class Simulator:
    """A plan bound to its population, for fast repeated runs (widgets, sweeps).

    Examples
    --------
    >>> from kexie_research.simulation.plan import Term, SessionSpec
    >>> sim = Simulator(Plan(Term(1), (SessionSpec(100, per_year=4),),
    ...                      population=PopulationSpec(synthetic_size=1000, seed=1)))
    >>> round(sim.run(replications=20, seed=1).coverage_mean, 3)   # 400 seats, 1000 people
    0.4
    """

    def __init__(self, plan: Plan, population: Population | None = None):
        self.plan = plan
        self.compiled = compile_plan(plan, population)

    def run(self, *, replications: int = 1000, seed: int | None = None, workers: int = 1,
            detail: bool = True, executor=None, progress: bool = False) -> SimulationResult:
        if int(replications) < 1:
            raise ValueError("replications must be at least 1")
        seed = self.plan.population.seed if seed is None else seed
        raw = run_replications(self.compiled, replications, seed, workers=workers,
                               detail=detail, executor=executor, progress=progress)
        return aggregate(self.compiled, raw, seed=seed_label(seed))


_SIM_CACHE: dict[Any, Simulator] = {}


def simulate(plan: Plan, *, replications: int = 1000, seed: int | None = None,
             workers: int = 1, population: Population | None = None,
             progress: bool = False) -> SimulationResult:
    """Monte Carlo of ``plan``: coverage, time to 80 %/100 %, groups, cost, gain, mixing.

    Parameters
    ----------
    plan : Plan
    replications : int
        Monte Carlo replications.
    seed : int, optional
        Simulation seed (default: the plan's ``population.seed``). Results depend only on
        the seed, not on ``workers``.
    workers : int
        Local processes.
    population : Population, optional
        Override the plan's population (e.g. a cached one).

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> plan = Plan.from_dict({"term": {"years": 1},
    ...     "population": {"synthetic_size": 1000, "seed": 1},
    ...     "sessions": [{"per_year": 4, "capacity": 100, "modality": "centralized"}],
    ...     "policy": {"selection": "never_trained_first", "accept_prob": 1.0, "no_show_prob": 0.0}})
    >>> res = simulate(plan, replications=50, seed=1)
    >>> res.coverage_mean, res.coverage_p05, res.coverage_p95   # min(1, 4*100/1000) exactly
    (0.4, 0.4, 0.4)
    """
    if population is None:
        key = (plan.to_toml(), plan.base_dir)
        sim = _SIM_CACHE.get(key)
        if sim is None:
            sim = Simulator(plan)
            if len(_SIM_CACHE) > 32:
                _SIM_CACHE.clear()
            _SIM_CACHE[key] = sim
    else:
        sim = Simulator(plan, population)
    return sim.run(replications=replications, seed=seed, workers=workers, progress=progress)


from .plan import PopulationSpec  # noqa: E402  (used in a doctest namespace)
