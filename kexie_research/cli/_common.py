"""Helpers shared by subcommands: JSON output, loading tables given on the command line."""

from __future__ import annotations

import sys
from pathlib import Path

from ..io import dumps_json
from ..validate import LoadResult, load_table

__all__ = ["emit_json", "load_arg", "add_json_flag"]


def emit_json(obj) -> None:
    """Print deterministic JSON on stdout."""
    sys.stdout.write(dumps_json(obj))


def add_json_flag(p) -> None:
    p.add_argument("--json", action="store_true", help="print results as JSON on stdout")


def load_arg(path: str | None, kind: str, *, required: bool = True) -> LoadResult | None:
    """Load a table named on the command line (raises DataValidationError on bad rows)."""
    if path is None:
        if required:
            raise FileNotFoundError(f"a {kind} file is required")
        return None
    return load_table(Path(path), kind, errors="raise")
