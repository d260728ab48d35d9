"""The malformed-input corpus (tests/corpus/manifest.toml), run through the API and the CLI.

Every case must end in one of our own exceptions or in a rejects table — never a
traceback, never a NaN-filled result — with a message that names the file, row, column,
value and rule, and with the accounting ``n_input == n_accepted + n_rejected``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from kexie_research import load_dataset
from kexie_research.cli import main
from kexie_research.errors import DataValidationError, HierarchyError, KexieError
from kexie_research.io import limit_inputs, parse_size
from kexie_research.schema import TABLE_KINDS, get_spec
from kexie_research.validate import REJECT_COLUMNS, load_table

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))["case"]
HIERARCHY = {"parent_exists", "no_cycles", "parent_level_not_below"}

FILE_CASES = [c for c in MANIFEST if c.get("kind") != "dataset"]
DATASET_CASES = [c for c in MANIFEST if c.get("kind") == "dataset"]


def _id(c):
    return Path(c["file"]).name


def _kwargs(c) -> dict:
    opts = c.get("options", [])
    kw = {}
    for flag, key in (("--encoding", "encoding"), ("--sheet", "sheet")):
        if flag in opts:
            kw[key] = opts[opts.index(flag) + 1]
    return kw


def _limits(c):
    """The case's --max-input-bytes / --max-cells, as the API's limit_inputs context."""
    opts = c.get("options", [])
    kw = {key: parse_size(opts[opts.index(flag) + 1])
          for flag, key in (("--max-input-bytes", "max_bytes"), ("--max-cells", "max_cells"))
          if flag in opts}
    return limit_inputs(**kw) if kw else contextlib.nullcontext()


def _find(res, c) -> pd.DataFrame:
    """The reject rows matching the case's rule (and row/column/value when given)."""
    rj = res.rejects
    m = rj["rule"] == c["rule"]
    if "row" in c:
        m &= rj["row"] == c["row"]
    if "column" in c:
        m &= rj["column"] == c["column"]
    if "value" in c:
        m &= rj["value"] == c["value"]
    return rj[m.fillna(False)]


# ---- the manifest itself ------------------------------------------------------------------

def test_manifest_has_enough_cases_over_every_kind():
    assert len(MANIFEST) >= 60
    kinds = {c.get("kind") for c in MANIFEST}
    assert set(TABLE_KINDS) <= kinds, f"kinds without a case: {set(TABLE_KINDS) - kinds}"
    for c in MANIFEST:
        assert c["outcome"] in ("accept", "reject", "error"), c
        assert (CORPUS / c["file"]).exists(), c["file"]
        if c["outcome"] != "accept":
            assert c.get("rule"), c
    # valid-but-tricky files are part of the corpus too, and the malformed ones dominate
    n_ok = sum(c["outcome"] == "accept" for c in MANIFEST)
    assert 10 <= n_ok <= len(MANIFEST) - 60


def test_generator_recreates_the_corpus_byte_for_byte(tmp_path):
    sys.path.insert(0, str(CORPUS))
    try:
        import make_corpus
    finally:
        sys.path.remove(str(CORPUS))
    make_corpus.write_corpus(tmp_path)
    committed = sorted(p.relative_to(CORPUS) for p in CORPUS.rglob("*")
                       if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts)
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert committed == fresh
    for rel in fresh:
        assert (tmp_path / rel).read_bytes() == (CORPUS / rel).read_bytes(), rel


# ---- API --------------------------------------------------------------------------------------

@pytest.mark.parametrize("c", FILE_CASES, ids=_id)
def test_api(c):
    with _limits(c):
        _check_api(c)


