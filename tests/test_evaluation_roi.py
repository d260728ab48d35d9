"""Costs and return on training (kexie_research.evaluation.roi) and table export."""

import pandas as pd
import pytest

from kexie_research.errors import AnalysisError
from kexie_research.evaluation.roi import compute_roi, roi_percent
from kexie_research.evaluation.tables import format_estimates
from kexie_research.report.tables import to_latex, to_markdown

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
    # the effect is per representative (the default): the unit is the distinct learner
    assert (s["unit"], s["n_trained"]) == ("distinct representatives", 20)
    assert s["cost_per_trained"] == 6000 and s["cost_per_distinct_trained"] == 6000
    assert s["cost_per_person_time"] == pytest.approx(120_000 / 23)
    # units = 0.5 · 20 · 2 = 20 → 6,000 yuan per unit; benefits 80,000 → ROI −33.3 %
    assert s["units_gained"] == pytest.approx(20)
    assert s["cost_per_unit_gain"] == pytest.approx(6000)
    assert s["roi_percent"] == pytest.approx((80_000 - 120_000) / 120_000 * 100)
    # at the CI bounds: 0.2 → 32,000 (−73.3 %), 0.8 → 128,000 (+6.7 %)
    assert s["roi_ci_low"] == pytest.approx(-220 / 3) and s["roi_ci_high"] == pytest.approx(20 / 3)
    ses = r.sessions.set_index("training_id")
    assert ses.loc["T1", "cost_per_trained"] == 5000 and ses.loc["T1", "cost_venue"] == 60_000
    # A0–A2 attended both sessions: each one's gain is split half and half → 18.5 + 1.5 = 20
    assert ses.loc["T1", "n_trained_share"] == pytest.approx(18.5)
    assert ses.loc["T2", "n_trained_share"] == pytest.approx(1.5)
    assert ses["units_gained"].sum() == pytest.approx(s["units_gained"])
    assert any("T9" not in n and "no cost rows" in n for n in r.notes)
    assert r.assumptions["value_per_unit"] == 4000
    assert r.assumptions["effect_per"] == "representative"


def test_per_attendance_effect_counts_person_times():
    # a dose effect (per attendance) is multiplied by person-times, 23: units 0.5 · 23 · 2 = 23
    r = compute_roi(COSTS, ATT, effect=0.5, value_per_unit=4000, horizon_years=2, effect_per="attendance")
    s = r.summary
    assert (s["unit"], s["n_trained"]) == ("person-times (attendances)", 23)
    assert s["units_gained"] == pytest.approx(23)
    assert s["cost_per_trained"] == pytest.approx(120_000 / 23)
    assert s["roi_percent"] == pytest.approx((92_000 - 120_000) / 120_000 * 100)
    ses = r.sessions.set_index("training_id")
    assert ses["units_gained"].to_dict() == pytest.approx({"T1": 20.0, "T2": 3.0})
    with pytest.raises(ValueError, match="effect_per must be one of 'representative', 'attendance'"):
        compute_roi(COSTS, ATT, effect=0.5, effect_per="session")


@pytest.mark.parametrize("kw, message", [
    ({"horizon_years": float("nan")}, "horizon_years"), ({"horizon_years": float("inf")}, "horizon_years"),
    ({"horizon_years": 0}, "horizon_years"), ({"value_per_unit": float("inf")}, "value_per_unit"),
    ({"value_per_unit": float("nan")}, "value_per_unit"), ({"effect": float("nan")}, "effect"),
    ({"effect_ci": (0.1, float("inf"))}, "effect_ci"),
])
def test_nonsense_assumptions_raise_naming_the_option(kw, message):
    with pytest.raises(ValueError, match=message):
        compute_roi(COSTS, ATT, **{"effect": 0.5, "value_per_unit": 100, **kw})


def test_roi_of_embedded_data_counts_distinct_representatives():
    """The review's case: the group-time DiD estimates an effect per representative ever
    trained, so it is multiplied by the 850 distinct learners, not the 1,116 person-times:
    ROI ≈ 79 % (25–132 %), not 134 % (64–204 %)."""
    from kexie_research.data import load_dataset
    from kexie_research.evaluation import evaluate

    ds = load_dataset(kinds=["costs", "attendance", "outputs", "trainings", "representatives"])
    res = evaluate(outputs=ds.outputs, attendance=ds.attendance, trainings=ds.trainings,
                   representatives=ds.representatives, costs=ds.costs, value_per_unit=5000,
                   horizon_years=3, mixed=False, n_boot=400, seed=20240)
    s = res.roi.summary
    assert (s["n_trained"], s["unit"], s["n_trained_person_times"]) == (850, "distinct representatives", 1116)
    eff = res.did.table.set_index("method").loc["group_time"]
    # hand-computed from the effect: ROI = (effect · 850 · 3 · 5000 − cost) / cost
    assert s["roi_percent"] == pytest.approx((eff["estimate"] * 850 * 3 * 5000 - s["total_cost"])
                                             / s["total_cost"] * 100)
    assert 70 < s["roi_percent"] < 90 and 15 < s["roi_ci_low"] < 35 and 120 < s["roi_ci_high"] < 145
    assert res.roi.assumptions["effect_per"] == "representative"


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
