"""The measure suite of an organisation graph: centralities, components, assortativity
and cross-province / cross-type link shares.

Centralities (all equal to networkx's on the same graph; tested on the karate club):

================ ===========================================================================
degree           number of partners; ``strength`` = sum of tie weights
betweenness      hop-count shortest paths, normalised by (n−1)(n−2) (networkx's default).
                 **Exact** when n·m ≤ ``exact_work`` (networkit's Brandes), otherwise
                 **sampled**: ``k`` sources drawn without replacement, networkx's estimator
                 (Brandes & Pich 2007) with a per-node standard error
                 (``betweenness_se``, see :func:`backend.rescale_betweenness`)
closeness        Wasserman–Faust closeness ((r−1)/Σd · (r−1)/(n−1), r = reachable nodes);
                 sampled with the same sources: Σd of a node is estimated from the sources
                 in its component (Eppstein & Wang 2004), with ``closeness_se`` by the delta
                 method; components that got no source are computed exactly
eigenvector      power iteration on A + I (weighted), unit norm
pagerank         α = 0.85, weighted, dangling mass spread uniformly
constraint       Burt's constraint (weighted; low = broker); see :mod:`.brokerage`
clustering       local clustering coefficient (unweighted)
================ ===========================================================================

Assortativity (Newman 2003) is computed from the mixing matrix of edge ends (each edge
counted in both directions), excluding nodes whose attribute is unknown — national bodies
have no province. Cross-province (cross-type, cross-region) shares are the shares of edges,
and of tie weight, whose two ends differ.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import AnalysisError
from ..schema import ORG_ID
from . import backend as be
from .brokerage import burt_constraint
from .graphs import OrgGraph

__all__ = ["MEASURES", "DEFAULT_K", "DEFAULT_TARGET_RSE", "MAX_PATHS", "BETWEENNESS_METHODS",
           "MeasuresResult", "compute_measures",
           "attribute_assortativity", "degree_assortativity", "cross_shares",
           "sampled_closeness", "bipartite_centralities"]

MEASURES: tuple[str, ...] = ("degree", "strength", "betweenness", "closeness", "eigenvector",
                             "pagerank", "constraint", "clustering")
DEFAULT_K = 128
"""Sources for sampled closeness (and for ``betweenness_method="sources"``)."""
DEFAULT_TARGET_RSE = 0.05
"""Median relative SE of the top 20 that sampled betweenness is drawn to by default."""
MAX_PATHS = 400_000
"""Most shortest paths drawn for sampled betweenness (about 30 s on the national graph)."""

_ASCENDING = {"constraint"}  # low constraint = broker: "best first" means smallest


@dataclass(frozen=True)
class MeasuresResult:
    """Node measures and graph-level summary.

    Attributes
    ----------
    table : DataFrame
        One row per node: ``org_id``, ``type``, ``province``, ``region``, ``component``
        and one column per measure (``*_se`` for sampled ones).
    summary : dict
        ``nodes``, ``edges``, ``density``, ``components``, ``giant_size``,
        ``giant_share``, ``isolates``, assortativity and cross shares.
    methods : dict
        Per measure: ``method`` (exact/sampled/...), ``k``, the error statement.
    timings : dict
        Seconds per measure.
    triangles : ndarray or None
        The triangle list when constraint or clustering was computed (for
        :func:`~.brokerage.compute_brokerage`'s ``tri=``, so it is not listed twice).
    paths : backend.PathSample or None
        The sampled shortest paths behind sampled betweenness (for rank intervals).
    """

    table: pd.DataFrame
    summary: dict
    methods: dict
    timings: dict = field(default_factory=dict)
    triangles: np.ndarray | None = field(default=None, repr=False, compare=False)
    paths: be.PathSample | None = field(default=None, repr=False, compare=False)

    def top(self, measure: str, n: int = 10) -> list[list]:
        """``[[org_id, value], ...]`` best first (smallest first for ``constraint``)."""
        if measure not in self.table.columns:
            raise ValueError(f"measure {measure!r} was not computed; computed: "
                             f"{', '.join(c for c in self.table.columns if c in MEASURES)}")
        t = self.table[[ORG_ID, measure]].dropna()
        asc = measure in _ASCENDING
        t = t.sort_values([measure, ORG_ID], ascending=[asc, True], kind="stable").head(n)
        return [[oid, float(v)] for oid, v in zip(t[ORG_ID], t[measure])]

    def to_dict(self, top: int = 10) -> dict:
        return {**self.summary, "methods": self.methods, "timings": self.timings,
                "top": {m: self.top(m, top) for m in MEASURES if m in self.table.columns}}


def attribute_assortativity(graph: OrgGraph, attr: str) -> float:
    """Newman's assortativity coefficient for a categorical node attribute.

    Equals :func:`networkx.attribute_assortativity_coefficient` when every node has a value.

    Examples
    --------
    >>> import networkx as nx
    >>> from kexie_research.networks.graphs import graph_from_networkx
    >>> G = nx.karate_club_graph()
    >>> r = attribute_assortativity(graph_from_networkx(G, type_attr="club"), "type")
    >>> round(r, 6) == round(nx.attribute_assortativity_coefficient(G, "club"), 6)
    True
    """
    vals = graph.nodes[attr]
    known = vals.notna().to_numpy()
    cats, codes = np.unique(np.array([str(x) if k else "" for x, k in zip(vals, known)]),
                            return_inverse=True)
    u = graph.edges["u"].to_numpy()
    v = graph.edges["v"].to_numpy()
    keep = known[u] & known[v]
    u, v = u[keep], v[keep]
    if len(u) == 0:
        return float("nan")
    k = len(cats)
    M = np.zeros((k, k))
    np.add.at(M, (codes[u], codes[v]), 1.0)
    np.add.at(M, (codes[v], codes[u]), 1.0)
    M /= M.sum()
    a = M.sum(axis=1)
    b = M.sum(axis=0)
    ab = float(a @ b)
    if ab == 1.0:
        return float("nan")
    return float((np.trace(M) - ab) / (1.0 - ab))


def degree_assortativity(graph: OrgGraph) -> float:
    """Pearson correlation of the degrees at the two ends of edges (networkx's definition)."""
    deg = np.diff(graph.adjacency.indptr).astype(float)
    u = graph.edges["u"].to_numpy()
    v = graph.edges["v"].to_numpy()
    if len(u) < 2:
        return float("nan")
    x = np.concatenate([deg[u], deg[v]])
    y = np.concatenate([deg[v], deg[u]])
    if x.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def cross_shares(graph: OrgGraph, attrs=("type", "province", "region")) -> dict:
    """Share of edges (and of tie weight) whose ends differ in each attribute.

    Edges with an unknown value at either end are left out of that attribute's share.
    """
    out = {}
    u = graph.edges["u"].to_numpy()
    v = graph.edges["v"].to_numpy()
    w = graph.edges["weight"].to_numpy(dtype=float)
    for a in attrs:
        vals = graph.nodes[a].to_numpy(dtype=object)
        known = pd.notna(vals)
        keep = known[u] & known[v]
        diff = vals[u[keep]] != vals[v[keep]]
        out[f"cross_{a}_share"] = float(diff.mean()) if keep.any() else float("nan")
        out[f"cross_{a}_weight_share"] = (float(w[keep][diff].sum() / w[keep].sum())
                                          if keep.any() and w[keep].sum() > 0 else float("nan"))
        out[f"cross_{a}_edges"] = int(diff.sum())
    return out


def sampled_closeness(A: sp.csr_array, p: be.SourcePass, comp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closeness (Wasserman–Faust) from a sampled :class:`backend.SourcePass`, with SE.

    A node's distance sum is estimated from the sampled sources in its component,
    scaled to the component; components without a usable source are computed exactly, one
    BFS per node inside its component (so many small components cost linear time).
    """
    n = A.shape[0]
    sizes = np.bincount(comp)
    r = sizes[comp].astype(float)
    is_src = np.zeros(n, dtype=bool)
    is_src[p.sources] = True
    k_comp = np.bincount(comp[p.sources], minlength=len(sizes))
    kk = (k_comp[comp] - is_src).astype(float)  # sources other than the node itself
    close = np.zeros(n)
    se = np.zeros(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = p.dist_sum / kk
        var = np.where(kk > 1, (p.dist_sumsq - kk * mean**2) / (kk - 1), 0.0)
        var = np.clip(var, 0.0, None)
        tot = (r - 1) * mean
        se_tot = (r - 1) * np.sqrt(np.clip(1 - kk / (r - 1), 0.0, None) * var / kk)
        ok = (kk > 0) & (r > 1) & (tot > 0)
        close[ok] = ((r - 1) / tot * (r - 1) / (n - 1))[ok]
        se[ok] = (close * se_tot / tot)[ok]
    need = np.flatnonzero((kk == 0) & (r > 1))
    if len(need):
        dsum, reach, _ = be.exact_closeness_of(A, need)
        rr = reach.astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            close[need] = np.where(dsum > 0, (rr - 1) / dsum * (rr - 1) / (n - 1), 0.0)
        se[need] = 0.0
    return close, se


BETWEENNESS_METHODS = ("auto", "exact", "paths", "sources")


def compute_measures(graph: OrgGraph, *, measures=MEASURES, k: int | None = None,
                     exact_work: float = be.EXACT_WORK, rng=None,
                     target_rse: float | None = DEFAULT_TARGET_RSE, n_paths: int | None = None,
                     max_paths: int = MAX_PATHS, betweenness_method: str = "auto",
                     k_max: int = 4096, progress=None) -> MeasuresResult:
    """Compute the measure suite.

    Parameters
    ----------
    graph : OrgGraph
    measures : iterable of str
        Subset of :data:`MEASURES`.
    k : int, optional
        Sources for sampled closeness (and for ``betweenness_method="sources"``). ``None``:
        exact paths when ``n·m <= exact_work``, else :data:`DEFAULT_K` sources. ``k >= n``
        is exact.
    exact_work : float
        Threshold on n·m for exact paths.
    rng : numpy Generator or seed, keyword-only
        Draws the closeness sources, then the seed of the path sample.
    target_rse : float or None
        Betweenness on large graphs is estimated from random shortest paths
        (:func:`backend.sample_betweenness`), drawn in rounds until the median relative SE of
        the top 20 is at most ``target_rse`` (default 0.05) or ``max_paths`` paths are
        drawn. ``methods["betweenness"]`` records the paths used and whether the target was
        reached. With ``betweenness_method="sources"`` the same rule draws sources in rounds
        of ``k`` (at most ``k_max``).
    n_paths : int, optional
        Draw exactly this many paths instead.
    betweenness_method : {"auto", "exact", "paths", "sources"}
        ``auto``: exact when paths are exact, else ``paths``. ``sources``: networkx's
        k-source estimator (Brandes & Pich 2007) with a per-node SE.
    progress : callable, optional
        Called as ``progress(n_drawn, median_rse)`` after each sampling round.

    Returns
    -------
    MeasuresResult

    Examples
    --------
    >>> import networkx as nx
    >>> from kexie_research.networks.graphs import graph_from_networkx
    >>> r = compute_measures(graph_from_networkx(nx.karate_club_graph()), rng=1)
    >>> r.top("betweenness", 1)[0][0], r.methods["betweenness"]["method"]
    ('0', 'exact')
    """
    unknown = sorted(set(measures) - set(MEASURES))
    if unknown:
        raise ValueError(f"unknown measure(s) {', '.join(unknown)}; allowed: {', '.join(MEASURES)}")
    if betweenness_method not in BETWEENNESS_METHODS:
        raise ValueError(f"betweenness_method must be one of {', '.join(BETWEENNESS_METHODS)}, "
                         f"not {betweenness_method!r}")
    if graph.n_nodes == 0:
        raise AnalysisError("the graph has no nodes")
    if target_rse is not None and not (isinstance(target_rse, (int, float)) and target_rse > 0):
        raise ValueError(f"target_rse must be a positive number, not {target_rse!r}")
    if target_rse is not None and k_max < 2:
        raise ValueError(f"k_max must be at least 2, not {k_max!r}")
    if n_paths is not None and n_paths < 1:
        raise ValueError(f"n_paths must be at least 1, not {n_paths!r}")
    rng = np.random.default_rng(rng)
    A = graph.adjacency
    n = graph.n_nodes
    timings: dict[str, float] = {}
    methods: dict[str, dict] = {}
    t0 = time.perf_counter()
    n_comp, comp = be.components(A)
    timings["components"] = time.perf_counter() - t0
    tab = graph.nodes[[ORG_ID, "type", "province", "region"]].copy()
    tab["component"] = comp
    deg = np.diff(A.indptr)
    if "degree" in measures:
        tab["degree"] = deg
        methods["degree"] = {"method": "exact"}
    if "strength" in measures:
        tab["strength"] = np.asarray(A.sum(axis=1)).ravel()
        methods["strength"] = {"method": "exact"}
    paths = None
    if {"betweenness", "closeness"} & set(measures):
        opts = dict(k=k, exact_work=exact_work, target_rse=target_rse, n_paths=n_paths,
                    max_paths=max_paths, method=betweenness_method, k_max=k_max, progress=progress)
        paths = _path_measures(graph, comp, tab, methods, timings, rng, measures, opts)
    _spectral_and_local(graph, tab, methods, timings, measures)
    tri = tab.attrs.pop("triangles", None)
    t0 = time.perf_counter()
    sizes = np.bincount(comp)
    summary = {"nodes": n, "edges": graph.n_edges, "density": graph.density, "components": n_comp,
               "giant_size": int(sizes.max()), "giant_share": float(sizes.max() / n),
               "isolates": int((deg == 0).sum()),
               "mean_degree": float(2 * graph.n_edges / n),
               "assortativity": {"type": attribute_assortativity(graph, "type"),
                                 "region": attribute_assortativity(graph, "region"),
                                 "province": attribute_assortativity(graph, "province"),
                                 "degree": degree_assortativity(graph)},
               **cross_shares(graph)}
    timings["summary"] = time.perf_counter() - t0
    return MeasuresResult(tab, summary, methods, {k_: round(v, 4) for k_, v in timings.items()}, tri, paths)


def _engine(n: int) -> str:
    return "networkit" if n >= be.NK_MIN_NODES and be.has_networkit() else "sparse"


def _path_measures(graph, comp, tab, methods, timings, rng, measures, o) -> be.PathSample | None:
    """Betweenness and closeness: exact on small graphs, else sampled (see compute_measures)."""
    A, n, m = graph.adjacency, graph.n_nodes, graph.n_edges
    k = o["k"]
    exact = (o["method"] == "exact" or (o["method"] == "auto" and k is None and n * m <= o["exact_work"])
             or (k is not None and k >= n))
    if exact:
        if "betweenness" in measures:
            t0 = time.perf_counter()
            tab["betweenness"] = be.betweenness_exact(A)
            timings["betweenness"] = time.perf_counter() - t0
            methods["betweenness"] = {"method": "exact", "engine": _engine(n)}
        if "closeness" in measures:
            t0 = time.perf_counter()
            tab["closeness"] = be.closeness_exact(A)
            timings["closeness"] = time.perf_counter() - t0
            methods["closeness"] = {"method": "exact", "engine": _engine(n)}
        return None
    kk = min(int(k or DEFAULT_K), n)
    t0 = time.perf_counter()
    sources = np.sort(rng.choice(n, size=kk, replace=False))
    path_seed = int(rng.integers(2**63))
    paths = None
    if o["method"] == "sources" and "betweenness" in measures:
        if o["target_rse"] is None:
            p = be.brandes_pass(A, sources)
            val, se = be.rescale_betweenness(p, n, sampled=True)
            reached = None
        else:
            p, reached, (val, se) = _sample_to_precision(A, n, kk, float(o["target_rse"]), int(o["k_max"]),
                                                         np.random.default_rng(path_seed), True, comp,
                                                         o["progress"])
        tab["betweenness"], tab["betweenness_se"] = val, se
        methods["betweenness"] = _sampled_statement("betweenness", val, se, len(p.sources))
        if reached is not None:
            methods["betweenness"].update(target_rse=float(o["target_rse"]), target_reached=reached)
        timings["betweenness"] = time.perf_counter() - t0
    elif "betweenness" in measures:
        paths = be.sample_betweenness(A, comp, seed=path_seed, n_samples=o["n_paths"],
                                      target_rse=o["target_rse"], max_samples=int(o["max_paths"]),
                                      progress=o["progress"])
        val, se = paths.betweenness()
        tab["betweenness"], tab["betweenness_se"] = val, se
        methods["betweenness"] = _paths_statement(val, se, paths, o["target_rse"] if o["n_paths"] is None else None)
        timings["betweenness"] = time.perf_counter() - t0
    if "closeness" in measures:
        t1 = time.perf_counter()
        val, se = sampled_closeness(A, be.source_distance_sums(A, sources), comp)
        tab["closeness"], tab["closeness_se"] = val, se
        methods["closeness"] = _sampled_statement("closeness", val, se, kk)
        timings["closeness"] = time.perf_counter() - t1
    return paths


def _spectral_and_local(graph, tab, methods, timings, measures) -> None:
    """Eigenvector, PageRank, clustering and Burt's constraint (triangles listed once)."""
    A, n = graph.adjacency, graph.n_nodes
    deg = np.diff(A.indptr)
    if "eigenvector" in measures:
        t0 = time.perf_counter()
        tab["eigenvector"] = be.eigenvector(A)
        timings["eigenvector"] = time.perf_counter() - t0
        methods["eigenvector"] = {"method": "power iteration", "tol": 1e-10, "weighted": True}
    if "pagerank" in measures:
        t0 = time.perf_counter()
        tab["pagerank"] = be.pagerank(A)
        timings["pagerank"] = time.perf_counter() - t0
        methods["pagerank"] = {"method": "power iteration", "alpha": 0.85, "weighted": True}
    if {"constraint", "clustering"} & set(measures):
        t0 = time.perf_counter()
        tri = be.triangles(A)
        tab.attrs["triangles"] = tri
        timings["triangles"] = time.perf_counter() - t0
        if "clustering" in measures:
            t0 = time.perf_counter()
            tcount = np.bincount(tri.ravel(), minlength=n).astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                tab["clustering"] = np.where(deg > 1, 2 * tcount / (deg * (deg - 1.0)), 0.0)
            timings["clustering"] = time.perf_counter() - t0
            methods["clustering"] = {"method": "exact", "triangles": int(len(tri))}
        if "constraint" in measures:
            t0 = time.perf_counter()
            tab["constraint"] = burt_constraint(graph, tri=tri)
            timings["constraint"] = time.perf_counter() - t0
            methods["constraint"] = {"method": "exact", "weighted": True, "order": "ascending"}


def _median_rse_top20(val: np.ndarray, se: np.ndarray) -> tuple[float, float]:
    """(median, max) relative SE of the 20 largest values (NaN when none is defined)."""
    order = np.argsort(-val, kind="stable")[:20]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = se[order] / val[order]
    rel = rel[np.isfinite(rel)]
    if not len(rel):
        return float("nan"), float("nan")
    return float(np.median(rel)), float(np.max(rel))


def _sample_to_precision(A, n: int, step: int, target: float, k_max: int, rng, use_betweenness: bool,
                         comp: np.ndarray, progress) -> tuple[be.SourcePass, bool, tuple]:
    """Sources in rounds of ``step`` (a random permutation's prefix) until the target is met.

    Returns the merged pass, whether the target was met, and the (values, SEs) of the
    measure the rule watched."""
    order = rng.permutation(n)
    k_max = min(int(k_max), n)
    acc = None
    used = 0
    while True:
        take = order[used:min(used + step, k_max)]
        q = be.brandes_pass(A, np.sort(take))
        used += len(take)
        if acc is None:
            acc = q
        else:
            acc = be.SourcePass(np.concatenate([acc.sources, q.sources]), acc.dep_sum + q.dep_sum,
                                acc.dep_sumsq + q.dep_sumsq, acc.dist_sum + q.dist_sum,
                                acc.dist_sumsq + q.dist_sumsq, acc.n_reach + q.n_reach)
        if use_betweenness:
            val, se = be.rescale_betweenness(acc, n, sampled=True)
        else:
            val, se = sampled_closeness(A, acc, comp)
        med, _ = _median_rse_top20(val, se)
        if progress is not None:
            progress(used, med)
        reached = bool(np.isfinite(med) and med <= target)
        if reached or used >= k_max:
            return acc, reached, (val, se)


def _sampled_statement(name: str, val: np.ndarray, se: np.ndarray, k: int) -> dict:
    med, mx = _median_rse_top20(val, se)
    est = ("Brandes–Pich k-source estimator (networkx's), SE from the per-source dependencies"
           if name == "betweenness" else
           "Eppstein–Wang sampled distance sums per component, SE by the delta method")
    return {"method": "sampled", "k": int(k), "estimator": est, "se_column": f"{name}_se",
            "median_relative_se_top20": med, "max_relative_se_top20": mx}


def _paths_statement(val, se, paths: be.PathSample, target) -> dict:
    med, mx = _median_rse_top20(val, se)
    out = {"method": "sampled paths", "n_paths": int(paths.n_samples),
           "estimator": "share of uniformly random shortest paths between random pairs on which "
                        "the node lies inside (Riondato–Kornaropoulos; balanced bidirectional BFS), "
                        "× n/(n−2) to networkx's normalisation; binomial SE",
           "se_column": "betweenness_se", "median_relative_se_top20": med, "max_relative_se_top20": mx}
    if target is not None:
        out.update(target_rse=float(target), target_reached=bool(paths.target_reached))
    return out


def bipartite_centralities(graph: OrgGraph, top) -> pd.DataFrame:
    """Degree, betweenness and closeness of a two-mode graph, normalised as in
    :mod:`networkx.algorithms.bipartite.centrality` (Borgatti & Halgin 2011): each node is
    scaled by the maximum possible in a bipartite graph with the two sides' sizes.

    Parameters
    ----------
    graph : OrgGraph
        A bipartite graph (e.g. people and sessions).
    top : iterable of str
        The ``org_id`` of the nodes on one side.

    Returns
    -------
    DataFrame
        ``org_id``, ``side`` (0 = top), ``degree``, ``betweenness``, ``closeness``.

    Examples
    --------
    >>> import networkx as nx
    >>> from kexie_research.networks.graphs import graph_from_networkx
    >>> t = bipartite_centralities(graph_from_networkx(nx.path_graph(4)), ["1", "3"])
    >>> t["betweenness"].tolist(), t["closeness"].round(4).tolist()
    ([0.0, 1.0, 1.0, 0.0], [0.6667, 1.0, 1.0, 0.6667])
    """
    top = set(map(str, top))
    ids = graph.nodes[ORG_ID].astype(str).to_numpy()
    is_top = np.array([i in top for i in ids])
    n_top, n_bot = int(is_top.sum()), int((~is_top).sum())
    if n_top == 0 or n_bot == 0:
        raise AnalysisError("both sides of the bipartite graph need nodes")
    A = graph.adjacency
    u = graph.edges["u"].to_numpy()
    v = graph.edges["v"].to_numpy()
    if (is_top[u] == is_top[v]).any():
        raise AnalysisError("the graph is not bipartite for the given top nodes")
    deg = np.diff(A.indptr).astype(float)
    degree = np.where(is_top, deg / n_bot, deg / n_top)

    def bet_max(n, m):
        s, t = divmod(n - 1, m)
        return ((m**2) * ((s + 1) ** 2) + m * (s + 1) * (2 * t - s - 1) - t * (2 * s - t + 3)) / 2.0

    p = be.brandes_pass(A, np.arange(graph.n_nodes))
    raw = p.dep_sum / 2.0
    bet = np.where(is_top, raw / bet_max(n_top, n_bot), raw / bet_max(n_bot, n_top))
    N = graph.n_nodes
    num = np.where(is_top, n_bot + 2 * (n_top - 1), n_top + 2 * (n_bot - 1)).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        clo = np.where(p.dist_sum > 0, num / p.dist_sum * (p.n_reach - 1) / (N - 1), 0.0)
    return pd.DataFrame({ORG_ID: ids, "side": np.where(is_top, 0, 1), "degree": degree,
                         "betweenness": bet, "closeness": clo})
