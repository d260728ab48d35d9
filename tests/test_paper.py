"""Paper reproduction (seed 000 Tables 1–3) and the paper/coverage/compliance report sections."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kexie_research.data import load_dataset
from kexie_research.paper import display_tables, render_count, reproduce_paper
from kexie_research.report import build_report
from kexie_research.report.sections.paper import paper_tables_latex, paper_tables_markdown

FIX = Path(__file__).parent / "fixtures" / "coverage"


@pytest.fixture(scope="module")
def rep():
    return reproduce_paper()


def test_table1_values(rep):
    t = rep.table1
    assert len(t) == 9
    assert list(t["participants"]) == ["48", "71", "≈500", "140+", "≈70", "150+", "120+", "≈70", "66"]
    assert t.loc[0, "dates"] == "2013-07-03 – 2013-07-05"
    assert t.loc[2, "dates"] == "2014"                       # the reading class: year only
    assert t.loc[4, "place"] == "广东 深圳" and t.loc[0, "place"] == "北京"
    assert t.loc[0, "origin"] == "来自44个全国学会"
    assert list(t["congress"]).count(9) == 6
    assert t.loc[7, "participants_as_printed"] == "近70位"


def test_table2_topic_counts(rep):
    t = rep.table2.set_index("training_id")
    # 35 topic rows; T1-03 has no Table 2 row
    assert t.loc["Total", "total"] == 35 and "T1-03" not in t.index and len(t) == 9
    assert t.loc["T1-01", ["policy", "mission", "duty_skills", "total"]].tolist() == [2, 4, 3, 9]
    assert t.loc["T1-04", ["theory", "party", "mission"]].tolist() == [1, 1, 1]


def test_table3(rep):
    assert len(rep.table3) == 17
    s = rep.table3_summary.set_index("province")
    assert len(s) == 9
    assert "18 person-times" in s.loc["重庆", "figures"]
    assert "90+ persons" in s.loc["青海", "figures"]
    assert s.loc["北京", "n_records"] == 6


def test_584_statement(rep):
    d = rep.discrepancy
    # 140 + 70 + 150 + 120 + 70 + 66 = 616 person-times reported vs 584 distinct
    assert d["reported_sum"] == 616 and d["distinct_trained"] == 584
    assert d["repeat_attendance_lower_bound"] == 32
    # exact + at-least: 140 + 150 + 120 + 66 = 476; approximate 70 + 70 = 140; 584 - 476 = 108
    assert (d["firm_lower_bound_person_times"], d["approx_sum"], d["approx_needed_for_repeats"]) == (476, 140, 108)
    assert (d["n_at_least"], d["n_approx"], d["n_exact"]) == (3, 2, 1)
    for text in (rep.statement_en, rep.statement_zh):
        assert "584" in text and "616" in text and "32" in text
    assert "person-times" in rep.statement_en and "人次" in rep.statement_zh


def test_render_count():
    assert render_count(150, "at_least") == "150+"
    assert render_count(3, "range_min") == "≥3"
    assert render_count(66.0, "exact") == "66"


def test_markdown_and_latex(rep):
    md = paper_tables_markdown(rep, "en")
    assert md["table1"].count("\n") == 10                        # header + rule + 9 rows
    assert "| 140+ |" in md["table1"] and "≈500" in md["table1"]
    tex = paper_tables_latex(rep, "zh")
    assert "\\begin{tabularx}{\\linewidth}" in tex["table1"] and "\\label{tab:paper_table1}" in tex["table1"]
    assert "140+" in tex["table1"] and "\\toprule" in tex["table2"]
    assert list(display_tables(rep, "zh")["table1"].columns) == ["序号", "培训班", "时间", "地点", "参训人数", "代表来源"]
    with pytest.raises(ValueError, match="lang"):
        display_tables(rep, "fr")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep")
    ds = load_dataset(FIX, errors="collect")      # the fixture has dangling ids on purpose
    return build_report(out_dir=out, lang="en", sections=["paper", "coverage", "compliance"],
                        quick=True, progress=False, dataset=ds)


def test_report_sections(report):
    s = report.summary["sections"]
    assert s["paper"]["repeat_attendance_lower_bound"] == 32
    assert (s["coverage"]["total"], s["coverage"]["trained"], s["coverage"]["person_times"]) == (10, 5, 7)
    assert s["coverage"]["n_unknown_attendance"] == 2
    assert s["compliance"]["pass_rates"]["2b"] == 0.3
    assert "6a" in s["compliance"]["not_evaluable"]
    out = report.out_dir
    for name in ("coverage_curve", "coverage_by_province", "coverage_province_tiles",
                 "coverage_exchange", "compliance_heatmap", "compliance_off_job_rates",
                 "compliance_curriculum"):
        assert (out / "figures" / f"{name}.png").is_file(), name
        cap = (out / "figures" / f"{name}.caption.txt").read_text(encoding="utf-8")
        assert "Data:" in cap
    assert (out / "tables" / "paper_table1.tex").is_file()
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "584" in md and "tile grid" in md
    json.loads((out / "summary.json").read_text(encoding="utf-8"))


# ---- bilingual labels ----------------------------------------------------------------------

def test_table3_summary_zh_has_no_english_words(rep):
    import re

    zh = display_tables(rep, "zh")["table3_summary"]
    figs = list(zh["数字"])
    assert not any(re.search(r"[A-Za-z]{2,}", f) for f in figs), figs
    bj = zh.set_index("省份").loc["北京", "数字"]
    # 北京: 4 classes a year; 10 CAST + 160 Beijing reps trained; 50+ participants
    assert bj.startswith("每年期数：4期；已培训中国科协八大代表：10人") and "参训人数：50+人" in bj
    assert zh.set_index("省份").loc["重庆", "数字"] == "3年累计人次：18人次；每期天数：7天"
    assert list(display_tables(rep, "zh")["table2"]["编号"])[-1] == "合计"


def test_tables_en_show_provinces_in_english(rep):
    import re

    en = display_tables(rep, "en")
    cjk = re.compile(r"[\u4e00-\u9fff]")
    t3 = en["table3_summary"]
    assert list(t3["Province"])[:3] == ["Beijing", "Hebei", "Liaoning"]
    assert not any(cjk.search(str(v)) for col in t3.columns for v in t3[col])
    assert "Qinghai" in set(t3["Province"]) and "2012, 2014, 2015" in t3.set_index("Province").loc["Qinghai", "Periods"]
    t1 = en["table1"]
    assert list(t1["Place"])[4] == "Guangdong Shenzhen"
    # only the session names (names, kept as printed) are Chinese in the English Table 1
    assert not any(cjk.search(str(v)) for col in ("Place", "Origin", "Dates") for v in t1[col])


def test_report_zh_labels(tmp_path):
    """zh report: breakdown dimensions, groups, yes/no and rule tests are Chinese, not codes."""
    import re

    ds = load_dataset(FIX, errors="collect")
    build_report(out_dir=tmp_path, lang="zh", sections=["paper", "coverage", "compliance"],
                 quick=True, progress=False, dataset=ds)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    rows = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert not any(re.search(r"\| (province|region|sector|is_frontline|True|False|pass|fail) \|", r)
                   for r in rows)
    assert "| 省份/代表团 | 上海 |" in md and "| 地区 | 东部 |" in md and "| 合计 |" in md
    assert "4年内 ≥450学时或≥75天" in md
    t3 = md.split("**表3 ")[1].split("\n\n**")[0]
    assert "classes per year" not in t3 and "每年期数：4期" in t3


def test_sections_carry_data_origin(report):
    # every section of summary.json says where its numbers come from (issue 13)
    s = report.summary["sections"]
    assert s["paper"]["data_origin"] == "real"          # transcribed from seed 000
    assert s["coverage"]["data_origin"] == "data"       # the fixture folder is the user's data
    assert s["compliance"]["data_origin"] == "data"


def test_section_without_origin_refused():
    from kexie_research.errors import KexieError
    from kexie_research.report import Section

    with pytest.raises(KexieError, match="data_origin"):
        Section("x", "X").to_summary()
    with pytest.raises(KexieError, match="mixed"):
        Section("x", "X", data_origin="mixed").to_summary()
    assert Section("x", "X", data_origin="mixed", origin_items={"a": "real"},
                   summary={"a": 1}).to_summary() == {
        "data_origin": "mixed", "data_origin_items": {"a": "real"}, "a": 1}
