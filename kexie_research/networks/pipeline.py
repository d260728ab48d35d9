"""Everything the organisation and link tables allow, in one call: the engine behind
``kexie-research network``, the report's networks section, the network explorer widget and
notebook 05, so the same seed gives the same numbers everywhere.

Seed scheme
-----------
``numpy.random.SeedSequence(seed).spawn(N_STREAMS)``; child ``i`` goes to one step, always
the same (:data:`STREAMS`), whether or not the other steps run. A child's stream depends only
on ``seed`` and its index, so adding an optional step (a new index) never shifts another's.

====================  =====  ==============================================================
step                  child  draws
====================  =====  ==============================================================
measures              0      closeness sources, then the seed of the sampled paths
communities           1      Louvain's node order (one integer seed)
helix_full            2      bootstrap of T, full counting
helix_fractional      3      bootstrap of T, fractional counting
helix_years           4      bootstrap per year
helix_provinces       5      bootstrap per province (rank intervals)
growth                6      negative-binomial projection simulation
ranks                 7      rank-interval replicates of the centrality league tables
helix_four            8      bootstrap of the four-helix co-information
====================  =====  ==============================================================

Defaults (:data:`DEFAULTS`) are shared by the CLI and the report; the report's ``--quick``
uses :data:`QUICK` on top of them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..io import to_jsonable
from .brokerage import compute_brokerage
from .communities import connect_communities, detect_communities
from .flows import flow_matrix
from .graphs import OrgGraph, build_affiliation, build_graph
from .growth import fit_growth, yearly_counts
from .hierarchy import build_hierarchy
from .measures import DEFAULT_TARGET_RSE, MEASURES, compute_measures
from .orgcoverage import compute_org_coverage, rank_provinces
from .ranking import centrality_ranks
from .triple_helix import (DIMS3, DIMS4, compute_triple_helix, default_unit, presence_table,
                           triple_helix_by)

__all__ = ["STREAMS", "N_STREAMS", "PARTS", "DEFAULTS", "QUICK", "NetworkAnalysis", "analyse_network",
           "seed_reference"]

STREAMS: dict[str, int] = {"measures": 0, "communities": 1, "helix_full": 2, "helix_fractional": 3,
                           "helix_years": 4, "helix_provinces": 5, "growth": 6, "ranks": 7,
                           "helix_four": 8}
"""Step → index of its child in ``SeedSequence(seed).spawn(N_STREAMS)`` (fixed forever)."""
N_STREAMS = 16
"""Children spawned (room for new steps without changing the existing ones)."""

PARTS: tuple[str, ...] = ("hierarchy", "coverage", "ranking", "growth", "measures", "communities",
                          "brokerage", "flows", "triple_helix", "affiliation")

DEFAULTS: dict[str, Any] = {
    "measures": MEASURES, "k": None, "target_rse": DEFAULT_TARGET_RSE, "n_paths": None,
    "betweenness_method": "auto", "kinds": None, "unit": "auto", "counting": "full", "helices": 3,
    "n_boot": 200, "growth_sims": 4000, "top": 10, "ranking_year": 2021, "base_year": 2017,
    "level": 0.95,
}
"""The options both the CLI and the report use unless told otherwise."""
QUICK: dict[str, Any] = {"n_boot": 50, "target_rse": 0.15, "growth_sims": 1000}
"""Smaller Monte Carlo for smoke runs (``report --quick``): other numbers than the defaults."""


@dataclass(frozen=True)
class NetworkAnalysis:
    """Results of every step that ran; ``skipped`` says why the others did not.

    Attributes
    ----------
    hierarchy, coverage : Hierarchy, OrgCoverageResult or None
    chain : DataFrame or None
        Administrative chain completeness (:meth:`Hierarchy.chain_completeness`).
    province_ranking : DataFrame or None
        Enterprise associations by province (:func:`~.orgcoverage.rank_provinces`).
    growth, growth_loglinear : GrowthResult or None
    graph : OrgGraph or None
    measures : MeasuresResult or None
    ranks : dict
        Measure → league table with rank intervals (:func:`~.ranking.centrality_ranks`).
    communities, communities_connected : CommunityResult or None
        Louvain, and Louvain with disconnected communities split.
    brokerage : BrokerageResult or None
    flows_type, flows_province : FlowMatrix or None
    helix_unit : str or None
    helix_full, helix_fractional, helix_four : TripleHelixResult or None
    helix_by_year, helix_by_province : DataFrame or None
        The latter with rank intervals (lowest T first).
    affiliation : dict or None
        Summary of the representatives × sessions network.
    skipped : dict
    parameters : dict
        Options used, the seed and the seed scheme.
    """

    hierarchy: Any = None
    coverage: Any = None
    chain: pd.DataFrame | None = None
    province_ranking: pd.DataFrame | None = None
    growth: Any = None
    growth_loglinear: Any = None
    graph: OrgGraph | None = field(default=None, repr=False)
    measures: Any = None
    ranks: dict = field(default_factory=dict)
    communities: Any = None
    communities_connected: Any = None
    brokerage: Any = None
    flows_type: Any = None
    flows_province: Any = None
    helix_unit: str | None = None
    helix_full: Any = None
    helix_fractional: Any = None
    helix_four: Any = None
    helix_by_year: pd.DataFrame | None = None
    helix_by_province: pd.DataFrame | None = None
    affiliation: dict | None = None
    skipped: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)

    @property
    def helix(self):
        """The headline triple-helix result chosen by ``counting`` and ``helices``."""
        if self.parameters.get("helices") == 4:
            return self.helix_four
        return self.helix_fractional if self.parameters.get("counting") == "fractional" else self.helix_full

    def to_dict(self, top: int | None = None) -> dict:
        """JSON-able summary (deterministic for a seed: no timings). Keys: ``parameters``,
        ``skipped`` and one per step that ran — ``hierarchy``, ``coverage``,
        ``province_ranking``, ``growth``, ``graph``, ``methods``, ``top``, ``ranks``,
        ``communities``, ``communities_connected``, ``brokerage``, ``flows``, ``triple_helix``
        (``unit``, ``full``, ``fractional``, ``four_helix``, ``by_year``, ``by_province``),
        ``affiliation``."""
        top = int(top or self.parameters.get("top", 10))
        out: dict[str, Any] = {"parameters": to_jsonable(self.parameters), "skipped": dict(self.skipped)}
        if self.hierarchy is not None:
            out["hierarchy"] = {"organisations": int(len(self.hierarchy.table)),
                                "roots": len(self.hierarchy.roots), "max_depth": self.hierarchy.max_depth}
        if self.coverage is not None:
            out["coverage"] = to_jsonable(self.coverage.national)
        if self.province_ranking is not None:
            out["province_ranking"] = to_jsonable(self.province_ranking.head(top))
            out["ranking_top5"] = self.province_ranking["province"].head(5).tolist()
        if self.growth is not None:
            out["growth"] = self._growth_dict()
        if self.measures is not None:
            m = self.measures
            out["graph"] = to_jsonable(m.summary)
            out["methods"] = to_jsonable(m.methods)
            out["top"] = {k: v for k, v in m.to_dict(top=top)["top"].items()}
            out["ranks"] = {k: to_jsonable(v.head(top)) for k, v in self.ranks.items()}
        for name in ("communities", "communities_connected"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name).to_dict(top)
        if self.brokerage is not None:
            out["brokerage"] = to_jsonable(self.brokerage.to_dict())
        if self.flows_type is not None:
            out["flows"] = {"within_type_share": self.flows_type.within_share,
                            "within_province_share": self.flows_province.within_share}
        if self.helix_full is not None:
            out["triple_helix"] = self._helix_dict()
        if self.affiliation is not None:
            out["affiliation"] = to_jsonable(self.affiliation)
        return out

    def _growth_dict(self) -> dict:
        yc = self.growth.observed.set_index("year")["count"]
        return {"negbin_annual_growth": self.growth.annual_growth,
                "negbin_annual_growth_ci": list(self.growth.annual_growth_ci),
                "loglinear_annual_growth": self.growth_loglinear.annual_growth,
                "count_2017": int(yc.get(2017, 0)), "count_2021": int(yc.get(2021, 0)),
                "projection": to_jsonable(self.growth.projection)}

    def _helix_dict(self) -> dict:
        def one(r):
            d = r.to_dict()
            d.pop("table", None)
            return to_jsonable(d)
        out = {"unit": self.helix_unit, "full": one(self.helix_full)}
        for key, r in (("fractional", self.helix_fractional), ("four_helix", self.helix_four)):
            if r is not None:
                out[key] = one(r)
        if self.helix_by_year is not None:
            out["by_year"] = to_jsonable(self.helix_by_year)
        if self.helix_by_province is not None:
            out["by_province"] = to_jsonable(self.helix_by_province.sort_values(["T", "slice"]))
        return out


def _streams(seed) -> dict[str, np.random.SeedSequence]:
    children = np.random.SeedSequence(seed).spawn(N_STREAMS)
    return {name: children[i] for name, i in STREAMS.items()}


def analyse_network(orgs: pd.DataFrame, links: pd.DataFrame | None = None, *, seed: int | None = 20240,
                    parts=PARTS, graph: OrgGraph | None = None, attendance: pd.DataFrame | None = None,
                    representatives: pd.DataFrame | None = None, trainings: pd.DataFrame | None = None,
                    progress=None, **options) -> NetworkAnalysis:
    """Run every network analysis the tables support.

    Steps the data cannot support (no ``parent_id`` column, no founding years, no links, no
    project ids for the triple helix...) are skipped with the reason in ``skipped``; errors
    in the data (a cycle in the hierarchy, a link to an unknown organisation) still raise.

    Parameters
    ----------
    orgs : DataFrame
        The organizations table.
    links : DataFrame, optional
        The links table (no graph steps without it).
    seed : int
        Seed of every random step, spawned as documented in the module (:data:`STREAMS`).
    parts : iterable of str
        Steps to run (subset of :data:`PARTS`; default all).
    graph : OrgGraph, optional
        A graph already built from these tables (e.g. filtered by the widget).
    attendance, representatives, trainings : DataFrame, optional
        For the representatives × sessions network.
    progress : callable, optional
        ``progress(step_name)`` before each step.
    **options
        Any of :data:`DEFAULTS`: ``measures``, ``k`` (closeness sources), ``target_rse``,
        ``n_paths``, ``betweenness_method`` (see
        :func:`~.measures.compute_measures`), ``kinds`` (link kinds kept), ``unit``
        (``"auto"``, ``"project"``, ``"ego"``), ``counting`` and ``helices`` (the headline
        triple helix; full, fractional and four-helix are all computed), ``n_boot``,
        ``growth_sims``, ``top``, ``ranking_year``, ``base_year``, ``level``.

    Returns
    -------
    NetworkAnalysis

    Examples
    --------
    >>> import pandas as pd
    >>> orgs = pd.DataFrame({"org_id": ["e", "u", "g", "h"],
    ...                      "type": ["enterprise", "university", "cast", "hospital"]})
    >>> links = pd.DataFrame({"source_id": ["e", "e", "u"], "target_id": ["u", "g", "h"],
    ...                       "project_id": ["P1", "P1", "P2"]})
    >>> a = analyse_network(orgs, links, seed=1, parts=("measures", "triple_helix"), n_boot=0)
    >>> a.measures.top("degree", 1), a.helix_unit, a.helix_full.n_units
    ([['e', 2.0]], 'project', 2)
    """
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(unknown)}; options: {', '.join(DEFAULTS)}")
    bad = sorted(set(parts) - set(PARTS))
    if bad:
        raise ValueError(f"unknown part(s) {', '.join(bad)}; parts: {', '.join(PARTS)}")
    o = {**DEFAULTS, **options}
    if o["helices"] not in (3, 4):
        raise ValueError(f"helices must be 3 or 4, not {o['helices']!r}")
    ss = _streams(seed)
    res: dict[str, Any] = {}
    skipped: dict[str, str] = {}

    def step(name):
        if progress is not None:
            progress(name)
        return name in parts

    _org_steps(orgs, o, ss, res, skipped, step)
    if graph is None and links is not None and any(p in parts for p in PARTS[4:9]):
        graph = build_graph(orgs, links, kinds=o["kinds"])
    if graph is None:
        for p in PARTS[4:9]:
            if p in parts:
                skipped[p] = "no links table"
    else:
        res["graph"] = graph
        _graph_steps(graph, o, ss, res, skipped, step)
    if step("affiliation"):
        if attendance is None or not len(attendance):
            skipped["affiliation"] = "no attendance table"
        else:
            res["affiliation"] = build_affiliation(attendance, representatives, trainings).summary()
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in o.items()}
    params.update(seed=seed, parts=list(parts), seed_scheme={"spawn": N_STREAMS, "streams": dict(STREAMS)})
    return NetworkAnalysis(**res, skipped=skipped, parameters=params)


def _org_steps(orgs, o, ss, res, skipped, step) -> None:
    """Hierarchy, coverage, the province ranking and growth (organisations table only)."""
    if step("hierarchy"):
        if "parent_id" not in orgs.columns:
            skipped["hierarchy"] = "no parent_id column"
        else:
            h = build_hierarchy(orgs)
            res["hierarchy"], res["chain"] = h, h.chain_completeness()
    if step("coverage"):
        try:
            res["coverage"] = compute_org_coverage(orgs, by=("province",))
        except (AnalysisError, KeyError, ValueError) as exc:
            skipped["coverage"] = str(exc)
    if step("ranking"):
        if "province" not in orgs.columns:
            skipped["ranking"] = "no province column"
        else:
            res["province_ranking"] = rank_provinces(orgs, year=o["ranking_year"], base_year=o["base_year"])
    if step("growth"):
        try:
            fy = pd.to_numeric(orgs["founded_year"])
            yc = yearly_counts(orgs, years=range(2008, int(fy.max()) + 1))
            res["growth"] = fit_growth(yc, model="negbin", horizon=4, rng=np.random.default_rng(ss["growth"]),
                                       n_sim=int(o["growth_sims"]))
            res["growth_loglinear"] = fit_growth(yc, model="loglinear", horizon=4)
        except (AnalysisError, ValueError, KeyError) as exc:  # growth needs founding years
            skipped["growth"] = f"growth model not fitted: {exc}"


def _graph_steps(graph, o, ss, res, skipped, step) -> None:
    """Measures with rank intervals, communities, brokerage, flows, triple helix."""
    meas = None
    if step("measures"):
        meas = compute_measures(graph, measures=o["measures"], k=o["k"], target_rse=o["target_rse"],
                                n_paths=o["n_paths"], betweenness_method=o["betweenness_method"],
                                rng=np.random.default_rng(ss["measures"]))
        res["measures"] = meas
        rank_rng = np.random.default_rng(ss["ranks"])
        res["ranks"] = {m: centrality_ranks(meas, m, top=o["top"], n_boot=o["n_boot"], level=o["level"],
                                            rng=rank_rng)
                        for m in MEASURES if m in meas.table.columns}
    if step("communities"):
        comm = detect_communities(graph, seed=int(ss["communities"].generate_state(1)[0]))
        res["communities"], res["communities_connected"] = comm, connect_communities(graph, comm)
    if step("brokerage"):
        res["brokerage"] = compute_brokerage(graph, by="type", tri=meas.triangles if meas is not None else None)
    if step("flows"):
        res["flows_type"], res["flows_province"] = flow_matrix(graph, "type"), flow_matrix(graph, "province")
    if step("triple_helix"):
        try:
            _helix_steps(graph, o, ss, res)
        except AnalysisError as exc:
            skipped["triple_helix"] = str(exc)


def _helix_steps(graph, o, ss, res) -> None:
    unit = default_unit(graph) if o["unit"] == "auto" else o["unit"]
    nb, lvl = int(o["n_boot"]), o["level"]
    pres = presence_table(graph, unit=unit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res["helix_full"] = compute_triple_helix(graph, unit=unit, presence=pres, n_boot=nb, ci=lvl,
                                                 rng=np.random.default_rng(ss["helix_full"]))
        res["helix_fractional"] = compute_triple_helix(graph, unit=unit, presence=pres, counting="fractional",
                                                       n_boot=nb, ci=lvl,
                                                       rng=np.random.default_rng(ss["helix_fractional"]))
        res["helix_four"] = compute_triple_helix(graph, unit=unit, dims=DIMS4, n_boot=nb, ci=lvl,
                                                 rng=np.random.default_rng(ss["helix_four"]))
        counting = o["counting"] if o["helices"] == 3 else "full"
        dims = DIMS4 if o["helices"] == 4 else DIMS3
        by_pres = pres if dims == DIMS3 else presence_table(graph, unit=unit, dims=dims)
        res["helix_by_year"] = triple_helix_by(by_pres, "year", dims=dims, counting=counting, n_boot=nb,
                                               ci=lvl, rng=np.random.default_rng(ss["helix_years"]))
        res["helix_by_province"] = triple_helix_by(by_pres, "province", dims=dims, counting=counting,
                                                   n_boot=nb, ci=lvl,
                                                   rng=np.random.default_rng(ss["helix_provinces"]))
    res["helix_unit"] = unit


@dataclass(frozen=True)
class SeedReference:
    """Seed 003's published figures used beside the data: enterprise-association growth
    (:func:`~.growth.seed_growth`) and the aero-engine consortium's founders (C01) as a
    graph with its degree and (exact) betweenness. Real data: no randomness."""

    growth: dict
    consortium: OrgGraph = field(repr=False)
    consortium_measures: Any = field(repr=False)


def seed_reference() -> SeedReference:
    """The seed-003 reference figures (see :class:`SeedReference`)."""
    from ..data import load_real
    from .graphs import consortium_graph
    from .growth import seed_growth

    cg = consortium_graph(load_real("consortia"), "C01")
    return SeedReference(seed_growth(load_real("enterprise_assoc_stats")), cg,
                         compute_measures(cg, measures=("degree", "betweenness")))
