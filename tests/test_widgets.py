"""Widget behaviour without a browser: controls change results, labels follow the language,
exports go through the safe writers into the export folder."""

from __future__ import annotations

import datetime
import threading
import time

import pandas as pd
import pytest

from kexie_research.widgets import Debouncer, ValidationExplorer, tr, write_messy_example
from kexie_research.widgets.common import figure_png, frame_html, quick_mode


# ---- common machinery -------------------------------------------------------------------

def test_tr_and_bad_lang():
    assert tr("zh", "覆盖率", "Coverage") == "覆盖率"
    with pytest.raises(ValueError, match="zh, en"):
        tr("fr", "a", "b")


def test_debouncer_zero_wait_is_synchronous():
    calls = []
    d = Debouncer(lambda: calls.append(1), wait=0)
    d(); d(); d()
    assert calls == [1, 1, 1] and not d.pending


def test_debouncer_coalesces_a_burst_with_a_timer():
    calls = []
    done = threading.Event()
    d = Debouncer(lambda: (calls.append(time.monotonic()), done.set()), wait=0.05)
    for _ in range(5):
        d()
    assert d.pending and calls == []
    assert done.wait(5)
    time.sleep(0.1)
    assert len(calls) == 1 and not d.pending  # five calls, one run


def test_debouncer_flush_and_cancel():
    calls = []
    d = Debouncer(lambda: calls.append(1), wait=60)
    d.flush()
    assert calls == []  # nothing pending: no-op
    d()
    d.cancel()
    assert not d.pending and calls == []
    d()
    d.flush()
    assert calls == [1]


def test_debouncer_uses_running_event_loop():
    import asyncio

    calls = []

    async def main():
        d = Debouncer(lambda: calls.append(threading.get_ident()), wait=0.01)
        d(); d()
        await asyncio.sleep(0.1)

    asyncio.run(main())
    assert calls == [threading.get_ident()]  # ran once, in the loop's (this) thread


def test_quick_mode_env(monkeypatch):
    monkeypatch.setenv("KEXIE_QUICK", "1")
    assert quick_mode()
    monkeypatch.setenv("KEXIE_QUICK", "0")
    assert not quick_mode()


def test_frame_html_escapes_and_truncates():
    df = pd.DataFrame({"a": ["<script>", "x", "y"], "b": [1.23456, 2.0, 3.0]})
    html = frame_html(df, max_rows=2)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "1.23" in html and "+1" in html


def test_figure_png_is_png():
    from kexie_research.plots.style import figure, use_style

    with use_style("zh"):
        fig, ax = figure("single")
        ax.set_title("覆盖率")
    assert figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


# ---- validation explorer ----------------------------------------------------------------

@pytest.fixture
def messy(tmp_path):
    return write_messy_example(tmp_path / "in")


def test_validation_explorer_counts_rejects(messy, tmp_path):
    w = ValidationExplorer(debounce=0, lang="en", export_dir=tmp_path / "out")
    assert w.result is None and "Choose" in w.summary.value
    w.path.value = str(messy)
    # MESSY_EXAMPLE_ROWS: 8 rows; R003 province, R004 boolean, 2nd R001 duplicate,
    # R005 congress 99, R007 formula in sector -> 5 rejected, 3 accepted
    assert (w.result.n_input, w.result.n_accepted, w.result.n_rejected) == (8, 3, 5)
    assert w.result.encoding == "gb18030"
    assert sorted(w.result.rejects["rule"]) == ["allowed_values", "boolean", "province", "range",
                                                "unique_key"]
    assert "5 rejected" in w.summary.value
    # normalised values of accepted rows
    acc = w.result.accepted
    assert list(acc["province"]) == ["北京", "广西", "全国学会"]
    assert list(acc["sector"]) == ["university", "enterprise", "research_institute"]


def test_validation_explorer_encoding_and_kind_controls(messy, tmp_path):
    w = ValidationExplorer(messy, debounce=0, lang="en", export_dir=tmp_path)
    w.encoding.value = "utf-8"  # GBK bytes forced as UTF-8: an error naming the encoding
    assert w.result is None and "utf-8" in str(w.error)
    assert "Cannot compute" in w.status.value
    w.encoding.value = "gb18030"
    assert w.result.n_rejected == 5 and w.error is None
    w.kind.value = "attendance"  # wrong kind: required columns missing
    assert w.result is None and w.error is not None


def test_validation_explorer_upload(tmp_path):
    from kexie_research.widgets.data_tour import MESSY_EXAMPLE_ROWS

    w = ValidationExplorer(debounce=0, lang="en", export_dir=tmp_path)
    w.upload.value = ({"name": "../../reps.csv", "type": "text/csv", "size": 1,
                       "content": memoryview(MESSY_EXAMPLE_ROWS.encode("utf-8-sig")),
                       "last_modified": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)},)
    assert w.result.n_rejected == 5 and w.result.encoding == "utf-8-sig"
    assert not (tmp_path.parent / "reps.csv").exists()  # the upload name cannot escape


def test_validation_explorer_export_is_formula_neutral(messy, tmp_path):
    w = ValidationExplorer(messy, debounce=0, lang="zh", export_dir=tmp_path / "exports")
    path = w.export_table()
    assert path.parent == tmp_path / "exports" and path.name == "rejected_rows_zh.csv"
    text = path.read_text(encoding="utf-8-sig")
    assert "'=cmd" in text and ",=cmd" not in text
    assert "/" not in pd.read_csv(path, encoding="utf-8-sig")["file"].iloc[0]  # no absolute paths
    assert "已导出" in w.status.value


def test_validation_explorer_language_toggle(messy, tmp_path):
    w = ValidationExplorer(messy, debounce=0, lang="zh", export_dir=tmp_path)
    assert w.kind.description == "表类型" and "拒绝 5 行" in w.summary.value
    w.lang_toggle.value = "en"
    assert w.kind.description == "Table kind" and "5 rejected" in w.summary.value
    assert w.export_table_button.description == "Export table"
    n = w.n_updates
    w.lang_toggle.value = "zh"
    assert w.n_updates == n  # relabelling does not recompute


def test_validation_explorer_debounced_update_runs_later(messy, tmp_path):
    w = ValidationExplorer(debounce=30, lang="en", export_dir=tmp_path)
    w.path.value = str(messy)
    assert w.result is None and "updating" in w.status.value  # not yet recomputed
    w.flush()
    assert w.result.n_rejected == 5


def test_validation_explorer_figure(messy, tmp_path):
    w = ValidationExplorer(messy, debounce=0, lang="en", export_dir=tmp_path)
    fig = w.make_figure()
    assert len(fig.axes[0].patches) == 5  # one bar per rule broken
    paths = w.export_figure()
    assert {"png", "pdf", "svg", "caption"} <= set(paths)
