"""Widget behaviour without a browser: controls change results, labels follow the language,
exports go through the safe writers into the export folder."""

from __future__ import annotations

import datetime
import threading
import time

import pandas as pd
import pytest

from kexie_research.widgets import Debouncer, ValidationExplorer, tr, write_messy_example
from kexie_research.widgets.common import figure_png, frame_html, quick_mode


# ---- common machinery -------------------------------------------------------------------

def test_tr_and_bad_lang():
    assert tr("zh", "覆盖率", "Coverage") == "覆盖率"
    with pytest.raises(ValueError, match="zh, en"):
        tr("fr", "a", "b")


def test_debouncer_zero_wait_is_synchronous():
    calls = []
    d = Debouncer(lambda: calls.append(1), wait=0)
    d(); d(); d()
    assert calls == [1, 1, 1] and not d.pending


def test_debouncer_coalesces_a_burst_with_a_timer():
    calls = []
    done = threading.Event()
    d = Debouncer(lambda: (calls.append(time.monotonic()), done.set()), wait=0.05)
    for _ in range(5):
        d()
    assert d.pending and calls == []
    assert done.wait(5)
    time.sleep(0.1)
    assert len(calls) == 1 and not d.pending  # five calls, one run


def test_debouncer_flush_and_cancel():
    calls = []
    d = Debouncer(lambda: calls.append(1), wait=60)
    d.flush()
    assert calls == []  # nothing pending: no-op
    d()
    d.cancel()
    assert not d.pending and calls == []
    d()
    d.flush()
    assert calls == [1]


def test_debouncer_uses_running_event_loop():
    import asyncio

    calls = []

    async def main():
        d = Debouncer(lambda: calls.append(threading.get_ident()), wait=0.01)
        d(); d()
        await asyncio.sleep(0.1)

    asyncio.run(main())
    assert calls == [threading.get_ident()]  # ran once, in the loop's (this) thread


def test_quick_mode_env(monkeypatch):
    monkeypatch.setenv("KEXIE_QUICK", "1")
    assert quick_mode()
    monkeypatch.setenv("KEXIE_QUICK", "0")
    assert not quick_mode()


def test_frame_html_escapes_and_truncates():
    df = pd.DataFrame({"a": ["<script>", "x", "y"], "b": [1.23456, 2.0, 3.0]})
    html = frame_html(df, max_rows=2)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "1.23" in html and "+1" in html


def test_figure_png_is_png():
    from kexie_research.plots.style import figure, use_style

    with use_style("zh"):
        fig, ax = figure("single")
        ax.set_title("覆盖率")
    assert figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


# ---- validation explorer ----------------------------------------------------------------

@pytest.fixture
def messy(tmp_path):
    return write_messy_example(tmp_path / "in")


def test_validation_explorer_counts_rejects(messy, tmp_path):
    w = ValidationExplorer(debounce=0, lang="en", export_dir=tmp_path / "out")
    assert w.result is None and "Choose" in w.summary.value
    w.path.value = str(messy)
    # MESSY_EXAMPLE_ROWS: 8 rows; R003 province, R004 boolean, 2nd R001 duplicate,
    # R005 congress 99, R007 formula in sector -> 5 rejected, 3 accepted
    assert (w.result.n_input, w.result.n_accepted, w.result.n_rejected) == (8, 3, 5)
    assert w.result.encoding == "gb18030"
    assert sorted(w.result.rejects["rule"]) == ["allowed_values", "boolean", "province", "range",
                                                "unique_key"]
    assert "5 rejected" in w.summary.value
    # normalised values of accepted rows
    acc = w.result.accepted
    assert list(acc["province"]) == ["北京", "广西", "全国学会"]
    assert list(acc["sector"]) == ["university", "enterprise", "research_institute"]


def test_validation_explorer_encoding_and_kind_controls(messy, tmp_path):
    w = ValidationExplorer(messy, debounce=0, lang="en", export_dir=tmp_path)
    w.encoding.value = "utf-8"  # GBK bytes forced as UTF-8: an error naming the encoding
    assert w.result is None and "utf-8" in str(w.error)
    assert "Cannot compute" in w.status.value
    w.encoding.value = "gb18030"
    assert w.result.n_rejected == 5 and w.error is None
    w.kind.value = "attendance"  # wrong kind: required columns missing
    assert w.result is None and w.error is not None


def test_validation_explorer_upload(tmp_path):
    from kexie_research.widgets.data_tour import MESSY_EXAMPLE_ROWS

    w = ValidationExplorer(debounce=0, lang="en", export_dir=tmp_path)
    w.upload.value = ({"name": "../../reps.csv", "type": "text/csv", "size": 1,
                       "content": memoryview(MESSY_EXAMPLE_ROWS.encode("utf-8-sig")),
                       "last_modified": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)},)
    assert w.result.n_rejected == 5 and w.result.encoding == "utf-8-sig"
    assert not (tmp_path.parent / "reps.csv").exists()  # the upload name cannot escape


