"""Validation: raw text tables in, typed tables plus a rejects table out.

Three passes, each recording every problem as a reject row
(``row, column, value, rule, message``) rather than stopping at the first:

1. **parse** each cell by its column kind (:mod:`kexie_research.schema`): numbers
   (full-width digits accepted; the decimal mark decided once per file, thousands
   separators only in well-formed groups, see :func:`decide_decimal_mark`), identifiers
   (Unicode-normalised: ``R1``, ``R１`` and ``R1`` + a zero-width space are one id), counts with qualifiers
   (``约70`` → 70 approx), booleans (``是/否``), dates, categories with synonyms,
   provinces (normalised);
2. **check** values with a pandera schema built from the same spec (ranges, empty cells);
3. **table rules**: unique keys (later duplicates rejected, naming the first), row rules
   (``end_after_start``, region consistency, organisation hierarchy: parent exists, no
   cycles, no child above its parent, no self-loops).

Accounting always holds: ``n_input == n_accepted + n_rejected``. Foreign keys across
tables are checked by :func:`check_foreign_keys`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from . import regions
from .errors import DataValidationError, HierarchyError
from .io import RawTable, read_raw_table
from .schema import ORG_LEVELS, TABLES, Column, TableSpec, get_spec

__all__ = [
    "LoadResult",
    "load_table",
    "validate_table",
    "guess_kind",
    "check_foreign_keys",
    "parse_count",
    "decide_decimal_mark",
    "DecimalMark",
    "normalize_id",
    "REJECT_COLUMNS",
]

REJECT_COLUMNS = ("file", "row", "column", "value", "rule", "message")
_MISSING = {"", "na", "n/a", "nan", "null", "none", "#n/a", "无数据"}
_TRUE = {"true", "t", "yes", "y", "1", "是", "有", "对", "√", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "否", "无", "没有", "×", "0.0"}
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_COUNT = re.compile(
    r"^(?P<pre>约|大约|近|将近|approx\.?|about|~|≈)?\s*(?P<num>\d+(?:\.\d+)?)\s*"
    r"(?P<post>多|余|\+|以上|余名|多名|多位|多人)?\s*(?:名|人|人次|位|个|家)?\s*(?P<post2>多|余|以上)?$",
    re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S",
                 "%Y-%m-%dT%H:%M:%S", "%Y%m%d")


@dataclass(frozen=True, slots=True)
class LoadResult:
    """Outcome of loading one table.

    Attributes
    ----------
    kind : str
        Table kind (see :data:`kexie_research.schema.TABLES`).
    accepted : DataFrame
        Typed rows that passed every rule; the index is the 1-based data row number.
    rejects : DataFrame
        One row per problem: ``file, row, column, value, rule, message``. A row may have
        several problems; it is rejected once.
    n_input : int
        Data rows read (header excluded, blank lines excluded).
    """

    kind: str
    accepted: pd.DataFrame
    rejects: pd.DataFrame
    n_input: int
    file: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_accepted(self) -> int:
        return len(self.accepted)

    @property
    def n_rejected(self) -> int:
        return int(self.rejects["row"].dropna().nunique()) if len(self.rejects) else 0

    @property
    def ok(self) -> bool:
        return len(self.rejects) == 0

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "file": self.file, "encoding": self.encoding, "sheet": self.sheet,
            "n_input": self.n_input, "n_accepted": self.n_accepted, "n_rejected": self.n_rejected,
            "warnings": list(self.warnings),
            "rejects": self.rejects.head(1000).to_dict(orient="records"),
        }

    def first_error(self) -> DataValidationError | None:
        if self.ok:
            return None
        r = self.rejects.iloc[0]
        more = len(self.rejects) - 1
        msg = r["message"] + (f" (and {more} more problem{'s' if more > 1 else ''}; "
                              f"{self.n_rejected} of {self.n_input} rows rejected)" if more else "")
        row = None if pd.isna(r["row"]) else int(r["row"])
        col = None if pd.isna(r["column"]) else r["column"]
        val = None if pd.isna(r["value"]) else r["value"]
        cls = HierarchyError if r["rule"] in _HIERARCHY_RULES else DataValidationError
        return cls(msg, file=self.file or self.kind, row=row, column=col,
                   value=val, rule=r["rule"], result=self)


_HIERARCHY_RULES = frozenset({"parent_exists", "no_cycles", "parent_level_not_below"})


class _Rejects:
    def __init__(self, file: str | None):
        self.file = file
        self.rows: list[tuple] = []

    def add(self, row, column, value, rule, message):
        self.rows.append((self.file, None if row is None else int(row), column,
                          None if value is None else str(value)[:200], rule, message))

    def add_many(self, rows_idx, column, values, rule, message_fn):
        for r, v in zip(rows_idx, values):
            self.add(r, column, v, rule, message_fn(v))

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=list(REJECT_COLUMNS))
        df["row"] = df["row"].astype("Int64")
        return df.sort_values(["row", "column"], kind="stable", na_position="first").reset_index(drop=True)


class _Lookup:
    """``series[label]`` through a dict built on first use (pandas' per-label access costs
    microseconds; a table with a reject on every row makes millions of them)."""

    __slots__ = ("_s", "_d")

    def __init__(self, s: pd.Series):
        self._s, self._d = s, None

    def __getitem__(self, label):
        if self._d is None:
            self._d = dict(zip(self._s.index, self._s.to_numpy()))
        return self._d[label]


def _map(s: pd.Series, fn) -> pd.Series:
    """``s.map(fn)`` computed once per distinct value when the cells are all text.

    Table columns repeat a few values many times (categories, provinces, yes/no): mapping
    the distinct values is ~10-50x faster on national-scale tables. Mixed-type columns
    (values from Python, where 1 == True would collide in a hash table) take the plain path.
    """
    if len(s) > 64 and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        mapped = [fn(u) for u in uniques]
        if (codes < 0).any():
            mapped.append(fn(None))
        table = np.empty(len(mapped), dtype=object)
        table[:] = mapped
        return pd.Series(table[codes], index=s.index, dtype=object)
    return s.map(fn).astype(object)


def _nfkc(s: pd.Series) -> pd.Series:
    return _map(s, lambda v: unicodedata.normalize("NFKC", v) if isinstance(v, str) else v)


def _missing_scalar(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in _MISSING
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return bool(np.isnan(v))
    return False


def _is_missing(s: pd.Series) -> pd.Series:
    return _map(s, _missing_scalar).astype(bool)


def _bool_value(v):
    """True/False/None for one cell (text, Python/numpy bool, or 0/1)."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer, float, np.floating)) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        t = unicodedata.normalize("NFKC", v).strip().lower()
        return True if t in _TRUE else (False if t in _FALSE else None)
    return None


