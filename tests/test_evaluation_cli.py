"""``kexie-research evaluate``: JSON contract, text output, errors (exit 2)."""

import csv
import json
import sys
from pathlib import Path

import pytest

from kexie_research.cli import main
from kexie_research.schema import QUALITY_ITEMS

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "evaluation"))
from simdata import sim_outputs  # noqa: E402


def _write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


@pytest.fixture
def contract_survey(tmp_path):
    # the contract checker's tiny survey: 12 responses, 1 session, items (i+j)%5+1,
    # pre 50+i, post 55+2i
    return _write(tmp_path / "survey.csv",
                  ["response_id", "training_id", "rater_role", *QUALITY_ITEMS, "pre_score", "post_score"],
                  [[f"r{i}", "S1", "learner"] + [(i + j) % 5 + 1 for j in range(8)] + [50 + i, 55 + 2 * i]
                   for i in range(12)])


def _run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_contract_survey_json(contract_survey, capsys):
    code, out, _ = _run(capsys, ["evaluate", "--survey", contract_survey, "--json"])
    assert code == 0
    d = json.loads(out)
    # hand-computed: gains 5 + i, i = 0..11 → mean 10.5; Hake <g> = 10.5 / (100 − 55.5)
    assert d["learning"]["mean_gain"] == pytest.approx(10.5)
    assert d["learning"]["normalized_gain"] == pytest.approx(10.5 / 44.5)
    assert d["learning"]["ci_low"] < d["learning"]["hedges_g"] < d["learning"]["ci_high"]
    assert {"mean_gain", "hedges_g", "ci_low", "ci_high", "p"} <= set(d["learning"])
    rel = d["reliability"]
    assert [r["scale"] for r in rel] == ["quality"]
    assert {"scale", "alpha", "ci_low", "ci_high", "n"} <= set(rel[0]) and rel[0]["n"] == 12
    sessions = d["sessions"]
    assert len(sessions) == 9 and {r["training_id"] for r in sessions} == {"S1"}
    assert all(r["ci_low"] <= r["estimate"] <= r["ci_high"] for r in sessions)
    # one role, one session, a singular item matrix: skipped with reasons, not NaN soup
    assert "two rater roles" in d["skipped"]["agreement"]
    assert "singular" in d["skipped"]["cfa"]
    assert "no costs" in d["skipped"]["roi"]


def test_text_output_and_weights(contract_survey, capsys):
    code, out, _ = _run(capsys, ["evaluate", "--survey", contract_survey, "--weights", "learner=1,teacher=0"])
    assert code == 0
    assert "Session quality" in out and "Learning (pre/post)" in out and "mean gain 10.50" in out


@pytest.mark.parametrize("argv, message", [
    (["evaluate"], "nothing to evaluate"),
    (["evaluate", "--survey", "{s}", "--weights", "student=1"], "unknown rater role"),
    (["evaluate", "--survey", "{s}", "--outputs", "{s}"], "needs --attendance and --trainings"),
    (["evaluate", "--survey", "{s}", "--n-boot", "3"], "at least 10"),
])
def test_bad_input_exit_2(contract_survey, capsys, argv, message):
    code, out, err = _run(capsys, [a.format(s=contract_survey) for a in argv])
    assert code == 2 and message in err and "Traceback" not in err


def test_survey_with_one_response_per_session_is_explained(tmp_path, capsys):
    p = _write(tmp_path / "s.csv", ["response_id", "training_id", "rater_role", *QUALITY_ITEMS],
               [["r1", "S1", "learner", *[3] * 8]])
    code, out, err = _run(capsys, ["evaluate", "--survey", p, "--json"])
    assert code == 0
    d = json.loads(out)
    assert "single response" in d["skipped"]["quality"]
    assert "learning" not in d and "pre/post" in d["skipped"]["learning"]


