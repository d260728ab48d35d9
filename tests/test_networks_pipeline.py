"""One network pipeline, one seed scheme (issue 13): the CLI, the report and the widget give
the same numbers for the same seed."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from kexie_research.cli import main
from kexie_research.io import dumps_json
from kexie_research.networks.measures import compute_measures
from kexie_research.networks.pipeline import (DEFAULTS, N_STREAMS, PARTS, STREAMS, analyse_network)


def _tables(n: int = 120, seed: int = 3):
    """A small organisation graph with projects across helices and provinces."""
    rng = np.random.default_rng(seed)
    types = np.array(["enterprise", "university", "cast", "national_society", "hospital", "park_association"])
    provs = np.array(["江苏", "广东", "甘肃", "湖南"])
    orgs = pd.DataFrame({"org_id": [f"O{i}" for i in range(n)], "type": types[rng.integers(0, 6, n)],
                         "province": provs[rng.integers(0, 4, n)]})
    rows = []
    for p in range(150):
        mem = rng.choice(n, size=int(rng.integers(2, 5)), replace=False)
        for a, b in zip(mem[:-1], mem[1:]):
            rows.append((f"O{a}", f"O{b}", "project", int(rng.integers(2016, 2023)), f"P{p}"))
    links = pd.DataFrame(rows, columns=["source_id", "target_id", "kind", "year", "project_id"])
    return orgs, links


def test_seed_scheme_is_fixed_per_step():
    orgs, links = _tables()
    full = analyse_network(orgs, links, seed=11, n_boot=40)
    only = analyse_network(orgs, links, seed=11, n_boot=40, parts=("measures",))
    helix = analyse_network(orgs, links, seed=11, n_boot=40, parts=("triple_helix",))
    # dropping steps shifts no other step's stream
    pd.testing.assert_frame_equal(full.measures.table, only.measures.table)
    assert full.helix_full.ci == helix.helix_full.ci and full.helix_four.ci == helix.helix_four.ci
    pd.testing.assert_frame_equal(full.helix_by_province, helix.helix_by_province)
    # the documented assignment: child STREAMS[step] of SeedSequence(seed).spawn(N_STREAMS)
    kids = np.random.SeedSequence(11).spawn(N_STREAMS)
    direct = compute_measures(full.graph, rng=np.random.default_rng(kids[STREAMS["measures"]]))
    pd.testing.assert_frame_equal(full.measures.table, direct.table)
    assert full.communities.seed == int(kids[STREAMS["communities"]].generate_state(1)[0])
    assert len(set(STREAMS.values())) == len(STREAMS) and max(STREAMS.values()) < N_STREAMS
    # same seed, same JSON; another seed, other intervals
    again = analyse_network(orgs, links, seed=11, n_boot=40)
    assert dumps_json(full.to_dict()) == dumps_json(again.to_dict())
    other = analyse_network(orgs, links, seed=12, n_boot=40, parts=("triple_helix",))
    assert other.helix_full.ci != full.helix_full.ci


def test_parts_and_options_are_checked():
    orgs, links = _tables(30)
    with pytest.raises(ValueError, match="unknown part"):
        analyse_network(orgs, links, parts=("measures", "pagerank"))
    with pytest.raises(TypeError, match="unknown option"):
        analyse_network(orgs, links, n_bootstrap=3)
    a = analyse_network(orgs, None, seed=1)
    assert a.measures is None and a.skipped["measures"] == "no links table"
    assert a.skipped["hierarchy"] == "no parent_id column" and "growth" in a.skipped
    assert set(DEFAULTS) >= {"target_rse", "n_boot", "unit", "counting", "helices"} and "measures" in PARTS


def test_rank_intervals_cover_the_rank_and_sampled_ones_widen():
    G = nx.powerlaw_cluster_graph(2500, 2, 0.2, seed=2)
    orgs = pd.DataFrame({"org_id": [str(i) for i in G], "type": "enterprise"})
    links = pd.DataFrame([(str(a), str(b)) for a, b in G.edges()], columns=["source_id", "target_id"])
    from kexie_research.networks import build_graph

    g = build_graph(orgs, links)
    a = analyse_network(orgs, links, seed=3, graph=g, parts=("measures",), target_rse=0.08,
                        measures=("degree", "betweenness"), top=15)
    b = a.ranks["betweenness"]
    assert (b["rank_low"] <= b["rank"]).all() and (b["rank"] <= b["rank_high"]).all()
    s = analyse_network(orgs, links, seed=3, graph=g, parts=("measures",), target_rse=0.08,
                        measures=("betweenness",), betweenness_method="paths", top=15)
    r = s.ranks["betweenness"]
    assert s.measures.methods["betweenness"]["method"] == "sampled paths"
    assert (r["rank_low"] <= r["rank"]).all() and (r["rank"] <= r["rank_high"]).all()
    assert (r["rank_high"] - r["rank_low"]).max() > 0  # sampling error shows in the ranks
    # the exact ranking of the top nodes falls inside most intervals
    exact = a.measures.table.set_index("org_id")["betweenness"].rank(ascending=False, method="min")
    inside = [(x.rank_low <= exact[x.org_id] <= x.rank_high) for x in r.itertuples()]
    assert np.mean(inside) >= 0.8


@pytest.mark.slow  # the national network twice (~1 min warm on 2 cores)
def test_cli_json_equals_report_summary(tmp_path, capsys):
    """``network --seed S --json`` and ``report --seed S``'s networks section agree exactly
    on the embedded data (same intervals, same top lists, same rank intervals)."""
    from kexie_research.data import synthetic_dir
    from kexie_research.report import build_report

    d = synthetic_dir()
    assert main(["network", "--orgs", str(d / "organizations_synthetic.csv.gz"),
                 "--links", str(d / "links_synthetic.csv.gz"), "--seed", "7", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    res = build_report(out_dir=tmp_path / "out", sections=["networks"], seed=7, progress=False)
    rep = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["sections"]["networks"]
    shared = set(cli) & set(rep) - {"skipped", "affiliation"}
    assert {"graph", "methods", "top", "ranks", "communities", "triple_helix", "brokerage",
            "province_ranking", "growth", "coverage", "hierarchy", "parameters"} <= shared
    for key in sorted(shared):
        assert cli[key] == rep[key], key
    th = cli["triple_helix"]["full"]
    assert th["ci"][0] < th["T_bits"] < th["ci"][1]
    m = cli["methods"]["betweenness"]
    assert m["method"] == "sampled paths" and m["median_relative_se_top20"] <= 0.05
    assert res.summary["sections"]["networks"]["methods"] == rep["methods"]
    # the one helix map: the four provinces with planted synergy are measured as the four
    # strongest, their rank intervals apart from the rest (the old map ranked none of them first)
    from kexie_research.synthetic.effects import PLANTED_EFFECTS

    bp = [r for r in rep["triple_helix"]["by_province"] if r["T"] is not None]
    assert {r["slice"] for r in bp[:4]} == set(PLANTED_EFFECTS["triple_helix_synergy_provinces"])
    assert max(r["rank_high"] for r in bp[:4]) < min(r["rank_low"] for r in bp[4:])