def parse_count(text: str) -> tuple[int | None, str | None]:
    """Parse a reported count that may carry a qualifier.

    Returns ``(value, qualifier)`` with qualifier ``"exact"``, ``"approx"`` or
    ``"at_least"``; ``(None, None)`` if the text is not a count.

    Examples
    --------
    >>> parse_count("约70"), parse_count("140多"), parse_count("150余名"), parse_count("66")
    ((70, 'approx'), (140, 'at_least'), (150, 'at_least'), (66, 'exact'))
    >>> parse_count("seventy"), parse_count("约1,500"), parse_count("1,5")
    ((None, None), (1500, 'approx'), (None, None))
    """
    t = unicodedata.normalize("NFKC", str(text)).strip()
    # a thousands separator only in well-formed groups: "1,500" is 1500, "1,5" is no count
    t = _GROUPED_INT.sub(lambda m: m.group(0).replace(",", ""), t)
    m = _COUNT.match(t)
    if not m:
        return None, None
    num = float(m.group("num"))
    if not num.is_integer():
        return None, None
    if m.group("pre"):
        q = "approx"
    elif m.group("post") or m.group("post2"):
        q = "at_least"
    else:
        q = "exact"
    return int(num), q


_GROUPED_INT = re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?![\d,.])")
_ID_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u00a0\u202f\u2007]")
# a number with its decimal point and thousands commas (or spaces) in well-formed groups...
_NUM_DOT = re.compile(r"[+-]?(?:\d+|\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+)(?:\.\d+)?")
# ...and with a decimal comma and thousands points (or spaces)
_NUM_COMMA = re.compile(r"[+-]?(?:\d+|\d{1,3}(?:\.\d{3})+|\d{1,3}(?: \d{3})+)(?:,\d+)?")
_AMBIGUOUS = "\x00ambiguous"
_MIXED = "\x00mixed"


def normalize_id(value):
    """An identifier as compared and stored: NFKC (full-width letters and digits become
    ASCII), zero-width characters, soft hyphens and non-breaking spaces removed, trimmed.

    Examples
    --------
    >>> [normalize_id(v) for v in ("R1", "R１", "R1\\u200b", "\\u00a0R1 ")]
    ['R1', 'R1', 'R1', 'R1']
    """
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFKC", _ID_INVISIBLE.sub("", value)).strip()


def _number_readings(t: str) -> tuple[str | None, str | None]:
    """``t`` read with a decimal point and with a decimal comma, as plain numeric text
    (``None`` where that reading is not a well-formed number)."""
    dot = t.replace(",", "").replace(" ", "") if _NUM_DOT.fullmatch(t) else None
    comma = (t.replace(".", "").replace(" ", "").replace(",", ".")
             if _NUM_COMMA.fullmatch(t) else None)
    return dot, comma


