"""Reading raw tables (CSV in any common Chinese encoding, XLSX) and writing outputs safely.

Reading never guesses silently: the detected encoding is returned and reported. Inputs
must be regular files (never a FIFO, a device or a directory) and stay within documented
limits (:class:`InputLimits`: bytes after decompression, cells), so a hostile file cannot
hang the reader or exhaust memory. Workbooks are read sparsely: only the cells that exist
in the sheet's XML, whatever dimension the sheet declares.

Writing goes through one path: atomic (temporary file + ``os.replace``), confined to an
output root, deterministic (JSON with sorted keys, CSV with a fixed line ending), neutral
to spreadsheet formula injection, and never onto something that is not a regular file
(:func:`check_output_path`). A folder of outputs (the report) is built in a staging folder
and swapped in whole, under a lock (:func:`staged_directory`).
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import csv
import errno
import gzip
import hashlib
import io
import json
import math
import os
import re
import shutil
import stat
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from .errors import DataValidationError, OutputLockedError, OutputWriteError, UnsafeOutputError

__all__ = [
    "RawTable",
    "InputLimits",
    "input_limits",
    "limit_inputs",
    "parse_size",
    "read_raw_table",
    "open_input",
    "detect_encoding",
    "neutralize_formulas",
    "check_output_path",
    "atomic_write_bytes",
    "write_text",
    "write_json",
    "write_csv",
    "write_xlsx",
    "staged_directory",
    "DirectoryLock",
    "to_jsonable",
    "file_sha256",
    "one_line",
    "MAX_FIELD_CHARS",
    "DEFAULT_MAX_INPUT_BYTES",
    "DEFAULT_MAX_CELLS",
]

MAX_FIELD_CHARS = 100_000
"""A cell longer than this is refused as corrupt input (a runaway quote, a binary blob)."""

DEFAULT_MAX_INPUT_BYTES = 64 * 1024 ** 2
"""Largest input accepted, in bytes after decompression (64 MiB; the largest shipped table,
the national links table, is 25 MB). Raise it with ``--max-input-bytes`` or the environment
variable ``KEXIE_MAX_INPUT_BYTES``."""

DEFAULT_MAX_CELLS = 4_000_000
"""Most cells (rows x columns, header included) read from one table: 4 million (the largest
shipped table has 1.7 million) keeps the peak memory of loading and validating one table
under 1.5 GB. Raise it with ``--max-cells`` or ``KEXIE_MAX_CELLS``."""

XLSX_PART_FACTOR = 4
"""A workbook part (a sheet's XML, the shared strings) may unpack to this many times the
byte limit: XML spends several bytes of markup per cell."""

_ENCODINGS = ("utf-8", "gb18030")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def one_line(text: Any) -> str:
    """``text`` as one line: runs of whitespace (newlines included) become one space.

    Examples
    --------
    >>> one_line("File is not\\n  a zip file ")
    'File is not a zip file'
    """
    return " ".join(str(text).split())


# ---- limits --------------------------------------------------------------------------------

_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024 ** 2, "mb": 1024 ** 2,
               "mib": 1024 ** 2, "g": 1024 ** 3, "gb": 1024 ** 3, "gib": 1024 ** 3}


def parse_size(text: str | int) -> int:
    """A positive size or count: ``123``, ``1e6``, ``64M``, ``2G``, ``512KiB`` (binary units).

    Raises :class:`ValueError` (with the allowed forms) for anything else.

    Examples
    --------
    >>> parse_size("64M"), parse_size("2g"), parse_size("1e6"), parse_size(10)
    (67108864, 2147483648, 1000000, 10)
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value = float(text)
    else:
        m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?(?:[eE][+]?[0-9]+)?)\s*([A-Za-z]*)\s*", str(text))
        if not m or m.group(2).lower() not in _SIZE_UNITS:
            raise ValueError(f"not a size: {text!r} (use e.g. 1000000, 1e6, 64M, 2G)")
        value = float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()]
    if not math.isfinite(value) or value < 1 or value > 2 ** 62:
        raise ValueError(f"not a usable size: {text!r} (between 1 and 2**62)")
    return int(value)


@dataclass(frozen=True, slots=True)
class InputLimits:
    """Limits on one input table (see ``docs/robustness.md``).

    Attributes
    ----------
    max_bytes : int
        Bytes of the file after decompression (a ``.csv.gz``); an ``.xlsx`` file itself, and
        each of its parts unpacked up to ``XLSX_PART_FACTOR`` times this.
    max_cells : int
        Cells read (rows x columns of a CSV, cells present in a sheet).
    """

    max_bytes: int = DEFAULT_MAX_INPUT_BYTES
    max_cells: int = DEFAULT_MAX_CELLS

    @classmethod
    def from_env(cls) -> "InputLimits":
        """Defaults, overridden by ``KEXIE_MAX_INPUT_BYTES`` / ``KEXIE_MAX_CELLS``."""
        kw = {}
        for var, key in (("KEXIE_MAX_INPUT_BYTES", "max_bytes"), ("KEXIE_MAX_CELLS", "max_cells")):
            raw = os.environ.get(var)
            if raw:
                try:
                    kw[key] = parse_size(raw)
                except ValueError as exc:
                    raise DataValidationError(f"environment variable {var}: {exc}",
                                              rule="limits") from None
        return cls(**kw)


_LIMITS: contextvars.ContextVar[InputLimits | None] = contextvars.ContextVar("kexie_input_limits",
                                                                           default=None)


def input_limits() -> InputLimits:
    """The limits in force: those set by :func:`limit_inputs`, else the environment's."""
    return _LIMITS.get() or InputLimits.from_env()


