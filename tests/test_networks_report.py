"""The report's networks section on a small validated dataset (fixture written to disk)."""

import json

import numpy as np
import pandas as pd
import pytest

from kexie_research.data import load_dataset
from kexie_research.report import build_report

HAVES = ("has_site", "has_facilities", "has_staff", "has_funding", "has_activities", "has_rules")


def _write_fixture(d):
    rng = np.random.default_rng(5)
    rows = [["CAST", "中国科协", "cast", "national", "", "", 1958]]
    provs = ["江苏", "湖南", "甘肃"]
    for i, p in enumerate(provs):
        rows.append([f"P{i}", f"{p}科协", "provincial_association", "provincial", p, "CAST", 1980])
        rows.append([f"C{i}", f"{p}市科协", "city_association", "city", p, f"P{i}", 1985])
        for j in range(12):
            rows.append([f"E{i}{j}", f"企业科协{i}{j}", "enterprise_association", "grassroots", p,
                         f"C{i}", int(rng.integers(2008, 2022))])
        for j in range(4):
            rows.append([f"U{i}{j}", f"高校{i}{j}", "university", "grassroots", p, "", 1950])
            rows.append([f"F{i}{j}", f"企业{i}{j}", "enterprise", "grassroots", p, "", 1990])
    orgs = pd.DataFrame(rows, columns=["org_id", "name", "type", "level", "province", "parent_id",
                                       "founded_year"])
    for h in HAVES + ("active_last_year",):
        orgs[h] = rng.random(len(orgs)) < 0.8
    orgs["members"] = 10
    ids = orgs["org_id"].tolist()
    links = []
    for pnum in range(40):
        members = rng.choice(ids, size=int(rng.integers(2, 5)), replace=False)
        for a, b in zip(members[:-1], members[1:]):
            links.append([a, b, "project", int(rng.integers(2016, 2023)), 1.0, f"PR{pnum}"])
    for o in ids[1:]:
        links.append([o, "CAST", "membership", 2015, 1.0, ""])
    lk = pd.DataFrame(links, columns=["source_id", "target_id", "kind", "year", "weight", "project_id"])
    orgs.to_csv(d / "organizations.csv", index=False)
    lk.to_csv(d / "links.csv", index=False)
    reps = pd.DataFrame({"rep_id": [f"R{i}" for i in range(12)], "congress": 10,
                         "province": [provs[i % 3] for i in range(12)],
                         "delegation_type": "local_association", "sector": "university",
                         "is_academician": False, "is_frontline": True, "is_reelected": False})
    reps.to_csv(d / "representatives.csv", index=False)
    tr = pd.DataFrame({"training_id": ["S1", "S2"], "name": ["班1", "班2"], "level": "national",
                       "host_province": "江苏", "city": "南京", "start_date": ["2021-05-01", "2022-05-01"],
                       "end_date": ["2021-05-03", "2022-05-03"], "modality": "centralized"})
    tr.to_csv(d / "trainings.csv", index=False)
    att = pd.DataFrame({"rep_id": [f"R{i}" for i in range(8)] + ["R0", "R9"],
                        "training_id": ["S1"] * 8 + ["S2", "S2"], "hours": 16, "completed": True,
                        "role": "learner"})
    att.to_csv(d / "attendance.csv", index=False)


@pytest.mark.slow  # writes seven figures in three formats (~10 s warm)
def test_networks_section_builds(tmp_path):
    lang = "zh"
    data = tmp_path / "data"
    data.mkdir()
    _write_fixture(data)
    ds = load_dataset(data)
    res = build_report(out_dir=tmp_path / "out", sections=["networks"], dataset=ds, lang=lang,
                       quick=True, progress=False)
    s = res.summary["sections"]["networks"]
    assert s["seed_growth"]["count_2021"] == 26708
    assert s["graph"]["nodes"] == 67 and s["graph"]["components"] >= 1
    assert s["triple_helix"]["unit"] == "project" and s["triple_helix"]["full"]["n_units"] == 40
    assert s["ranks"]["betweenness"][0]["rank"] == 1
    by_prov = s["triple_helix"]["by_province"]
    assert all(r["rank_low"] <= r["rank"] <= r["rank_high"] for r in by_prov if r["T"] is not None)
    assert s["affiliation"]["ties"] == 28 + 1  # 8 classmates in S1 (28 pairs) + R0–R9 in S2
    assert s["coverage"]["n_formal"] == 43
    figs = sorted(p.name for p in (tmp_path / "out" / "figures").glob("networks_*.png"))
    assert figs == sorted(f"networks_{n}.png" for n in (
        "consortium_c01", "coverage_by_province", "province_ranking", "growth", "flow_type",
        "flow_province", "triple_helix_years"))
    json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    # every display name from labels: no English header or code in the Chinese tables (issue 13)
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    for code in ("under_expected_parent", "provincial_association", "org_id", "| slice", "n_units",
                 "节点大小：degree", "| type", "CI low", "betweenness_se"):
        assert code not in md, code
    assert "挂在上一级科协之下" in md and "排名区间下限" in md and "省级科协" in md
    # user data: no origin tag on the data's own numbers; the seed's figure is tagged real
    assert "【合成数据】" not in md and "【种子文献】" in md
    assert s["data_origin"] == "mixed" and s["data_origin_items"]["seed_growth"] == "real"
    assert s["data_origin_items"]["triple_helix"] == "data"


def test_networks_section_on_edge_cases(tmp_path):
    """No enterprise association, no link: the section explains instead of crashing."""
    import dataclasses

    from kexie_research.data import load_dataset as _load

    data = tmp_path / "data"
    data.mkdir()
    _write_fixture(data)
    ds = _load(data)
    orgs = ds.organizations[ds.organizations["type"] != "enterprise_association"]
    keep = set(orgs["org_id"])
    links = ds.links[ds.links["source_id"].isin(keep) & ds.links["target_id"].isin(keep)].iloc[:0]
    ds2 = dataclasses.replace(ds, organizations=orgs, links=links)
    res = build_report(out_dir=tmp_path / "out", sections=["networks"], dataset=ds2, lang="en",
                       quick=True, progress=False)
    s = res.summary["sections"]["networks"]
    assert s["graph"]["edges"] == 0 and s["ranking_top5"] == []
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "no ranking" in md and "Growth model not fitted" in md
