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
from typing import Any

import numpy as np
import pandas as pd

from ..errors import PlanError
from ..regions import REGIONS
from .accumulate import (KEEP_REPLICATES, Accumulator, OutputLayout, SimulationResult,
                         _gini_rows, build_result)  # noqa: F401  (_gini_rows: tests import it here)
from .effects import attendance_gain
from .executor import imap_chunks
from .plan import SEGMENTS, Plan, segment_value
from .policies import tier_rank
from .population import Population, load_population

__all__ = ["CompiledPlan", "SimulationResult", "compile_plan", "simulate", "Simulator",
           "simulate_reference_loop", "simulate_individuals", "mvhg", "CHUNK",
           "run_chunk", "aggregate", "check_replications", "MAX_REPLICATIONS",
           "MAX_PARAMETER_DRAWS", "DEFAULT_PARAMETER_DRAWS", "SPLIT_REPLICATES"]

CHUNK = 2048
"""Replications per chunk (fixed, so results never depend on the worker count)."""
MAX_REPLICATIONS = 100_000_000
"""Most runs (parameter sets × replications) one call may ask for; memory stays flat in
the number of runs, this bounds the time (about an hour for a simple plan)."""
SPLIT_REPLICATES = 20_000
"""Term-end breakdowns (province, segment and region tables, Gini, provinces reached) are
drawn for every ``k``-th replication, ``k = ceil(runs / SPLIT_REPLICATES)``: at least 20,000
replications (all of them in smaller runs). Each split is exact; beyond 20,000 more
replications add little to these tables and cost a third of the run."""
MAX_PARAMETER_DRAWS = 10_000
DEFAULT_PARAMETER_DRAWS = 100
"""Parameter sets drawn when a plan declares ``[uncertainty]`` and none are asked for."""


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
    s = np.asarray(starts, dtype=np.int64)
    e = np.asarray(ends, dtype=np.int64)
    if ((e - s) <= 2).all():
        # the first level of the recursion is the whole draw (same calls, same stream)
        N = np.asarray(n, dtype=np.int64).reshape(R, len(s))
        one = (e - s) == 1
        if one.any():
            out[:, s[one]] = N[:, one]
        two = (e - s) == 2
        if two.any():
            N2 = N[:, two]
            if np.count_nonzero(N2):
                keep = (N2 != 0).any(axis=0)
                if keep.all():
                    s2 = s[two]
                    d = rng.hypergeometric(counts[:, s2], counts[:, s2 + 1], N2)
                else:
                    s2 = s[two][keep]
                    N2 = N2[:, keep]
                    d = rng.hypergeometric(counts[:, s2], counts[:, s2 + 1], N2)
                out[:, s2] = d
                out[:, s2 + 1] = N2 - d
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
# compilation: plan + population -> cells, behaviour types, sessions, tiers

@dataclass(frozen=True)
class CompiledSession:
    index: int
    name: str
    spec_index: int
    year: int
    time: float
    modality: str
    capacity: int
    eligible: np.ndarray          # bool[K] per category (cell x behaviour type)
    p_accept: np.ndarray          # float[K]
    p_show: np.ndarray            # float[K]
    rank: np.ndarray              # int[2K] tier index per (state, category) (-1 = not eligible)
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
    tier_units: tuple = ()        # per tier (ascending): indices of its units
    pair: int = -1                # >= 0: one unit, no open seats, categories (pair, pair + K)

    @property
    def simple(self) -> bool:
        """One unit and no open seats: seats are ``min(capacity, willing)``, no tiers."""
        return len(self.units) == 1 and self.reinvite <= 0


@dataclass(frozen=True)
class CompiledPlan:
    """A plan bound to a population: cells, behaviour types, per-session parameters.

    *Cells* group people no rule of the plan tells apart (segment where it matters ×
    membership of every target group; × region under per-invitation acceptance). Each
    cell splits into *behaviour types* (latent class × willingness pattern, see
    :mod:`.behaviour`); a *category* is a (cell, type) pair, and the engine's state is the
    number of untrained and trained people per category.
    """

    plan: Plan
    population: Population
    n: int
    cell_size: np.ndarray         # int[C]
    cell_region: np.ndarray       # int[C] index into REGIONS (-1: the cell spans regions)
    cell_segment: np.ndarray      # int[C] index into SEGMENTS (-1: segment not distinguished)
    person_cell: np.ndarray       # int[N]
    sessions: tuple
    sub_cell: np.ndarray          # int[G] cell of each output group (nested in cells)
    sub_size: np.ndarray          # int[G]
    sub_province: tuple           # str[G]
    sub_segment: tuple            # str[G]
    person_sub: np.ndarray        # int[N]
    years: int
    cell_region_counts: np.ndarray = None   # int[C, len(REGIONS)]
    cat_cell: np.ndarray = None             # int[K] cell of each category
    cat_class: np.ndarray = None            # int[K] latent class of each category
    cell_cats: tuple = ()                   # per cell: (start, end) of its categories
    type_prob: tuple = ()                   # per cell: float[T] probabilities of its types
    labels: dict = field(default_factory=dict)      # kind -> (names, sizes): reported breakdowns
    sub_labels: dict = field(default_factory=dict)  # kind -> label code of each output group
    splits: dict = field(default_factory=dict)      # kind -> (sizes, starts, ends, label codes)
    region_of_province: np.ndarray = None           # region code per province code (if unique)
    acceptance: str = "persistent"
    keep_regions: bool = False              # per-invitation layout: regions in the cells
    classes: tuple = ()
    spec_eligible: tuple = ()               # per session spec: bool[C]

    @property
    def n_cells(self) -> int:
        return len(self.cell_size)

    @property
    def n_cats(self) -> int:
        return len(self.cat_cell)


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
    """Integer codes of region, segment, province and output group per person (cached)."""
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
    region_idx = region_idx.to_numpy(dtype=np.int64)
    seg_idx = seg_idx.to_numpy(dtype=np.int64)
    prov_code = np.asarray(codes, dtype=np.int64)
    names = tuple(str(x) for x in names)
    guniq, gid = np.unique(np.column_stack([prov_code, seg_idx, region_idx]), axis=0,
                           return_inverse=True)
    gid = np.asarray(gid, dtype=np.int64).reshape(-1)
    # the reported breakdowns: label names and each person's label code
    labels = {"province": (names, prov_code)}
    for kind, idx, allnames in (("segment", seg_idx, SEGMENTS), ("region", region_idx, REGIONS)):
        present = np.flatnonzero(np.bincount(idx, minlength=len(allnames)))
        remap = np.full(len(allnames), -1, dtype=np.int64)
        remap[present] = np.arange(len(present))
        labels[kind] = (tuple(allnames[i] for i in present), remap[idx])
    out = (region_idx, seg_idx, prov_code, names, gid, guniq, labels)
    if len(_CODES) > 64:
        _CODES.clear()
    _CODES[id(pop)] = (pop, out)
    return out


