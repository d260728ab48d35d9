"""Compliance: the plan-indicator rules evaluated on tests/fixtures/coverage (5 cadres, 2020–2023).

Fixture (cadres.csv, hours_log.csv, curriculum.csv):
- C1 division, party member, appointed 2021: 100 h + 10 d a year, plus 30 appointment days
  (off the job) in 2021 -> 400 h, 70 d in 2020–2023.
- C2 section, branch secretary: 2020 50 h online / 5 d; 2021 95 h; 2022 40 h / 12 d of
  off-the-job offline party study; nothing in 2023.
- C3 professional: 2020 12 d off the job; 2021 89 h.
- C4 new hire, hired 2022-07-01: 10 initial days (off the job) in 2022, 3 in 2023.
- C5 bureau: 200 h / 20 d off the job in 2020, 300 h / 30 d in 2021.
- curriculum S1: theory 4 h (leader, lecture), party 3 h (seminar), policy 3 h;
  S3: theory 2 h, mission 6 h (leader), exchange 2 h (field).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from kexie_research.cli import main
from kexie_research.compliance import (METRICS, default_rules_path, evaluate_compliance,
                                       load_rules)
from kexie_research.errors import PlanError
from kexie_research.io import dumps_json
from kexie_research.validate import load_table

FIX = Path(__file__).parent / "fixtures" / "coverage"


@pytest.fixture(scope="module")
def tables():
    return {k: load_table(FIX / f"{k}.csv", k).accepted
            for k in ("cadres", "hours_log", "curriculum", "trainings")}


@pytest.fixture(scope="module")
def res(tables):
    return evaluate_compliance(tables["cadres"], tables["hours_log"],
                               curriculum=tables["curriculum"], trainings=tables["trainings"])


def _o(res, rule, cadre, year=None):
    o = res.outcomes
    o = o[(o["rule_id"] == rule) & (o["cadre_id"] == cadre)]
    if year is not None:
        o = o[o["year"] == year]
    assert len(o) == 1, o
    return o.iloc[0]


# ---- the rules file ------------------------------------------------------------------------

def test_shipped_rules_load():
    rs = load_rules()
    assert len(rs.rules) == 19 and rs.days_per_month == 30
    assert {r.metric for r in rs.rules} == set(METRICS)
    assert rs.get("2a").threshold_days == 75 and rs.get("2a").combine == "any"
    assert not rs.get("1a").evaluable and rs.get("1a").reason


# ---- indicator 2: hours or days --------------------------------------------------------------

def test_2a_four_year_window(res):
    # only 2023 has a full 4-year window in 2020..2023
    assert set(res.outcomes.loc[res.outcomes.rule_id == "2a", "year"]) == {2023}
    c1 = _o(res, "2a", "C1")
    # 400 h < 450 and 40 + 30 = 70 d < 75 -> fail; either shortfall closes it
    assert (c1["hours"], c1["days"], c1["status"]) == (400.0, 70.0, "fail")
    assert (c1["shortfall_hours"], c1["shortfall_days"]) == (50.0, 5.0)
    c5 = _o(res, "2a", "C5")
    assert c5["status"] == "pass" and c5["hours"] == 500.0 and c5["shortfall_hours"] == 0.0


def test_2b_per_year(res):
    assert (_o(res, "2b", "C2", 2020)[["status", "shortfall_hours", "shortfall_days"]].tolist()
            == ["fail", 40.0, 7.0])                                   # 50 h, 5 d
    assert _o(res, "2b", "C2", 2021)["status"] == "pass"             # 95 h
    assert _o(res, "2b", "C2", 2022)["status"] == "pass"             # 12 d
    assert _o(res, "2b", "C3", 2020)["status"] == "pass"             # 12 d, 0 h
    assert _o(res, "2b", "C3", 2021)[["shortfall_hours", "shortfall_days"]].tolist() == [1.0, 12.0]
    # C4 hired 2022-07-01: not evaluated before 2022; 10 d in 2022 -> 2 d short
    assert set(res.outcomes.query("rule_id == '2b' and cadre_id == 'C4'")["year"]) == {2022, 2023}
    assert _o(res, "2b", "C4", 2022)["shortfall_days"] == 2.0
    r = res.rules.set_index("rule_id").loc["2b"]
    assert (r["n_evaluated"], r["n_pass"]) == (10, 3) and math.isclose(r["pass_rate"], 0.3)


def test_2c_online_only(res):
    # only C2's 50 online hours in 2020 count; 18 cadre-years (C4 from 2022)
    r = res.rules.set_index("rule_id").loc["2c"]
    assert (r["n_evaluated"], r["n_pass"]) == (18, 1)
    assert _o(res, "2c", "C2", 2020)["status"] == "pass"


# ---- indicator 3: annual off-the-job rates -------------------------------------------------

def test_3_off_job_rates(res):
    r = res.rates.set_index(["rule_id", "year"])
    # division+ {C1, C5}: 2020 C5, 2021 C1 (30 appointment days, 0 h) -> 1/2; 2022 -> 0/2
    assert r.loc[("3a", 2020), ["group_size", "n_trained", "rate", "status"]].tolist() == [2, 1, 0.5, "pass"]
    assert r.loc[("3a", 2021), "rate"] == 0.5
    assert r.loc[("3a", 2022), ["status", "shortfall_cadres"]].tolist() == ["fail", 1]
    # section & new hires: C4 joins the group in 2022; both off the job in 2022
    assert r.loc[("3b", 2020), "group_size"] == 1 and r.loc[("3b", 2022), ["group_size", "rate"]].tolist() == [2, 1.0]
    assert r.loc[("3b", 2023), ["rate", "shortfall_cadres"]].tolist() == [0.0, 1]   # ceil(.25*2) - 0
    assert r.loc[("3c", 2020), "rate"] == 1.0 and r.loc[("3c", 2021), "status"] == "fail"
    assert res.rules.set_index("rule_id").loc["3a", "pass_rate"] == 0.5    # 2 of 4 years


# ---- indicator 4: triggered windows ----------------------------------------------------------

def test_4_triggered(res):
    # 4a: C4 hired 2022 -> initial days 2022..2023 = 10 + 3 = 13 >= 12, evaluated in 2023
    c4 = _o(res, "4a", "C4")
    assert (c4["year"], c4["days"], c4["status"]) == (2023, 13.0, "pass")
    # unit_type absent: the rule falls back to all new hires and says so
    assert any("unit_type" in m for m in res.messages)
    # 4b: C1 appointed 2021 -> 30 appointment days in 2021..2022
    c1 = _o(res, "4b", "C1")
    assert (c1["year"], c1["days"], c1["status"]) == (2022, 30.0, "pass")


def test_4_pending_when_window_runs_past_data(tables):
    cad = tables["cadres"].copy()
    cad.loc[cad["cadre_id"] == "C1", "appointed_on"] = pd.Timestamp("2023-05-01")
    r = evaluate_compliance(cad, tables["hours_log"])
    c1 = _o(r, "4b", "C1")
    assert (c1["year"], c1["status"], c1["shortfall_days"]) == (2024, "pending", 30.0)
    assert r.rules.set_index("rule_id").loc["4b", "n_pending"] == 1


def test_unit_type_makes_4c_evaluable(tables):
    cad = tables["cadres"].assign(unit_type=["organ", "organ", "organ", "affiliate", "organ"])
    r = evaluate_compliance(cad, tables["hours_log"])
    # 4a now applies to organ new hires only: C4 is affiliate -> nobody
    assert r.rules.set_index("rule_id").loc["4a", "n_evaluated"] == 0
    # 4c (evaluable = false in the file, optional column present): C4 has no induction rows
    c4 = _o(r, "4c", "C4")
    assert c4["status"] == "fail" and (c4["shortfall_days"], c4["shortfall_hours"]) == (5.0, 40.0)
    assert "4c" not in set(r.not_evaluable["rule_id"])


# ---- indicator 5: party study, hedged rules ---------------------------------------------------

def test_5_party_study(res):
    # 5a is hedged (一般): a miss is a warning
    assert _o(res, "5a", "C2", 2022)["status"] == "pass"            # 40 h offline party study
    assert _o(res, "5a", "C1", 2020)[["status", "shortfall_hours"]].tolist() == ["warning", 32.0]
    r = res.rules.set_index("rule_id").loc["5a"]
    assert (r["n_evaluated"], r["n_pass"], r["n_warning"]) == (12, 1, 11)
    assert _o(res, "5b", "C2", 2022)[["status", "shortfall_hours"]].tolist() == ["fail", 16.0]
    # 5c: one offline off-the-job party-study record in 2022 only
    assert _o(res, "5c", "C2", 2022)["status"] == "pass"
    assert _o(res, "5c", "C2", 2023)[["count", "shortfall_count"]].tolist() == [0, 1]


# ---- indicators 1, 6: not evaluable / optional role ----------------------------------------

def test_not_evaluable_reported_with_reason(res):
    ne = res.not_evaluable.set_index("rule_id")
    assert set(ne.index) == {"1a", "4c", "5e", "6a"}
    assert "provincial associations" in ne.loc["1a", "reason"]
    assert "cadres.role" in ne.loc["6a", "reason"]
    assert not res.rules.set_index("rule_id").loc["6a", "evaluated"]


def test_role_makes_6a_evaluable(tables):
    cad = tables["cadres"].assign(role=["none", "none", "none", "none", "association_chair"])
    log = pd.concat([tables["hours_log"], pd.DataFrame([{
        "cadre_id": "C5", "year": 2022, "hours": 16.0, "days": 2.0, "modality": "offline",
        "off_job": True, "category": "system_training"}])], ignore_index=True)
    r = evaluate_compliance(cad, log)
    assert _o(r, "6a", "C5")[["year", "count", "status"]].tolist() == [2023, 1, "pass"]
    assert r.rules.set_index("rule_id").loc["6a", "n_evaluated"] == 1   # only the chair


# ---- indicator 7: curriculum shares ---------------------------------------------------------

def test_7_curriculum_shares(res):
    c = res.curriculum.set_index(["rule_id", "training_id"])
    # 7a S1: (4 + 3) / 10 = 0.70 -> pass at the boundary; S3: 2 / 10 -> 0.5 short
    assert c.loc[("7a", "S1"), ["share", "status"]].tolist() == [0.7, "pass"]
    assert c.loc[("7a", "S3"), ["share", "status"]].tolist() == [0.2, "fail"]
    assert c.loc[("7a", "S3"), "shortfall_share"] == pytest.approx(0.5)
    # 7b leaders: S1 4/10, S3 6/10
    assert c.loc[("7b", "S1"), "share"] == 0.4 and c.loc[("7b", "S3"), "share"] == 0.6
    # 7c by module count (课程比重): S1 1 seminar of 3 modules; hours share reported too (3/10)
    assert math.isclose(c.loc[("7c", "S1"), "share"], 1 / 3) and c.loc[("7c", "S1"), "share_hours"] == 0.3
    assert c.loc[("7c", "S3"), ["share", "status"]].tolist() == [0.0, "fail"]
    assert c.loc[("7a", "S1"), "name"] == "第一期履职培训班"


def test_curriculum_missing_is_not_evaluable(tables):
    r = evaluate_compliance(tables["cadres"], tables["hours_log"])
    assert {"7a", "7b", "7c"} <= set(r.not_evaluable["rule_id"])


def test_by_rank_and_indicators(res):
    b = res.by_rank.set_index(["rank", "rule_id"])
    assert b.loc[("section", "2b"), ["n", "value", "measure"]].tolist() == [4, 0.5, "pass_rate"]
    assert b.loc[("professional", "2b"), "value"] == 0.25
    # rate rules: share of the rank's cadre-years with off-the-job training (C5: 2020 only)
    assert b.loc[("bureau", "3a"), ["value", "measure"]].tolist() == [0.25, "rate"]
    ind = res.indicators.set_index("indicator")
    assert ind.loc[2, ["n_evaluated", "n_pass"]].tolist() == [30, 5]   # 2a 2 + 2b 10 + 2c 18
    assert ind.loc[1, "rules_not_evaluable"] == "1a"


def test_shortfalls_and_json(res):
    sf = res.shortfalls()
    assert set(sf["status"]) <= {"fail", "warning"}
    assert len(sf) == sum(res.rules["n_fail"]) + sum(res.rules["n_warning"]) - 8 - 2  # minus 8 rate-years (3a 2, 3b 3, 3c 3), 2 classes
    d = json.loads(dumps_json(res.to_dict()))
    assert d["pass_rates"]["2b"] == 0.3 and d["pass_rates"]["1a"] is None


# ---- rules are data ----------------------------------------------------------------------------

_NEW_RULE = '''
[[rule]]
id = "8a"
indicator = 8
title_zh = "专业技术人员每年至少培训5天（本地规则）"
title_en = "Professional staff: >= 5 days per year (local rule)"
metric = "sum_hours_or_days"
evaluable = true
applies_to = { rank = ["professional"] }
filter = {}
window_years = 1
threshold_days = 5
source = "local"
quote = "local"
'''


def _edited_rules(tmp_path) -> Path:
    text = default_rules_path().read_text(encoding="utf-8")
    old = "threshold_hours = 90\nthreshold_days = 12"
    assert text.count(old) == 1
    p = tmp_path / "my_rules.toml"
    p.write_text(text.replace(old, "threshold_hours = 40\nthreshold_days = 12") + _NEW_RULE,
                 encoding="utf-8")
    return p


def test_edited_rules_file_via_cli(tmp_path, capsys):
    rules = _edited_rules(tmp_path)
    rc = main(["compliance", "--cadres", str(FIX / "cadres.csv"), "--hours", str(FIX / "hours_log.csv"),
               "--rules", str(rules), "--json"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    # 2b at 40 h: C2 2020 (50 h), 2021, 2022 (40 h / 12 d); C3 2020 (12 d), 2021 (89 h) -> 5 of 10
    assert d["pass_rates"]["2b"] == 0.5
    # the new rule: C3 has 12 d in 2020 only -> 1 of 4 years
    assert d["pass_rates"]["8a"] == 0.25
    assert d["rules_file"] == "my_rules.toml"


def test_cli_default_json_keys(capsys):
    rc = main(["compliance", "--cadres", str(FIX / "cadres.csv"), "--hours", str(FIX / "hours_log.csv"),
               "--trainings", str(FIX / "trainings.csv"), "--curriculum", str(FIX / "curriculum.csv"),
               "--json"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    for k in ("rules", "indicators", "pass_rates", "shortfalls", "by_rank", "off_job_rates",
              "curriculum_shares", "not_evaluable"):
        assert k in d
    miss = [s for s in d["shortfalls"] if s["rule_id"] == "2a"]
    assert miss == [{**miss[0], "cadre_id": "C1", "shortfall_hours": 50.0, "shortfall_days": 5.0}]
    assert d["pass_rates"]["7a"] == 0.5


def test_cli_text_and_export(tmp_path, capsys):
    out = tmp_path / "outcomes.xlsx"
    assert main(["compliance", "--cadres", str(FIX / "cadres.csv"), "--hours", str(FIX / "hours_log.csv"),
                 "--export", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2b" in text and "not evaluable" in text and out.is_file()


@pytest.mark.parametrize("body, msg", [
    ('[[rule]]\nid = "9z"\nindicator = 9\nmetric = "median_hours"\n', "rule '9z': unknown metric 'median_hours'"),
    ('[[rule]]\nid = "9y"\nindicator = 9\nmetric = "sum_hours_or_days"\nwindow_years = 1\n'
     'threshold_hours = 1\nthreshold_days = 1\n', "rule '9y': both threshold_hours and threshold_days"),
    ('[[rule]]\nid = "9x"\nindicator = 9\nmetric = "event_count"\nwindow_years = 1\n'
     'threshold_count = 1\nfilter = { colour = "red" }\n', "rule '9x': filter.colour: 'colour' is not a column"),
    ('[[rule]]\nid = "9w"\nindicator = 9\nmetric = "annual_rate"\nthreshold_rate = 30\n', "rule '9w': threshold_rate"),
    ('[[rule]]\nid = "9v"\nindicator = 9\nmetric = "event_count"\nthreshold_count = 1\n'
     'window_years = 1\nthreshhold = 2\n', "rule '9v': unknown field(s) threshhold"),
    ('[[rule]]\nid = "9u"\nindicator = 9\nmetric = "annual_rate"\nthreshold_rate = 0.3\n'
     '[[rule]]\nid = "9u"\nindicator = 9\nmetric = "annual_rate"\nthreshold_rate = 0.3\n', "rule '9u': duplicate"),
    ('[[rule]\nid = ', "not valid TOML"),
    # issue 15: wrong types and deep nesting give exit 2 with one line naming the key
    ('days_per_month = "thirty"\n[[rule]]\nid = "a"\nindicator = 1\nmetric = "annual_rate"\n'
     'threshold_rate = 0.3\n', "bad.toml: days_per_month: must be a number, got 'thirty'"),
    ('rule = [1, 2, 3]\n', "bad.toml: rule[0]: must be a table ([[rule]] tables), got 1"),
    ('[[rule]]\nid = "a"\nindicator = 1\nmetric = "annual_rate"\nthreshold_rate = 0.3\n'
     'applies_to = { rank = 5 }\n', "rule 'a': applies_to.rank: must be one of bureau, division"),
    ('[[rule]]\nid = "a"\nindicator = 1\nmetric = "annual_rate"\nthreshold_rate = 0.3\n'
     'applies_to = { is_party_member = "yes" }\n', "rule 'a': applies_to.is_party_member: must be true or false"),
    ('[[rule]]\nid = "a"\nindicator = 1\nmetric = "annual_rate"\nthreshold_rate = true\n',
     "rule 'a': threshold_rate: must be a number, got True"),
    ('[[rule]]\nid = "a"\nindicator = 1\nmetric = "event_count"\nthreshold_count = 1\nwindow_years = 1\n'
     'extra_quotes = "one"\n', "rule 'a': extra_quotes: must be a list of text"),
    ('nested = ' + '[' * 5000 + ']' * 5000 + '\n', "bad.toml: nested: nested deeper than 16 levels"),
    ('nested = ' + '[' * 40 + ']' * 40 + '\n', "bad.toml: nested: nested deeper than 16 levels"),
    ('\n'.join('[' + '.'.join(['t'] * i) + ']' for i in range(1, 30)), "bad.toml: t: nested deeper than 16"),
    ('colour = "red"\n', "bad.toml: colour: unknown key; allowed: schema_version, seed, days_per_month"),
    ('metrics = ["sum_hours_or_days", "magic"]\n[[rule]]\nid = "a"\nindicator = 1\n'
     'metric = "sum_hours_or_days"\nwindow_years = 1\nthreshold_hours = 1\n', "'magic'"),
])
def test_bad_rules_files(tmp_path, capsys, body, msg):
    p = tmp_path / "bad.toml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(PlanError, match=None) as ei:
        load_rules(p)
    assert msg in str(ei.value)
    rc = main(["compliance", "--cadres", str(FIX / "cadres.csv"), "--hours", str(FIX / "hours_log.csv"),
               "--rules", str(p)])
    err = capsys.readouterr().err
    assert rc == 2 and msg in err and "Traceback" not in err


def test_dispatch_is_closed():
    assert tuple(METRICS) == ("sum_hours_or_days", "triggered_hours_or_days", "annual_rate",
                              "event_count", "curriculum_share")


def test_inputs_not_mutated(tables):
    before = tables["hours_log"].copy()
    evaluate_compliance(tables["cadres"], tables["hours_log"])
    pd.testing.assert_frame_equal(before, tables["hours_log"])


def test_plot_heatmap_and_rates(res):
    import matplotlib.pyplot as plt

    from kexie_research.plots.compliance import (plot_compliance_heatmap, plot_curriculum_shares,
                                                 plot_off_job_rates)

    ax = plot_compliance_heatmap(res, lang="en")
    ranks = [t.get_text() for t in ax.get_yticklabels()]
    rules = [t.get_text() for t in ax.get_xticklabels()]
    assert ranks == ["Bureau", "Division", "Section and below", "Professional", "New hire"]   # labels.cadre_rank
    assert "3a*" in rules and "2b" in rules
    assert len(ax.texts) == len(ranks) * len(rules)              # every cell annotated
    assert "50%" in [t.get_text() for t in ax.texts]             # section x 2b
    plt.close(ax.figure)
    ax = plot_off_job_rates(res, lang="zh")
    assert len([ln for ln in ax.lines if len(ln.get_xdata()) == 4]) == 3    # 3 rules x 4 years
    plt.close(ax.figure)
    ax = plot_curriculum_shares(res, lang="en")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["7a", "7b", "7c"]
    plt.close(ax.figure)


def test_plot_heatmap_empty(tables):
    import matplotlib.pyplot as plt

    from kexie_research.plots.compliance import plot_compliance_heatmap

    r = evaluate_compliance(tables["cadres"], tables["hours_log"].iloc[:0])
    assert r.by_rank.empty and r.years == ()
    ax = plot_compliance_heatmap(r, lang="en")
    assert [t.get_text() for t in ax.texts] == ["No evaluable cadre rules"]
    plt.close(ax.figure)
