"""Data tour and bringing your own data: what the embedded tables hold, and checking a file.

:class:`ValidationExplorer` validates a table file (a path on disk or an uploaded file)
against the data model and shows accepted rows and the rejected ones with the rule each
broke; :func:`write_messy_example` writes a deliberately messy GBK-encoded file to try it
on; :func:`dataset_overview` summarises a loaded :class:`~kexie_research.data.Dataset`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from ..data import Dataset
from ..io import atomic_write_bytes
from ..schema import TABLE_KINDS, TABLES
from ..validate import LoadResult, load_table
from .common import Explorer, frame_html, tr

__all__ = ["ValidationExplorer", "write_messy_example", "dataset_overview", "MESSY_EXAMPLE_ROWS"]

MESSY_EXAMPLE_ROWS = """rep_id,congress,province,delegation_type,sector,is_academician,is_frontline,is_reelected,gender
R001,9,北京市,local_association,高校,否,是,否,女
R002,9,Guangxi,local_association,enterprise,no,yes,no,男
R003,9,火星,local_association,university,0,1,0,
R004,9,上海,local_association,university,maybe,1,0,male
R001,9,天津,local_association,university,0,1,0,female
R005,99,河北,local_association,university,0,1,0,female
R006,9,全国学会,national_society,research_institute,1,0,1,male
R007,9,湖南,local_association,=cmd|' /C calc'!A0,0,1,0,male
"""
"""A representatives table as a spreadsheet export might give it: full and English
province names, Chinese yes/no and sector words (all accepted and normalised), and five
broken rows — an unknown province, a non-boolean, a duplicate ID, an impossible congress
number and a formula-injection attempt (all rejected with their rule)."""


def write_messy_example(folder: str | os.PathLike, *, encoding: str = "gb18030") -> Path:
    """Write :data:`MESSY_EXAMPLE_ROWS` as ``representatives_messy.csv`` in ``folder``.

    Encoded as GB18030 by default (what Chinese Excel saves), to show that the loader
    detects the encoding.

    Examples
    --------
    >>> import tempfile
    >>> from kexie_research.validate import load_table
    >>> with tempfile.TemporaryDirectory() as d:
    ...     res = load_table(write_messy_example(d), errors="collect")
    >>> res.kind, res.encoding, res.n_input, res.n_accepted, res.n_rejected
    ('representatives', 'gb18030', 8, 3, 5)
    """
    folder = Path(folder)
    return atomic_write_bytes(folder / "representatives_messy.csv",
                              MESSY_EXAMPLE_ROWS.encode(encoding), root=folder)


def dataset_overview(ds: Dataset, *, lang: str = "zh") -> pd.DataFrame:
    """One row per loaded table: file, encoding, rows read/accepted/rejected, description.

    Examples
    --------
    >>> from kexie_research.data import load_dataset, synthetic_dir
    >>> ds = load_dataset(synthetic_dir(), kinds=["trainings"]) if (synthetic_dir() / "trainings_synthetic.csv").exists() else None
    >>> ds is None or list(dataset_overview(ds, lang="en").columns)[:2] == ["table", "file"]
    True
    """
    rows = []
    for kind in TABLE_KINDS:
        res = ds.loads.get(kind)
        if res is None:
            continue
        rows.append({
            tr(lang, "表", "table"): kind,
            tr(lang, "文件", "file"): Path(ds.files[kind]).name,
            tr(lang, "编码", "encoding"): res.encoding or "xlsx",
            tr(lang, "读入行", "rows read"): res.n_input,
            tr(lang, "接受", "accepted"): res.n_accepted,
            tr(lang, "拒绝", "rejected"): res.n_rejected,
            tr(lang, "列数", "columns"): len(res.accepted.columns),
            tr(lang, "说明", "description"): TABLES[kind].description,
        })
    return pd.DataFrame(rows)


_AUTO = "auto"


class ValidationExplorer(Explorer):
    """Validate a table file against the data model and look at what was rejected.

    Controls: ``path`` (a file on disk), ``upload`` (or upload one), ``kind`` (table kind,
    ``"auto"`` guesses it from the columns), ``encoding`` (``"auto"`` detects UTF-8 /
    UTF-8 with BOM / GB18030). ``result`` is the :class:`~kexie_research.validate.LoadResult`
    (``None`` until a file is chosen).

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> w = ValidationExplorer(debounce=0, lang="en", export_dir=d)
    >>> w.path.value = str(write_messy_example(d))
    >>> w.result.n_rejected, sorted(w.result.rejects["rule"])[:2]
    (5, ['allowed_values', 'boolean'])
    >>> w.kind.value = "trainings"      # wrong kind: the required columns are missing
    >>> w.result is None and "trainings" in str(w.error)
    True
    """

    title = ("数据校验：自带数据", "Validate your own data")
    export_name = "rejected_rows"

    def __init__(self, path: str | os.PathLike | None = None, **kw):
        super().__init__(**kw)
        self.path = widgets.Text(value=str(path) if path else "", placeholder="data/representatives.csv",
                                 layout=widgets.Layout(width="420px"))
        self.upload = widgets.FileUpload(accept=".csv,.gz,.xlsx", multiple=False)
        self.kind = widgets.Dropdown(options=[_AUTO, *TABLE_KINDS], value=_AUTO)
        self.encoding = widgets.Dropdown(options=[_AUTO, "utf-8", "utf-8-sig", "gb18030"], value=_AUTO)
        self.summary = widgets.HTML()
        self.rejects_html = widgets.HTML()
        self.accepted_html = widgets.HTML()
        self._tmp = tempfile.TemporaryDirectory(prefix="kexie-upload-")
        self._finish([self.path, self.upload, self.kind, self.encoding])

    def labels(self):
        return {"path": ("文件路径", "File path"), "upload": ("上传", "Upload"),
                "kind": ("表类型", "Table kind"), "encoding": ("编码", "Encoding")}

    def _file(self) -> Path | None:
        if self.upload.value:
            item = self.upload.value[0]
            name = Path(item["name"]).name or "upload.csv"
            return atomic_write_bytes(Path(self._tmp.name) / name, bytes(item["content"]),
                                      root=self._tmp.name)
        return Path(self.path.value).expanduser() if self.path.value.strip() else None

    def compute(self) -> LoadResult | None:
        f = self._file()
        if f is None:
            return None
        kind = None if self.kind.value == _AUTO else self.kind.value
        enc = None if self.encoding.value == _AUTO else self.encoding.value
        return load_table(f, kind, errors="collect", encoding=enc)

    def update(self) -> None:
        super().update()
        if self.error is not None:
            self.result = None

    def render(self) -> None:
        r = self.result
        if r is None:
            self.summary.value = self.t("选择或上传一个表文件（CSV/XLSX）。",
                                        "Choose or upload a table file (CSV/XLSX).")
            self.rejects_html.value = self.accepted_html.value = ""
            return
        self.summary.value = self.t(
            f"<b>{r.kind}</b>：编码 {r.encoding or 'xlsx'}，读入 {r.n_input} 行，接受 {r.n_accepted} 行，"
            f"拒绝 {r.n_rejected} 行（{len(r.rejects)} 个问题）。",
            f"<b>{r.kind}</b>: encoding {r.encoding or 'xlsx'}, {r.n_input} rows read, "
            f"{r.n_accepted} accepted, {r.n_rejected} rejected ({len(r.rejects)} problems).")
        self.rejects_html.value = (f"<h4>{self.t('被拒绝的行', 'Rejected rows')}</h4>"
                                   + frame_html(self.table()) if len(r.rejects) else "")
        self.accepted_html.value = (f"<h4>{self.t('接受的行（前10行，已规范化）', 'Accepted rows (first 10, normalised)')}</h4>"
                                    + frame_html(r.accepted.head(10).reset_index(names="row")))

    def table(self) -> pd.DataFrame:
        if self.result is None:
            return pd.DataFrame(columns=["file", "row", "column", "value", "rule", "message"])
        rej = self.result.rejects.copy()
        if "file" in rej:
            rej["file"] = rej["file"].map(lambda p: Path(str(p)).name)
        return rej

    def make_figure(self):
        from ..plots.style import figure, label, use_style, HATCHES, COLORS

        counts = self.table()["rule"].value_counts().sort_values() if self.result is not None else pd.Series(dtype=int)
        with use_style(self.lang):
            fig, ax = figure("single", 0.4 + 0.25 * max(len(counts), 1))
            ax.barh(range(len(counts)), counts.to_numpy(), color=COLORS[0], hatch=HATCHES[1],
                    edgecolor="black", linewidth=0.4)
            ax.set_yticks(range(len(counts)), counts.index)
            ax.set_xlabel(label(self.lang, "问题数", "Problems"))
            ax.set_title(label(self.lang, "按规则统计的问题", "Problems by rule"))
        return fig

    def layout(self):
        return widgets.VBox([
            widgets.HBox([self.heading, self.lang_toggle]),
            widgets.HBox([self.path, self.upload]),
            widgets.HBox([self.kind, self.encoding, self.export_table_button]),
            self.summary, self.status, self.rejects_html, self.accepted_html,
        ])