def _is_table(v) -> bool:
    return v is not None and not isinstance(v, (int, float))


def _segment_matters(plan: Plan) -> bool:
    pol = plan.policy
    return (_is_table(pol.accept_prob) or _is_table(pol.no_show_prob)
            or pol.selection == "segment_priority"
            or any(_is_table(c.accept_prob) or _is_table(c.no_show_prob) for c in pol.latent_classes)
            or any(s.segments or s.selection == "segment_priority" or _is_table(s.accept_prob)
                   or _is_table(s.no_show_prob) for s in plan.sessions))


_CELLS: dict = {}


def _cells(plan: Plan, pop: Population, keep_regions: bool, segment_dynamic: bool):
    """Cells, output groups and margin splits (cached: parameter draws of one plan share
    them, as only targeting, segments and the layout shape the cells)."""
    key = (id(pop), keep_regions, segment_dynamic,
           tuple((s.regions, s.provinces, s.segments) for s in plan.sessions))
    hit = _CELLS.get(key)
    if hit is not None and hit[0] is pop:
        return hit[1]
    out = _build_cells(plan, pop, keep_regions, segment_dynamic)
    if len(_CELLS) > 64:
        _CELLS.clear()
    _CELLS[key] = (pop, out)
    return out


def _build_cells(plan: Plan, pop: Population, keep_regions: bool, segment_dynamic: bool):
    people = pop.people
    N = len(people)
    region_idx, seg_idx, prov_code, prov_names, gid, guniq, labels = _population_codes(pop)
    targets = {}
    for s in plan.sessions:
        key = (s.regions, s.provinces, s.segments)
        if key != ((), (), ()) and key not in targets:
            targets[key] = _session_target(s, people)
    zeros = np.zeros(N, np.int64)
    sig = np.column_stack([region_idx if keep_regions else zeros,
                           seg_idx if segment_dynamic else zeros]
                          + [m.astype(np.int64) for m in targets.values()])
    uniq, cell_of = np.unique(sig, axis=0, return_inverse=True)
    C = len(uniq)
    person_cell = np.asarray(cell_of, dtype=np.int64).reshape(-1)
    cell_size = np.bincount(person_cell, minlength=C).astype(np.int64)
    _, first = np.unique(person_cell, return_index=True)
    reg_counts = np.zeros((C, len(REGIONS)), dtype=np.int64)
    np.add.at(reg_counts, (person_cell, region_idx), 1)
    spec_elig = []
    for s in plan.sessions:
        key = (s.regions, s.provinces, s.segments)
        spec_elig.append(np.ones(C, dtype=bool) if key == ((), (), ()) else targets[key][first])
    # output groups (province, segment, region) nested in cells, sorted by cell
    sub_uniq, sub_codes = np.unique(np.column_stack([person_cell, gid]), axis=0, return_inverse=True)
    person_sub = np.asarray(sub_codes, dtype=np.int64).reshape(-1)
    sub_cell = sub_uniq[:, 0].astype(np.int64)
    sub_group = sub_uniq[:, 1].astype(np.int64)
    sub_size = np.bincount(person_sub, minlength=len(sub_uniq)).astype(np.int64)
    first_of_sub = np.unique(person_sub, return_index=True)[1]
    sub_labels = {k: codes[first_of_sub] for k, (_, codes) in labels.items()}
    # marginal splits (persistent layout): untrained people of a cell over its provinces,
    # over its segments and over its regions, each an exact multivariate hypergeometric
    splits = {}
    # a region breakdown follows from the provinces' when every province lies in one region
    pr = np.unique(np.column_stack([labels["province"][1], labels["region"][1]]), axis=0)
    region_of_province = pr[:, 1] if len(pr) == len(labels["province"][0]) else None
    for kind, (names, codes) in labels.items():
        if kind == "region" and region_of_province is not None:
            continue
        su, sc = np.unique(np.column_stack([person_cell, codes]), axis=0, return_inverse=True)
        sc = np.asarray(sc, dtype=np.int64).reshape(-1)
        cells_of = su[:, 0]
        splits[kind] = (np.bincount(sc, minlength=len(su)).astype(np.int64),
                        np.searchsorted(cells_of, np.arange(C), side="left"),
                        np.searchsorted(cells_of, np.arange(C), side="right"),
                        su[:, 1].astype(np.int64))
    return dict(
        labels={k: (v[0], np.bincount(v[1], minlength=len(v[0])).astype(np.int64)) for k, v in labels.items()},
        sub_labels=sub_labels, splits=splits, region_of_province=region_of_province,
        C=C, person_cell=person_cell, cell_size=cell_size, first=first,
        cell_region=region_idx[first] if keep_regions else np.full(C, -1),
        cell_segment=seg_idx[first] if segment_dynamic else np.full(C, -1),
        reg_counts=reg_counts, spec_elig=tuple(spec_elig), person_sub=person_sub,
        sub_cell=sub_cell, sub_size=sub_size,
        sub_province=tuple(prov_names[guniq[g, 0]] for g in sub_group),
        sub_segment=tuple(SEGMENTS[guniq[g, 1]] for g in sub_group))


