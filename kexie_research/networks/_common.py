"""Small helpers shared by the network modules."""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from ..stats import require_columns  # the one column check (re-exported for the network modules)

__all__ = ["require_columns", "as_str_id", "check_choice"]


def as_str_id(s: pd.Series) -> pd.Series:
    """Identifier column as Python strings, missing values as ``None``."""
    st = s.astype("string").str.strip()
    st = st.mask(st == "")
    vals = st.astype(object).to_numpy().copy()
    vals[pd.isna(vals)] = None
    return pd.Series(vals, index=s.index, dtype=object, name=s.name)


def check_choice(value: str, allowed: Iterable[str], name: str) -> str:
    """Return ``value`` if it is one of ``allowed``; else ValueError listing them."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, not {value!r}")
    return value


def bool_array(s: pd.Series) -> np.ndarray:
    """Nullable boolean column as a plain bool array (missing → False)."""
    return s.astype("boolean").fillna(False).to_numpy(dtype=bool)
