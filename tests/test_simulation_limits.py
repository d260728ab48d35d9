"""Limits of the simulation (issue 15): documented bounds checked before any allocation,
bounded memory for large replication counts, a --scheduler that is not a Dask scheduler,
sweep ranges that overflow. Every case: exit 2 with one line naming the key."""

from __future__ import annotations

import socket
import threading

import pytest

from kexie_research.cli import main
from kexie_research.simulation.plan import LIMITS

BASE = """[term]
years = {years}
[population]
synthetic_size = {size}
seed = 1
[[sessions]]
per_year = {per_year}
capacity = {capacity}
[policy]
accept_prob = 1.0
"""


def _plan(tmp_path, **kw):
    v = {"years": 1, "size": 200, "per_year": 2, "capacity": 20, **kw}
    p = tmp_path / "plan.toml"
    p.write_text(BASE.format(**v), encoding="utf-8")
    return str(p)


def _one_line_error(capsys, *keys):
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in err, err
    for k in keys:
        assert k in lines[0], (k, lines[0])
    return lines[0]


@pytest.mark.parametrize("kw,key", [
    ({"years": "1e9"}, "term.years"),
    ({"per_year": "1e8"}, "sessions[0].per_year"),
    ({"size": "1e9"}, "population.synthetic_size"),
    ({"capacity": "1e12"}, "sessions[0].capacity"),
    ({"years": 100, "per_year": 100}, "sessions"),            # 10,000 sessions held
])
def test_plan_bounds_exit_2_naming_the_key(tmp_path, capsys, kw, key):
    assert main(["simulate", "--plan", _plan(tmp_path, **kw), "--replications", "5"]) == 2
    line = _one_line_error(capsys, key)
    assert "documented limit" in line


@pytest.mark.parametrize("args,key", [
    (["--replications", "1e9"], "--replications"),
    (["--replications", "0"], "--replications"),
    (["--replications", "100000", "--parameter-draws", "5000"], "--replications"),
    (["--parameter-draws", "1e6"], "--parameter-draws"),
    (["--seed", "-1"], "--seed"),
    (["--workers", "0"], "--workers"),
])
def test_run_bounds_exit_2_before_anything_runs(tmp_path, capsys, args, key):
    plan = _plan(tmp_path)
    if "--parameter-draws" in args:
        (tmp_path / "plan.toml").write_text(BASE.format(years=1, size=200, per_year=2, capacity=20)
                                            + '[uncertainty]\n"policy.no_show_prob" = { low = 0, high = 0.2 }\n',
                                            encoding="utf-8")
    assert main(["simulate", "--plan", plan, *args]) == 2
    _one_line_error(capsys, key)


def test_limits_are_documented():
    from pathlib import Path
    doc = (Path(__file__).parents[1] / "docs" / "simulation.md").read_text(encoding="utf-8")
    for key, v in LIMITS.items():
        assert f"{v:,}" in doc, key
    assert "100,000,000" in doc and "10,000" in doc      # runs, parameter draws


# ---- memory stays flat in the number of replications ------------------------------------

def test_memory_is_flat_in_the_number_of_replications():
    import tracemalloc

    from kexie_research.simulation import Plan, PopulationSpec, SessionSpec, Simulator, Term
    from kexie_research.simulation.accumulate import KEEP_REPLICATES
    sim = Simulator(Plan(Term(1), (SessionSpec(5, per_year=2),),
                         population=PopulationSpec(synthetic_size=20, seed=1)))
    peaks = {}
    for R in (2 * KEEP_REPLICATES, 6 * KEEP_REPLICATES):
        tracemalloc.start()
        res = sim.run(replications=R, seed=1)
        peaks[R] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert res.replications == R
        assert len(res.replicates) <= KEEP_REPLICATES          # a systematic sample is kept
    small, big = peaks.values()
    assert big < 1.25 * small, peaks
    # the percentiles of counts stay exact: 10 seats of 20 people, acceptance 1
    assert res.coverage_p05 == res.coverage_p95 == 0.5