@contextlib.contextmanager
def limit_inputs(*, max_bytes: int | None = None, max_cells: int | None = None) -> Iterator[InputLimits]:
    """Raise (or lower) the input limits inside a ``with`` block.

    Examples
    --------
    >>> with limit_inputs(max_bytes=1024) as lim:
    ...     input_limits().max_bytes
    1024
    """
    base = input_limits()
    lim = InputLimits(max_bytes=base.max_bytes if max_bytes is None else int(max_bytes),
                      max_cells=base.max_cells if max_cells is None else int(max_cells))
    token = _LIMITS.set(lim)
    try:
        yield lim
    finally:
        _LIMITS.reset(token)


def _limit_error(path: str, what: str, limit: int, flag: str, env: str) -> DataValidationError:
    return DataValidationError(
        f"{what} (limit {limit:,}); if the file is genuine, raise the limit with {flag} or "
        f"the environment variable {env}", file=path, rule="size_limit")


def _bytes_limit_error(path: str, what: str, limit: int) -> DataValidationError:
    return _limit_error(path, what, limit, "--max-input-bytes", "KEXIE_MAX_INPUT_BYTES")


def _cells_limit_error(path: str, what: str, limit: int) -> DataValidationError:
    return _limit_error(path, what, limit, "--max-cells", "KEXIE_MAX_CELLS")


# ---- opening inputs ------------------------------------------------------------------------

_FILE_TYPES = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _file_type(mode: int) -> str:
    for test, name in _FILE_TYPES:
        if test(mode):
            return name
    return "not a regular file"