def test_validation_explorer_export_is_formula_neutral(messy, tmp_path):
    w = ValidationExplorer(messy, debounce=0, lang="zh", export_dir=tmp_path / "exports")
    path = w.export_table()
    assert path.parent == tmp_path / "exports" and path.name == "rejected_rows_zh.csv"
    text = path.read_text(encoding="utf-8-sig")
    assert "'=cmd" in text and ",=cmd" not in text
    assert "/" not in pd.read_csv(path, encoding="utf-8-sig")["file"].iloc[0]  # no absolute paths
    assert "已导出" in w.status.value


def test_validation_explorer_language_toggle(messy, tmp_path):
    w = ValidationExplorer(messy, debounce=0, lang="zh", export_dir=tmp_path)
    assert w.kind.description == "表类型" and "拒绝 5 行" in w.summary.value
    w.lang_toggle.value = "en"
    assert w.kind.description == "Table kind" and "5 rejected" in w.summary.value
    assert w.export_table_button.description == "Export table"
    n = w.n_updates
    w.lang_toggle.value = "zh"
    assert w.n_updates == n  # relabelling does not recompute


def test_validation_explorer_debounced_update_runs_later(messy, tmp_path):
    w = ValidationExplorer(debounce=30, lang="en", export_dir=tmp_path)
    w.path.value = str(messy)
    assert w.result is None and "updating" in w.status.value  # not yet recomputed
    w.flush()
    assert w.result.n_rejected == 5


def test_validation_explorer_figure(messy, tmp_path):
    w = ValidationExplorer(messy, debounce=0, lang="en", export_dir=tmp_path)
    fig = w.make_figure()
    assert len(fig.axes[0].patches) == 5  # one bar per rule broken
    paths = w.export_figure()
    assert {"png", "pdf", "svg", "caption"} <= set(paths)


# ---- coverage explorer ------------------------------------------------------------------

@pytest.fixture
def tiny_dataset():
    from kexie_research.data import Dataset

    reps = pd.DataFrame({"rep_id": list("abcdef"),
                         "province": ["上海", "上海", "甘肃", "甘肃", "北京", "青海"],
                         "region": ["east", "east", "west", "west", "east", "west"],
                         "is_frontline": [True, False, True, False, True, True]})
    trainings = pd.DataFrame({"training_id": ["S1", "S2"],
                              "start_date": pd.to_datetime(["2017-03-01", "2021-06-01"]),
                              "end_date": pd.to_datetime(["2017-03-03", "2021-06-03"])})
    att = pd.DataFrame({"rep_id": ["a", "b", "c", "a"], "training_id": ["S1", "S1", "S2", "S2"],
                        "hours": [24.0, 24.0, 16.0, 16.0], "completed": [True, False, True, True]})
    return Dataset(representatives=reps, attendance=att, trainings=trainings)


def test_coverage_explorer_controls_change_result(tiny_dataset, tmp_path):
    from kexie_research.widgets import CoverageExplorer

    w = CoverageExplorer(tiny_dataset, debounce=0, lang="en", export_dir=tmp_path)
    # a, b, c trained of 6 -> 0.5; by region: east a,b,e -> 2/3, west c,d,f -> 1/3
    assert w.result.coverage == 0.5 and w.result.by == ("region",)
    assert w.result.groups["coverage"].round(4).tolist() == [0.6667, 0.3333]
    assert w.result.groups["below_threshold"].tolist() == [True, True]
    w.threshold.value = 0.5
    assert w.result.groups["below_threshold"].tolist() == [False, True]
    w.by.value = "is_frontline"
    # frontline a, c, e, f -> a, c trained: 2/4; others b, d -> b: 1/2
    assert w.result.groups["coverage"].tolist() == [0.5, 0.5]
    w.require_completed.value = True  # b's only attendance is incomplete
    assert w.result.trained == 2
    w.require_completed.value = False
    w.window.value = 4  # as of 2021-06-03: window from 2017-06-03, S1 (2017-03) falls out
    assert w.result.not_trained_within_window == ("b", "d", "e", "f")
    assert "not trained within 4 years" in w.summary.value


def test_coverage_explorer_left_out_export_and_language(tiny_dataset, tmp_path):
    from kexie_research.widgets import CoverageExplorer

    w = CoverageExplorer(tiny_dataset, debounce=0, lang="zh", export_dir=tmp_path)
    assert w.by.options[0] == ("地区", "region") and "覆盖率 50.0%" in w.summary.value
    left = w.table()
    assert left["rep_id"].tolist() == ["d", "e", "f"] and set(left["status"]) == {"never_trained"}
    path = w.export_table()
    assert pd.read_csv(path, encoding="utf-8-sig")["rep_id"].tolist() == ["d", "e", "f"]
    w.lang_toggle.value = "en"
    assert w.by.options[0] == ("Region", "region") and w.by.value == "region"
    assert w.group_table().iloc[:, 0].tolist() == ["East", "West"]
    assert "Coverage 50.0%" in w.summary.value
    fig = w.make_figure()
    assert fig.axes and w.image.value[:4] == b"\x89PNG"
    files = w.export_figure()
    assert "threshold 80%" in files["caption"].read_text(encoding="utf-8")


