"""kexie_research.io: inputs that cannot hurt (regular files, limits), outputs that cannot
clobber (checked paths, atomic writes, a full disk), folders swapped in whole under a lock.

The malformed-input corpus (tests/test_corpus.py) drives the same code through the CLI;
these tests pin the API and the cases a corpus file cannot express (a full disk, a lock
held by another process, a run killed between steps).
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from kexie_research import io as kio
from kexie_research.errors import (DataValidationError, OutputLockedError, OutputWriteError,
                                   UnsafeOutputError)
from kexie_research.io import (DirectoryLock, InputLimits, atomic_write_bytes, check_output_path,
                               input_limits, limit_inputs, parse_size, read_raw_table,
                               staged_directory, write_csv, write_text)

CORPUS = Path(__file__).parent / "corpus"


# ---- inputs -------------------------------------------------------------------------------

def test_a_fifo_is_refused_at_once_without_a_writer(tmp_path):
    fifo = tmp_path / "att.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataValidationError) as ei:
        read_raw_table(fifo)          # would block forever in open() without O_NONBLOCK
    assert ei.value.rule == "regular_file" and "FIFO" in str(ei.value)


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/null"])
def test_devices_and_links_to_them_are_refused(tmp_path, target):
    link = tmp_path / "t.csv"
    link.symlink_to(target)
    for p in (Path(target), link):
        with pytest.raises(DataValidationError, match="character device"):
            read_raw_table(p)


def test_size_limit_counts_decompressed_bytes(tmp_path):
    import gzip

    data = b"rep_id,training_id,hours,completed,role\n" + b"R1,T1,1,yes,learner\n" * 5000
    p = tmp_path / "a.csv.gz"
    p.write_bytes(gzip.compress(data))
    assert p.stat().st_size < 2000 < len(data)
    with limit_inputs(max_bytes=len(data) - 1):
        with pytest.raises(DataValidationError) as ei:
            read_raw_table(p)
    assert ei.value.rule == "size_limit" and "--max-input-bytes" in str(ei.value)
    with limit_inputs(max_bytes=len(data)):
        assert len(read_raw_table(p).frame) == 5000     # exactly at the limit is fine


def test_cell_limit_counts_rows_times_columns(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("a,b\n" + "1,2\n" * 9, encoding="utf-8")     # 20 cells with the header
    with limit_inputs(max_cells=20):
        assert len(read_raw_table(p).frame) == 9
    with limit_inputs(max_cells=19), pytest.raises(DataValidationError, match="more than 19 cells"):
        read_raw_table(p)


def test_limits_come_from_the_environment_and_contexts_nest(monkeypatch):
    monkeypatch.delenv("KEXIE_MAX_INPUT_BYTES", raising=False)
    monkeypatch.delenv("KEXIE_MAX_CELLS", raising=False)
    assert input_limits() == InputLimits(64 * 2 ** 20, 4_000_000)
    monkeypatch.setenv("KEXIE_MAX_INPUT_BYTES", "1G")
    assert input_limits().max_bytes == 2 ** 30
    with limit_inputs(max_cells=7):
        assert input_limits() == InputLimits(2 ** 30, 7)
        with limit_inputs(max_bytes=5):
            assert input_limits() == InputLimits(5, 7)
        assert input_limits().max_bytes == 2 ** 30
    monkeypatch.setenv("KEXIE_MAX_CELLS", "many")
    with pytest.raises(DataValidationError, match="KEXIE_MAX_CELLS"):
        input_limits()


@pytest.mark.parametrize("text,value", [("123", 123), ("1e6", 10 ** 6), ("64M", 64 * 2 ** 20),
                                        ("2 GiB", 2 * 2 ** 30), ("512k", 512 * 1024)])
def test_parse_size(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "lots", "-5", "0", "1e400", "nan", "5 parsecs"])
def test_parse_size_refuses(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_xlsx_reads_only_existing_cells_whatever_the_declared_dimension():
    raw = read_raw_table(CORPUS / "files" / "att_cell_at_xfd1048576.xlsx")
    assert raw.frame.shape == (4, 5)
    assert raw.problems == ((4, None, "stray", "field_count",
                             "a value beyond the last named column (5 columns)"),)


def test_one_line_messages_from_libraries(tmp_path):
    """openpyxl and the zip module speak in several lines; our errors never do."""
    p = tmp_path / "broken.xlsx"
    p.write_bytes((CORPUS / "files" / "cst_beyond_header.xlsx").read_bytes()[:-300])
    with pytest.raises(DataValidationError) as ei:
        read_raw_table(p)
    assert "\n" not in str(ei.value)
    e = DataValidationError("first line\nsecond line\n\tthird", file="f.csv", rule="r")
    assert str(e) == "f.csv: first line second line third [rule: r]"


# ---- outputs ------------------------------------------------------------------------------

def test_output_checks(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(src)
    os.link(src, tmp_path / "hard.csv")
    os.mkfifo(tmp_path / "fifo")
    for same in ("in.csv", "link.csv", "hard.csv"):
        with pytest.raises(UnsafeOutputError, match="also an input"):
            check_output_path(tmp_path / same, inputs=[src], option="--rejects")
    with pytest.raises(UnsafeOutputError, match="FIFO"):
        check_output_path(tmp_path / "fifo")
    with pytest.raises(UnsafeOutputError, match="character device"):
        check_output_path("/dev/null")
    with pytest.raises(UnsafeOutputError, match="is a directory"):
        check_output_path(tmp_path)
    with pytest.raises(UnsafeOutputError, match="is a file, not a folder"):
        check_output_path(src, directory=True)
    with pytest.raises(UnsafeOutputError, match="holds the input"):
        check_output_path(tmp_path, inputs=[src], directory=True)
    assert check_output_path(tmp_path / "new.csv", inputs=[src]) == tmp_path / "new.csv"
    assert stat.S_ISFIFO(os.stat(tmp_path / "fifo").st_mode)   # untouched


@pytest.mark.parametrize("writer", ["bytes", "csv"])
def test_writers_never_replace_a_fifo_or_a_directory(tmp_path, writer):
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "dir.csv").mkdir()
    write = {"bytes": lambda p: atomic_write_bytes(p, b"x"),
             "csv": lambda p: write_csv(p, pd.DataFrame({"a": [1]}))}[writer]
    for name in ("fifo.csv", "dir.csv"):
        with pytest.raises(UnsafeOutputError):
            write(tmp_path / name)
    assert stat.S_ISFIFO(os.stat(tmp_path / "fifo.csv").st_mode)
    assert (tmp_path / "dir.csv").is_dir()


def _disk_full(monkeypatch):
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def write(self, b):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()
            return False

    monkeypatch.setattr(kio.os, "fdopen", lambda fd, mode="r": Full(real_fdopen(fd, mode))
                        if "w" in mode else real_fdopen(fd, mode))


def test_disk_full_names_the_path_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "r.txt"
    target.write_text("old", encoding="utf-8")
    _disk_full(monkeypatch)
    with pytest.raises(OutputWriteError) as ei:
        write_text(target, "new")
    assert ei.value.errno == errno.ENOSPC
    assert str(ei.value) == f"cannot write {target}: No space left on device"
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.txt"]      # no temporary file left


def test_cli_disk_full_is_exit_2_with_one_line(tmp_path, monkeypatch, capsys):
    from kexie_research.cli import main

    _disk_full(monkeypatch)
    code = main(["validate", str(CORPUS / "files" / "att_negative_hours.csv"), "--kind",
                 "attendance", "--rejects", str(tmp_path / "rejects.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"error: cannot write {tmp_path / 'rejects.csv'}: No space left on device\n"


# ---- a folder swapped in whole, under a lock --------------------------------------------

def _tree(d: Path) -> dict:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_staged_directory_swaps_in_whole(tmp_path):
    out = tmp_path / "out"
    with staged_directory(out) as stage:
        assert stage.parent == tmp_path and stage.name.startswith(".out.staging-")
        (stage / "a.txt").write_text("1")
        assert not out.exists()                # nothing visible until the end
    assert _tree(out) == {"a.txt": b"1"}
    with staged_directory(out, replaceable=lambda p: True) as stage:
        (stage / "b.txt").write_text("2")
        assert _tree(out) == {"a.txt": b"1"}   # the previous run, whole, until the swap
    assert _tree(out) == {"b.txt": b"2"}       # one run, never a mix
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_staged_directory_interrupted_keeps_the_previous_run(tmp_path, exc):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("previous")
    with pytest.raises(exc):
        with staged_directory(out, replaceable=lambda p: True) as stage:
            (stage / "a.txt").write_text("half")
            raise exc()
    assert _tree(out) == {"a.txt": b"previous"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_staged_directory_refuses_what_it_may_not_replace(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(UnsafeOutputError, match="is a file"):
        with staged_directory(tmp_path / "f"):
            pass
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(UnsafeOutputError, match="refusing to replace"):
        with staged_directory(mine):
            pass
    assert (mine / "notes.txt").read_text() == "keep"


def test_staged_directory_without_renameat2_swaps_too(tmp_path, monkeypatch):
    monkeypatch.setattr(kio, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a").write_text("old")
    with staged_directory(out, replaceable=lambda p: True) as stage:
        (stage / "b").write_text("new")
    assert _tree(out) == {"b": b"new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_second_run_is_refused_while_the_lock_is_held(tmp_path):
    out = tmp_path / "out"
    with staged_directory(out):
        with pytest.raises(OutputLockedError, match=f"pid {os.getpid()}"):
            with staged_directory(out):
                pass
    with staged_directory(out, replaceable=lambda p: True):   # released: fine again
        pass


def test_a_killed_run_leaves_no_lock_and_its_staging_folder_is_cleaned(tmp_path):
    """flock dies with its process; the next run removes the orphaned staging folder."""
    out = tmp_path / "out"
    code = textwrap.dedent(f"""
        import os
        from kexie_research.io import staged_directory
        with staged_directory({str(out)!r}) as stage:
            (stage / "half.txt").write_text("x")
            os._exit(9)     # killed mid-run: no clean-up at all
    """)
    p = subprocess.run([sys.executable, "-c", code], timeout=120)
    assert p.returncode == 9
    assert [q.name for q in tmp_path.glob(".out.staging-*")]
    with staged_directory(out) as stage:
        (stage / "full.txt").write_text("y")
    assert _tree(out) == {"full.txt": b"y"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_directory_lock_across_processes(tmp_path):
    out = tmp_path / "out"
    with DirectoryLock(out):
        code = ("from kexie_research.io import DirectoryLock\n"
                f"DirectoryLock({str(out)!r}).acquire()\n")
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert p.returncode == 1 and "OutputLockedError" in p.stderr and "another" in p.stderr
    assert not (tmp_path / ".out.lock").exists()


def test_workbook_with_unsupported_zip_version_is_bad_input(tmp_path):
    # found by the time-bounded fuzz loop: a mutated central directory claiming zip version
    # 18.8 made zipfile raise NotImplementedError, which the CLI reported as a bug (exit 1)
    import io as _io
    import zipfile

    from kexie_research.errors import DataValidationError
    from kexie_research.validate import load_table

    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(buf.getvalue())
    cd = data.index(b"PK\x01\x02")
    data[cd + 6] = 188                      # "version needed to extract" = 18.8
    p = tmp_path / "bad.xlsx"
    p.write_bytes(bytes(data))
    with pytest.raises(DataValidationError, match="not a readable .xlsx"):
        load_table(p, "trainings")
