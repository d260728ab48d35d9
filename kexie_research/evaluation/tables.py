"""Paper-ready tables: tidy result frames rounded to text (estimate, CI, p, n).

Rendering the formatted frame as Markdown or LaTeX is the report's job
(:func:`kexie_research.report.tables.to_markdown`, :func:`~kexie_research.report.tables.to_latex`):
an analysis module never imports the report (tests/test_layers.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import RESULT_COLUMNS

__all__ = ["format_estimates"]


def _p_text(p) -> str:
    if p is None or (isinstance(p, float) and np.isnan(p)) or pd.isna(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def format_estimates(df: pd.DataFrame, *, digits: int = 3, ci: bool = True) -> pd.DataFrame:
    """Round a tidy result table for publication.

    Estimates and standard errors are rounded to ``digits``; the interval becomes one column
    ``"95% CI"``-style text ``[low, high]`` when ``ci``; p-values are shown as ``<0.001`` or
    three decimals; ``n`` stays an integer. Other columns pass through (floats rounded).

    Examples
    --------
    >>> df = pd.DataFrame({"term": ["treated"], "estimate": [1.23456], "std_error": [0.1],
    ...                    "ci_low": [1.03], "ci_high": [1.43], "p": [0.0000012], "n": [300]})
    >>> format_estimates(df).iloc[0].tolist()
    ['treated', '1.235', '0.100', '[1.030, 1.430]', '<0.001', 300]
    """
    out = df.copy()
    f = f"{{:.{digits}f}}"
    num = lambda v: "" if pd.isna(v) else f.format(float(v))  # noqa: E731
    for c in ("estimate", "std_error"):
        if c in out.columns:
            out[c] = out[c].map(num)
    if ci and {"ci_low", "ci_high"} <= set(out.columns):
        txt = [("" if pd.isna(a) or pd.isna(b) else f"[{num(a)}, {num(b)}]")
               for a, b in zip(df["ci_low"], df["ci_high"])]
        pos = list(out.columns).index("ci_low")
        out = out.drop(columns=["ci_low", "ci_high"])
        out.insert(pos, "CI", txt)
    for c in [c for c in out.columns if c == "p" or c.startswith("p_")]:
        out[c] = df[c].map(_p_text)
    for c in out.columns:
        if c not in RESULT_COLUMNS and c != "CI" and pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(num)
    if "n" in out.columns:
        out["n"] = pd.to_numeric(df["n"], errors="coerce").astype("Int64").map(
            lambda v: None if pd.isna(v) else int(v)).astype(object)
    return out