def _units(rank, pa, ps, persistent):
    units = {}
    for cat in range(len(rank)):
        if rank[cat] < 0:
            continue
        c = cat % len(pa)
        if persistent and pa[c] <= 0.0:
            continue          # never willing for this session: never a candidate
        units.setdefault((int(rank[cat]), float(pa[c]), float(ps[c])), []).append(cat)
    unit_list = tuple((t_, np.array(cats, dtype=np.int64), a, b)
                      for (t_, a, b), cats in sorted(units.items(), key=lambda kv: kv[0]))
    return unit_list


def _compile_spec(plan: Plan, si: int, elig: np.ndarray, pa: np.ndarray, show_cls: np.ndarray,
                  cat_seg: list, K: int, persistent: bool) -> dict:
    """Per-category acceptance, show-up and tiers, and the units, of one kind of session."""
    pol = plan.policy
    s = plan.sessions[si]
    pa = pa.copy()
    if s.no_show_prob is not None:
        ps = np.array([1.0 - segment_value(s.no_show_prob, g) for g in cat_seg])
    else:
        ps = show_cls.copy()
    ranks = tier_rank(s.selection or pol.selection, pol.priority, pol.within)
    rank = np.full(2 * K, -1, dtype=np.int64)
    for st in (0, 1):
        for cat in range(K):
            if elig[cat]:
                rank[st * K + cat] = ranks[(st, cat_seg[cat])]
    n_tiers = int(rank.max()) + 1 if (rank >= 0).any() else 0
    unit_list = _units(rank, pa, ps, persistent)
    lens = [len(u[1]) for u in unit_list]
    ustarts = np.cumsum([0] + lens[:-1]).astype(np.int64) if lens else np.zeros(0, np.int64)
    uends = np.cumsum(lens).astype(np.int64) if lens else np.zeros(0, np.int64)
    ucats = np.concatenate([u[1] for u in unit_list]) if lens else np.zeros(0, np.int64)
    tiers = [u[0] for u in unit_list]
    tier_units = tuple(tuple(u for u in range(len(unit_list)) if tiers[u] == t_)
                       for t_ in sorted(set(tiers)))
    g0, g1 = attendance_gain(plan, s)
    mod = plan.modalities[s.modality]
    pair = int(ucats[0]) if (len(unit_list) == 1 and pol.reinvite_share <= 0 and len(ucats) == 2
                             and ucats[0] < K and ucats[1] == ucats[0] + K) else -1
    return dict(
        pair=pair, modality=s.modality, capacity=s.capacity, eligible=elig, p_accept=pa, p_show=ps,
        rank=rank, units=unit_list, unit_cats=ucats, unit_starts=ustarts, unit_ends=uends,
        unit_pa=np.array([u[2] for u in unit_list]), unit_ps=np.array([u[3] for u in unit_list]),
        n_tiers=n_tiers, reinvite=float(pol.reinvite_share), gain_first=g0, gain_repeat=g1,
        cost_fixed=float(s.cost_fixed if s.cost_fixed is not None else mod.cost_fixed),
        cost_per_person=float(s.cost_per_person if s.cost_per_person is not None else mod.cost_per_person),
        interaction=float(mod.interaction), tier_units=tier_units)


def compile_plan(plan: Plan, population: Population | None = None) -> CompiledPlan:
    """Bind ``plan`` to its population and precompute everything the engine needs.

    Examples
    --------
    >>> from kexie_research.simulation.plan import Term, SessionSpec
    >>> from kexie_research.simulation.population import population_from_frame
    >>> pop = population_from_frame(pd.DataFrame({"province": ["上海"] * 6 + ["甘肃"] * 4}))
    >>> cp = compile_plan(Plan(Term(1), (SessionSpec(3, per_year=2),)), pop)
    >>> cp.n, cp.cell_size.tolist(), len(cp.sessions)     # no rule tells the regions apart
    (10, [10], 2)
    """
    from .behaviour import behaviour_classes, cell_types

    pop = population if population is not None else load_population(plan)
    N = len(pop.people)
    if N == 0:
        raise PlanError("population: no representatives")
    pol = plan.policy
    persistent = pol.acceptance == "persistent"
    keep_regions = not persistent
    segment_dynamic = _segment_matters(plan)
    cl = _cells(plan, pop, keep_regions, segment_dynamic)
    C = cl["C"]
    classes = behaviour_classes(plan)
    # behaviour types per cell (cached by segment and the session kinds it can attend)
    type_cache: dict = {}
    cell_types_list = []
    for c in range(C):
        seg = SEGMENTS[cl["cell_segment"][c]] if segment_dynamic else "new"
        elig_specs = tuple(k for k in range(len(plan.sessions)) if cl["spec_elig"][k][c])
        key = (seg, elig_specs)
        if key not in type_cache:
            type_cache[key] = cell_types(plan, classes, seg, elig_specs, persistent=persistent)
        cell_types_list.append(type_cache[key])
    sizes = [len(t.prob) for t in cell_types_list]
    ends = np.cumsum(sizes).astype(np.int64)
    starts = ends - np.array(sizes, dtype=np.int64)
    K = int(ends[-1])
    cat_cell = np.repeat(np.arange(C), sizes)
    cat_type = np.concatenate([np.arange(n) for n in sizes])
    cat_class = np.concatenate([t.cls for t in cell_types_list])
    acc_tab = np.concatenate([t.accept for t in cell_types_list], axis=0)   # [K, specs]
    show_cls = np.concatenate([t.show for t in cell_types_list])            # [K]
    cat_seg = [SEGMENTS[cl["cell_segment"][c]] if segment_dynamic else "new" for c in cat_cell]
    per_spec: dict[int, dict] = {}
    sessions = []
    for k, (year, t, si) in enumerate(plan.session_schedule()):
        if si not in per_spec:      # every session of a kind shares its compiled structure
            per_spec[si] = _compile_spec(plan, si, cl["spec_elig"][si][cat_cell], acc_tab[:, si],
                                         show_cls, cat_seg, K, persistent)
        s = plan.sessions[si]
        sessions.append(CompiledSession(index=k, name=s.name or f"S{si + 1}", spec_index=si,
                                        year=year, time=t, **per_spec[si]))
    return CompiledPlan(
        plan=plan, population=pop, n=N, cell_size=cl["cell_size"], cell_region=cl["cell_region"],
        cell_segment=cl["cell_segment"], person_cell=cl["person_cell"], sessions=tuple(sessions),
        sub_cell=cl["sub_cell"], sub_size=cl["sub_size"], sub_province=cl["sub_province"],
        sub_segment=cl["sub_segment"], person_sub=cl["person_sub"], years=plan.term.years,
        cell_region_counts=cl["reg_counts"], cat_cell=cat_cell, cat_class=cat_class,
        cell_cats=tuple(zip(starts.tolist(), ends.tolist())),
        type_prob=tuple(t.prob for t in cell_types_list), labels=cl["labels"],
        sub_labels=cl["sub_labels"], splits=cl["splits"], region_of_province=cl["region_of_province"],
        acceptance=pol.acceptance,
        keep_regions=keep_regions,
        classes=classes, spec_eligible=cl["spec_elig"])