def test_full_evaluation_with_outputs(tmp_path, capsys):
    sim = sim_outputs(seed=2, n_reps=120, years=range(2016, 2022), cohorts=(2018, 2019), effect=1.5)
    reps = sim["representatives"]
    f = {}
    f["reps"] = _write(tmp_path / "reps.csv", ["rep_id", "congress", "province", "delegation_type", "sector",
                                               "is_academician", "is_frontline", "is_reelected"],
                       [[r.rep_id, 10, r.province, "local_association", "university", "false",
                         str(r.is_frontline).lower(), str(r.is_reelected).lower()] for r in reps.itertuples()])
    f["tr"] = _write(tmp_path / "trainings.csv", ["training_id", "name", "level", "host_province", "city",
                                                  "start_date", "end_date", "modality"],
                     [[t.training_id, "班", "national", "北京", "北京", t.start_date.date(), t.end_date.date(),
                       t.modality] for t in sim["trainings"].itertuples()])
    f["att"] = _write(tmp_path / "attendance.csv", ["rep_id", "training_id", "hours", "completed", "role"],
                      sim["attendance"][["rep_id", "training_id", "hours", "completed", "role"]].astype(str)
                      .replace({"True": "true"}).values.tolist())
    o = sim["outputs"]
    f["out"] = _write(tmp_path / "outputs.csv", ["rep_id", "year", "proposals", "research_reports",
                                                 "suggestions_adopted"],
                      [[r.rep_id, r.year, int(max(0, round(r.proposals))), 0, 0] for r in o.itertuples()])
    f["costs"] = _write(tmp_path / "costs.csv", ["training_id", "category", "amount"],
                        [["T2018", "venue", 100000], ["T2019", "platform", 50000]])
    code, out, err = _run(capsys, ["evaluate", "--outputs", f["out"], "--attendance", f["att"],
                                   "--trainings", f["tr"], "--representatives", f["reps"], "--costs", f["costs"],
                                   "--value-per-unit", "2000", "--n-boot", "50", "--json"])
    assert code == 0, err
    d = json.loads(out)
    twfe = [r for r in d["did"]["table"] if r["method"] == "twfe"][0]
    assert twfe["ci_low"] <= 1.5 <= twfe["ci_high"]
    assert d["event_study"]["pretrend_p"] > 0.001
    assert d["mixed"]["converged"] is True
    assert {r["segment"] for r in d["heterogeneity"]["interactions"]} == {"reelected", "frontline", "modality"}
    assert d["roi"]["summary"]["total_cost"] == 150000 and d["roi"]["summary"]["roi_percent"] is not None
    assert "survey" in d["skipped"]["quality"]


def test_agreement_icc_and_krippendorff_in_json_and_text(tmp_path, capsys):
    # role means (every item of a response = the value; two responses per role and session):
    #   S1: L2 T2 M3   S2: L3 T4 M3   S3: L5 T4 M5   S4: L1 T2 (managers skipped S4)
    # interval alpha by hand: within-session ordered-pair sums /(m−1): 2 + 2 + 2 + 2 = 8 over
    # n = 11 pairable values -> D_o = 8/11; pooled Σa = 34, Σa² = 122 -> Σ_{i≠j}(a_i − a_j)² =
    # 2(11·122 − 34²) = 372 -> D_e = 372/110; alpha = 1 − 880/4092 = 0.784946...
    means = {"S1": {"learner": 2, "teacher": 2, "manager": 3}, "S2": {"learner": 3, "teacher": 4, "manager": 3},
             "S3": {"learner": 5, "teacher": 4, "manager": 5}, "S4": {"learner": 1, "teacher": 2}}
    rows = [[f"r{s}{role}{k}", s, role] + [v] * 8
            for s, by_role in means.items() for role, v in by_role.items() for k in range(2)]
    path = _write(tmp_path / "survey.csv", ["response_id", "training_id", "rater_role", *QUALITY_ITEMS], rows)
    code, out, _ = _run(capsys, ["evaluate", "--survey", path, "--json", "--n-boot", "50"])
    assert code == 0
    ag = json.loads(out)["agreement"]
    assert ag["n_targets"] == 3 and ag["roles"] == ["learner", "teacher", "manager"]
    ka = ag["krippendorff_alpha"]
    assert ka["alpha"] == pytest.approx(1 - 880 / 4092, abs=1e-12)
    assert (ka["n_units"], ka["n_values"], ka["level_of_measurement"]) == (4, 11, "interval")
    assert ka["observed"] == pytest.approx(8 / 11) and ka["expected"] == pytest.approx(372 / 110)
    code, out, _ = _run(capsys, ["evaluate", "--survey", path, "--n-boot", "50"])
    assert "## Agreement between rater roles" in out and "Krippendorff's alpha" in out and "= 0.785" in out