@dataclass(frozen=True, slots=True)
class DecimalMark:
    """The decimal mark of one file, decided once from its delimiter and its numbers.

    Attributes
    ----------
    mark : {"point", "comma", "unknown", "mixed"}
        ``point`` (``3.5``, thousands ``1,234``), ``comma`` (``3,5``, thousands ``1.234``),
        ``unknown`` (a ``;``-delimited file whose numbers show neither mark: a number such
        as ``1,234`` is ambiguous there and rejected), ``mixed`` (both marks appear: every
        number that reads differently under the two is rejected).
    point_example, comma_example : tuple or None
        ``(row, column, value)`` of the first cell that shows each mark.
    usual : {"point", "comma"}
        The mark the delimiter suggests (``comma`` for ``;``). A number that reads either
        way (``1,234``, ``1.234``) is taken in the file's mark only when the two agree, and
        rejected as ambiguous otherwise.
    """

    mark: str
    point_example: tuple | None = None
    comma_example: tuple | None = None
    usual: str = "point"

    def describe(self) -> str:
        def ex(e):
            return f"row {e[0]}, column {e[1]!r}: {e[2]!r}"
        if self.mark == "mixed":
            return (f"the file mixes decimal commas ({ex(self.comma_example)}) and decimal points "
                    f"({ex(self.point_example)})")
        return {"point": "decimal point", "comma": "decimal comma",
                "unknown": "no decimal mark shown"}[self.mark]


def decide_decimal_mark(frame: pd.DataFrame, columns, delimiter: str | None) -> DecimalMark:
    """Decide the decimal mark of a file from the shapes of its numbers and its delimiter.

    A cell that only reads as a number with a decimal comma (``3,5``, ``1.234,5``) is
    evidence for ``comma``; one that only reads with a decimal point (``3.5``,
    ``12,345.5``) for ``point``. Cells such as ``1,234`` or ``1.234`` read either way and
    prove nothing. With evidence of one kind only, that is the file's mark; with both, the
    file is ``mixed``; with none, a ``;``-delimited file (the European Excel export, where
    decimal commas are the norm) is ``unknown`` and any other file uses the point. A cell
    that reads either way is taken in the file's mark only when the delimiter suggests the
    same mark (``1,234`` is 1234 in a comma-separated file that uses points, 1.234 in a
    semicolon-separated one that uses commas); otherwise it is rejected as ambiguous, never
    guessed.

    Examples
    --------
    >>> f = pd.DataFrame({"hours": ["3,5", "12", "1.234,5"]}, index=[1, 2, 3])
    >>> decide_decimal_mark(f, ["hours"], ";").mark
    'comma'
    >>> decide_decimal_mark(pd.DataFrame({"h": ["1,234"]}, index=[1]), ["h"], ",").mark
    'point'
    >>> decide_decimal_mark(pd.DataFrame({"h": ["1,234"]}, index=[1]), ["h"], ";").mark
    'unknown'
    """
    point = comma = None
    usual = "comma" if delimiter == ";" else "point"
    seen: set[str] = set()
    for col in columns:
        if col not in frame.columns:
            continue
        for r, v in frame[col].items():
            if not isinstance(v, str) or v in seen:
                continue
            seen.add(v)
            t = unicodedata.normalize("NFKC", v).strip()
            d, c = _number_readings(t)
            if d is not None and c is None and point is None:
                point = (r, col, v)
            elif c is not None and d is None and comma is None:
                comma = (r, col, v)
            if point is not None and comma is not None:
                return DecimalMark("mixed", point, comma, usual)
    if comma is not None:
        return DecimalMark("comma", None, comma, usual)
    if point is not None:
        return DecimalMark("point", point, None, usual)
    return DecimalMark("unknown" if delimiter == ";" else "point", usual=usual)


def _number_text(t: str, mark: DecimalMark) -> str:
    """Numeric text of cell ``t`` under the file's mark, or a sentinel for a reject."""
    d, c = _number_readings(t)
    if d is None and c is None:
        return t            # not a grouped/decimal number: exponents, words... (to_numeric decides)
    if d == c:
        return d
    if mark.mark in ("point", "comma"):
        if d is None or c is None:          # only one reading: the file's own mark
            return (d if mark.mark == "point" else c) or t
        return (d if mark.mark == "point" else c) if mark.mark == mark.usual else _AMBIGUOUS
    if mark.mark == "unknown":
        return _AMBIGUOUS
    return _MIXED


_YEAR_RANGE = (1800, 2200)


def _to_datetime(values: pd.Series, fmt: str) -> pd.Series:
    """``pd.to_datetime`` that never raises: cells it cannot read become NaT.

    Only text and date/time objects are dates; a bare number is not (pandas would read
    it as seconds since 1970)."""
    import datetime as _dt

    values = values.map(lambda v: v if isinstance(v, (str, _dt.date, np.datetime64)) else None)
    try:
        out = pd.to_datetime(values, format=fmt, errors="coerce")
    except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
        out = None
    if out is None or not pd.api.types.is_datetime64_any_dtype(out):
        def one(v):
            try:
                t = pd.to_datetime(v, format=fmt, errors="coerce")
            except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
                return pd.NaT
            return t if isinstance(t, pd.Timestamp) else pd.NaT
        out = pd.Series([one(v) for v in values], index=values.index, dtype="datetime64[us]")
    if out.dt.tz is not None:
        out = out.dt.tz_localize(None)
    return out.astype("datetime64[us]")


