"""Numbers as a reader should see them: the one home for number formatting.

The report (tables and text), the widgets and the CLI's text output print numbers through
these functions, so that no float noise reaches a reader (``619999.9999999999`` is
``620,000``), people are whole, percentages carry sensible digits and intervals read
``a–b``. Machine-readable outputs (CSV, JSON) keep the raw values.

Conventions
-----------
- Rounding is half-up on the shortest decimal representation of the value (``2.25`` →
  ``2.3``), as a reader rounds, not Python's half-even on the binary value.
- General numbers get three significant digits; from 1,000 on they are whole numbers.
- Thousands are grouped with a comma from five digits on (``26,708``); four-digit numbers
  (years, ``1600`` representatives) are not grouped, as SI/ISO 80000-1 and most journals
  recommend — except in a table column that also holds five-digit numbers, where
  ``1,600`` stands under ``64,282``.
- A positive share never prints as ``0%`` and a share below one never as ``100%``: the
  digits grow until the difference shows (``99.96%``), down to ``<0.01%``.
- Missing values print as ``–`` in text and as an empty cell in tables.

Examples
--------
>>> fmt_num(619999.9999999999)
'620,000'
>>> fmt_num(3.66667), fmt_num(3.66667, decimals=1)
('3.67', '3.7')
>>> fmt_int(151.4), fmt_pct(0.5531914893617021), fmt_pct(0.9996)
('151', '55.3%', '99.96%')
>>> fmt_interval(0.412, 0.686, kind="pct")
'41.2%–68.6%'
>>> fmt_years(3.66667, "zh")
'约需 3.7 年'
"""

from __future__ import annotations

import math
import numbers
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable, Mapping

import pandas as pd

from .errors import KexieError

__all__ = ["NA_TEXT", "FORMAT_KINDS", "fmt_num", "fmt_int", "fmt_pct", "fmt_interval",
           "fmt_pvalue", "fmt_years", "format_value", "format_frame"]

NA_TEXT = "–"
"""What a missing value prints as in running text."""

_GROUP_MIN = 10_000


def _is_missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _to_float(x: Any) -> float | None:
    """A finite float, or None for missing/infinite values (bools are not numbers here)."""
    if _is_missing(x) or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _round(x: float, decimals: int) -> Decimal:
    """Half-up rounding of the shortest decimal representation of ``x``."""
    try:
        return Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # pragma: no cover - enormous values
        return Decimal(float(x))


def _fixed(x: float, decimals: int, *, group_min: int = _GROUP_MIN) -> str:
    d = _round(x, max(decimals, 0))
    if d == 0:
        d = abs(d)  # no "-0"
    grouped = abs(d) >= group_min
    s = f"{d:,.{max(decimals, 0)}f}" if grouped else f"{d:.{max(decimals, 0)}f}"
    return s


def _sig_decimals(magnitude: float, digits: int) -> int:
    """Decimals that give ``digits`` significant digits at ``magnitude`` (>= 0)."""
    if magnitude == 0:
        return 0
    return max(digits - 1 - math.floor(math.log10(magnitude)), 0)


def fmt_num(x: Any, digits: int = 3, *, decimals: int | None = None, na: str = NA_TEXT,
            group_min: int = _GROUP_MIN) -> str:
    """A number with ``digits`` significant digits, or with fixed ``decimals``.

    Parameters
    ----------
    x : number
    digits : int
        Significant digits (default 3); trailing zeros after the point are dropped. From
        ``10**digits`` on the number is printed whole (``12,346``).
    decimals : int, optional
        Fixed number of decimals instead (kept even when zero: ``2.00``).
    na : str
        Text for a missing or infinite value.
    group_min : int
        Smallest magnitude whose thousands are grouped with commas (default 10,000).

    Returns
    -------
    str

    Examples
    --------
    >>> fmt_num(0.30000000000000004), fmt_num(12345.678), fmt_num(2021.0)
    ('0.3', '12,346', '2021')
    >>> fmt_num(2.25, decimals=1)
    '2.3'
    """
    f = _to_float(x)
    if f is None:
        return na
    if decimals is not None:
        return _fixed(f, decimals, group_min=group_min)
    if f != 0 and abs(f) < 1e-4:
        return f"{f:.{max(digits, 1)}g}"
    d = _sig_decimals(abs(f), digits)
    # rounding can carry into one more digit (999.7 -> 1000): recompute on the rounded value
    r = float(_round(f, d))
    d = _sig_decimals(abs(r), digits) if r != 0 else d
    s = _fixed(f, d, group_min=group_min)
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s if s not in ("-0", "") else "0"


