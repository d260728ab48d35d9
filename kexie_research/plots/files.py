"""What :func:`kexie_research.plots.style.save_figure` wrote: an index of a figure folder."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

__all__ = ["figure_index"]


def figure_index(folder: str | os.PathLike) -> pd.DataFrame:
    """One row per figure in ``folder``: ``name``, ``formats``, ``caption``.

    Examples
    --------
    >>> figure_index("/nonexistent").empty
    True
    """
    folder = Path(folder)
    rows = []
    if folder.is_dir():
        for png in sorted(folder.glob("*.png")):
            name = png.stem
            formats = [f for f in ("png", "pdf", "svg") if (folder / f"{name}.{f}").is_file()]
            cap = folder / f"{name}.caption.txt"
            rows.append({"name": name, "formats": " ".join(formats),
                         "caption": cap.read_text(encoding="utf-8").strip() if cap.is_file() else ""})
    return pd.DataFrame(rows, columns=["name", "formats", "caption"])
