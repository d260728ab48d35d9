"""Coverage of the organisation system: formal vs effective, six-haves, empty shells, and
counts and rankings by province (seed 002's 有形覆盖 → 有效覆盖; seed 004's six-haves).

Definitions
-----------
six-haves score
    Number of the six standards met (``has_site``, ``has_facilities``, ``has_staff``,
    ``has_funding``, ``has_activities``, ``has_rules``), 0–6. A missing value counts as not
    met ("not evidenced"); ``n_unknown`` reports how many were missing.
effective
    An association that meets all six **and** was active last year
    (``active_last_year`` true). Missing activity is not evidence of activity.
formal coverage
    An association exists: the count of associations per province and level. Below a
    parent association (city → county → town), the share of parents with at least one
    child association (``formal``) and with at least one *effective* child
    (``effective``) — the breadth and depth of the network that seed 002 asks about.
empty shell (空壳)
    The documented rule: an association that was **not active last year and meets at most
    ``max_score`` (default 2) of the six haves** — it exists on paper with neither the
    means nor the activity of a working body. Missing values count as not met.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..schema import ORG_ID, PARENT_ID, PROVINCE, SIX_HAVES
from ._common import as_str_id, bool_array, require_columns

__all__ = ["ASSOCIATION_TYPES", "six_haves_score", "is_effective", "is_empty_shell",
           "OrgCoverageResult", "compute_org_coverage", "rank_provinces"]

ASSOCIATION_TYPES: tuple[str, ...] = (
    "cast", "provincial_association", "city_association", "county_association",
    "town_association", "national_society", "local_society", "enterprise_association",
    "park_association", "federation", "joint_association", "workstation",
    "university_association")
"""Organisation types that are part of the association system (partners are not)."""

_CHILD_OF = {"provincial_association": "city_association",
             "city_association": "county_association",
             "county_association": "town_association"}


def _flags(orgs: pd.DataFrame, col: str) -> np.ndarray:
    if col not in orgs.columns:
        return np.zeros(len(orgs), dtype=bool)
    return bool_array(orgs[col])


def six_haves_score(orgs: pd.DataFrame) -> pd.Series:
    """Six-haves score 0–6 (missing = not met).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({h: [True, None] for h in
    ...     ("has_site", "has_facilities", "has_staff", "has_funding", "has_activities", "has_rules")})
    >>> six_haves_score(df).tolist()
    [6, 0]
    """
    return pd.Series(sum(_flags(orgs, h).astype(np.int64) for h in SIX_HAVES),
                     index=orgs.index, name="six_haves_score")


def is_effective(orgs: pd.DataFrame) -> pd.Series:
    """All six haves and active last year."""
    return pd.Series((six_haves_score(orgs) == 6).to_numpy() & _flags(orgs, "active_last_year"),
                     index=orgs.index, name="effective")


def is_empty_shell(orgs: pd.DataFrame, *, max_score: int = 2) -> pd.Series:
    """Not active last year and at most ``max_score`` of the six haves (see module doc)."""
    return pd.Series(~_flags(orgs, "active_last_year")
                     & (six_haves_score(orgs) <= max_score).to_numpy(),
                     index=orgs.index, name="empty_shell")


@dataclass(frozen=True)
class OrgCoverageResult:
    """Coverage tables.

    Attributes
    ----------
    by_group : DataFrame
        Per ``by`` group: ``n_formal``, ``n_effective``, ``effective_rate``,
        ``mean_score``, ``n_empty_shell``, ``empty_shell_rate``, ``n_unknown_haves``.
    depth : DataFrame
        Per province and parent type: ``n_parents``, ``formal`` (share with a child
        association), ``effective`` (share with an effective child).
    national : dict
        Totals.
    max_score : int
        The empty-shell threshold used.
    """

    by_group: pd.DataFrame
    depth: pd.DataFrame
    national: dict
    max_score: int

    def to_dict(self) -> dict:
        return {"national": self.national, "max_score": self.max_score,
                "by_group": self.by_group.to_dict("records"),
                "depth": self.depth.to_dict("records")}


def compute_org_coverage(organizations: pd.DataFrame, *, by=(PROVINCE, "level"),
                         types=ASSOCIATION_TYPES, max_score: int = 2) -> OrgCoverageResult:
    """Formal vs effective coverage by groups, and the depth of the network below parents.

    Parameters
    ----------
    organizations : DataFrame
        The organizations table.
    by : sequence of str
        Grouping columns (default province and level; national bodies have no province
        and are grouped under "(national)").
    types : sequence of str
        Organisation types counted as associations.
    max_score : int
        Empty-shell threshold.

    Returns
    -------
    OrgCoverageResult

    Examples
    --------
    >>> import pandas as pd
    >>> haves = ("has_site", "has_facilities", "has_staff", "has_funding", "has_activities", "has_rules")
    >>> df = pd.DataFrame({"org_id": ["c", "t1", "t2"], "parent_id": [None, "c", "c"],
    ...     "type": ["county_association", "town_association", "town_association"],
    ...     "level": ["county", "town", "town"], "province": ["江苏"] * 3,
    ...     "active_last_year": [True, True, False], **{h: [True, True, False] for h in haves}})
    >>> r = compute_org_coverage(df, by=("level",))
    >>> r.by_group[["level", "n_formal", "n_effective", "n_empty_shell"]].values.tolist()
    [['county', 1, 1, 0], ['town', 2, 1, 1]]
    >>> r.depth[["parent_type", "formal", "effective"]].values.tolist()
    [['county_association', 1.0, 1.0]]
    """
    require_columns(organizations, (ORG_ID, "type", *by), table="organizations")
    o = organizations[organizations["type"].isin(list(types))].copy()
    if not len(o):
        raise AnalysisError("no association in the organizations table (types: "
                            + ", ".join(types) + ")")
    o["six_haves_score"] = six_haves_score(o)
    o["effective"] = is_effective(o)
    o["empty_shell"] = is_empty_shell(o, max_score=max_score)
    o["n_unknown"] = sum((o[h].isna().to_numpy() if h in o.columns else np.ones(len(o), bool))
                         .astype(int) for h in SIX_HAVES)
    keys = []
    for c in by:
        k = o[c].astype(object).where(o[c].notna(), "(national)")
        o[f"_{c}"] = k.to_numpy()
        keys.append(f"_{c}")
    g = o.groupby(keys, sort=True)
    tab = pd.DataFrame({"n_formal": g.size(), "n_effective": g["effective"].sum(),
                        "mean_score": g["six_haves_score"].mean(),
                        "n_empty_shell": g["empty_shell"].sum(),
                        "n_unknown_haves": g["n_unknown"].sum()}).reset_index()
    tab.columns = [c[1:] if c in keys else c for c in tab.columns]
    tab["n_effective"] = tab["n_effective"].astype(np.int64)
    tab["n_empty_shell"] = tab["n_empty_shell"].astype(np.int64)
    tab["effective_rate"] = tab["n_effective"] / tab["n_formal"]
    tab["empty_shell_rate"] = tab["n_empty_shell"] / tab["n_formal"]
    # depth below parents
    depth_rows = []
    if PARENT_ID in o.columns:
        par = as_str_id(o[PARENT_ID])
        for ptype, ctype in _CHILD_OF.items():
            parents = o[o["type"] == ptype]
            if not len(parents):
                continue
            kids = o[(o["type"] == ctype).to_numpy()]
            kid_par = par[kids.index]
            has_child = set(kid_par.dropna())
            has_eff = set(kid_par[kids["effective"].to_numpy()].dropna())
            pid = as_str_id(parents[ORG_ID])
            prov = parents[PROVINCE].astype(object).where(parents[PROVINCE].notna(), "(national)") \
                if PROVINCE in parents.columns else pd.Series("(all)", index=parents.index)
            d = pd.DataFrame({PROVINCE: prov.to_numpy(), "f": pid.isin(has_child).to_numpy(),
                              "e": pid.isin(has_eff).to_numpy()})
            for pv, grp in d.groupby(PROVINCE, sort=True):
                depth_rows.append({PROVINCE: pv, "parent_type": ptype, "child_type": ctype,
                                   "n_parents": int(len(grp)), "formal": float(grp["f"].mean()),
                                   "effective": float(grp["e"].mean())})
    depth = pd.DataFrame(depth_rows, columns=[PROVINCE, "parent_type", "child_type",
                                              "n_parents", "formal", "effective"])
    national = {"n_formal": int(len(o)), "n_effective": int(o["effective"].sum()),
                "effective_rate": float(o["effective"].mean()),
                "n_empty_shell": int(o["empty_shell"].sum()),
                "empty_shell_rate": float(o["empty_shell"].mean()),
                "mean_score": float(o["six_haves_score"].mean())}
    return OrgCoverageResult(tab, depth, national, int(max_score))


def rank_provinces(organizations: pd.DataFrame, *, org_type: str = "enterprise_association",
                   year: int | None = None, base_year: int | None = None) -> pd.DataFrame:
    """Counts by province as CAST's service system shows them: count, share of the
    national total, rank, and growth since ``base_year``.

    An organisation counts in year Y when ``founded_year <= Y`` (organisations without a
    founding year count in every year; their number is in ``n_undated``).

    Returns
    -------
    DataFrame
        ``province``, ``count``, ``share`` (of the national total, including bodies
        without province), ``rank``, ``new_in_year`` (founded in ``year``) and, with
        ``base_year``, ``base_count``, ``growth``, ``growth_pct``; sorted by rank.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"org_id": list("abcd"), "type": ["enterprise_association"] * 4,
    ...                    "province": ["江苏", "江苏", "湖南", "湖南"],
    ...                    "founded_year": [2015, 2021, 2016, 2016]})
    >>> rank_provinces(df, year=2021, base_year=2017)[["province", "count", "growth"]].values.tolist()
    [['江苏', 2, 1], ['湖南', 2, 0]]
    """
    require_columns(organizations, ("type", PROVINCE), table="organizations")
    o = organizations[organizations["type"] == org_type]
    fy = (pd.to_numeric(o["founded_year"], errors="coerce") if "founded_year" in o.columns
          else pd.Series(np.nan, index=o.index))

    def counts(y):
        m = np.ones(len(o), dtype=bool) if y is None else (fy.isna() | (fy <= y)).to_numpy()
        sub = o[m]
        return sub[PROVINCE].dropna().value_counts(), int(m.sum())

    c, total = counts(year)
    out = pd.DataFrame({PROVINCE: c.index.astype(object), "count": c.to_numpy(dtype=np.int64)})
    out["share"] = out["count"] / total if total else np.nan
    if year is not None:
        new = o[(fy == year).to_numpy()][PROVINCE].value_counts()
        out["new_in_year"] = out[PROVINCE].map(new).fillna(0).astype(np.int64)
    if base_year is not None:
        b, _ = counts(base_year)
        out["base_count"] = out[PROVINCE].map(b).fillna(0).astype(np.int64)
        out["growth"] = out["count"] - out["base_count"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out["growth_pct"] = np.where(out["base_count"] > 0,
                                         100 * out["growth"] / out["base_count"], np.nan)
    out = out.sort_values(["count", PROVINCE], ascending=[False, True], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs["national_total"] = total
    out.attrs["n_undated"] = int(fy.isna().sum())
    return out.reset_index(drop=True)