@contextlib.contextmanager
def open_input(path: str | os.PathLike) -> Iterator[tuple[io.BufferedReader, os.stat_result]]:
    """Open ``path`` for reading only if it is a regular file (symlinks followed).

    The file is opened without blocking and checked on the open descriptor, so a FIFO, a
    device (``/dev/zero``), a socket or a directory is refused at once (rule
    ``regular_file``; ``format`` for a directory) instead of hanging or streaming forever.

    Yields
    ------
    (file object, stat result)

    Raises
    ------
    FileNotFoundError, DataValidationError
    """
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {p}") from None
    except IsADirectoryError:
        raise DataValidationError("expected a file, got a directory", file=str(p), rule="format") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise DataValidationError("expected a file, got a directory", file=str(p), rule="format")
        if not stat.S_ISREG(st.st_mode):
            raise DataValidationError(
                f"not a regular file ({_file_type(st.st_mode)}); inputs must be regular files — "
                "copy the data into a file first", file=str(p), rule="regular_file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with fh:
        yield fh, st


def _read_bytes(path: Path, limits: InputLimits) -> bytes:
    """The file's bytes (decompressed for ``.gz``), within ``limits.max_bytes``."""
    with open_input(path) as (fh, st):
        if path.suffix.lower() == ".gz":
            if st.st_size > limits.max_bytes:
                raise _bytes_limit_error(str(path), f"the compressed file alone has "
                                         f"{st.st_size:,} bytes", limits.max_bytes)
            try:
                # stream: a gzip bomb stops at the limit instead of filling memory
                with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
                    data = gz.read(limits.max_bytes + 1)
            except (OSError, EOFError, zlib.error) as exc:
                raise DataValidationError(f"not a readable gzip file: {one_line(exc)}",
                                          file=str(path), rule="format") from None
            if len(data) > limits.max_bytes:
                raise _bytes_limit_error(str(path), f"decompresses to more than "
                                         f"{limits.max_bytes:,} bytes", limits.max_bytes)
            return data
        if st.st_size > limits.max_bytes:
            raise _bytes_limit_error(str(path), f"the file has {st.st_size:,} bytes", limits.max_bytes)
        data = fh.read(limits.max_bytes + 1)
        if len(data) > limits.max_bytes:   # grew while we read it
            raise _bytes_limit_error(str(path), f"the file has more than {limits.max_bytes:,} "
                                     "bytes", limits.max_bytes)
        return data


@dataclass(frozen=True, slots=True)
class RawTable:
    """A table as read from disk: every cell a string, plus where and how it was read.

    ``problems`` lists rows that could not be read as the header says (a row with too many
    or too few fields): ``(row, column, value, rule, message)`` tuples. Those rows are still
    in ``frame`` (padded or cut to the header's width) so that row numbers stay those of
    the file; :func:`kexie_research.validate.validate_table` rejects them. ``delimiter`` is
    the CSV field separator (``None`` for a workbook): with ``;`` a comma in a number is
    more likely a decimal comma (see :mod:`kexie_research.validate`).
    """

    frame: pd.DataFrame
    path: str
    encoding: str | None
    sheet: str | None = None
    had_bom: bool = False
    problems: tuple[tuple, ...] = ()
    delimiter: str | None = None


# ---- encodings -----------------------------------------------------------------------------

def detect_encoding(data: bytes, *, path: str = "<bytes>") -> tuple[str, bool]:
    """Return ``(encoding, had_bom)`` for CSV bytes.

    Tries, in order: a UTF-8, UTF-32 or UTF-16 byte-order mark, strict UTF-8, strict
    GB18030 (a superset of GBK and GB2312, what Chinese Excel exports). Anything else raises
    :class:`DataValidationError` naming the first undecodable byte. Look-alikes are refused
    rather than misread: UTF-16/UTF-32 without a byte-order mark, UTF-8 that is corrupt or
    cut short (which GB18030 would otherwise "decode" into mojibake), and files pieced
    together from rows in different encodings (some rows UTF-8, others GBK).

    Examples
    --------
    >>> detect_encoding("代表".encode("gbk"))
    ('gb18030', False)
    >>> detect_encoding(codecs.BOM_UTF8 + b"a,b")
    ('utf-8-sig', True)
    >>> detect_encoding("代表大会".encode("utf-8")[:-1])
    Traceback (most recent call last):
    ...
    kexie_research.errors.DataValidationError: <bytes>: the file is UTF-8 but cut short in the middle of a character (truncated?) at offset 9, line 1; re-save it or pass the encoding explicitly [rule: encoding]
    >>> detect_encoding("id,name\\n1,张三\\n".encode("utf-8") + "2,李四\\n".encode("gbk"))
    Traceback (most recent call last):
    ...
    kexie_research.errors.DataValidationError: <bytes>, row 2: mixed encodings: line 3 (row 2) is GBK/GB18030 but line 2 (row 1) is UTF-8 — the file was pieced together from differently saved files; re-save it in one encoding (UTF-8) [rule: encoding]
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", True
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        return "utf-32", True
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", True
    wide = _looks_wide(data)
    if wide:
        raise DataValidationError(
            f"the file looks like {wide.upper()} without a byte-order mark; re-save it as "
            f"UTF-8 or pass the encoding explicitly (--encoding {wide})", file=path,
            rule="encoding")
    try:
        data.decode("utf-8", errors="strict")
        return "utf-8", False
    except UnicodeDecodeError as exc:
        first_error = exc
    _refuse_truncated_utf8(data, first_error, path)
    _refuse_mixed_encodings(data, path)
    _refuse_broken_utf8(data, first_error, path)
    try:
        data.decode("gb18030", errors="strict")
        return "gb18030", False
    except UnicodeDecodeError:
        pass
    line = data[: first_error.start].count(b"\n") + 1
    raise DataValidationError(
        f"cannot decode the file as UTF-8 or GB18030/GBK (first bad byte at offset "
        f"{first_error.start}, line {line}); re-save it as UTF-8 or pass the encoding explicitly",
        file=path, rule="encoding")


def _looks_wide(data: bytes) -> str | None:
    """``"utf-32-le"``/``"utf-32-be"``/``"utf-16-le"``/``"utf-16-be"`` when NUL bytes sit in
    the places a BOM-less UTF-32 or UTF-16 text puts them."""
    head = data[:4096]
    if len(head) < 8 or b"\x00" not in head:
        return None
    n = len(head) - len(head) % 4
    lanes = [head[i:n:4] for i in range(4)]
    z = [lane.count(0) / len(lane) for lane in lanes]
    if z[2] > 0.9 and z[3] > 0.9 and z[0] < 0.05:
        return "utf-32-le"
    if z[0] > 0.9 and z[1] > 0.9 and z[3] < 0.05:
        return "utf-32-be"
    even, odd = head[0::2], head[1::2]
    z_even, z_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if z_odd > 0.3 and z_even < 0.05:
        return "utf-16-le"
    if z_even > 0.3 and z_odd < 0.05:
        return "utf-16-be"
    return None


def _row_of_line(lines: list[bytes], index: int) -> int | None:
    """Data row (1-based, header and blank lines not counted) of line ``index`` (0-based)."""
    header = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if header is None or index <= header:
        return None
    return sum(1 for ln in lines[header + 1: index + 1] if ln.strip())


def _refuse_truncated_utf8(data: bytes, err: UnicodeDecodeError, path: str) -> None:
    prefix = data[: err.start].decode("utf-8")
    non_ascii = any(ord(ch) >= 0x80 for ch in prefix)
    if err.reason == "unexpected end of data" and err.end >= len(data) and non_ascii:
        line = data[: err.start].count(b"\n") + 1
        raise DataValidationError(
            f"the file is UTF-8 but cut short in the middle of a character (truncated?) at "
            f"offset {err.start}, line {line}; re-save it or pass the encoding explicitly",
            file=path, rule="encoding")


def _utf8_text_line(line: bytes) -> bool:
    """True when a non-ASCII line is strict UTF-8 holding CJK or other wide characters
    (GBK text essentially never forms such a line by accident)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(ord(ch) >= 0x800 for ch in text)


def _refuse_mixed_encodings(data: bytes, path: str) -> None:
    """Raise when some lines are UTF-8 and others GBK/GB18030 (a file pieced together)."""
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    first: dict[str, int] = {}
    for i, ln in enumerate(lines):
        if ln.isascii():
            continue
        if _utf8_text_line(ln):
            cls = "UTF-8"
        else:
            try:
                ln.decode("gb18030")
            except UnicodeDecodeError:
                continue
            cls = "GBK/GB18030"
        first.setdefault(cls, i)
        if len(first) == 2:
            break
    if len(first) < 2:
        return
    (a, ia), (b, ib) = sorted(first.items(), key=lambda kv: kv[1])
    ra, rb = _row_of_line(lines, ia), _row_of_line(lines, ib)
    where_a = f"line {ia + 1}" + (f" (row {ra})" if ra else " (the header)")
    where_b = f"line {ib + 1}" + (f" (row {rb})" if rb else "")
    raise DataValidationError(
        f"mixed encodings: {where_b} is {b} but {where_a} is {a} — the file was pieced "
        "together from differently saved files; re-save it in one encoding (UTF-8)",
        file=path, row=rb, rule="encoding")


def _refuse_broken_utf8(data: bytes, err: UnicodeDecodeError, path: str) -> None:
    """Raise if ``data`` is evidently UTF-8 with a corrupt part.

    GB18030 accepts almost any byte pair, so UTF-8 with one bad byte would otherwise be
    read as GB18030 mojibake without a word. Evidence of UTF-8: the text before the first
    bad byte holds at least two three-byte UTF-8 characters (CJK), which GBK text
    essentially never forms by accident.
    """
    prefix = data[: err.start].decode("utf-8")
    wide = sum(1 for ch in prefix if ord(ch) >= 0x800)
    non_ascii = sum(1 for ch in prefix if ord(ch) >= 0x80)
    line = data[: err.start].count(b"\n") + 1
    if wide >= 2 and wide * 2 >= non_ascii:
        raise DataValidationError(
            f"the file is UTF-8 but has an invalid byte 0x{data[err.start]:02x} at offset "
            f"{err.start}, line {line} (corrupt or mixed encodings); fix or re-save it as UTF-8",
            file=path, rule="encoding")


# ---- CSV -----------------------------------------------------------------------------------

def _unclosed_quote(text: str, start_line: int, delimiter: str) -> bool:
    """True when the row starting at ``start_line`` (1-based) opens a quote never closed."""
    tail = text.split("\n", start_line - 1)[-1] if start_line > 1 else text
    try:
        for _ in csv.reader(io.StringIO(tail), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time (no second copy of a large text in memory)."""
    start, n = 0, len(text)
    while start < n:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def _csv_rows(text: str, path: str, delimiter: str, limits: InputLimits) -> list[list[str]]:
    """Non-blank rows of ``text``, refusing runaway fields, unclosed quotes and too many cells.

    Repeated short cell values (categories, yes/no, codes) are stored once: on national
    tables this halves the memory of the rows."""
    csv.field_size_limit(MAX_FIELD_CHARS + 1)
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=False)
    rows: list[list[str]] = []
    shared: dict[str, str] = {}
    n_cells = 0
    last_start = 1
    try:
        while True:
            start = reader.line_num + 1
            try:
                r = next(reader)
            except StopIteration:
                break
            # drop wholly blank lines (e.g. a trailing newline); nothing else is dropped
            if not "".join(r).strip():
                continue
            last_start = start
            n_cells += len(r)
            if n_cells > limits.max_cells:
                raise _cells_limit_error(path, f"more than {limits.max_cells:,} cells (reached "
                                         f"at line {reader.line_num})", limits.max_cells)
            if len(shared) < 1_000_000:
                r = [shared.setdefault(v, v) if len(v) <= 24 else v for v in r]
            rows.append(r)
    except csv.Error as exc:
        line = reader.line_num
        if "field larger" in str(exc):
            raise DataValidationError(
                f"a cell longer than {MAX_FIELD_CHARS:,} characters near line {line} (a runaway "
                "field: an unclosed quote or binary data?)", file=path, row=max(line - 1, 1),
                rule="field_size") from None
        raise DataValidationError(f"unreadable CSV near line {line}: {one_line(exc)}",
                                  file=path, row=max(line - 1, 1), rule="csv_syntax") from None
    if len(rows) > 1 and any("\n" in f for f in rows[-1]) and _unclosed_quote(text, last_start, delimiter):
        r = rows[-1]
        j = next(i for i, f in enumerate(r) if "\n" in f)
        cols = [h.strip() for h in rows[0]]
        col = cols[j] if j < len(cols) and cols[j] else f"#{j + 1}"
        n_lines = r[j].rstrip("\n").count("\n")
        raise DataValidationError(
            f"an unclosed quote (\") opens in line {last_start} and runs to the end of the file, "
            f"swallowing {n_lines} more line{'s' if n_lines != 1 else ''}; close the quote",
            file=path, row=len(rows) - 1, column=col, rule="unclosed_quote")
    return rows


def _csv_frame(text: str, path: str, limits: InputLimits | None = None):
    limits = limits or input_limits()
    # normalise mixed line endings first; quoted fields keep their inner newlines
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DataValidationError("the file is empty (no header, no rows)", file=path, rule="non_empty")
    try:
        dialect = csv.Sniffer().sniff(next(_lines(text[:20000])).rstrip("\n"), delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = _csv_rows(text, path, delimiter, limits)
    if not rows:
        raise DataValidationError("the file is empty (no header, no rows)", file=path, rule="non_empty")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    # trailing separators on every line (a common Excel export) make empty columns: drop them
    while len(header) > 1 and header[-1] == "" and all(
            len(r) < len(header) or not r[len(header) - 1].strip() for r in body):
        header.pop()
    width = len(header)
    problems = []
    for i, r in enumerate(body, start=1):
        if len(r) == width:
            continue
        if not (len(r) > width and not "".join(r[width:]).strip()):
            shown = delimiter.join(r)
            problems.append((i, None, shown[:200], "field_count",
                             f"row has {len(r)} fields but the header has {width} "
                             "(a stray separator or quote?)"))
        body[i - 1] = (r + [""] * width)[:width]   # kept, so row numbers stay the file's
    return _frame_from_rows(header, body, path), tuple(problems), delimiter


def _frame_from_rows(header: list[str], body: list[list[Any]], path: str) -> pd.DataFrame:
    for j, h in enumerate(header):
        if not h or h.startswith("Unnamed:"):
            raise DataValidationError(
                f"header cell {j + 1} is empty (merged or missing header cells?)",
                file=path, column=f"#{j + 1}", rule="header")
    seen: dict[str, int] = {}
    for j, h in enumerate(header):
        if h in seen:
            raise DataValidationError(
                f"column name appears twice (columns {seen[h] + 1} and {j + 1})",
                file=path, column=h, rule="duplicate_column")
        seen[h] = j
    frame = pd.DataFrame(body, columns=header, dtype=object)
    return frame


# ---- XLSX ----------------------------------------------------------------------------------

def _check_workbook_parts(fh, path: str, limits: InputLimits) -> None:
    """Refuse a workbook that is not a zip, or whose parts unpack beyond the limits."""
    import zipfile

    try:
        zf = zipfile.ZipFile(fh)
    except Exception as exc:  # noqa: BLE001 - BadZipFile, an unsupported zip version (NotImplementedError), ...
        raise DataValidationError(f"not a readable .xlsx workbook ({one_line(exc)})", file=path,
                                  rule="format") from None
    part_limit = XLSX_PART_FACTOR * limits.max_bytes
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.file_size > part_limit:
            raise _bytes_limit_error(path, f"the workbook part {info.filename} unpacks to "
                                     f"{info.file_size:,} bytes (more than {XLSX_PART_FACTOR} x "
                                     "the input limit)", limits.max_bytes)
    if total > 2 * part_limit:
        raise _bytes_limit_error(path, f"the workbook unpacks to {total:,} bytes", limits.max_bytes)
    fh.seek(0)


def _sheet_cells(wb, ws, path: str, limits: InputLimits):
    """Rows of a read-only sheet as ``[(row_number, [(column, value), ...]), ...]`` holding
    only the non-empty cells the sheet's XML contains, plus the merged ranges.

    openpyxl's own streaming parser is used directly: its read-only ``iter_rows`` pads every
    row to the declared width and fills every missing row up to the declared height, which
    for a single cell at XFD1048576 means 17 billion empty cells.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    parser = WorkSheetParser(ws._get_source(), ws._shared_strings, data_only=True,
                             epoch=wb.epoch, date_formats=wb._date_formats,
                             timedelta_formats=wb._timedelta_formats)
    rows = []
    n_cells = 0
    try:
        for idx, cells in parser.parse():
            vals = [(c["column"], c["value"]) for c in cells
                    if c["value"] is not None and str(c["value"]).strip()]
            if not vals:
                continue
            n_cells += len(vals)
            if n_cells > limits.max_cells:
                raise _cells_limit_error(path, f"more than {limits.max_cells:,} non-empty cells "
                                         f"(reached at row {idx})", limits.max_cells)
            rows.append((idx, vals))
    finally:
        parser.source.close()
    merged = [m.ref for m in (parser.merged_cells.mergeCell if parser.merged_cells else [])]
    return rows, merged


def _xlsx_frame(path: Path, sheet: str | None, kind_hint: str | None,
                limits: InputLimits | None = None):
    limits = limits or input_limits()
    try:
        import openpyxl
        from openpyxl.utils.cell import range_boundaries
    except ImportError as exc:  # pragma: no cover - openpyxl is a core dependency
        raise DataValidationError("reading .xlsx needs openpyxl", file=str(path)) from exc
    with open_input(path) as (fh, st):
        if st.st_size > limits.max_bytes:
            raise _bytes_limit_error(str(path), f"the workbook has {st.st_size:,} bytes", limits.max_bytes)
        _check_workbook_parts(fh, str(path), limits)
        try:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for corrupt files
            raise DataValidationError(f"not a readable .xlsx workbook ({type(exc).__name__}: "
                                      f"{one_line(exc)})", file=str(path), rule="format") from None
        try:
            names = wb.sheetnames
            if sheet is None:
                if len(names) == 1:
                    sheet = names[0]
                elif kind_hint and kind_hint in names:
                    sheet = kind_hint
                else:
                    raise DataValidationError(
                        f"the workbook has {len(names)} sheets ({', '.join(names)}); choose one "
                        "(--sheet NAME) or name one after the table kind", file=str(path), rule="sheet")
            if sheet not in names:
                raise DataValidationError(f"no sheet {sheet!r}; sheets: {', '.join(names)}",
                                          file=str(path), rule="sheet")
            where = f"{path}[{sheet}]"
            try:
                rows, merged = _sheet_cells(wb, wb[sheet], where, limits)
            except DataValidationError:
                raise
            except Exception as exc:  # noqa: BLE001 - corrupt sheet XML, refused entities...
                raise DataValidationError(f"not a readable worksheet ({type(exc).__name__}: "
                                          f"{one_line(exc)})", file=where, rule="format") from None
        finally:
            wb.close()
    if not rows:
        raise DataValidationError("the sheet is empty", file=where, rule="non_empty")
    header_row, header_cells = rows[0]
    merged_header = [r for r in merged
                     if range_boundaries(r)[1] <= header_row <= range_boundaries(r)[3]]
    if merged_header:
        raise DataValidationError(
            f"merged cells in the header row ({', '.join(merged_header)}); unmerge them so "
            "each column has its own name", file=where, row=None, rule="header")
    width = max(c for c, _ in header_cells)
    header = [""] * width
    for c, v in header_cells:
        header[c - 1] = _cell_text(v).strip()
    body, problems = [], []
    for _, cells in rows[1:]:
        line = [""] * width
        extra = None
        for c, v in cells:
            if c <= width:
                line[c - 1] = _cell_text(v)
            elif extra is None:
                extra = v
        if extra is not None:
            problems.append((len(body) + 1, None, _cell_text(extra)[:200], "field_count",
                             f"a value beyond the last named column ({width} columns)"))
        body.append(line)
    return _frame_from_rows(header, body, where), sheet, tuple(problems)


def _cell_text(c: Any) -> str:
    if c is None:
        return ""
    if isinstance(c, bool):
        return "true" if c else "false"
    if isinstance(c, float) and c.is_integer():
        return str(int(c))
    if hasattr(c, "isoformat"):
        s = c.isoformat()
        return s[:10] if s.endswith("T00:00:00") else s
    return str(c)


def read_raw_table(path: str | os.PathLike, *, encoding: str | None = None,
                   sheet: str | None = None, kind_hint: str | None = None) -> RawTable:
    """Read a CSV (optionally ``.gz``) or ``.xlsx`` file with every cell as text.

    Parameters
    ----------
    path : path-like
        The file; it must be a regular file (symlinks to one are fine).
    encoding : str, optional
        Force an encoding; by default it is detected (:func:`detect_encoding`).
    sheet : str, optional
        Sheet of a workbook; required when a workbook has several sheets and none is
        named after ``kind_hint``.

    Raises
    ------
    DataValidationError
        Not a regular file (a FIFO, a device, a directory), beyond the size limits
        (:func:`input_limits`, rule ``size_limit``), empty file, undecodable bytes or mixed
        encodings, binary content, a runaway field, an unclosed quote, duplicate or empty
        header cells, merged header cells, an ambiguous workbook. Rows with the wrong number
        of fields do not raise: they are listed in ``RawTable.problems``.
    FileNotFoundError
        The file does not exist.
    """
    p = Path(path)
    limits = input_limits()
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame, sh, problems = _xlsx_frame(p, sheet, kind_hint, limits)
        return RawTable(frame, str(p), None, sh, False, problems, None)
    if suffix == ".xls":
        if not p.exists():
            raise FileNotFoundError(f"no such file: {p}")
        raise DataValidationError("legacy .xls is not supported; save as .xlsx or CSV",
                                  file=str(p), rule="format")
    data = _read_bytes(p, limits)
    if not data.strip():
        raise DataValidationError("the file is empty (no header, no rows)", file=str(p), rule="non_empty")
    if encoding is None:
        has_bom = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE))
        if b"\x00" in data and not has_bom and not _looks_wide(data):
            off = data.index(b"\x00")
            line = data[:off].count(b"\n") + 1
            raise DataValidationError(
                f"binary content (a NUL byte at offset {off}, line {line}) "
                "in a text table", file=str(p), rule="format")
        enc, bom = detect_encoding(data, path=str(p))
    else:
        enc, bom = encoding, False
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataValidationError(f"cannot decode as {enc}: {one_line(exc)}", file=str(p),
                                  rule="encoding") from None
    del data
    if "\x00" in text:
        raise DataValidationError("binary content (NUL characters) in a text table", file=str(p),
                                  rule="format")
    if text.startswith("\ufeff"):
        text, bom = text[1:], True
    frame, problems, delimiter = _csv_frame(text, str(p), limits)
    return RawTable(frame, str(p), enc, None, bom, problems, delimiter)


