"""Calibration: the synthetic data checked against the seed figures, the planted truth and the
analyses — and the one call that writes a complete synthetic dataset folder.

The generator (:mod:`kexie_research.synthetic`) sits below the analysis layer and never
imports it; checks that compare generated data with analysis results (the survey's
Cronbach alpha, the calibration report of the manifest) live here, above both
(tests/test_layers.py holds the arrows).

- :func:`generate_dataset` — generate every table, compute the realised statistics and the
  calibration report, write the folder with ``MANIFEST.json`` and ``README.md``
  (what ``kexie-research generate`` and the shipped ``datasets/synthetic/`` use).
- :func:`realised_statistics` — realised facts of a draw that need the analyses.
- :func:`calibration_report` — each calibration target (with its seed source) against the
  value achieved.

Examples
--------
>>> import tempfile
>>> from kexie_research import load_dataset
>>> with tempfile.TemporaryDirectory() as d:
...     m = generate_dataset(d, seed=7, scale=0.02)
...     ds = load_dataset(d)
>>> len(ds.tables()), m["seed"], ds.is_synthetic, 0.8 < m["realised"]["survey_alpha_learners"] < 0.95
(11, 7, True, True)
"""

from __future__ import annotations

import os

import pandas as pd

from .data import load_real
from .evaluation.reliability import cronbach_alpha
from .regions import PROVINCES_31
from .schema import QUALITY_ITEMS
from .synthetic._common import DEFAULT_SEED
from .synthetic.dataset import generate_tables, write_dataset
from .synthetic.effects import PLANTED_EFFECTS
from .synthetic.people import DELEGATION_SHARES, TARGET_SHARES
from .synthetic.training import N_DISTINCT_NINTH, NINTH_SESSIONS

__all__ = ["generate_dataset", "realised_statistics", "calibration_report"]


def generate_dataset(out_dir: str | os.PathLike, *, seed: int = DEFAULT_SEED,
                     n_representatives: int = 1600, scale: float = 1.0) -> dict:
    """Generate a complete synthetic dataset folder (every table kind, MANIFEST.json, README.md).

    Files are named ``<kind>_synthetic.csv`` (``.csv.gz`` for organizations and links,
    gzip with mtime 0); the same arguments always give byte-identical files. Nothing is
    written when an argument is refused.

    Parameters
    ----------
    out_dir : path-like
        Folder to write (created if missing; existing files of the same names are replaced).
    seed, n_representatives, scale
        See :func:`kexie_research.synthetic.generate_tables`.

    Returns
    -------
    dict
        The manifest (also written to ``MANIFEST.json``): files with their hashes, the
        calibration report, the planted effects and the realised facts of the draw.
    """
    tables, realised = generate_tables(seed=seed, n_representatives=n_representatives, scale=scale)
    realised = {**realised_statistics(tables), **realised}
    return write_dataset(out_dir, tables, seed=seed, n_representatives=n_representatives, scale=scale,
                         calibration=calibration_report(tables, realised, scale=scale),
                         realised=realised)


def realised_statistics(tables: dict[str, pd.DataFrame]) -> dict:
    """Realised facts of a draw that need the analysis layer.

    ``survey_alpha_learners``: Cronbach's alpha of the learners' eight quality items
    (complete answers), rounded to 4 decimals — compare with the planted
    ``alpha_learners_continuous`` (rounding to 1–5 attenuates it).
    """
    sv = tables["survey"]
    lrn = sv[sv["rater_role"] == "learner"]
    alpha = cronbach_alpha(lrn[list(QUALITY_ITEMS)].astype(float).dropna()).alpha
    return {"survey_alpha_learners": round(float(alpha), 4)}


def _consistent(n: int, reported: int, qualifier: str) -> bool:
    if qualifier == "exact":
        return n == reported
    if qualifier == "at_least":
        return reported <= n <= reported * 1.15
    return abs(n - reported) <= 0.10 * reported


