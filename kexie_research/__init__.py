"""kexie_research: a research and evaluation workbench for CAST's training, representation
and organisation networks.

The root re-exports the data layer; analyses live in their own modules
(``kexie_research.coverage``, ``.compliance``, ``.evaluation``, ``.networks``,
``.simulation``). Plotting and widgets are never imported from here.
"""

from importlib.metadata import PackageNotFoundError, version as _version

from .errors import (AnalysisError, DataValidationError, HierarchyError, KexieError,
                     PlanError, UnsafeOutputError)
from .schema import TABLE_KINDS, TABLES, get_spec
from .validate import LoadResult, load_table, validate_table
from .data import Dataset, load_dataset, datasets_dir

try:
    __version__ = _version("kexie_research")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__",
    "KexieError",
    "DataValidationError",
    "HierarchyError",
    "AnalysisError",
    "PlanError",
    "UnsafeOutputError",
    "TABLES",
    "TABLE_KINDS",
    "get_spec",
    "LoadResult",
    "load_table",
    "validate_table",
    "Dataset",
    "load_dataset",
    "datasets_dir",
]
