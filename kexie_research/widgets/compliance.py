"""Compliance explorer: one plan indicator rule at a time, with a what-if threshold.

Wraps :func:`kexie_research.compliance.evaluate_compliance`. The whole rule set is
evaluated once (the overview table); the selected rule is re-evaluated on its own when its
thresholds are scaled ("what if the plan asked for 20 % more hours?"), so a change costs
one rule's evaluation. Rules stay data: the scaled rule is an ordinary
:class:`~kexie_research.compliance.Rule` (``dataclasses.replace``).
"""

from __future__ import annotations

import dataclasses

import ipywidgets as widgets
import pandas as pd

from ..compliance import ComplianceResult, RuleSet, evaluate_compliance, load_rules
from ..data import Dataset, load_dataset
from .common import Explorer, code_name, display_frame, frame_html

__all__ = ["ComplianceExplorer", "scale_rule"]

_THRESHOLDS = ("threshold_hours", "threshold_days", "threshold_rate", "threshold_share",
               "threshold_count")


def scale_rule(rule, factor: float):
    """The rule with every numeric threshold multiplied by ``factor``.

    Rates and shares are capped at 1; counts are rounded up (at least 1). ``factor == 1``
    returns the rule as written (integer thresholds stay integers in its test text).

    Examples
    --------
    >>> from kexie_research.compliance import load_rules
    >>> r = scale_rule(load_rules().get("2b"), 1.5)
    >>> r.threshold_hours, r.threshold_days
    (135.0, 18.0)
    """
    import math

    if not factor > 0:
        raise ValueError(f"factor must be > 0, not {factor!r}")
    if factor == 1:
        return rule
    changes = {}
    for name in _THRESHOLDS:
        v = getattr(rule, name)
        if v is None:
            continue
        if name == "threshold_count":
            changes[name] = max(1, math.ceil(v * factor - 1e-9))
        elif name in ("threshold_rate", "threshold_share"):
            changes[name] = min(1.0, float(v) * factor)
        else:
            changes[name] = float(v) * factor
    return dataclasses.replace(rule, **changes)