def _curriculum_compliance(cur: pd.DataFrame) -> pd.DataFrame:
    g = cur.groupby("training_id")
    tot = g["hours"].sum()
    tp = cur[cur["category"].isin(["theory", "party"])].groupby("training_id")["hours"].sum()
    ld = cur[cur["lecturer_type"] == "leader"].groupby("training_id")["hours"].sum()
    inter = cur["method"].isin(["seminar", "case", "simulation", "experiential", "debate"])
    ni = cur[inter].groupby("training_id").size()
    df = pd.DataFrame({"theory_party_share": (tp.reindex(tot.index, fill_value=0) / tot).round(4),
                       "leader_share": (ld.reindex(tot.index, fill_value=0) / tot).round(4),
                       "interactive_module_share": (ni.reindex(tot.index, fill_value=0) / g.size()).round(4)})
    df["meets_7a"] = df["theory_party_share"] >= 0.70
    df["meets_7b"] = df["leader_share"] >= 0.20
    df["meets_7c"] = df["interactive_module_share"] >= 0.30
    return df


def calibration_report(tables: dict, realised: dict, *, scale: float = 1.0) -> list[dict]:
    """Targets (with their seed source) against the values achieved in ``tables``."""
    rows = []

    def add(name, target, achieved, source, rule="equal", ok=None):
        if ok is None:
            ok = achieved == target
        rows.append({"quantity": name, "target": target, "achieved": achieved, "rule": rule,
                     "ok": bool(ok), "source": source})

    reps, att = tables["representatives"], tables["attendance"]
    p0 = "seed:000_27234d47d3e7ad4e.txt"
    a9 = att[att["training_id"].isin(NINTH_SESSIONS)]
    add("9th-congress sessions (T1-04..T1-09)", 6, int(a9["training_id"].nunique()), f"{p0}#§1,L29")
    add("distinct 9th-congress reps trained in the six sessions", N_DISTINCT_NINTH,
        int(a9["rep_id"].nunique()), f"{p0}#§1,L29")
    m = a9.merge(reps[["rep_id", "province", "delegation_type", "is_frontline"]], on="rep_id")
    n_prov = int(m.loc[m["province"].isin(PROVINCES_31), "province"].nunique())
    add("provinces the trainees come from", 31, n_prov, f"{p0}#§1,L29")
    add("person-times in the six sessions (> distinct)", f"> {N_DISTINCT_NINTH}", int(len(a9)),
        f"{p0}#表1", "greater", len(a9) > N_DISTINCT_NINTH)
    t1 = load_real("paper_table1_sessions").set_index("training_id")
    for tid in NINTH_SESSIONS:
        n = int((a9["training_id"] == tid).sum())
        rep, q = int(t1.at[tid, "participants_reported"]), t1.at[tid, "participants_qualifier"]
        rule = {"exact": "equal", "at_least": "reported <= n <= 1.15 x reported",
                "approx": "within ±10 %"}[q]
        add(f"{tid} participants ({t1.at[tid, 'participants_text']})", rep, n,
            t1.at[tid, "source"], rule, _consistent(n, rep, q))
        if not pd.isna(t1.at[tid, "n_origin_units"]) and t1.at[tid, "origin_unit_type"] == "province":
            k = int(m.loc[(m["training_id"] == tid) & m["province"].isin(PROVINCES_31), "province"].nunique())
            add(f"{tid} origin provinces", int(t1.at[tid, "n_origin_units"]), k, t1.at[tid, "source"])
    fl = float(m.loc[m["training_id"] == "T1-08", "is_frontline"].mean())
    add("T1-08 share front-line (大部分来自基层一线)", "> 0.5", round(fl, 4), t1.at["T1-08", "source"],
        "greater", fl > 0.5)
    # representatives
    n = len(reps)
    for d, sh in DELEGATION_SHARES.items():
        add(f"delegation share {d}", sh, round(float((reps["delegation_type"] == d).mean()), 4),
            "assumption (docs/synthetic.md)", "apportioned", True)
    for col, key in (("is_academician", "is_academician"), ("is_frontline", "is_frontline"),
                     ("is_reelected", "is_reelected"), ("can_leave_post", "can_leave_post")):
        v = round(float(reps[col].mean()), 4)
        add(f"share {col}", TARGET_SHARES[key], v, "assumption (brief)", "±0.03",
            abs(v - TARGET_SHARES[key]) <= 0.03)
    add("congress size", 1600, n, "DOMAIN.md §5 (8th congress ~1,590, external)", "parameter", True)
    # enterprise associations
    net = realised["network"]
    if scale == 1.0:
        st = load_real("enterprise_assoc_stats")
        add("enterprise associations 2021 (national)", 26708, net["enterprise_associations_2021"],
            "seed:003 enterprise_assoc_stats.csv survey_national 2021")
        add("enterprise associations existing by 2017 (national)", 15787, net["enterprise_associations_2017"],
            "seed:003 enterprise_assoc_stats.csv survey_national 2017")
        for r in st[(st["series"] == "survey_province")].itertuples():
            if r.measure == "enterprise_associations_count":
                got = net["enterprise_associations_by_province_2021"].get(r.province, 0)
            elif r.measure == "new_enterprise_associations":
                got = net["enterprise_associations_new_2021"].get(r.province, 0)
            elif r.measure == "enterprise_association_workstations":
                got = net["workstations_by_province_2021"].get(r.province, 0)
            elif r.measure == "share_of_national_total":
                got = round(100 * net["enterprise_associations_by_province_2021"].get(r.province, 0) /
                            net["enterprise_associations_2021"], 1)
            else:  # pragma: no cover
                continue
            add(f"{r.measure} {r.province} {r.year}", float(r.value) if "share" in r.measure else int(r.value),
                got, f"seed:003 enterprise_assoc_stats.csv ({r.quote})")
        top5 = sorted(net["enterprise_associations_by_province_2021"].items(), key=lambda kv: -kv[1])[:5]
        add("top-5 provinces 2021", "江苏 湖南 浙江 山东 广西", " ".join(p for p, _ in top5),
            "seed:003 enterprise_assoc_stats.csv")
    sh = net["enterprise_association_shares"]
    add("enterprise associations with a fixed office (has_site)", "> 0.80", sh["has_site"],
        "seed:003 (超过80%)", "greater", sh["has_site"] > 0.80)
    add("enterprise associations with full-time staff (has_staff)", 0.75, sh["has_staff"],
        "seed:003 (约四分之三)", "±0.03", abs(sh["has_staff"] - 0.75) <= 0.03)
    add("enterprise associations with dedicated funds (has_funding)", 0.6667, sh["has_funding"],
        "seed:003 (约三分之二)", "±0.03", abs(sh["has_funding"] - 0.6667) <= 0.03)
    orgs, links = tables["organizations"], tables["links"]
    for cid in ("C01", "C02"):
        sel = links[links["project_id"] == cid]
        comp = orgs.set_index("org_id").loc[sel["source_id"], "type"].value_counts().sort_index().to_dict()
        want = (load_real("consortia").query("consortium_id == @cid").groupby("member_type")["n_members"]
                .sum().sort_index().to_dict())
        add(f"{cid} composition by type", {k: int(v) for k, v in want.items()},
            {k: int(v) for k, v in comp.items()}, "seed:003 consortia.csv",
            "equal", {k: int(v) for k, v in want.items()} == {k: int(v) for k, v in comp.items()})
    # learning gain, outputs
    sv = tables["survey"]
    gain = float((sv["post_score"] - sv["pre_score"]).mean())
    add("mean pre/post gain (planted 8.0)", PLANTED_EFFECTS["pre_post_gain_mean"], round(gain, 3),
        "PLANTED_EFFECTS", "±1.5", abs(gain - PLANTED_EFFECTS["pre_post_gain_mean"]) <= 1.5)
    cc = _curriculum_compliance(tables["curriculum"])
    for rule in ("meets_7a", "meets_7b", "meets_7c"):
        add(f"sessions meeting plan rule {rule[-2:]}", "some but not all", int(cc[rule].sum()),
            "seed:001 indicator 7 (plan_indicators.toml)", "0 < k < n", 0 < cc[rule].sum() < len(cc))
    return rows
