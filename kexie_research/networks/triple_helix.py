"""Triple-helix synergy (Leydesdorff) and its four-helix extension, in bits.

The question: do enterprises, universities/institutes and government/society bodies
collaborate *together* more than their pairwise ties suggest? Leydesdorff's mutual
information in three dimensions (McGill's interaction information, Abramson's sign)

``T = H_u + H_i + H_g − H_ui − H_ug − H_ig + H_uig``

is computed from a 2 × 2 × 2 table of collaborations classified by whether a
university/institute (u), an industry actor (i) and a government/society actor (g) takes
part. ``T < 0`` means synergy: a reduction of uncertainty that no pair of helices produces
alone. Check values (tested): the XOR distribution gives −1 bit, the "copy" distribution
(000 and 111 at ½ each) +1 bit, independent dimensions 0.

Generalisation (co-information, Bell 2003): for dimensions X_1..X_d

``I(X_1; …; X_d) = Σ_{∅≠S⊆{1..d}} (−1)^{|S|+1} H(X_S)``

— singles +, pairs −, triples +, quadruple − (this is Leydesdorff's T_uigp for four
helices). Two dimensions give the ordinary mutual information, three give T. The sign's
meaning alternates with d: the copy distribution gives +1 in any d, but parity (the last
variable the XOR of the others) gives −1 bit in 3 dimensions and +1 bit in 4, so in the
four-helix case a negative value is *not* by itself "synergy" — report the value with the
pairwise and three-way terms, as Leydesdorff & Ivanova (2014) advise.

Unit of analysis (``unit``)
---------------------------
``"project"`` (default)
    A collaboration is a group of links sharing a ``project_id`` (the links of kind
    ``project`` or ``founding_member`` carry one); its members are all organisations on
    those links; its year is the earliest link's year; it belongs to every province where
    a member sits.
``"ego"``
    Each organisation with at least one tie is a unit: itself and its partners (any link
    kind). Its year is the earliest of its links; its province is its own.

Counting (``counting``)
-----------------------
``"full"``
    Every unit has weight 1 in the cell of its presence pattern (whole counting).
``"fractional"``
    Every *organisation* has weight 1, split evenly over the units it takes part in, so a
    unit's weight is ``Σ_{members m} 1/k_m`` (k_m = units of m in the same slice). Prolific
    organisations then count once rather than once per collaboration (Leydesdorff & Park's
    fractional counting moved from authors to organisations). For ``ego`` units an
    organisation belongs to its own unit and to each partner's (k_m = degree + 1).

Bootstrap intervals resample units with replacement (a multinomial draw over cells when
all weights are equal); fractional weights are held at their full-sample values.

References
----------
.. [1] L. Leydesdorff, "The mutual information of university–industry–government
   relations: an indicator of the Triple Helix dynamics", Scientometrics 58 (2003) 445–467.
.. [2] W. J. McGill, "Multivariate information transmission", Psychometrika 19 (1954).
.. [3] A. J. Bell, "The co-information lattice", ICA 2003.
.. [4] L. Leydesdorff & I. A. Ivanova, "Mutual redundancies in interhuman communication
   systems", JASIST 65 (2014) 386–399.
.. [5] H. W. Park & L. Leydesdorff, "Longitudinal trends in networks of university–
   industry–government relations in South Korea", Research Policy 39 (2010) 640–649.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..schema import ORG_ID, PROVINCE
from ..stats import co_information, entropy_bits, mutual_information
from ..stats import subset_entropies as _subset_entropies
from ._common import check_choice
from .graphs import OrgGraph

__all__ = ["HELIX_OF_TYPE", "HELIX4_OF_TYPE", "DIMS3", "DIMS4", "entropy_bits",
           "co_information", "mutual_information", "TripleHelixResult", "presence_table", "default_unit",
           "triple_helix", "compute_triple_helix", "triple_helix_by"]

DIMS3 = ("university", "industry", "government")
DIMS4 = ("university", "industry", "government", "society")

HELIX_OF_TYPE: dict[str, str | None] = {
    "university": "university", "research_institute": "university", "lab": "university",
    "university_association": "university",
    "enterprise": "industry", "finance": "industry", "enterprise_association": "industry",
    "park_association": "industry", "joint_association": "industry",
    "workstation": "industry",
    "cast": "government", "provincial_association": "government",
    "city_association": "government", "county_association": "government",
    "town_association": "government", "federation": "government",
    "national_society": "government", "local_society": "government",
    "hospital": "government", "other": "government",
    "consortium": None,
}
"""Organisation type → helix of the three-helix model (``None``: not classified).