@dataclass(frozen=True)
class _Cells:
    """One column on its way to being parsed: the raw cells, which are missing, and where
    its rejects go."""

    col: Column
    raw: pd.Series          # the cells as read
    text: pd.Series         # the same, with missing cells as None
    present: pd.Series      # bool: not missing
    rej: _Rejects
    mark: DecimalMark
    sv: _Lookup             # raw[r] one row at a time, fast

    def reject(self, mask: pd.Series, rule: str, message, value=None) -> None:
        """A reject for every row of ``mask``; ``message`` (and ``value``) may be functions
        of the row."""
        for r in self.raw.index[mask.to_numpy()]:
            v = self.sv[r] if value is None else value(r)
            self.rej.add(r, self.col.name, v, rule, message(r) if callable(message) else message)


def _parse_text(c: _Cells):
    k = c.col.kind
    out = _map(c.text, normalize_id if k == "id" else (lambda v: v.strip() if isinstance(v, str) else v))
    too_long = _map(out, lambda v: isinstance(v, str) and len(v) > c.col.max_length).astype(bool)
    c.reject(too_long, "max_length", lambda r: f"text longer than {c.col.max_length} characters "
             f"({len(out[r])})", value=lambda r: out[r][:60] + "…")
    if k == "id":
        ctrl = _map(out, lambda v: isinstance(v, str) and bool(_CTRL.search(v))).astype(bool)
        c.reject(ctrl, "id_chars", "identifier contains control characters", value=lambda r: out[r])
    return out.astype(object), None


def _decimal_mark_message(c: _Cells, r, norm: pd.Series) -> str:
    mark = c.mark
    d, cm = _number_readings(unicodedata.normalize("NFKC", c.sv[r]).strip())
    if norm[r] != _AMBIGUOUS:
        return f"cannot tell the decimal mark: {mark.describe()}; re-save the file with one decimal mark"
    if mark.mark == "unknown":
        ctx = "no other number in this ';'-separated file shows its decimal mark"
    else:
        e = mark.comma_example or mark.point_example
        ctx = (f"the file uses a {mark.describe()} (row {e[0]}: {e[2]!r}) but its separator "
               f"suggests a {'decimal comma' if mark.usual == 'comma' else 'decimal point'}")
    return (f"ambiguous number: {d} (thousands separator) or {cm} (decimal comma)? {ctx}; "
            "write it without a thousands separator")


def _count_hint(v) -> str:
    n, q = parse_count(v)
    return f"; looks like a count {n} ({q}) — numbers must be plain here" if n is not None else ""


def _parse_number(c: _Cells):
    norm = _map(_nfkc(c.text), lambda v: _number_text(v.strip(), c.mark) if isinstance(v, str) else v)
    unsure = _map(norm, lambda v: v in (_AMBIGUOUS, _MIXED)).astype(bool)
    c.reject(unsure, "decimal_mark", lambda r: _decimal_mark_message(c, r, norm))
    num = pd.to_numeric(norm.where(~unsure, None), errors="coerce")
    c.reject(c.present & ~unsure & num.isna(), "number", lambda r: "not a number" + _count_hint(c.sv[r]))
    inf = np.isinf(num.astype(float))
    c.reject(inf, "finite", "infinite value")
    num = num.where(~inf)
    if c.col.kind == "float":
        return num.astype("float64"), None
    frac = c.present & num.notna() & (num != np.floor(num))
    c.reject(frac, "integer", "must be a whole number")
    # beyond 2**53 a float is no longer an exact whole number (and 2**63 overflows)
    huge = c.present & num.notna() & ~frac & (num.abs() > 2.0 ** 53)
    c.reject(huge, "range", "a whole number far too large for this column")
    return num.where(~frac & ~huge).round().astype("Int64"), None


def _parse_count(c: _Cells):
    vals, quals = [], []
    for r, v, here in zip(c.raw.index, c.text, c.present):
        n, q = parse_count(v) if here else (None, None)
        if here and n is None:
            c.rej.add(r, c.col.name, v, "count", "not a count (expected e.g. 70, 约70, 140多, 150余名)")
        elif here and n > 2 ** 53:
            c.rej.add(r, c.col.name, v, "range", "a count far too large for this column")
            n = q = None
        vals.append(pd.NA if n is None else n)
        quals.append(q)
    idx = c.raw.index
    return pd.Series(vals, index=idx, dtype="Int64"), pd.Series(quals, index=idx, dtype=object)


def _parse_bool(c: _Cells):
    out = _map(c.text, _bool_value)
    c.reject(c.present & out.isna(), "boolean", "not a yes/no value (true/false, 1/0, 是/否)")
    return out.astype("boolean"), None