# ---- safe writing ------------------------------------------------------------------------

def neutralize_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy where text cells that a spreadsheet would run as a formula are quoted.

    Cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return get a leading
    apostrophe (OWASP CSV-injection advice). Numeric columns are left alone, so negative
    numbers stay numbers.

    Examples
    --------
    >>> neutralize_formulas(pd.DataFrame({"name": ["=1+1", "王", "-x"], "n": [-1, 2, 3]})).values.tolist()
    [["'=1+1", -1], ['王', 2], ["'-x", 3]]
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        out[col] = s.map(lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    new_cols = ["'" + c if isinstance(c, str) and c.startswith(_FORMULA_START) else c for c in out.columns]
    out.columns = new_cols
    return out


def _confined(path: Path, root: Path | None) -> Path:
    path = Path(path)
    if root is None:
        return path
    root_r = Path(root).resolve()
    target = (root_r / path).resolve() if not path.is_absolute() else path.resolve()
    if target != root_r and root_r not in target.parents:
        raise UnsafeOutputError(f"refusing to write {target}: outside the output directory {root_r}")
    return target


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output_path(path: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = (),
                      directory: bool = False, option: str | None = None) -> Path:
    """Refuse an output path that would hurt, before anything is computed.

    A file output must not be a directory, nor an existing non-regular file (a FIFO, a
    device such as ``/dev/null``, a socket — replacing it would turn it into a regular
    file), nor any of ``inputs`` (the same file under another name, a hard link or a
    symlink included). A folder output (``directory=True``) must not be an existing file,
    must not be an input, and must not contain one (the report replaces the folder whole).
    An existing regular file is fine: writers replace it atomically.

    Raises
    ------
    UnsafeOutputError
        Naming the option (when given), the path and the reason.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> (d / "in.csv").write_text("a\\n1\\n")
    4
    >>> check_output_path(d / "rejects.csv", inputs=[d / "in.csv"]).name
    'rejects.csv'
    >>> check_output_path(d / "in.csv", inputs=[d / "in.csv"], option="--rejects")
    Traceback (most recent call last):
    ...
    kexie_research.errors.UnsafeOutputError: --rejects: refusing to write ... it is also an input of this command (...in.csv); choose another output path
    """
    p = Path(path)
    head = f"{option}: " if option else ""
    try:
        st = os.stat(p)
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError as exc:
        raise UnsafeOutputError(f"{head}cannot use {p} as an output: {exc.strerror}") from None
    if st is not None:
        if directory and not stat.S_ISDIR(st.st_mode):
            what = "a file" if stat.S_ISREG(st.st_mode) else _file_type(st.st_mode)
            raise UnsafeOutputError(f"{head}{p} is {what}, not a folder; give a folder for the output")
        if not directory and stat.S_ISDIR(st.st_mode):
            raise UnsafeOutputError(f"{head}{p} is a directory; give a file name for the output")
        if not directory and not stat.S_ISREG(st.st_mode):
            raise UnsafeOutputError(
                f"{head}refusing to write {p}: it is {_file_type(st.st_mode)}, not a regular file "
                "(writing would replace it with a regular file)")
    for q in inputs:
        q = Path(q)
        if not q.exists():
            continue
        if _same_file(p, q):
            raise UnsafeOutputError(f"{head}refusing to write {p}: it is also an input of this "
                                    f"command ({q}); choose another output path")
        if directory and st is not None and p.resolve() in q.resolve().parents:
            raise UnsafeOutputError(f"{head}refusing to use {p} as the output folder: it holds "
                                    f"the input {q}, and the output folder is replaced whole")
    return p


def _refuse_non_regular(target: Path) -> None:
    try:
        st = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):
        return
    if stat.S_ISDIR(st.st_mode):
        raise UnsafeOutputError(f"refusing to write {target}: it is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeOutputError(f"refusing to write {target}: it is {_file_type(st.st_mode)}, "
                                "not a regular file (writing would replace it with a regular file)")


