"""Typed graphs from the organisations and links tables, and the representatives ×
sessions affiliation network with its weighted projections.

An :class:`OrgGraph` is undirected and simple: parallel links between two organisations
(several projects, a membership and a project...) collapse into one edge whose ``weight``
is the sum of the links' weights and whose ``n_links`` counts them. Nodes keep their type,
level, province and region, so every measure can be broken down by them. The adjacency is
a :class:`scipy.sparse.csr_array` (row ``i`` = node ``i``) for the fast kernels in
:mod:`kexie_research.networks.backend`; :meth:`OrgGraph.to_networkx` gives the same graph to
networkx.

An :class:`AffiliationNetwork` is the two-mode graph representatives × sessions of the
attendance table (Breiger 1974, "The duality of persons and groups"); its projections
count shared sessions (person × person: who met whom) and shared people (session ×
session).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import AnalysisError, DataValidationError
from ..regions import province_region
from ..schema import ORG_ID, PROVINCE, REP_ID, SOURCE_ID, TARGET_ID, TRAINING_ID
from ._common import as_str_id, bool_array, require_columns

__all__ = ["OrgGraph", "AffiliationNetwork", "build_graph", "build_affiliation",
           "graph_from_networkx", "consortium_graph", "TypeAffiliation", "type_affiliation"]


@dataclass(frozen=True)
class OrgGraph:
    """An undirected weighted organisation graph.

    Attributes
    ----------
    nodes : DataFrame
        One row per node in index order 0..n−1: ``org_id``, ``type``, ``level``,
        ``province``, ``region`` (and ``name`` when known).
    edges : DataFrame
        One row per collapsed edge: ``u`` < ``v`` (node indices), ``source_id``,
        ``target_id``, ``weight`` (sum), ``n_links``, ``first_year``, ``kind`` (most common).
    adjacency : csr_array
        Symmetric weighted adjacency (n × n).
    links : DataFrame
        The links used (after filters), with node indices ``u``/``v`` — for analyses of
        collaborations (triple helix) that need the raw rows.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    adjacency: sp.csr_array = field(repr=False)
    links: pd.DataFrame = field(repr=False)

    @property
    def n_nodes(self) -> int:
        return int(len(self.nodes))

    @property
    def n_edges(self) -> int:
        return int(len(self.edges))

    @property
    def density(self) -> float:
        n = self.n_nodes
        return 0.0 if n < 2 else 2.0 * self.n_edges / (n * (n - 1))

    def index_of(self) -> dict[str, int]:
        """org_id → node index."""
        return dict(zip(self.nodes[ORG_ID], range(self.n_nodes)))

    def to_networkx(self, *, weight: bool = True) -> nx.Graph:
        """The same graph in networkx, nodes named by ``org_id`` with their attributes."""
        G = nx.Graph()
        ids = self.nodes[ORG_ID].tolist()
        for rec in self.nodes.to_dict("records"):
            G.add_node(rec[ORG_ID], **{k: v for k, v in rec.items() if k != ORG_ID})
        u = self.edges["u"].to_numpy()
        v = self.edges["v"].to_numpy()
        w = self.edges["weight"].to_numpy() if weight else np.ones(len(u))
        G.add_weighted_edges_from((ids[a], ids[b], float(c)) for a, b, c in zip(u, v, w))
        return G

    def subgraph(self, mask) -> "OrgGraph":
        """The graph induced by the nodes where ``mask`` is true (re-indexed)."""
        mask = np.asarray(mask, dtype=bool)
        keep = np.flatnonzero(mask)
        new = np.full(self.n_nodes, -1, dtype=np.int64)
        new[keep] = np.arange(len(keep))
        e = self.edges
        ek = mask[e["u"].to_numpy()] & mask[e["v"].to_numpy()]
        edges = e[ek].copy()
        edges["u"] = new[edges["u"].to_numpy()]
        edges["v"] = new[edges["v"].to_numpy()]
        lk = self.links
        lk = lk[mask[lk["u"].to_numpy()] & mask[lk["v"].to_numpy()]].copy()
        lk["u"] = new[lk["u"].to_numpy()]
        lk["v"] = new[lk["v"].to_numpy()]
        nodes = self.nodes.iloc[keep].reset_index(drop=True)
        return OrgGraph(nodes, edges.reset_index(drop=True),
                        _adjacency(len(keep), edges), lk.reset_index(drop=True))

    def to_dict(self) -> dict:
        return {"nodes": self.n_nodes, "edges": self.n_edges, "density": self.density}


