"""The report's effectiveness section renders the one pipeline: ``evaluate --json`` on the
embedded data and the report's summary.json agree exactly for the same seed."""

import json

import pytest

from kexie_research.cli import main
from kexie_research.data import synthetic_dir
from kexie_research.report import build_report
from kexie_research.report.sections.effectiveness import HORIZON_YEARS, VALUE_PER_UNIT

SEED = 7


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    rep = build_report(out_dir=out, lang="en", seed=SEED, sections=["effectiveness"], progress=False)
    d = synthetic_dir()
    files = {k: str(d / f"{k}_synthetic.csv") for k in
             ("survey", "outputs", "representatives", "attendance", "trainings", "costs")}
    argv = ["evaluate", *[a for k, f in files.items() for a in (f"--{k}", f)],
            "--value-per-unit", str(VALUE_PER_UNIT), "--horizon-years", str(HORIZON_YEARS),
            "--seed", str(SEED), "--json"]
    return rep.summary["sections"]["effectiveness"], argv


@pytest.mark.slow
def test_cli_json_and_report_summary_agree_exactly(both, capsys):
    sec, argv = both
    assert main(argv) == 0
    cli = json.loads(capsys.readouterr().out)
    assert sec["data_origin"] == "synthetic"
    # same defaults: every statistical option the report used is the CLI's default
    for k, v in sec["parameters"].items():
        assert cli["parameters"][k] == v, k
    # DiD: both methods, same estimates and (bootstrap) intervals
    rows = {r["method"]: r for r in cli["did"]["table"]}
    for m in ("twfe", "group_time"):
        for k in ("estimate", "ci_low", "ci_high", "p"):
            assert sec["did"][m][k] == rows[m][k], (m, k)
    assert sec["did"]["control"] == cli["did"]["choices"]["control"] == "never_treated"
    # ROI: unit and count stated, same numbers
    for k, v in sec["roi"].items():
        if k != "assumptions":
            assert cli["roi"]["summary"][k] == v, k
    assert sec["roi"]["unit"] == "distinct representatives" and sec["roi"]["n_trained"] == 850
    # design: the ICC of the learning gain, whole people
    for k in ("icc", "icc_source", "n_srs", "n_per_arm", "clusters_per_arm", "outcome"):
        assert cli["design"][k] == sec["power"][k], k
    assert sec["power"]["outcome"] == "gain"
    # ranking with rank intervals: identical rows
    cli_rank = [{k: r[k] for k in ("training_id", "rank", "rank_low", "rank_high", "indistinguishable_from_above")}
                for r in cli["ranking"]]
    assert sec["ranking"]["table"] == cli_rank
    # agreement (Krippendorff bootstrap interval), quality, learning, mixed model, segments
    ka = cli["agreement"]["krippendorff_alpha"]
    assert sec["agreement"]["krippendorff_alpha"] == ka["alpha"]
    assert sec["agreement"]["krippendorff_ci"] == [ka["ci_low"], ka["ci_high"]]
    overall = [r for r in cli["sessions"] if r["dimension"] == "overall"]
    assert sec["quality"]["min_df"] == min(r["df"] for r in overall)
    assert all(1 <= r["ci_low"] and r["ci_high"] <= 5 for r in cli["sessions"])
    assert sec["learning"]["hedges_g"] == cli["learning"]["hedges_g"]
    assert sec["mixed"]["estimate"] == cli["mixed"]["table"][0]["estimate"]
    assert sec["event_study"]["pretrend_p"] == cli["event_study"]["pretrend_p"]
    for r in cli["heterogeneity"]["interactions"]:
        assert sec["heterogeneity"][r["segment"]]["p_adjusted"] == r["p_adjusted"]


def test_report_section_states_controls_bounds_and_units(tmp_path):
    rep = build_report(out_dir=tmp_path, lang="zh", seed=SEED, sections=["effectiveness"], progress=False,
                       quick=True)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    # the controls auto picked, the cohort rule, the ROI unit, the design's outcome, tags
    assert "从未参训者作对照" in md and "6 月 30 日" in md and "318 名因此从班次次年起计入" in md
    assert "850 名不重复参训代表" in md and "前后测提高的 ICC" in md
    assert md.count("【合成数据】") >= 8
    sec = rep.summary["sections"]["effectiveness"]
    assert sec["roi"]["n_trained"] == 850 and sec["power"]["clusters_per_arm"] == 6
    # label cells come from kexie_research.labels (no local tables): rater roles, methods
    import pandas as pd
    q = pd.read_csv(tmp_path / "tables" / "effectiveness_quality.csv")
    assert "自由度" in q.columns and q["评价角色"].str.contains("授课教师").any()
    did = pd.read_csv(tmp_path / "tables" / "effectiveness_did.csv")
    assert set(did["方法"]) == {"双向固定效应", "分组-时期"}
    rk = pd.read_csv(tmp_path / "tables" / "effectiveness_ranking.csv")
    assert {"排名下限", "排名上限", "与上一名无法区分"} <= set(rk.columns)