def fmt_int(x: Any, *, na: str = NA_TEXT, group_min: int = _GROUP_MIN) -> str:
    """A whole number (people, sessions, seats): rounded half-up, grouped from 10,000.

    Examples
    --------
    >>> fmt_int(151.4), fmt_int(26708), fmt_int(1600)
    ('151', '26,708', '1600')
    """
    f = _to_float(x)
    if f is None:
        return na
    return _fixed(f, 0, group_min=group_min)


def fmt_pct(p: Any, *, decimals: int = 1, points: bool = False, lang: str = "en",
            na: str = NA_TEXT) -> str:
    """A share in [0, 1] as a percentage (``0.553`` → ``55.3%``).

    Parameters
    ----------
    p : number
        The share (0.25 is 25%).
    decimals : int
        Decimals of the percentage (default 1). Exactly 0 and 1 print as ``0%`` and
        ``100%``; a share strictly between them gets more decimals (up to 1 more) when the
        rounded value would read 0% or 100%, then ``<0.01%`` / ``>99.99%``.
    points : bool
        A difference of percentages: ``1.5 pp`` (en) or ``1.5 个百分点`` (zh).
    lang : {"en", "zh"}
        Only used with ``points``.
    na : str
        Text for a missing value.

    Examples
    --------
    >>> fmt_pct(0.28, decimals=0), fmt_pct(1.0), fmt_pct(0.0004)
    ('28%', '100%', '0.04%')
    >>> fmt_pct(0.0153, points=True, lang="zh")
    '1.5 个百分点'
    """
    f = _to_float(p)
    if f is None:
        return na
    v = f * 100
    if points:
        unit = {"zh": " 个百分点", "en": " pp"}
        if lang not in unit:
            raise KexieError(f"lang must be one of zh, en (not {lang!r})")
        return fmt_num(v, decimals=decimals) + unit[lang]
    if f == 0 or f == 1:
        return f"{fmt_num(v, decimals=0)}%"
    d = decimals
    s = _fixed(v, d)
    while d < decimals + 1 and (float(s.replace(",", "")) in (0.0, 100.0)) and 0 < f < 1:
        d += 1
        s = _fixed(v, d)
    if 0 < f < 1 and float(s.replace(",", "")) in (0.0, 100.0):
        return f"<{Decimal(1).scaleb(-d)}%" if f < 0.5 else f">{100 - Decimal(1).scaleb(-d)}%"
    return f"{s}%"


_INTERVAL_FORMATTERS: dict[str, Callable[..., str]] = {}


