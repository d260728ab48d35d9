"""The simulate / optimize / sweep / recommend subcommands, the figures and the report section."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from kexie_research.cli import main  # noqa: E402

TINY = """
[term]
years = 1
[population]
synthetic_size = 200
seed = 1
[[sessions]]
per_year = 2
capacity = 20
modality = "centralized"
[policy]
selection = "never_trained_first"
accept_prob = 1.0
no_show_prob = 0.0
"""


@pytest.fixture
def tiny_plan(tmp_path):
    p = tmp_path / "plan.toml"
    p.write_text(TINY, encoding="utf-8")
    return p


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_simulate_json_keys_and_values(tiny_plan, capsys):
    assert main(["simulate", "--plan", str(tiny_plan), "--replications", "50", "--seed", "1", "--json"]) == 0
    d = _json(capsys)
    for k in ("coverage_mean", "coverage_p05", "coverage_p95", "years_to_80pct", "cost_mean",
              "by_year", "by_province", "by_segment", "by_region"):
        assert k in d
    assert d["coverage_mean"] == pytest.approx(0.2)          # 2 x 20 seats / 200 people, exactly
    assert d["coverage_p05"] == d["coverage_p95"] == pytest.approx(0.2)
    assert d["cost_mean"] == pytest.approx(2 * (50000 + 6000 * 20))
    assert d["by_year"][0]["year"] == 1


def test_simulate_workers_do_not_change_results(tiny_plan, capsys):
    main(["simulate", "--plan", str(tiny_plan), "--replications", "3000", "--seed", "5", "--json"])
    a = _json(capsys)
    main(["simulate", "--plan", str(tiny_plan), "--replications", "3000", "--seed", "5",
          "--workers", "2", "--json"])
    b = _json(capsys)
    assert a["by_province"] == b["by_province"] and a["coverage"] == b["coverage"]


def test_simulate_text_and_untrained_list(tiny_plan, tmp_path, capsys):
    out = tmp_path / "untrained.csv"
    assert main(["simulate", "--plan", str(tiny_plan), "--replications", "20",
                 "--untrained-out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "coverage at term end: 20.0%" in text
    import pandas as pd
    df = pd.read_csv(out, encoding="utf-8-sig")
    assert len(df) == 200 and (df["trained_r0"].sum() == 40)


@pytest.mark.parametrize("bad,code", [
    ("[term]\nyears = 0\n", 2),
    ("not toml [", 2),
])
def test_simulate_bad_plan_exit_2(tmp_path, capsys, bad, code):
    p = tmp_path / "bad.toml"
    p.write_text(bad, encoding="utf-8")
    assert main(["simulate", "--plan", str(p), "--replications", "5"]) == code
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_simulate_missing_plan_exit_2(capsys):
    assert main(["simulate", "--plan", "/no/such/plan.toml"]) == 2


def test_optimize_cli(capsys, tmp_path):
    plan_out = tmp_path / "opt.toml"
    assert main(["optimize", "--plan", "minimal", "--budget", "1500000", "--json",
                 "--plan-out", str(plan_out), "--assignment-out", str(tmp_path / "a.csv")]) == 0
    d = _json(capsys)
    assert d["cost"] <= 1_500_000 and d["n_sessions"] >= 1 and d["status"] == "optimal"
    from kexie_research.simulation import Plan
    assert Plan.from_toml(plan_out).sessions
    assert main(["optimize", "--plan", "minimal", "--budget", "-1"]) == 2


def test_sweep_cli_store_and_discovery(capsys, tmp_path):
    store = tmp_path / "s.parquet"
    args = ["sweep", "--plan", "minimal", "--points", "6", "--replications", "10",
            "--param", "no_show_prob=0:0.4", "--store", str(store), "--threshold", "0.38", "--json"]
    assert main(args) == 0
    d = _json(capsys)
    assert d["points"] == 6 and "discovery" in d and d["store"] == str(store)
    assert main(args[:-1] + ["--extend", "--json"]) == 0
    d2 = _json(capsys)
    assert d2["points_in_store"] == 12
    assert main(["sweep", "--plan", "minimal", "--param", "bogus"]) == 2


def test_sweep_cli_tornado(capsys):
    assert main(["sweep", "--plan", "minimal", "--method", "tornado", "--replications", "10",
                 "--param", "no_show_prob", "--json"]) == 0
    d = _json(capsys)
    assert d["method"] == "tornado" and d["indices"][0]["parameter"] == "no_show_prob"


def test_recommend_cli(capsys):
    assert main(["recommend", "--plan", "minimal", "--replications", "20",
                 "--levers", "rep_organized,capacity_plus_20pct", "--json"]) == 0
    d = _json(capsys)
    assert d["basis"] == "model-based" and len(d["levers"]) == 2
    assert main(["recommend", "--plan", "minimal", "--levers", "nope"]) == 2


# ---- figures -----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_figures_draw(lang):
    import pandas as pd
    from kexie_research.plots.simulation import (plot_coverage_fan, plot_discovery,
                                                 plot_plan_comparison, plot_sensitivity)
    from kexie_research.simulation import simulate
    from kexie_research.simulation.discovery import prim
    from kexie_research.simulation.plan import resolve_plan
    from kexie_research.simulation.sensitivity import SensitivityResult

    r = simulate(resolve_plan("minimal"), replications=20, seed=1)
    ax = plot_coverage_fan(r, lang=lang)
    assert len(ax.collections) >= 1 and ax.get_ylabel()
    assert ax.get_title().endswith(r.plan_name)                      # default: the plan's id
    ax = plot_coverage_fan(r, lang=lang, name="论文建议的分类培训" if lang == "zh" else "Paper's plan")
    assert ax.get_title() == ("覆盖率轨迹:论文建议的分类培训" if lang == "zh" else "Coverage: Paper's plan")
    fig = plot_plan_comparison({"a": r, "b": r}, lang=lang)
    assert len(fig.axes[0].patches) == 2 and len(fig.axes[1].patches) == 2
    tor = SensitivityResult("tornado", "coverage_mean", pd.DataFrame(
        {"parameter": ["no_show_prob", "cost_scale"], "low": [0, 0.7], "high": [0.3, 1.5],
         "output_low": [0.4, 0.4], "output_high": [0.3, 0.4], "swing": [0.1, 0.0]}),
        pd.DataFrame(), baseline=0.4)
    ax = plot_sensitivity(tor, lang=lang)
    assert len(ax.patches) == 4
    sob = SensitivityResult("sobol", "coverage_mean", pd.DataFrame(
        {"parameter": ["a", "b"], "S1": [0.6, 0.1], "S1_conf": [0.1, 0.1], "ST": [0.7, 0.2],
         "ST_conf": [0.1, 0.1]}), pd.DataFrame())
    assert len(plot_sensitivity(sob, lang=lang).patches) == 4
    import numpy as np
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"accept_prob": rng.random(200), "no_show_prob": rng.random(200)})
    fig = plot_discovery(prim(X, (X["accept_prob"] < 0.3).to_numpy()), lang=lang)
    assert len(fig.axes) >= 2
    import matplotlib.pyplot as plt
    plt.close("all")


# ---- report section ------------------------------------------------------------------

@pytest.mark.slow
def test_report_section_quick(tmp_path):
    import time

    from kexie_research.data import Dataset
    from kexie_research.report import build_report

    t0 = time.perf_counter()
    # the section simulates the shipped plans and does not read the dataset: skip loading it
    r = build_report(out_dir=tmp_path, sections=["simulation"], quick=True, progress=False,
                     lang="en", dataset=Dataset())
    assert time.perf_counter() - t0 < 60            # < 30 s budget, loosely on shared CI
    s = r.summary["sections"]["simulation"]
    assert s["basis"] == "model-based"
    assert set(s["plans"]) == {"ninth_congress_history", "plan_2020_one_duty_class", "paper_recommended"}
    assert s["history_check"]["recorded_distinct"] == 584
    for f in ("simulation_plan_comparison", "simulation_coverage_fan", "simulation_tornado"):
        assert (tmp_path / "figures" / f"{f}.png").is_file()
    assert (tmp_path / "tables" / "simulation_plan_comparison.csv").is_file()


def test_simulate_with_population_file(tiny_plan, tmp_path, capsys):
    reps = tmp_path / "reps.csv"
    reps.write_text(
        "rep_id,congress,province,delegation_type,sector,is_academician,is_frontline,is_reelected\n"
        + "".join(f"A{i},10,{['上海', '甘肃'][i % 2]},local_association,university,false,true,false\n"
                  for i in range(30)), encoding="utf-8")
    assert main(["simulate", "--plan", str(tiny_plan), "--population", str(reps),
                 "--replications", "20", "--json"]) == 0
    d = _json(capsys)
    assert d["population"] == 30 and d["coverage_mean"] == 1.0     # 2 x 20 seats >= 30 people
    bad = tmp_path / "bad.csv"
    bad.write_text("rep_id,congress,province\nA1,10,Atlantis\n", encoding="utf-8")
    assert main(["simulate", "--plan", str(tiny_plan), "--population", str(bad)]) == 2


def test_code_labels():
    from kexie_research.plots.simulation import code_label

    assert [code_label(c, "zh") for c in ("cannot_leave_post", "exchange", "cross", "west", "capacity_scale")] == \
        ["难以离岗", "交流研讨", "跨区域", "西部", "名额倍数"]   # seed 000: 难以离开工作岗位 (labels)
    assert [code_label(c, "en") for c in ("reelected", "rep_organized", "xyz")] == \
        ["re-elected", "representative-organised", "xyz"]
