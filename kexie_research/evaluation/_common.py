"""Helpers shared by the evaluation modules (not public API)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from ..io import to_jsonable
from ..stats import require_columns  # noqa: F401  (the one column check, re-exported for the evaluation modules)

RESULT_COLUMNS = ("estimate", "std_error", "ci_low", "ci_high", "p", "n")
"""Columns every tidy estimate table carries (plus its own label columns)."""


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