def _parse_date(c: _Cells):
    norm = _map(_nfkc(c.text), lambda v: v.strip() if isinstance(v, str) else v)
    out = _to_datetime(norm, _DATE_FORMATS[0])
    todo = c.present & out.isna()
    for fmt in _DATE_FORMATS[1:]:
        if not todo.any():
            break
        alt = _to_datetime(norm[todo], fmt).dropna()
        out.loc[alt.index] = alt
        todo = c.present & out.isna()
    c.reject(todo, "date", "not a valid date (use YYYY-MM-DD)")
    year = out.dt.year
    odd = out.notna() & ((year < _YEAR_RANGE[0]) | (year > _YEAR_RANGE[1]))
    c.reject(odd, "date", f"a date outside {_YEAR_RANGE[0]}–{_YEAR_RANGE[1]} (a typo?)")
    return out.where(~odd).astype("datetime64[ns]"), None


def _parse_category(c: _Cells):
    col = c.col

    def canon(v):
        if not isinstance(v, str):
            return None
        t = unicodedata.normalize("NFKC", v).strip()
        if t in col.synonyms:
            return col.synonyms[t]
        t = t.lower().replace(" ", "_").replace("-", "_")
        return col.synonyms.get(t, t)
    out = _map(c.text, canon)
    bad = c.present & ~out.isin(col.allowed or ())
    c.reject(bad, "allowed_values", f"not one of: {', '.join(col.allowed or ())}")
    return out.where(~bad, None).astype(object), None


def _parse_province(c: _Cells):
    out = _map(c.text, lambda v: regions.normalize_province(v) if isinstance(v, str) else None)
    c.reject(c.present & out.isna(), "province", "unknown province or delegation (31 provinces, "
             "新疆兵团, 全国学会, 解放军, 中央企业, 中央和国家机关)")
    return out.astype(object), None


_PARSERS = {"str": _parse_text, "id": _parse_text, "int": _parse_number, "float": _parse_number,
            "count": _parse_count, "bool": _parse_bool, "date": _parse_date,
            "category": _parse_category, "province": _parse_province}


def _parse_column(col: Column, s: pd.Series, rej: _Rejects,
                  mark: DecimalMark | None = None) -> tuple[pd.Series, pd.Series | None]:
    """Parse one column; returns the typed series and (for counts) inferred qualifiers.

    ``mark`` is the file's decimal mark (:func:`decide_decimal_mark`; default: point). The
    parser of each column kind is picked from :data:`_PARSERS`."""
    missing = _is_missing(s)
    if col.kind == "category" and col.allowed:
        # an allowed category that looks like a missing marker (e.g. role "none") is a value
        allowed = {a.lower() for a in col.allowed}
        missing &= ~_map(s, lambda v: isinstance(v, str) and v.strip().lower() in allowed).astype(bool)
    cells = _Cells(col, s, s.where(~missing, None), ~missing, rej, mark or DecimalMark("point"),
                   _Lookup(s))
    if not col.nullable:
        cells.reject(missing, "required_value", f"column {col.name!r} must not be empty", value=lambda r: "")
    return _PARSERS[col.kind](cells)


def _pandera_checks(spec: TableSpec, typed: pd.DataFrame, rej: _Rejects,
                    raw: pd.DataFrame | None = None) -> None:
    """Range checks, declared once in the spec, run by pandera over the typed frame."""
    import pandera.pandas as pa

    cols = {}
    for c in spec.columns:
        if c.name not in typed.columns or c.kind not in ("int", "float", "count"):
            continue
        checks = []
        if c.min is not None:
            checks.append(pa.Check.greater_than_or_equal_to(c.min, name=f"min {c.min:g}"))
        if c.max is not None:
            checks.append(pa.Check.less_than_or_equal_to(c.max, name=f"max {c.max:g}"))
        if checks:
            cols[c.name] = pa.Column(nullable=True, checks=checks, required=False)
    if not cols:
        return
    schema = pa.DataFrameSchema(cols, strict=False, coerce=False)
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        for _, f in fc.iterrows():
            if pd.isna(f.get("index")):
                continue
            col = f["column"]
            c = spec.column(col)
            lo = "" if c.min is None else f"{c.min:g}"
            hi = "" if c.max is None else f"{c.max:g}"
            shown = f["failure_case"]
            if raw is not None and col in raw.columns and f["index"] in raw.index:
                shown = raw.at[f["index"], col]
            rej.add(f["index"], col, shown, "range",
                    f"outside the allowed range [{lo}, {hi}] ({f['check']})")