# ---- plan simulator ---------------------------------------------------------------------

@pytest.fixture
def minimal_plan():
    from kexie_research.data import plans_dir
    from kexie_research.simulation import Plan

    # the minimal plan, as shipped: 1 year, 1000 people, 4 x 100 seats, never-trained first
    return Plan.from_toml(plans_dir() / "minimal.toml")


@pytest.fixture
def sim(minimal_plan, tmp_path):
    from kexie_research.widgets import PlanSimulator

    return PlanSimulator(minimal_plan, debounce=0, lang="en", replications=40, seed=7,
                         export_dir=tmp_path / "exports")


def test_plan_from_controls_mapping(minimal_plan):
    from kexie_research.widgets import plan_from_controls

    p = plan_from_controls(minimal_plan, years=3, sessions_per_year=5, capacity=80,
                           modality="exchange", online_share=0.4, selection="segment_priority",
                           accept=0.9, accept_cannot_leave=0.2, no_show=0.1, population=1200)
    # 5 sessions, 40% online -> 2 online, 3 exchange
    assert [(s.modality, s.per_year, s.capacity) for s in p.sessions] == [("exchange", 3, 80), ("online", 2, 80)]
    assert p.policy.accept_prob == {"cannot_leave_post": 0.2, "default": 0.9}
    assert p.sessions[1].accept_prob == {"default": 0.9}  # online: no leave-post barrier
    assert p.policy.priority == ("new", "frontline") and p.policy.no_show_prob == 0.1
    assert (p.term.years, p.population.synthetic_size, len(p.session_schedule())) == (3, 1200, 15)
    with pytest.raises(ValueError, match="centralized"):
        plan_from_controls(minimal_plan, years=1, sessions_per_year=1, capacity=1, modality="online")
    with pytest.raises(ValueError, match="never_trained_first"):
        plan_from_controls(minimal_plan, years=1, sessions_per_year=1, capacity=1, selection="best")


def test_controls_round_trip_on_a_simple_plan(minimal_plan):
    from kexie_research.widgets import controls_from_plan, plan_from_controls

    c = controls_from_plan(minimal_plan)
    assert c == {"years": 1, "sessions_per_year": 4, "capacity": 100, "modality": "centralized",
                 "online_share": 0.0, "selection": "never_trained_first", "accept": 1.0,
                 "accept_cannot_leave": 1.0, "no_show": 0.0, "population": 1000}
    p = plan_from_controls(minimal_plan, **c)
    assert p.session_schedule() == minimal_plan.session_schedule()
    assert p.policy == minimal_plan.policy


def test_simulator_analytic_coverage(sim):
    # never_trained_first, acceptance 1: coverage after k sessions of c seats = min(1, kc/N) exactly
    r = sim.result
    assert (r.coverage_mean, r.coverage_p05, r.coverage_p95) == (0.4, 0.4, 0.4)
    assert "Coverage at term end 40.0%" in sim.coverage_html.value
    sim.capacity.value = 200
    assert sim.result.coverage_mean == 0.8
    sim.sessions_per_year.value = 6
    assert sim.result.coverage_mean == 1.0 and sim.result.summary["p_full_coverage"] == 1.0
    sim.years.value = 2
    assert sim.result.by_year["coverage_mean"].tolist() == [1.0, 1.0]


def test_simulator_random_selection_matches_expectation(sim):
    sim.selection.value = "random"
    # E[coverage] = 1 - (1 - c/N)^k = 1 - 0.9^4 = 0.3439; 40 replications, sd of the mean < 0.003
    assert sim.result.coverage_mean == pytest.approx(0.3439, abs=0.01)
    assert sim.result.coverage_p05 < sim.result.coverage_p95


def test_simulator_online_share_reaches_those_who_cannot_leave(sim):
    sim.accept_cannot_leave.value = 0.0
    seg = sim.result.by_segment.set_index("segment")
    assert seg.loc["cannot_leave_post", "coverage_mean"] == 0.0
    sim.online_share.value = 1.0
    seg = sim.result.by_segment.set_index("segment")
    assert seg.loc["cannot_leave_post", "coverage_mean"] > 0.2