Government/society merges the CAST system (associations at every level, federations),
learned societies and public bodies (hospitals, other); enterprise-side associations
(enterprise, park, joint associations, workstations) belong to industry. A consortium
is itself a collaboration, not an actor. Pass your own mapping to change any of this."""

HELIX4_OF_TYPE: dict[str, str | None] = {
    **HELIX_OF_TYPE,
    "national_society": "society", "local_society": "society", "hospital": "society",
    "other": "society",
}
"""Four helices: learned societies and public bodies split off government/society."""


@dataclass(frozen=True)
class TripleHelixResult:
    """Synergy of a presence table.

    Attributes
    ----------
    T : float
        Co-information over all dimensions in bits (three dims: Leydesdorff's T).
    dims : tuple of str
    pairwise : dict
        ``"university-industry"`` → mutual information (bits), for every pair.
    threeway : dict
        For four dimensions: the co-information of each triple.
    entropies : dict
        ``"university"``, ``"university-industry"``, ... → H in bits.
    table : DataFrame
        One row per cell: a 0/1 column per dim, ``weight``, ``share``.
    n_units : int
    total_weight : float
    counting, unit : str
    ci : tuple or None
        Bootstrap percentile interval of T; ``ci_level``, ``n_boot``.
    pairwise_ci : dict
    """

    T: float
    dims: tuple[str, ...]
    pairwise: dict
    threeway: dict
    entropies: dict
    table: pd.DataFrame
    n_units: int
    total_weight: float
    counting: str
    unit: str
    ci: tuple[float, float] | None = None
    ci_level: float = 0.95
    n_boot: int = 0
    pairwise_ci: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"T_bits": self.T, "dims": list(self.dims), "pairwise_mi_bits": self.pairwise,
                "threeway_bits": self.threeway, "entropies_bits": self.entropies,
                "n_units": self.n_units, "total_weight": self.total_weight,
                "counting": self.counting, "unit": self.unit,
                "ci": list(self.ci) if self.ci else None, "ci_level": self.ci_level,
                "n_boot": self.n_boot,
                "pairwise_ci": {k: list(v) for k, v in self.pairwise_ci.items()},
                "table": self.table.to_dict("records")}


def _cells(presence: pd.DataFrame, dims) -> np.ndarray:
    code = np.zeros(len(presence), dtype=np.int64)
    for d in dims:
        code = code * 2 + presence[d].to_numpy(dtype=bool).astype(np.int64)
    return code


def _stats(tables: np.ndarray, d: int, names) -> tuple[np.ndarray, dict, dict, dict]:
    """T, pairwise MI, triples and entropies for B tables of shape (B, 2**d)."""
    B = tables.shape[0]
    tot = tables.sum(axis=1, keepdims=True)
    p = (tables / np.where(tot > 0, tot, 1.0)).reshape((B,) + (2,) * d)
    H = _subset_entropies(p, d)
    T = sum((-1) ** (len(S) + 1) * h for S, h in H.items())
    pair = {f"{names[a]}-{names[b]}": H[(a,)] + H[(b,)] - H[(a, b)]
            for a, b in combinations(range(d), 2)}
    triple = {}
    if d > 3:
        for S in combinations(range(d), 3):
            val = sum((-1) ** (len(R) + 1) * H[R] for r in range(1, 4) for R in combinations(S, r))
            triple["-".join(names[a] for a in S)] = val
    ent = {"-".join(names[a] for a in S): h for S, h in H.items()}
    return T, pair, triple, ent


def triple_helix(presence: pd.DataFrame, *, dims=DIMS3, weight: str | None = None,
                 n_boot: int = 0, ci: float = 0.95, rng=None, counting: str = "full",
                 unit: str = "given") -> TripleHelixResult:
    """Synergy of a presence table: one row per unit, a boolean column per dimension.

    Parameters
    ----------
    presence : DataFrame
        Boolean columns named by ``dims``; optional weight column.
    dims : tuple of str
        Two or more dimensions (three: Leydesdorff's T; four: T_uigp).
    weight : str, optional
        Column of unit weights (default: 1 each).
    n_boot : int
        Bootstrap replicates (0: no interval).
    ci : float
        Interval level.
    rng : Generator or seed, keyword-only
    counting, unit : str
        Labels stored in the result.

    Returns
    -------
    TripleHelixResult

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"university": [0, 0, 1, 1], "industry": [0, 1, 0, 1],
    ...                   "government": [0, 1, 1, 0]}).astype(bool)
    >>> triple_helix(p).T        # the XOR distribution
    -1.0
    """
    dims = tuple(dims)
    if len(dims) < 2:
        raise ValueError("at least two dimensions are needed")
    for d in dims:
        if d not in presence.columns:
            raise AnalysisError(f"the presence table has no column {d!r}")
    if len(presence) == 0:
        raise AnalysisError("no collaborations to analyse (the presence table is empty)")
    d = len(dims)
    code = _cells(presence, dims)
    w = presence[weight].to_numpy(dtype=float) if weight else np.ones(len(presence))
    cells = np.bincount(code, weights=w, minlength=2**d)
    if cells.sum() <= 0:
        raise AnalysisError("the presence table has zero total weight")
    T, pair, triple, ent = _stats(cells[None, :], d, dims)
    grid = np.array([[(c >> (d - 1 - j)) & 1 for j in range(d)] for c in range(2**d)])
    table = pd.DataFrame(grid, columns=list(dims))
    table["weight"] = cells
    table["share"] = cells / cells.sum()
    lo_hi = None
    pair_ci = {}
    if n_boot:
        rng = np.random.default_rng(rng)
        N = len(presence)
        if weight is None or np.allclose(w, w[0]):
            boot = rng.multinomial(N, cells / cells.sum(), size=n_boot).astype(float)
        else:
            boot = np.zeros((n_boot, 2**d))
            step = max(1, int(2e7 // max(N, 1)))
            for s in range(0, n_boot, step):
                b = min(step, n_boot - s)
                idx = rng.integers(0, N, size=(b, N))
                keys = (np.arange(b)[:, None] * 2**d + code[idx]).ravel()
                boot[s:s + b] = np.bincount(keys, weights=w[idx].ravel(),
                                            minlength=b * 2**d).reshape(b, 2**d)
        bT, bpair, _, _ = _stats(boot, d, dims)
        a = (1 - ci) / 2
        lo_hi = (float(np.quantile(bT, a)), float(np.quantile(bT, 1 - a)))
        pair_ci = {k: (float(np.quantile(v, a)), float(np.quantile(v, 1 - a)))
                   for k, v in bpair.items()}
    return TripleHelixResult(
        T=float(T[0]), dims=dims, pairwise={k: float(v[0]) for k, v in pair.items()},
        threeway={k: float(v[0]) for k, v in triple.items()},
        entropies={k: float(v[0]) for k, v in ent.items()}, table=table,
        n_units=int(len(presence)), total_weight=float(cells.sum()), counting=counting,
        unit=unit, ci=lo_hi, ci_level=ci, n_boot=int(n_boot), pairwise_ci=pair_ci)


def default_unit(graph: OrgGraph) -> str:
    """``"project"`` when some link carries a ``project_id``, else ``"ego"``."""
    links = graph.links
    return "project" if "project_id" in links.columns and links["project_id"].notna().any() else "ego"


def presence_table(graph: OrgGraph, *, unit: str = "project", helix_map=None,
                   dims=DIMS3) -> pd.DataFrame:
    """One row per unit of analysis with its helix presence pattern.

    Columns: ``unit_id``, ``year``, ``n_members``, ``provinces`` (tuple; for ``ego`` units
    the organisation's own province), one boolean per dimension, ``w_full`` (1) and
    ``w_fractional`` (Σ over members of 1/k_m, see the module docstring).

    Examples
    --------
    >>> import pandas as pd
    >>> from kexie_research.networks.graphs import build_graph
    >>> orgs = pd.DataFrame({"org_id": ["e", "u", "g"], "type": ["enterprise", "university", "cast"]})
    >>> links = pd.DataFrame({"source_id": ["e", "e"], "target_id": ["u", "g"],
    ...                       "project_id": ["P1", "P2"], "year": [2020, 2021]})
    >>> p = presence_table(build_graph(orgs, links))
    >>> p[["unit_id", "university", "industry", "government", "w_fractional"]].values.tolist()
    [['P1', True, True, False, 1.5], ['P2', False, True, True, 1.5]]
    """
    check_choice(unit, ("project", "ego"), "unit")
    helix_map = helix_map or (HELIX4_OF_TYPE if len(dims) == 4 else HELIX_OF_TYPE)
    dim_code = {d: i for i, d in enumerate(dims)}
    hcode = np.array([dim_code.get(helix_map.get(t), -1) for t in graph.nodes["type"]],
                     dtype=np.int64)
    n = graph.n_nodes
    prov_codes, prov_names = pd.factorize(pd.Series(graph.nodes[PROVINCE].to_numpy(dtype=object)))
    names = np.asarray(prov_names, dtype=object)
    lk = graph.links
    yr_links = (pd.to_numeric(lk["year"], errors="coerce").to_numpy(dtype=float)
                if "year" in lk.columns else np.full(len(lk), np.nan))
    if unit == "project":
        if "project_id" not in lk.columns:
            raise AnalysisError("the links have no project_id column: use unit='ego'")
        has = lk["project_id"].notna().to_numpy()
        lk, yr_links = lk[has], yr_links[has]
        if not len(lk):
            raise AnalysisError("no link carries a project_id: use unit='ego'")
        ucode, unames = pd.factorize(lk["project_id"].astype(str), sort=True)
        unit_ids = np.asarray(unames, dtype=object)
        U = len(unit_ids)
        year = np.full(U, np.inf)
        np.minimum.at(year, ucode, np.where(np.isnan(yr_links), np.inf, yr_links))
        key = np.unique(np.concatenate([ucode, ucode]).astype(np.int64) * n
                        + np.concatenate([lk["u"].to_numpy(), lk["v"].to_numpy()]))
        mu, mn = key // n, key % n
    else:
        u, v = lk["u"].to_numpy(), lk["v"].to_numpy()
        deg_any = np.bincount(np.concatenate([u, v]), minlength=n)
        egos = np.flatnonzero(deg_any > 0)
        pos = np.full(n, -1, dtype=np.int64)
        pos[egos] = np.arange(len(egos))
        unit_ids = graph.nodes[ORG_ID].to_numpy(dtype=object)[egos]
        U = len(unit_ids)
        year = np.full(U, np.inf)
        yy = np.where(np.isnan(yr_links), np.inf, yr_links)
        np.minimum.at(year, pos[u], yy)
        np.minimum.at(year, pos[v], yy)
        eu, ev = graph.edges["u"].to_numpy(), graph.edges["v"].to_numpy()
        mu = np.concatenate([np.arange(U), pos[eu], pos[ev]])
        mn = np.concatenate([egos, ev, eu])
    year[~np.isfinite(year)] = np.nan
    k = np.bincount(mn, minlength=n).astype(float)
    w_frac = np.bincount(mu, weights=1.0 / k[mn], minlength=U)
    pres = np.zeros((U, len(dims)), dtype=bool)
    ok = hcode[mn] >= 0
    pres[mu[ok], hcode[mn][ok]] = True
    out = pd.DataFrame({"unit_id": unit_ids,
                        "year": pd.array(year, dtype="Float64").astype("Int64"),
                        "n_members": np.bincount(mu, minlength=U),
                        "w_fractional": w_frac, "w_full": 1.0})
    for i, dname in enumerate(dims):
        out[dname] = pres[:, i]
    if unit == "project":
        pc = prov_codes[mn]
        keep = pc >= 0
        base = len(names) + 1
        pairs = np.unique(mu[keep].astype(np.int64) * base + pc[keep])
        pu, pp = pairs // base, pairs % base
        cuts = np.searchsorted(pu, np.arange(U + 1))
        out["provinces"] = [tuple(sorted(names[pp[a:b]])) for a, b in zip(cuts[:-1], cuts[1:])]
    else:
        own = prov_codes[egos]
        out["provinces"] = [(names[c],) if c >= 0 else () for c in own]
    return out


def compute_triple_helix(graph: OrgGraph, *, unit: str = "project", counting: str = "full",
                         dims=DIMS3, helix_map=None, n_boot: int = 500, ci: float = 0.95,
                         rng=None, presence: pd.DataFrame | None = None) -> TripleHelixResult:
    """Triple- (or quadruple-) helix synergy of a graph's collaborations.

    Parameters
    ----------
    graph : OrgGraph
    unit : {"project", "ego"}
    counting : {"full", "fractional"}
    dims : tuple
        :data:`DIMS3` (default) or :data:`DIMS4`.
    helix_map : dict, optional
        Organisation type → dimension (default :data:`HELIX_OF_TYPE` /
        :data:`HELIX4_OF_TYPE`).
    n_boot, ci, rng
        Bootstrap interval (seeded by ``rng``).
    presence : DataFrame, optional
        A precomputed :func:`presence_table` (to slice without recomputing).

    Returns
    -------
    TripleHelixResult
    """
    check_choice(unit, ("project", "ego"), "unit")
    check_choice(counting, ("full", "fractional"), "counting")
    helix_map = helix_map or (HELIX4_OF_TYPE if len(dims) == 4 else HELIX_OF_TYPE)
    pres = presence if presence is not None else presence_table(
        graph, unit=unit, helix_map=helix_map, dims=dims)
    w = "w_fractional" if counting == "fractional" else None
    return triple_helix(pres, dims=dims, weight=w, n_boot=n_boot, ci=ci, rng=rng,
                        counting=counting, unit=unit)


def triple_helix_by(presence: pd.DataFrame, by: str, *, dims=DIMS3, counting: str = "full",
                    n_boot: int = 200, ci: float = 0.95, rng=None, min_units: int = 30,
                    bins=None) -> pd.DataFrame:
    """T and the pairwise mutual informations per province or per time slice.

    Parameters
    ----------
    presence : DataFrame
        From :func:`presence_table`.
    by : {"province", "year"}
        ``province``: a unit counts in every province where a member sits (national
        bodies have none). ``year``: the unit's year, or the slice of ``bins``.
    counting : {"full", "fractional"}
        Fractional weights are those of the full table (not recomputed per slice).
    n_boot, ci, rng
        Bootstrap per slice; replicates of different slices use independent streams
        spawned from ``rng``.
    min_units : int
        Slices with fewer units are listed with NaN values.
    bins : sequence of int, optional
        Year edges for ``by="year"`` (slice ``[b_i, b_{i+1})``).

    Returns
    -------
    DataFrame
        ``slice``, ``n_units``, ``T``, ``ci_low``, ``ci_high``, one column per pairwise MI.
    """
    check_choice(by, ("province", "year"), "by")
    check_choice(counting, ("full", "fractional"), "counting")
    if by == "province":
        ex = presence.assign(slice=presence["provinces"]).explode("slice")
        ex = ex[ex["slice"].notna()]
    else:
        yr = pd.to_numeric(presence["year"], errors="coerce")
        if bins is not None:
            edges = list(bins)
            lab = pd.cut(yr, edges, right=False,
                         labels=[f"{a}–{b - 1}" for a, b in zip(edges[:-1], edges[1:])])
            ex = presence.assign(slice=lab.astype(object))
        else:
            ex = presence.assign(slice=yr.astype("Int64").astype(object))
        ex = ex[pd.notna(ex["slice"])]
    groups = sorted(ex["slice"].unique(), key=str)
    seeds = np.random.SeedSequence(np.random.default_rng(rng).integers(2**63)).spawn(max(len(groups), 1))
    rows = []
    w = "w_fractional" if counting == "fractional" else None
    for gname, ss in zip(groups, seeds):
        sub = ex[ex["slice"] == gname]
        row = {"slice": gname, "n_units": int(len(sub))}
        if len(sub) >= min_units:
            r = triple_helix(sub, dims=dims, weight=w, n_boot=n_boot, ci=ci,
                             rng=np.random.default_rng(ss), counting=counting)
            row.update({"T": r.T, "ci_low": r.ci[0] if r.ci else np.nan,
                        "ci_high": r.ci[1] if r.ci else np.nan, **r.pairwise})
        else:
            row.update({"T": np.nan, "ci_low": np.nan, "ci_high": np.nan})
        rows.append(row)
    return pd.DataFrame(rows)
