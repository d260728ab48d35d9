"""Every transcribed figure in datasets/real/ checked against the seed texts.

The seeds live outside the repository (``../shared/seeds`` next to the clone, or the folder
named by the ``KEXIE_SHARED`` environment variable); the tests that need them skip with a
clear reason when they are absent. No project imports.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL = REPO / "datasets" / "real"
SHARED = Path(os.environ.get("KEXIE_SHARED") or Path(__file__).resolve().parents[2] / "shared")
SEEDS = SHARED / "seeds"
DOMAIN = SHARED / "DOMAIN.md"

needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed texts not found at {SEEDS}")

SEED_CSVS = ["paper_table1_sessions.csv", "paper_table2_topics.csv", "paper_table3_provincial.csv",
             "paper_facts.csv", "plan_classes_per_year.csv", "enterprise_assoc_stats.csv",
             "hebei_homes.csv", "consortia.csv", "city_association_facts.csv"]
LONG_CSVS = ["enterprise_assoc_stats.csv", "hebei_homes.csv", "city_association_facts.csv"]
QUALIFIERS = {"exact", "approx", "at_least", "range_min", "range_max"}
METRICS = {"sum_hours_or_days", "triggered_hours_or_days", "annual_rate", "event_count",
           "curriculum_share"}


def rows(name):
    with open(REAL / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def seed_text(source: str) -> str:
    m = re.match(r"seed:([0-9a-f_]+\.txt)#", source)
    assert m, source
    return (SEEDS / m.group(1)).read_text(encoding="utf-8")


def seed_line(source: str) -> str:
    n = int(re.search(r",L(\d+)$", source).group(1))
    return seed_text(source).split("\n")[n - 1]


CN = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
      "十": 10, "二十": 20}


def parse_value_text(t: str) -> float:
    """'4058' '4,058' '630万' '200多万' '四分之三' '一万' '二十' -> number."""
    t = t.replace("多", "").replace("余", "").replace(",", "")
    m = re.fullmatch(r"(.)分之(.)", t)
    if m:
        return CN[m.group(2)] / CN[m.group(1)]
    mult = {"万": 1e4, "亿": 1e8}
    if t and t[-1] in mult:
        head = t[:-1]
        return (CN[head] if head in CN else float(head)) * mult[t[-1]]
    return float(CN[t]) if t in CN else float(t)


def by(rows_, **kw):
    out = [r for r in rows_ if all(r[k] == str(v) for k, v in kw.items())]
    assert out, kw
    return out


# ------------------------------------------------------------------ provenance of every CSV
@pytest.mark.parametrize("name", SEED_CSVS + ["external_stats.csv"])
def test_every_csv_has_source_column_and_rows(name):
    rs = rows(name)
    assert rs and "source" in rs[0]
    for r in rs:
        assert r["source"].startswith(("seed:", "external:")), r


@needs_seeds
@pytest.mark.parametrize("name", SEED_CSVS)
def test_sources_point_to_existing_seed_lines(name):
    for r in rows(name):
        assert re.fullmatch(r"seed:\d{3}_[0-9a-f]{16}\.txt#.+,L\d+", r["source"]), r["source"]
        line = seed_line(r["source"])
        assert line.strip(), r["source"]
        if r.get("quote"):
            assert r["quote"] in line, (r["source"], r["quote"])


@needs_seeds
@pytest.mark.parametrize("name", [n for n in SEED_CSVS if "quote" in rows(n)[0]])
def test_every_quote_is_a_substring_of_its_seed(name):
    for r in rows(name):
        assert r["quote"], r
        assert r["quote"] in seed_text(r["source"]), r["quote"]


@pytest.mark.parametrize("name", LONG_CSVS + ["external_stats.csv"])
def test_long_values_appear_in_their_quotes(name):
    for r in rows(name):
        assert r["value_text"] in r["quote"], r
        assert parse_value_text(r["value_text"]) == pytest.approx(float(r["value"]), rel=1e-9), r
        assert r["qualifier"] in QUALIFIERS
        digits = r["value_text"].replace(",", "")
        if digits.isdigit():   # the plain number also appears, thousands separators normalised
            assert digits in r["quote"].replace(",", "")


def test_paper_fact_values_appear_in_quotes():
    for r in rows("paper_facts.csv"):
        assert r["value_text"] in r["quote"]
        assert float(r["value_text"]) == float(r["value"])
        assert r["qualifier"] in QUALIFIERS


# ------------------------------------------------------------------ Table 1
def test_table1_nine_sessions_dates_and_qualifiers():
    t1 = rows("paper_table1_sessions.csv")
    assert [r["training_id"] for r in t1] == [f"T1-{i:02d}" for i in range(1, 10)]
    for r in t1:
        s = dt.date.fromisoformat(r["start_date"])
        e = dt.date.fromisoformat(r["end_date"])
        assert e >= s
        assert s.year == int(r["year"])
        assert r["level"] == "national"
        assert r["participants_qualifier"] in {"exact", "approx", "at_least"}
        assert r["participants_reported"] in r["participants_text"]
    got = {r["training_id"]: (r["start_date"], r["end_date"], int(r["participants_reported"]),
                              r["participants_qualifier"], r["host_province"], r["modality"])
           for r in t1}
    assert got == {
        "T1-01": ("2013-07-03", "2013-07-05", 48, "exact", "北京", "centralized"),
        "T1-02": ("2013-08-20", "2013-08-23", 71, "exact", "北京", "centralized"),
        "T1-03": ("2014-01-01", "2014-12-31", 500, "approx", "", "reading_class"),
        "T1-04": ("2016-11-21", "2016-11-23", 140, "at_least", "北京", "centralized"),
        "T1-05": ("2016-12-06", "2016-12-07", 70, "approx", "广东", "centralized"),
        "T1-06": ("2017-03-02", "2017-03-03", 150, "at_least", "广西", "centralized"),
        "T1-07": ("2017-03-23", "2017-03-25", 120, "at_least", "上海", "centralized"),
        "T1-08": ("2018-10-09", "2018-10-11", 70, "approx", "江苏", "centralized"),
        "T1-09": ("2020-11-23", "2020-11-26", 66, "exact", "", "exchange"),
    }
    t203 = by(t1, training_id="T1-03")[0]
    assert t203["date_precision"] == "year"
    t9 = by(t1, training_id="T1-09")[0]
    assert (t9["suggestions"], t9["suggestions_qualifier"], t9["proposals"]) == ("200", "at_least", "32")
    assert by(t1, training_id="T1-05")[0]["city"] == "深圳"
    assert [r["n_origin_units"] for r in t1] == ["44", "31", "31", "", "10", "", "27", "29", "25"]


def test_ninth_congress_person_times_exceed_distinct_584():
    t1 = rows("paper_table1_sessions.csv")
    ninth = [int(r["participants_reported"]) for r in t1 if r["congress"] == "9"]
    assert len(ninth) == 6
    assert sum(ninth) == 616            # 140+70+150+120+70+66 (lower bounds / approximations)
    distinct = int(by(rows("paper_facts.csv"), fact_id="F01")[0]["value"])
    assert distinct == 584 and sum(ninth) > distinct


@needs_seeds
def test_table1_cells_are_on_their_seed_lines():
    for r in rows("paper_table1_sessions.csv"):
        line = seed_line(r["source"])
        assert line.startswith(r["name"] + "\t" + r["date_text"])
        for k in ("participants_text", "origin_text", "suggestions_text", "proposals_text"):
            if r[k]:
                assert r[k] in line, (r["training_id"], k)


# ------------------------------------------------------------------ Table 2 / 3, facts
@needs_seeds
def test_table2_topics_are_exact_and_matched():
    t2 = rows("paper_table2_topics.csv")
    ids = {r["training_id"] for r in rows("paper_table1_sessions.csv")}
    cats = {"theory", "party", "policy", "mission", "duty_skills", "exchange", "field", "other"}
    for r in t2:
        line = seed_line(r["source"])
        assert line.startswith(r["session_text"] + "\t")
        assert r["topic"] in line
        assert r["training_id"] in ids and r["category"] in cats
        assert r["category_basis"] == "coder judgement"
    assert len(t2) == 35
    assert {r["training_id"] for r in t2} == ids - {"T1-03"}   # no Table 2 row for the reading class


def test_table3_provinces_and_figures():
    t3 = rows("paper_table3_provincial.csv")
    assert {r["province"] for r in t3} == {"北京", "河北", "辽宁", "吉林", "湖北", "重庆", "西藏", "青海", "山西"}
    fig = {(r["province"], r["measure"]): r for r in t3}
    assert fig[("北京", "classes_per_year")]["n_classes"] == "4"
    assert fig[("北京", "trained_cast_8th_congress_reps")]["participants"] == "10"
    assert fig[("北京", "trained_beijing_8th_congress_reps")]["participants"] == "160"
    assert fig[("北京", "plan_rotate_all_cast_8th_reps_in_3_years")]["participants"] == "40"
    assert fig[("北京", "plan_rotate_all_beijing_8th_reps_in_3_years")]["participants"] == "600"
    assert fig[("重庆", "person_times_over_3_years")]["participants_unit"] == "person_times"
    assert fig[("重庆", "person_times_over_3_years")]["participants"] == "18"
    assert fig[("青海", "classes_in_5_years")]["n_classes"] == "4"
    q18 = [r for r in t3 if r["province"] == "青海" and r["year_start"] == "2018"][0]
    assert (q18["participants"], q18["participants_qualifier"]) == ("90", "at_least")
    sx = by(t3, province="山西")[0]
    assert (sx["participants"], sx["participants_qualifier"]) == ("120", "at_least")
    assert by(t3, province="湖北")[0]["participants"] == "50"
    assert by(t3, province="辽宁")[0]["participants"] == "150"
    for r in t3:
        if r["participants"]:
            assert r["participants"] in r["quote"]
        if r["n_classes"] and r["measure"] != "classes_per_year":
            assert r["n_classes"] in r["quote"]


def test_paper_facts_key_values():
    f = {r["fact_id"]: r for r in rows("paper_facts.csv")}
    assert (f["F01"]["value"], f["F03"]["value"]) == ("584", "31")
    assert (f["F05"]["value"], f["F05"]["qualifier"]) == ("500", "approx")
    assert (f["F06"]["value"], f["F06"]["qualifier"]) == ("400", "at_least")
    assert (f["F08"]["value"], f["F09"]["value"]) == ("3", "4")
    assert int(f["F13"]["value"]) + int(f["F14"]["value"]) + int(f["F15"]["value"]) == int(f["F12"]["value"]) == 9


# ------------------------------------------------------------------ seed 003
def _e(measure, province="", year=None):
    rs = [r for r in rows("enterprise_assoc_stats.csv")
          if r["measure"] == measure and r["province"] == province and (year is None or r["year"] == str(year))]
    assert len(rs) == 1, (measure, province, year, len(rs))
    return float(rs[0]["value"])


def test_enterprise_association_arithmetic():
    n17 = _e("enterprise_associations_count", year=2017)
    n21 = _e("enterprise_associations_count", year=2021)
    assert (n17, n21) == (15787, 26708)
    assert n21 - n17 == 10921 and round(n21 / n17 - 1, 3) == 0.692     # +69.2 % over 4 years
    js = _e("enterprise_associations_count", "江苏", 2021)
    assert js == 4058
    assert abs(100 * js / n21 - _e("share_of_national_total", "江苏", 2021)) <= 0.1
    top5 = {p: _e("enterprise_associations_count", p, 2021) for p in ["江苏", "湖南", "浙江", "山东", "广西"]}
    assert top5 == {"江苏": 4058, "湖南": 4021, "浙江": 2570, "山东": 2333, "广西": 1973}
    assert list(top5.values()) == sorted(top5.values(), reverse=True)
    assert sum(top5.values()) < n21
    assert _e("new_enterprise_associations", "湖南", 2021) == 1358
    assert _e("new_enterprise_associations", "广西", 2021) == 590
    assert _e("enterprise_association_workstations", "广西", 2021) == 1199
    assert _e("national_societies", year=2021) == 211
    assert _e("societies_all_levels", year=2021) == 23000
    assert _e("national_society_branches", year=2021) == 5500
    assert _e("national_society_individual_members", year=2021) == 6_300_000
    assert _e("share_with_fixed_office", year=2021) == 80
    assert _e("share_with_fulltime_staff", year=2021) == 0.75
    assert _e("share_with_dedicated_funds", year=2021) == pytest.approx(2 / 3)


def test_consortia_compositions():
    c = rows("consortia.csv")

    def tot(cid, listed_only):
        rs = [r for r in c if r["consortium_id"] == cid and (r["listed_in_text"] == "true" or not listed_only)]
        return sum(int(r["n_members"]) for r in rs), {r["total_members"] for r in rs}

    # aero-engine: the types listed in the text sum to 24; the 25th founder is the lead unit (inferred row)
    assert tot("C01", True) == (24, {"25"})
    assert tot("C01", False) == (25, {"25"})
    # Qixia alliance: listed types sum to 77 of the stated 87; residual 10 is kept as an unlisted row
    assert tot("C02", True) == (77, {"87"})
    assert tot("C02", False) == (87, {"87"})
    by_type = {r["member_type_zh"]: int(r["n_members"]) for r in c if r["consortium_id"] == "C01" and r["listed_in_text"] == "true"}
    assert by_type == {"全国学会": 7, "行业联盟": 1, "高等院校": 9, "中央企业": 5, "科研院所": 2}
    hx = {r["member_type_zh"]: r["n_members"] for r in c if r["consortium_id"] == "C03"}
    assert hx["入驻企业"] == "520" and hx["高校、科研院所"] == "44"
    types = {"national_society", "local_society", "enterprise", "university", "research_institute",
             "hospital", "lab", "finance", "federation", "other"}
    for r in c:
        assert r["member_type"] in types
        if r["listed_in_text"] == "true":
            assert r["n_members"] in r["quote"]


# ------------------------------------------------------------------ seeds 002 / 004
def test_hebei_and_city_figures():
    h = {(r["city"], r["measure"]): float(r["value"]) for r in rows("hebei_homes.csv")}
    assert h[("", "prefecture_cities_with_home")] == 11
    assert h[("", "directly_managed_counties_with_home")] == 2
    assert h[("", "county_associations_with_home")] == 50
    assert h[("", "demonstration_units_named")] == 52
    assert h[("", "provincial_societies_full_party_coverage")] == 141
    assert h[("", "individual_members_123_plan")] == 20000
    assert h[("", "first_fellows_appointed")] == 14
    assert (h[("唐山", "city_level_individual_members")], h[("唐山", "county_level_individual_members")]) == (1550, 1605)
    assert h[("唐山", "grassroots_research_days_per_month")] == 3
    assert h[("", "science_pop_e_stations")] == 4000
    assert [h[("", f"grassroots_share_{k}")] for k in ("congress_reps", "full_committee", "standing_committee")] == [72, 47, 50]
    assert h[("保定", "demo_units_recommended")] == h[("保定", "demo_units_recommended_city_county_assoc")] + h[("保定", "demo_units_recommended_city_societies")]
    y = {r["measure"]: float(r["value"]) for r in rows("city_association_facts.csv")}
    assert (y["events"], y["participants"], y["units_awarded"], y["events_awarded"]) == (2300, 4e6, 9, 12)
    assert (y["town_staff_min"], y["town_staff_max"]) == (1, 2)


def test_plan_classes_per_year():
    p = rows("plan_classes_per_year.csv")
    f = {r["class_zh"]: r for r in p}
    assert (f["局级干部高级研修班"]["participants"], f["局级干部高级研修班"]["participants_qualifier"]) == ("30", "approx")
    assert f["青年骨干培训班"]["participants"] == "90"
    assert (f["中国科技会堂论坛和半月课堂"]["classes_min"], f["中国科技会堂论坛和半月课堂"]["classes_max"]) == ("8", "10")
    assert f["全国委员会委员、全国代表大会代表履职培训班"]["classes_min"] == "1"
    assert f["上级党组织示范培训班（选派）"]["participants"] == "20"
    for r in p:
        assert r["classes_qualifier"] in {"exact", "range", "at_least", "unstated"}
        if r["classes_min"]:
            assert r["classes_min"] in r["quote"]
        if r["classes_max"] and r["classes_qualifier"] == "range":
            assert f"{r['classes_min']}-{r['classes_max']}" in r["quote"]
        if r["participants"]:
            assert r["participants"] in r["participants_quote"]


@needs_seeds
def test_plan_class_participant_quotes_in_seed():
    for r in rows("plan_classes_per_year.csv"):
        if r["participants_quote"]:
            assert r["participants_quote"] in seed_text(r["source"])


# ------------------------------------------------------------------ external figures
def test_external_stats_are_labelled_and_consistent():
    x = rows("external_stats.csv")
    for r in x:
        assert r["source"].startswith("external:") and "DOMAIN.md" in r["source"]
        assert "never splice" in r["series_definition"]
    v = {(r["series"], r["year"], r["measure"]): float(r["value"]) for r in x}
    parts09 = ["national_association", "provincial_associations", "sub_provincial_capital_associations",
               "prefecture_associations", "county_associations"]
    assert sum(v[("nbs_yearbook", "2009", m)] for m in parts09) == v[("nbs_yearbook", "2009", "local_associations_total")] == 3159
    parts18 = parts09[1:]
    assert sum(v[("cast_site_2018", "2018", m)] for m in parts18) == v[("cast_site_2018", "2018", "local_associations_total")] == 3141
    assert v[("congress_size", "2011", "cast_8th_congress_delegates_attended")] == 1590
    # the survey series of seed 003 is a different series: never in this file
    assert not any(r["value"] in {"15787", "26708"} for r in x)


@pytest.mark.skipif(not DOMAIN.is_file(), reason=f"DOMAIN.md not found at {DOMAIN}")
def test_external_quotes_in_domain_brief():
    text = DOMAIN.read_text(encoding="utf-8")
    for r in rows("external_stats.csv"):
        assert r["quote"] in text, r["quote"]


# ------------------------------------------------------------------ plan_indicators.toml
def _plan():
    with open(REAL / "plan_indicators.toml", "rb") as f:
        return tomllib.load(f)


def test_plan_rules_are_well_formed():
    d = _plan()
    assert set(d["metrics"]) == METRICS and d["days_per_month"] == 30
    rules = d["rule"]
    assert sorted({r["indicator"] for r in rules}) == [1, 2, 3, 4, 5, 6, 7]
    assert len({r["id"] for r in rules}) == len(rules)
    required = {"id", "indicator", "title_zh", "title_en", "metric", "evaluable", "applies_to", "source", "quote"}
    for r in rules:
        assert required <= set(r), (r["id"], required - set(r))
        assert r["metric"] in METRICS
        assert r["id"].startswith(str(r["indicator"]))
        assert isinstance(r["applies_to"], dict)
        if not r["evaluable"]:
            assert r.get("reason")
        m = r["metric"]
        if m in ("sum_hours_or_days", "triggered_hours_or_days"):
            th = [k for k in ("threshold_hours", "threshold_days") if k in r]
            assert th and r["window_years"] >= 1 and "filter" in r
            if len(th) == 2:
                assert r["combine"] in ("any", "all")
            if m == "triggered_hours_or_days":
                assert r["trigger"] in ("hired_on", "appointed_on")
        elif m == "annual_rate":
            assert 0 < r["threshold_rate"] < 1 and "numerator_filter" in r
        elif m == "event_count":
            assert r["threshold_count"] >= 1 and r["window_years"] >= 1 and "filter" in r
        elif m == "curriculum_share":
            assert 0 < r["threshold_share"] < 1 and r["weight"] in ("hours", "modules")
        assert r.get("on_missing_column", "not_evaluable") in ("not_evaluable", "ignore_key")


def test_plan_thresholds():
    r = {x["id"]: x for x in _plan()["rule"]}
    assert (r["2a"]["threshold_hours"], r["2a"]["threshold_days"], r["2a"]["window_years"], r["2a"]["combine"]) == (450, 75, 4, "any")
    assert (r["2b"]["threshold_hours"], r["2b"]["threshold_days"], r["2b"]["window_years"]) == (90, 12, 1)
    assert (r["2c"]["threshold_hours"], r["2c"]["filter"]) == (50, {"modality": "online"})
    assert [r[k]["threshold_rate"] for k in ("3a", "3b", "3c")] == [0.30, 0.25, 0.20]
    assert (r["4a"]["threshold_days"], r["4b"]["threshold_days"]) == (12, 30)
    assert (r["4c"]["threshold_days"], r["4c"]["threshold_hours"]) == (5, 40)
    assert (r["5a"]["threshold_hours"], r["5b"]["threshold_hours"], r["5c"]["threshold_count"]) == (32, 56, 1)
    assert (r["6a"]["window_years"], r["6a"]["threshold_count"], r["6a"]["evaluable"]) == (4, 1, False)
    assert r["1a"]["evaluable"] is False
    assert [r[k]["threshold_share"] for k in ("7a", "7b", "7c")] == [0.70, 0.20, 0.30]
    assert set(r["7c"]["numerator_filter"]["method"]) == {"seminar", "case", "simulation", "experiential", "debate"}


@needs_seeds
def test_plan_quotes_in_seed_and_carry_thresholds():
    d = _plan()
    text = (SEEDS / d["seed"]).read_text(encoding="utf-8")
    lines = text.split("\n")
    for r in d["rule"]:
        quotes = [r["quote"], *r.get("extra_quotes", [])]
        for q in quotes:
            assert q in text, (r["id"], q)
        n = int(re.search(r",L(\d+)$", r["source"]).group(1))
        assert r["quote"] in lines[n - 1], r["id"]
        joined = " ".join(quotes)
        nums = set(re.findall(r"\d+(?:\.\d+)?", joined))
        if r.get("supplementary"):
            continue          # monthly norms are annualised (3 h -> 36 h); see note
        for k in ("threshold_hours", "threshold_count"):
            if k in r:
                assert f"{r[k]:g}" in nums or (k == "threshold_count" and "一次" in joined), (r["id"], k)
        if "threshold_days" in r and r["id"] != "2a":     # 2a: 2.5 months x 30
            assert f"{r['threshold_days']:g}" in nums, r["id"]
        for k in ("threshold_rate", "threshold_share"):
            if k in r:
                assert f"{round(r[k] * 100):d}%" in joined.replace(" ", ""), (r["id"], k)
    assert "2.5" in r_quote(d, "2a") and 2.5 * d["days_per_month"] == next(x for x in d["rule"] if x["id"] == "2a")["threshold_days"]


def r_quote(d, rid):
    return next(x["quote"] for x in d["rule"] if x["id"] == rid)
