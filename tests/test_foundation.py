"""Foundation: schema, regions, data dictionary, CLI and report registries, plot style."""

from __future__ import annotations

import hashlib
import importlib
import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from kexie_research import regions, schema
from kexie_research.cli import COMMANDS, main
from kexie_research.report.sections import SECTIONS

ROOT = Path(__file__).resolve().parents[1]


# ---- regions ---------------------------------------------------------------------------

def test_32_provincial_units_in_four_regions():
    # 31 provinces + XPCC; NBS: 10 east, 6 central, 12 west (+ XPCC = 13), 3 northeast
    assert len(regions.PROVINCES) == 32
    counts = pd.Series([v[1] for v in regions.PROVINCES.values()]).value_counts().to_dict()
    assert counts == {"west": 13, "east": 10, "central": 6, "northeast": 3}


@pytest.mark.parametrize("name, canon", [
    ("广西壮族自治区", "广西"), ("Guangxi", "广西"), ("  上海市 ", "上海"), ("Inner Mongolia", "内蒙古"),
    ("新疆生产建设兵团", "新疆兵团"), ("Shaanxi", "陕西"), ("shanxi", "山西"), ("全国学会", "全国学会"),
    ("national_society", "全国学会"), ("黑龙江省", "黑龙江"), ("Atlantis", None), ("", None),
])
def test_normalize_province(name, canon):
    assert regions.normalize_province(name) == canon


def test_region_and_display_names():
    assert regions.province_region("甘肃") == "west"
    assert regions.province_region("中央企业") == "national"
    assert regions.province_name("新疆兵团", "en") == "Xinjiang Production and Construction Corps"
    assert regions.province_name("Beijing", "zh") == "北京"


# ---- schema ---------------------------------------------------------------------------

def test_issue_column_names_are_fixed():
    # the names the foundation issue fixes, table by table
    fixed = {
        "representatives": "rep_id congress province delegation_type sector region is_academician "
                           "is_frontline is_reelected gender birth_year can_leave_post",
        "trainings": "training_id name level host_province city start_date end_date modality capacity "
                     "participants_reported participants_qualifier target congress",
        "curriculum": "training_id module_id title category method lecturer_type hours",
        "attendance": "rep_id training_id hours completed role",
        "survey": "response_id training_id rater_role rep_id needs_fit curriculum_design lecturers "
                  "content_satisfaction method_effectiveness organisation study_climate capability_gain "
                  "pre_score post_score",
        "cadres": "cadre_id rank is_party_member is_branch_secretary hired_on appointed_on",
        "hours_log": "cadre_id year hours days modality off_job category",
        "organizations": "org_id name type level province parent_id founded_year members has_site "
                         "has_facilities has_staff has_funding has_activities has_rules active_last_year",
        "links": "source_id target_id kind year weight",
    }
    for kind, names in fixed.items():
        assert set(names.split()) <= set(schema.TABLES[kind].column_names), kind
    assert len(schema.ORG_TYPES) == 21 and len(schema.LINK_KINDS) == 8
    assert schema.TABLES["trainings"].column("modality").allowed == (
        "centralized", "online", "video", "reading_class", "exchange", "study_tour", "hybrid")


def test_unknown_kind_lists_allowed():
    with pytest.raises(ValueError, match="allowed: representatives, trainings"):
        schema.get_spec("people")


def test_datasets_readme_dictionary_is_current():
    text = (ROOT / "datasets" / "README.md").read_text(encoding="utf-8")
    assert schema.data_dictionary_markdown().strip() in text, \
        "datasets/README.md is stale: run python -m kexie_research.schema --write"


# ---- registries -------------------------------------------------------------------------

def test_every_cli_command_and_report_section_exists():
    missing_cmd = [c for c in COMMANDS if importlib.util.find_spec(f"kexie_research.cli.{c}") is None]
    missing_sec = [s for s in SECTIONS
                   if importlib.util.find_spec(f"kexie_research.report.sections.{s}") is None]
    assert missing_cmd == [] and missing_sec == []


def test_cli_help_on_every_subcommand(capsys):
    for c in COMMANDS:
        if importlib.util.find_spec(f"kexie_research.cli.{c}") is None:
            continue
        with pytest.raises(SystemExit) as e:
            main([c, "--help"])
        assert e.value.code == 0
        assert c in capsys.readouterr().out


def test_validate_cli_exit_codes(tmp_path, capsys):
    good = tmp_path / "reps.csv"
    good.write_text("rep_id,congress,province,delegation_type,sector,is_academician,is_frontline,is_reelected\n"
                    "A1,10,上海市,local_association,高校,否,是,0\n", encoding="gbk")
    assert main(["validate", str(good), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["encoding"] == "gb18030" and out["n_accepted"] == 1 and out["kind"] == "representatives"
    bad = tmp_path / "att.csv"
    bad.write_text("rep_id,training_id,hours,completed,role\nA1,S1,-3,true,learner\n", encoding="utf-8")
    rejects = tmp_path / "rej.csv"
    assert main(["validate", str(bad), "--rejects", str(rejects)]) == 2
    err = capsys.readouterr().err
    assert "row 1" in err and "'hours'" in err and "'-3" in err and "range" in err
    rej = pd.read_csv(rejects, encoding="utf-8-sig")
    assert rej.loc[0, "column"] == "hours" and rej.loc[0, "rule"] == "range"
    assert main(["validate", str(tmp_path / "nope.csv")]) == 2


# ---- plot style ---------------------------------------------------------------------------

def test_figures_are_deterministic_and_have_chinese_glyphs(tmp_path):
    from kexie_research.plots import figure, save_figure, use_style

    def draw():
        with use_style("zh"):
            fig, ax = figure("single")
            ax.bar(["北京", "甘肃"], [0.5, 0.7])
            ax.set_title("覆盖率")
        return fig

    hashes = []
    for run in range(2):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a missing glyph would warn
            files = save_figure(draw(), "t", tmp_path / str(run), caption="test")
        hashes.append({k: hashlib.sha256(Path(p).read_bytes()).hexdigest() for k, p in files.items()})
    assert hashes[0] == hashes[1]
    assert set(hashes[0]) == {"png", "pdf", "svg", "caption"}