def _adjacency(n: int, edges: pd.DataFrame) -> sp.csr_array:
    u = edges["u"].to_numpy(dtype=np.int64)
    v = edges["v"].to_numpy(dtype=np.int64)
    w = edges["weight"].to_numpy(dtype=np.float64)
    A = sp.csr_array((np.concatenate([w, w]), (np.concatenate([u, v]), np.concatenate([v, u]))),
                     shape=(n, n))
    A.sum_duplicates()
    A.sort_indices()
    return A


def build_graph(organizations: pd.DataFrame, links: pd.DataFrame, *, kinds=None,
                years: tuple[int | None, int | None] | None = None,
                include_isolates: bool = True, file: str | None = None) -> OrgGraph:
    """Build the undirected organisation graph.

    Parameters
    ----------
    organizations : DataFrame
        Needs ``org_id`` and ``type``; ``level``, ``province``, ``name`` are used if present.
    links : DataFrame
        Needs ``source_id``, ``target_id``; ``weight`` (default 1), ``kind``, ``year`` and
        ``project_id`` are used if present.
    kinds : iterable of str, optional
        Keep only links of these kinds (e.g. ``("project", "joint_lab")``).
    years : (first, last), optional
        Keep links with ``first <= year <= last`` (either end may be ``None``).
    include_isolates : bool
        Keep organisations without any (kept) link as isolated nodes.
    file : str, optional
        The links file, named in errors. As in :func:`~.hierarchy.build_hierarchy`, an
        error's ``row`` is the link's index label when it is an integer (the 1-based data
        row for tables from :func:`kexie_research.validate.load_table`).

    Returns
    -------
    OrgGraph

    Raises
    ------
    DataValidationError
        A link names an organisation that is not in ``organizations``.

    Examples
    --------
    >>> import pandas as pd
    >>> orgs = pd.DataFrame({"org_id": ["a", "b", "c"], "type": ["enterprise", "university", "lab"]})
    >>> links = pd.DataFrame({"source_id": ["a", "a", "b"], "target_id": ["b", "b", "c"],
    ...                       "weight": [1.0, 2.0, 1.0]})
    >>> g = build_graph(orgs, links)
    >>> g.n_nodes, g.n_edges, g.edges["weight"].tolist()
    (3, 2, [3.0, 1.0])
    """
    require_columns(organizations, (ORG_ID, "type"), table="organizations")
    require_columns(links, (SOURCE_ID, TARGET_ID), table="links")
    ids = as_str_id(organizations[ORG_ID])
    if ids.isna().any():
        raise DataValidationError("an organisation has an empty org_id", column=ORG_ID,
                                  rule="required")
    dup = ids[ids.duplicated()]
    if len(dup):
        raise DataValidationError(f"org_id {dup.iloc[0]!r} appears more than once",
                                  column=ORG_ID, value=dup.iloc[0], rule="unique")
    nodes = pd.DataFrame({ORG_ID: ids.to_numpy(dtype=object)})
    nodes["type"] = organizations["type"].astype(object).to_numpy()
    for c in ("level", PROVINCE, "name"):
        if c in organizations.columns:
            col = organizations[c].astype(object)
            nodes[c] = col.where(pd.notna(col), None).to_numpy()
        elif c != "name":
            nodes[c] = None
    nodes["region"] = [(province_region(p) or "national") for p in nodes[PROVINCE]]
    lk = links.copy()
    lk[SOURCE_ID] = as_str_id(lk[SOURCE_ID])
    lk[TARGET_ID] = as_str_id(lk[TARGET_ID])
    if "weight" not in lk.columns:
        lk["weight"] = 1.0
    lk["weight"] = pd.to_numeric(lk["weight"], errors="coerce").fillna(1.0).astype(float)
    if kinds is not None and "kind" in lk.columns:
        lk = lk[lk["kind"].isin(list(kinds))]
    if years is not None and "year" in lk.columns:
        lo, hi = years
        y = pd.to_numeric(lk["year"], errors="coerce")
        keep = pd.Series(True, index=lk.index)
        if lo is not None:
            keep &= y >= lo
        if hi is not None:
            keep &= y <= hi
        lk = lk[keep.fillna(False).to_numpy(dtype=bool)]
    index = pd.Index(nodes[ORG_ID])
    u = index.get_indexer(lk[SOURCE_ID])
    v = index.get_indexer(lk[TARGET_ID])
    for arr, col in ((u, SOURCE_ID), (v, TARGET_ID)):
        bad = np.flatnonzero(arr < 0)
        if len(bad):
            label = lk.index[bad[0]]
            raise DataValidationError(
                f"link names organisation {lk[col].iloc[bad[0]]!r}, which is not in the "
                f"organizations table ({len(bad)} such links)", file=file,
                row=int(label) if isinstance(label, (int, np.integer)) else None, column=col,
                value=lk[col].iloc[bad[0]], rule="foreign_key")
    lk = lk.assign(u=np.minimum(u, v), v=np.maximum(u, v))
    lk = lk[(lk["u"] != lk["v"]).to_numpy()]
    n = len(nodes)
    key = lk["u"].to_numpy(dtype=np.int64) * max(n, 1) + lk["v"].to_numpy(dtype=np.int64)
    ukeys, eid = np.unique(key, return_inverse=True)
    E = len(ukeys)
    w = lk["weight"].to_numpy(dtype=float)
    edges = pd.DataFrame({"u": ukeys // max(n, 1), "v": ukeys % max(n, 1),
                          "weight": np.bincount(eid, weights=w, minlength=E),
                          "n_links": np.bincount(eid, minlength=E).astype(np.int64)})
    if "year" in lk.columns:
        yr = pd.to_numeric(lk["year"], errors="coerce").to_numpy(dtype=float)
        lk["year"] = yr
        fy = np.full(E, np.inf)
        np.minimum.at(fy, eid, np.where(np.isnan(yr), np.inf, yr))
        edges["first_year"] = np.where(np.isfinite(fy), fy, np.nan)
    if "kind" in lk.columns and len(lk):
        kc, kinds_u = pd.factorize(lk["kind"].astype(str), sort=True)
        cnt = np.zeros((E, len(kinds_u)), dtype=np.int64)
        np.add.at(cnt, (eid, kc), 1)
        edges["kind"] = np.asarray(kinds_u, dtype=object)[cnt.argmax(axis=1)]
    edges.insert(2, SOURCE_ID, nodes[ORG_ID].to_numpy()[edges["u"].to_numpy()])
    edges.insert(3, TARGET_ID, nodes[ORG_ID].to_numpy()[edges["v"].to_numpy()])
    g = OrgGraph(nodes, edges, _adjacency(len(nodes), edges), lk.reset_index(drop=True))
    if not include_isolates:
        deg = np.diff(g.adjacency.indptr)
        g = g.subgraph(deg > 0)
    return g


