"""Run the corpus's command lines (``[[command]]`` in manifest.toml) and measure each one.

Usage (from the repository root)::

    .venv/bin/python tests/corpus/runner.py [--tmp DIR] [--only NAME ...] [--json]

The package is imported once; every command then runs in a child forked from this process
(``kexie_research.cli.main`` with the command's arguments, stdout and stderr captured,
stdin from /dev/null), so each child's exit code, wall time and peak resident memory
(``os.wait4``'s ``ru_maxrss``, imports included) are its own. The 30-second promise is
checked on CPU time (user + system), which a shared, loaded machine does not inflate; a
child still running after ``--timeout`` seconds of wall time (default 90: three times the
budget, for a busy machine) is killed and reported as a hang — a command blocked on a FIFO
uses no CPU, so only the wall clock catches it. Setups named by the
commands (``make_corpus.SETUPS``: gzip and workbook bombs, a 100 MB file, FIFOs, links to
devices, copies of inputs) are built in the scratch folder first.

Printed: one line per command, or with ``--json`` a list of results. ``tests/test_corpus.py``
runs this and checks every result: the expected code (never 1), no traceback, one
``error:`` line when refused, under 30 s and under 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
import tomllib
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CPU_BUDGET = 30.0
TIMEOUT = 90.0
MAX_RSS_KB = int(1.5 * 1024 ** 2)


def load_commands(*, with_cases: bool = True) -> list[dict]:
    """The ``[[command]]`` lines and, with ``with_cases``, one ``validate`` line per file and
    folder case of the corpus (so that every case is measured too)."""
    m = tomllib.loads((HERE / "manifest.toml").read_text(encoding="utf-8"))
    cmds = list(m.get("command", []))
    if with_cases:
        for c in m["case"]:
            args = ["validate", "{corpus}/" + c["file"]]
            if c.get("kind") and c["kind"] != "dataset":
                args += ["--kind", c["kind"]]
            args += list(c.get("options", []))
            ok = c["outcome"] == "accept"
            cmds.append({"name": "case:" + Path(c["file"]).name, "args": args,
                         "code": 0 if ok else 2,
                         "expect": " rows read, " if ok else f"[rule: {c['rule']}]"})
    return cmds


def _fill(x, tmp: Path):
    if isinstance(x, str):
        return x.replace("{corpus}", str(HERE)).replace("{tmp}", str(tmp))
    if isinstance(x, list):
        return [_fill(v, tmp) for v in x]
    if isinstance(x, dict):
        return {k: _fill(v, tmp) for k, v in x.items()}
    return x


def _preimport() -> None:
    """Import what the commands use, once, so that each forked child starts warm."""
    import matplotlib

    matplotlib.use("Agg")
    import openpyxl  # noqa: F401
    import pandera.pandas  # noqa: F401

    from kexie_research.cli import build_parser
    from kexie_research.report.sections import SECTIONS

    build_parser()
    import importlib

    for name in SECTIONS:
        try:
            importlib.import_module(f"kexie_research.report.sections.{name}")
        except ModuleNotFoundError:
            pass


def _child(argv: list[str], env: dict, out: Path, err: Path) -> None:
    """In the forked child: run the command as ``kexie-research`` would, then _exit."""
    code = 1
    try:
        os.environ.update(env)
        for fd, path in ((1, out), (2, err)):
            f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(f, fd)
            os.close(f)
        nul = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nul, 0)
        os.close(nul)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from kexie_research.cli import main

        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - what the interpreter would print
            traceback.print_exc()
            code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code if isinstance(code, int) else 1)


def run_one(cmd: dict, tmp: Path, timeout: float = TIMEOUT) -> dict:
    argv = _fill(cmd["args"], tmp)
    stem = cmd["name"].replace(":", "_").replace("/", "_")
    out, err = tmp / f".{stem}.out", tmp / f".{stem}.err"
    before = {p: Path(p).read_bytes() for p in _fill(cmd.get("unchanged", []), tmp)
              if Path(p).is_file()}
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        _child(argv, _fill(cmd.get("env", {}), tmp), out, err)
    status = rusage = None
    while True:
        wpid, status, rusage = os.wait4(pid, os.WNOHANG)
        if wpid:
            break
        if time.monotonic() - t0 > timeout:
            os.kill(pid, signal.SIGKILL)
            _, status, rusage = os.wait4(pid, 0)
            break
        time.sleep(0.02)
    seconds = time.monotonic() - t0
    hung = seconds > timeout
    code = os.waitstatus_to_exitcode(status)
    changed = [p for p, b in before.items() if not Path(p).is_file() or Path(p).read_bytes() != b]
    missing = [p for p in _fill(cmd.get("creates", []), tmp) if not Path(p).is_file()]
    return {"name": cmd["name"], "argv": argv, "expected_code": cmd["code"], "code": code,
            "hung": hung, "seconds": round(seconds, 2),
            "cpu_seconds": round(rusage.ru_utime + rusage.ru_stime, 2),
            "max_rss_kb": int(rusage.ru_maxrss),
            "stdout": out.read_text(encoding="utf-8", errors="replace"),
            "stderr": err.read_text(encoding="utf-8", errors="replace"),
            "expect": cmd.get("expect", ""), "changed": changed, "missing": missing}


def problems(r: dict, *, timeout: float = TIMEOUT, max_rss_kb: int = MAX_RSS_KB) -> list[str]:
    """What is wrong with one result (empty when the command behaved)."""
    out = []
    if r["hung"]:
        out.append(f"still running after {timeout:g} s (killed)")
    if r["code"] != r["expected_code"]:
        out.append(f"exit {r['code']}, expected {r['expected_code']}")
    if r["code"] == 1:
        out.append("exit 1 (an internal error)")
    text = r["stdout"] + r["stderr"]
    if "Traceback" in text:
        out.append("a traceback was printed")
    if r["expect"] and r["expect"] not in text:
        out.append(f"output lacks {r['expect']!r}")
    lines = r["stderr"].rstrip().splitlines()
    if r["code"] == 2 and " rows read, " in r["stdout"]:
        # validate with rejected rows: one line per problem, each naming row and rule
        odd = [ln for ln in lines if not ln.startswith(("  ", "note:"))
               or (ln.startswith("  ") and "[rule: " not in ln and not ln.startswith("  ... and "))]
        if odd:
            out.append(f"unexpected stderr lines: {odd[:3]!r}")
    elif r["code"] == 2:
        errors = [ln for ln in lines if ln.startswith("error:")]
        if len(errors) != 1 or not lines[-1].startswith("error:"):
            out.append(f"refusal is not one 'error:' line: {r['stderr'][-300:]!r}")
    if r["cpu_seconds"] > CPU_BUDGET:
        out.append(f"used {r['cpu_seconds']} s of CPU")
    if r["max_rss_kb"] > max_rss_kb:
        out.append(f"peak memory {r['max_rss_kb'] / 1024:.0f} MB")
    if r["changed"]:
        out.append(f"changed: {r['changed']}")
    if r["missing"]:
        out.append(f"not written: {r['missing']}")
    return out


def run_all(tmp: Path, only=None, timeout: float = TIMEOUT) -> list[dict]:
    sys.path.insert(0, str(HERE))
    import make_corpus

    cmds = [c for c in load_commands() if not only or c["name"] in only]
    if not cmds:
        raise SystemExit(f"no command named {', '.join(only)}")
    for setup in sorted({c["setup"] for c in cmds if c.get("setup")}):
        make_corpus.SETUPS[setup](tmp)
    _preimport()
    return [run_one(c, tmp, timeout) for c in cmds]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tmp", type=Path, help="scratch folder (default: a new temporary one)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these commands")
    ap.add_argument("--timeout", type=float, default=TIMEOUT)
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)
    tmp = args.tmp or Path(tempfile.mkdtemp(prefix="kexie-corpus-"))
    tmp.mkdir(parents=True, exist_ok=True)
    os.chdir(tmp)
    results = run_all(tmp, args.only, args.timeout)
    if args.json:
        json.dump(results, sys.stdout, ensure_ascii=False, indent=1)
        return 0
    bad = 0
    for r in results:
        p = problems(r, timeout=args.timeout)
        bad += bool(p)
        print(f"{'FAIL' if p else 'ok  '} {r['name']:<32} exit {r['code']}  {r['cpu_seconds']:6.2f} s CPU "
              f"{r['seconds']:6.2f} s  "
              f"{r['max_rss_kb'] / 1024:7.0f} MB  {'; '.join(p)}")
    print(f"{len(results) - bad} ok, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
