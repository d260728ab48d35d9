"""Brokerage between organisation types: Gould–Fernandez roles and Burt's constraint.

Gould–Fernandez roles
---------------------
A node ``v`` *brokers* an ordered pair ``(a, c)`` when a→v and v→c are ties, ``a ≠ c``
and a→c is not (the two-path is open). With groups (here organisation types) the pair is
one of five roles (Gould & Fernandez 1989):

============== ============================ =====================================
role           groups                       reading
============== ============================ =====================================
coordinator    g(a) = g(v) = g(c)           brokers inside its own group
consultant     g(a) = g(c) ≠ g(v)           (itinerant) brokers for another group
representative g(a) = g(v) ≠ g(c)           speaks for its group to outsiders
gatekeeper     g(a) ≠ g(v) = g(c)           lets outsiders into its group
liaison        g(a), g(v), g(c) all differ  links two other groups
============== ============================ =====================================

Undirected graphs are read as symmetric digraphs: each tie counts in both directions, so
every open pair a–v–c is counted twice (a→v→c and c→v→a) and representative equals
gatekeeper. This is the convention of statnet's ``brokerage`` on a symmetric network.
The *expected* count of each role is the node's number of open ordered pairs times the
probability of the role if group labels were assigned at random with the observed group
sizes (Gould & Fernandez's null model); observed / expected > 1 marks a role played more
than chance.

Burt's constraint
-----------------
``c_i = Σ_{j ∈ N(i)} (p_ij + Σ_{q} p_iq p_qj)²`` with ``p_ij`` the share of i's tie
weight that goes to j (Burt 1992, *Structural Holes*, ch. 2). Low constraint = a broker
spanning structural holes. Values equal :func:`networkx.constraint`; isolates get NaN.

References
----------
.. [1] R. V. Gould & R. M. Fernandez, "Structures of mediation: a formal approach to
   brokerage in transaction networks", Sociological Methodology 19 (1989) 89–126.
.. [2] R. S. Burt, *Structural Holes: The Social Structure of Competition*, Harvard
   University Press (1992).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..schema import ORG_ID
from . import backend as be
from .graphs import OrgGraph

__all__ = ["ROLES", "BrokerageResult", "compute_brokerage", "brokerage_reference",
           "burt_constraint"]

ROLES: tuple[str, ...] = ("coordinator", "consultant", "representative", "gatekeeper", "liaison")


def _role_code(gv, ga, gc):
    """Vectorised role index (see ROLES) of ordered pairs (a, c) around v."""
    gv, ga, gc = np.broadcast_arrays(gv, ga, gc)
    code = np.full(gv.shape, 4, dtype=np.int64)
    code[(ga == gv) & (gc == gv)] = 0
    code[(ga == gc) & (ga != gv)] = 1
    code[(ga == gv) & (gc != gv)] = 2
    code[(ga != gv) & (gc == gv)] = 3
    return code


@dataclass(frozen=True)
class BrokerageResult:
    """Gould–Fernandez role counts.

    Attributes
    ----------
    by_node : DataFrame
        ``org_id``, ``group`` and, per role, the observed count and ``<role>_expected``;
        ``open_pairs`` (ordered) and ``total`` brokerage.
    by_group : DataFrame
        Per broker group and role: observed, expected, ratio.
    directed : bool
    """

    by_node: pd.DataFrame
    by_group: pd.DataFrame
    directed: bool

    def to_dict(self) -> dict:
        return {"directed": self.directed,
                "by_group": self.by_group.to_dict("records"),
                "totals": {r: int(self.by_node[r].sum()) for r in ROLES}}


def _expected_probs(groups: np.ndarray, n_groups: int) -> np.ndarray:
    """P(role | broker group) for a random ordered pair of two other distinct nodes."""
    n = len(groups)
    size = np.bincount(groups, minlength=n_groups).astype(float)
    probs = np.zeros((n_groups, 5))
    if n < 3:
        return probs
    for g in range(n_groups):
        s = size.copy()
        s[g] -= 1  # the broker itself is not in the pair
        tot = (n - 1) * (n - 2)
        own = s[g]
        others = s.sum() - own
        probs[g, 0] = own * (own - 1) / tot
        probs[g, 1] = (np.sum(s * (s - 1)) - own * (own - 1)) / tot
        probs[g, 2] = own * others / tot
        probs[g, 3] = others * own / tot
        probs[g, 4] = (others**2 - (np.sum(s**2) - own**2)) / tot
    return probs


def _assemble(ids, group_labels, codes, counts, open_pairs, directed) -> BrokerageResult:
    n_groups = len(group_labels)
    probs = _expected_probs(codes, n_groups)
    by_node = pd.DataFrame({ORG_ID: ids, "group": np.asarray(group_labels, dtype=object)[codes]})
    for r, name in enumerate(ROLES):
        by_node[name] = counts[:, r].astype(np.int64)
    by_node["total"] = counts.sum(axis=1).astype(np.int64)
    by_node["open_pairs"] = open_pairs.astype(np.int64)
    exp = open_pairs[:, None] * probs[codes]
    for r, name in enumerate(ROLES):
        by_node[f"{name}_expected"] = exp[:, r]
    rows = []
    for gi, gname in enumerate(group_labels):
        m = codes == gi
        if not m.any():
            continue
        for r, name in enumerate(ROLES):
            o = float(counts[m, r].sum())
            e = float(exp[m, r].sum())
            rows.append({"group": gname, "role": name, "n_brokers": int(m.sum()),
                         "observed": o, "expected": e,
                         "ratio": o / e if e > 0 else float("nan")})
    return BrokerageResult(by_node, pd.DataFrame(rows), directed)


def compute_brokerage(graph: OrgGraph, *, by: str = "type",
                      tri: np.ndarray | None = None) -> BrokerageResult:
    """Gould–Fernandez brokerage roles of every node, groups from a node column.

    Vectorised through the triangle list: for node v the ordered neighbour pairs of each
    role follow from the neighbours' group counts; closed pairs (a ~ c) are removed with
    the triangles through v.

    Parameters
    ----------
    graph : OrgGraph
    by : str
        Node column giving the groups (``"type"``, ``"province"``, ``"region"``...).
    tri : ndarray, optional
        The graph's triangles (:func:`backend.triangles`) if already listed.

    Returns
    -------
    BrokerageResult

    Examples
    --------
    >>> import networkx as nx
    >>> from kexie_research.networks.graphs import graph_from_networkx
    >>> G = nx.path_graph(3)
    >>> nx.set_node_attributes(G, {0: "e", 1: "u", 2: "e"}, "type")
    >>> r = compute_brokerage(graph_from_networkx(G))
    >>> r.by_node.loc[1, ["consultant", "liaison"]].tolist()   # a–v–c and c–v–a
    [2, 0]
    """
    n = graph.n_nodes
    labels_raw = graph.nodes[by].astype(object).where(graph.nodes[by].notna(), "(unknown)")
    group_labels, codes = np.unique(labels_raw.astype(str).to_numpy(), return_inverse=True)
    G = len(group_labels)
    A = sp.csr_array((graph.adjacency != 0).astype(np.float64))
    onehot = sp.csr_array((np.ones(n), (np.arange(n), codes)), shape=(n, G))
    N = np.asarray((A @ onehot).todense())
    own = N[np.arange(n), codes]
    deg = N.sum(axis=1)
    other = deg - own
    sq_other = (N**2).sum(axis=1) - own**2
    total = np.column_stack([own * (own - 1),
                             sq_other - (other),  # Σ_{p≠g} N_p (N_p − 1)
                             own * other, other * own,
                             other**2 - sq_other])
    if tri is None:
        tri = be.triangles(A)
    closed = np.zeros((n, 5))
    if len(tri):
        for v, a, c in ((0, 1, 2), (1, 0, 2), (2, 0, 1)):
            vv, aa, cc = tri[:, v], tri[:, a], tri[:, c]
            for x, y in ((aa, cc), (cc, aa)):
                code = _role_code(codes[vv], codes[x], codes[y])
                closed += np.bincount(vv * 5 + code, minlength=n * 5).reshape(n, 5)
    counts = total - closed
    open_pairs = deg * (deg - 1) - closed.sum(axis=1)
    return _assemble(graph.nodes[ORG_ID].to_numpy(), group_labels, codes, counts,
                     open_pairs, directed=False)


def brokerage_reference(G: nx.Graph, groups: dict) -> BrokerageResult:
    """Gould–Fernandez roles by direct enumeration of two-paths (directed or undirected).

    Slow (Σ deg_in·deg_out per node); for small graphs, directed graphs and tests.
    """
    nodes = list(G.nodes())
    labels = np.unique(np.array([str(groups[v]) for v in nodes], dtype=object).astype(str))
    code_of = {lab: i for i, lab in enumerate(labels)}
    codes = np.array([code_of[str(groups[v])] for v in nodes])
    gi = dict(zip(nodes, codes))
    counts = np.zeros((len(nodes), 5))
    open_pairs = np.zeros(len(nodes))
    directed = G.is_directed()
    for i, v in enumerate(nodes):
        preds = G.predecessors(v) if directed else G.neighbors(v)
        succs = list(G.successors(v) if directed else G.neighbors(v))
        for a in preds:
            for c in succs:
                if a == c or a == v or c == v or G.has_edge(a, c):
                    continue
                open_pairs[i] += 1
                counts[i, _role_code(np.array(gi[v]), np.array(gi[a]), np.array(gi[c]))] += 1
    return _assemble(np.array([str(v) for v in nodes], dtype=object), labels, codes, counts,
                     open_pairs, directed)


def burt_constraint(graph: OrgGraph, *, tri: np.ndarray | None = None) -> np.ndarray:
    """Burt's constraint of every node (weighted by tie weights), as :func:`networkx.constraint`.

    Examples
    --------
    >>> import networkx as nx
    >>> from kexie_research.networks.graphs import graph_from_networkx
    >>> G = nx.star_graph(3)          # the hub spans three holes: 3 × (1/3)² = 1/3
    >>> round(float(burt_constraint(graph_from_networkx(G))[0]), 4)
    0.3333
    """
    A = sp.csr_array(graph.adjacency, dtype=np.float64)
    A.sort_indices()
    n = A.shape[0]
    s = np.asarray(A.sum(axis=1)).ravel()
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(A.indptr))
    cols = A.indices.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        P = A.data / s[rows]
    keys = rows * n + cols
    indirect = np.zeros(len(keys))
    if tri is None:
        tri = be.triangles(A)
    if len(tri):
        def pos(i, j):
            return np.searchsorted(keys, i * n + j)

        for x, y, z in ((0, 1, 2), (0, 2, 1), (1, 2, 0)):
            i, j, q = tri[:, x], tri[:, y], tri[:, z]
            np.add.at(indirect, pos(i, j), P[pos(i, q)] * P[pos(q, j)])
            np.add.at(indirect, pos(j, i), P[pos(j, q)] * P[pos(q, i)])
    local = (P + indirect) ** 2
    c = np.bincount(rows, weights=local, minlength=n).astype(float)
    c[np.diff(A.indptr) == 0] = np.nan
    return c
