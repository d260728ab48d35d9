"""kexie_research: a research and evaluation workbench for CAST's training, representation
and organisation networks.

The root re-exports the data layer; analyses live in their own modules
(``kexie_research.coverage``, ``.compliance``, ``.evaluation``, ``.networks``,
``.simulation``). Plotting and widgets are never imported from here.
"""

from importlib.metadata import PackageNotFoundError, version as _version

from .errors import (AnalysisError, DataValidationError, HierarchyError, KexieError,
                     PlanError, UnsafeOutputError)

try:
    __version__ = _version("kexie_research")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

# the data layer (pandas, the validator) loads on first use, so that a subcommand that
# does not need it (``simulate``) starts fast
_LAZY = {"TABLES": "schema", "TABLE_KINDS": "schema", "get_spec": "schema",
         "LoadResult": "validate", "load_table": "validate", "validate_table": "validate",
         "Dataset": "data", "load_dataset": "data", "datasets_dir": "data"}


def __getattr__(name):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
