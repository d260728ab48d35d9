"""Generate a complete synthetic study and write it as a dataset folder with a manifest."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import load_real
from ..io import atomic_write_bytes, dumps_json, neutralize_formulas, write_text
from ..regions import PROVINCES_31
from ._common import DEFAULT_SEED, GENERATOR_VERSION, source_label
from .effects import PLANTED_EFFECTS
from .network import generate_network
from .people import DELEGATION_SHARES, TARGET_SHARES, generate_cadres, generate_representatives
from .training import N_DISTINCT_NINTH, NINTH_SESSIONS, generate_history

__all__ = ["generate_tables", "generate_dataset", "GZIPPED_KINDS", "KIND_ORDER"]

#: Kinds written as ``<kind>_synthetic.csv.gz`` (large); the rest as ``.csv``.
GZIPPED_KINDS = ("organizations", "links")
MIN_REPRESENTATIVES = 1000
"""Smallest congress that holds the 9th-congress history (584 distinct trainees)."""
KIND_ORDER = ("representatives", "trainings", "curriculum", "attendance", "survey", "outputs",
              "costs", "cadres", "hours_log", "organizations", "links")


def generate_tables(*, seed: int = DEFAULT_SEED, n_representatives: int = 1600,
                    scale: float = 1.0, n_cadres: int = 400) -> tuple[dict[str, pd.DataFrame], dict]:
    """Generate every table of a synthetic 9th-congress study in memory.

    Parameters
    ----------
    seed : int
        Master seed; independent streams for each part come from
        ``numpy.random.SeedSequence(seed).spawn``.
    n_representatives : int
        Congress size (≥ 1,000: the six sessions need ~510 distinct local-delegation trainees
        from the listed provinces; below ~850 the provinces run out of people).
    scale : float
        Multiplies the size of the organisation network (1.0 = national scale; the
        calibration to seed 003's counts is exact only at 1.0).
    n_cadres : int
        Number of cadres for the compliance tables.

    Returns
    -------
    (tables, realised) : dict of DataFrame, dict
        Tables by kind, and facts of this draw for the manifest.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    if n_representatives < MIN_REPRESENTATIVES:
        raise ValueError(f"n_representatives must be >= {MIN_REPRESENTATIVES} to hold the 584 distinct trainees "
                         f"of the 9th-congress history, not {n_representatives}")
    if not (0 < scale <= 2.0):
        raise ValueError(f"scale must be in (0, 2], not {scale}")
    ss = np.random.SeedSequence(int(seed))
    g_rep, g_hist, g_cad, g_net = (np.random.default_rng(c) for c in ss.spawn(4))
    label = source_label(seed)
    reps = generate_representatives(n_representatives, rng=g_rep, congress=9)
    reps["source"] = label
    hist = generate_history(reps, load_real("paper_table1_sessions"), load_real("paper_table2_topics"),
                            g_hist, seed=seed)
    cadres, hours_log = generate_cadres(n_cadres, rng=g_cad)
    cadres["source"] = label
    hours_log["source"] = label
    orgs, links, net_real = generate_network(g_net, scale=scale, seed=seed,
                                             stats=load_real("enterprise_assoc_stats"),
                                             consortia=load_real("consortia"))
    tables = {"representatives": reps, "trainings": hist["trainings"], "curriculum": hist["curriculum"],
              "attendance": hist["attendance"], "survey": hist["survey"], "outputs": hist["outputs"],
              "costs": hist["costs"], "cadres": cadres, "hours_log": hours_log,
              "organizations": orgs, "links": links}
    realised = {**hist["_realised"], "network": net_real}
    return tables, realised


def _csv_bytes(df: pd.DataFrame) -> bytes:
    text = neutralize_formulas(df).to_csv(index=False, lineterminator="\n", float_format=None)
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def file_name(kind: str) -> str:
    return f"{kind}_synthetic.csv" + (".gz" if kind in GZIPPED_KINDS else "")


def generate_dataset(out_dir: str | os.PathLike, *, seed: int = DEFAULT_SEED,
                     n_representatives: int = 1600, scale: float = 1.0) -> dict:
    """Generate a complete synthetic dataset folder (every table kind, MANIFEST.json, README.md).

    Files are named ``<kind>_synthetic.csv`` (``.csv.gz`` for organizations and links,
    gzip with mtime 0); the same arguments always give byte-identical files.

    Parameters
    ----------
    out_dir : path-like
        Folder to write (created if missing; existing files of the same names are replaced).
    seed, n_representatives, scale
        See :func:`generate_tables`.

    Returns
    -------
    dict
        The manifest (also written to ``MANIFEST.json``).

    Examples
    --------
    >>> import tempfile
    >>> from kexie_research import load_dataset
    >>> with tempfile.TemporaryDirectory() as d:
    ...     m = generate_dataset(d, seed=7, scale=0.02)
    ...     ds = load_dataset(d)
    >>> len(ds.tables()), m["seed"], ds.is_synthetic
    (11, 7, True)
    """
    out = Path(out_dir)
    tables, realised = generate_tables(seed=seed, n_representatives=n_representatives, scale=scale)
    files = {}
    for kind in KIND_ORDER:
        csv = _csv_bytes(tables[kind])
        # gzip with mtime 0 and no file name: the bytes depend only on the content (and on
        # the zlib build: content_sha256 is the build-independent check)
        data = gzip.compress(csv, compresslevel=6, mtime=0) if kind in GZIPPED_KINDS else csv
        name = file_name(kind)
        atomic_write_bytes(out / name, data)
        files[name] = {"kind": kind, "rows": int(len(tables[kind])), "bytes": len(data),
                       "sha256": hashlib.sha256(data).hexdigest(),
                       "content_sha256": hashlib.sha256(csv).hexdigest()}
    manifest = {
        "dataset": "kexie_research synthetic CAST congress study (SYNTHETIC: not real persons)",
        "generator": "kexie_research.synthetic", "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "parameters": {"n_representatives": int(n_representatives), "scale": float(scale),
                       "congress": 9, "n_cadres": 400},
        "source_label": source_label(seed),
        "files": files,
        "calibration": calibration_report(tables, realised, scale=scale),
        "planted_effects": PLANTED_EFFECTS,
        "realised": realised,
    }
    atomic_write_bytes(out / "MANIFEST.json", dumps_json(manifest).encode("utf-8"))
    write_text(out / "README.md", _readme(manifest))
    return manifest


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


