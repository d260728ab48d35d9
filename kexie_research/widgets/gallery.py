"""Paper figures: browse a folder of figures with their captions.

The figures come from :func:`kexie_research.report.figures.regenerate_figures` (what
``make figures`` and notebook 07 run); the widget only reads the folder, so the widgets do
not import the report (tests/test_layers.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import ipywidgets as widgets

from ..plots.files import figure_index
from ..settings import paper_figures_dir
from .common import tr

__all__ = ["paper_figures_dir", "figure_index", "FigureGallery"]


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
