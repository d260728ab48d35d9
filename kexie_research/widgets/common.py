"""What every explorer shares: language toggle, debouncing, exports, figure display.

An explorer is a class whose controls are ipywidgets held as attributes and whose
``.result`` is the analysis result object, recomputed when a control changes::

    w = PlanSimulator(debounce=0)   # 0: recompute synchronously (tests, scripts)
    w.capacity.value = 200
    w.result                        # a fresh SimulationResult

Explorers compute through the analysis API and draw through :mod:`kexie_research.plots`;
they hold no analysis logic of their own. Files are written only through
:mod:`kexie_research.io` (figures through :func:`kexie_research.plots.save_figure`),
confined to the explorer's export folder.
"""

from __future__ import annotations

import asyncio
import io
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import ipywidgets as widgets
import pandas as pd

from .. import labels
from ..io import write_csv, write_json, write_xlsx
from ..settings import quick_mode  # re-exported: the explorers' Monte Carlo sizes

__all__ = [
    "LANGS",
    "code_name",
    "display_frame",
    "Debouncer",
    "Explorer",
    "quick_mode",
    "mc_size",
    "default_export_dir",
    "figure_png",
    "frame_html",
    "tr",
]

LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_DEBOUNCE_S = 0.25
"""Seconds a control must stay still before the explorer recomputes."""