_WRITE_ERRNOS = {getattr(errno, n) for n in ("ENOSPC", "EDQUOT", "EFBIG", "EROFS", "EACCES",
                                              "EPERM", "ENAMETOOLONG", "EIO") if hasattr(errno, n)}


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, root: str | os.PathLike | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, then rename).

    With ``root`` given, ``path`` must resolve inside it (relative paths are taken from
    it), else :class:`UnsafeOutputError`. A target that exists but is not a regular file
    (a directory, a FIFO, a device) is refused the same way. An interrupted write leaves
    the old file, never a half-written one; a full disk (or a quota, a read-only file
    system) raises :class:`OutputWriteError` naming the path and leaves the old file.
    """
    target = _confined(Path(path), Path(root) if root is not None else None)
    _refuse_non_regular(target)
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; give the file the mode a normal open() would (umask applies)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException as exc:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        if isinstance(exc, OSError) and not isinstance(exc, OutputWriteError) \
                and exc.errno in _WRITE_ERRNOS:
            raise OutputWriteError(f"cannot write {target}: {exc.strerror}", exc.errno) from None
        raise
    return target


def write_text(path, text: str, *, root=None) -> Path:
    """Atomically write UTF-8 text (``\\n`` line endings)."""
    return atomic_write_bytes(path, text.encode("utf-8"), root=root)


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars and containers to plain JSON values (NaN -> None)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return to_jsonable(obj.to_dict())
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if obj is pd.NA or obj is pd.NaT or obj is None:
        return None
    if isinstance(obj, (pd.Timestamp,)) or hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    if isinstance(obj, Path):
        return str(obj)
    return obj


def dumps_json(obj: Any) -> str:
    """Deterministic JSON text: sorted keys, UTF-8, no NaN."""
    return json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False) + "\n"


def write_json(path, obj: Any, *, root=None) -> Path:
    """Atomically write deterministic JSON (see :func:`dumps_json`)."""
    return write_text(path, dumps_json(obj), root=root)


def _lf(v):
    return v.replace("\r\n", "\n").replace("\r", "\n") if isinstance(v, str) and "\r" in v else v


def write_csv(path, df: pd.DataFrame, *, root=None, neutralize: bool = True, bom: bool = True) -> Path:
    """Atomically write a CSV safe to open in a spreadsheet.

    UTF-8 with a BOM by default so Excel shows Chinese correctly; formula-like text is
    neutralised; ``\\n`` line endings (a carriage return inside a cell becomes a quoted
    line feed, so no reader can split the row there); no index.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> p = write_csv("t.csv", pd.DataFrame({"name": ["=1+1", "a\\r=2"], "n": [-1, 2]}), root=d)
    >>> print(p.read_bytes().decode("utf-8-sig"), end="")
    name,n
    '=1+1,-1
    "a
    =2",2
    """
    frame = neutralize_formulas(df) if neutralize else df.copy()
    # a bare CR inside a cell is written unquoted by the csv module, and every reader then
    # breaks the row there (a new row that may start with "="): make it a quoted LF
    frame.columns = [_lf(c) for c in frame.columns]
    for col in frame.columns:
        s = frame[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
                or pd.api.types.is_datetime64_any_dtype(s)):
            frame[col] = s.map(_lf)
    text = frame.to_csv(index=False, lineterminator="\n")
    data = (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")
    return atomic_write_bytes(path, data, root=root)


def write_xlsx(path, sheets: dict[str, pd.DataFrame] | pd.DataFrame, *, root=None) -> Path:
    """Atomically write one or more DataFrames to an ``.xlsx`` workbook, formula-neutral.

    Text that a spreadsheet would evaluate is written as an apostrophe-prefixed string
    (and openpyxl is told the cell is a string, never a formula).
    """
    import openpyxl

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(v):
        # XML 1.0 forbids most control characters; free text may hold them
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) if isinstance(v, str) else v

    if isinstance(sheets, pd.DataFrame):
        sheets = {"data": sheets}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, df in sheets.items():
        title = re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'")[:31] or "sheet"
        base, k = title, 2
        while title.lower() in used:
            suffix = f"_{k}"
            title, k = base[: 31 - len(suffix)] + suffix, k + 1
        used.add(title.lower())
        ws = wb.create_sheet(title=title)
        safe = neutralize_formulas(df)
        ws.append([clean(str(c)) for c in safe.columns])
        for row in safe.itertuples(index=False):
            ws.append([clean(to_jsonable(v)) for v in row])
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # never a formula
    # fixed workbook metadata so the same data gives the same bytes
    import datetime as _dt
    fixed = _dt.datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "kexie_research"
    buf = io.BytesIO()
    wb.save(buf)
    return atomic_write_bytes(path, _deterministic_zip(buf.getvalue()), root=root)


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite an OOXML zip with fixed member times and a fixed ``dcterms:modified``.

    openpyxl stamps the save time into ``docProps/core.xml`` and into every zip entry
    whatever the workbook properties say; without this the same table gives different
    bytes each second.
    """
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2000-01-01T00:00:00Z\g<2>", body)
            zi = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, body)
    return out.getvalue()


