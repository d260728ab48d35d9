"""Generate a complete synthetic study in memory and write it as a dataset folder.

The folder's manifest also carries the calibration report and the realised statistics of the
draw; those compare generated data with analysis results, so they live in
:mod:`kexie_research.calibration` (above both the generator and the analyses), whose
:func:`~kexie_research.calibration.generate_dataset` is the one-call entry point.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import load_real
from ..io import atomic_write_bytes, dumps_json, neutralize_formulas, write_text
from ._common import DEFAULT_SEED, GENERATOR_VERSION, source_label
from .effects import PLANTED_EFFECTS
from .network import generate_network
from .people import generate_cadres, generate_representatives
from .training import generate_history

__all__ = ["generate_tables", "write_dataset", "GZIPPED_KINDS", "KIND_ORDER", "MIN_REPRESENTATIVES"]

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


def write_dataset(out_dir: str | os.PathLike, tables: dict[str, pd.DataFrame], *, seed: int,
                  n_representatives: int, scale: float, calibration: list[dict],
                  realised: dict) -> dict:
    """Write generated tables as a dataset folder: every kind, ``MANIFEST.json``, ``README.md``.

    Files are named ``<kind>_synthetic.csv`` (``.csv.gz`` for organizations and links, gzip
    with mtime 0); the same tables always give byte-identical files. The calibration report
    and the realised statistics come from the caller —
    :func:`kexie_research.calibration.generate_dataset` computes them with the analysis
    modules, which the generator does not import.

    Returns
    -------
    dict
        The manifest (also written to ``MANIFEST.json``).
    """
    out = Path(out_dir)
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
        "calibration": calibration,
        "planted_effects": PLANTED_EFFECTS,
        "realised": realised,
    }
    atomic_write_bytes(out / "MANIFEST.json", dumps_json(manifest).encode("utf-8"))
    write_text(out / "README.md", _readme(manifest))
    return manifest


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

or `kexie_research.calibration.generate_dataset(dir, seed={m['seed']})`. `MANIFEST.json` lists
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
