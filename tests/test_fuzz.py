"""A time-bounded fuzz of the loaders: random bytes and mutated valid files.

``read_raw_table`` + ``validate_table`` (through ``load_table``) must end either in a
result whose accounting holds or in one of our exceptions — never anything else. Two
drivers: hypothesis (random bytes, structured mutations of the corpus's valid files,
shrinks failures to a minimal input) and a seeded mutation loop that runs until a fixed
time budget (``KEXIE_FUZZ_SECONDS``, default 12 s) — raise the budget for a longer hunt:
``KEXIE_FUZZ_SECONDS=600 .venv/bin/python -m pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import gzip
import os
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kexie_research.errors import KexieError
from kexie_research.schema import TABLE_KINDS
from kexie_research.validate import load_table

CORPUS = Path(__file__).parent / "corpus"
_MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))["case"]
SEEDS = [(CORPUS / c["file"], c["kind"]) for c in _MANIFEST
         if c["outcome"] == "accept" and c.get("kind") not in (None, "dataset")
         and not c.get("options")]
TEXT_SEEDS = [(p, k) for p, k in SEEDS if p.suffix == ".csv"]
BUDGET = float(os.environ.get("KEXIE_FUZZ_SECONDS", "12"))

# bytes that matter to a CSV reader / decoder
_SPECIAL = [b'"', b",", b";", b"\t", b"\r", b"\n", b"\r\n", b"\x00", b"\xff", b"\xfe", b"\x80",
            b"\xef\xbb\xbf", b"\xe4\xb8", b"\xa1", b"=", b"-", b"1e999", b"NaN", b"\\", b"'",
            "约70".encode(), "是".encode("gbk"), b"2022-02-30", b" ", b"\x1a", b"\x0b"]


def _check(path: Path, kind: str | None) -> None:
    try:
        res = load_table(path, kind, errors="collect")
    except (KexieError, FileNotFoundError):
        return
    assert res.n_input == res.n_accepted + res.n_rejected
    rows = set(res.rejects["row"].dropna().astype(int))
    assert set(res.accepted.index) | rows == set(range(1, res.n_input + 1))
    assert set(res.accepted.index).isdisjoint(rows)


def _mutate(data: bytes, rng: np.random.Generator, n: int) -> bytes:
    b = bytearray(data)
    for _ in range(n):
        op = rng.integers(6)
        pos = int(rng.integers(0, len(b) + 1))
        if op == 0 and b:                                   # flip a byte
            b[min(pos, len(b) - 1)] = int(rng.integers(256))
        elif op == 1:                                       # insert a special token
            tok = _SPECIAL[int(rng.integers(len(_SPECIAL)))]
            b[pos:pos] = tok
        elif op == 2 and b:                                 # delete a run
            del b[pos:pos + int(rng.integers(1, 16))]
        elif op == 3 and b:                                 # duplicate a run (rows, cells)
            end = min(len(b), pos + int(rng.integers(1, 64)))
            b[pos:pos] = b[pos:end]
        elif op == 4:                                       # truncate
            b = b[:pos]
        else:                                               # splice random bytes
            b[pos:pos] = bytes(rng.integers(0, 256, int(rng.integers(1, 8)), dtype=np.uint8))
    return bytes(b)


_FUZZ = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@_FUZZ
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".csv.gz", ".xlsx", ".txt"]),
       kind=st.sampled_from([None, *TABLE_KINDS]))
def test_random_bytes(tmp_path, data, suffix, kind):
    p = tmp_path / f"f{suffix}"
    if suffix == ".csv.gz" and data[:1] != b"\x1f":
        data = gzip.compress(data, mtime=0)
    p.write_bytes(data)
    _check(p, kind)


@_FUZZ
@given(seed=st.sampled_from(TEXT_SEEDS), ops=st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 10_000), st.sampled_from(_SPECIAL),
              st.integers(1, 40)), min_size=1, max_size=6),
    other_kind=st.booleans())
def test_mutated_valid_csv(tmp_path, seed, ops, other_kind):
    path, kind = seed
    b = bytearray(path.read_bytes())
    if path.name.endswith(".gz"):
        b = bytearray(gzip.decompress(bytes(b)))
    for op, pos, tok, n in ops:
        pos = pos % (len(b) + 1)
        if op == 0:
            b[pos:pos] = tok
        elif op == 1:
            del b[pos:pos + n]
        elif op == 2:
            b[pos:pos] = b[pos:pos + n]
        elif op == 3:
            b = b[:pos]
        elif op == 4 and b:
            b[min(pos, len(b) - 1)] = tok[0]
        else:
            b[pos:pos] = tok * n
    p = tmp_path / "m.csv"
    p.write_bytes(bytes(b))
    _check(p, TABLE_KINDS[len(b) % len(TABLE_KINDS)] if other_kind else kind)


def test_time_bounded_mutation_loop(tmp_path):
    """Seeded mutation fuzzing of every valid corpus file (CSV, gzip, xlsx) for BUDGET s."""
    rng = np.random.default_rng(20240)
    originals = [(p, k, p.read_bytes()) for p, k in SEEDS]
    deadline = time.monotonic() + BUDGET
    n = 0
    while time.monotonic() < deadline:
        path, kind, data = originals[n % len(originals)]
        if path.name.endswith(".gz") and rng.random() < 0.5:
            data = gzip.compress(_mutate(gzip.decompress(data), rng, int(rng.integers(1, 6))), mtime=0)
        else:
            data = _mutate(data, rng, int(rng.integers(1, 6)))
        suffix = ".csv.gz" if path.name.endswith(".gz") else path.suffix
        p = tmp_path / f"case{n % 7}{suffix}"
        p.write_bytes(data)
        try:
            _check(p, kind if rng.random() < 0.8 else None)
        except AssertionError:
            raise
        except Exception as exc:  # keep the input that broke it, for a corpus case
            keep = Path(tmp_path) / f"crash{suffix}"
            keep.write_bytes(data)
            pytest.fail(f"{type(exc).__name__}: {exc} on a mutation of {path.name} "
                        f"(input kept at {keep})")
        n += 1
    assert n >= 20, f"only {n} inputs in {BUDGET} s"
