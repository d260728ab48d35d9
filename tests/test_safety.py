"""Safe outputs: formula injection neutralised, HTML escaped, no code execution of user
data, atomic writes, writes confined to the output folder."""

from __future__ import annotations

import ast
import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kexie_research
from kexie_research import io as kio
from kexie_research.errors import UnsafeOutputError
from kexie_research.io import (atomic_write_bytes, neutralize_formulas, write_csv, write_json,
                               write_text, write_xlsx)

PACKAGE = Path(kexie_research.__file__).parent
CORPUS = Path(__file__).parent / "corpus"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = ["=HYPERLINK(\"http://x.test/?\"&A1,\"点我\")", "+1+1", "-2+3", "@SUM(A1:A9)",
            "\t=1", "\r=1", "=cmd|' /C calc'!A0"]
XSS = '<script>alert("x")</script>'


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _assert_csv_safe(path: Path) -> None:
    """No cell (header included) a spreadsheet would run; negative numbers are numbers."""
    df = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    cells = list(df.columns) + [v for col in df.columns for v in df[col]]
    for v in cells:
        if v.startswith(DANGEROUS):
            assert v.startswith("-") and _is_number(v), f"{path.name}: unsafe cell {v!r}"


# ---- formula injection -------------------------------------------------------------------------

def test_csv_neutralises_every_formula_start_including_headers(tmp_path):
    df = pd.DataFrame({"name": PAYLOADS, "n": range(-3, len(PAYLOADS) - 3),
                       "=SUM(A:A)": ["ok"] * len(PAYLOADS), "-x": ["@y"] * len(PAYLOADS)})
    p = write_csv(tmp_path / "t.csv", df, root=tmp_path)
    back = pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns) == ["name", "n", "'=SUM(A:A)", "'-x"]
    assert len(back) == len(PAYLOADS)  # a CR inside a cell must not split the row
    # CR inside a cell is written as a (quoted) LF; XML readers do the same for xlsx
    assert back["name"].tolist() == [("'" + v).replace("\r", "\n") for v in PAYLOADS]
    assert back["n"].tolist() == ["-3", "-2", "-1", "0", "1", "2", "3"]  # numbers untouched
    assert set(back["-x".join(["'", ""])]) == {"'@y"}
    _assert_csv_safe(p)
    assert p.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Chinese


def test_xlsx_neutralises_and_never_writes_a_formula(tmp_path):
    df = pd.DataFrame({"name": PAYLOADS, "score": [-1.5] * len(PAYLOADS)})
    df.columns = ["=name", "score"]
    p = write_xlsx(tmp_path / "t.xlsx", {"sheet": df}, root=tmp_path)
    with zipfile.ZipFile(p) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    ws = openpyxl.load_workbook(p)["sheet"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("'=name", "score")
    assert [r[0] for r in rows[1:]] == [("'" + v).replace("\r", "\n") for v in PAYLOADS]
    assert all(r[1] == -1.5 for r in rows[1:])
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_xlsx_survives_control_characters_and_odd_sheet_names(tmp_path):
    """Free text may hold characters XML forbids; sheet names may hold []:*?/\\."""
    df = pd.DataFrame({"name": ["bell\x07here", "nul\x00", "ok"]})
    p = write_xlsx(tmp_path / "t.xlsx", {"a/b:c*[1]?": df, "a/b:c*[2]?": df}, root=tmp_path)
    wb = openpyxl.load_workbook(p)
    assert len(wb.sheetnames) == 2
    assert [c.value for c in wb[wb.sheetnames[0]]["A"]][1:] == ["bell\ufffdhere", "nul\ufffd", "ok"]


def test_xlsx_is_byte_deterministic(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "=y"]})
    a = write_xlsx(tmp_path / "a.xlsx", df, root=tmp_path).read_bytes()
    import time
    time.sleep(1.1)  # openpyxl stamps the save time (seconds) unless we fix it
    b = write_xlsx(tmp_path / "b.xlsx", df, root=tmp_path).read_bytes()
    assert a == b


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=8))
def test_neutralised_text_never_starts_a_formula(values):
    df = pd.DataFrame({"t": values, "u": pd.Series(values, dtype="string"),
                       "c": pd.Categorical(values)})
    out = neutralize_formulas(df)
    for col in out.columns:
        for v in out[col]:
            if isinstance(v, str):
                assert not v.startswith(DANGEROUS)
    # nothing else changes
    for orig, new in zip(values, out["t"]):
        assert new == (("'" + orig) if orig.startswith(DANGEROUS) else orig)
    assert df["t"].tolist() == values  # the input is not mutated