# ---- output folders: a lock and a staged swap ---------------------------------------------

class DirectoryLock:
    """An exclusive, non-blocking lock on an output folder (``.<name>.lock`` beside it).

    Held through ``flock`` on the lock file, so a crashed or killed run releases it with
    its process; a second run into the same folder gets :class:`OutputLockedError` at once
    (it never waits). The lock file is removed on release.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()) / "out"
    >>> with DirectoryLock(d):
    ...     DirectoryLock(d).acquire()
    Traceback (most recent call last):
    ...
    kexie_research.errors.OutputLockedError: another kexie-research run (pid ...) is writing .../out; wait for it to finish or choose another output folder
    """

    def __init__(self, target: str | os.PathLike):
        t = Path(target).absolute()
        self.target = t
        self.path = t.parent / f".{t.name}.lock"
        self._fd: int | None = None

    def acquire(self) -> "DirectoryLock":
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: an exclusive create instead
            fcntl = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            if fcntl is None:  # pragma: no cover
                try:
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
                except FileExistsError:
                    raise self._busy(None) from None
                break
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip() or None
                os.close(fd)
                raise self._busy(holder) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)   # the previous holder removed the file between our open and lock
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def _busy(self, holder: str | None) -> OutputLockedError:
        who = f" (pid {holder})" if holder else ""
        return OutputLockedError(f"another kexie-research run{who} is writing {self.target}; "
                                 "wait for it to finish or choose another output folder")

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> "DirectoryLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _remove_tree(p: Path) -> None:
    shutil.rmtree(p, ignore_errors=True)


