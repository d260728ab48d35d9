"""Coverage explorer: who was trained during the term, by group, and who is left out.

Wraps :func:`kexie_research.coverage.compute_coverage` and
:func:`~kexie_research.coverage.left_out_table`; the chart is
:func:`kexie_research.plots.coverage` 's group bar chart.
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from ..coverage import CoverageResult, busiest_congress, compute_coverage, left_out_table, term_tables
from ..data import Dataset, load_dataset
from .. import labels
from ..schema import REP_ID
from .common import Explorer, code_name, display_frame, frame_html

__all__ = ["CoverageExplorer", "BREAKDOWNS"]

BREAKDOWNS: tuple[str, ...] = ("region", "province", "sector", "delegation_type", "is_frontline",
                               "is_reelected", "is_academician", "can_leave_post", "gender")
"""Representative columns the explorer can break coverage down by (those present)."""

_LEFT_OUT_COLUMNS = (REP_ID, "province", "region", "sector", "delegation_type", "is_frontline",
                     "is_reelected")


def _column_pair(col: str) -> tuple[str, str]:
    return tuple(labels.column_label(col, lang, table="representatives", capitalize=True) for lang in ("zh", "en"))


class CoverageExplorer(Explorer):
    """Choose a breakdown and a threshold; see coverage by group and the untrained list.

    Controls: ``congress`` (the term studied; default: the congress with most attendance;
    other terms' attendance is left out, unknown ids are kept and reported), ``by`` (breakdown column), ``threshold`` (groups below it are flagged),
    ``window`` (0 = none, else "not trained within N years"), ``require_completed``.
    ``result`` is the :class:`~kexie_research.coverage.CoverageResult`; :meth:`table` the
    left-out representatives (exported by the "export table" button).

    Parameters
    ----------
    dataset : Dataset, optional
        Needs ``representatives`` and ``attendance`` (``trainings`` for dates/windows);
        default: the embedded synthetic data.

    Examples
    --------
    >>> import pandas as pd
    >>> reps = pd.DataFrame({"rep_id": list("abcd"), "region": ["east", "east", "west", "west"]})
    >>> att = pd.DataFrame({"rep_id": ["a", "b", "c"], "training_id": ["S1", "S1", "S1"]})
    >>> w = CoverageExplorer(Dataset(representatives=reps, attendance=att), debounce=0, lang="en")
    >>> w.result.coverage, w.result.groups["coverage"].tolist()
    (0.75, [1.0, 0.5])
    >>> w.threshold.value = 0.4
    >>> w.result.groups["below_threshold"].tolist()
    [False, False]
    """

    title = ("代表培训覆盖", "Representative training coverage")
    export_name = "coverage_left_out"

    def __init__(self, dataset: Dataset | None = None, **kw):
        super().__init__(**kw)
        ds = dataset if dataset is not None else load_dataset()
        if ds.representatives is None or ds.attendance is None:
            raise ValueError("the coverage explorer needs the representatives and attendance tables")
        self.dataset = ds
        present = [c for c in BREAKDOWNS if c in ds.representatives.columns]
        if not present:
            raise ValueError("the representatives table has none of the breakdown columns "
                             + ", ".join(BREAKDOWNS))
        self._by_columns = present
        congresses = (sorted(int(c) for c in ds.representatives["congress"].dropna().unique())
                      if "congress" in ds.representatives.columns else [])
        self.congress = widgets.Dropdown(options=congresses or [0],
                                         value=int(busiest_congress(ds.representatives, ds.attendance)) if congresses else 0,
                                         disabled=len(congresses) <= 1)
        self.by = widgets.Dropdown(options=present, value=present[0])
        self.threshold = widgets.FloatSlider(value=0.8, min=0.0, max=1.0, step=0.05,
                                             readout_format=".0%", continuous_update=True)
        has_dates = ds.trainings is not None
        self.window = widgets.Dropdown(options=[0, 1, 2, 3, 4, 5] if has_dates else [0], value=0)
        self.require_completed = widgets.Checkbox(value=False, indent=False)
        self.summary = widgets.HTML()
        self.summary.add_class("kexie-coverage")
        self.groups_html = widgets.HTML()
        self.left_out_html = widgets.HTML()
        self._finish([self.congress, self.by, self.threshold, self.window, self.require_completed])

    def labels(self):
        return {"congress": ("届次", "Congress"), "by": ("分组", "Break down by"), "threshold": ("达标线", "Threshold"),
                "window": ("培训周期（年，0=不限）", "Window (years, 0 = none)"),
                "require_completed": ("只计结业", "Completed only")}

    def option_labels(self):
        return {"by": [(c, _column_pair(c)) for c in self._by_columns]}

    def compute(self) -> CoverageResult:
        ds = self.dataset
        reps, att = term_tables(ds.representatives, ds.attendance, self.congress.value or None)
        res = compute_coverage(reps, att, ds.trainings,
                               by=self.by.value, threshold=self.threshold.value,
                               window_years=self.window.value or None,
                               require_completed=self.require_completed.value)
        self._term_reps = reps  # the left-out table lists this result's representatives
        return res

    def group_table(self) -> pd.DataFrame:
        """The groups of the result with display names, in the current language."""
        g = self.result.groups.sort_values("coverage", ascending=False, kind="stable")
        out = pd.DataFrame({
            self.t("组", "Group"): [code_name(v, self.lang) for v in g[self.result.by[0]]],
            self.t("人数", "Reps"): g["total"].to_numpy(),
            self.t("已培训", "Trained"): g["trained"].to_numpy(),
            self.t("覆盖率", "Coverage"): g["coverage"].to_numpy(),
            self.t("95%区间下限", "95% CI low"): g["ci_low"].to_numpy(),
            self.t("95%区间上限", "95% CI high"): g["ci_high"].to_numpy(),
            self.t("低于达标线", "Below threshold"): [code_name(bool(b), self.lang) for b in g["below_threshold"]],
        })
        return out

    def table(self) -> pd.DataFrame:
        cols = [c for c in _LEFT_OUT_COLUMNS if c in self._term_reps.columns]
        return left_out_table(self.result, self._term_reps, columns=cols)

    def render(self) -> None:
        r = self.result
        window = ""
        if r.not_trained_within_window is not None:
            window = self.t(f"；{r.window_years:g} 年内未培训 {len(r.not_trained_within_window)} 人",
                            f"; {len(r.not_trained_within_window)} not trained within "
                            f"{r.window_years:g} years")
        ineq = r.inequality
        self.summary.value = self.t(
            f"<b>覆盖率 {r.coverage:.1%}</b>（{r.trained}/{r.total}，95% 区间 {r.ci_low:.1%}–{r.ci_high:.1%}）；"
            f"人次 {r.person_times}，重复参训 {r.repeat_attendance}；从未参训 {len(r.untrained_ids)} 人{window}。"
            f"组间基尼系数 {ineq['gini']:.3f}，{ineq['n_below_threshold']}/{ineq['n_groups']} 组低于 {r.threshold:.0%}。",
            f"<b>Coverage {r.coverage:.1%}</b> ({r.trained}/{r.total}, 95% CI {r.ci_low:.1%}–{r.ci_high:.1%}); "
            f"{r.person_times} person-times, {r.repeat_attendance} repeat attendances; "
            f"{len(r.untrained_ids)} never trained{window}. Gini across groups {ineq['gini']:.3f}; "
            f"{ineq['n_below_threshold']}/{ineq['n_groups']} groups below {r.threshold:.0%}.")
        self.groups_html.value = frame_html(self.group_table(), max_rows=40, float_format="{:.3f}")
        left = self.table()
        self.left_out_html.value = (f"<h4>{self.t('未覆盖的代表', 'Representatives left out')} ({len(left)})</h4>"
                                    + frame_html(display_frame(left, self.lang), max_rows=15))
        self.show_figure()

    def make_figure(self):
        from ..plots import coverage as pc

        return pc.plot_coverage_by_group(self.result, lang=self.lang).figure

    def caption(self) -> str:
        r = self.result
        src = self.data_source()
        return self.t(f"按{_column_pair(r.by[0])[0]}分组的代表培训覆盖率（Wilson 95% 区间），达标线 {r.threshold:.0%}。"
                      f"数据：{src}，{r.total} 名代表。",
                      f"Representative training coverage by {_column_pair(r.by[0])[1].lower()} (Wilson 95% "
                      f"intervals), threshold {r.threshold:.0%}. Data: {src}, {r.total} representatives.")

    def layout(self):
        box = widgets.VBox([
            widgets.HBox([self.heading, self.lang_toggle]),
            widgets.HBox([self.congress, self.by, self.threshold]),
            widgets.HBox([self.window, self.require_completed, self.export_figure_button,
                          self.export_table_button]),
            self.summary, self.status,
            widgets.HBox([self.image, self.groups_html]),
            self.left_out_html,
        ])
        box.add_class("kexie-coverage-explorer")
        return box