def graph_from_networkx(G: nx.Graph, *, type_attr: str = "type", weight: str | None = "weight") -> OrgGraph:
    """Wrap a networkx graph (nodes keep their names as ``org_id``) for the fast measures.

    Examples
    --------
    >>> g = graph_from_networkx(nx.karate_club_graph(), type_attr="club")
    >>> g.n_nodes, g.n_edges, sorted(set(g.nodes["type"]))
    (34, 78, ['Mr. Hi', 'Officer'])
    """
    names = list(G.nodes())
    orgs = pd.DataFrame({ORG_ID: [str(x) for x in names],
                         "type": [G.nodes[x].get(type_attr, "other") for x in names]})
    for attr in ("province", "level"):
        if any(attr in G.nodes[x] for x in names):
            orgs[attr] = [G.nodes[x].get(attr) for x in names]
    rows = [(str(a), str(b), float(d.get(weight, 1.0)) if weight else 1.0)
            for a, b, d in G.edges(data=True)]
    links = pd.DataFrame(rows, columns=[SOURCE_ID, TARGET_ID, "weight"])
    return build_graph(orgs, links)


@dataclass(frozen=True)
class AffiliationNetwork:
    """Representatives × sessions.

    Attributes
    ----------
    people, sessions : DataFrame
        One row each, in incidence order (``rep_id`` + ``province``/``region`` when known;
        ``training_id`` + ``start_date`` when known).
    incidence : csr_array
        people × sessions, 1 where the person attended.
    person_edges : DataFrame
        Weighted person projection: ``rep_a`` < ``rep_b``, ``n_shared`` sessions, and
        ``cross_province`` / ``cross_region`` flags (NA when a province is unknown).
    session_edges : DataFrame
        Weighted session projection: ``training_a``, ``training_b``, ``n_shared`` people.
    """

    people: pd.DataFrame
    sessions: pd.DataFrame
    incidence: sp.csr_array = field(repr=False)
    person_edges: pd.DataFrame
    session_edges: pd.DataFrame

    def bipartite_graph(self) -> nx.Graph:
        """networkx bipartite graph; people have ``bipartite=0``, sessions ``bipartite=1``."""
        G = nx.Graph()
        G.add_nodes_from(self.people[REP_ID], bipartite=0)
        G.add_nodes_from(self.sessions[TRAINING_ID], bipartite=1)
        coo = self.incidence.tocoo()
        p = self.people[REP_ID].to_numpy()
        s = self.sessions[TRAINING_ID].to_numpy()
        G.add_edges_from(zip(p[coo.row], s[coo.col]))
        return G

    def summary(self) -> dict:
        """Who met whom, and how many of those ties cross provinces and regions."""
        pe = self.person_edges
        deg = np.asarray(self.incidence.sum(axis=1)).ravel()
        out = {"people": int(len(self.people)), "sessions": int(len(self.sessions)),
               "attendances": int(self.incidence.nnz),
               "people_trained": int((deg > 0).sum()),
               "ties": int(len(pe)),
               "mean_contacts": float(2 * len(pe) / max(int((deg > 0).sum()), 1))}
        for c in ("cross_province", "cross_region"):
            known = pe[c].dropna()
            out[f"{c}_ties"] = int(known.sum())
            out[f"{c}_share"] = float(known.mean()) if len(known) else float("nan")
        out["cross_region_expected_share"] = self._expected_cross("region")
        return out

    def _expected_cross(self, col: str) -> float:
        """Share of co-attendee pairs in different groups if each session's attendees were
        drawn at random from all attendees (pairs weighted as in ``person_edges``)."""
        if col not in self.people.columns:
            return float("nan")
        g = self.people[col]
        att = np.asarray(self.incidence.sum(axis=1)).ravel() > 0
        vals = g[att & g.notna().to_numpy()]
        if len(vals) < 2:
            return float("nan")
        p = vals.value_counts(normalize=True).to_numpy()
        n = len(vals)
        same = (np.sum(p * (p * n - 1)) / (n - 1))
        return float(1 - same)


