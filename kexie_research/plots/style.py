"""Journal style: sizes, colour-blind-safe palette, Chinese glyphs, deterministic files.

- Sizes: single column 89 mm (3.5 in), double column 183 mm (7.2 in), as most journals
  (Nature, Elsevier) ask; 8 pt text.
- Palette: Okabe & Ito (2008), safe for the common colour-vision deficiencies; series also
  differ in marker/hatch so figures read in greyscale.
- Chinese: Noto Sans CJK SC (SIL OFL) shipped by the ``mplfonts`` wheel is registered from
  the package's file, never copied into matplotlib's folders; DejaVu Sans is the fallback
  for Latin glyphs. ``axes.unicode_minus`` is off so the minus sign exists in the CJK font.
- Determinism: PDF/SVG without creation dates, a fixed SVG hash salt, PNG without
  software/time metadata, so the same data give byte-identical files.
- No global state: importing this module selects no backend and changes no rcParams. The
  style is applied inside :func:`use_style` while a figure is built, and again whenever
  it is drawn (:class:`JournalFigure` draws under the style of its language), so a
  figure shown by a notebook's inline backend looks like the saved file. The command line
  selects the Agg backend at its own entry point (:func:`kexie_research.cli.main`).
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterable

import matplotlib
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure

from ..io import atomic_write_bytes, write_text

__all__ = ["COLORS", "HATCHES", "MARKERS", "SINGLE_COLUMN_IN", "DOUBLE_COLUMN_IN", "use_style",
           "figure", "save_figure", "label", "cjk_font_name", "FORMATS", "tag_figure",
           "new_axes", "JournalFigure"]

SINGLE_COLUMN_IN = 3.5
DOUBLE_COLUMN_IN = 7.2
FORMATS = ("png", "pdf", "svg")
DPI = 300

# Okabe–Ito palette (black last)
COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

_CJK_FILE = "NotoSansCJKsc-Regular.otf"
_CJK_NAME = "Noto Sans CJK SC"
_registered = False


def cjk_font_name() -> str:
    """Register the bundled Noto Sans CJK SC (once) and return its family name."""
    global _registered
    if not _registered:
        path = Path(str(resources.files("mplfonts") / "fonts" / _CJK_FILE))
        if not path.is_file():  # pragma: no cover - mplfonts is a core dependency
            raise RuntimeError(f"CJK font not found at {path}; reinstall mplfonts")
        fm = font_manager.fontManager
        fm.addfont(str(path))
        # The bundled file must win over a system font of the same family (Debian's
        # fonts-noto-cjk also names itself "Noto Sans CJK SC"): ties in findfont go to the
        # first entry, so put ours first. Otherwise the files depend on installed fonts.
        ours = [f for f in fm.ttflist if Path(f.fname) == path]
        fm.ttflist = ours + [f for f in fm.ttflist if Path(f.fname) != path]
        fm._findfont_cached.cache_clear()
        _registered = True
    return _CJK_NAME


def _rc(lang: str) -> dict:
    cjk = cjk_font_name()
    return {
        # a list of real families, not the generic "sans-serif": matplotlib then falls back
        # glyph by glyph (Chinese names in English figures, "₂" in Chinese ones)
        "font.family": [cjk, "DejaVu Sans"] if lang == "zh" else ["DejaVu Sans", cjk],
        "font.sans-serif": [cjk, "DejaVu Sans"] if lang == "zh" else ["DejaVu Sans", cjk],
        "axes.unicode_minus": False,
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.labelsize": 8,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "legend.fontsize": 7,
        "legend.frameon": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": matplotlib.cycler(color=COLORS),
        "axes.linewidth": 0.6,
        "lines.linewidth": 1.2,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "grid.linewidth": 0.4,
        "grid.color": "#d0d0d0",
        "figure.dpi": 100,
        "savefig.dpi": DPI,
        "savefig.bbox": "tight",
        "savefig.pad_inches": 0.02,
        "pdf.fonttype": 3,
        "svg.fonttype": "path",
        "svg.hashsalt": "kexie_research",
        "path.simplify": True,
        "image.cmap": "cividis",
    }


@contextmanager
def use_style(lang: str = "zh"):
    """Context manager applying the journal style for ``lang`` ("zh" or "en")."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    rc = _rc(lang)
    params = matplotlib.rcParams
    # save and restore only the keys of the style: ``plt.rc_context`` restores every
    # parameter, which undid the interactive mode IPython switches on when the first figure
    # (made inside this context) resolves the inline backend, so later notebook cells
    # showed no figure
    saved = {k: params._get(k) for k in rc}
    params.update(rc)
    try:
        yield
    finally:
        dict.update(params, saved)


