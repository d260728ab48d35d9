"""Scenario explorer: which uncertain parameters make a plan fail, and how sure is the box?

Takes a sweep (:func:`kexie_research.simulation.sweep.run_sweep`: uncertain parameters
sampled, the plan simulated at each point), marks the *cases of interest* (an output below
or above a threshold, by default term-end coverage below 99 %), runs PRIM
(:func:`kexie_research.simulation.discovery.prim`) and lets you walk the peeling trajectory
— each step trades coverage (share of the cases captured) for density (share of the box
that are cases) — then adjust the chosen box by hand and see its coverage, density and
support (:func:`~kexie_research.simulation.discovery.evaluate_box`).
"""

from __future__ import annotations

import math
import os

import ipywidgets as widgets
import pandas as pd

from .. import labels
from ..errors import AnalysisError
from ..simulation.discovery import PrimResult, evaluate_box, failure_cases, prim
from ..simulation.plan import Plan, resolve_plan
from ..simulation.sweep import OUTPUTS, PARAMETERS, SweepResult, run_sweep
from .common import Debouncer, Explorer, frame_html, mc_size

__all__ = ["ScenarioExplorer", "SCENARIO_OUTPUTS", "DEFAULT_PARAMETERS"]

SCENARIO_OUTPUTS: tuple[str, ...] = ("coverage_mean", "coverage_p05", "p_full_coverage", "share_reaching_80pct",
                                     "years_to_80pct_p50", "cost_mean", "gain_per_rep_mean", "mixing_mean",
                                     "untrained_mean", "gini_province_mean")
"""Sweep outputs the explorer offers (those present); names: labels' ``sim_output`` kind."""


def _output_pair(o: str) -> tuple[str, str]:
    return labels.label(o, "zh", kind="sim_output"), labels.label(o, "en", kind="sim_output", capitalize=True)


DEFAULT_PARAMETERS: tuple[str, ...] = ("accept_prob", "accept_prob_cannot_leave_post",
                                       "no_show_prob", "capacity_scale")


