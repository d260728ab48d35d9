"""Organisation hierarchy, coverage, rankings and growth (incl. the seed's 2017 → 2021 figures)."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from kexie_research.data import load_real, synthetic_dir
from kexie_research.errors import AnalysisError, HierarchyError
from kexie_research.networks.growth import (fit_growth, fit_growth_by_province, seed_growth,
                                            yearly_counts)
from kexie_research.networks.hierarchy import build_hierarchy
from kexie_research.networks.orgcoverage import (compute_org_coverage, is_empty_shell,
                                                 rank_provinces, six_haves_score)

HAVES = ("has_site", "has_facilities", "has_staff", "has_funding", "has_activities", "has_rules")


def _tree():
    return pd.DataFrame({
        "org_id": ["CAST", "P1", "C1", "K1", "T1", "T2", "S1"],
        "parent_id": [None, "CAST", "P1", "C1", "K1", "K1", "CAST"],
        "level": ["national", "provincial", "city", "county", "town", "town", "national"],
        "type": ["cast", "provincial_association", "city_association", "county_association",
                 "town_association", "town_association", "national_society"]},
        index=range(1, 8))


def test_hierarchy_structure():
    h = build_hierarchy(_tree())
    assert h.roots == ["CAST"] and h.max_depth == 4
    t = h.table.set_index("org_id")
    assert t.loc["CAST", "subtree_size"] == 7 and t.loc["K1", "subtree_size"] == 3
    assert t.loc["K1", "n_children"] == 2 and t.loc["T2", "depth"] == 4
    assert h.level_chain("T1") == [("CAST", "national"), ("P1", "provincial"), ("C1", "city"),
                                   ("K1", "county"), ("T1", "town")]
    assert sorted(h.children("K1")) == ["T1", "T2"]
    cc = h.chain_completeness().set_index("type")
    assert cc.loc["town_association", "share"] == 1.0


@pytest.mark.parametrize("change, rule, names", [
    ({"parent_id": {5: "NOPE"}}, "parent_exists", ["'NOPE'", "'T1'", "row 5"]),
    ({"parent_id": {1: "T2"}}, "no_cycles", ["cycle", "CAST", "T2"]),
    ({"parent_id": {3: "C1"}}, "no_cycles", ["C1 → C1", "row 3"]),
    ({"level": {4: "provincial"}}, "parent_level_not_below", ["'K1' (provincial)", "'C1' (city)", "row 4"]),
])
def test_hierarchy_errors_are_clear(change, rule, names):
    df = _tree()
    for col, cells in change.items():
        for row, val in cells.items():
            df.loc[row, col] = val
    with pytest.raises(HierarchyError) as exc:
        build_hierarchy(df, file="orgs.csv")
    msg = str(exc.value)
    assert exc.value.rule == rule and msg.startswith("orgs.csv")
    for n in names:
        assert n in msg


def test_six_haves_empty_shell_and_coverage_hand_example():
    df = _tree()
    # CAST, P1: all six and active; C1: 2 haves, inactive (shell); K1: 5 haves, active;
    # T1: 6 haves, active; T2: nothing known; S1 is a society with 6 haves, inactive
    vals = {"CAST": (6, True), "P1": (6, True), "C1": (2, False), "K1": (5, True),
            "T1": (6, True), "T2": (None, None), "S1": (6, False)}
    for h_i, h in enumerate(HAVES):
        df[h] = [None if vals[o][0] is None else h_i < vals[o][0] for o in df["org_id"]]
    df["active_last_year"] = [vals[o][1] for o in df["org_id"]]
    df["province"] = [None, "江苏", "江苏", "江苏", "江苏", "江苏", None]
    assert six_haves_score(df).tolist() == [6, 6, 2, 5, 6, 0, 6]
    assert is_empty_shell(df).tolist() == [False, False, True, False, False, True, False]
    r = compute_org_coverage(df, by=("level",))
    g = r.by_group.set_index("level")
    assert g.loc["town", "n_formal"] == 2 and g.loc["town", "n_effective"] == 1
    assert g.loc["national", "n_effective"] == 1  # S1 was not active
    assert g.loc["town", "n_unknown_haves"] == 6
    assert r.national == {"n_formal": 7, "n_effective": 3, "effective_rate": 3 / 7,
                          "n_empty_shell": 2, "empty_shell_rate": 2 / 7, "mean_score": 31 / 7}
    d = r.depth.set_index("parent_type")
    # C1 has a county child K1 (not effective: 5 haves); K1 has an effective child T1
    assert d.loc["city_association", "formal"] == 1 and d.loc["city_association", "effective"] == 0
    assert d.loc["county_association", "effective"] == 1
    with pytest.raises(AnalysisError, match="no association"):
        compute_org_coverage(df.assign(type="enterprise"))


def test_seed_growth_figures_from_real_table():
    s = seed_growth(load_real("enterprise_assoc_stats"))
    assert (s["count_2017"], s["count_2021"], s["growth"]) == (15787, 26708, 10921)
    assert s["growth_pct"] == pytest.approx(69.18, abs=0.01)  # 10921 / 15787
    assert s["cagr"] == pytest.approx((26708 / 15787) ** 0.25 - 1)  # 14.05 % a year
    assert [t["province"] for t in s["top"]] == ["江苏", "湖南", "浙江", "山东", "广西"]
    assert s["top"][0]["share"] == pytest.approx(0.152, abs=5e-4)  # 4058 / 26708 = 15.2 %
    assert s["new_2021"] == {"湖南": 1358, "广西": 590}


@pytest.fixture(scope="module")
def synthetic_orgs():
    path = synthetic_dir() / "organizations_synthetic.csv.gz"
    if not path.is_file():
        pytest.skip("embedded synthetic organizations not present")
    o = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["org_id", "type", "province",
                                                                       "founded_year"])
    o = o.replace({"": None})
    o["founded_year"] = pd.to_numeric(o["founded_year"])
    return o


def test_synthetic_table_reproduces_seed_counts(synthetic_orgs):
    yc = yearly_counts(synthetic_orgs, years=[2017, 2021]).set_index("year")
    assert yc.loc[2017, "count"] == 15787 and yc.loc[2021, "count"] == 26708
    r = rank_provinces(synthetic_orgs, year=2021, base_year=2017)
    assert r["province"].head(5).tolist() == ["江苏", "湖南", "浙江", "山东", "广西"]
    assert r["count"].head(5).tolist() == [4058, 4021, 2570, 2333, 1973]
    assert r.loc[0, "share"] == pytest.approx(0.152, abs=5e-4)
    top = r.set_index("province")
    assert top.loc["湖南", "new_in_year"] == 1358 and top.loc["广西", "new_in_year"] == 590
    assert r.attrs["national_total"] == 26708


def test_growth_models_fit_and_project(synthetic_orgs):
    yc = yearly_counts(synthetic_orgs, years=range(2012, 2022))
    lin = fit_growth(yc, model="loglinear", horizon=3)
    nb = fit_growth(yc, model="negbin", horizon=3, rng=4)
    for r in (lin, nb):
        p = r.projection
        assert p["year"].tolist() == [2022, 2023, 2024]
        assert (p["lower"] <= p["mean"]).all() and (p["mean"] <= p["upper"]).all()
        assert p["mean"].is_monotonic_increasing and p["mean"].iloc[0] > 26708
        assert r.annual_growth_ci[0] <= r.annual_growth <= r.annual_growth_ci[1]
    # both models agree on roughly the seed's 14 % a year
    assert 0.08 < lin.annual_growth < 0.2 and 0.08 < nb.annual_growth < 0.2
    nb2 = fit_growth(yc, model="negbin", horizon=3, rng=4)
    pd.testing.assert_frame_equal(nb.projection, nb2.projection)
    by = fit_growth_by_province(synthetic_orgs, provinces=["江苏", "湖南"], rng=1)
    assert by["province"].tolist() == ["江苏", "湖南"] and (by["lower"] <= by["upper"]).all()


def test_loglinear_recovers_exact_exponential():
    c = pd.DataFrame({"year": range(2000, 2010), "count": 100 * 1.2 ** np.arange(10)})
    r = fit_growth(c, horizon=2)
    assert r.annual_growth == pytest.approx(0.2, abs=1e-9)
    assert r.projection["mean"].tolist() == pytest.approx([100 * 1.2**10, 100 * 1.2**11])
    with pytest.raises(ValueError, match="model must be one of"):
        fit_growth(c, model="logistic")
    with pytest.raises(AnalysisError, match="at least three"):
        fit_growth(c.head(2))


def test_cli_network_json(tmp_path, capsys):
    from kexie_research.cli import main

    orgs = tmp_path / "orgs.csv"
    links = tmp_path / "links.csv"
    head = "org_id,name,type,level,province,parent_id,founded_year,members," + ",".join(HAVES) + ",active_last_year\n"
    types = ["enterprise", "university", "national_society"]
    orgs.write_text(head + "".join(f"G{i},org{i},{types[i % 3]},grassroots,江苏,,2018,20" + ",true" * 7 + "\n"
                                   for i in range(9)), encoding="utf-8")
    links.write_text("source_id,target_id,kind,year,weight,project_id\n" + "".join(
        f"G{i},G{(i + 1) % 9},project,2022,1,P{i // 3}\n" for i in range(9)), encoding="utf-8")
    cmd = ["network", "--orgs", str(orgs), "--links", str(links)]
    assert main(cmd + ["--json", "--top", "3", "--n-boot", "50"]) == 0
    d = json.loads(capsys.readouterr().out)
    g = d["graph"]
    assert (g["nodes"], g["edges"], g["components"]) == (9, 9, 1)
    assert g["density"] == pytest.approx(9 / 36)
    assert len(d["top"]["betweenness"]) == 3
    # ring of 9: every node has betweenness (3·2·... ) = 0.2143 (networkx: 6/28)
    assert d["top"]["betweenness"][0][1] == pytest.approx(6 / 28)
    # exact and all equal: every node ties for rank 1 (the interval spans the ties)
    assert {(r["rank"], r["rank_low"], r["rank_high"]) for r in d["ranks"]["betweenness"]} == {(1, 1, 9)}
    assert "modularity" in d["communities"] and "modularity" in d["communities_connected"]
    th = d["triple_helix"]
    assert th["unit"] == "project" and th["full"]["n_boot"] == 50
    assert set(th["full"]["pairwise_mi_bits"]) == {"university-industry", "university-government",
                                                   "industry-government"}
    assert isinstance(th["full"]["T_bits"], float) and "fractional" in th and "four_helix" in th
    assert d["parameters"]["seed_scheme"]["streams"]["measures"] == 0
    assert main(cmd) == 0 and "triple helix T" in capsys.readouterr().out
    assert main(cmd + ["--json", "--n-boot", "0", "--connected-communities"]) == 0
    c = json.loads(capsys.readouterr().out)["communities_connected"]
    assert c["connected"] is True and c["disconnected_louvain_communities"] == 0
    assert main(cmd[:-1] + [str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv" in capsys.readouterr().err
    assert main(cmd + ["--top", "0"]) == 2
    assert main(cmd + ["--target-rse", "0"]) == 2 and "--target-rse" in capsys.readouterr().err
    # a link to an unknown organisation: the error names the links file, its row and the id
    bad = tmp_path / "bad_links.csv"
    bad.write_text("source_id,target_id,kind,year,weight,project_id\n"
                   "G0,G1,project,2022,1,P0\nG1,G99,project,2022,1,P0\n", encoding="utf-8")
    assert main(["network", "--orgs", str(orgs), "--links", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad_links.csv" in err and "row 2" in err and "'G99'" in err and "foreign_key" in err


def test_cli_script_entry_point(tmp_path):
    # one real process: the installed entry point and exit code 2 on bad input
    out = subprocess.run([sys.executable, "-m", "kexie_research", "network", "--orgs",
                          str(tmp_path / "none.csv"), "--links", str(tmp_path / "none.csv")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "Traceback" not in out.stderr
