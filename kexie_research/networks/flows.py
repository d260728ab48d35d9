"""Aggregated flows: type × type and province × province tie matrices.

For a national graph a node-link drawing is a hairball; the aggregated matrix is the
figure. Each undirected edge adds its weight (or 1 with ``value="edges"``) to the cell of
its two ends' groups, symmetrically (a within-group edge adds to the diagonal once).
``ratio`` divides by the count expected if ties joined nodes at random in proportion to
the groups' total strength (the configuration-model expectation, as in modularity):
> 1 means the two groups tie more than chance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._common import check_choice
from .graphs import OrgGraph

__all__ = ["FlowMatrix", "flow_matrix"]


@dataclass(frozen=True)
class FlowMatrix:
    """A symmetric group × group matrix.

    Attributes
    ----------
    by : str
    value : str
        ``"weight"`` or ``"edges"``.
    matrix : DataFrame
        Totals, groups in rows and columns (sorted by total, largest first).
    ratio : DataFrame
        Observed / expected under random mixing by strength.
    within_share : float
        Share of the total on the diagonal.
    """

    by: str
    value: str
    matrix: pd.DataFrame
    ratio: pd.DataFrame
    within_share: float

    def to_dict(self) -> dict:
        return {"by": self.by, "value": self.value, "within_share": self.within_share,
                "groups": list(map(str, self.matrix.index)),
                "matrix": self.matrix.to_numpy().tolist()}


def flow_matrix(graph: OrgGraph, by: str = "type", *, value: str = "weight",
                unknown: str = "(national)", top: int | None = None) -> FlowMatrix:
    """Group × group totals of ties.

    Parameters
    ----------
    graph : OrgGraph
    by : str
        Node column (``"type"``, ``"province"``, ``"region"``, ``"level"``).
    value : {"weight", "edges"}
    unknown : str
        Label of nodes without a value (national bodies have no province).
    top : int, optional
        Keep the ``top`` groups by total and pool the rest as "(other)".

    Returns
    -------
    FlowMatrix

    Examples
    --------
    >>> import pandas as pd
    >>> from kexie_research.networks.graphs import build_graph
    >>> orgs = pd.DataFrame({"org_id": list("abc"), "type": ["e", "e", "u"]})
    >>> links = pd.DataFrame({"source_id": ["a", "a"], "target_id": ["b", "c"]})
    >>> flow_matrix(build_graph(orgs, links), value="edges").matrix.values.tolist()
    [[1.0, 1.0], [1.0, 0.0]]
    """
    check_choice(value, ("weight", "edges"), "value")
    vals = graph.nodes[by].astype(object)
    lab = np.array([str(v) if pd.notna(v) else unknown for v in vals], dtype=object)
    e = graph.edges
    u, v = e["u"].to_numpy(), e["v"].to_numpy()
    w = e["weight"].to_numpy(dtype=float) if value == "weight" else np.ones(len(e))
    groups, codes = np.unique(lab, return_inverse=True)
    k = len(groups)
    M = np.zeros((k, k))
    np.add.at(M, (codes[u], codes[v]), w)
    off = codes[u] != codes[v]
    np.add.at(M, (codes[v][off], codes[u][off]), w[off])
    tot = M.sum(axis=1) + np.diag(M)  # strength per group (within edges count twice)
    order = np.lexsort((groups, -tot))
    groups, M, tot = groups[order], M[np.ix_(order, order)], tot[order]
    if top is not None and k > top:
        keep = np.arange(top)
        rest = np.arange(top, k)
        M2 = np.zeros((top + 1, top + 1))
        M2[:top, :top] = M[np.ix_(keep, keep)]
        M2[:top, top] = M[np.ix_(keep, rest)].sum(axis=1)
        M2[top, :top] = M2[:top, top]
        M2[top, top] = M[np.ix_(rest, rest)].sum() - np.triu(M[np.ix_(rest, rest)], 1).sum()
        groups = np.concatenate([groups[:top], ["(other)"]])
        M = M2
        tot = M.sum(axis=1) + np.diag(M)
    total = np.triu(M).sum()
    two_m = tot.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        exp = np.outer(tot, tot) / two_m  # expected ordered-pair weight
        exp[np.diag_indices_from(exp)] /= 2.0
        ratio = M / exp
    idx = pd.Index(groups, name=by)
    return FlowMatrix(by, value, pd.DataFrame(M, index=idx, columns=idx),
                      pd.DataFrame(ratio, index=idx, columns=idx),
                      float(np.trace(M) / total) if total else float("nan"))