def build_affiliation(attendance: pd.DataFrame, representatives: pd.DataFrame | None = None,
                      trainings: pd.DataFrame | None = None, *, completed_only: bool = False) -> AffiliationNetwork:
    """The representatives × sessions network and its projections.

    Parameters
    ----------
    attendance : DataFrame
        ``rep_id``, ``training_id`` (``completed`` is used with ``completed_only``).
    representatives : DataFrame, optional
        Adds ``province``/``region`` to people (for cross-region ties).
    trainings : DataFrame, optional
        Adds session attributes (``start_date``, ``name``).
    completed_only : bool
        Count only completed attendances.

    Returns
    -------
    AffiliationNetwork

    Examples
    --------
    >>> import pandas as pd
    >>> att = pd.DataFrame({"rep_id": ["a", "b", "b", "c"], "training_id": ["S1", "S1", "S2", "S2"]})
    >>> aff = build_affiliation(att)
    >>> aff.person_edges[["rep_a", "rep_b", "n_shared"]].values.tolist()
    [['a', 'b', 1], ['b', 'c', 1]]
    """
    require_columns(attendance, (REP_ID, TRAINING_ID), table="attendance")
    att = attendance
    if completed_only and "completed" in att.columns:
        att = att[bool_array(att["completed"])]
    att = pd.DataFrame({REP_ID: as_str_id(att[REP_ID]), TRAINING_ID: as_str_id(att[TRAINING_ID])})
    att = att.dropna().drop_duplicates()
    if representatives is not None:
        require_columns(representatives, (REP_ID,), table="representatives")
        people = pd.DataFrame({REP_ID: as_str_id(representatives[REP_ID])})
        for c in (PROVINCE, "region"):
            if c in representatives.columns:
                people[c] = representatives[c].astype(object).where(
                    representatives[c].notna(), None).to_numpy()
        extra = sorted(set(att[REP_ID]) - set(people[REP_ID]))
        if extra:
            people = pd.concat([people, pd.DataFrame({REP_ID: extra})], ignore_index=True)
    else:
        people = pd.DataFrame({REP_ID: sorted(set(att[REP_ID]))})
    if PROVINCE in people.columns and "region" not in people.columns:
        people["region"] = [province_region(p) for p in people[PROVINCE]]
    if trainings is not None:
        require_columns(trainings, (TRAINING_ID,), table="trainings")
        sessions = pd.DataFrame({TRAINING_ID: as_str_id(trainings[TRAINING_ID])})
        for c in ("name", "start_date", "level", "modality"):
            if c in trainings.columns:
                sessions[c] = trainings[c].to_numpy()
        extra = sorted(set(att[TRAINING_ID]) - set(sessions[TRAINING_ID]))
        if extra:
            sessions = pd.concat([sessions, pd.DataFrame({TRAINING_ID: extra})], ignore_index=True)
    else:
        sessions = pd.DataFrame({TRAINING_ID: sorted(set(att[TRAINING_ID]))})
    if not len(att):
        raise AnalysisError("no attendance rows: the affiliation network is empty")
    pi = pd.Index(people[REP_ID]).get_indexer(att[REP_ID])
    si = pd.Index(sessions[TRAINING_ID]).get_indexer(att[TRAINING_ID])
    B = sp.csr_array((np.ones(len(att)), (pi, si)), shape=(len(people), len(sessions)))
    P = sp.triu(sp.csr_array(B @ B.T), 1).tocoo()
    pe = pd.DataFrame({"rep_a": people[REP_ID].to_numpy()[P.row],
                       "rep_b": people[REP_ID].to_numpy()[P.col],
                       "n_shared": P.data.astype(np.int64)})
    for c, name in ((PROVINCE, "cross_province"), ("region", "cross_region")):
        if c in people.columns:
            a = people[c].to_numpy(dtype=object)[P.row]
            b = people[c].to_numpy(dtype=object)[P.col]
            known = pd.notna(a) & pd.notna(b)
            pe[name] = pd.array(np.where(known, a != b, False), dtype="boolean")
            pe.loc[~known, name] = pd.NA
        else:
            pe[name] = pd.array([pd.NA] * len(pe), dtype="boolean")
    pe = pe.sort_values(["rep_a", "rep_b"], kind="stable").reset_index(drop=True)
    S = sp.triu(sp.csr_array(B.T @ B), 1).tocoo()
    se = pd.DataFrame({"training_a": sessions[TRAINING_ID].to_numpy()[S.row],
                       "training_b": sessions[TRAINING_ID].to_numpy()[S.col],
                       "n_shared": S.data.astype(np.int64)})
    se = se.sort_values(["training_a", "training_b"], kind="stable").reset_index(drop=True)
    return AffiliationNetwork(people, sessions, B.tocsr(), pe, se)


