"""Plan files: parsing, validation errors naming the key, round trips, schedule, population."""

from __future__ import annotations

import dataclasses

import pytest

from kexie_research.errors import DataValidationError, PlanError
from kexie_research.simulation import Plan, SessionSpec, Term, load_population, simulate
from kexie_research.simulation.plan import resolve_plan, shipped_plans

MINIMAL = """
[term]
years = 1
[population]
synthetic_size = 1000      # or: file = "representatives.csv"
seed = 1
[[sessions]]
per_year = 4
capacity = 100
modality = "centralized"
[policy]
selection = "never_trained_first"   # or "random"
accept_prob = 1.0                    # a number, or a table by segment
no_show_prob = 0.0
"""


def test_minimal_plan_parses_exactly_as_written():
    p = Plan.from_toml_text(MINIMAL)
    assert p.term.years == 1
    assert p.population.synthetic_size == 1000 and p.population.seed == 1
    s = p.sessions[0]
    assert (s.per_year, s.capacity, s.modality) == (4, 100, "centralized")
    assert (p.policy.selection, p.policy.accept_prob, p.policy.no_show_prob) == ("never_trained_first", 1.0, 0.0)


@pytest.mark.parametrize("name", sorted(shipped_plans()))
def test_shipped_plans_round_trip(name):
    p = resolve_plan(name)
    q = Plan.from_toml_text(p.to_toml())
    assert q == dataclasses.replace(p, base_dir=None)


def test_shipped_plans_present():
    assert {"minimal", "ninth_congress_history", "plan_2020_one_duty_class",
            "paper_recommended"} <= set(shipped_plans())


@pytest.mark.parametrize("text,match", [
    (MINIMAL.replace("capacity = 100", "capacity = -3"), r"sessions\[0\]\.capacity: must be at least 1"),
    (MINIMAL.replace('modality = "centralized"', 'modality = "telepathy"'), r"sessions\[0\]\.modality: unknown modality; allowed: centralized"),
    (MINIMAL.replace('selection = "never_trained_first"', 'selection = "never"'), r"policy\.selection: 'never' is not allowed; allowed: random, never_trained_first"),
    (MINIMAL.replace("accept_prob = 1.0", "accept_prob = 1.5"), r"policy\.accept_prob: must be in \[0.0, 1.0\]"),
    (MINIMAL.replace("accept_prob = 1.0", "accept_prob = {new = 0.5}"), r"policy\.accept_prob: table must give every segment or a 'default'"),
    (MINIMAL.replace("accept_prob = 1.0", "accept_prob = {veterans = 0.5, default = 1}"), r"policy\.accept_prob\.veterans: unknown segment"),
    (MINIMAL.replace("per_year = 4", "per_year = 4\ncolour = 'red'"), r"sessions\[0\]\.colour: unknown key"),
    (MINIMAL.replace("years = 1", "years = 0"), r"term\.years: must be at least 1"),
    (MINIMAL.replace("[term]\nyears = 1", ""), r"term: is required"),
    (MINIMAL.replace("per_year = 4", "per_year = 4\nprovinces = ['Atlantis']"), r"sessions\[0\]\.provinces\[0\]: unknown province"),
    (MINIMAL.replace("per_year = 4", "per_year = 4\nyears = [3]"), r"sessions\[0\]\.years: year 3 is after the term"),
    ("[term\nyears=1", r"not valid TOML"),
    (MINIMAL.replace('selection = "never_trained_first"', 'selection = "segment_priority"'), r"policy\.priority: segment_priority needs"),
])
def test_bad_plans_name_the_key(text, match):
    with pytest.raises(PlanError, match=match):
        Plan.from_toml_text(text)


def test_plan_built_in_code_is_checked():
    with pytest.raises(PlanError, match=r"sessions\[0\]\.modality"):
        Plan(Term(1), (SessionSpec(10, modality="bogus"),))
    with pytest.raises(PlanError, match="sessions"):
        Plan(Term(1), ())


def test_session_schedule_spreads_sessions_in_the_year():
    p = Plan(Term(2), (SessionSpec(10, per_year=2), SessionSpec(5, years=(2,))))
    # year 2 holds three sessions: evenly spaced at 1 1/3, 1 2/3 and 2
    assert p.session_schedule() == [(1, 0.5, 0), (1, 1.0, 0), (2, pytest.approx(4 / 3), 0),
                                    (2, pytest.approx(5 / 3), 0), (2, 2.0, 1)]


def test_population_from_file_relative_to_plan(tmp_path):
    (tmp_path / "reps.csv").write_text(
        "rep_id,congress,province,delegation_type,sector,is_academician,is_frontline,is_reelected,can_leave_post\n"
        "A1,10,上海,local_association,university,false,true,false,true\n"
        "A2,10,甘肃,local_association,enterprise,false,false,true,true\n"
        "A3,10,全国学会,national_society,university,true,false,false,false\n", encoding="utf-8")
    (tmp_path / "plan.toml").write_text(
        MINIMAL.replace("synthetic_size = 1000      # or: file = \"representatives.csv\"", 'file = "reps.csv"')
        .replace("capacity = 100", "capacity = 1"), encoding="utf-8")
    plan = Plan.from_toml(tmp_path / "plan.toml")
    pop = load_population(plan)
    assert pop.people["segment"].tolist() == ["frontline", "reelected", "cannot_leave_post"]
    assert pop.people["region"].tolist() == ["east", "west", "national"]
    res = simulate(plan, replications=10, seed=1)
    assert res.coverage_mean == 1.0   # 4 sessions x 1 seat >= 3 people


def test_bad_population_file_raises_validation_error(tmp_path):
    (tmp_path / "reps.csv").write_text("rep_id,congress,province\nA1,10,Atlantis\n", encoding="utf-8")
    (tmp_path / "plan.toml").write_text(
        MINIMAL.replace("synthetic_size = 1000      # or: file = \"representatives.csv\"", 'file = "reps.csv"'),
        encoding="utf-8")
    with pytest.raises(DataValidationError):
        load_population(Plan.from_toml(tmp_path / "plan.toml"))
    (tmp_path / "plan2.toml").write_text(
        MINIMAL.replace("synthetic_size = 1000      # or: file = \"representatives.csv\"", 'file = "none.csv"'),
        encoding="utf-8")
    with pytest.raises(PlanError, match="population.file: file not found"):
        load_population(Plan.from_toml(tmp_path / "plan2.toml"))


def test_unknown_plan_name():
    with pytest.raises(PlanError, match="shipped plans: .*minimal"):
        resolve_plan("no_such_plan")


def test_plans_are_hashable_and_replaceable():
    p = resolve_plan("minimal")
    assert hash(p) == hash(resolve_plan("minimal")) and len({p, resolve_plan("minimal")}) == 1
    q = dataclasses.replace(p, sessions=(dataclasses.replace(p.sessions[0], capacity=50),))
    assert q != p and q.sessions[0].capacity == 50 and hash(q) != hash(p)
    assert Plan.from_dict(q.to_dict()) == dataclasses.replace(q, base_dir=None)