def test_progress_bar_on_request_and_off_with_quiet(tmp_path, capsys):
    plan = _plan(tmp_path)
    assert main(["simulate", "--plan", plan, "--replications", "5000", "--progress", "--json"]) == 0
    assert "replications" in capsys.readouterr().err
    assert main(["simulate", "--plan", plan, "--replications", "5000", "--progress", "--quiet",
                 "--json"]) == 0
    assert capsys.readouterr().err == ""


# ---- a --scheduler where something else answers ----------------------------------------------

class _Listener:
    """A plain TCP listener on 127.0.0.1 that is not a Dask scheduler."""

    def __init__(self, mode):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(8)
        self.port = self.srv.getsockname()[1]
        self.mode = mode
        self.conns = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.mode == "garbage":
                c.sendall(b"SSH-2.0-OpenSSH_9.6\r\n" + b"\xff" * 64)
            elif self.mode == "close":
                c.close()
            # "silent": accept and say nothing

    def close(self):
        for c in self.conns:
            c.close()
        self.srv.close()


@pytest.mark.parametrize("mode,words", [("silent", "no Dask scheduler answered"),
                                        ("garbage", "not a Dask scheduler"),
                                        ("close", "no Dask scheduler answered")])
def test_scheduler_that_is_not_dask_exits_2(monkeypatch, capsys, mode, words):
    pytest.importorskip("dask.distributed")
    from kexie_research.simulation import executor
    monkeypatch.setattr(executor, "SCHEDULER_TIMEOUT", 1.0)
    lst = _Listener(mode)
    try:
        rc = main(["sweep", "--plan", "minimal", "--points", "2", "--replications", "5",
                   "--param", "no_show_prob", "--scheduler", f"tcp://127.0.0.1:{lst.port}"])
    finally:
        lst.close()
    assert rc == 2
    _one_line_error(capsys, "--scheduler", words)


def test_scheduler_address_nobody_listens_on_exits_2(capsys):
    pytest.importorskip("dask.distributed")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                                   # a free port: connection refused
    assert main(["sweep", "--plan", "minimal", "--points", "2", "--replications", "5",
                 "--scheduler", f"tcp://127.0.0.1:{port}"]) == 2
    _one_line_error(capsys, "--scheduler", "cannot connect")


@pytest.mark.parametrize("rng,key", [("accept_prob=0:1e400", "accept_prob"),
                                     ("capacity_scale=0:1e308", "capacity_scale"),
                                     ("no_show_prob=-5:0.2", "no_show_prob")])
def test_sweep_ranges_that_overflow_exit_2(capsys, rng, key):
    assert main(["sweep", "--plan", "minimal", "--points", "2", "--replications", "5",
                 "--param", rng]) == 2
    _one_line_error(capsys, "--param", key)


def test_breakdowns_of_large_runs_use_a_systematic_sample():
    # 60,000 runs: the term-end province/segment split is drawn for every 3rd replication
    # (SPLIT_REPLICATES = 20,000); the tables stay consistent with the overall coverage
    import numpy as np

    from kexie_research.simulation import Plan, PopulationSpec, Policy, SessionSpec, Simulator, Term
    from kexie_research.simulation.engine import SPLIT_REPLICATES
    sim = Simulator(Plan(Term(1), (SessionSpec(30, per_year=2),),
                         population=PopulationSpec(synthetic_size=200, seed=1),
                         policy=Policy(selection="random", accept_prob=0.7)))
    R = 60_000
    res = sim.run(replications=R, seed=3)
    k = -(-R // SPLIT_REPLICATES)
    assert res.provenance["breakdown_replications"] == -(-R // k) == 20_000
    prov = res.by_province
    weighted = float((prov["n"] * prov["coverage_mean"]).sum() / prov["n"].sum())
    assert weighted == pytest.approx(res.coverage_mean, abs=0.002)
    g = res.replicates["gini_province"].to_numpy()
    assert np.isfinite(g[::k]).all() and np.isnan(g[1::k]).all()
    assert res.summary["provinces_reached"]["mean"] > 0