def test_simulator_budget_and_grouping_do_not_recompute(sim):
    n = sim.n_updates
    sim.budget.value = 1
    assert "over budget" in sim.cost_html.value
    sim.budget.value = 5000
    assert "within budget" in sim.cost_html.value and sim.p_over_budget() == 0.0
    sim.budget.value = 1
    assert sim.p_over_budget() == 1.0  # every replication costs more than 10,000 yuan
    sim.group_by.value = "region"
    assert sim.group_table().columns[0] == "Region" and "East" in sim.groups_html.value
    assert sim.n_updates == n


def test_simulator_language_toggle(sim):
    sim.lang_toggle.value = "zh"
    assert sim.capacity.description == "每班名额" and "期末覆盖率 40.0%" in sim.coverage_html.value
    assert dict((v, k) for k, v in sim.selection.options)["never_trained_first"] == "未训优先"
    assert sim.group_table().columns[0] == "群体"          # labels.column_label("segment")
    sim.lang_toggle.value = "en"
    assert sim.save_plan_button.description == "Save plan (TOML)"


def test_simulator_save_plan_round_trips(sim):
    from kexie_research.simulation import Plan

    sim.capacity.value = 150
    sim.online_share.value = 0.5
    path = sim.save_plan("trial")
    assert path.name == "trial.toml" and path.parent.name == "exports"
    loaded = Plan.from_toml(path)
    assert loaded.sessions == sim.plan.sessions and loaded.policy == sim.plan.policy
    assert loaded.term == sim.plan.term and loaded.population == sim.plan.population


def test_simulator_exports_figure_and_table(sim):
    files = sim.export_figure()
    assert {"png", "pdf", "svg", "caption"} <= set(files)
    caption = files["caption"].read_text(encoding="utf-8")
    assert "40 Monte Carlo replications, seed 7" in caption and "100 seats" in caption
    table = pd.read_csv(sim.export_table(), encoding="utf-8-sig")
    assert table["People"].sum() == 1000


def test_simulator_debounced(minimal_plan, tmp_path):
    from kexie_research.widgets import PlanSimulator

    w = PlanSimulator(minimal_plan, debounce=60, replications=10, export_dir=tmp_path)
    w.capacity.value = 200
    w.capacity.value = 250
    assert w.result.coverage_mean == 0.4 and w.n_updates == 1  # burst not yet run
    w.flush()
    assert w.result.coverage_mean == 1.0 and w.n_updates == 2  # run once for the burst


def test_simulator_base_plan_switch(sim):
    assert "plan_2020_one_duty_class" in sim.base_plan.options
    sim.base_plan.value = "plan_2020_one_duty_class"
    # that plan: 5 years, one 100-seat class a year, acceptance 0.9 / 0.3, 5% no-show
    vals = (sim.years.value, sim.sessions_per_year.value, sim.capacity.value, sim.accept.value,
            sim.accept_cannot_leave.value, sim.no_show.value, sim.population.value)
    assert vals == (5, 1, 100, 0.9, 0.3, 0.05, 1600)
    assert sim.result.n_population == 1600 and len(sim.result.by_year) == 5
    assert sim.result.coverage_mean < 500 / 1600  # 500 seats at most over the term


def test_simulator_keeps_a_non_uniform_base_plan_as_written(sim):
    from kexie_research.data import plans_dir
    from kexie_research.simulation import Plan, simulate

    sim.replications = 10
    sim.base_plan.value = "paper_recommended"
    base = Plan.from_toml(plans_dir() / "paper_recommended.toml")
    assert len({s.modality for s in base.sessions}) > 1  # a mix the sliders cannot express
    assert sim.plan.sessions != base.sessions
    sim.schedule.value = "base"
    assert sim.plan.sessions == base.sessions and sim.plan.term == base.term
    assert all(getattr(sim, a).disabled for a in ("years", "sessions_per_year", "capacity",
                                                  "modality", "online_share"))
    n = sim.n_updates
    sim.no_show.value = 0.2  # policy controls still apply
    assert sim.n_updates == n + 1 and sim.plan.policy.no_show_prob == 0.2
    expect = simulate(sim.plan, replications=10, seed=7)
    assert sim.result.coverage_mean == expect.coverage_mean
    assert "as written" in sim.caption() and f"{len(base.session_schedule())} sessions" in sim.caption()
    sim.schedule.value = "uniform"
    assert not sim.years.disabled and sim.plan.sessions != base.sessions


def test_simulator_error_is_shown_not_raised(sim):
    sim.sessions_per_year.value = 0  # no session at all: a valid plan with zero coverage
    assert sim.result.coverage_mean == 0.0
    sim.seed.value = -1  # an invalid seed for numpy
    assert sim.error is not None and "Cannot compute" in sim.status.value


