"""Estimate tables of the analyses as Markdown or LaTeX (for the report, the CLI and a paper).

:func:`kexie_research.evaluation.tables.format_estimates` rounds a tidy result frame to
text; these render it with the report's own table writers
(:func:`~kexie_research.report.render.table_markdown`,
:func:`~kexie_research.report.render.table_latex`), so the report and a paper show the same
numbers. (They lived in ``evaluation/tables.py``, which made an analysis module import the
report; see tests/test_layers.py.)

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"term": ["x"], "estimate": [1.5], "ci_low": [1.0], "ci_high": [2.0]})
>>> print(to_markdown(df))
| term | estimate | CI |
|---|---:|---|
| x | 1.500 | [1.000, 2.000] |
"""

from __future__ import annotations

import pandas as pd

from ..evaluation.tables import format_estimates
from .render import table_latex, table_markdown

__all__ = ["to_markdown", "to_latex"]


def to_markdown(df: pd.DataFrame, *, digits: int = 3, ci: bool = True) -> str:
    """A result table as GitHub Markdown (see :func:`~kexie_research.evaluation.tables.format_estimates`)."""
    return table_markdown(format_estimates(df, digits=digits, ci=ci), max_rows=10 ** 6)


def to_latex(df: pd.DataFrame, *, caption: str = "", label: str = "", digits: int = 3,
             ci: bool = True) -> str:
    """A result table as a booktabs LaTeX table (see :func:`~kexie_research.evaluation.tables.format_estimates`)."""
    return table_latex(format_estimates(df, digits=digits, ci=ci), caption=caption, label=label)