def consortium_graph(consortia: pd.DataFrame, consortium_id: str) -> OrgGraph:
    """The published composition of a consortium as a star: the consortium node and one
    node per member unit (named by type and number), from ``datasets/real/consortia.csv``.

    Examples
    --------
    >>> from kexie_research.data import load_real
    >>> g = consortium_graph(load_real("consortia"), "C01")
    >>> g.n_nodes, g.n_edges       # the aero-engine consortium: 25 founders + the hub
    (26, 25)
    """
    require_columns(consortia, ("consortium_id", "name", "member_type", "n_members"),
                    table="consortia")
    rows = consortia[consortia["consortium_id"] == consortium_id]
    if not len(rows):
        raise AnalysisError(f"no consortium {consortium_id!r}")
    hub = str(consortium_id)
    ids, types, names = [hub], ["consortium"], [str(rows["name"].iloc[0])]
    for _, r in rows.iterrows():
        n = int(pd.to_numeric(r["n_members"], errors="coerce") or 0)
        zh = str(r.get("member_type_zh", r["member_type"]))
        for i in range(n):
            ids.append(f"{hub}-{r['member_type']}-{len(ids)}")
            types.append(str(r["member_type"]))
            names.append(f"{zh[:8]}{i + 1}" if n > 1 else zh[:12])
    orgs = pd.DataFrame({ORG_ID: ids, "type": types, "name": names})
    links = pd.DataFrame({SOURCE_ID: [hub] * (len(ids) - 1), TARGET_ID: ids[1:]})
    return build_graph(orgs, links)