def _check_api(c):
    path = CORPUS / c["file"]
    kind = c.get("kind") or None
    if c["outcome"] == "error":
        with pytest.raises(DataValidationError) as ei:
            load_table(path, kind, errors="collect", **_kwargs(c))
        e = ei.value
        assert e.rule == c["rule"]
        assert Path(c["file"]).name in str(e.file)
        assert Path(c["file"]).name in str(e) and f"[rule: {c['rule']}]" in str(e)
        for attr in ("row", "column", "value"):
            if attr in c:
                assert getattr(e, attr) == c[attr]
        if "message" in c:
            assert c["message"] in str(e)
        return

    res = load_table(path, kind, errors="collect", **_kwargs(c))
    assert list(res.rejects.columns) == list(REJECT_COLUMNS)
    # accounting: every row read is accepted or rejected, none twice, none lost
    assert res.n_input == res.n_accepted + res.n_rejected
    assert set(res.accepted.index).isdisjoint(set(res.rejects["row"].dropna().astype(int)))
    assert set(res.accepted.index) | set(res.rejects["row"].dropna().astype(int)) == \
        set(range(1, res.n_input + 1))
    assert res.n_input == c["n_input"]
    # no NaN-filled result: required, non-nullable columns of accepted rows are all present
    spec = get_spec(res.kind)
    for col in spec.columns:
        if col.required and not col.nullable:
            assert res.accepted[col.name].notna().all(), col.name
    for row, column, expected in c.get("cells", []):
        assert str(res.accepted.at[row, column]) == expected, (row, column)

    if c["outcome"] == "accept":
        assert res.ok, res.rejects.to_dict("records")
        assert load_table(path, kind, errors="raise", **_kwargs(c)).n_accepted == c["n_input"]
        return

    assert not res.ok
    assert res.n_accepted == c["n_accepted"]
    hit = _find(res, c)
    assert len(hit), f"no reject {c['rule']} at row {c.get('row')}: {res.rejects.to_dict('records')}"
    assert (hit["file"] == str(path)).all()
    if "message" in c:
        assert hit["message"].str.contains(c["message"], regex=False).any()
    # raise mode: one of our exceptions, carrying the full result for a rejects file
    expected_cls = HierarchyError if res.rejects.iloc[0]["rule"] in HIERARCHY else DataValidationError
    with pytest.raises(expected_cls) as ei:
        load_table(path, kind, errors="raise", **_kwargs(c))
    e = ei.value
    assert e.result is not None and e.result.n_rejected == res.n_rejected
    first = res.rejects.iloc[0]
    assert (e.rule, e.row) == (first["rule"], first["row"])
    assert str(path) in str(e) and f"row {first['row']}" in str(e)


@pytest.mark.parametrize("c", DATASET_CASES, ids=_id)
def test_dataset_api(c):
    path = CORPUS / c["file"]
    if c["outcome"] == "accept":
        ds = load_dataset(path)
        assert set(ds.tables()) == set(c.get("tables") or TABLE_KINDS)
        assert all(len(t) == c["n_input"] for t in ds.tables().values())
        assert len(ds.foreign_key_rejects) == 0
        return
    if c.get("keep_going"):
        # drop mode (report --keep-going): per table, rows read = accepted + rejected, the
        # rejected rows (dangling references included) are out of the tables
        ds = load_dataset(path, errors="drop")
        got = {k: [r.n_input, r.n_accepted, r.n_rejected] for k, r in ds.loads.items()}
        assert got == c["keep_going"]
        for kind, res in ds.loads.items():
            assert len(ds.tables()[kind]) == res.n_accepted
            assert set(res.accepted.index).isdisjoint(set(res.rejects["row"].dropna().astype(int)))
        assert len(ds.rejects()) >= sum(v[2] for v in c["keep_going"].values())
        refused = {q.stem for q in path.iterdir()} - set(c["keep_going"])
        assert {Path(f).stem for f in ds.failed} == refused        # refused tables, named
        missing = refused
        assert (ds.rejects()["rule"] == "table_refused").sum() == len(missing)
    with pytest.raises(DataValidationError) as ei:
        load_dataset(path)
    e = ei.value
    assert e.rule == c["rule"]
    for attr in ("row", "column", "value"):
        if attr in c:
            assert getattr(e, attr) == c[attr]
    if "message" in c:
        assert c["message"] in str(e)
    if c["rule"] == "foreign_key":
        # collect mode: the rest loads, the dangling reference is listed
        ds = load_dataset(path, errors="collect")
        fk = ds.foreign_key_rejects
        assert len(fk) == 1
        assert fk.iloc[0][["row", "column", "value", "rule"]].tolist() == \
            [c["row"], c["column"], c["value"], "foreign_key"]


