"""The one TOML argument validator (kexie_research.tomlcheck): types with key paths, closed
key sets, depth limits. Rules files use it (tests/test_compliance.py has the CLI cases)."""

from __future__ import annotations

import math

import pytest

from kexie_research.errors import AnalysisError, KexieError, PlanError
from kexie_research.tomlcheck import MAX_DEPTH, TomlChecker, key_path, nesting_depth, parse_toml, read_toml

CHK = TomlChecker(where="f.toml: ")


@pytest.mark.parametrize("method, value, kw, message", [
    ("integer", "3", {}, "f.toml: k: must be a whole number, got '3'"),
    ("integer", True, {}, "f.toml: k: must be a whole number, got True"),
    ("integer", 2.5, {}, "f.toml: k: must be a whole number, got 2.5"),
    ("integer", 3.0, {"allow_integral_float": False}, "f.toml: k: must be a whole number, got 3.0"),
    ("integer", 0, {"lo": 1}, "f.toml: k: must be at least 1, got 0"),
    ("integer", 9, {"hi": 5}, "f.toml: k: must be at most 5, got 9"),
    ("number", "thirty", {}, "f.toml: k: must be a number, got 'thirty'"),
    ("number", math.inf, {}, "f.toml: k: must be a number, got inf"),
    ("number", math.nan, {}, "f.toml: k: must be a number, got nan"),
    ("number", False, {}, "f.toml: k: must be a number, got False"),
    ("number", 2, {"lo": 0, "hi": 1}, "f.toml: k: must be in [0, 1], got 2"),
    ("text", 5, {}, "f.toml: k: must be text, got 5"),
    ("boolean", "yes", {}, "f.toml: k: must be true or false, got 'yes'"),
    ("boolean", 1, {}, "f.toml: k: must be true or false, got 1"),
    ("table", [1, 2, 3], {}, "f.toml: k: must be a table, got [1, 2, 3]"),
    ("tables", [1, 2, 3], {}, "f.toml: k[0]: must be a table, got 1"),
    ("tables", {"a": 1}, {}, "f.toml: k: must be an array of tables, got {'a': 1}"),
    ("text_list", [1], {}, "f.toml: k[0]: must be text, got 1"),
])
def test_wrong_types_name_the_key(method, value, kw, message):
    with pytest.raises(PlanError) as e:
        getattr(CHK, method)(value, "k", **kw)
    assert str(e.value) == message


def test_good_values_pass_through():
    assert CHK.integer(3.0, "k") == 3 and isinstance(CHK.integer(3.0, "k"), int)
    assert CHK.number(2, "k", lo=0) == 2.0 and CHK.text("x", "k") == "x" and CHK.boolean(False, "k") is False
    assert CHK.choice("a", ("a", "b"), "k") == "a" and CHK.text_list("x", "k") == ("x",)
    assert CHK.scalar_or_list([1, 2], "k", lambda v, k: CHK.integer(v, k)) == [1, 2]
    with pytest.raises(PlanError, match=r"k\[1\]: must be a whole number"):
        CHK.scalar_or_list([1, "2"], "k", lambda v, k: CHK.integer(v, k))
    with pytest.raises(PlanError, match="k: has an empty list"):
        CHK.scalar_or_list([], "k", lambda v, k: v)


def test_closed_key_sets_list_the_allowed_keys():
    with pytest.raises(PlanError) as e:
        CHK.keys({"years": 1, "yeras": 2}, ("years", "start_year"), "term")
    assert str(e.value) == "f.toml: term.yeras: unknown key; allowed: years, start_year"
    with pytest.raises(PlanError, match="f.toml: term.years: is required"):
        CHK.keys({}, ("years",), "term", required=("years",))
    assert CHK.at("rule 'x': ").fail("a.b", "bad").args[0] == "f.toml: rule 'x': a.b: bad"


def test_error_type_is_the_callers():
    chk = TomlChecker(AnalysisError)
    with pytest.raises(AnalysisError):
        chk.integer("x", "k")
    assert issubclass(PlanError, KexieError)


def test_key_paths_and_depth():
    assert key_path("", "a") == "a" and key_path("a", "b") == "a.b" and key_path("s", 2) == "s[2]"
    assert nesting_depth({"a": {"b": [1, {"c": 2}]}}) == 4 and nesting_depth("x") == 0
    # no recursion: a 100k-deep structure is measured without RecursionError
    deep: list = []
    cur = deep
    for _ in range(100_000):
        cur.append([])
        cur = cur[0]
    assert nesting_depth(deep) == 100_001


@pytest.mark.parametrize("text", [
    "a = " + "[" * 5000 + "]" * 5000,                       # tomllib itself would recurse
    "a = " + "{ b = " * 3000 + "1" + " }" * 3000,
    "a = " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),  # parses, but deeper than the limit
    "\n".join("[" + ".".join(["a"] * i) + "]" for i in range(1, MAX_DEPTH + 3)),
])
def test_deep_nesting_is_an_error_naming_the_key(text):
    with pytest.raises(PlanError) as e:
        parse_toml(text, name="deep.toml")
    assert str(e.value).startswith("deep.toml: a: nested deeper than 16 levels")


def test_read_toml_errors_name_the_file(tmp_path):
    with pytest.raises(PlanError, match="plan file not found"):
        read_toml(tmp_path / "none.toml", what="plan file")
    with pytest.raises(PlanError, match="not found .or not a regular file"):
        read_toml(tmp_path, what="plan file")
    p = tmp_path / "gbk.toml"
    p.write_bytes('a = "中文"'.encode("gbk"))
    with pytest.raises(PlanError, match="gbk.toml: plan file is not UTF-8"):
        read_toml(p, what="plan file")
    p.write_text("a = [1,", encoding="utf-8")
    with pytest.raises(PlanError, match="gbk.toml: not valid TOML"):
        read_toml(p)
    p.write_text("[t]\na = 1\n", encoding="utf-8")
    assert read_toml(p) == {"t": {"a": 1}}