def _row_rules(spec: TableSpec, typed: pd.DataFrame, rej: _Rejects) -> None:
    if "end_after_start" in spec.row_rules and {"start_date", "end_date"} <= set(typed.columns):
        bad = typed["end_date"] < typed["start_date"]
        for r in typed.index[bad.fillna(False).to_numpy()]:
            rej.add(r, "end_date", typed.at[r, "end_date"].date(), "end_after_start",
                    f"ends before it starts ({typed.at[r, 'start_date'].date()})")
    if "region_matches_province" in spec.row_rules and "province" in typed.columns:
        derived = _map(typed["province"], lambda p: regions.province_region(p) if isinstance(p, str) else None)
        if "region" in typed.columns:
            given = typed["region"]
            clash = given.notna() & derived.notna() & (given != derived)
            for r in typed.index[clash.to_numpy()]:
                rej.add(r, "region", given[r], "region_matches_province",
                        f"region {given[r]!r} contradicts province {typed.at[r, 'province']} "
                        f"({derived[r]})")
    if "no_self_loop" in spec.row_rules:
        bad = typed["source_id"] == typed["target_id"]
        for r in typed.index[bad.fillna(False).to_numpy()]:
            rej.add(r, "target_id", typed.at[r, "target_id"], "no_self_loop",
                    "a link from an organisation to itself")
    if "parent_exists" in spec.row_rules:
        _hierarchy_rules(typed, rej)


def _hierarchy_rules(typed: pd.DataFrame, rej: _Rejects) -> None:
    # the first row of a repeated org_id is the one kept (later ones break unique_key), so
    # the hierarchy is judged on first rows only, whatever the order of the file
    typed = typed[~typed["org_id"].duplicated(keep="first") | typed["org_id"].isna()]
    typed = typed[typed["org_id"].notna()]
    ids = typed["org_id"]
    row_of = dict(zip(ids, typed.index))
    parent = dict(zip(ids, typed["parent_id"]))
    level_rank = {lv: i for i, lv in enumerate(ORG_LEVELS)}
    level = dict(zip(ids, typed["level"]))
    for oid, p in parent.items():
        if p is None or (isinstance(p, float) and np.isnan(p)):
            continue
        if p not in row_of:
            rej.add(row_of[oid], "parent_id", p, "parent_exists",
                    f"parent {p!r} of {oid!r} is not in the table (orphan)")
        elif p == oid:
            rej.add(row_of[oid], "parent_id", p, "no_cycles", f"{oid!r} is its own parent")
        else:
            lc, lp = level_rank.get(level[oid]), level_rank.get(level[p])
            if lc is not None and lp is not None and lc < lp:
                rej.add(row_of[oid], "level", level[oid], "parent_level_not_below",
                        f"{oid!r} ({level[oid]}) sits above its parent {p!r} ({level[p]})")
    # cycles: follow parent pointers with colouring (iterative, O(n))
    state: dict[str, int] = {}
    for start in parent:
        if state.get(start):
            continue
        path, node = [], start
        while node is not None and node in parent and not state.get(node):
            state[node] = 1
            path.append(node)
            nxt = parent[node]
            node = nxt if isinstance(nxt, str) and nxt in parent and nxt != node else None
            if node is not None and state.get(node) == 1:
                cycle = path[path.index(node):]
                for n in cycle:
                    rej.add(row_of[n], "parent_id", parent[n], "no_cycles",
                            "the hierarchy has a cycle: " + " → ".join(cycle + [node]))
                break
        for n in path:
            state[n] = 2


def _cascade_rejected_parents(typed: pd.DataFrame, rej: _Rejects) -> None:
    """Reject the descendants of rejected organisations, so that the accepted table is a
    forest whose every parent_id resolves (no dangling parent left behind)."""
    bad_rows = {r[1] for r in rej.rows if r[1] is not None}
    first = ~typed["org_id"].duplicated(keep="first")
    row_of = {o: r for o, r in zip(typed["org_id"][first], typed.index[first])}
    children: dict = {}
    for r, o, p in zip(typed.index, typed["org_id"], typed["parent_id"]):
        if isinstance(p, str) and p in row_of and r not in bad_rows:
            children.setdefault(p, []).append((r, o))
    todo = [(typed.at[r, "org_id"], r) for r in sorted(bad_rows) if r in typed.index]
    while todo:
        oid, prow = todo.pop()
        if row_of.get(oid) != prow:
            continue  # a rejected duplicate row does not take the kept row's children down
        for r, o in children.get(oid, ()):
            if r in bad_rows:
                continue
            bad_rows.add(r)
            rej.add(r, "parent_id", oid, "parent_exists",
                    f"parent {oid!r} of {o!r} was rejected (row {prow})")
            todo.append((o, r))