# ---- HTML escaping -----------------------------------------------------------------------------

def test_render_html_escapes_every_piece_of_data():
    from kexie_research.report import Block, Section
    from kexie_research.report.render import render_html

    evil_df = pd.DataFrame({XSS: [XSS, "<img src=x onerror=alert(1)>"], "n": [1, 2]})
    sec = Section(XSS, f"title {XSS}")
    sec.blocks = [Block("text", text=f"para {XSS}\n\n- item {XSS}\n- <b>bold</b>"),
                  Block("table", table=evil_df, name="t", caption=XSS),
                  Block("figure", name="f", caption=XSS, files={})]
    summary = {"provenance": {"version": XSS, "seed": XSS, "synthetic_data": False,
                              "data_files": {"k": {"file": XSS, "sha256": "0" * 64}}}}
    page = render_html([sec], summary, "en")
    assert "<script" not in page.lower()
    assert "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page


def _dataset_with_payloads(tmp_path: Path) -> Path:
    """The corpus's small valid dataset with script and formula payloads in every free-text
    cell a report might show."""
    d = tmp_path / "data"
    shutil.copytree(CORPUS / "datasets" / "ds_valid", d)
    t = pd.read_csv(d / "trainings.csv", dtype=str)
    t["name"] = [f"{XSS}班{i}" for i in range(len(t))]
    t["city"] = ["=HYPERLINK(\"http://x\")", "+1", "@x"]
    t.to_csv(d / "trainings.csv", index=False)
    r = pd.read_csv(d / "representatives.csv", dtype=str)
    r["name"] = [XSS, "=1+1", "-cmd"]
    r.to_csv(d / "representatives.csv", index=False)
    c = pd.read_csv(d / "curriculum.csv", dtype=str)
    c["title"] = [XSS, "@SUM(1)", "<iframe src=x>"]
    c.to_csv(d / "curriculum.csv", index=False)
    o = pd.read_csv(d / "organizations.csv", dtype=str)
    o["name"] = [XSS, "=2+2", "<svg onload=alert(1)>"]
    o.loc[2, "type"] = "enterprise_association"
    o.to_csv(d / "organizations.csv", index=False)
    return d