class JournalFigure(Figure):
    """A matplotlib ``Figure`` that draws under the journal style of its language.

    Fonts, the minus sign and line simplification are resolved when a figure is drawn, not
    when it is built; drawing under :func:`use_style` makes every renderer (a notebook's
    inline backend, an ``ipywidgets.Image``, :func:`save_figure`) show the same figure,
    without the style ever being set globally. The language is the one the figure was
    built in (``fig._kexie_lang``, see :func:`tag_figure`).
    """

    _kexie_lang: str | None = None

    def draw(self, renderer):
        with use_style(self._kexie_lang or "zh"):
            return super().draw(renderer)


def figure(width: str | float = "single", height: float | None = None, *, nrows: int = 1,
           ncols: int = 1, **kw):
    """A new figure of journal width: ``"single"`` (3.5 in), ``"double"`` (7.2 in) or inches.

    Returns ``(fig, ax)`` like :func:`matplotlib.pyplot.subplots`; the figure is a
    :class:`JournalFigure`. Call inside :func:`use_style` so sizes and fonts apply to what
    is drawn next.

    Examples
    --------
    >>> with use_style("en"):
    ...     fig, ax = figure("single")
    >>> type(fig).__name__, fig._kexie_lang, float(fig.get_figwidth())
    ('JournalFigure', 'en', 3.5)
    >>> plt.close(fig)
    """
    w = {"single": SINGLE_COLUMN_IN, "double": DOUBLE_COLUMN_IN}.get(width, width)
    h = height if height is not None else w * 0.68
    kw.setdefault("FigureClass", JournalFigure)
    fig, ax = plt.subplots(nrows, ncols, figsize=(w, h), **kw)
    fig._kexie_lang = _current_lang()
    return fig, ax


def _current_lang() -> str:
    fams = matplotlib.rcParams["font.sans-serif"]
    return "zh" if fams and fams[0] == _CJK_NAME else "en"


def new_axes(ax=None, lang: str = "zh", width: str | float = "single", height: float | None = None):
    """Return ``ax`` if given, else the axes of a new journal-size figure in ``lang``.

    The pattern every plot function starts with: draw into the caller's axes, or make a
    figure of its own (tagged with its language for :func:`save_figure`).
    """
    if ax is not None:
        return ax
    with use_style(lang):
        fig, ax = figure(width, height)
    tag_figure(fig, lang)
    return ax


def tag_figure(fig, lang: str):
    """Mark a figure made without :func:`figure` with its language (for :func:`save_figure`)."""
    fig._kexie_lang = lang
    return fig


def label(lang: str, zh: str, en: str) -> str:
    """Pick the label in the figure's language."""
    return zh if lang == "zh" else en


_META = {
    "png": {"Software": None},
    "pdf": {"Creator": "kexie_research", "Producer": "kexie_research", "CreationDate": None,
            "ModDate": None},
    "svg": {"Creator": "kexie_research", "Date": None},
}


def save_figure(fig, name: str, out_dir, *, caption: str | None = None,
                formats: Iterable[str] = FORMATS, root=None, close: bool = True) -> dict[str, Path]:
    """Write ``fig`` as ``name.png`` (300 dpi), ``name.pdf`` and ``name.svg``, atomically.

    A caption (data source and parameters) goes to ``name.caption.txt``. Files are
    byte-identical for identical figures. ``root`` confines writes (default ``out_dir``).

    Returns
    -------
    dict
        Format → written path.
    """
    out_dir = Path(out_dir)
    root = Path(root) if root is not None else out_dir
    written: dict[str, Path] = {}
    import warnings
    lang = getattr(fig, "_kexie_lang", None) or _current_lang()
    for fmt in formats:
        buf = io.BytesIO()
        # fonts resolve at draw time: draw under the style the figure was made in
        with use_style(lang), warnings.catch_warnings():
            warnings.filterwarnings("error", message=r".*[Gg]lyph .* missing from font")
            fig.savefig(buf, format=fmt, dpi=DPI, metadata=_META[fmt])
        written[fmt] = atomic_write_bytes(out_dir / f"{name}.{fmt}", buf.getvalue(), root=root)
    if caption is not None:
        written["caption"] = write_text(out_dir / f"{name}.caption.txt", caption.rstrip() + "\n", root=root)
    if close:
        plt.close(fig)
    return written