def fmt_interval(lo: Any, hi: Any, *, kind: str = "num", digits: int = 3, decimals: int | None = None,
                 lang: str = "en", na: str = NA_TEXT) -> str:
    """An interval as ``a–b`` (en dash); ``a to b`` / ``a 至 b`` when a bound is negative.

    Both bounds get the same decimals (from the larger magnitude).

    Parameters
    ----------
    lo, hi : number
    kind : {"num", "int", "pct"}
        How each bound is printed (:func:`fmt_num`, :func:`fmt_int`, :func:`fmt_pct`).
    digits, decimals : int
        As in :func:`fmt_num` (``decimals`` also for ``pct``, default 1).
    lang : {"en", "zh"}
        Language of the word between negative bounds.

    Examples
    --------
    >>> fmt_interval(3.2287, 5.5966), fmt_interval(120, 1604.6, kind="int")
    ('3.23–5.60', '120–1605')
    >>> fmt_interval(-0.4285, 0.1308, lang="zh")
    '-0.429 至 0.131'
    """
    if kind not in ("num", "int", "pct"):
        raise KexieError(f"unknown interval kind {kind!r}; allowed: num, int, pct")
    if lang not in ("zh", "en"):
        raise KexieError(f"lang must be one of zh, en (not {lang!r})")
    a, b = _to_float(lo), _to_float(hi)
    if a is None or b is None:
        return na
    if kind == "int":
        sa, sb = fmt_int(a), fmt_int(b)
    elif kind == "pct":
        d = 1 if decimals is None else decimals
        sa, sb = fmt_pct(a, decimals=d), fmt_pct(b, decimals=d)
    else:
        if decimals is None:
            m = max(abs(a), abs(b))
            decimals = 0 if m >= 10 ** digits else _sig_decimals(m, digits)
        sa, sb = fmt_num(a, decimals=decimals), fmt_num(b, decimals=decimals)
    if a < 0 or b < 0:
        return f"{sa} {'至' if lang == 'zh' else 'to'} {sb}"
    return f"{sa}–{sb}"


def fmt_pvalue(p: Any, *, na: str = NA_TEXT) -> str:
    """A p-value: ``<0.001``, else two significant digits (at most three decimals).

    Examples
    --------
    >>> fmt_pvalue(0.0), fmt_pvalue(0.04213), fmt_pvalue(0.2966)
    ('<0.001', '0.042', '0.30')
    """
    f = _to_float(p)
    if f is None:
        return na
    if f < 0.001:
        return "<0.001"
    return _fixed(f, min(_sig_decimals(f, 2), 3))


def fmt_years(x: Any, lang: str = "zh", *, decimals: int = 1) -> str:
    """A duration in years, as a sentence fragment: ``约需 3.7 年`` / ``about 3.7 years``.

    A missing value (the target is never reached) reads ``未达到`` / ``not reached``.

    Examples
    --------
    >>> fmt_years(3.66667, "en"), fmt_years(float("nan"), "zh")
    ('about 3.7 years', '未达到')
    """
    if lang not in ("zh", "en"):
        raise KexieError(f"lang must be one of zh, en (not {lang!r})")
    f = _to_float(x)
    if f is None:
        return "未达到" if lang == "zh" else "not reached"
    n = fmt_num(f, decimals=decimals)
    return f"约需 {n} 年" if lang == "zh" else f"about {n} year{'' if n == '1.0' else 's'}"


def format_value(v: Any, *, na: str = "") -> str:
    """One table cell or value of unknown kind: numbers via :func:`fmt_num` (integers
    whole), everything else as text.

    Examples
    --------
    >>> format_value(619999.9999999999), format_value(17), format_value("上海")
    ('620,000', '17', '上海')
    """
    if isinstance(v, bool) or isinstance(v, str):
        return str(v)
    if _is_missing(v):
        return na
    if isinstance(v, numbers.Integral):
        return fmt_int(v)
    if isinstance(v, numbers.Real):
        f = float(v)
        if not math.isfinite(f):
            return na
        return fmt_num(f)
    return str(v)


def _column_group_min(s: pd.Series) -> int:
    """Group thousands from 1,000 in a column that also holds numbers of five digits or
    more (so ``1,600`` stands under ``64,282``), else from 10,000 (years stay ``2021``)."""
    finite = [abs(v) for v in (_to_float(x) for x in s) if v is not None]
    return 1000 if finite and max(finite) >= 9999.5 else _GROUP_MIN


def _column_int(s: pd.Series, na: str) -> list[str]:
    g = _column_group_min(s)
    return [fmt_int(v, na=na, group_min=g) for v in s]


def _column_pct(s: pd.Series, na: str) -> list[str]:
    return [fmt_pct(v, na=na) for v in s]