@dataclass(frozen=True)
class TypeAffiliation:
    """The two-mode organisation × partner-type network and its type projection.

    Attributes
    ----------
    incidence : DataFrame
        Organisations (index ``org_id``) × partner types: tie weight to partners of the type.
    projection : DataFrame
        Type × type: Σ over organisations of the product of their tie weights to the two
        types (off-diagonal: how strongly the same organisations bridge the two types;
        diagonal: Σ squared weights). Binary with ``binary=True`` (counts organisations).
    """

    incidence: pd.DataFrame
    projection: pd.DataFrame


def type_affiliation(graph: OrgGraph, *, binary: bool = False) -> TypeAffiliation:
    """Organisation × partner-type incidence and its weighted projection onto types.

    Examples
    --------
    >>> import pandas as pd
    >>> orgs = pd.DataFrame({"org_id": ["s", "e", "u"], "type": ["national_society", "enterprise", "university"]})
    >>> links = pd.DataFrame({"source_id": ["s", "s"], "target_id": ["e", "u"], "weight": [2.0, 1.0]})
    >>> ta = type_affiliation(build_graph(orgs, links), binary=True)
    >>> int(ta.projection.loc["enterprise", "university"])   # one organisation (s) bridges them
    1
    """
    n = graph.n_nodes
    types = graph.nodes["type"].astype(str).to_numpy()
    cats, codes = np.unique(types, return_inverse=True)
    T = sp.csr_array((np.ones(n), (np.arange(n), codes)), shape=(n, len(cats)))
    A = graph.adjacency if not binary else sp.csr_array((graph.adjacency != 0).astype(float))
    B = sp.csr_array(A @ T)
    if binary:
        B = sp.csr_array((B != 0).astype(float))
    P = (B.T @ B).toarray()
    idx = pd.Index(cats, name="type")
    inc = pd.DataFrame(B.toarray(), index=pd.Index(graph.nodes[ORG_ID], name=ORG_ID), columns=idx)
    return TypeAffiliation(inc, pd.DataFrame(P, index=idx, columns=idx))
