"""Coverage: hand-computed values on tests/fixtures/coverage (10 representatives, 4 sessions).

Fixture facts used throughout (see the CSVs):
- counted attendances: R01 (S1, S3), R02 (S1), R04 (S1, S2), R06 (S3), R08 (S4) -> 5 distinct,
  7 person-times, 2 repeats (R01, R04), hours 16+16+16+16+24+16+8 = 112;
- not counted: R05 at S2 with 0 hours (zero-hour rule); R99 (unknown rep_id) at S1;
  R09 at S9 (unknown training_id);
- S2 runs 2019-12-30 .. 2020-01-02 (spans years); last session end 2023-09-12.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from kexie_research.cli import main
from kexie_research.coverage import (compute_coverage, compute_exchange, gini, left_out_table,
                                     theil, wilson_interval)
from kexie_research.errors import AnalysisError, DataValidationError
from kexie_research.validate import load_table

FIX = Path(__file__).parent / "fixtures" / "coverage"


@pytest.fixture(scope="module")
def tables():
    return {k: load_table(FIX / f"{k}.csv", k).accepted
            for k in ("representatives", "trainings", "attendance")}


@pytest.fixture(scope="module")
def res(tables):
    return compute_coverage(tables["representatives"], tables["attendance"], tables["trainings"],
                            by="region", window_years=4)


# ---- distinct persons vs person-times ------------------------------------------------------

def test_headline_counts(res):
    assert res.total == 10
    assert res.trained == 5                  # R01 R02 R04 R06 R08
    assert res.coverage == 0.5
    assert res.person_times == 7
    assert res.repeat_attendance == 2        # R01 twice, R04 twice
    assert res.n_repeaters == 2
    assert res.hours == 112.0
    assert res.untrained_ids == ("R03", "R05", "R07", "R09", "R10")


def test_unknown_attendance_reported_not_dropped(res):
    u = res.unknown_attendance.sort_values("row")
    assert u[["rep_id", "training_id", "reason"]].values.tolist() == [
        ["R99", "S1", "unknown rep_id"], ["R09", "S9", "unknown training_id"]]
    assert list(u["row"]) == [9, 10]        # 1-based data rows of attendance.csv
    assert any("2 attendance row(s) not counted" in m for m in res.messages)
    d = res.to_dict()
    assert d["n_unknown_attendance"] == 2 and len(d["unknown_attendance"]) == 2


def test_zero_hour_rows_do_not_count(res, tables):
    # R05's only row has 0 hours: registered, not trained
    assert res.n_zero_hour_rows == 1
    assert "R05" in res.untrained_ids
    # hours unknown (no hours column) -> the row counts
    att = tables["attendance"].drop(columns=["hours"])
    r = compute_coverage(tables["representatives"], att, tables["trainings"])
    assert "R05" not in r.untrained_ids and r.trained == 6 and r.hours == 0.0


def test_require_completed(tables):
    # R08's S4 row is not completed (R05's zero-hour row is also incomplete but already out)
    r = compute_coverage(tables["representatives"], tables["attendance"], tables["trainings"],
                         require_completed=True)
    assert r.trained == 4 and r.n_incomplete_rows == 1 and "R08" in r.untrained_ids


def test_duplicates_counted_once():
    reps = pd.DataFrame({"rep_id": ["a", "b"]})
    att = pd.DataFrame({"rep_id": ["a", "a"], "training_id": ["S", "S"], "hours": [4.0, 3.0]})
    r = compute_coverage(reps, att)
    assert (r.person_times, r.n_duplicate_rows, r.hours) == (1, 1, 7.0)


# ---- groups, intervals, inequality ---------------------------------------------------------

def test_groups_by_region(res):
    g = res.groups.set_index("group")
    # east R01 R02 R03 -> 2/3; national R10 -> 0/1; northeast R08 R09 -> 1/2; west R04..R07 -> 2/4
    assert g.loc["east", ["total", "trained"]].tolist() == [3, 2]
    assert g.loc["west", ["total", "trained"]].tolist() == [4, 2]
    assert g.loc["northeast", "coverage"] == 0.5 and g.loc["national", "coverage"] == 0.0
    assert g["below_threshold"].all()                       # all below 80 %
    assert g.loc["east", "person_times"] == 3               # R01 x2 + R02
    assert math.isclose(g["share_of_reps"].sum(), 1.0)
    assert math.isclose(g["share_of_trained"].sum(), 1.0)


def test_wilson_matches_statsmodels(res):
    g = res.groups
    lo, hi = proportion_confint(g["trained"], g["total"], alpha=0.05, method="wilson")
    np.testing.assert_allclose(g["ci_low"], lo)
    np.testing.assert_allclose(g["ci_high"], hi)
    assert ((g["ci_low"] <= g["coverage"]) & (g["coverage"] <= g["ci_high"])).all()
    olo, ohi = proportion_confint(5, 10, alpha=0.05, method="wilson")
    assert res.ci_interpretation == "propensity"
    r2 = compute_coverage(res.persons[["rep_id"]], pd.DataFrame({"rep_id": ["R01"], "training_id": ["S1"]}),
                          sample=True)
    assert r2.ci_interpretation == "sampling" and (r2.trained, r2.total) == (1, 10)
    assert math.isclose(r2.ci_low, proportion_confint(1, 10, method="wilson")[0])
    assert math.isclose(res.ci_low, olo) and math.isclose(res.ci_high, ohi)
    # Wilson 8/10 at 95 %: 0.4902 .. 0.9433 (Brown, Cai & DasGupta 2001, Table values)
    lo, hi = wilson_interval(8, 10)
    assert round(float(lo), 4) == 0.4902 and round(float(hi), 4) == 0.9433
    assert np.isnan(wilson_interval(0, 0)[0])


def test_gini_theil_hand_values(res):
    # weights p = (.3, .1, .2, .4) for east, national, northeast, west; c = (2/3, 0, .5, .5); mu = .5
    # Gini: 2 * [.3*.1*2/3 + .3*.2*1/6 + .3*.4*1/6 + .1*.2*.5 + .1*.4*.5 + 0] / (2 * .5) = .16
    assert math.isclose(res.inequality["gini"], 0.16)
    # Theil T: .3 * (4/3) ln(4/3) + 0 + 0 + 0 = .4 ln(4/3)
    assert math.isclose(res.inequality["theil"], 0.4 * math.log(4 / 3))
    assert gini([0.4, 0.4]) == 0.0 and theil([0.4, 0.4]) == 0.0
    assert math.isnan(gini([0.0, 0.0])) and math.isnan(theil([]))
    # unweighted two groups 0 and 1: G = 2*(.25*1)/(2*.5) = .5; T = .5*2*ln 2 = ln 2
    assert math.isclose(gini([0, 1]), 0.5) and math.isclose(theil([0, 1]), math.log(2))


def test_groups_by_two_columns(tables):
    r = compute_coverage(tables["representatives"], tables["attendance"], by=["region", "is_frontline"])
    g = r.groups.set_index("group")
    assert g.loc["west / True", ["total", "trained"]].tolist() == [3, 2]     # R04 R05 R06
    assert g.loc["west / False", ["total", "trained"]].tolist() == [1, 0]    # R07
    assert g["total"].sum() == 10


# ---- curve, milestones, years, windows -----------------------------------------------------

def test_curve_and_milestones(res):
    c = res.curve
    assert [d.date().isoformat() for d in c["date"]] == ["2019-03-03", "2021-06-03", "2023-09-12"]
    assert list(c["cumulative_trained"]) == [3, 4, 5]          # S2 brought nobody new
    assert list(c["coverage"]) == [0.3, 0.4, 0.5]
    assert res.milestones[0.5] == pd.Timestamp("2023-09-12")
    assert res.milestones[0.8] is None and res.milestones[1.0] is None
    # 2019-03-01 -> 2023-03-01 = 4*365+1 = 1461 d; -> 2023-09-12 = +184+11 = 1656 d
    assert res.days_to[0.5] == 1656
    d = res.to_dict()
    assert d["time_to_50"] == "2023-09-12" and d["time_to_80"] is None and d["time_to_100"] is None


def test_spanning_session_counts_in_end_year(res):
    assert res.spanning_sessions == ("S2",)
    y = res.yearly.set_index("year")
    assert list(y.index) == [2019, 2020, 2021, 2023]
    assert y.loc[2020, "person_times"] == 1 and y.loc[2020, "hours"] == 24.0   # R04 at S2
    assert y.loc[2019, "person_times"] == 3 and y.loc[2019, "newly_trained"] == 3
    assert y.loc[2020, "newly_trained"] == 0 and y.loc[2021, "distinct_trained"] == 2


def test_window_default_as_of(res):
    # as_of = 2023-09-12, window from 2019-09-12: S2 (ends 2020-01-02), S3, S4 are inside;
    # R02's only session S1 (2019-03-03) is not
    assert res.as_of == pd.Timestamp("2023-09-12")
    assert res.not_trained_within_window == ("R02", "R03", "R05", "R07", "R09", "R10")
    p = res.persons.set_index("rep_id")
    assert bool(p.loc["R04", "within_window"]) and not bool(p.loc["R02", "within_window"])


def test_window_spanning_session_by_end_date(tables):
    # window [2020-01-01, 2024-01-01]: S2 started 2019-12-30 but ends 2020-01-02 -> R04 inside
    r = compute_coverage(tables["representatives"], tables["attendance"], tables["trainings"],
                         window_years=4, as_of="2024-01-01")
    assert "R04" not in r.not_trained_within_window
    r3 = compute_coverage(tables["representatives"], tables["attendance"], tables["trainings"],
                          window_years=3, as_of="2024-01-01")
    # window from 2021-01-01: R04 (S1, S2) is now out
    assert "R04" in r3.not_trained_within_window and "R01" not in r3.not_trained_within_window


def test_as_of_cuts_later_sessions(tables):
    r = compute_coverage(tables["representatives"], tables["attendance"], tables["trainings"],
                         as_of="2021-12-31")
    assert r.trained == 4 and r.n_after_as_of_rows == 1 and "R08" in r.untrained_ids


def test_left_out_table(res, tables):
    t = left_out_table(res, tables["representatives"])
    s = t.set_index("rep_id")["status"]
    assert s["R02"] == "not_trained_within_window" and s["R03"] == "never_trained"
    assert len(t) == 6 and list(t["status"]).count("never_trained") == 5


# ---- errors --------------------------------------------------------------------------------

def test_errors(tables):
    reps, att = tables["representatives"], tables["attendance"]
    with pytest.raises(DataValidationError, match="lacks column.*nope"):
        compute_coverage(reps, att, by="nope")
    with pytest.raises(AnalysisError, match="need the trainings table"):
        compute_coverage(reps, att, window_years=4)
    with pytest.raises(AnalysisError, match="no representatives"):
        compute_coverage(reps.iloc[:0], att)
    with pytest.raises(DataValidationError, match="unique"):
        compute_coverage(pd.concat([reps, reps]), att)
    with pytest.raises(ValueError, match="threshold"):
        compute_coverage(reps, att, threshold=80)


def test_inputs_not_mutated(tables):
    before = tables["attendance"].copy()
    compute_coverage(tables["representatives"], tables["attendance"], tables["trainings"], by="region")
    pd.testing.assert_frame_equal(before, tables["attendance"])


# ---- cross-region exchange -----------------------------------------------------------------

def test_exchange_hand_values(tables):
    ex = compute_exchange(tables["representatives"], tables["attendance"], tables["trainings"])
    s = ex.sessions.set_index("training_id")
    # counted: S1 = R01 R02 (east) + R04 (west); S2 = R04; S3 = R01 (east) + R06 (west); S4 = R08
    assert list(s.index) == ["S1", "S2", "S3", "S4"]
    assert s.loc["S1", ["n_attendees", "n_east", "n_west", "n_developed", "n_underdeveloped"]].tolist() == [3, 2, 1, 2, 1]
    assert math.isclose(s.loc["S1", "share_east"], 2 / 3)
    # entropy of (2/3, 1/3) in bits = 0.918296
    assert math.isclose(s.loc["S1", "region_entropy_bits"], 0.9182958340544896)
    m = ex.province_mix.set_index(["training_id", "province"])
    assert m.loc[("S1", "上海"), ["n", "share"]].tolist() == [2, 2 / 3]
    assert m.loc[("S1", "甘肃"), "region"] == "west" and len(ex.province_mix) == 6
    assert s.loc["S2", "region_entropy_bits"] == 0.0 and not s.loc["S2", "mixed"] and s.loc["S3", "mixed"]
    # U = 3 (R04 at S1, S2; R06 at S3), D = 3, N = 7; exposure = 2/3 (S2 has no east attendee)
    assert (ex.n_underdeveloped, ex.n_developed, ex.n_person_times) == (3, 3, 7)
    assert math.isclose(ex.exposure, 2 / 3)
    # observed pairs 1*2 + 0 + 1*1 + 0 = 3; expected (6+0+2+0) * 3*3 / (7*6) = 72/42
    assert ex.observed_pairs == 3.0
    assert math.isclose(ex.expected_pairs, 72 / 42)
    assert math.isclose(ex.mixing_ratio, 3 / (72 / 42))


def test_exchange_segregated_sessions_ratio_below_one():
    reps = pd.DataFrame({"rep_id": list("abcd"), "province": ["甘肃", "青海", "上海", "北京"]})
    att = pd.DataFrame({"rep_id": list("abcd"), "training_id": ["W", "W", "E", "E"]})
    ex = compute_exchange(reps, att)
    assert ex.exposure == 0.0 and ex.observed_pairs == 0.0 and ex.mixing_ratio == 0.0


# ---- CLI -------------------------------------------------------------------------------------

def _cov_args(*extra):
    return ["coverage", "--representatives", str(FIX / "representatives.csv"),
            "--attendance", str(FIX / "attendance.csv"), "--trainings", str(FIX / "trainings.csv"),
            *extra]


def test_cli_json(capsys):
    rc = main(_cov_args("--by", "province", "--window-years", "4", "--json"))
    out, err = capsys.readouterr()
    assert rc == 0
    d = json.loads(out)
    for k in ("total", "trained", "coverage", "person_times", "groups", "untrained_ids",
              "unknown_attendance", "not_trained_within_window", "inequality", "exchange"):
        assert k in d
    assert (d["total"], d["trained"], d["coverage"], d["person_times"]) == (10, 5, 0.5, 7)
    assert d["ci_interpretation"] == "propensity"
    g = {r["group"]: r for r in d["groups"]}
    assert g["甘肃"]["trained"] == 2 and g["甘肃"]["total"] == 4
    # the JSON name says what the interval is: on a complete roster a superpopulation interval
    lo, hi = proportion_confint(2, 4, method="wilson")
    assert g["甘肃"]["ci_superpopulation"] == pytest.approx([lo, hi]) and "ci_low" not in g["甘肃"]
    assert d["coverage_ci_superpopulation"] == pytest.approx(list(proportion_confint(5, 10, method="wilson")))
    assert "ci_low" not in d and "superpopulation" in d["ci_meaning"] and "exact" in d["ci_meaning"]
    assert {r["rep_id"] for r in d["unknown_attendance"]} == {"R99", "R09"}
    assert "R99" in err and "unknown rep_id" in err


def test_cli_text_and_strict(capsys):
    assert main(_cov_args()) == 0
    out, _ = capsys.readouterr()
    assert "coverage 50.0%" in out
    assert main(_cov_args("--strict")) == 2
    assert "unknown ids" in capsys.readouterr().err


@pytest.mark.parametrize("extra, msg", [
    (["--by", "nope"], "nope"),
    (["--threshold", "5"], "--threshold"),
    (["--export", "x.txt"], ".csv or .xlsx"),
])
def test_cli_bad_options_exit_2(capsys, tmp_path, extra, msg):
    if extra[0] == "--export":
        extra = ["--export", str(tmp_path / "x.txt")]
    assert main(_cov_args(*extra)) == 2
    err = capsys.readouterr().err
    assert msg in err and "Traceback" not in err


def test_cli_window_needs_trainings(capsys):
    rc = main(["coverage", "--representatives", str(FIX / "representatives.csv"),
               "--attendance", str(FIX / "attendance.csv"), "--window-years", "4"])
    assert rc == 2 and "--trainings" in capsys.readouterr().err


def test_export_neutralises_formulas(tmp_path, capsys):
    csv_path, xlsx_path = tmp_path / "left_out.csv", tmp_path / "left_out.xlsx"
    assert main(_cov_args("--window-years", "4", "--export", str(csv_path))) == 0
    assert main(_cov_args("--window-years", "4", "--export", str(xlsx_path))) == 0
    capsys.readouterr()
    text = csv_path.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(" in text and "'+SUM(A1:A2)" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    ws = openpyxl.load_workbook(xlsx_path).active
    names = [c.value for c in next(ws.iter_cols(min_col=[c.value for c in ws[1]].index("name") + 1))]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in names
    assert all(not (isinstance(v, str) and v.startswith(("=", "+"))) for v in names)
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    # the left-out list: 5 never trained + R02 not within 4 years
    df = pd.read_csv(csv_path, encoding="utf-8-sig")
    assert sorted(df["rep_id"]) == ["R02", "R03", "R05", "R07", "R09", "R10"]


# ---- figures (drawn objects, not pixels) ---------------------------------------------------

@pytest.fixture(scope="module")
def by_province(tables):
    return compute_coverage(tables["representatives"], tables["attendance"], tables["trainings"],
                            by="province")


def test_plot_province_tiles(by_province):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from kexie_research.plots.coverage import ISO_CODES, TILE_GRID, plot_province_tiles
    from kexie_research.regions import PROVINCES

    assert len(TILE_GRID) == 31 and len(set(TILE_GRID.values())) == 31     # no two tiles overlap
    assert set(TILE_GRID) == set(ISO_CODES) == set(PROVINCES) - {"新疆兵团"}
    ax = plot_province_tiles(by_province, lang="en")
    tiles = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(tiles) == 31
    assert sum(1 for p in tiles if p.get_hatch()) == 28     # only 上海 甘肃 辽宁 have data
    texts = [t.get_text() for t in ax.texts]
    assert "GS" in texts and "50%" in texts and "67%" in texts   # 甘肃 2/4, 上海 2/3
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="province"):
        plot_province_tiles(compute_coverage(by_province.persons.assign(region="x"),
                                             pd.DataFrame({"rep_id": [], "training_id": []}), by="region"))


def test_plot_bars_and_curve(by_province, res):
    import matplotlib.pyplot as plt

    from kexie_research.plots.coverage import plot_coverage_by_group, plot_coverage_curve

    ax = plot_coverage_by_group(by_province, lang="zh")
    assert len(ax.patches) == 4                                  # 上海 甘肃 辽宁 全国学会
    widths = [p.get_width() for p in ax.patches]
    assert widths == sorted(widths)                              # sorted, lowest at the bottom
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "全国学会"
    assert any(list(line.get_xdata()) == [0.8, 0.8] for line in ax.lines)   # threshold
    plt.close(ax.figure)
    ax = plot_coverage_by_group(by_province, lang="zh")
    assert "省份" in ax.get_title() and "province" not in ax.get_title()
    plt.close(ax.figure)
    ax = plot_coverage_by_group(by_province, lang="en")
    assert ax.get_title() == "Coverage by province/delegation"
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "National societies"
    plt.close(ax.figure)
    ax = plot_coverage_curve(res, lang="en")
    assert "Cumulative" in ax.get_title()
    labels = ax.get_legend_handles_labels()[1]
    assert any("50% reached 2023-09-12" in s for s in labels)
    plt.close(ax.figure)


# ---- invariants ----------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.lists(st.tuples(st.integers(0, 14), st.integers(0, 4), st.sampled_from([0.0, 4.0, 8.0])),
                max_size=40),
       st.lists(st.sampled_from(["上海", "甘肃", "辽宁", "全国学会"]), min_size=15, max_size=15))
@settings(max_examples=25)
def test_invariants(rows, provinces):
    reps = pd.DataFrame({"rep_id": [f"r{i}" for i in range(15)], "province": provinces})
    att = pd.DataFrame({"rep_id": [f"r{a}" for a, _, _ in rows], "training_id": [f"S{b}" for _, b, _ in rows],
                        "hours": [h for _, _, h in rows]}, columns=["rep_id", "training_id", "hours"])
    r = compute_coverage(reps, att, by="province")
    assert 0 <= r.trained <= min(r.person_times, r.total)
    assert r.repeat_attendance == r.person_times - r.trained >= 0
    assert r.ci_low <= r.coverage <= r.ci_high and 0 <= r.ci_low and r.ci_high <= 1
    assert r.groups["trained"].sum() == r.trained and r.groups["total"].sum() == r.total
    assert r.groups["person_times"].sum() == r.person_times
    assert r.n_zero_hour_rows + r.person_times + r.n_duplicate_rows == len(att)
    assert len(r.untrained_ids) == r.total - r.trained
    if r.trained:
        assert 0 <= r.inequality["gini"] < 1 and r.inequality["theil"] >= -1e-12
    ex = compute_exchange(reps, att)
    if ex.n_underdeveloped:
        assert 0 <= ex.exposure <= 1


def test_group_and_column_labels():
    from kexie_research.plots.coverage import column_label, group_label

    assert [column_label(c, "zh") for c in ("province", "sector", "delegation_type", "is_reelected")] == \
        ["省份/代表团", "工作领域", "代表团类型", "连任"]
    assert column_label("province", "en") == "province/delegation"
    assert [group_label(g, "zh") for g in ("research_institute", "central", "上海", True, "national_society")] == \
        ["科研院所", "中部", "上海", "是", "全国学会"]
    assert [group_label(g, "en") for g in ("research_institute", "central", "上海", False)] == \
        ["research institute", "Central", "Shanghai", "no"]
