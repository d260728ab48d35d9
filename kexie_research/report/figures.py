"""Regenerate every paper figure: the report's figure-only mode (``make figures``, notebook 07).

PNG at 300 dpi, PDF, SVG and a caption file per figure, byte-identical for the same data and
seed. (This lived in ``widgets/gallery.py``; the widgets and the report do not import each
other, so the gallery widget only browses a folder, :class:`kexie_research.widgets.FigureGallery`.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..plots.files import figure_index
from ..settings import paper_figures_dir, quick_mode

__all__ = ["regenerate_figures", "figure_index", "paper_figures_dir"]


def regenerate_figures(out: str | os.PathLike | None = None, *, seed: int = 20240, lang: str = "zh",
                       quick: bool | None = None, sections=None, data_dir=None,
                       dataset=None) -> pd.DataFrame:
    """Rebuild every report figure into ``out`` (default :func:`~kexie_research.settings.paper_figures_dir`).

    Equivalent to ``kexie-research figures --out OUT --seed SEED --lang LANG``; ``quick``
    (default: :func:`~kexie_research.settings.quick_mode`) cuts Monte Carlo sizes.
    ``sections`` (default: all, or the comma-separated ``KEXIE_FIGURE_SECTIONS`` — the
    notebook tests use it to stay within the suite's time budget; ``tests/test_figures.py``
    regenerates every section) restricts the report sections. ``data_dir`` or an already
    loaded ``dataset`` replace the embedded data.

    Returns
    -------
    DataFrame
        :func:`~kexie_research.plots.files.figure_index` of ``out``.
    """
    from . import build_report

    out = Path(out) if out is not None else paper_figures_dir()
    if sections is None and os.environ.get("KEXIE_FIGURE_SECTIONS"):
        sections = [x.strip() for x in os.environ["KEXIE_FIGURE_SECTIONS"].split(",") if x.strip()]
    build_report(data_dir, out, lang=lang, seed=seed, progress=False, sections=sections,
                 figures_only=True, quick=quick_mode() if quick is None else quick, dataset=dataset)
    return figure_index(out)