def _checked_frame(frame: pd.DataFrame, spec: TableSpec, kind: str, name: str) -> pd.DataFrame:
    """A copy with trimmed column names and rows numbered from 1; refuses a table no row
    of which could be used (a column twice, a required column missing, no rows)."""
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    dup_cols = frame.columns[frame.columns.duplicated()].tolist()
    if dup_cols:
        raise DataValidationError("column name appears more than once", file=name,
                                  column=dup_cols[0], rule="duplicate_column")
    missing = [c for c in spec.required_columns if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)} "
            f"(a {kind} table needs {', '.join(spec.required_columns)})",
            file=name, column=missing[0], rule="required_column")
    if len(frame) == 0:
        raise DataValidationError("the table has a header but no data rows", file=name,
                                  rule="non_empty")
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def _typed(frame: pd.DataFrame, spec: TableSpec, rej: _Rejects, delimiter, name: str):
    """Every column parsed by its kind, count qualifiers filled and checked, region derived
    from the province; ``(typed frame, notes)``."""
    typed = frame.copy()
    warnings: list[str] = []
    mark = decide_decimal_mark(frame, [c.name for c in spec.columns if c.kind in ("int", "float")],
                               delimiter)
    if mark.mark == "comma":
        warnings.append(f"numbers read with a decimal comma (e.g. {mark.comma_example[2]!r} at row "
                        f"{mark.comma_example[0]}); a point separates thousands")
    for col in spec.columns:
        if col.name not in frame.columns:
            continue
        out, qual = _parse_column(col, frame[col.name], rej, mark)
        typed[col.name] = out
        if qual is not None and col.qualifier_column:
            qcol = col.qualifier_column
            if qcol in frame.columns:
                given = frame[qcol].map(lambda v: None if v is None or str(v).strip().lower() in _MISSING else v)
                typed[qcol] = given.where(given.notna(), qual)
            else:
                typed[qcol] = qual
    # qualifier columns parsed after they were filled from counts
    for col in spec.columns:
        if col.qualifier_column and col.qualifier_column in typed.columns:
            qspec = spec.column(col.qualifier_column)
            q = typed[col.qualifier_column]
            out, _ = _parse_column(qspec, q.map(lambda v: "" if v is None else str(v)), _Rejects(name))
            bad = q.notna() & out.isna()
            for r in typed.index[bad.to_numpy()]:
                rej.add(r, qspec.name, q[r], "allowed_values", f"not one of: {', '.join(qspec.allowed)}")
            typed[col.qualifier_column] = out
    if "region" in [c.name for c in spec.columns] and "province" in typed.columns:
        derived = _map(typed["province"], lambda p: regions.province_region(p) if isinstance(p, str) else None)
        if "region" not in typed.columns:
            typed["region"] = derived
            warnings.append("column 'region' derived from province")
        else:
            typed["region"] = typed["region"].where(typed["region"].notna(), derived)
    return typed, warnings


def _unique_keys(spec: TableSpec, typed: pd.DataFrame, frame: pd.DataFrame, rej: _Rejects) -> None:
    """Later rows repeating a key are rejected, naming the first; when the two were written
    differently (``R1`` and ``R１``), both spellings are named."""
    if not spec.key:
        return
    key = list(spec.key)
    keyframe = typed[key]
    dup = keyframe.duplicated(keep="first") & keyframe.notna().all(axis=1)
    if not dup.any():
        return
    first = {}
    for r, k in zip(typed.index, map(tuple, keyframe.to_numpy())):
        first.setdefault(k, r)
    for r in typed.index[dup.to_numpy()]:
        k = tuple(keyframe.loc[r])
        f = first[k]
        msg = f"duplicate key {'/'.join(map(str, k))} (first at row {f})"
        here, there = ([str(frame.at[i, c]) for c in key] for i in (r, f))
        if here != there:
            msg = (f"duplicate key {'/'.join(map(str, k))}: row {r} {'/'.join(here)!r} and row "
                   f"{f} {'/'.join(there)!r} are the same identifier once normalised (first at "
                   f"row {f})")
        rej.add(r, key[0] if len(key) == 1 else "+".join(key), "/".join(map(str, k)),
                "unique_key", msg)