# ---------------------------------------------------------------------------------------
# the vectorised engine

def _binom_vec(rng, n, p):
    """Binomial draws with a probability per column (1 and 0 handled without drawing)."""
    p = np.asarray(p, dtype=float)
    if (p >= 1.0).all():
        return n          # callers never write into it
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


def _initial_state(cp: CompiledPlan, rng: np.random.Generator, R: int) -> np.ndarray:
    """Untrained counts per category at the start of the term: each cell's people split
    over its behaviour types by a multinomial draw (once per replication); cells with one
    type need no draw."""
    K = cp.n_cats
    X = np.zeros((R, 2 * K), dtype=np.int64)
    for c, (a, b) in enumerate(cp.cell_cats):
        if b - a == 1:
            X[:, a] = cp.cell_size[c]
        else:
            X[:, a:b] = rng.multinomial(int(cp.cell_size[c]), cp.type_prob[c], size=R)
    return X


def _fill_seats(rng, s: CompiledSession, W: np.ndarray) -> np.ndarray:
    """Seats per unit: ``min(capacity, willing)`` filled, open seats uniformly among the
    willing, the rest tier by tier (uniformly within a tier): multivariate hypergeometric."""
    n = np.minimum(s.capacity, W.sum(axis=1))
    if len(s.units) == 1 and s.reinvite <= 0:
        return n[:, None]
    sel = np.zeros_like(W)
    rem = n
    if s.reinvite > 0:
        n_open = _binom(rng, n, s.reinvite)
        o = mvhg(rng, W, n_open)
        sel += o
        W = W - o
        rem = n - n_open
    for idx in s.tier_units:
        if not rem.any():
            break
        Wt = W[:, idx]
        take = np.minimum(rem, Wt.sum(axis=1))
        if len(idx) == 1:
            sel[:, idx[0]] += take
        else:
            sel[:, idx] += mvhg(rng, Wt, take)
        rem = rem - take
    return sel


def _mixing_terms(cp: CompiledPlan):
    """Precomputed pieces of E[Σ_r a_r² | attendees per cell] (see :func:`_expected_sq`)."""
    size = cp.cell_size.astype(float)
    P = cp.cell_region_counts / size[:, None]
    return P @ P.T, (P * (1.0 - P)).sum(axis=1), size


def _expected_sq(terms, a_cell: np.ndarray) -> np.ndarray:
    """E[Σ_r a_r² | attendees per cell]: the attendees of a cell are a uniform random subset
    of it (its people are exchangeable), so their regions are multivariate hypergeometric,
    independent across cells; E[a_r²] = Var(a_r) + E[a_r]², with E[a_r] = Σ_c a_c P_cr and
    Var(a_r) = Σ_c a_c P_cr (1 − P_cr) (n_c − a_c) / (n_c − 1)."""
    M, pq, size = terms
    mean_sq = ((a_cell @ M) * a_cell).sum(axis=1)
    var = (a_cell * (size - a_cell) / np.maximum(size - 1.0, 1.0)) @ pq
    return mean_sq + var


def _attend(rng, s: CompiledSession, X: np.ndarray, K: int):
    """One session: who is willing, seated and present. Updates the untrained/trained
    counts ``X`` in place; returns attendees and newly trained per replication, and the
    attendees per category (``(cats, counts, d, tot)``), or ``None`` when nobody came."""
    R = X.shape[0]
    cats = s.unit_cats
    if s.pair >= 0:
        # the usual session: one unit made of the untrained and the trained of one
        # behaviour type; the same draws as the general path below (so the same stream)
        c0 = s.pair
        x0 = X[:, c0]
        x1 = X[:, c0 + K]
        W = _binom(rng, x0 + x1, s.unit_pa[0])
        tot = _binom(rng, np.minimum(s.capacity, W), s.unit_ps[0])
        if not np.count_nonzero(tot):
            return tot, None, None
        d = rng.hypergeometric(x0, x1, tot)
        x0 -= d
        x1 += d
        return tot, d, (cats % K, None, d, tot)
    if s.simple and len(cats) <= 2:
        x0 = X[:, cats[0]]
        x1 = X[:, cats[1]] if len(cats) == 2 else None
        W = _binom(rng, x0 + x1 if x1 is not None else x0, s.unit_pa[0])
        tot = _binom(rng, np.minimum(s.capacity, W), s.unit_ps[0])
        if not np.count_nonzero(tot):
            return tot, None, None
        d = rng.hypergeometric(x0, x1, tot) if x1 is not None else tot
        Au = np.column_stack([d, tot - d]) if x1 is not None else d[:, None]
    else:
        Xu = X[:, cats]
        if len(cats) == len(s.units):
            pools = Xu
        else:
            csum = np.zeros((R, Xu.shape[1] + 1), dtype=np.int64)
            np.cumsum(Xu, axis=1, out=csum[:, 1:])
            pools = csum[:, s.unit_ends] - csum[:, s.unit_starts]
        W = _binom_vec(rng, pools, s.unit_pa)
        sel = _fill_seats(rng, s, W)
        a_u = _binom_vec(rng, sel, s.unit_ps)
        tot = a_u.sum(axis=1)
        if not np.count_nonzero(tot):
            return tot, None, None
        Au = mvhg_segments(rng, Xu, s.unit_starts, s.unit_ends, a_u)
    new_mask = cats < K
    newly_u = Au[:, new_mask]
    cats_new = cats[new_mask]
    X[:, cats_new] -= newly_u           # untrained -> trained
    X[:, cats_new + K] += newly_u
    return tot, newly_u.sum(axis=1), (cats % K, Au, None, None)


