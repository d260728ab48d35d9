"""Regression pin: ``compute_coverage`` on the embedded dataset gives today's result, field by field.

Written before ``compute_coverage`` was split into its natural steps (issue 13): the split
must not change any output. ``tests/fixtures/coverage_pinned/embedded.json`` holds, for each
option set below, the SHA-256 of every result field's canonical JSON and the headline numbers
in clear; regenerate it only for an intended change of the numbers (and say why in
docs/coverage_compliance.md)::

    KEXIE_PIN_WRITE=1 .venv/bin/python -m pytest tests/test_coverage_pinned.py
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import pytest

from kexie_research.coverage import busiest_congress, compute_coverage, compute_exchange, term_tables
from kexie_research.data import load_dataset
from kexie_research.io import dumps_json

PIN = Path(__file__).parent / "fixtures" / "coverage_pinned" / "embedded.json"

CASES = {
    "report_province": dict(by="province", window_years=4, threshold=0.8),
    "region_frontline": dict(by=["region", "is_frontline"], threshold=0.5),
    "delegation_no_trainings": dict(by="delegation_type", trainings=None),
    "completed_as_of": dict(by="sector", require_completed=True, as_of="2019-06-30",
                            window_years=2.5, confidence=0.9, sample=True),
    "whole_dataset_no_by": dict(term=False),
}


@pytest.fixture(scope="module")
def ds():
    return load_dataset(kinds=("representatives", "trainings", "attendance"))


def _fields(obj) -> dict:
    return {f.name: json.loads(dumps_json(getattr(obj, f.name))) for f in dataclasses.fields(obj)}


def _digest(v) -> str:
    return hashlib.sha256(json.dumps(v, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _run(ds, case: dict):
    kw = dict(case)
    reps, att = ds.representatives, ds.attendance
    if kw.pop("term", True):
        reps, att = term_tables(reps, att, busiest_congress(reps, att))
    tr = kw.pop("trainings", ds.trainings)
    return compute_coverage(reps, att, tr, **kw), compute_exchange(reps, att, tr)


def _snapshot(ds) -> dict:
    out = {}
    for name, case in CASES.items():
        res, ex = _run(ds, case)
        f = _fields(res)
        out[name] = {"headline": {k: f[k] for k in ("total", "trained", "coverage", "ci_low", "ci_high",
                                                     "person_times", "hours", "n_zero_hour_rows")},
                     "fields": {k: _digest(v) for k, v in f.items()},
                     "exchange": {k: _digest(v) for k, v in _fields(ex).items()}}
    return out


def test_compute_coverage_pinned_on_embedded_data(ds):
    got = _snapshot(ds)
    if os.environ.get("KEXIE_PIN_WRITE") == "1":
        PIN.write_text(json.dumps(got, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    want = json.loads(PIN.read_text(encoding="utf-8"))
    assert set(got) == set(want)
    for name in want:
        assert got[name]["headline"] == want[name]["headline"], name
        # every pinned field is unchanged (fields added later, e.g. ``notes``, are not pinned)
        diff = [k for k in want[name]["fields"] if got[name]["fields"].get(k) != want[name]["fields"][k]]
        assert not diff, f"{name}: fields changed: {diff}"
        assert got[name]["exchange"] == want[name]["exchange"], name