# ---- CLI (in-process) ----------------------------------------------------------------------

def _cli_args(c, *extra):
    args = ["validate", str(CORPUS / c["file"])]
    if c.get("kind"):
        args += ["--kind", c["kind"]]
    return args + list(c.get("options", [])) + list(extra)


@pytest.mark.parametrize("c", FILE_CASES, ids=_id)
def test_cli(c, capsys, tmp_path):
    """In process: exit code, one line for a refused file, the rejects file."""
    rejects = tmp_path / "rejects.csv"
    code = main(_cli_args(c, "--rejects", str(rejects)))
    out, err = capsys.readouterr()
    text = out + err
    assert "Traceback" not in text
    name = Path(c["file"]).name
    if c["outcome"] == "accept":
        assert code == 0, text
        assert f"{c['n_input']} rows read, {c['n_input']} accepted, 0 rejected" in out
        return
    assert code == 2, text
    assert name in text
    assert f"[rule: {c['rule']}]" in text
    if "row" in c:
        assert f"row {c['row']}" in text
    if "column" in c:
        assert repr(c["column"]) in text
    if "value" in c:
        assert repr(c["value"])[:40].rstrip("'") in text
    if c["outcome"] == "error":
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
        assert "nan" not in err.split(": ", 2)[1], err   # no "column nan"
        return
    n_rej = c["n_input"] - c["n_accepted"]
    assert f"{c['n_input']} rows read, {c['n_accepted']} accepted, {n_rej} rejected" in out
    written = pd.read_csv(rejects, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(written.columns) == list(REJECT_COLUMNS)
    assert written["row"].nunique() == n_rej
    assert c["rule"] in set(written["rule"])


def test_cli_json_accounting(capsys):
    import json

    c = next(x for x in FILE_CASES if Path(x["file"]).name == "att_negative_hours.csv")
    assert main(_cli_args(c, "--json")) == 2
    d = json.loads(capsys.readouterr().out)
    assert d["valid"] is False
    assert (d["n_input"], d["n_accepted"], d["n_rejected"]) == (3, 2, 1)
    assert d["rejects"][0] | {"file": None} == {"file": None, "row": 2, "column": "hours",
                                                "value": "-3", "rule": "range",
                                                "message": d["rejects"][0]["message"]}


@pytest.mark.parametrize("c", [c for c in DATASET_CASES if c["outcome"] == "error"], ids=_id)
def test_cli_dataset_folder(c, capsys, tmp_path):
    code = main(["report", "--data", str(CORPUS / c["file"]), "--out", str(tmp_path / "out"),
                 "--sections", "data", "--quick", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "Traceback" not in err
    assert f"[rule: {c['rule']}]" in err
    for key in ("column", "value"):
        if key in c:
            assert repr(c[key]) in err
    assert not (tmp_path / "out" / "summary.json").exists()


def test_cli_missing_file_is_bad_input(capsys, tmp_path):
    assert main(["validate", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err and "Traceback" not in err


def test_gbk_encoding_is_detected_and_reported():
    res = load_table(CORPUS / "files" / "reps_gbk.csv", "representatives")
    assert res.encoding == "gb18030"
    res = load_table(CORPUS / "files" / "reps_utf8_bom.csv", "representatives")
    assert res.encoding == "utf-8-sig"


def test_forced_encoding_reads_bomless_utf16():
    """The refusal names the fix, and the fix works."""
    res = load_table(CORPUS / "files" / "trn_utf16le_nobom.csv", "trainings", encoding="utf-16-le")
    assert res.ok and res.n_accepted == 3


# ---- real processes: nothing but one line reaches stderr ------------------------------------

SUBPROCESS_CASES = ["att_truncated_utf8.csv", "att_negative_hours.csv", "att_merged_title.xlsx",
                    "org_cycle.csv", "a_directory.csv"]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_subprocess_exit_code_and_no_traceback(name, tmp_path):
    c = next(x for x in FILE_CASES if Path(x["file"]).name == name)
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    p = subprocess.run([sys.executable, "-m", "kexie_research", *_cli_args(c)],
                       capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout
    assert f"[rule: {c['rule']}]" in p.stderr


def test_subprocess_dataset_foreign_key(tmp_path):
    d = CORPUS / "datasets" / "ds_unknown_rep"
    p = subprocess.run([sys.executable, "-m", "kexie_research", "report", "--data", str(d),
                        "--out", str(tmp_path / "o"), "--sections", "data", "--no-progress"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert "attendance.csv, row 2, column 'rep_id', value 'R404'" in p.stderr


def test_every_error_is_ours():
    """No corpus file makes the loader raise anything but a KexieError."""
    for c in FILE_CASES:
        try:
            with _limits(c):
                load_table(CORPUS / c["file"], c.get("kind") or None, errors="raise", **_kwargs(c))
        except KexieError:
            pass


# ---- every analysis subcommand, fed malformed input: exit 2, one line, no traceback ---------

F = "tests/corpus/files/"
D = "tests/corpus/datasets/"
ANALYSIS_CASES = [
    (["coverage", "--representatives", F + "reps_duplicate_id.csv", "--attendance", F + "att_crlf.csv"],
     "unique_key"),
    (["coverage", "--representatives", F + "reps_utf8_bom.csv", "--attendance",
      F + "att_truncated_utf8.csv"], "encoding"),
    (["compliance", "--cadres", F + "cad_nul_bytes.csv", "--hours", F + "hrs_extra_columns.csv"],
     "format"),
    (["compliance", "--cadres", F + "cad_bad_rank.csv", "--hours", F + "hrs_extra_columns.csv"],
     "allowed_values"),
    (["evaluate", "--survey", F + "sur_likert_high.csv"], "range"),
    (["evaluate", "--survey", F + "sur_header_only_bom.csv"], "non_empty"),
    (["network", "--orgs", F + "org_cycle.csv", "--links", F + "lnk_semicolon.csv"], None),
    (["network", "--orgs", D + "ds_valid/organizations.csv", "--links", F + "lnk_self_loop.csv"],
     "no_self_loop"),
    (["network", "--orgs", D + "ds_valid/organizations.csv", "--links",
      D + "ds_link_unknown_org/links.csv"], "foreign_key"),
]


@pytest.mark.parametrize("args,rule", ANALYSIS_CASES, ids=lambda a: "-".join(Path(x).stem for x in a)
                         if isinstance(a, list) else str(a))
def test_analysis_commands_refuse_bad_tables(args, rule, capsys, monkeypatch):
    monkeypatch.chdir(CORPUS.parent.parent)
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 2, err
    assert "Traceback" not in out + err and err.startswith("error: ")
    if rule:
        assert f"[rule: {rule}]" in err


@pytest.mark.parametrize("cmd", ["simulate", "optimize", "sweep", "recommend"])
def test_plan_commands_refuse_bad_plan_files(cmd, capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("this = is not [valid toml\n", encoding="utf-8")
    assert main([cmd, "--plan", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "TOML" in err
    assert main([cmd, "--plan", str(tmp_path / "missing.toml")]) == 2
    assert "not found" in capsys.readouterr().err


def test_report_unknown_section_is_bad_input(capsys, tmp_path):
    code = main(["report", "--data", str(CORPUS / "datasets" / "ds_valid"), "--out",
                 str(tmp_path / "o"), "--sections", "nosuch", "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown report section(s) nosuch" in err and "Traceback" not in err


def test_networks_section_runs_on_the_smallest_valid_dataset(tmp_path):
    from kexie_research.report import build_report

    build_report(CORPUS / "datasets" / "ds_valid", tmp_path / "o", quick=True, progress=False,
                 sections=["networks"])


# ---- whole command lines, each in its own process: time and memory measured ------------------

COMMANDS = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))["command"]


def _runner():
    sys.path.insert(0, str(CORPUS))
    try:
        import runner
    finally:
        sys.path.remove(str(CORPUS))
    return runner


def test_commands_cover_every_class_of_issue_15():
    names = {c["name"] for c in COMMANDS}
    for needed in ("gzip_bomb", "big_file", "many_cells", "xlsx_sheet_bomb", "xlsx_far_cell",
                   "xlsx_far_blank", "dev_zero", "fifo_table", "rejects_is_input",
                   "rejects_dev_null", "rejects_fifo", "report_out_is_file", "window_years_nan",
                   "report_keep_going", "validate_folder", "report_device_in_folder"):
        assert needed in names, needed
    seeded = {n.removeprefix("seed_negative_") for n in names if n.startswith("seed_negative_")}
    import argparse

    from kexie_research.cli import build_parser

    subs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    with_seed = {name for name, sub in subs.choices.items()
                 if any(a.dest == "seed" for a in sub._actions)}
    assert with_seed <= seeded, with_seed - seeded
    assert all(c["code"] in (0, 2) for c in COMMANDS)


def test_the_runner_flags_what_it_should():
    """The checks below are able to fail: a bug exit, a traceback, a hang, memory, clobbering."""
    runner = _runner()
    good = {"name": "x", "expected_code": 2, "code": 2, "hung": False, "seconds": 1.0,
            "cpu_seconds": 1.0, "max_rss_kb": 200_000, "stdout": "",
            "stderr": "error: f.csv: bad [rule: r]\n", "expect": "[rule: r]", "changed": [],
            "missing": []}
    assert runner.problems(good) == []
    for change in ({"code": 1}, {"stderr": "Traceback (most recent call last):\nerror: x\n"},
                   {"hung": True}, {"cpu_seconds": 31.0}, {"max_rss_kb": 1_600_000},
                   {"changed": ["in.csv"]}, {"missing": ["out.csv"]},
                   {"stderr": "error: a\nerror: b\n"}, {"stderr": "error: f.csv: other\n"}):
        assert runner.problems({**good, **change}), change


@pytest.mark.slow
def test_every_command_exits_cleanly_in_time_and_memory(tmp_path):
    """Issue 15's final check: no command of the corpus (its command lines, and ``validate``
    on each of its files and folders) exits 1, prints a traceback, uses more than 30 s of
    CPU (or hangs), or exceeds 1.5 GB; refusals are one line; inputs are never overwritten."""
    p = subprocess.run([sys.executable, str(CORPUS / "runner.py"), "--tmp", str(tmp_path), "--json"],
                       capture_output=True, text=True, timeout=1800,
                       env=dict(os.environ, PYTHONWARNINGS="ignore"))
    assert p.returncode == 0, p.stderr[-2000:]
    import json

    results = json.loads(p.stdout)
    names = [r["name"] for r in results]
    assert names[:len(COMMANDS)] == [c["name"] for c in COMMANDS]
    assert len(names) == len(COMMANDS) + len(MANIFEST)     # and every file/folder case
    runner = _runner()
    bad = {r["name"]: runner.problems(r) for r in results if runner.problems(r)}
    assert not bad, bad
    # the refusals happen before the work: a bomb is refused long before it is read whole
    by = {r["name"]: r for r in results}
    assert by["gzip_bomb"]["max_rss_kb"] < 600 * 1024
    assert by["xlsx_far_cell"]["cpu_seconds"] < 10