def _column_p(s: pd.Series, na: str) -> list[str]:
    return [fmt_pvalue(v, na=na) for v in s]


def _column_text(s: pd.Series, na: str) -> list[str]:
    return [format_value(v, na=na) for v in s]


def _column_num(s: pd.Series, na: str, digits: int = 3) -> list[str]:
    """Floats with one number of decimals for the column (3 significant digits of its
    largest magnitude, at most 6 decimals); a non-zero value that would print as zero
    reads ``<0.001``."""
    vals = [_to_float(v) for v in s]
    finite = [abs(v) for v in vals if v is not None]
    if not finite:
        return [na if v is None else format_value(v, na=na) for v in s]
    m = max(finite)
    d = 0 if m >= 10 ** digits else min(_sig_decimals(m, digits), 6)
    g = _column_group_min(s)
    out = []
    for v, raw in zip(vals, s):
        if v is None:
            out.append(na if _is_missing(raw) or not isinstance(raw, str) else raw)
            continue
        txt = _fixed(v, d, group_min=g)
        if v != 0 and float(txt.replace(",", "")) == 0:
            txt = ("<" if v > 0 else ">-") + str(Decimal(1).scaleb(-d))
        out.append(txt)
    return out


FORMAT_KINDS: dict[str, Callable[[pd.Series, str], list[str]]] = {
    "int": _column_int,
    "num": _column_num,
    "pct": _column_pct,
    "p": _column_p,
    "text": _column_text,
}
"""Column formats of :func:`format_frame`: ``int`` (whole numbers), ``num`` (one number of
decimals per column), ``pct`` (shares as percentages), ``p`` (p-values), ``text``."""


def _infer_kind(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        return "text"
    if pd.api.types.is_integer_dtype(s):
        return "int"
    vals = pd.to_numeric(s, errors="coerce").dropna()
    vals = vals[vals.map(math.isfinite)] if len(vals) else vals
    if len(vals) and all(abs(v - round(v)) <= 1e-9 * max(1.0, abs(v)) for v in vals):
        return "int"
    return "num"


def format_frame(df: pd.DataFrame, formats: Mapping[str, str] | None = None, *,
                 na: str = "") -> pd.DataFrame:
    """A copy of ``df`` with every cell as display text.

    Parameters
    ----------
    df : DataFrame
        Not modified; index and column order are kept.
    formats : mapping, optional
        ``{column: kind}`` with kinds from :data:`FORMAT_KINDS` (``"int"``, ``"num"``,
        ``"pct"``, ``"p"``, ``"text"``). Other columns are inferred: integers and
        integral floats are ``int``, other floats ``num``, the rest ``text``.
    na : str
        Text of a missing cell (default empty).

    Returns
    -------
    DataFrame
        Of strings.

    Raises
    ------
    KexieError
        For an unknown kind or a column not in ``df``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"人数": [47.0, 26708.0], "覆盖率": [0.553, 0.3], "成本": [619999.9999999999, 12.4]})
    >>> format_frame(df, {"覆盖率": "pct"}).to_dict("list")
    {'人数': ['47', '26,708'], '覆盖率': ['55.3%', '30.0%'], '成本': ['620,000', '12']}
    """
    formats = dict(formats or {})
    bad = {c: k for c, k in formats.items() if k not in FORMAT_KINDS}
    if bad:
        raise KexieError(f"unknown column format(s) {bad}; allowed: {', '.join(FORMAT_KINDS)}")
    missing = [c for c in formats if c not in df.columns]
    if missing:
        raise KexieError(f"format given for column(s) not in the table: {', '.join(map(str, missing))}")
    out = {}
    for i, col in enumerate(df.columns):
        s = df.iloc[:, i]
        kind = formats.get(col) or _infer_kind(s)
        out[i] = FORMAT_KINDS[kind](s, na)
    res = pd.DataFrame(out, index=df.index)
    res.columns = df.columns
    return res