def test_coverage_explorer_congress_choice(tiny_dataset, tmp_path):
    from kexie_research.data import Dataset
    from kexie_research.widgets import CoverageExplorer

    reps = tiny_dataset.representatives.assign(congress=[9, 9, 9, 10, 10, 10])
    ds = Dataset(representatives=reps, attendance=tiny_dataset.attendance, trainings=tiny_dataset.trainings)
    w = CoverageExplorer(ds, debounce=0, lang="en", export_dir=tmp_path)
    assert w.congress.value == 9  # a, b, c attended: all 9th-congress
    assert (w.result.total, w.result.trained, len(w.result.unknown_attendance)) == (3, 3, 0)
    w.congress.value = 10
    assert (w.result.total, w.result.trained) == (3, 0)


# ---- compliance explorer ----------------------------------------------------------------

@pytest.fixture
def cadre_dataset():
    from kexie_research.data import Dataset

    cad = pd.DataFrame({"cadre_id": ["c1", "c2", "c3"], "rank": ["section", "section", "professional"],
                        "is_party_member": [False, False, False],
                        "is_branch_secretary": [False, False, False]})
    log = pd.DataFrame({"cadre_id": ["c1", "c2", "c3"], "year": [2021, 2021, 2021],
                        "hours": [95.0, 40.0, 100.0], "days": [0.0, 6.0, 13.0],
                        "modality": ["offline"] * 3, "off_job": [True, False, True],
                        "category": ["general"] * 3})
    return Dataset(cadres=cad, hours_log=log)


def test_compliance_explorer_rule_and_scale(cadre_dataset, tmp_path):
    from kexie_research.widgets import ComplianceExplorer
    from kexie_research.widgets.compliance import scale_rule

    w = ComplianceExplorer(cadre_dataset, debounce=0, lang="en", export_dir=tmp_path)
    w.rule.value = "2b"  # section/professional: >= 90 h or >= 12 d a year
    # c1 95 h pass, c2 40 h / 6 d fail, c3 100 h pass -> 2/3
    row = w.result.rules.iloc[0]
    assert (row["rule_id"], row["n_pass"], row["n_fail"]) == ("2b", 2, 1)
    assert w.table()["cadre_id"].tolist() == ["c2"]
    w.scale.value = 1.1  # >= 99 h or >= 13.2 d: c1 (95 h, 0 d) now fails, c3 (100 h) passes
    row = w.result.rules.iloc[0]
    assert (row["n_pass"], row["n_fail"]) == (1, 2)
    assert w.table()["cadre_id"].tolist() == ["c1", "c2"]
    assert "(66.7% at the plan's threshold)" in w.summary.value
    w.rank.value = "professional"
    assert len(w.table()) == 0  # c3, the professional, passes
    assert scale_rule(w.rules.get("3a"), 4).threshold_rate == 1.0  # capped
    with pytest.raises(ValueError, match="> 0"):
        scale_rule(w.rules.get("2b"), 0)


def test_compliance_explorer_overview_and_language(cadre_dataset, tmp_path):
    from kexie_research.widgets import ComplianceExplorer

    w = ComplianceExplorer(cadre_dataset, debounce=0, lang="zh", export_dir=tmp_path)
    assert set(w.overall.indicators["indicator"]) == set(range(1, 8))
    assert w.rule.options[0][0].startswith(w.rule.value)  # "<id> <Chinese title>"
    assert "达标率" in w.summary.value
    w.lang_toggle.value = "en"
    assert "pass rate" in w.summary.value and w.rank.options[0] == ("All", "all")
    paths = w.export_figure()
    assert "cadres" in paths["caption"].read_text(encoding="utf-8")


# ---- scenario explorer ------------------------------------------------------------------

@pytest.fixture
def sweep_table():
    import numpy as np

    rng = np.random.default_rng(3)
    X = pd.DataFrame({"accept_prob": rng.uniform(0.5, 1.0, 400), "no_show_prob": rng.uniform(0, 0.3, 400)})
    # full coverage fails exactly when acceptance is below 0.7 (no_show irrelevant)
    cov = np.where(X["accept_prob"] < 0.7, 0.9, 1.0)
    return X.assign(coverage_mean=cov, cost_mean=1e6 * (1 + X["no_show_prob"]))


def test_scenario_explorer_finds_the_failing_region(sweep_table, tmp_path):
    from kexie_research.simulation.discovery import prim
    from kexie_research.widgets import ScenarioExplorer

    w = ScenarioExplorer(sweep_table, debounce=0, lang="en", export_dir=tmp_path)
    assert w.parameters == ["accept_prob", "no_show_prob"]
    y = (sweep_table["coverage_mean"] < 0.99).to_numpy()
    ref = prim(sweep_table[["accept_prob", "no_show_prob"]], y, alpha=0.1, min_support=0.05)
    pd.testing.assert_frame_equal(w.result.trajectory, ref.trajectory)
    assert w.step.value == ref.chosen and w.step.max == len(ref.trajectory) - 1
    lo, hi = w.box["accept_prob"]
    assert hi < 0.72 and w.box_stats["density"] == 1.0  # the chosen box is pure failure
    assert "<b>" in w.summary.value and f"{int(y.sum())}</b> of 400" in w.summary.value


