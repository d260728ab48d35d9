"""Costs and return on training (kexie_research.evaluation.roi) and table export."""

import pandas as pd
import pytest

from kexie_research.errors import AnalysisError
from kexie_research.evaluation.roi import compute_roi, roi_percent
from kexie_research.evaluation.tables import format_estimates, to_latex, to_markdown

COSTS = pd.DataFrame({"training_id": ["T1", "T1", "T2"], "category": ["venue", "lodging", "platform"],
                      "amount": [60_000.0, 40_000.0, 20_000.0]})
ATT = pd.DataFrame({"rep_id": [f"A{i}" for i in range(20)] + ["A0", "A1", "A2", "A3", "X"],
                    "training_id": ["T1"] * 20 + ["T2"] * 4 + ["T9"],
                    "role": ["learner"] * 23 + ["lecturer", "learner"]})


def test_phillips_roi_formula():
    assert roi_percent(150_000, 100_000) == 50.0
    assert roi_percent(50_000, 100_000) == -50.0
    with pytest.raises(AnalysisError, match="positive costs"):
        roi_percent(1, 0)


def test_costs_per_trained_and_per_unit_hand_computed():
    r = compute_roi(COSTS, ATT, effect=0.5, effect_ci=(0.2, 0.8), value_per_unit=4000, horizon_years=2)
    s = r.summary
    # 120,000 yuan; T1: 20 learners, T2: 3 learners (A3 taught) → 23 person-times, 20 distinct
    assert s["total_cost"] == 120_000
    assert (s["n_trained_person_times"], s["n_trained_distinct"]) == (23, 20)
    assert s["cost_per_trained"] == pytest.approx(120_000 / 23)
    assert s["cost_per_distinct_trained"] == 6000
    # units = 0.5 · 23 · 2 = 23 → 5,217.4 yuan per unit; benefits 92,000 → ROI −23.3 %
    assert s["units_gained"] == pytest.approx(23)
    assert s["cost_per_unit_gain"] == pytest.approx(120_000 / 23)
    assert s["roi_percent"] == pytest.approx((92_000 - 120_000) / 120_000 * 100)
    assert s["roi_ci_low"] < s["roi_percent"] < s["roi_ci_high"]
    ses = r.sessions.set_index("training_id")
    assert ses.loc["T1", "cost_per_trained"] == 5000 and ses.loc["T1", "cost_venue"] == 60_000
    assert any("T9" not in n and "no cost rows" in n for n in r.notes)
    assert r.assumptions["value_per_unit"] == 4000


def test_no_effect_no_benefit_and_nonpositive_effect():
    r = compute_roi(COSTS, ATT)
    assert r.summary["roi_percent"] is None and r.summary["cost_per_trained"] > 0
    r = compute_roi(COSTS, ATT, effect=-0.1, value_per_unit=100)
    assert r.summary["cost_per_unit_gain"] is None
    assert any("no gain to price" in n for n in r.notes)
    with pytest.raises(AnalysisError, match="sums to 0"):
        compute_roi(COSTS.assign(amount=0.0), ATT)


def test_tables_markdown_and_latex():
    df = pd.DataFrame({"term": ["treated_x"], "estimate": [1.23456], "std_error": [0.1],
                       "ci_low": [1.03], "ci_high": [1.43], "p": [0.0000012], "n": [300]})
    f = format_estimates(df)
    assert list(f.columns) == ["term", "estimate", "std_error", "CI", "p", "n"]
    md = to_markdown(df)
    assert "| treated_x | 1.235 | 0.100 | [1.030, 1.430] | <0.001 | 300 |" in md
    tex = to_latex(df, caption="DiD", label="tab:did")
    # numeric columns right-aligned (report.render.table_latex), the interval column is text
    assert "\\begin{tabular}{lrrlrr}" in tex and "treated\\_x" in tex and "\\label{tab:did}" in tex