MPDTA = str(Path(__file__).parent / "fixtures" / "evaluation" / "mpdta" / "mpdta.csv")
PANEL = ["--panel", MPDTA, "--unit", "countyreal", "--time", "year", "--cohort", "first.treat",
         "--outcome", "lemp"]


def test_did_on_a_researchers_own_panel(capsys):
    code, out, err = _run(capsys, ["evaluate", *PANEL, "--se", "analytic", "--json"])
    assert code == 0, err
    d = json.loads(out)
    gt = [r for r in d["did"]["table"] if r["method"] == "group_time"][0]
    # R did 2.5.0, aggte(type = "simple"): −0.0399512751551763 (SE 0.0120340127701854)
    assert gt["estimate"] == pytest.approx(-0.0399512751551763, abs=1e-14)
    assert gt["std_error"] == pytest.approx(0.0120340127701854, rel=1e-9)
    assert d["did"]["choices"]["control"] == "never_treated" and d["did"]["choices"]["control_requested"] == "auto"
    assert d["did"]["choices"]["base_period"] == "varying"
    assert d["event_study"]["binned"] == {"leads": None, "lags": None}
    assert any("first treatment 0 are never treated" in n for n in d["notes"])
    assert d["parameters"]["panel_columns"] == {"unit": "countyreal", "time": "year", "cohort": "first.treat"}
    code, out, err = _run(capsys, ["evaluate", *PANEL, "--control", "not_yet_treated", "--base-period",
                                   "universal", "--n-boot", "50"])
    assert code == 0, err
    assert "group-time controls: not_yet_treated" in out and "base period universal" in out


@pytest.mark.parametrize("extra, message", [
    (["--value-per-unit", "inf"], "--value-per-unit must be"),
    (["--value-per-unit", "nan"], "--value-per-unit must be"),
    (["--value-per-unit", "1e308"], "--value-per-unit must be"),
    (["--value-per-unit", "-5"], "--value-per-unit must be"),
    (["--horizon-years", "nan"], "--horizon-years must be"),
    (["--horizon-years", "inf"], "--horizon-years must be"),
    (["--horizon-years", "0"], "--horizon-years must be"),
    (["--level", "1.5"], "--level must be"),
    (["--n-boot", "100000000"], "--n-boot must be"),
    (["--seed", "-1"], "--seed must be"),
    (["--leads", "1"], "--leads must be"),
])
def test_nonsense_options_exit_2_naming_the_option(contract_survey, capsys, extra, message):
    code, out, err = _run(capsys, ["evaluate", "--survey", contract_survey, *extra])
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err


def test_absurd_costs_exit_2_naming_the_column(tmp_path, capsys):
    att = _write(tmp_path / "attendance.csv", ["rep_id", "training_id", "hours", "completed", "role"],
                 [["A1", "T1", "20", "true", "learner"]])
    costs = _write(tmp_path / "costs.csv", ["training_id", "category", "amount"], [["T1", "venue", "1e308"]])
    code, out, err = _run(capsys, ["evaluate", "--costs", costs, "--attendance", att])
    assert code == 2 and "amount" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, message", [
    ([*PANEL[:2], "--unit", "countyreal"], "--panel needs --time, --cohort"),
    ([*PANEL[:-1], "wages"], "lacks column(s) wages"),
    ([*PANEL, "--cluster", "year"], "cluster 'year' varies within countyreal"),
])
def test_panel_errors_exit_2(capsys, argv, message):
    code, out, err = _run(capsys, ["evaluate", *argv])
    assert code == 2 and message in err and "Traceback" not in err