class _Mixing:
    """Cross-region mixing of a session's attendees: counted from the categories' regions
    (per-invitation layout) or in expectation given the attendance per cell."""

    def __init__(self, cp: CompiledPlan, R: int):
        K, C = cp.n_cats, cp.n_cells
        self.R, self.K = R, K
        self.drawn = cp.keep_regions
        self.closed_form = False
        if self.drawn:
            self.onehot = np.zeros((K, len(REGIONS)))
            self.onehot[np.arange(K), cp.cell_region[cp.cat_cell]] = 1.0
            return
        self.terms = _mixing_terms(cp)
        self.one_cell = C == 1
        self.closed_form = self.one_cell
        if self.one_cell:
            M, pq, size = self.terms
            self.q2, self.pq1, self.n1 = float(M[0, 0]), float(pq[0]), float(size[0])
        else:
            self.to_cell = np.zeros((K, C))
            self.to_cell[np.arange(K), cp.cat_cell] = 1.0

    def closed_num(self, a: np.ndarray, inter: np.ndarray) -> np.ndarray:
        """Σ_s interaction_s (a_s² − E[Σ_r a_rs²]) / 2 over all sessions at once (one cell)."""
        esq = a * a * self.q2 + a * (self.n1 - a) / max(self.n1 - 1.0, 1.0) * self.pq1
        return ((a * a - esq) @ inter) / 2.0

    def sum_sq(self, a: np.ndarray, att) -> np.ndarray:
        """Σ_r a_r² (drawn) or its conditional expectation."""
        if not self.drawn and self.one_cell:
            # one cell: E[Σ_r a_r²] = a² Σ P_r² + a (n − a)/(n − 1) Σ P_r (1 − P_r)
            return a * a * self.q2 + a * (self.n1 - a) / max(self.n1 - 1.0, 1.0) * self.pq1
        cats, Au, d, tot = att
        if Au is None:
            Au = np.column_stack([d, tot - d])
        A = np.zeros((self.R, self.K))
        np.add.at(A.T, cats, Au.T)
        if self.drawn:
            a_reg = A @ self.onehot
            return (a_reg * a_reg).sum(axis=1)
        return _expected_sq(self.terms, A @ self.to_cell)


def _term_end_split(rng, cp: CompiledPlan, U: np.ndarray) -> dict:
    """Untrained people per province, segment and region at the end of the term."""
    R, C, K = U.shape[0], cp.n_cells, cp.n_cats
    Uc = U if K == C else np.add.reduceat(U, np.array([a for a, _ in cp.cell_cats]), axis=1)
    if cp.keep_regions:
        # one joint split over (province, segment) groups nested in the cells (the
        # per-invitation layout keeps the earlier engine's stream)
        starts = np.searchsorted(cp.sub_cell, np.arange(C), side="left")
        ends = np.searchsorted(cp.sub_cell, np.arange(C), side="right")
        usub = mvhg_segments(rng, np.broadcast_to(cp.sub_size, (R, len(cp.sub_size))),
                             starts, ends, Uc)
        return {"untrained_sub": usub.astype(np.int32), "untrained_by": untrained_by_label(cp, usub)}
    # only the margins are reported: split each cell over its provinces and, separately,
    # over its segments (each exact; 3-4x fewer draws than the joint split)
    by = {}
    for kind, (sizes, starts, ends, codes) in cp.splits.items():
        u = mvhg_segments(rng, np.broadcast_to(sizes, (R, len(sizes))), starts, ends, Uc)
        by[kind] = _sum_labels(u, codes, len(cp.labels[kind][0]))
    if "region" not in by:
        by["region"] = _sum_labels(by["province"], cp.region_of_province, len(cp.labels["region"][0]))
    return {"untrained_by": {k: by[k] for k in cp.labels}}


def run_chunk(cp: CompiledPlan, replications: int, seed_seq: np.random.SeedSequence, *,
              detail: bool = True, split_every: int = 1, start: int = 0) -> dict[str, np.ndarray]:
    """Run ``replications`` replications of a compiled plan from one seed sequence.

    Returns per-replication arrays: ``covered`` (int[R, S], people trained after each
    session), ``attended`` (int[R, S]), ``cost``, ``gain``, ``mix_num``, ``mix_den`` and,
    with ``detail``, ``untrained_by`` ({"province" | "segment" | "region": int[n, L]}
    untrained people per label at the end; under per-invitation acceptance also
    ``untrained_sub``, int[n, G] per (province, segment) group) for the replications
    ``split_rows`` — those whose global index (``start`` + row) is a multiple of
    ``split_every`` (all of them by default).
    """
    rng = np.random.default_rng(seed_seq)
    R = int(replications)
    K = cp.n_cats
    S = len(cp.sessions)
    X = _initial_state(cp, rng, R)
    attended = np.zeros((S, R), dtype=np.int32)      # session-major: contiguous rows
    newly = np.zeros((S, R), dtype=np.int32)
    mix_num = np.zeros(R)
    mixing = _Mixing(cp, R)
    per_session_mixing = not mixing.closed_form
    for s in cp.sessions:
        if len(s.units):
            tot, n_new, att = _attend(rng, s, X, K)
            if att is not None:             # somebody came
                attended[s.index] = tot
                newly[s.index] = n_new
                if per_session_mixing and s.interaction > 0:
                    a = tot.astype(float)
                    mix_num += s.interaction * (a * a - mixing.sum_sq(a, att)) / 2.0
    covered = np.cumsum(newly, axis=0, dtype=np.int32).T
    attended = attended.T
    newly = newly.T
    # cost, gain and the mixing denominators are linear in the per-session counts: one
    # pass over all sessions instead of a few small operations per session
    sess = cp.sessions
    cost = math.fsum(s.cost_fixed for s in sess) + attended @ np.array([s.cost_per_person for s in sess])
    g0 = np.array([s.gain_first for s in sess])
    g1 = np.array([s.gain_repeat for s in sess])
    gain = newly @ (g0 - g1) + attended @ g1
    inter = np.array([s.interaction for s in sess])
    a = attended.astype(float)
    mix_den = (a * (a - 1)) @ inter / 2.0
    if mixing.closed_form:
        mix_num = mixing.closed_num(a, inter)
    out = {"covered": covered, "attended": attended, "cost": cost, "gain": gain,
           "mix_num": mix_num, "mix_den": mix_den}
    if detail:
        rows = np.arange((-int(start)) % int(split_every), R, int(split_every))
        out["split_rows"] = rows
        if rows.size:
            out.update(_term_end_split(rng, cp, X[:, :K] if rows.size == R else X[rows, :K]))
    return out