class ComplianceExplorer(Explorer):
    """Pick a plan indicator rule, scale its thresholds, see who falls short.

    Controls: ``rule`` (evaluable rules of the rule set), ``scale`` (threshold multiplier,
    1 = as in the plan), ``rank`` (filter of the shortfall list). ``result`` is the
    :class:`~kexie_research.compliance.ComplianceResult` of the selected (scaled) rule;
    ``overall`` that of the whole rule set as written.

    Parameters
    ----------
    dataset : Dataset, optional
        Needs ``cadres`` and ``hours_log`` (``curriculum``/``trainings`` for indicator 7);
        default: the embedded synthetic data.
    rules : path, dict or RuleSet, optional
        Default: the shipped ``plan_indicators.toml``.
    """

    title = ("培训规划指标达标情况", "Training-plan compliance")
    export_name = "compliance_shortfalls"

    def __init__(self, dataset: Dataset | None = None, *, rules=None, **kw):
        super().__init__(**kw)
        ds = dataset if dataset is not None else load_dataset(
            kinds=["cadres", "hours_log", "curriculum", "trainings"])
        if ds.cadres is None or ds.hours_log is None:
            raise ValueError("the compliance explorer needs the cadres and hours_log tables")
        self.dataset = ds
        self.rules: RuleSet = load_rules(rules)
        self.overall: ComplianceResult = self._evaluate(self.rules)
        evaluable = self.overall.rules.loc[self.overall.rules["evaluated"], "rule_id"].tolist()
        if not evaluable:
            raise ValueError("no rule of the rule set can be evaluated on these tables")
        self._rule_ids = evaluable
        self.rule = widgets.Dropdown(options=evaluable, value=evaluable[0],
                                     layout=widgets.Layout(width="640px"))
        self.scale = widgets.FloatSlider(value=1.0, min=0.5, max=1.5, step=0.05,
                                         readout_format=".0%", continuous_update=False)
        ranks = sorted(ds.cadres["rank"].dropna().unique().tolist())
        self._ranks = ["all", *ranks]
        self.rank = widgets.Dropdown(options=self._ranks, value="all")
        self.summary = widgets.HTML()
        self.summary.add_class("kexie-compliance")
        self.overview_html = widgets.HTML()
        self.shortfall_html = widgets.HTML()
        self._finish([self.rule, self.scale])
        self.rank.observe(lambda _c: self._render_shortfalls(), names="value")

    def _evaluate(self, rules) -> ComplianceResult:
        ds = self.dataset
        return evaluate_compliance(ds.cadres, ds.hours_log, rules, curriculum=ds.curriculum,
                                   trainings=ds.trainings)

    def labels(self):
        return {"rule": ("规则", "Rule"), "scale": ("门槛倍数", "Threshold ×"),
                "rank": ("职级", "Rank")}

    def option_labels(self):
        titles = self.rules
        return {
            "rule": [(rid, (f"{rid} {titles.get(rid).title_zh}", f"{rid} {titles.get(rid).title_en}"))
                     for rid in self._rule_ids],
            "rank": [(r, ("全部", "All") if r == "all" else (code_name(r, "zh"), code_name(r, "en")))
                     for r in self._ranks],
        }

    @property
    def selected_rule(self):
        """The selected rule with its thresholds scaled."""
        return scale_rule(self.rules.get(self.rule.value), self.scale.value)

    def compute(self) -> ComplianceResult:
        return self._evaluate(dataclasses.replace(self.rules, rules=(self.selected_rule,)))

    def render(self) -> None:
        row = self.result.rules.iloc[0]
        rule = self.selected_rule
        pr = row["pass_rate"]
        base = self.overall.rules.set_index("rule_id").loc[row["rule_id"], "pass_rate"]
        delta = "" if self.scale.value == 1.0 else self.t(
            f"（按规划门槛为 {base:.1%}）", f" ({base:.1%} at the plan's threshold)")
        title = rule.title_zh if self.lang == "zh" else rule.title_en
        self.summary.value = self.t(
            f"<b>{row['rule_id']}</b> {title}<br>检验：{row['test']}；评估 {row['n_evaluated']} 项，"
            f"达标 {row['n_pass']}，未达标 {row['n_fail']}，警示 {row['n_warning']}，待定 {row['n_pending']}；"
            f"<b>达标率 {pr:.1%}</b>{delta}。",
            f"<b>{row['rule_id']}</b> {title}<br>Test: {row['test']}; {row['n_evaluated']} evaluated, "
            f"{row['n_pass']} pass, {row['n_fail']} fail, {row['n_warning']} warning, "
            f"{row['n_pending']} pending; <b>pass rate {pr:.1%}</b>{delta}.")
        ind = self.overall.indicators
        self.overview_html.value = (f"<h4>{self.t('七项指标总览（按规划门槛）', 'The seven indicators (plan thresholds)')}</h4>"
                                    + frame_html(display_frame(ind, self.lang), float_format="{:.3f}"))
        self._render_shortfalls()
        self.show_figure()

    def table(self) -> pd.DataFrame:
        """Shortfalls of the selected rule (cadres, or years/classes for rates and shares)."""
        r = self.result
        metric = r.rules.iloc[0]["metric"]
        if metric == "annual_rate":
            t = r.rates[r.rates["status"] != "pass"]
        elif metric == "curriculum_share":
            t = r.curriculum[r.curriculum["status"] != "pass"]
        else:
            t = r.shortfalls()
        if self.rank.value != "all" and "rank" in t.columns:
            t = t[t["rank"] == self.rank.value]
        return t.reset_index(drop=True)

    def _render_shortfalls(self) -> None:
        if self.result is None:
            return
        t = self.table()
        self.shortfall_html.value = (f"<h4>{self.t('未达标清单', 'Shortfalls')} ({len(t)})</h4>"
                                     + frame_html(display_frame(t.drop(columns=["indicator", "metric"], errors="ignore"),
                                                                self.lang), max_rows=20, float_format="{:.3g}"))

    def make_figure(self):
        from ..plots import compliance as pc

        metric = self.result.rules.iloc[0]["metric"]
        plot = {"annual_rate": pc.plot_off_job_rates,
                "curriculum_share": pc.plot_curriculum_shares}.get(metric, pc.plot_compliance_heatmap)
        ax = plot(self.result, lang=self.lang)
        return ax.figure

    def caption(self) -> str:
        rule = self.selected_rule
        src = self.data_source()
        return self.t(f"规则 {rule.id}（{rule.title_zh}），门槛 × {self.scale.value:.0%}；"
                      f"数据：{src}，{self.result.n_cadres} 名干部；规则文件 plan_indicators.toml。",
                      f"Rule {rule.id} ({rule.title_en}), thresholds × {self.scale.value:.0%}; "
                      f"data: {src}, {self.result.n_cadres} cadres; rules file plan_indicators.toml.")

    def layout(self):
        box = widgets.VBox([
            widgets.HBox([self.heading, self.lang_toggle]),
            self.rule,
            widgets.HBox([self.scale, self.rank, self.export_figure_button, self.export_table_button]),
            self.summary, self.status,
            widgets.HBox([self.image, self.shortfall_html]),
            self.overview_html,
        ])
        box.add_class("kexie-compliance-explorer")
        return box