def test_scenario_explorer_step_and_manual_box(sweep_table, tmp_path):
    from kexie_research.widgets import ScenarioExplorer

    w = ScenarioExplorer(sweep_table, debounce=0, lang="en", export_dir=tmp_path)
    n = w.n_updates
    base = float((sweep_table["coverage_mean"] < 0.99).mean())
    w.step.value = 0  # the full box: every case, density = base rate
    assert w.box_stats["coverage"] == 1.0 and w.box_stats["density"] == pytest.approx(base)
    w.limits["accept_prob"].value = (0.5, 0.6)  # inside the failing region: pure, partial coverage
    assert w.box_stats["density"] == 1.0 and 0 < w.box_stats["coverage"] < 0.6
    w.limits["accept_prob"].value = (0.75, 1.0)  # the safe region: no case inside
    assert w.box_stats["n_cases_in_box"] == 0
    assert w.n_updates == n  # moving the box never re-runs PRIM
    assert "Current box" in w.box_html.value


def test_scenario_explorer_threshold_and_errors(sweep_table, tmp_path):
    from kexie_research.widgets import ScenarioExplorer

    w = ScenarioExplorer(sweep_table, debounce=0, lang="en", export_dir=tmp_path)
    w.threshold.value = 0.5  # no point below: nothing to discover, shown not raised
    assert w.error is not None and "nothing to discover" in w.status.value
    w.output.value = "cost_mean"
    w.direction.value = "above"
    w.threshold.value = 1.2e6  # cost above 1.2M <=> no_show > 0.2
    assert w.error is None
    assert w.box["no_show_prob"][0] > 0.18
    with pytest.raises(ValueError, match="parameter column"):
        ScenarioExplorer(pd.DataFrame({"x": [1.0], "coverage_mean": [1.0]}))
    w.lang_toggle.value = "zh"
    assert w.limits["accept_prob"].description == "接受邀请概率" and "当前区域" in w.box_html.value
    files = w.export_figure()
    assert "PRIM" in files["caption"].read_text(encoding="utf-8")


# ---- quality explorer -------------------------------------------------------------------

@pytest.fixture
def survey_dataset():
    import numpy as np

    from kexie_research.data import Dataset
    from kexie_research.schema import QUALITY_ITEMS

    rng = np.random.default_rng(5)
    rows = []
    for s, base in (("A", 4.5), ("B", 3.0), ("C", 3.6)):
        for role, n in (("learner", 12), ("teacher", 4)):
            shift = -1.0 if (s == "A" and role == "teacher") else 0.0  # teachers dislike A
            for i in range(n):
                rows.append({"response_id": f"{s}{role}{i}", "training_id": s, "rater_role": role,
                             **{it: int(np.clip(round(base + shift + rng.normal(0, 0.4)), 1, 5))
                                for it in QUALITY_ITEMS}})
    return Dataset(survey=pd.DataFrame(rows))


def test_quality_explorer_weights_feed_the_ranking(survey_dataset, tmp_path):
    from kexie_research.evaluation import rank_sessions
    from kexie_research.widgets import QualityExplorer

    w = QualityExplorer(survey_dataset, n_boot=40, seed=3, debounce=0, lang="en", export_dir=tmp_path)
    ref = rank_sessions(survey_dataset.survey, weights={"learner": 0.4, "teacher": 0.2, "manager": 0.2,
                                                        "office": 0.2}, n_boot=40, small="drop", rng=3)
    pd.testing.assert_frame_equal(w.result.table, ref.table)
    assert w.result.table["training_id"].iloc[0] == "A"
    import numpy as np

    from kexie_research.evaluation import compute_rater_agreement
    ag = compute_rater_agreement(survey_dataset.survey, n_boot=40, rng=np.random.default_rng(3))
    assert w.agreement.alpha == ag.alpha and w.agreement.get("ICC2") == ag.get("ICC2")
    assert f"Krippendorff's alpha = {ag.alpha.alpha:.2f} (3 sessions" in w.agreement_html.value
    w.weights["learner"].value = 0.0  # teachers only: A drops below C
    ref = rank_sessions(survey_dataset.survey, weights={"learner": 0.0, "teacher": 0.2, "manager": 0.2,
                                                        "office": 0.2}, n_boot=40, small="drop", rng=3)
    pd.testing.assert_frame_equal(w.result.table, ref.table)
    assert w.result.table["training_id"].tolist()[0] == "C"
    w.dimension.value = "lecturers"
    assert w.result.dimension == "lecturers"
    w.weights["teacher"].value = 0.0
    w.weights["manager"].value = 0.0
    w.weights["office"].value = 0.0
    assert w.error is not None and "positive weight" in w.status.value


