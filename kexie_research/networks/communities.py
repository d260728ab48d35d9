"""Communities by modularity maximisation (Louvain), and modularity itself.

Small graphs (at most ``NX_MAX_EDGES`` edges) use
:func:`networkx.community.louvain_communities` with the given seed; larger ones
networkit's PLM — the Louvain method of Blondel et al. with a refinement phase, run
sequentially with the seed so that results repeat. Both maximise the same modularity
(Newman 2006) with resolution γ:

``Q = Σ_c [ L_c / m − γ (d_c / 2m)² ]``

(L_c the weight inside community c, d_c its total strength, m the total weight), computed
here with sparse sums and checked against :func:`networkx.community.modularity`.

Louvain can return communities whose members are not connected inside the community [3]_.
``connected=True`` splits every such community into its connected parts, which always
raises modularity (the parts share no edge, and the expected-edge penalty of one community
exceeds that of its parts) and is deterministic. The Leiden algorithm [3]_ would guarantee
more (well-connected communities) but is not offered: networkx only dispatches it to other
backends, and networkit's ParallelLeiden draws from a generator that cannot be seeded (its
partition changes from run to run, even on one thread), which would break reproducibility.

References
----------
.. [1] V. D. Blondel, J.-L. Guillaume, R. Lambiotte & E. Lefebvre, "Fast unfolding of
   communities in large networks", J. Stat. Mech. (2008) P10008.
.. [2] M. E. J. Newman, "Modularity and community structure in networks", PNAS 103 (2006).
.. [3] V. A. Traag, L. Waltman & N. J. van Eck, "From Louvain to Leiden: guaranteeing
   well-connected communities", Sci. Rep. 9, 5233 (2019).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..schema import ORG_ID
from . import backend as be
from ._common import check_choice
from .graphs import OrgGraph

__all__ = ["NX_MAX_EDGES", "CommunityResult", "detect_communities", "connect_communities",
           "modularity", "disconnected_communities"]

NX_MAX_EDGES = 60_000


@dataclass(frozen=True)
class CommunityResult:
    """A partition of the nodes.

    Attributes
    ----------
    labels : ndarray
        Community of each node (0 = largest community).
    sizes : DataFrame
        ``community``, ``size`` and the most common ``type`` and ``province`` in it.
    modularity : float
    engine : str
        ``"networkx"`` or ``"networkit"``.
    resolution : float
    seed : int
    connected : bool
        Whether disconnected communities were split into their connected parts.
    n_split : int
        How many of Louvain's communities were not internally connected (and, with
        ``connected``, were split).
    """

    labels: np.ndarray
    sizes: pd.DataFrame
    modularity: float
    engine: str
    resolution: float
    seed: int
    connected: bool = False
    n_split: int = 0

    @property
    def n_communities(self) -> int:
        return int(len(self.sizes))

    def to_dict(self, top: int = 10) -> dict:
        return {"n_communities": self.n_communities, "modularity": self.modularity,
                "connected": self.connected, "disconnected_louvain_communities": self.n_split,
                "engine": self.engine, "resolution": self.resolution, "seed": self.seed,
                "largest": self.sizes.head(top).to_dict("records")}


def modularity(A: sp.csr_array, labels, *, resolution: float = 1.0) -> float:
    """Newman's weighted modularity of a partition given as node labels.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.barbell_graph(4, 0)
    >>> A = nx.to_scipy_sparse_array(G, format="csr")
    >>> lab = [0] * 4 + [1] * 4
    >>> round(modularity(A, lab), 6) == round(nx.community.modularity(G, [set(range(4)), set(range(4, 8))]), 6)
    True
    """
    A = sp.csr_array(A, dtype=np.float64)
    lab = np.asarray(labels)
    _, lab = np.unique(lab, return_inverse=True)
    two_m = A.sum()
    if two_m == 0:
        return float("nan")
    coo = A.tocoo()
    inside = coo.data[lab[coo.row] == lab[coo.col]].sum()
    strength = np.asarray(A.sum(axis=1)).ravel()
    d = np.bincount(lab, weights=strength)
    return float(inside / two_m - resolution * np.sum((d / two_m) ** 2))


def detect_communities(graph: OrgGraph, *, method: str = "louvain", resolution: float = 1.0,
                       seed: int = 0, engine: str = "auto", connected: bool = False) -> CommunityResult:
    """Louvain communities with their modularity.

    Parameters
    ----------
    graph : OrgGraph
    method : {"louvain"}
    resolution : float
        γ of the modularity (1 = standard).
    seed : int
        Seed of the node-order randomisation.
    engine : {"auto", "networkx", "networkit"}
        ``auto``: networkx up to :data:`NX_MAX_EDGES` edges, networkit above.
    connected : bool
        Split each community that is not connected through its own edges into its connected
        parts (deterministic; modularity can only rise). The number of such communities is
        reported as ``n_split`` either way.

    Returns
    -------
    CommunityResult

    Examples
    --------
    >>> import networkx as nx
    >>> from kexie_research.networks.graphs import graph_from_networkx
    >>> r = detect_communities(graph_from_networkx(nx.karate_club_graph()), seed=1)
    >>> r.engine, r.modularity > 0.38
    ('networkx', True)

    A community that Louvain leaves disconnected is split with ``connected=True`` (or
    :func:`connect_communities` on a result):

    >>> g = graph_from_networkx(nx.path_graph(4))
    >>> r = detect_communities(g, seed=1)
    >>> bad = dataclasses.replace(r, labels=np.array([0, 1, 1, 0]))   # as if Louvain had said so
    >>> disconnected_communities(g, bad.labels), connect_communities(g, bad).labels.tolist()
    ([0], [1, 0, 0, 2])
    """
    check_choice(method, ("louvain",), "method")
    check_choice(engine, ("auto", "networkx", "networkit"), "engine")
    A = graph.adjacency
    n = graph.n_nodes
    if engine == "auto":
        engine = "networkx" if graph.n_edges <= NX_MAX_EDGES or not be.has_networkit() else "networkit"
    if n == 0:
        lab = np.zeros(0, dtype=np.int64)
    elif engine == "networkx":
        G = nx.Graph()
        G.add_nodes_from(range(n))
        coo = sp.triu(A, 1).tocoo()
        G.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
        parts = nx.community.louvain_communities(G, weight="weight", resolution=resolution,
                                                 seed=seed)
        lab = np.empty(n, dtype=np.int64)
        for i, part in enumerate(parts):
            lab[list(part)] = i
    else:
        lab = be.louvain_networkit(A, resolution=resolution, seed=seed)
    bad = _disconnected(lab, _inside_components(A, lab)) if n else []
    result = _result(graph, lab, engine, resolution, seed, connected=False, n_split=len(bad))
    return connect_communities(graph, result) if connected else result


def connect_communities(graph: OrgGraph, result: CommunityResult) -> CommunityResult:
    """``result`` with each community that is not internally connected split into its
    connected parts (the same as ``detect_communities(..., connected=True)``, without
    running Louvain again).

    Splitting always raises modularity: the parts share no edge, and the expected-edge
    penalty of one community, γ(d_a + d_b)²/(2m)², exceeds that of its parts by
    2γ·d_a·d_b/(2m)².
    """
    lab = result.labels
    if len(lab) != graph.n_nodes:
        raise ValueError(f"the result has {len(lab)} labels for a graph of {graph.n_nodes} nodes")
    if len(lab):
        comp = _inside_components(graph.adjacency, lab)
        if _disconnected(lab, comp):
            _, lab = np.unique(np.stack([lab, comp]), axis=1, return_inverse=True)
            lab = lab.ravel()
    return _result(graph, lab, result.engine, result.resolution, result.seed, connected=True,
                   n_split=result.n_split)


def _result(graph: OrgGraph, lab: np.ndarray, engine: str, resolution: float, seed: int, *,
            connected: bool, n_split: int) -> CommunityResult:
    """Relabel (largest community first, ties by smallest member index) and summarise."""
    A = graph.adjacency
    n = graph.n_nodes
    if n:
        _, lab = np.unique(lab, return_inverse=True)
        size = np.bincount(lab)
        first = np.full(len(size), n)
        np.minimum.at(first, lab, np.arange(n))
        order = np.lexsort((first, -size))
        relabel = np.empty(len(size), dtype=np.int64)
        relabel[order] = np.arange(len(size))
        lab = relabel[lab]
    q = modularity(A, lab, resolution=resolution) if n else float("nan")
    k = int(lab.max()) + 1 if n else 0
    size = np.bincount(lab, minlength=k)

    def _mode(col):
        vals = graph.nodes[col].to_numpy(dtype=object)
        ok = pd.notna(vals)
        codes, uniq = pd.factorize(pd.Series(vals[ok]), sort=True)
        if not len(uniq):
            return [None] * k
        cnt = np.zeros((k, len(uniq)), dtype=np.int64)
        np.add.at(cnt, (lab[ok], codes), 1)
        best = cnt.argmax(axis=1)  # ties: the first in sorted order, as Series.mode
        return [uniq[b] if cnt[c, b] > 0 else None for c, b in enumerate(best)]

    first = np.full(k, n)
    np.minimum.at(first, lab, np.arange(n))
    sizes = pd.DataFrame({"community": np.arange(k), "size": size, "top_type": _mode("type"),
                          "top_province": _mode("province"),
                          "example": graph.nodes[ORG_ID].to_numpy(dtype=object)[first] if k else []})
    return CommunityResult(lab, sizes, q, engine, float(resolution), int(seed), bool(connected), int(n_split))


def _disconnected(lab: np.ndarray, comp: np.ndarray) -> list[int]:
    """Communities whose members lie in more than one component of the inside-edge graph."""
    pairs = np.unique(np.stack([lab, comp]), axis=1)
    counts = np.bincount(pairs[0], minlength=int(lab.max()) + 1 if len(lab) else 0)
    return [int(c) for c in np.flatnonzero(counts > 1)]


def _inside_components(A, lab: np.ndarray) -> np.ndarray:
    """Connected-component label of each node in the graph of edges inside communities."""
    n = len(lab)
    coo = sp.triu(A, 1).tocoo()
    inside = lab[coo.row] == lab[coo.col]
    sub = sp.coo_array((np.ones(int(inside.sum())), (coo.row[inside], coo.col[inside])), shape=(n, n))
    return connected_components(sub, directed=False)[1]


def disconnected_communities(graph: OrgGraph, labels) -> list[int]:
    """Communities whose members are not connected through edges inside the community.

    Louvain may return such communities (Traag et al. 2019); ``detect_communities(...,
    connected=True)`` splits them.

    Examples
    --------
    >>> import networkx as nx
    >>> from kexie_research.networks.graphs import graph_from_networkx
    >>> g = graph_from_networkx(nx.path_graph(4))
    >>> disconnected_communities(g, [0, 1, 1, 0])   # {0, 3} has no edge inside
    [0]
    """
    lab = np.asarray(labels, dtype=np.int64)
    if len(lab) != graph.n_nodes:
        raise ValueError(f"labels has {len(lab)} entries for a graph of {graph.n_nodes} nodes")
    if not len(lab):
        return []
    # a community is connected iff all its members share one component of the inside-edge graph
    return _disconnected(lab, _inside_components(graph.adjacency, lab))