def _readme(m: dict) -> str:
    rows = "\n".join(f"| `{name}` | {f['kind']} | {f['rows']:,} | {f['bytes']:,} |" for name, f in m["files"].items())
    cal = "\n".join(f"| {c['quantity']} | {c['target']} | {c['achieved']} | {c['rule']} | "
                    f"{'yes' if c['ok'] else 'NO'} | {c['source']} |" for c in m["calibration"])
    return f"""# SYNTHETIC dataset — not real persons or organisations

Every row in this folder was generated by `kexie_research.synthetic` (generator version
{m['generator_version']}, seed {m['seed']}) and carries `source = {m['source_label']}`.
No row describes a real representative, cadre or organisation; the names of organisations
are synthetic (marked 合成) except the national bodies and the named consortia whose
*compositions* are published (seed 003). It exists so that every analysis, test, notebook
and the report run out of the box on data with known, planted properties.

Regenerate byte-identically with

    kexie-research generate --out datasets/synthetic --seed {m['seed']} --representatives {m['parameters']['n_representatives']} --scale {m['parameters']['scale']}

or `kexie_research.synthetic.generate_dataset(dir, seed={m['seed']})`. `MANIFEST.json` lists
each file's SHA-256 and rows, the calibration targets with achieved values, the planted
effects and realised facts of this draw. The method is documented in `docs/synthetic.md`.

## Files

| file | table | rows | bytes |
|---|---|---|---|
{rows}

## What is calibrated to which seed figure

Seed files are transcribed in `datasets/real/` (see `datasets/real/SOURCES.md`).

| quantity | target | achieved | rule | ok | source |
|---|---|---|---|---|---|
{cal}

## What is invented (documented assumptions)

- Congress size 1,600 (a parameter near the 8th congress's ~1,590, DOMAIN.md § 5); delegation
  shares, provincial delegation sizes, sectors and attributes (docs/synthetic.md § Representatives).
- Which representatives attended which session (only counts, origins and the 584 distinct
  total are from the seed); the synthetic provincial / online sessions `S9-*`.
- Curriculum modules beyond the Table 2 lectures; survey answers, test scores and duty
  outputs (generated with the planted effects in `MANIFEST.json`); costs; cadres and hours.
- The organisation network beyond the calibrated counts (hierarchy sizes follow CAST's
  2018 breakdown, DOMAIN.md § 5; town associations are a sample).
"""