def tr(lang: str, zh: str, en: str) -> str:
    """Pick the text in ``lang`` ("zh" or "en").

    Examples
    --------
    >>> tr("en", "覆盖率", "Coverage")
    'Coverage'
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return zh if lang == "zh" else en


def default_export_dir() -> Path:
    """Where explorers write exported figures, tables and plans.

    ``KEXIE_EXPORT_DIR`` when set, else ``exports/`` in the current working folder (the
    notebook's folder under JupyterLab).
    """
    env = os.environ.get("KEXIE_EXPORT_DIR")
    return Path(env) if env else Path.cwd() / "exports"


class Debouncer:
    """Call ``func`` once the calls have stopped for ``wait`` seconds.

    With ``wait <= 0`` every call runs ``func`` at once (what tests and scripts want).
    Inside a running asyncio loop (a Jupyter kernel handling a widget message) the call
    is scheduled on that loop, so it runs in the same thread as every other widget
    callback; elsewhere a :class:`threading.Timer` is used. :meth:`flush` runs a pending
    call now.

    Examples
    --------
    >>> calls = []
    >>> d = Debouncer(lambda: calls.append(1), wait=0)
    >>> d(); d()
    >>> calls
    [1, 1]
    >>> d = Debouncer(lambda: calls.append(2), wait=60)
    >>> d(); d(); d.pending
    True
    >>> d.flush(); calls, d.pending
    ([1, 1, 2], False)
    """

    def __init__(self, func: Callable[[], Any], wait: float = DEFAULT_DEBOUNCE_S):
        self.func = func
        self.wait = float(wait)
        self._handle: Any = None
        self._lock = threading.Lock()

    @property
    def pending(self) -> bool:
        """Whether a call is waiting to run."""
        return self._handle is not None

    def cancel(self) -> None:
        """Drop the pending call, if any."""
        with self._lock:
            if self._handle is not None:
                self._handle.cancel()
                self._handle = None

    def _fire(self) -> None:
        with self._lock:
            self._handle = None
        self.func()

    def __call__(self) -> None:
        if self.wait <= 0:
            self.func()
            return
        self.cancel()
        with self._lock:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                self._handle = loop.call_later(self.wait, self._fire)
            else:
                timer = threading.Timer(self.wait, self._fire)
                timer.daemon = True
                self._handle = timer
                timer.start()

    def flush(self) -> None:
        """Run the pending call now (no-op when nothing is pending)."""
        if self.pending:
            self.cancel()
            self.func()


def figure_png(fig, *, dpi: int = 140, close: bool = True) -> bytes:
    """PNG bytes of a matplotlib figure for an ``ipywidgets.Image`` (screen resolution)."""
    import matplotlib.pyplot as plt

    from ..plots.style import use_style

    lang = getattr(fig, "_kexie_lang", "zh")
    buf = io.BytesIO()
    with use_style(lang):
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    if close:
        plt.close(fig)
    return buf.getvalue()


def frame_html(df: pd.DataFrame, *, max_rows: int = 40, float_format: str = "{:,.3g}") -> str:
    """A compact HTML table of ``df`` (first ``max_rows`` rows, escaped)."""
    shown = df.head(max_rows)
    html = shown.to_html(index=False, border=0, escape=True, na_rep="–",
                         float_format=lambda v: float_format.format(v),
                         classes="kexie-table")
    more = len(df) - len(shown)
    if more > 0:
        html += f"<div style='color:#666;font-size:90%'>… +{more}</div>"
    style = ("<style>.kexie-table{border-collapse:collapse;font-size:12px}"
             ".kexie-table th,.kexie-table td{padding:2px 8px;text-align:right;"
             "border-bottom:1px solid #ddd}.kexie-table th{background:#f4f4f4}</style>")
    return style + html


class Explorer:
    """Base class of the explorers: controls, ``result``, language, debounce, exports.

    Subclasses build their controls in ``__init__`` (then call :meth:`_finish`), compute
    the analysis result in :meth:`compute`, draw it in :meth:`render`, name their
    labels in :meth:`labels` (``{attribute: (zh, en)}``) and the figure in
    :meth:`make_figure`.

    Parameters
    ----------
    lang : {"zh", "en"}
        Language of every label, figure and table; switch later with ``.lang_toggle``.
    debounce : float
        Seconds of stillness before recomputing; 0 recomputes synchronously.
    export_dir : path-like, optional
        Folder for exported files (default :func:`default_export_dir`); nothing is
        written outside it.
    """

    title: tuple[str, str] = ("", "")
    export_name: str = "explorer"
    description_width: str = "initial"
    """Width of the controls' labels ("initial" = as long as the text)."""

    def __init__(self, *, lang: str = "zh", debounce: float = DEFAULT_DEBOUNCE_S,
                 export_dir: str | os.PathLike | None = None):
        tr(lang, "", "")  # validates
        self.export_dir = Path(export_dir) if export_dir is not None else default_export_dir()
        self.lang_toggle = widgets.ToggleButtons(options=[("中文", "zh"), ("English", "en")],
                                                 value=lang, style={"button_width": "70px"})
        self.heading = widgets.HTML()
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="520px", max_width="100%"))
        self.export_figure_button = widgets.Button(icon="image", layout=widgets.Layout(width="auto"))
        self.export_table_button = widgets.Button(icon="table", layout=widgets.Layout(width="auto"))
        self.export_figure_button.on_click(lambda _b: self.export_figure())
        self.export_table_button.on_click(lambda _b: self.export_table())
        self.result: Any = None
        self.error: Exception | None = None
        self.last_exports: dict[str, Path] = {}
        self.n_updates = 0
        self.last_update_s = float("nan")
        self._debouncer = Debouncer(self.update, debounce)
        self._busy = threading.Lock()
        self._quiet = False

    # ---- to be provided by subclasses -----------------------------------------------
    def compute(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def render(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def make_figure(self):  # pragma: no cover - abstract
        """A matplotlib figure of the current result in the current language."""
        raise NotImplementedError

    def table(self) -> pd.DataFrame:
        """The table the 'export table' button writes."""
        return pd.DataFrame()

    def labels(self) -> dict[str, tuple[str, str]]:
        """``{control attribute: (zh, en)}`` descriptions of the controls."""
        return {}

    def option_labels(self) -> dict[str, list[tuple[Any, tuple[str, str]]]]:
        """``{selection control attribute: [(value, (zh, en)), ...]}`` option names."""
        return {}

    def layout(self) -> widgets.Widget:  # pragma: no cover - abstract
        raise NotImplementedError

    # ---- machinery --------------------------------------------------------------------
    @property
    def lang(self) -> str:
        """Current language ("zh" or "en")."""
        return self.lang_toggle.value

    def t(self, zh: str, en: str) -> str:
        """Text in the current language."""
        return tr(self.lang, zh, en)

    def data_source(self) -> str:
        """"synthetic data" or "user data" (in the current language) for captions, from the
        explorer's ``dataset``."""
        synthetic = self.dataset.is_synthetic
        return self.t("合成数据" if synthetic else "用户数据", "synthetic data" if synthetic else "user data")

    def _finish(self, controls: Iterable[widgets.Widget]) -> None:
        """Watch ``controls``, apply labels, compute the first result (synchronously)."""
        for c in controls:
            c.observe(self._on_change, names="value")
        self.lang_toggle.observe(self._on_lang, names="value")
        self._apply_labels()
        self.widget = self.layout()
        self.update()

    def _on_change(self, _change=None) -> None:
        if self._quiet:
            return
        self.status.value = f"<span style='color:#888'>{self.t('计算中…', 'updating…')}</span>"
        self._debouncer()

    def _on_lang(self, _change=None) -> None:
        self._apply_labels()
        self.render()

    def _apply_labels(self) -> None:
        zh_en = {"export_figure_button": ("导出图", "Export figure"),
                 "export_table_button": ("导出表", "Export table")}
        zh_en.update(self.labels())
        for attr, (zh, en) in zh_en.items():
            w = getattr(self, attr)
            text = self.t(zh, en)
            if isinstance(w, widgets.Button):
                w.description = text
                w.tooltip = text
            else:
                w.description = text
                w.style.description_width = self.description_width
        self._quiet = True  # renaming options must not look like a user's change
        try:
            for attr, options in self.option_labels().items():
                w = getattr(self, attr)
                value = w.value
                w.options = [(self.t(*names), v) for v, names in options]
                w.value = value
        finally:
            self._quiet = False
        self.heading.value = f"<h3 style='margin:4px 0'>{self.t(*self.title)}</h3>"

    def update(self) -> None:
        """Recompute :attr:`result` from the controls and redraw (what a change triggers)."""
        with self._busy:
            t0 = time.perf_counter()
            try:
                self.result = self.compute()
                self.error = None
            except Exception as exc:  # shown to the user, kept for inspection
                self.error = exc
                self.status.value = (f"<span style='color:#D55E00'>{self.t('无法计算', 'Cannot compute')}: "
                                     f"{_escape(str(exc))}</span>")
                return
            self.last_update_s = time.perf_counter() - t0
            self.n_updates += 1
            try:
                self.render()
            except Exception as exc:  # a drawing problem must not break the controls
                self.error = exc
                self.status.value = (f"<span style='color:#D55E00'>{self.t('无法绘图', 'Cannot draw')}: "
                                     f"{_escape(str(exc))}</span>")
                return
            self.status.value = ""

    def flush(self) -> None:
        """Run a pending debounced update now."""
        self._debouncer.flush()

    def show_figure(self) -> None:
        """Draw :meth:`make_figure` into the image widget."""
        self.image.value = figure_png(self.make_figure())

    # ---- exports -------------------------------------------------------------------------
    def export_figure(self, name: str | None = None) -> dict[str, Path]:
        """Write the current figure (PNG 300 dpi, PDF, SVG) with a caption file."""
        from ..plots.style import save_figure

        name = name or f"{self.export_name}_{self.lang}"
        fig = self.make_figure()
        paths = save_figure(fig, name, self.export_dir, caption=self.caption())
        self.last_exports = paths
        self._note_export(paths.get("png"))
        return paths

    def export_table(self, name: str | None = None, *, fmt: str = "csv") -> Path:
        """Write :meth:`table` as CSV (UTF-8 with BOM, formula-neutral) or XLSX."""
        writers = {"csv": write_csv, "xlsx": write_xlsx}
        if fmt not in writers:
            raise ValueError(f"fmt must be one of {', '.join(writers)}, not {fmt!r}")
        name = name or f"{self.export_name}_{self.lang}"
        path = writers[fmt](self.export_dir / f"{name}.{fmt}", self.table(), root=self.export_dir)
        self.last_exports = {fmt: path}
        self._note_export(path)
        return path

    def export_json(self, name: str | None = None) -> Path:
        """Write the result's ``to_dict()`` as deterministic JSON."""
        name = name or f"{self.export_name}_{self.lang}"
        obj = self.result.to_dict() if hasattr(self.result, "to_dict") else self.result
        path = write_json(self.export_dir / f"{name}.json", obj, root=self.export_dir)
        self._note_export(path)
        return path

    def caption(self) -> str:
        """Caption of an exported figure: what, data source and parameters."""
        return self.t(*self.title)

    def _note_export(self, path) -> None:
        if path is not None:
            self.status.value = (f"<span style='color:#009E73'>{self.t('已导出', 'Exported')}: "
                                 f"{_escape(str(path))}</span>")

    def _repr_mimebundle_(self, **kwargs):  # pragma: no cover - display hook
        return self.widget._repr_mimebundle_(**kwargs)


def _escape(s: str) -> str:
    import html

    return html.escape(s, quote=False)


# ---- display names of codes (kexie_research.labels is their one home) ----------------------

def code_name(value: Any, lang: str) -> str:
    """Display name of a code, province, region or boolean in ``lang``, capitalised for a
    widget (names from :func:`kexie_research.labels.label`).

    Examples
    --------
    >>> code_name("广西", "en"), code_name("west", "zh"), code_name(True, "zh"), code_name("enterprise", "zh")
    ('Guangxi', '西部', '是', '企业')
    >>> code_name("cannot_leave_post", "en"), code_name(None, "en")
    ('Cannot leave post', '–')
    """
    if value is not None and not isinstance(value, str) and not isinstance(value, bool) \
            and type(value).__name__ != "bool_" and pd.isna(value):
        return "–"
    return labels.label(value, lang, capitalize=True)


def mc_size(full: int, quick: int) -> int:
    """A Monte Carlo / bootstrap size: ``full``, or ``quick`` when :func:`quick_mode` is on.

    Notebooks pass their sizes through this so the test suite runs them small.

    Examples
    --------
    >>> mc_size(400, 60) in (400, 60)
    True
    """
    return int(quick if quick_mode() else full)


# compatibility view for the network explorer (widgets/networks.py): derived from labels
LINK_KIND_NAMES: dict[str, tuple[str, str]] = {
    k: (zh, labels.label(k, "en", kind="link_kind", capitalize=True))
    for k, (zh, _en) in labels.table("link_kind").items()}
_CODE_COLUMNS = ("province", "region", "sector", "delegation_type", "rank", "segment",
                 "is_frontline", "is_reelected", "gender")


def display_frame(df: pd.DataFrame, lang: str, *, drop_empty: bool = True) -> pd.DataFrame:
    """``df`` for display: codes and statuses named in ``lang``, known headers translated,
    columns with no value dropped.

    Examples
    --------
    >>> display_frame(pd.DataFrame({"province": ["广西"], "status": ["fail"], "x": [None]}), "en")
      Province Status
    0  Guangxi   fail
    """
    from ..plots.networks import type_name

    out = df.copy()
    if drop_empty:
        out = out[[c for c in out.columns if out[c].notna().any()]]
    for c in out.columns:
        if c in _CODE_COLUMNS:
            out[c] = out[c].map(lambda v: code_name(v, lang))
        elif c == "type":
            out[c] = out[c].map(lambda v: type_name(v, lang) if isinstance(v, str) else v)
        elif c in ("kind", "status"):  # link kinds capitalised (a name), statuses lower case (a verdict)
            kind, cap = {"kind": ("link_kind", True), "status": ("status", False)}[c]
            names = labels.labels_for(kind, lang, capitalize=cap)
            out[c] = out[c].map(lambda v: names.get(v, v))
    return out.rename(columns={c: _header(c, lang) for c in out.columns})


def _header(c: str, lang: str) -> str:
    if c in labels.table("measure"):
        return labels.label(c, lang, kind="measure", capitalize=True)
    return labels.column_label(c, lang, capitalize=True)
