"""Helpers shared by the evaluation modules (not public API)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import AnalysisError
from ..io import to_jsonable
from ..stats import require_columns  # the one column check (also re-exported for the evaluation modules)

RESULT_COLUMNS = ("estimate", "std_error", "ci_low", "ci_high", "p", "n")
"""Columns every tidy estimate table carries (plus its own label columns)."""


def complete_items(df: pd.DataFrame, items: Sequence[str], *, scale: str = "scale") -> pd.DataFrame:
    """The items as a float frame of complete rows, checked for analysis.

    Raises :class:`AnalysisError` for missing columns, fewer than 2 items, fewer than 3
    complete responses or a constant item (whose variance is 0).
    """
    items = list(items)
    require_columns(df, items, table="survey")
    if len(items) < 2:
        raise AnalysisError(f"scale {scale!r} needs at least 2 items, got {len(items)}")
    x = pd.DataFrame({c: as_float(df[c]) for c in items}).dropna()
    if len(x) < 3:
        raise AnalysisError(f"scale {scale!r} has {len(x)} complete response(s); reliability "
                            "needs at least 3")
    sd = x.std(ddof=1)
    const = [c for c in items if not sd[c] > 0]
    if const:
        vals = ", ".join(f"{c} (every answer = {x[c].iloc[0]:g})" for c in const)
        raise AnalysisError(f"scale {scale!r}: constant item(s) {vals}; an item that never "
                            "varies carries no information — drop it from the scale")
    return x


def check_level(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), not {level!r}")
    return float(level)


def dispatch(name: str, value: str, options: Mapping[str, Any]) -> Any:
    """Pick ``options[value]``; anything else is a ValueError listing the allowed values."""
    try:
        return options[value]
    except (KeyError, TypeError):
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}, "
                         f"not {value!r}") from None


def as_float(s: pd.Series) -> np.ndarray:
    """A nullable numeric column as float with NaN for missing."""
    return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()


def t_interval(est, se, df, level: float):
    """Two-sided t interval(s); ``df`` may be an array (Satterthwaite)."""
    q = stats.t.ppf(0.5 + level / 2, df)
    return est - q * se, est + q * se


def result_to_dict(obj) -> dict:
    """``to_dict`` of a frozen result dataclass: DataFrames become lists of records."""
    out = {}
    for f in fields(obj):
        if f.name.startswith("_"):
            continue
        out[f.name] = to_jsonable(getattr(obj, f.name))
    return out


def tidy(df: pd.DataFrame, label_columns: Iterable[str]) -> pd.DataFrame:
    """Order a result table: label columns, then the standard estimate columns, then the rest."""
    labels = [c for c in label_columns if c in df.columns]
    std = [c for c in RESULT_COLUMNS if c in df.columns]
    rest = [c for c in df.columns if c not in labels and c not in std]
    return df[labels + std + rest].reset_index(drop=True)

