"""Number formatting for the report, widgets and CLI text: one home, no float noise."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kexie_research.formatting import (fmt_int, fmt_interval, fmt_num, fmt_pct, fmt_pvalue,
                                       fmt_years, format_frame, format_value)


@pytest.mark.parametrize("value, expected", [
    (619999.9999999999, "620,000"),      # the float noise of the optimiser's cost column
    (1031999.9999999998, "1,032,000"),
    (3.66667, "3.67"),                   # three significant digits
    (0.30000000000000004, "0.3"),        # noise stripped, trailing zeros dropped
    (12.3456, "12.3"),
    (0.012345, "0.0123"),
    (999.7, "1000"),                     # 3 significant digits round to 1000 (4 digits: no grouping)
    (2021.0, "2021"),                    # years and 4-digit numbers are not grouped (SI/ISO 80000)
    (12345.678, "12,346"),
    (-0.4285, "-0.429"),
    (0.0, "0"),
    (2.5, "2.5"),
    (0.125, "0.125"),
    (1e-7, "1e-07"),
])
def test_fmt_num(value, expected):
    assert fmt_num(value) == expected


def test_fmt_num_decimals_and_half_up():
    assert fmt_num(3.66667, decimals=1) == "3.7"
    assert fmt_num(2.25, decimals=1) == "2.3"       # half up, as a reader rounds (not half-even)
    assert fmt_num(0.125, decimals=2) == "0.13"
    assert fmt_num(2.0, decimals=2) == "2.00"       # explicit decimals are kept
    assert fmt_num(float("nan")) == "–"
    assert fmt_num(None, na="") == ""
    assert fmt_num(pd.NA) == "–"


@pytest.mark.parametrize("value, expected", [
    (151.4, "151"), (1600, "1600"), (26708, "26,708"), (2433.5, "2434"), (np.int64(584), "584"),
    (9.9999999, "10"), (-3.5, "-4"),
])
def test_fmt_int(value, expected):
    assert fmt_int(value) == expected


@pytest.mark.parametrize("value, kw, expected", [
    (0.5531914893617021, {}, "55.3%"),
    (1.0, {}, "100%"),
    (0.0, {}, "0%"),
    (0.9996, {}, "99.96%"),     # never "100.0%" for a share below one
    (0.0004, {}, "0.04%"),      # never "0.0%" for a positive share
    (1e-9, {}, "<0.01%"),
    (0.28, {"decimals": 0}, "28%"),
    (0.015312499999999951, {}, "1.5%"),
])
def test_fmt_pct(value, kw, expected):
    assert fmt_pct(value, **kw) == expected


def test_fmt_pct_points():
    # a change in coverage is a difference of percentages: percentage points
    assert fmt_pct(0.0153, points=True, lang="zh") == "1.5 个百分点"
    assert fmt_pct(0.0153, points=True, lang="en") == "1.5 pp"


def test_fmt_interval():
    assert fmt_interval(0.41245459838218734, 0.6858903373450472, kind="pct") == "41.2%–68.6%"
    assert fmt_interval(3.2287, 5.5966) == "3.23–5.60"          # same decimals on both bounds
    assert fmt_interval(-0.4285, 0.1308, lang="en") == "-0.429 to 0.131"
    assert fmt_interval(-0.4285, 0.1308, lang="zh") == "-0.429 至 0.131"
    assert fmt_interval(120, 1604.6, kind="int") == "120–1605"
    assert fmt_interval(float("nan"), 1.0) == "–"


def test_fmt_pvalue_and_years():
    assert fmt_pvalue(0.0) == "<0.001"
    assert fmt_pvalue(0.04213) == "0.042"
    assert fmt_pvalue(0.2966) == "0.30"
    assert fmt_years(3.66667, "zh") == "约需 3.7 年"
    assert fmt_years(3.66667, "en") == "about 3.7 years"
    assert fmt_years(float("nan"), "en") == "not reached"
    assert fmt_years(float("nan"), "zh") == "未达到"


def test_format_value_generic():
    assert format_value(619999.9999999999) == "620,000"
    assert format_value(np.float64(0.3)) == "0.3"
    assert format_value("上海") == "上海"
    assert format_value(None) == ""
    assert format_value(17) == "17"


def test_format_frame_columns():
    df = pd.DataFrame({
        "组": ["上海", "北京", "天津"],
        "人数": [47, 1600, 26708],                          # ints: people, no decimals
        "年份": [2016.0, 2017.0, float("nan")],             # integral floats are integers
        "覆盖率": [0.5531914893617021, 0.296875, 0.0],       # one decimals setting per column
        "成本": [619999.9999999999, 1031999.9999999998, 3900.0],
        "p": [0.0, 0.2966, 1e-9],
    })
    out = format_frame(df, formats={"覆盖率": "pct", "p": "p"})
    # a column with five-digit numbers groups its four-digit ones too
    assert list(out["人数"]) == ["47", "1,600", "26,708"]
    assert list(out["年份"]) == ["2016", "2017", ""]
    assert list(out["覆盖率"]) == ["55.3%", "29.7%", "0%"]
    assert list(out["成本"]) == ["620,000", "1,032,000", "3,900"]
    assert list(out["p"]) == ["<0.001", "0.30", "<0.001"]
    assert list(out["组"]) == ["上海", "北京", "天津"]
    # the input is not modified, the index is kept
    assert df["成本"].iloc[0] == 619999.9999999999


def test_format_frame_column_decimals_align():
    df = pd.DataFrame({"x": [0.5531914893617021, 0.0520, 12.0]})
    # one number of decimals per column (3 significant digits of the largest magnitude)
    assert list(format_frame(df)["x"]) == ["0.6", "0.1", "12.0"]
    df = pd.DataFrame({"x": [0.5531914893617021, 0.0520, 0.41]})
    assert list(format_frame(df)["x"]) == ["0.553", "0.052", "0.410"]
    # a value that would round to zero says so instead of printing 0.000
    df = pd.DataFrame({"x": [0.5, 0.00001]})
    assert list(format_frame(df)["x"]) == ["0.500", "<0.001"]


def test_format_frame_rejects_unknown_kind():
    from kexie_research.errors import KexieError

    with pytest.raises(KexieError, match="pct"):
        format_frame(pd.DataFrame({"x": [1.0]}), formats={"x": "percent"})
    with pytest.raises(KexieError, match="nope"):
        format_frame(pd.DataFrame({"x": [1.0]}), formats={"nope": "pct"})


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_fmt_num_is_within_half_a_unit_of_its_last_digit(x):
    s = fmt_num(x)
    back = float(s.replace(",", ""))
    # three significant digits: relative error <= 0.5e-2; four or more digits: integers
    tol = 0.5 + 1e-9 if abs(x) >= 999.5 else abs(x) * 5e-3 + 1e-300
    assert math.isclose(back, x, rel_tol=0, abs_tol=tol * (1 + 1e-9)), (x, s)
    assert len(s.replace(",", "").replace("-", "").split("e")[0]) <= 11  # no float noise


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_fmt_pct_never_claims_bounds_it_does_not_reach(p):
    s = fmt_pct(p)
    if p < 1:
        assert s != "100%" and not s.startswith("100.")
    if p > 0:
        assert s != "0%" and not s.startswith("0.0%")