class ScenarioExplorer(Explorer):
    """PRIM scenario discovery on a sweep, with an adjustable box.

    Controls: ``output``, ``threshold`` and ``direction`` (``"below"``/``"above"``) define
    the cases of interest; ``alpha`` is the peeling share; ``step`` picks a box on the
    trajectory (reset to PRIM's suggestion when the cases change); ``limits`` holds one
    range slider per parameter to adjust the box. ``result`` is the
    :class:`~kexie_research.simulation.discovery.PrimResult`; ``box`` the adjusted limits
    and ``box_stats`` their coverage/density/support.

    Parameters
    ----------
    sweep : SweepResult or DataFrame
        Sweep table: one column per parameter and per output (see :meth:`from_plan`).
    parameters : sequence of str, optional
        Parameter columns (default: the sweep's parameters).
    """

    title = ("情景发现（PRIM）", "Scenario discovery (PRIM)")
    export_name = "scenario_discovery"
    description_width = "170px"

    def __init__(self, sweep: SweepResult | pd.DataFrame, *, parameters=None, output: str = "coverage_mean",
                 threshold: float = 0.99, direction: str = "below", **kw):
        super().__init__(**kw)
        table = sweep.table if isinstance(sweep, SweepResult) else sweep
        params = list(parameters) if parameters is not None else (
            list(sweep.parameters) if isinstance(sweep, SweepResult) else
            [c for c in table.columns if c in PARAMETERS])
        if not params:
            raise ValueError("the sweep table has no parameter column "
                             f"(known parameters: {', '.join(PARAMETERS)})")
        outputs = [o for o in SCENARIO_OUTPUTS if o in table.columns and table[o].notna().any()]
        if output not in outputs:
            raise ValueError(f"output must be one of {', '.join(outputs)}, not {output!r}")
        if direction not in ("below", "above"):
            raise ValueError(f"direction must be 'below' or 'above', not {direction!r}")
        self.sweep = sweep
        self.table_ = table.reset_index(drop=True)
        self.parameters = params
        self._outputs = outputs
        self.output = widgets.Dropdown(options=outputs, value=output, layout=widgets.Layout(width="480px"))
        self.threshold = widgets.FloatText(value=threshold, step=0.01, layout=widgets.Layout(width="300px"))
        self.direction = widgets.ToggleButtons(options=["below", "above"], value=direction)
        self.alpha = widgets.FloatSlider(value=0.1, min=0.02, max=0.3, step=0.01, continuous_update=False)
        self.step = widgets.IntSlider(value=0, min=0, max=0, continuous_update=False,
                                      layout=widgets.Layout(width="480px"))
        self.limits: dict[str, widgets.FloatRangeSlider] = {}
        for p in params:
            v = self.table_[p]
            lo, hi = float(v.min()), float(v.max())
            self.limits[p] = widgets.FloatRangeSlider(
                value=(lo, hi), min=lo, max=hi, step=(hi - lo) / 200 or 0.01, readout_format=".3f",
                continuous_update=False, layout=widgets.Layout(width="480px"),
                style={"description_width": "170px"})
        self.summary = widgets.HTML()
        self.summary.add_class("kexie-scenario")
        self.box_html = widgets.HTML()
        self.box: dict[str, tuple[float, float]] = {}
        self.box_stats: dict = {}
        self._box_debouncer = Debouncer(self._update_box, self._debouncer.wait)
        self._redraw = False
        self._finish([self.output, self.threshold, self.direction, self.alpha])
        self.step.observe(self._on_step, names="value")
        for s in self.limits.values():
            s.observe(self._on_limits, names="value")

    @classmethod
    def from_plan(cls, plan: Plan | str | os.PathLike = "paper_recommended", *, parameters=DEFAULT_PARAMETERS,
                  n_points: int | None = None, replications: int | None = None, seed: int = 20240,
                  workers: int = 1, **kw) -> "ScenarioExplorer":
        """Sweep ``plan`` over ``parameters`` (their default ranges) and explore the result.

        ``n_points``/``replications`` default to 200/60 (40/15 with ``KEXIE_QUICK=1``).
        """
        p = plan if isinstance(plan, Plan) else resolve_plan(plan)
        n = n_points if n_points is not None else mc_size(200, 40)
        r = replications if replications is not None else mc_size(60, 15)
        ranges = {k: (PARAMETERS[k].low, PARAMETERS[k].high) for k in parameters}
        sw = run_sweep(p, ranges, n, replications=r, seed=seed, workers=workers)
        return cls(sw, **kw)

    # ---- cases and PRIM -------------------------------------------------------------------
    def cases(self):
        """Boolean array: the sweep points that are cases of interest."""
        return failure_cases(self.table_, output=self.output.value, threshold=float(self.threshold.value),
                             below=self.direction.value == "below")

    def compute(self) -> PrimResult:
        y = self.cases()
        n = int(y.sum())
        if n == 0 or n == len(y):
            raise AnalysisError(self.t(
                f"{'没有' if n == 0 else '全部'}样本点满足条件，无法划出区域；请调整阈值。",
                f"{'no' if n == 0 else 'every'} sweep point is a case of interest: nothing to "
                "discover; move the threshold."))
        return prim(self.table_[self.parameters], y, alpha=float(self.alpha.value), min_support=0.05)

    def update(self) -> None:
        super().update()
        if self.error is None and self.result is not None:
            self._quiet = True
            try:
                self.step.max = len(self.result.trajectory) - 1
                self.step.value = self.result.chosen
                self._set_limits(self.result.box(self.result.chosen))
            finally:
                self._quiet = False
            self._update_box()

    def _set_limits(self, box) -> None:
        for p, (lo, hi) in box.items():
            s = self.limits[p]
            s.value = (max(lo, s.min), min(hi, s.max))

    def _on_step(self, _change=None) -> None:
        if self._quiet or self.result is None:
            return
        self._quiet = True
        try:
            self._set_limits(self.result.box(self.step.value))
        finally:
            self._quiet = False
        self._redraw = True  # the figure shows the trajectory step
        self._box_debouncer()

    def _on_limits(self, _change=None) -> None:
        if self._quiet or self.result is None:
            return
        self._box_debouncer()

    def _update_box(self) -> None:
        self.box = {p: tuple(s.value) for p, s in self.limits.items()}
        self.box_stats = evaluate_box(self.table_[self.parameters], self.cases(), self.box)
        self._render_box()
        if self._redraw:
            self._redraw = False
            self.show_figure()

    def flush(self) -> None:
        super().flush()
        self._box_debouncer.flush()

    # ---- display --------------------------------------------------------------------------
    def labels(self):
        d = {"output": ("输出指标", "Output"), "threshold": ("阈值", "Threshold"),
             "direction": ("关注", "Cases"), "alpha": ("每步剥离比例", "Peel share (alpha)"),
             "step": ("轨迹步", "Trajectory step")}
        return d

    def option_labels(self):
        return {"output": [(o, _output_pair(o)) for o in self._outputs],
                "direction": [("below", ("低于阈值", "below threshold")),
                              ("above", ("高于阈值", "above threshold"))]}

    def _apply_labels(self) -> None:
        super()._apply_labels()
        for p, s in self.limits.items():
            spec = PARAMETERS.get(p)
            s.description = self.t(spec.label_zh, spec.label_en) if spec else p

    def render(self) -> None:
        r = self.result
        y = self.cases()
        ch = r.trajectory.iloc[r.chosen]
        self.summary.value = self.t(
            f"{len(y)} 个样本点中 <b>{int(y.sum())}</b> 个（{r.base_density:.0%}）{_output_pair(self.output.value)[0]}"
            f"{'低于' if self.direction.value == 'below' else '高于'} {self.threshold.value:g}。PRIM 剥离 {len(r.trajectory) - 1} 步；"
            f"建议第 {r.chosen} 步：覆盖度 {ch['coverage']:.0%}，密度 {ch['density']:.0%}。",
            f"<b>{int(y.sum())}</b> of {len(y)} sweep points ({r.base_density:.0%}) have "
            f"{_output_pair(self.output.value)[1].lower()} {self.direction.value} {self.threshold.value:g}. "
            f"PRIM peeled {len(r.trajectory) - 1} steps; suggested step {r.chosen}: coverage "
            f"{ch['coverage']:.0%}, density {ch['density']:.0%}.")
        self.show_figure()
        self._render_box()

    def _render_box(self) -> None:
        st = self.box_stats
        if not st:
            return
        rows = []
        for p, (lo, hi) in self.box.items():
            spec = PARAMETERS.get(p)
            full = (self.limits[p].min, self.limits[p].max)
            rows.append({self.t("参数", "Parameter"): self.t(spec.label_zh, spec.label_en) if spec else p,
                         self.t("下限", "Low"): lo, self.t("上限", "High"): hi,
                         self.t("受限", "Restricted"): self.t("是", "yes") if (lo > full[0] + 1e-12 or hi < full[1] - 1e-12) else ""})
        head = self.t(
            f"<b>当前区域</b>：覆盖度 {_pct(st['coverage'])}，密度 {_pct(st['density'])}，"
            f"支持度 {_pct(st['support'])}（区域内 {st['n_in_box']} 点，其中 {st['n_cases_in_box']} 个情形）",
            f"<b>Current box</b>: coverage {_pct(st['coverage'])}, density {_pct(st['density'])}, "
            f"support {_pct(st['support'])} ({st['n_in_box']} points inside, {st['n_cases_in_box']} cases)")
        self.box_html.value = head + frame_html(pd.DataFrame(rows), float_format="{:.3f}")

    def table(self) -> pd.DataFrame:
        """The peeling trajectory (export)."""
        return self.result.trajectory if self.result is not None else pd.DataFrame()

    def make_figure(self):
        from ..plots.simulation import plot_discovery

        return plot_discovery(self.result, lang=self.lang, step=self.step.value)

    def caption(self) -> str:
        n = len(self.table_)
        return self.t(
            f"情景发现（PRIM，alpha={self.alpha.value:g}）：{n} 个参数组合中{_output_pair(self.output.value)[0]}"
            f"{'低于' if self.direction.value == 'below' else '高于'} {self.threshold.value:g} 的情形；左：剥离轨迹，右：第 {self.step.value} 步的区域。模型估计。",
            f"Scenario discovery (PRIM, alpha={self.alpha.value:g}): sweep points among {n} where "
            f"{_output_pair(self.output.value)[1].lower()} is {self.direction.value} {self.threshold.value:g}; "
            f"left: peeling trajectory, right: the box at step {self.step.value}. Model-based.")

    def layout(self):
        box = widgets.VBox([
            widgets.HBox([self.heading, self.lang_toggle]),
            self.output, widgets.HBox([self.threshold, self.direction]), self.alpha,
            self.summary, self.status, self.image, self.step,
            widgets.VBox(list(self.limits.values())), self.box_html,
            widgets.HBox([self.export_figure_button, self.export_table_button]),
        ])
        box.add_class("kexie-scenario-explorer")
        return box


def _pct(x) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0%}"
