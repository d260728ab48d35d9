"""Reading raw tables (CSV in any common Chinese encoding, XLSX) and writing outputs safely.

Reading never guesses silently: the detected encoding is returned and reported. Writing
goes through one path: atomic (temporary file + ``os.replace``), confined to an output
root, deterministic (JSON with sorted keys, CSV with a fixed line ending) and neutral to
spreadsheet formula injection.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import math
import os
import re
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .errors import DataValidationError, UnsafeOutputError

__all__ = [
    "RawTable",
    "read_raw_table",
    "detect_encoding",
    "neutralize_formulas",
    "atomic_write_bytes",
    "write_text",
    "write_json",
    "write_csv",
    "write_xlsx",
    "to_jsonable",
    "file_sha256",
    "MAX_FIELD_CHARS",
]

MAX_FIELD_CHARS = 100_000
"""A cell longer than this is refused as corrupt input (a runaway quote, a binary blob)."""

_ENCODINGS = ("utf-8", "gb18030")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class RawTable:
    """A table as read from disk: every cell a string, plus where and how it was read.

    ``problems`` lists rows that could not be read as the header says (a row with too many
    or too few fields): ``(row, column, value, rule, message)`` tuples. Those rows are still
    in ``frame`` (padded or cut to the header's width) so that row numbers stay those of
    the file; :func:`kexie_research.validate.validate_table` rejects them.
    """

    frame: pd.DataFrame
    path: str
    encoding: str | None
    sheet: str | None = None
    had_bom: bool = False
    problems: tuple[tuple, ...] = ()


def detect_encoding(data: bytes, *, path: str = "<bytes>") -> tuple[str, bool]:
    """Return ``(encoding, had_bom)`` for CSV bytes.

    Tries, in order: a UTF-8 or UTF-16 byte-order mark, strict UTF-8, strict GB18030
    (a superset of GBK and GB2312, what Chinese Excel exports). Anything else raises
    :class:`DataValidationError` naming the first undecodable byte. Two look-alikes are
    refused rather than misread: UTF-16 without a byte-order mark, and UTF-8 that is
    corrupt or cut short (which GB18030 would otherwise "decode" into mojibake).

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
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", True
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", True
    utf16 = _looks_utf16(data)
    if utf16:
        raise DataValidationError(
            f"the file looks like {utf16.upper()} without a byte-order mark; re-save it as "
            f"UTF-8 or pass the encoding explicitly (--encoding {utf16})", file=path,
            rule="encoding")
    try:
        data.decode("utf-8", errors="strict")
        return "utf-8", False
    except UnicodeDecodeError as exc:
        first_error = exc
    _refuse_broken_utf8(data, first_error, path)
    try:
        data.decode("gb18030", errors="strict")
        return "gb18030", False
    except UnicodeDecodeError:
        pass
    line = data[: first_error.start].count(b"\n") + 1 if first_error else None
    raise DataValidationError(
        f"cannot decode the file as UTF-8 or GB18030/GBK (first bad byte at offset "
        f"{first_error.start if first_error else '?'}, line {line}); re-save it as UTF-8 "
        "or pass the encoding explicitly",
        file=path, rule="encoding")


def _looks_utf16(data: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when NUL bytes sit on every other byte (BOM-less UTF-16)."""
    head = data[:4096]
    if len(head) < 4 or b"\x00" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    z_even, z_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if z_odd > 0.3 and z_even < 0.05:
        return "utf-16-le"
    if z_even > 0.3 and z_odd < 0.05:
        return "utf-16-be"
    return None


def _refuse_broken_utf8(data: bytes, err: UnicodeDecodeError, path: str) -> None:
    """Raise if ``data`` is evidently UTF-8 with a corrupt or truncated part.

    GB18030 accepts almost any byte pair, so UTF-8 with one bad byte would otherwise be
    read as GB18030 mojibake without a word. Evidence of UTF-8: the text before the first
    bad byte holds at least two three-byte UTF-8 characters (CJK), which GBK text
    essentially never forms by accident, or the bad bytes are an unfinished character at
    the very end of the file.
    """
    prefix = data[: err.start].decode("utf-8")
    wide = sum(1 for ch in prefix if ord(ch) >= 0x800)
    non_ascii = sum(1 for ch in prefix if ord(ch) >= 0x80)
    line = data[: err.start].count(b"\n") + 1
    truncated = err.reason == "unexpected end of data" and err.end >= len(data) and non_ascii
    if truncated:
        raise DataValidationError(
            f"the file is UTF-8 but cut short in the middle of a character (truncated?) at "
            f"offset {err.start}, line {line}; re-save it or pass the encoding explicitly",
            file=path, rule="encoding")
    if wide >= 2 and wide * 2 >= non_ascii:
        raise DataValidationError(
            f"the file is UTF-8 but has an invalid byte 0x{data[err.start]:02x} at offset "
            f"{err.start}, line {line} (corrupt or mixed encodings); fix or re-save it as UTF-8",
            file=path, rule="encoding")


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise DataValidationError("expected a file, got a directory", file=str(path), rule="format") from None
    if path.suffix.lower() == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataValidationError(f"not a readable gzip file: {exc}", file=str(path),
                                      rule="format") from None
    return data


def _csv_frame(text: str, path: str) -> pd.DataFrame:
    # normalise mixed line endings first; quoted fields keep their inner newlines
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DataValidationError("the file is empty (no header, no rows)", file=path, rule="non_empty")
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    csv.field_size_limit(MAX_FIELD_CHARS + 1)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=False)
    try:
        rows = list(reader)
    except csv.Error as exc:
        line = reader.line_num
        rule = "field_size" if "field larger" in str(exc) else "csv_syntax"
        raise DataValidationError(
            f"unreadable CSV near line {line}: {exc} (limit {MAX_FIELD_CHARS} characters per cell)",
            file=path, row=max(line - 1, 1), rule=rule) from None
    # drop wholly blank lines (e.g. a trailing newline) but remember nothing else is dropped
    rows = [r for r in rows if "".join(r).strip()]
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
            shown = ",".join(r)
            problems.append((i, None, shown[:200], "field_count",
                             f"row has {len(r)} fields but the header has {width} "
                             "(a stray separator or quote?)"))
        body[i - 1] = (r + [""] * width)[:width]   # kept, so row numbers stay the file's
    return _frame_from_rows(header, body, path), tuple(problems)


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


def _xlsx_frame(path: Path, sheet: str | None, kind_hint: str | None) -> tuple[pd.DataFrame, str]:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - openpyxl is a core dependency
        raise DataValidationError("reading .xlsx needs openpyxl", file=str(path)) from exc
    try:
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise DataValidationError(f"not a readable .xlsx workbook: {exc}", file=str(path),
                                  rule="format") from None
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
    ws = wb[sheet]
    merged_header = [str(r) for r in ws.merged_cells.ranges if r.min_row == 1]
    if merged_header:
        raise DataValidationError(
            f"merged cells in the header row ({', '.join(merged_header)}); unmerge them so "
            "each column has its own name", file=f"{path}[{sheet}]", row=None, rule="header")
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    rows = [r for r in rows if any(c is not None and str(c).strip() for c in r)]
    if not rows:
        raise DataValidationError("the sheet is empty", file=f"{path}[{sheet}]", rule="non_empty")
    header = ["" if h is None else str(h).strip() for h in rows[0]]
    # trailing empty header cells are Excel's used range; values under them are rejected per row
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body, problems = [], []
    for r in rows[1:]:
        cells = list(r[:width]) + [None] * max(0, width - len(r))
        extra = [c for c in r[width:] if c is not None and str(c).strip()]
        if extra:
            problems.append((len(body) + 1, None, _cell_text(extra[0])[:200], "field_count",
                             f"a value beyond the last named column ({width} columns)"))
        body.append([_cell_text(c) for c in cells])
    return _frame_from_rows(header, body, f"{path}[{sheet}]"), sheet, tuple(problems)


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
        The file.
    encoding : str, optional
        Force an encoding; by default it is detected (:func:`detect_encoding`).
    sheet : str, optional
        Sheet of a workbook; required when a workbook has several sheets and none is
        named after ``kind_hint``.

    Raises
    ------
    DataValidationError
        Empty file, undecodable bytes, binary content, a runaway field, duplicate or
        empty header cells, merged header cells, an ambiguous workbook. Rows with the
        wrong number of fields do not raise: they are listed in ``RawTable.problems``.
    FileNotFoundError
        The file does not exist.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    if p.is_dir():
        raise DataValidationError("expected a file, got a directory", file=str(p), rule="format")
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        frame, sh, problems = _xlsx_frame(p, sheet, kind_hint)
        return RawTable(frame, str(p), None, sh, False, problems)
    if p.suffix.lower() == ".xls":
        raise DataValidationError("legacy .xls is not supported; save as .xlsx or CSV",
                                  file=str(p), rule="format")
    data = _read_bytes(p)
    if not data.strip():
        raise DataValidationError("the file is empty (no header, no rows)", file=str(p), rule="non_empty")
    if encoding is None:
        if b"\x00" in data and not (data.startswith(codecs.BOM_UTF16_LE)
                                    or data.startswith(codecs.BOM_UTF16_BE)) and not _looks_utf16(data):
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
        raise DataValidationError(f"cannot decode as {enc}: {exc}", file=str(p), rule="encoding") from None
    if "\x00" in text:
        raise DataValidationError("binary content (NUL characters) in a text table", file=str(p),
                                  rule="format")
    if text.startswith("\ufeff"):
        text, bom = text[1:], True
    frame, problems = _csv_frame(text, str(p))
    return RawTable(frame, str(p), enc, None, bom, problems)


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


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, root: str | os.PathLike | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, then rename).

    With ``root`` given, ``path`` must resolve inside it (relative paths are taken from
    it), else :class:`UnsafeOutputError`. An interrupted write leaves the old file, never
    a half-written one.
    """
    target = _confined(Path(path), Path(root) if root is not None else None)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; give the file the mode a normal open() would (umask applies)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
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
