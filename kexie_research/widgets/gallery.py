"""Paper figures: regenerate every figure of the report into ``figures/`` and browse them.

:func:`regenerate_figures` is what ``make figures`` and notebook 07 run (the report's
figure-only mode: PNG at 300 dpi, PDF, SVG and a caption file per figure, byte-identical
for the same data and seed). :class:`FigureGallery` shows them with their captions.
"""

from __future__ import annotations

import os
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from .common import quick_mode, tr

__all__ = ["paper_figures_dir", "regenerate_figures", "figure_index", "FigureGallery"]


def paper_figures_dir() -> Path:
    """Where paper figures go: ``KEXIE_FIGURES_DIR`` when set, else the source tree's
    top-level ``figures/`` (``figures/`` in the working folder for an installed package)."""
    env = os.environ.get("KEXIE_FIGURES_DIR")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").is_file() and (repo / "kexie_research").is_dir():
        return repo / "figures"
    return Path.cwd() / "figures"


def regenerate_figures(out: str | os.PathLike | None = None, *, seed: int = 20240, lang: str = "zh",
                       quick: bool | None = None, sections=None, data_dir=None,
                       dataset=None) -> pd.DataFrame:
    """Rebuild every report figure into ``out`` (default :func:`paper_figures_dir`).

    Equivalent to ``kexie-research figures --out OUT --seed SEED --lang LANG``; ``quick``
    (default: :func:`~kexie_research.widgets.common.quick_mode`) cuts Monte Carlo sizes.
    ``sections`` (default: all, or the comma-separated ``KEXIE_FIGURE_SECTIONS`` — the
    notebook tests use it to stay within the suite's time budget; ``tests/test_figures.py``
    regenerates every section) restricts the report sections. ``data_dir`` or an already
    loaded ``dataset`` replace the embedded data.

    Returns
    -------
    DataFrame
        :func:`figure_index` of ``out``.
    """
    from ..report import build_report

    out = Path(out) if out is not None else paper_figures_dir()
    if sections is None and os.environ.get("KEXIE_FIGURE_SECTIONS"):
        sections = [x.strip() for x in os.environ["KEXIE_FIGURE_SECTIONS"].split(",") if x.strip()]
    build_report(data_dir, out, lang=lang, seed=seed, progress=False, sections=sections,
                 figures_only=True, quick=quick_mode() if quick is None else quick, dataset=dataset)
    return figure_index(out)


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


class FigureGallery:
    """Browse the figures of a folder: a dropdown, the PNG and its caption.

    ``figure`` (the dropdown) is the control; ``result`` is the :func:`figure_index` row
    of the figure shown.
    """

    def __init__(self, folder: str | os.PathLike | None = None, *, lang: str = "zh"):
        self.folder = Path(folder) if folder is not None else paper_figures_dir()
        self.index = figure_index(self.folder)
        names = self.index["name"].tolist()
        self.figure = widgets.Dropdown(options=names, value=names[0] if names else None,
                                       description=tr(lang, "图", "Figure"),
                                       layout=widgets.Layout(width="520px"))
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="720px"))
        self.caption = widgets.HTML()
        self.summary = widgets.HTML(tr(lang, f"{len(names)} 幅图，位于 {self.folder.name}/",
                                       f"{len(names)} figures in {self.folder.name}/"))
        self.result = None
        self.figure.observe(lambda _c: self._show(), names="value")
        self._show()
        self.widget = widgets.VBox([self.summary, self.figure, self.image, self.caption])

    def _show(self) -> None:
        if self.figure.value is None:
            self.result = None
            return
        row = self.index.set_index("name").loc[self.figure.value]
        self.result = row
        self.image.value = (self.folder / f"{self.figure.value}.png").read_bytes()
        import html

        self.caption.value = f"<p style='max-width:720px'>{html.escape(row['caption'])}</p>"

    def _repr_mimebundle_(self, **kwargs):  # pragma: no cover - display hook
        return self.widget._repr_mimebundle_(**kwargs)
