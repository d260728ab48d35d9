"""The organisation system as a forest: CAST → provincial → city → county → town, with
societies, enterprise/park/university associations, federations and group branches
hanging below their parents through ``parent_id``.

The loader (:mod:`kexie_research.validate`) already rejects rows that break the forest
when a file is read. :func:`build_hierarchy` repeats the checks for tables built in code
and raises :class:`~kexie_research.errors.HierarchyError` naming the organisations (and
the data row when the table came from a loader, whose index is the 1-based data row):

- ``parent_exists`` — a parent id that is not in the table (an orphan);
- ``no_cycles`` — following parents comes back to the start (self-parent included);
- ``parent_level_not_below`` — a child at a higher level than its parent (levels from
  :data:`kexie_research.schema.ORG_LEVELS`, highest first; equal levels are allowed, e.g.
  a society branch at the parent's level).

The result gives roots, depth, subtree sizes and each node's level chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import HierarchyError
from ..schema import ORG_ID, ORG_LEVELS, PARENT_ID
from ._common import as_str_id, require_columns

__all__ = ["Hierarchy", "build_hierarchy", "check_hierarchy", "ADMIN_CHAIN"]

ADMIN_CHAIN: tuple[str, ...] = ("cast", "provincial_association", "city_association",
                                "county_association", "town_association")
"""The administrative association chain, top to bottom."""


@dataclass(frozen=True)
class Hierarchy:
    """A checked organisation forest.

    Attributes
    ----------
    table : DataFrame
        ``org_id``, ``parent_id``, ``type``, ``level``, ``depth`` (roots 0), ``root``,
        ``n_children``, ``subtree_size`` (the node included).
    """

    table: pd.DataFrame

    @property
    def roots(self) -> list[str]:
        return self.table.loc[self.table["depth"] == 0, ORG_ID].tolist()

    @property
    def max_depth(self) -> int:
        return int(self.table["depth"].max()) if len(self.table) else 0

    def ancestors(self, org_id: str) -> list[str]:
        """The chain from ``org_id`` up to its root (itself first)."""
        parent = {o: (None if pd.isna(p) else p)
                  for o, p in zip(self.table[ORG_ID], self.table[PARENT_ID])}
        if org_id not in parent:
            raise KeyError(f"no organisation {org_id!r}")
        out = [org_id]
        while parent[out[-1]] is not None:
            out.append(parent[out[-1]])
        return out

    def level_chain(self, org_id: str) -> list[tuple[str, str]]:
        """``[(org_id, level), ...]`` from the root down to ``org_id``."""
        lv = dict(zip(self.table[ORG_ID], self.table["level"]))
        return [(o, lv[o]) for o in reversed(self.ancestors(org_id))]

    def children(self, org_id: str) -> list[str]:
        t = self.table
        return t.loc[t[PARENT_ID] == org_id, ORG_ID].tolist()

    def depth_counts(self) -> pd.DataFrame:
        """Organisations per depth and level."""
        return (self.table.groupby(["depth", "level"], sort=True).size().rename("n")
                .reset_index())

    def chain_completeness(self) -> pd.DataFrame:
        """Per type of :data:`ADMIN_CHAIN`: how many sit under a parent of the type above.

        A town association whose parent is a county association follows the chain; one
        hanging directly under a city association skips a level.
        """
        t = self.table
        typ = dict(zip(t[ORG_ID], t["type"]))
        rows = []
        for above, below in zip(ADMIN_CHAIN[:-1], ADMIN_CHAIN[1:]):
            sub = t[t["type"] == below]
            ptype = sub[PARENT_ID].map(lambda p: None if pd.isna(p) else typ.get(p))
            rows.append({"type": below, "n": int(len(sub)),
                         "under_expected_parent": int((ptype == above).sum()),
                         "share": float((ptype == above).mean()) if len(sub) else float("nan")})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {"organisations": int(len(self.table)), "roots": len(self.roots),
                "max_depth": self.max_depth,
                "depth_counts": self.depth_counts().to_dict("records")}


def _where(df: pd.DataFrame, oid: str, file: str | None) -> int | None:
    hit = df.index[df[ORG_ID] == oid]
    if len(hit) and isinstance(hit[0], (int, np.integer)):
        return int(hit[0])
    return None


def check_hierarchy(organizations: pd.DataFrame, *, file: str | None = None) -> None:
    """Raise :class:`HierarchyError` at the first orphan, cycle or level inversion.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"org_id": ["a", "b"], "parent_id": ["b", "a"],
    ...                    "level": ["city", "city"], "type": ["other", "other"]})
    >>> check_hierarchy(df)
    Traceback (most recent call last):
    ...
    kexie_research.errors.HierarchyError: row 0, column 'parent_id', value 'b': the hierarchy has a cycle: a → b → a [rule: no_cycles]
    """
    build_hierarchy(organizations, file=file)


def build_hierarchy(organizations: pd.DataFrame, *, file: str | None = None) -> Hierarchy:
    """Check the forest and compute depth, roots and subtree sizes.

    Parameters
    ----------
    organizations : DataFrame
        ``org_id``, ``parent_id`` (empty for roots); ``level`` and ``type`` when present.
    file : str, optional
        Named in error messages.

    Returns
    -------
    Hierarchy

    Raises
    ------
    HierarchyError
        Orphan (``parent_exists``), cycle (``no_cycles``) or a child above its parent
        (``parent_level_not_below``), naming the organisations and the row.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"org_id": ["CAST", "P1", "C1"], "parent_id": [None, "CAST", "P1"],
    ...                    "level": ["national", "provincial", "city"],
    ...                    "type": ["cast", "provincial_association", "city_association"]})
    >>> h = build_hierarchy(df)
    >>> h.roots, h.level_chain("C1")[-1], int(h.table.loc[0, "subtree_size"])
    (['CAST'], ('C1', 'city'), 3)
    """
    require_columns(organizations, (ORG_ID, PARENT_ID), table="organizations")
    df = organizations
    ids = as_str_id(df[ORG_ID])
    par = as_str_id(df[PARENT_ID])
    t = pd.DataFrame({ORG_ID: ids.to_numpy(dtype=object), PARENT_ID: par.to_numpy(dtype=object),
                      "type": df["type"].to_numpy(dtype=object) if "type" in df.columns else None,
                      "level": df["level"].to_numpy(dtype=object) if "level" in df.columns else None},
                     index=df.index)
    dup = t[ORG_ID][t[ORG_ID].duplicated()]
    if len(dup):
        raise HierarchyError(f"org_id {dup.iloc[0]!r} appears more than once", file=file,
                             row=_where(t, dup.iloc[0], file), column=ORG_ID,
                             value=dup.iloc[0], rule="unique")
    known = set(t[ORG_ID])
    parent = dict(zip(ids.tolist(), par.tolist()))
    for oid, p in parent.items():
        if p is not None and p not in known:
            raise HierarchyError(f"parent {p!r} of {oid!r} is not in the table (orphan)",
                                 file=file, row=_where(t, oid, file), column=PARENT_ID,
                                 value=p, rule="parent_exists")
    # cycles: iterative colouring
    state: dict[str, int] = {}
    for start in parent:
        if state.get(start):
            continue
        path, node = [], start
        while node is not None and not state.get(node):
            state[node] = 1
            path.append(node)
            node = parent[node]
        if node is not None and state.get(node) == 1:
            cyc = path[path.index(node):] + [node]
            raise HierarchyError("the hierarchy has a cycle: " + " → ".join(cyc), file=file,
                                 row=_where(t, cyc[0], file), column=PARENT_ID,
                                 value=parent[cyc[0]], rule="no_cycles")
        for x in path:
            state[x] = 2
    rank = {lv: i for i, lv in enumerate(ORG_LEVELS)}
    level = dict(zip(t[ORG_ID], t["level"]))
    for oid, p in parent.items():
        if p is None:
            continue
        lc, lp = rank.get(level[oid]), rank.get(level[p])
        if lc is not None and lp is not None and lc < lp:
            raise HierarchyError(f"{oid!r} ({level[oid]}) sits above its parent {p!r} ({level[p]})",
                                 file=file, row=_where(t, oid, file), column="level",
                                 value=level[oid], rule="parent_level_not_below")
    # depth and root by memoised walk (the forest is now known to be acyclic)
    depth: dict[str, int] = {}
    root: dict[str, str] = {}
    for start in parent:
        path, node = [], start
        while node not in depth and parent[node] is not None:
            path.append(node)
            node = parent[node]
        if node not in depth:
            depth[node], root[node] = 0, node
        d, r = depth[node], root[node]
        for x in reversed(path):
            d += 1
            depth[x], root[x] = d, r
    t = t.reset_index(drop=True)
    t["depth"] = t[ORG_ID].map(depth).astype(np.int64)
    t["root"] = t[ORG_ID].map(root)
    n_children = t[PARENT_ID].dropna().value_counts()
    t["n_children"] = t[ORG_ID].map(n_children).fillna(0).astype(np.int64)
    t[PARENT_ID] = pd.Series(par.tolist(), dtype=object)
    # subtree sizes: accumulate from the deepest level up
    size = dict.fromkeys(t[ORG_ID], 1)
    for oid in t.sort_values("depth", ascending=False, kind="stable")[ORG_ID]:
        p = parent[oid]
        if p is not None:
            size[p] += size[oid]
    t["subtree_size"] = t[ORG_ID].map(size).astype(np.int64)
    return Hierarchy(t)
