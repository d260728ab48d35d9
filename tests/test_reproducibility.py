"""Same inputs and seed → byte-identical outputs of the main job.

The main job (``kexie-research report``) runs twice on a small generated synthetic dataset
— once with ``--workers 1`` and once with ``--workers 2`` — and every output file
(summary.json, report.html/.md, every CSV table, every PNG/PDF/SVG figure and caption)
must have the same SHA-256. Two runs that differ in the number of workers can only agree
byte for byte if each run is deterministic and the results do not depend on the workers;
a third, cheap run of two sections checks plain run-to-run repetition as well. The summary
must record the package version, the data files' hashes, the seed and the parameters.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import kexie_research
from kexie_research.cli import main
from kexie_research.io import file_sha256
from kexie_research.report.sections import SECTIONS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reproducibility")]

SEED = 5


def _hashes(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> Path:
    from kexie_research.calibration import generate_dataset

    d = tmp_path_factory.mktemp("data")
    generate_dataset(d, seed=7, scale=0.02)   # full-size congress, 2 % of the network
    return d


def _run(data: Path, out: Path, *extra: str) -> Path:
    code = main(["report", "--data", str(data), "--out", str(out), "--quick", "--no-progress",
                 "--seed", str(SEED), "--lang", "zh", *extra])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def runs(small_data, tmp_path_factory) -> tuple[Path, Path]:
    one = _run(small_data, tmp_path_factory.mktemp("w1"), "--workers", "1")
    two = _run(small_data, tmp_path_factory.mktemp("w2"), "--workers", "2")
    return one, two


def test_every_section_ran(runs):
    summary = json.loads((runs[0] / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["sections"]) == set(SECTIONS)


def test_outputs_are_byte_identical_across_runs_and_workers(runs):
    a, b = (_hashes(r) for r in runs)
    assert set(a) == set(b)
    differ = sorted(k for k in a if a[k] != b[k])
    assert differ == [], f"files that differ between --workers 1 and --workers 2: {differ}"
    kinds = {Path(k).suffix for k in a}
    assert {".json", ".csv", ".png", ".pdf", ".svg", ".html", ".md"} <= kinds
    assert sum(k.endswith(".png") for k in a) >= 5


def test_repeat_run_is_identical(small_data, runs, tmp_path):
    """A plain second run (same workers) of the fast sections gives the same bytes."""
    out = _run(small_data, tmp_path / "again", "--workers", "1", "--sections", "data", "coverage")
    again = _hashes(out)
    first = _hashes(runs[0])
    shared = [k for k in again if k.startswith(("tables/", "figures/"))]
    assert shared and all(again[k] == first[k] for k in shared)


def test_summary_records_provenance(runs, small_data):
    prov = json.loads((runs[0] / "summary.json").read_text(encoding="utf-8"))["provenance"]
    assert prov["version"] == kexie_research.__version__
    assert prov["seed"] == SEED
    assert prov["parameters"]["seed"] == SEED and prov["parameters"]["quick"] is True
    assert prov["parameters"]["lang"] == "zh"
    files = prov["data_files"]
    on_disk = {p.name: p for p in small_data.iterdir() if p.suffix in (".csv", ".gz")}
    assert {v["file"] for v in files.values()} == set(on_disk)
    for kind, v in files.items():
        assert v["sha256"] == file_sha256(on_disk[v["file"]]), kind
        assert v["rows"] > 0
    assert prov["synthetic_data"] is True