def _sum_labels(u: np.ndarray, codes: np.ndarray, n_labels: int) -> np.ndarray:
    if len(codes) == n_labels and (codes == np.arange(n_labels)).all():
        return u.astype(np.int32)
    M = np.zeros((len(codes), n_labels))
    M[np.arange(len(codes)), codes] = 1.0
    return np.rint(u.astype(float) @ M).astype(np.int32)      # exact: integer counts


def untrained_by_label(cp: CompiledPlan, usub: np.ndarray) -> dict[str, np.ndarray]:
    """Untrained people per province, segment and region from the output-group counts."""
    usub = np.asarray(usub)
    return {k: _sum_labels(usub, cp.sub_labels[k], len(cp.labels[k][0])) for k in cp.labels}


# ---------------------------------------------------------------------------------------
# the per-person reference loop (test oracle, benchmark baseline)

class _LoopModel:
    """What the per-person loop needs, computed from the plan's *definition* (targets,
    acceptance groups, tiers), not from the engine's cells and types."""

    def __init__(self, cp: CompiledPlan):
        from .behaviour import acceptance_key

        plan = cp.plan
        people = cp.population.people
        self.N = cp.n
        self.seg = people["segment"].tolist()
        self.region = people["region"].tolist()
        self.classes = cp.classes
        self.shares = [c.share for c in cp.classes]
        self.persistent = plan.policy.acceptance == "persistent"
        self.target = [np.flatnonzero(_session_target(s, people)).tolist() for s in plan.sessions]
        groups: dict = {}
        self.accept = {}       # (spec, segment, class) -> (group id, p)
        self.show = {}         # (spec, segment, class) -> p_show
        for k, s in enumerate(plan.sessions):
            for g in SEGMENTS:
                for ci, c in enumerate(cp.classes):
                    key, p = acceptance_key(plan, k, g, c)
                    self.accept[k, g, ci] = (groups.setdefault(key, len(groups)), p)
                    ns = s.no_show_prob if s.no_show_prob is not None else c.no_show_prob
                    self.show[k, g, ci] = 1.0 - segment_value(ns, g)
        self.n_groups = len(groups)
        self.rank = {}         # session -> (rank if untrained, rank if trained) per person, or None
        for s in cp.sessions:
            sel = plan.sessions[s.spec_index].selection or plan.policy.selection
            r = tier_rank(sel, plan.policy.priority, plan.policy.within)
            r0 = [r[(0, g)] for g in self.seg]
            r1 = [r[(1, g)] for g in self.seg]
            self.rank[s.index] = None if len(set(r0) | set(r1)) == 1 else (r0, r1)
        self._per_person = None if len(cp.classes) > 1 else self.per_person([0] * self.N)

    def per_person(self, cls: list) -> tuple:
        """Per session kind: each person's acceptance group, probability and show-up."""
        n_specs = len(self.target)
        grp, pr, sh = [], [], []
        for k in range(n_specs):
            a = [self.accept[k, g, c] for g, c in zip(self.seg, cls)]
            grp.append([x[0] for x in a])
            pr.append([x[1] for x in a])
            sh.append([self.show[k, g, c] for g, c in zip(self.seg, cls)])
        return grp, pr, sh