def test_quality_explorer_language_and_exports(survey_dataset, tmp_path):
    from kexie_research.widgets import QualityExplorer

    w = QualityExplorer(survey_dataset, n_boot=20, debounce=0, lang="zh", export_dir=tmp_path)
    assert w.weights["learner"].description == "权重：学员"
    assert ("师资选配", "lecturers") in w.dimension.options
    w.lang_toggle.value = "en"
    assert w.weights["office"].description == "Weight: Teaching office"
    assert "sessions" in w.summary.value and "Agreement between rater roles" in w.agreement_html.value
    assert pd.read_csv(w.export_table(), encoding="utf-8-sig")["training_id"].tolist()[0] == "A"
    assert "20 bootstrap" in w.export_figure()["caption"].read_text(encoding="utf-8")


# ---- figure gallery ---------------------------------------------------------------------

def test_regenerate_figures_and_gallery(tiny_dataset, tmp_path, monkeypatch):
    from kexie_research.report.figures import regenerate_figures
    from kexie_research.widgets import FigureGallery, figure_index, paper_figures_dir

    monkeypatch.setenv("KEXIE_FIGURES_DIR", str(tmp_path / "figs"))
    assert paper_figures_dir() == tmp_path / "figs"
    monkeypatch.delenv("KEXIE_FIGURE_SECTIONS", raising=False)
    idx = regenerate_figures(sections=["coverage"], dataset=tiny_dataset, quick=True)
    assert idx["name"].str.startswith("coverage_").all() and len(idx) >= 2
    assert (idx["formats"] == "png pdf svg").all() and idx["caption"].str.len().gt(20).all()
    again = regenerate_figures(tmp_path / "figs2", sections=["coverage"], dataset=tiny_dataset, quick=True)
    for name in idx["name"]:
        for fmt in ("png", "pdf", "svg"):
            assert (tmp_path / "figs" / f"{name}.{fmt}").read_bytes() == \
                (tmp_path / "figs2" / f"{name}.{fmt}").read_bytes()
    pd.testing.assert_frame_equal(idx, figure_index(tmp_path / "figs2"))
    g = FigureGallery(tmp_path / "figs", lang="en")
    assert g.figure.options == tuple(idx["name"]) and g.image.value[:4] == b"\x89PNG"
    g.figure.value = idx["name"].iloc[-1]
    assert g.result["caption"] == idx["caption"].iloc[-1]
    assert f"{len(idx)} figures" in g.summary.value


# ---- network explorer -------------------------------------------------------------------

@pytest.fixture
def network_dataset():
    import networkx as nx

    from kexie_research.data import Dataset

    # Zachary's karate club: members 0-16 "university" in 北京, 17-33 "enterprise" in 上海;
    # ties before 2020 are "project", the rest "membership" (by edge order)
    G = nx.karate_club_graph()
    orgs = pd.DataFrame({"org_id": [f"o{i}" for i in G.nodes],
                         "type": ["university" if i < 17 else "enterprise" for i in G.nodes],
                         "province": ["北京" if i < 17 else "上海" for i in G.nodes],
                         "name": [f"组织{i}" for i in G.nodes]})
    edges = list(G.edges)
    links = pd.DataFrame({"source_id": [f"o{a}" for a, _ in edges], "target_id": [f"o{b}" for _, b in edges],
                          "kind": ["project" if k % 2 == 0 else "membership" for k in range(len(edges))],
                          "year": [2018 + (k % 4) for k in range(len(edges))],
                          "weight": [1.0] * len(edges)})
    return Dataset(organizations=orgs, links=links), G, edges


def test_network_explorer_measures_match_networkx(network_dataset, tmp_path):
    import networkx as nx

    from kexie_research.widgets import NetworkExplorer

    ds, G, edges = network_dataset
    w = NetworkExplorer(ds, debounce=0, lang="en", export_dir=tmp_path)
    assert (w.result.summary["nodes"], w.result.summary["edges"]) == (34, 78)
    assert w.view == "layout" and w.table()["org_id"].iloc[0] == "o33"  # degree 17, the top
    w.measure.value = "betweenness"
    ref = nx.betweenness_centrality(G)
    got = w.result.table.set_index("org_id")["betweenness"]
    assert all(abs(got[f"o{i}"] - ref[i]) < 1e-9 for i in G.nodes)
    assert w.table()["org_id"].iloc[0] == "o0"  # node 0 is the broker of the club


