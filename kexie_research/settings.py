"""Switches read from the environment, one home for each (no state is kept here).

- ``KEXIE_QUICK=1`` — :func:`quick_mode`: notebooks, explorers and figure regeneration use
  small Monte Carlo sizes (the test suite sets it).
- ``KEXIE_FIGURES_DIR`` — :func:`paper_figures_dir`: where paper figures go.

A base-layer module: the report, the widgets and the CLI read the same switch the same way
without importing each other (tests/test_layers.py).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["quick_mode", "paper_figures_dir"]


def quick_mode() -> bool:
    """True when ``KEXIE_QUICK=1``: notebooks and explorers use small Monte Carlo sizes.

    The notebook tests set it so that all notebooks run within the suite's time budget;
    a researcher running ``make lab`` gets the full sizes.

    Examples
    --------
    >>> isinstance(quick_mode(), bool)
    True
    """
    return os.environ.get("KEXIE_QUICK", "").strip().lower() in ("1", "true", "yes")


def paper_figures_dir() -> Path:
    """Where paper figures go: ``KEXIE_FIGURES_DIR`` when set, else the source tree's
    top-level ``figures/`` (``figures/`` in the working folder for an installed package)."""
    env = os.environ.get("KEXIE_FIGURES_DIR")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[1]
    if (repo / "pyproject.toml").is_file() and (repo / "kexie_research").is_dir():
        return repo / "figures"
    return Path.cwd() / "figures"