def _loop_replication(cp: CompiledPlan, rng: np.random.Generator, model: _LoopModel) -> dict:
    N = model.N
    seg, region = model.seg, model.region
    ncls = len(model.classes)
    if ncls > 1:
        cls = rng.choice(ncls, size=N, p=model.shares).tolist()
        grp_of, p_of, show_of = model.per_person(cls)
    else:
        grp_of, p_of, show_of = model._per_person
    persistent = model.persistent
    wstate = [[-1] * N for _ in range(model.n_groups)]   # persistent: -1 not asked yet, 0/1
    trained = [False] * N
    n_trained = 0
    covered, attended = [], []
    cost = gain = mix_num = mix_den = 0.0
    for s in cp.sessions:
        k = s.spec_index
        target, grp, pk, shk = model.target[k], grp_of[k], p_of[k], show_of[k]
        willing = []
        for i in target:
            if persistent:
                ws = wstate[grp[i]]
                w = ws[i]
                if w < 0:
                    w = ws[i] = 1 if rng.random() < pk[i] else 0
            else:
                w = rng.random() < pk[i]
            if w:
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
        ranks = model.rank[s.index]
        order = rng.permutation(len(pool)).tolist()
        shuffled = [pool[j] for j in order]
        if ranks is not None:             # several tiers: stable sort keeps the random order within
            r0, r1 = ranks
            shuffled.sort(key=lambda i: r1[i] if trained[i] else r0[i])
        seated += shuffled[:n_policy]
        att = [i for i in seated if rng.random() < shk[i]]
        reg_counts = {}
        for i in att:
            if trained[i]:
                gain += s.gain_repeat
            else:
                gain += s.gain_first
                trained[i] = True
                n_trained += 1
            reg_counts[region[i]] = reg_counts.get(region[i], 0) + 1
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

    Replication ``r`` draws from ``SeedSequence(seed).spawn(replications)[r]``. Mixing is
    counted from the attendees' actual regions (the engine, under persistent acceptance,
    uses its conditional expectation: same mean, smaller variance).
    """
    cp = compiled if compiled is not None else compile_plan(plan, population)
    seed = plan.population.seed if seed is None else seed
    R = int(replications)
    if R < 1:
        raise ValueError("replications must be at least 1")
    seqs = np.random.SeedSequence(seed).spawn(R)
    model = _LoopModel(cp)
    rows = [_loop_replication(cp, np.random.default_rng(sq), model) for sq in seqs]
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
    raw["untrained_by"] = untrained_by_label(cp, raw["untrained_sub"])
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
    model = _LoopModel(cp)
    df = cp.population.people[["rep_id", "province", "region", "segment"]].copy()
    for k, sq in enumerate(seqs):
        df[f"trained_r{k}"] = _loop_replication(cp, np.random.default_rng(sq), model)["trained"]
    return df


# ---------------------------------------------------------------------------------------
# results and public entry points

def _seats(cp: CompiledPlan) -> int:
    return int(sum(s.capacity for s in cp.sessions))


def _chance_only(R: int) -> dict:
    return {"sources": ["chance"], "parameter_share": 0.0, "parameter_draws": 0,
            "replications_per_draw": int(R), "replications": int(R),
            "note": "The plan declares no [uncertainty]: every interval is Monte Carlo "
                    "variation (chance) alone, for the parameter values as written."}


def aggregate(cp: CompiledPlan, raw: dict, *, seed: int, engine: str = "vectorized") -> SimulationResult:
    """Turn per-replication arrays (from :func:`run_chunk` or the loop) into a result."""
    acc = Accumulator(OutputLayout.from_compiled(cp), keep_every=1)
    acc.add(raw, chunk=0)
    return build_result(acc, plan_name=cp.plan.name, seed=int(seed), engine=engine,
                        population_source=cp.population.source, seats=_seats(cp),
                        uncertainty=_chance_only(acc.n))


def _chunk_sizes(replications: int) -> list[int]:
    R = int(replications)
    return [min(CHUNK, R - i) for i in range(0, R, CHUNK)]


def as_seed_sequence(seed) -> np.random.SeedSequence:
    """A fresh SeedSequence from an int or a copy of a SeedSequence (spawning mutates)."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)
    return np.random.SeedSequence(int(seed))


def seed_label(seed) -> int:
    """The integer entropy of a seed (what results report as their seed)."""
    return int(seed.entropy) if isinstance(seed, np.random.SeedSequence) else int(seed)


@dataclass(frozen=True)
class _Job:
    """A batch of chunks of one parameter draw (picklable: runs in a worker)."""

    cp: CompiledPlan
    layout: OutputLayout
    chunks: tuple                 # ((global chunk index, size, SeedSequence, first replication), ...)
    draw: int
    detail: bool
    keep_every: int
    split_every: int = 1


def _run_job(job: _Job) -> Accumulator:
    acc = Accumulator(job.layout, keep_every=job.keep_every)
    for idx, n, sq, start in job.chunks:
        raw = run_chunk(job.cp, n, sq, detail=job.detail, split_every=job.split_every, start=start)
        acc.add(raw, chunk=idx, draw=job.draw, start=start)
    return acc