def test_network_explorer_filters(network_dataset, tmp_path):
    import networkx as nx

    from kexie_research.widgets import NetworkExplorer

    ds, G, edges = network_dataset
    w = NetworkExplorer(ds, debounce=0, lang="en", export_dir=tmp_path)
    w.kinds.value = ("project",)
    kept = [e for k, e in enumerate(edges) if k % 2 == 0]
    assert w.result.summary["edges"] == len(kept)
    w.kinds.value = ()
    w.years.value = (2018, 2019)
    kept = [e for k, e in enumerate(edges) if 2018 + (k % 4) <= 2019]
    assert w.result.summary["edges"] == len(kept)
    w.years.value = (2018, 2021)
    w.province.value = "北京"
    H = G.subgraph(range(17))
    H = H.subgraph([n for n in H if H.degree(n) > 0])
    assert (w.result.summary["nodes"], w.result.summary["edges"]) == (H.number_of_nodes(), H.number_of_edges())
    assert set(w.graph.nodes["province"]) == {"北京"}
    w.province.value = "all"
    w.types.value = ("enterprise",)
    assert set(w.graph.nodes["type"]) == {"enterprise"}
    deg = dict(G.subgraph(range(17, 34)).degree())
    got = w.result.table.set_index("org_id")["degree"]
    assert all(got[f"o{i}"] == deg[i] for i in range(17, 34) if deg[i] > 0)
    w.types.value = ("hospital",) if "hospital" in w.types.options else ()
    w.kinds.value = ("project",)
    w.years.value = (2019, 2019)  # odd-indexed years only -> no project link in 2019
    assert w.error is not None and "no ties" in w.status.value


def test_network_explorer_view_switches_to_flow_matrix(network_dataset, tmp_path):
    from kexie_research.widgets import NetworkExplorer

    ds, G, edges = network_dataset
    w = NetworkExplorer(ds, debounce=0, lang="zh", small_graph_nodes=20, export_dir=tmp_path)
    assert w.view == "matrix" and "聚合流量矩阵" in w.summary.value
    # type x type weights: within-university + within-enterprise + across = 78 ties
    M = w.flows.matrix
    assert M.to_numpy().trace() + M.loc["university", "enterprise"] == 78
    w.flow_by.value = "province"
    assert set(w.flows.matrix.index) == {"北京", "上海"}
    n = w.n_updates
    w.flow_ratio.value = True  # redraw only
    assert w.n_updates == n
    w.lang_toggle.value = "en"
    assert w.measure.options[0] == ("Degree (partners)", "degree") and "flow matrix" in w.summary.value
    files = w.export_figure()
    assert "tie weight aggregated by province" in files["caption"].read_text(encoding="utf-8")
    assert w.export_table().name == "network_en.csv"


# ---- every explorer: every label follows the language -----------------------------------

def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_every_control_label_follows_the_language(tiny_dataset, cadre_dataset, survey_dataset,
                                                  network_dataset, sweep_table, minimal_plan, tmp_path):
    import ipywidgets as widgets

    from kexie_research.widgets import (ComplianceExplorer, CoverageExplorer, NetworkExplorer,
                                        PlanSimulator, QualityExplorer, ScenarioExplorer,
                                        ValidationExplorer)

    explorers = [
        ValidationExplorer(debounce=0, export_dir=tmp_path),
        CoverageExplorer(tiny_dataset, debounce=0, export_dir=tmp_path),
        ComplianceExplorer(cadre_dataset, debounce=0, export_dir=tmp_path),
        QualityExplorer(survey_dataset, n_boot=10, debounce=0, export_dir=tmp_path),
        NetworkExplorer(network_dataset[0], debounce=0, export_dir=tmp_path),
        PlanSimulator(minimal_plan, replications=5, debounce=0, export_dir=tmp_path),
        ScenarioExplorer(sweep_table, debounce=0, export_dir=tmp_path),
    ]
    for w in explorers:
        controls = [v for v in vars(w).values() if isinstance(v, (widgets.ValueWidget, widgets.Button))
                    and getattr(v, "description", "")]
        controls += list(getattr(w, "limits", {}).values()) + list(getattr(w, "weights", {}).values())
        assert len(controls) >= 2, type(w).__name__
        zh = {id(c): c.description for c in controls}
        assert all(_has_cjk(d) for d in zh.values()), (type(w).__name__, zh)
        w.lang_toggle.value = "en"
        en = [c.description for c in controls]
        assert not any(_has_cjk(d) for d in en), (type(w).__name__, en)
        assert not _has_cjk(w.heading.value)


def test_a_drawing_error_is_shown_not_raised(tiny_dataset, tmp_path, monkeypatch):
    from kexie_research.widgets import CoverageExplorer

    w = CoverageExplorer(tiny_dataset, debounce=0, lang="en", export_dir=tmp_path)

    def broken(*_a, **_k):
        raise ValueError("plot exploded")

    monkeypatch.setattr(CoverageExplorer, "make_figure", broken)
    w.threshold.value = 0.3
    assert w.result.threshold == 0.3  # the result is still recomputed
    assert isinstance(w.error, ValueError) and "Cannot draw: plot exploded" in w.status.value