def validate_table(raw: pd.DataFrame | RawTable, kind: str, *, file: str | None = None) -> LoadResult:
    """Validate a raw (text) or already-typed table of ``kind``.

    Parameters
    ----------
    raw : DataFrame or RawTable
        Cells may be text (as read from a file) or Python values; they are parsed by the
        column kinds of the schema.
    kind : str
        Table kind; see :data:`kexie_research.schema.TABLE_KINDS`.
    file : str, optional
        Name used in messages (defaults to the RawTable's path).

    Returns
    -------
    LoadResult
        ``accepted`` (typed, original extra columns kept) and ``rejects``.

    Raises
    ------
    DataValidationError
        For table-level problems that leave no row usable: a required column missing,
        no data rows.

    Examples
    --------
    >>> raw = pd.DataFrame({"rep_id": ["A1", "A1"], "congress": ["10", "10"],
    ...     "province": ["上海市", "Gansu"], "delegation_type": ["local_association"] * 2,
    ...     "sector": ["高校", "enterprise"], "is_academician": ["否", "no"],
    ...     "is_frontline": ["是", "yes"], "is_reelected": ["0", "1"]})
    >>> res = validate_table(raw, "representatives")
    >>> res.n_input, res.n_accepted, res.n_rejected, res.rejects.loc[0, "rule"]
    (2, 1, 1, 'unique_key')
    >>> res.accepted[["province", "region", "sector"]].iloc[0].tolist()
    ['上海', 'east', 'university']
    """
    spec = get_spec(kind)
    encoding = sheet = delimiter = None
    if isinstance(raw, RawTable):
        file = file or raw.path
        encoding, sheet, delimiter = raw.encoding, raw.sheet, raw.delimiter
        frame = raw.frame
    else:
        frame = raw
    name = file or f"<{kind}>"
    frame = _checked_frame(frame, spec, kind, name)
    rej = _Rejects(name)
    for row, column, value, rule, message in getattr(raw, "problems", ()):
        rej.add(row, column, value, rule, message)
    typed, warnings = _typed(frame, spec, rej, delimiter, name)
    _pandera_checks(spec, typed, rej, frame)
    _unique_keys(spec, typed, frame, rej)
    _row_rules(spec, typed, rej)
    if "parent_exists" in spec.row_rules:
        _cascade_rejected_parents(typed, rej)
    rejects = rej.frame()
    bad_rows = set(rejects["row"].dropna().astype(int))
    accepted = typed.loc[[i for i in typed.index if i not in bad_rows]]
    return LoadResult(kind=kind, accepted=accepted, rejects=rejects, n_input=len(frame),
                      file=name, encoding=encoding, sheet=sheet, warnings=tuple(warnings))


def guess_kind(columns) -> str:
    """Guess the table kind from column names: the kind whose required columns are all
    present, preferring the one with most required columns.

    Raises
    ------
    DataValidationError
        When no kind fits, naming the closest kind and its missing columns.

    Examples
    --------
    >>> guess_kind(["rep_id", "training_id", "hours", "completed", "role"])
    'attendance'
    """
    cols = {str(c).strip() for c in columns}
    fits = [(len(s.required_columns), k) for k, s in TABLES.items() if set(s.required_columns) <= cols]
    if fits:
        return max(fits)[1]
    best = max(TABLES.values(), key=lambda s: len(set(s.required_columns) & cols) / len(s.required_columns))
    miss = [c for c in best.required_columns if c not in cols]
    raise DataValidationError(
        f"cannot tell which table this is; closest is {best.name!r}, which also needs "
        f"{', '.join(miss)} (give --kind to be explicit)", rule="guess_kind")


def load_table(path, kind: str | None = None, *, errors: Literal["raise", "collect"] = "raise",
               encoding: str | None = None, sheet: str | None = None) -> LoadResult:
    """Read and validate a table file (CSV in UTF-8/UTF-8-BOM/GB18030, or XLSX).

    Parameters
    ----------
    path : path-like
        The file.
    kind : str, optional
        Table kind; guessed from the columns when omitted (:func:`guess_kind`).
    errors : {"raise", "collect"}
        ``"raise"`` (default): any rejected row raises :class:`DataValidationError`
        whose ``.result`` holds the full :class:`LoadResult`. ``"collect"``: return the
        result with its rejects; the caller decides.

    Returns
    -------
    LoadResult
    """
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors must be 'raise' or 'collect', not {errors!r}")
    raw = read_raw_table(path, encoding=encoding, sheet=sheet, kind_hint=kind)
    if kind is None:
        try:
            kind = guess_kind(raw.frame.columns)
        except DataValidationError as exc:
            raise DataValidationError(exc.message, file=str(path), rule="guess_kind") from None
    res = validate_table(raw, kind, file=str(path))
    if errors == "raise" and not res.ok:
        raise res.first_error()
    return res


def check_foreign_keys(tables: dict[str, pd.DataFrame], *, files: dict[str, str] | None = None) -> pd.DataFrame:
    """Rows whose foreign keys point nowhere, across the tables given.

    Only references between tables present in ``tables`` are checked (e.g. attendance →
    representatives needs both). Returns a rejects frame (``file, row, column, value,
    rule, message``) with rule ``foreign_key``; empty when all references resolve.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["A"]})
    >>> att = pd.DataFrame({"rep_id": ["A", "B"], "training_id": ["S", "S"]}, index=[1, 2])
    >>> check_foreign_keys({"representatives": reps, "attendance": att})[["row", "value"]].values.tolist()
    [[2, 'B']]
    """
    files = files or {}
    rej = _Rejects(None)
    for kind, df in tables.items():
        if df is None or kind not in TABLES:
            continue
        for fk in TABLES[kind].foreign_keys:
            ref = tables.get(fk.ref_table)
            if ref is None or fk.column not in df.columns:
                continue
            known = set(ref[fk.ref_column].dropna())
            vals = df[fk.column]
            bad = vals.notna() & ~vals.isin(known)
            for r in df.index[bad.to_numpy()]:
                rej.file = files.get(kind, kind)
                rej.add(r, fk.column, vals[r], "foreign_key",
                        f"{fk.column} {vals[r]!r} not found in {fk.ref_table}.{fk.ref_column}")
    return rej.frame()