def check_replications(replications, parameter_draws: int = 0) -> None:
    """Bounds on the work asked for, checked before anything is allocated.

    Raises
    ------
    PlanError
        ``--replications`` below 1, ``--parameter-draws`` above :data:`MAX_PARAMETER_DRAWS`,
        or draws × replications above :data:`MAX_REPLICATIONS`.
    """
    if isinstance(replications, float) and not replications.is_integer():
        raise PlanError(f"--replications must be a whole number, got {replications}")
    R = int(replications)
    if R < 1:
        raise PlanError("--replications must be at least 1")
    D = int(parameter_draws or 0)
    if D < 0:
        raise PlanError("--parameter-draws must be at least 1")
    if D > MAX_PARAMETER_DRAWS:
        raise PlanError(f"--parameter-draws: at most {MAX_PARAMETER_DRAWS:,} (documented limit), got {D:,}")
    if R * max(D, 1) > MAX_REPLICATIONS:
        what = f"{D:,} parameter draws x {R:,} replications" if D else f"{R:,}"
        raise PlanError(f"--replications: {what} is above the documented limit of "
                        f"{MAX_REPLICATIONS:,} runs (memory stays flat, but it would run for hours)")


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
        self.layout = OutputLayout.from_compiled(self.compiled)

    def _draw_plans(self, parameters) -> list[tuple[int, CompiledPlan]]:
        from .uncertainty import apply_parameters

        paths = [c for c in parameters.columns if c != "draw"]
        out = []
        ids = parameters["draw"].to_numpy() if "draw" in parameters.columns else np.arange(len(parameters))
        for d, (_, row) in zip(ids, parameters.iterrows()):
            p = apply_parameters(self.plan, {k: float(row[k]) for k in paths})
            out.append((int(d), compile_plan(p, self.compiled.population)))
        return out

    def run(self, *, replications: int = 1000, seed: int | None = None, workers: int = 1,
            detail: bool = True, executor=None, progress: bool = False,
            parameter_draws: int | None = None, parameters=None) -> SimulationResult:
        """Simulate; with parameter sets (``parameters`` rows, or ``parameter_draws`` drawn
        from the plan's ``[uncertainty]``), ``replications`` runs within each set."""
        from .uncertainty import draw_parameters

        seed = self.plan.population.seed if seed is None else seed
        if parameters is None and parameter_draws is not None and not self.plan.uncertainty:
            raise PlanError("--parameter-draws: the plan has no [uncertainty] table to draw from")
        if parameters is None and self.plan.uncertainty:
            D = DEFAULT_PARAMETER_DRAWS if parameter_draws is None else int(parameter_draws)
            check_replications(replications, max(D, 1))
            parameters = draw_parameters(self.plan, D, seed)
        D = 0 if parameters is None else len(parameters)
        check_replications(replications, D)
        if parameters is not None and D == 0:
            raise PlanError("parameters: no parameter sets given")
        R = int(replications)
        base = as_seed_sequence(seed)
        sizes = _chunk_sizes(R)
        total = R * max(D, 1)
        keep_every = max(1, math.ceil(total / KEEP_REPLICATES))
        split_every = max(1, math.ceil(total / SPLIT_REPLICATES))
        if D == 0:
            draws = [(0, self.compiled)]
            seqs = [base.spawn(len(sizes))]
        else:
            draws = self._draw_plans(parameters)
            seqs = [[np.random.SeedSequence(base.entropy, spawn_key=(*base.spawn_key, d, i))
                     for i in range(len(sizes))] for d, _ in draws]
        batch = 1 if (workers <= 1 and executor is None) else \
            max(1, min(64, math.ceil(len(sizes) * len(draws) / (4 * max(int(workers), 2)))))
        jobs, g = [], 0
        for j, ((d, cp), sq) in enumerate(zip(draws, seqs)):
            items = []
            start = j * R                  # global index of the set's first replication
            for n, s in zip(sizes, sq):
                items.append((g, n, s, start))
                g += 1
                start += n
            for b in range(0, len(items), batch):
                jobs.append(_Job(cp, self.layout, tuple(items[b:b + batch]), d, detail, keep_every,
                                 split_every))
        acc = Accumulator(self.layout, keep_every=keep_every, n_chunks=g, total=total)
        for part in imap_chunks(_run_job, jobs, workers=workers, executor=executor,
                                progress=progress, desc="replications",
                                weights=[sum(n for _, n, _, _ in j.chunks) for j in jobs]):
            acc.merge(part)
        uncertainty, table = self._uncertainty(acc, parameters, R, base)
        return build_result(acc, plan_name=self.plan.name, seed=seed_label(seed), engine="vectorized",
                            population_source=self.compiled.population.source,
                            seats=_seats(self.compiled), uncertainty=uncertainty,
                            parameter_draws=table)

    def _uncertainty(self, acc: Accumulator, parameters, R: int, base) -> tuple[dict, Any]:
        if parameters is None:
            return _chance_only(acc.n), None
        from .uncertainty import LHS_SPAWN_KEY, variance_share

        stats = acc.draw_stats()
        table = parameters.reset_index(drop=True).copy()
        if "draw" not in table.columns:
            table.insert(0, "draw", np.arange(len(table)))
        table["coverage_mean"] = [stats[int(d)]["coverage_mean"] for d in table["draw"]]
        table["coverage_var"] = [stats[int(d)]["coverage_var"] for d in table["draw"]]
        table["cost_mean"] = [stats[int(d)]["cost_mean"] for d in table["draw"]]
        rng = np.random.default_rng(np.random.SeedSequence(base.entropy, spawn_key=(LHS_SPAWN_KEY, 1)))
        vs = variance_share(table["coverage_mean"].to_numpy(), table["coverage_var"].to_numpy(
            dtype=float) if R > 1 else np.zeros(len(table)), R, rng=rng)
        paths = [c for c in parameters.columns if c != "draw"]
        declared = {p: (self.plan.uncertainty[p].to_dict() if p in self.plan.uncertainty else
                        {"given": True}) for p in paths}
        note = (f"Every interval (coverage_p05/p95, per year, per group, trajectory bands) is a "
                f"percentile of all {len(table)} parameter sets x {R} replications, so it covers "
                f"both the uncertain parameters and chance. parameter_share is the share of the "
                f"variance of term-end coverage due to the parameters (law of total variance "
                f"across the sets: variance of the set means less their chance part, over the "
                f"total); its Monte Carlo error is parameter_share_se (bootstrap over sets)"
                + ("" if R > 1 else "; with 1 replication per set the chance part cannot be "
                   "separated and the share is an upper bound") + ".")
        unc = {"sources": ["parameters", "chance"], "parameters": declared,
               "sampling": "latin_hypercube" if parameters is not None else "given",
               "parameter_draws": int(len(table)), "replications_per_draw": int(R),
               "replications": int(len(table) * R), "parameter_share": vs.share,
               "parameter_share_se": vs.se, "var_parameters": vs.var_parameters,
               "var_chance": vs.var_chance, "note": note}
        return unc, table


_SIM_CACHE: dict[Any, Simulator] = {}


def simulate(plan: Plan, *, replications: int = 1000, seed: int | None = None,
             workers: int = 1, population: Population | None = None,
             progress: bool = False, parameter_draws: int | None = None, parameters=None,
             executor=None) -> SimulationResult:
    """Monte Carlo of ``plan``: coverage, time to 80 %/100 %, groups, cost, gain, mixing.

    Parameters
    ----------
    plan : Plan
    replications : int
        Monte Carlo replications (per parameter set when there are parameter sets).
    seed : int, optional
        Simulation seed (default: the plan's ``population.seed``). Results depend only on
        the seed, not on ``workers``.
    workers : int
        Local processes.
    population : Population, optional
        Override the plan's population (e.g. a cached one).
    progress : bool
        A progress bar on stderr.
    parameter_draws : int, optional
        Parameter sets drawn from the plan's ``[uncertainty]`` table (Latin hypercube;
        default :data:`DEFAULT_PARAMETER_DRAWS` when the table exists).
    parameters : DataFrame, optional
        Parameter sets to use instead (columns: parameter paths, optional ``draw``), e.g.
        from :func:`~kexie_research.simulation.uncertainty.draw_parameters`: several plans
        or levers simulated with the same sets and the same seed share both the parameter
        values and the chance draws of each set (common random numbers).
    executor : concurrent.futures.Executor or dask.distributed.Client, optional

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
    >>> res.uncertainty["sources"]
    ['chance']
    """
    check_replications(replications, parameter_draws or 0)
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
    return sim.run(replications=replications, seed=seed, workers=workers, progress=progress,
                   parameter_draws=parameter_draws, parameters=parameters, executor=executor)


from .plan import PopulationSpec  # noqa: E402  (used in a doctest namespace)