def test_report_escapes_data_and_neutralises_tables(tmp_path):
    from kexie_research.report import build_report

    d = _dataset_with_payloads(tmp_path)
    # the networks section lists organisations by name: the payloads reach the page
    res = build_report(d, tmp_path / "out", quick=True, progress=False,
                       sections=["data", "networks"], lang="en")
    page = (res.out_dir / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<iframe" not in page and "<svg" not in page
    assert "&lt;script&gt;" in page and "&lt;svg onload" in page
    csvs = list((res.out_dir / "tables").glob("*.csv"))
    assert csvs
    for p in csvs:
        _assert_csv_safe(p)
    shown = "".join(p.read_text(encoding="utf-8-sig") for p in csvs)
    assert "'=2+2" in shown


# ---- no code execution of user data ---------------------------------------------------------

_BANNED_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle"}
_BANNED_BUILTINS = {"eval", "exec", "compile", "__import__", "execfile"}
_BANNED_ATTRS = {("yaml", "load"), ("yaml", "unsafe_load"), ("yaml", "full_load"),
                 ("pd", "read_pickle"), ("pandas", "read_pickle"), ("os", "system"),
                 ("os", "popen"), ("joblib", "load"), ("torch", "load")}


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in _BANNED_MODULES:
                    out.append(f"{where} imports {a.name}")
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in _BANNED_MODULES:
                out.append(f"{where} imports from {node.module}")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in _BANNED_BUILTINS:
                out.append(f"{where} calls {f.id}()")
            if isinstance(f, ast.Attribute):
                base = f.value.id if isinstance(f.value, ast.Name) else None
                if (base, f.attr) in _BANNED_ATTRS or f.attr in ("read_pickle", "to_pickle"):
                    out.append(f"{where} calls {base}.{f.attr}()")
                if f.attr == "load" and base in ("np", "numpy"):
                    for kw in node.keywords:
                        if kw.arg == "allow_pickle" and not (isinstance(kw.value, ast.Constant)
                                                             and kw.value.value is False):
                            out.append(f"{where} np.load(allow_pickle=...)")
            for kw in node.keywords:
                if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    out.append(f"{where} runs a command with shell=True")
    return out


def test_the_scanner_catches_what_it_should(tmp_path):
    bad = PACKAGE / "_scanner_probe_do_not_commit.py"
    bad.write_text("import pickle\nimport subprocess\nx = eval('1')\nexec('y=1')\n"
                   "import yaml\nyaml.load('a')\nsubprocess.run('ls', shell=True)\n"
                   "import pandas as pd\npd.read_pickle('f')\nimport numpy as np\n"
                   "np.load('f', allow_pickle=True)\nimport os\nos.system('ls')\n",
                   encoding="utf-8")
    try:
        found = _problems(bad)
    finally:
        bad.unlink()
    assert len(found) == 8, found


def test_package_never_unpickles_evals_or_shells_out():
    problems = [p for f in sorted(PACKAGE.rglob("*.py")) for p in _problems(f)]
    assert problems == []


def test_plan_and_rules_files_are_parsed_with_tomllib():
    """Plan/rule files are data: every module that reads them uses tomllib, none executes."""
    readers = [f for f in PACKAGE.rglob("*.py")
               if re.search(r"\.toml\b", f.read_text(encoding="utf-8"))
               and re.search(r"def (load|read|from_toml)", f.read_text(encoding="utf-8"))]
    for f in readers:
        src = f.read_text(encoding="utf-8")
        if "open(" in src or "read_text" in src:
            assert "tomllib" in src or "from ..simulation.plan" in src or "Plan.from_toml" in src, f


def test_plan_file_with_code_is_data_not_code(tmp_path):
    from kexie_research.simulation import plan as plan_mod
    from kexie_research.errors import PlanError

    marker = tmp_path / "pwned"
    text = f'name = "__import__(\'os\').system(\'touch {marker}\')"\n[x]\ny = "${{{{7*7}}}}"\n'
    p = tmp_path / "evil.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError):
        plan_mod.Plan.from_toml(p)
    assert not marker.exists()
    p.write_text("this is = not [toml", encoding="utf-8")
    with pytest.raises(PlanError):
        plan_mod.Plan.from_toml(p)


# ---- atomic writes ------------------------------------------------------------------------------

def _tmp_leftovers(d: Path) -> list[str]:
    return [p.name for p in d.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("writer", ["bytes", "text", "json", "csv", "xlsx"])
def test_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch, writer):
    target = tmp_path / ("old.xlsx" if writer == "xlsx" else "old.txt")
    target.write_bytes(b"precious old content")

    real_fdopen = os.fdopen

    class Exploding(io.RawIOBase):
        def __init__(self, fh):
            self.fh = fh
            self.n = 0

        def write(self, b):  # write half, then die as if the process were killed
            self.fh.write(bytes(b)[: max(1, len(b) // 2)])
            self.fh.flush()
            raise KeyboardInterrupt("simulated interruption")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()
            return False

    monkeypatch.setattr(kio.os, "fdopen", lambda fd, mode: Exploding(real_fdopen(fd, mode)))
    df = pd.DataFrame({"a": list(range(100))})
    call = {"bytes": lambda: atomic_write_bytes(target, b"x" * 10_000, root=tmp_path),
            "text": lambda: write_text(target, "新内容" * 1000, root=tmp_path),
            "json": lambda: write_json(target, {"a": list(range(100))}, root=tmp_path),
            "csv": lambda: write_csv(target, df, root=tmp_path),
            "xlsx": lambda: write_xlsx(target, df, root=tmp_path)}[writer]
    with pytest.raises(KeyboardInterrupt):
        call()
    assert target.read_bytes() == b"precious old content"
    assert _tmp_leftovers(tmp_path) == []


def test_failed_rename_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    write_json(target, {"v": 1}, root=tmp_path)

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(kio.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_json(target, {"v": 2}, root=tmp_path)
    assert target.read_text(encoding="utf-8") == '{\n  "v": 1\n}\n'
    assert _tmp_leftovers(tmp_path) == []


def test_figures_are_written_atomically(tmp_path, monkeypatch):
    """save_figure goes through atomic_write_bytes: a failing PDF leaves the old PDF."""
    import matplotlib
    matplotlib.use("Agg")
    from kexie_research.plots import style

    fig, ax = style.figure("single")
    ax.plot([0, 1], [0, 1])
    (tmp_path / "f.pdf").write_bytes(b"old pdf")
    real = kio.atomic_write_bytes

    def flaky(path, data, *, root=None):
        if str(path).endswith(".pdf"):
            raise OSError("interrupted")
        return real(path, data, root=root)

    monkeypatch.setattr(style, "atomic_write_bytes", flaky)
    with pytest.raises(OSError):
        style.save_figure(fig, "f", tmp_path, caption="c")
    assert (tmp_path / "f.pdf").read_bytes() == b"old pdf"
    assert _tmp_leftovers(tmp_path) == []


def test_interrupted_report_keeps_previous_report(tmp_path, monkeypatch):
    from kexie_research import report as rep

    d = CORPUS / "datasets" / "ds_valid"
    out = tmp_path / "out"
    rep.build_report(d, out, quick=True, progress=False, sections=["data"])
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert {"summary.json", "report.html", "report.md"} <= set(before)

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(rep, "render_html", boom)
    with pytest.raises(KeyboardInterrupt):
        rep.build_report(d, out, quick=True, progress=False, sections=["data"], lang="en")
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after["report.html"] == before["report.html"]
    assert _tmp_leftovers(out) == [] and _tmp_leftovers(out / "tables") == []


# ---- writes confined to the output folder -------------------------------------------------------

@pytest.mark.parametrize("bad", ["../escape.csv", "sub/../../escape.csv", "/tmp/kexie_escape.csv"])
def test_writes_outside_root_are_refused(tmp_path, bad):
    root = tmp_path / "out"
    root.mkdir()
    victim = Path(bad) if Path(bad).is_absolute() else (root / bad).resolve()
    existed = victim.exists()
    with pytest.raises(UnsafeOutputError, match="outside the output directory"):
        write_csv(bad, pd.DataFrame({"a": [1]}), root=root)
    with pytest.raises(UnsafeOutputError):
        atomic_write_bytes(bad, b"x", root=root)
    assert victim.exists() == existed


def test_symlink_out_of_root_is_refused(tmp_path):
    root, outside = tmp_path / "out", tmp_path / "user"
    root.mkdir()
    outside.mkdir()
    (outside / "thesis.csv").write_text("my work")
    (root / "link").symlink_to(outside)
    with pytest.raises(UnsafeOutputError):
        write_text(root / "link" / "thesis.csv", "overwritten", root=root)
    assert (outside / "thesis.csv").read_text() == "my work"


def test_inside_root_is_fine(tmp_path):
    p = write_text("a/b/c.txt", "ok", root=tmp_path)
    assert p == (tmp_path / "a" / "b" / "c.txt").resolve() and p.read_text() == "ok"


def test_report_tables_and_figures_cannot_escape_out(tmp_path):
    """A table or figure name that climbs out of --out is refused, nothing written outside."""
    import matplotlib.pyplot as plt
    from kexie_research.report import ReportContext

    from kexie_research import load_dataset
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    ctx = ReportContext(dataset=load_dataset(CORPUS / "datasets" / "ds_valid"), out_dir=out.resolve(),
                        figure_dir=out.resolve() / "figures", table_dir=out.resolve() / "tables")
    with pytest.raises(UnsafeOutputError):
        ctx.table("../../evil", pd.DataFrame({"a": [1]}))
    fig = plt.figure()
    with pytest.raises(UnsafeOutputError):
        ctx.figure("../../evil_fig", fig, "caption")
    plt.close(fig)
    assert not list(tmp_path.glob("evil*"))


def test_cli_report_writes_only_inside_out(tmp_path, capsys):
    from kexie_research.cli import main

    out = tmp_path / "out"
    before = set(tmp_path.iterdir())
    assert main(["report", "--data", str(CORPUS / "datasets" / "ds_valid"), "--out", str(out),
                 "--sections", "data", "--quick", "--no-progress"]) == 0
    assert set(tmp_path.iterdir()) - before == {out}


# ---- the report folder is always one complete run (issue 15) ------------------------------------

def _tree(d: Path) -> dict:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def _report_cmd(out: Path, seed: int, *extra) -> list[str]:
    import sys

    return [sys.executable, "-m", "kexie_research", "report", "--data",
            str(CORPUS / "datasets" / "ds_valid"), "--out", str(out), "--seed", str(seed),
            "--quick", "--no-progress", *extra]


def _wait_for_staging(parent: Path, proc, timeout: float = 120.0) -> None:
    import time

    t0 = time.monotonic()
    while not list(parent.glob(".out.staging-*")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < timeout, "the run never started staging"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_interrupted_report_process_leaves_the_previous_report(tmp_path, sig):
    import signal
    import subprocess
    import time

    out = tmp_path / "out"
    first = subprocess.run(_report_cmd(out, 1, "--sections", "data", "coverage"),
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = _tree(out)
    proc = subprocess.Popen(_report_cmd(out, 2), stderr=subprocess.PIPE, text=True)
    _wait_for_staging(tmp_path, proc)
    time.sleep(2)                    # well into the run: figures and tables half written
    proc.send_signal(getattr(signal, sig))
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == {"SIGINT": 130, "SIGTERM": 143}[sig], err
    assert "Traceback" not in err
    assert _tree(out) == before      # the previous complete report, byte for byte
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]   # no staging, no lock left


@pytest.mark.slow
def test_concurrent_report_into_the_same_folder_is_refused(tmp_path, capsys):
    import json
    import subprocess

    from kexie_research.cli import main

    out = tmp_path / "out"
    proc = subprocess.Popen(_report_cmd(out, 7), stderr=subprocess.PIPE, text=True)
    _wait_for_staging(tmp_path, proc)
    code = main(["report", "--data", str(CORPUS / "datasets" / "ds_valid"), "--out", str(out),
                 "--seed", "8", "--quick", "--no-progress", "--sections", "data"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: another kexie-research run (pid ")
    assert len(err.strip().splitlines()) == 1
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["provenance"]["seed"] == 7                 # the first run, whole
    md = (out / "report.md").read_text(encoding="utf-8")
    for png in __import__("re").findall(r"\(figures/([^)]+\.png)\)", md):
        assert (out / "figures" / png).is_file(), png      # every figure it names is its own
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_report_replaces_a_previous_report_whole(tmp_path):
    """A smaller second run leaves no file of the first behind (no mix of two runs)."""
    from kexie_research.report import build_report

    d = CORPUS / "datasets" / "ds_valid"
    out = tmp_path / "out"
    build_report(d, out, quick=True, progress=False, sections=["data", "coverage"])
    assert list((out / "figures").glob("coverage_*.png"))
    res = build_report(d, out, quick=True, progress=False, sections=["data"], seed=5)
    assert not (out / "figures").exists() or not list((out / "figures").glob("coverage_*"))
    assert set(p.name for p in out.iterdir()) >= {"summary.json", "report.md", "report.html"}
    assert all(Path(p).is_file() and Path(p).parent == out for p in res.files.values())


def test_report_refuses_an_output_folder_of_user_files(tmp_path):
    from kexie_research.report import build_report

    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.docx").write_bytes(b"precious")
    with pytest.raises(UnsafeOutputError, match="refusing to replace"):
        build_report(CORPUS / "datasets" / "ds_valid", mine, quick=True, progress=False,
                     sections=["data"])
    assert _tree(mine) == {"chapter1.docx": b"precious"}


# ---- Markdown from data is shown literally in report.md ----------------------------------------

MD_PAYLOADS = ["**x**", "| a |", "[link](http://x.test)", "<b>bold</b>", "`code`", "~~gone~~"]


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_report_md_escapes_data(tmp_path):
    """Names such as ``**x**``, ``| a |`` or a link are data: report.md must show them as
    written (CommonMark backslash escapes), never as emphasis, a link or extra columns."""
    from kexie_research.report import build_report
    from kexie_research.report.render import escape_markdown

    d = tmp_path / "data"
    shutil.copytree(CORPUS / "datasets" / "ds_valid", d)
    o = pd.read_csv(d / "organizations.csv", dtype=str)
    o["name"] = MD_PAYLOADS[:3]
    o.loc[2, "type"] = "enterprise_association"
    o.to_csv(d / "organizations.csv", index=False)
    res = build_report(d, tmp_path / "out", quick=True, progress=False,
                       sections=["data", "networks"], lang="en")
    md = (res.out_dir / "report.md").read_text(encoding="utf-8")
    shown = [p for p in MD_PAYLOADS[:3] if escape_markdown(p) in md]
    assert shown, "the organisation names should reach a table of the networks section"
    for p in MD_PAYLOADS[:3]:
        assert p not in md.replace(escape_markdown(p), ""), p    # never unescaped
    # every table keeps its shape: as many unescaped pipes in each row as in its header
    block: list[str] = []
    for line in md.splitlines() + [""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            assert len({_unescaped_pipes(r) for r in block}) == 1, block
            block = []


# hand-escaped (CommonMark: a backslash before ASCII punctuation makes it literal)
MD_ESCAPED = {"**x**": r"\*\*x\*\*", "| a |": r"\| a \|",
              "[link](http://x.test)": r"[link\](http://x.test)", "<b>bold</b>": r"\<b>bold\</b>",
              "`code`": r"\`code\`", "~~gone~~": r"\~\~gone\~\~", "_em_ a_b": r"\_em\_ a_b",
              "&amp; &#60;": r"\&amp; \&#60;", "![img](x.png)": r"![img\](x.png)",
              # not markup: left readable
              "[1.03, 1.43]": "[1.03, 1.43]", "<0.001": "<0.001", "~70": "~70",
              "treated_x": "treated_x", "R&D": "R&D", "a\nb": "a b"}


@pytest.mark.parametrize("payload", list(MD_ESCAPED))
def test_escape_markdown(payload):
    from kexie_research.report.render import escape_markdown, table_markdown

    assert escape_markdown(payload) == MD_ESCAPED[payload]
    t = table_markdown(pd.DataFrame({"name": [payload], "n": [1]}))
    assert {_unescaped_pipes(r) for r in t.splitlines() if r.startswith("|")} == {3}