def _is_empty_dir(p: Path) -> bool:
    return not any(p.iterdir())


@contextlib.contextmanager
def staged_directory(target: str | os.PathLike, *,
                     replaceable: Callable[[Path], bool] = _is_empty_dir,
                     what: str = "output folder") -> Iterator[Path]:
    """Build a folder's new content beside it and swap it in whole at the end.

    Inside the ``with`` block everything is written into a fresh staging folder
    (``.<name>.staging-*`` next to ``target``, on the same file system); when the block
    ends normally the staging folder replaces ``target`` in one rename (an atomic exchange
    where the system has one), so ``target`` always holds one complete run: the previous
    one until the swap, the new one after. If the block raises — an error, Ctrl-C, SIGTERM
    turned into an exception — the staging folder is removed and ``target`` is untouched.
    A :class:`DirectoryLock` is held throughout: a concurrent run into the same folder is
    refused with :class:`OutputLockedError`. Staging folders left by a killed run are
    removed by the next run.

    Parameters
    ----------
    target : path-like
        The folder to (re)place. It must be absent, or a folder that ``replaceable``
        accepts (default: an empty folder) — so a mistyped ``--out`` never replaces a
        folder of the user's files.

    Yields
    ------
    Path
        The staging folder to write into.

    Raises
    ------
    UnsafeOutputError
        ``target`` is a file, or a folder that may not be replaced.
    OutputLockedError
        Another run holds the lock.
    """
    t = Path(target).absolute()
    if t.is_symlink() or t.exists():
        t = t.resolve()
    parent, name = t.parent, t.name
    if t.exists() and not t.is_dir():
        raise UnsafeOutputError(f"{t} is a file, not a folder; give a folder for the {what}")
    parent.mkdir(parents=True, exist_ok=True)
    with DirectoryLock(t):
        if t.exists() and not replaceable(t):
            raise UnsafeOutputError(
                f"refusing to replace {t}: it is not empty and does not hold a previous "
                f"{what} (the {what} is replaced as a whole); choose a new or empty folder")
        for stale in list(parent.glob(f".{name}.staging-*")) + list(parent.glob(f".{name}.old-*")):
            _remove_tree(stale)
        stage = Path(tempfile.mkdtemp(prefix=f".{name}.staging-", dir=parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(stage, 0o777 & ~umask)
        try:
            yield stage
            if t.exists():
                if _exchange(stage, t):
                    _remove_tree(stage)        # now holds the previous run
                else:
                    old = Path(tempfile.mkdtemp(prefix=f".{name}.old-", dir=parent))
                    os.rmdir(old)
                    os.rename(t, old)
                    os.rename(stage, t)
                    _remove_tree(old)
            else:
                os.rename(stage, t)
        except BaseException as exc:
            _remove_tree(stage)
            if isinstance(exc, OSError) and not isinstance(exc, OutputWriteError) \
                    and exc.errno in _WRITE_ERRNOS:
                raise OutputWriteError(f"cannot write {t}: {exc.strerror}", exc.errno) from None
            raise


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (provenance of inputs)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def iter_chunks(seq: Iterable, n: int):  # pragma: no cover - tiny helper
    buf = []
    for x in seq:
        buf.append(x)
        if len(buf) == n:
            yield buf
            buf = []
    if buf:
        yield buf
