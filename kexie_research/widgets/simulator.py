"""The plan simulator: try a training plan before CAST runs it.

Sliders and dropdowns set the term, sessions per year, seats, the in-person modality and
the online share, the selection policy, acceptance and no-show; each change re-runs the
Monte Carlo of :func:`kexie_research.simulation.simulate` (200 replications by default)
and redraws the coverage fan chart, the coverage text, the group table and the cost
against the budget. "Save plan" writes the current plan as a TOML plan file (the
simulation module's writer, :meth:`Plan.to_toml`), loadable by
``kexie-research simulate --plan``.

How the controls map to a plan (:func:`plan_from_controls`)
-----------------------------------------------------------
The simulator starts from a *base plan* (a shipped plan file; its population, modality
parameters, effect model, open-seat share and segment priority are kept) and replaces its
sessions by ``sessions_per_year`` sessions a year of ``capacity`` seats: a share
``online_share`` of them (rounded) online, the rest in the chosen in-person modality.
Acceptance is ``accept`` for representatives who can leave their posts and
``accept_cannot_leave`` for those who cannot; online sessions remove that barrier
(everyone accepts them with ``accept``), as the paper argues for video/online self-study
(seed 000 § 3.2). Choosing another base plan resets the controls to that plan's values
(sessions per year and seats averaged over its sessions).

Plans that are not uniform (the 9th-congress history, the paper's recommended mix of
modalities) are simulated exactly with the *Sessions* switch set to "as in the base plan":
the base plan's term and sessions are kept as written, the term/sessions/seats/modality
controls are disabled, and only the selection, acceptance, no-show and population controls
apply.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections import Counter
from pathlib import Path
from typing import Mapping

import ipywidgets as widgets
import pandas as pd

from ..data import plans_dir
from ..io import write_text
from ..simulation import SEGMENTS, SELECTIONS, Plan, SessionSpec, SimulationResult, Term, simulate
from ..simulation.plan import segment_value
from .. import labels
from .common import Explorer, code_name, frame_html, quick_mode

__all__ = ["PlanSimulator", "plan_from_controls", "controls_from_plan", "IN_PERSON_MODALITIES",
           "DEFAULT_BASE_PLAN", "default_replications"]

IN_PERSON_MODALITIES: tuple[str, ...] = ("centralized", "exchange", "rep_organized",
                                         "reading_class", "study_tour", "hybrid")
ONLINE_MODALITIES: tuple[str, ...] = ("online", "video")
DEFAULT_BASE_PLAN = "plan_2020_one_duty_class"
DEFAULT_PRIORITY: tuple[str, ...] = ("new", "frontline")
"""Segment order for ``segment_priority`` when the base plan has none: new representatives
first (basics), then front-line ones (seed 000 § 3.2)."""
WAN = 10_000  # 万元: budgets and costs are shown in units of 10,000 yuan


def default_replications() -> int:
    """200 replications (the widget target), 50 in quick mode (``KEXIE_QUICK=1``)."""
    return 50 if quick_mode() else 200


def shipped_plans() -> dict[str, Path]:
    """Shipped plan files by name (``datasets/plans/*.toml``)."""
    return {p.stem: p for p in sorted(plans_dir().glob("*.toml"))}


def controls_from_plan(plan: Plan) -> dict:
    """Control values that approximate ``plan`` (see the module docstring).

    Examples
    --------
    >>> p = Plan(Term(2), (SessionSpec(100, per_year=3), SessionSpec(50, per_year=1, modality="online")))
    >>> c = controls_from_plan(p)
    >>> c["sessions_per_year"], c["capacity"], c["online_share"], c["modality"]
    (4, 88, 0.25, 'centralized')
    """
    sched = plan.session_schedule()
    n = len(sched)
    years = plan.term.years
    specs = [plan.sessions[k] for _, _, k in sched]
    cap = round(sum(s.capacity for s in specs) / n) if n else 100
    online = sum(s.modality in ONLINE_MODALITIES for s in specs)
    in_person = Counter(s.modality for s in specs if s.modality not in ONLINE_MODALITIES)
    modality = in_person.most_common(1)[0][0] if in_person else "centralized"
    if modality not in IN_PERSON_MODALITIES:
        modality = "centralized"
    pol = plan.policy
    return {
        "years": years,
        "sessions_per_year": max(0, round(n / years)),
        "capacity": cap,
        "modality": modality,
        "online_share": round(online / n, 2) if n else 0.0,
        "selection": pol.selection,
        "accept": segment_value(pol.accept_prob, "new"),
        "accept_cannot_leave": segment_value(pol.accept_prob, "cannot_leave_post"),
        "no_show": segment_value(pol.no_show_prob, "new"),
        "population": plan.population.synthetic_size if plan.population.file is None else None,
    }


def plan_from_controls(base: Plan, *, years: int, sessions_per_year: int, capacity: int,
                       modality: str = "centralized", online_share: float = 0.0,
                       selection: str = "never_trained_first", accept: float = 1.0,
                       accept_cannot_leave: float | None = None, no_show: float = 0.0,
                       population: int | None = None, name: str = "simulator_plan",
                       keep_sessions: bool = False) -> Plan:
    """The plan the simulator's controls describe, built on ``base``.

    With ``keep_sessions=True`` the base plan's term and sessions are kept as written
    (``years``, ``sessions_per_year``, ``capacity``, ``modality`` and ``online_share`` are
    then ignored) and only the policy and population change.

    Examples
    --------
    >>> base = Plan(Term(1), (SessionSpec(10),))
    >>> p = plan_from_controls(base, years=3, sessions_per_year=4, capacity=50, online_share=0.5)
    >>> [(s.modality, s.per_year, s.capacity) for s in p.sessions]
    [('centralized', 2, 50), ('online', 2, 50)]
    >>> p.term.years, p.policy.selection
    (3, 'never_trained_first')
    >>> q = plan_from_controls(p, years=9, sessions_per_year=1, capacity=5, no_show=0.1, keep_sessions=True)
    >>> q.term.years, q.sessions == p.sessions, q.policy.no_show_prob
    (3, True, 0.1)
    """
    if modality not in IN_PERSON_MODALITIES:
        raise ValueError(f"modality must be one of {', '.join(IN_PERSON_MODALITIES)}, not {modality!r}")
    if selection not in SELECTIONS:
        raise ValueError(f"selection must be one of {', '.join(SELECTIONS)}, not {selection!r}")
    if not 0 <= online_share <= 1:
        raise ValueError(f"online_share must be in [0, 1], not {online_share!r}")
    n_online = int(math.floor(sessions_per_year * online_share + 0.5))
    n_in = sessions_per_year - n_online
    acc_cl = accept if accept_cannot_leave is None else accept_cannot_leave
    sessions = []
    if n_in or not n_online:
        sessions.append(SessionSpec(capacity, per_year=n_in, modality=modality,
                                    name=f"{modality} sessions"))
    if n_online:
        sessions.append(SessionSpec(capacity, per_year=n_online, modality="online",
                                    name="online sessions", accept_prob={"default": accept}))
    accept_prob: float | Mapping[str, float] = (float(accept) if acc_cl == accept else
                                                {"cannot_leave_post": float(acc_cl), "default": float(accept)})
    policy = dataclasses.replace(
        base.policy, selection=selection, accept_prob=accept_prob, no_show_prob=float(no_show),
        priority=base.policy.priority or (DEFAULT_PRIORITY if selection == "segment_priority" else ()))
    pop = base.population
    if population is not None and pop.file is None:
        pop = dataclasses.replace(pop, synthetic_size=int(population))
    if keep_sessions:
        return dataclasses.replace(base, policy=policy, population=pop, name=name,
                                   description=f"Built in the plan simulator from {base.name or 'a plan'} "
                                               "(its sessions as written).")
    return dataclasses.replace(base, term=Term(int(years), base.term.start_year), sessions=tuple(sessions),
                               policy=policy, population=pop, name=name,
                               description=f"Built in the plan simulator from {base.name or 'a plan'}.")


_SCHEDULES = {"uniform": ("按滑块均匀安排", "Uniform, from the sliders"),
              "base": ("按基础计划原样", "As in the base plan")}
_SCHEDULE_CONTROLS = ("years", "sessions_per_year", "capacity", "modality", "online_share")

_GROUPINGS = ("segment", "region", "province")   # result tables to group by (names: labels' columns)


def _grouping_pair(key: str) -> tuple[str, str]:
    return tuple(labels.column_label(key, lang, table="representatives", capitalize=True) for lang in ("zh", "en"))


class PlanSimulator(Explorer):
    """Interactive Monte Carlo of a training plan (the flagship explorer).

    Controls (attributes): ``base_plan``, ``schedule`` (``"uniform"`` or ``"base"``: the
    sessions from the sliders, or the base plan's sessions as written), ``population``, ``years``, ``sessions_per_year``,
    ``capacity``, ``modality``, ``online_share``, ``selection``, ``accept``,
    ``accept_cannot_leave``, ``no_show``, ``budget`` (万元), ``seed``, ``group_by``;
    buttons ``save_plan_button``, ``export_figure_button``, ``export_table_button``.
    ``result`` is the :class:`~kexie_research.simulation.SimulationResult` of
    :attr:`plan` (recomputed on every change); ``replications`` is fixed per widget.

    Examples
    --------
    >>> w = PlanSimulator(debounce=0, lang="en", replications=20)
    >>> before = w.result.coverage_mean
    >>> w.sessions_per_year.value = w.sessions_per_year.value + 2
    >>> w.result.coverage_mean > before
    True
    """

    title = ("培训计划模拟器", "Training-plan simulator")
    export_name = "plan_simulator"
    description_width = "190px"

    def __init__(self, plan: Plan | str | os.PathLike | None = None, *,
                 replications: int | None = None, seed: int = 20240, budget_wan: float = 600.0,
                 **kw):
        super().__init__(**kw)
        self.replications = int(replications) if replications is not None else default_replications()
        plans = shipped_plans()
        if plan is None:
            plan = plans.get(DEFAULT_BASE_PLAN) or next(iter(plans.values()))
        if not isinstance(plan, Plan):
            plan = Plan.from_toml(plan)
        self._plans: dict[str, Plan] = {plan.name or "plan": plan}
        self._plan_files = plans
        names = list(dict.fromkeys([plan.name or "plan", *plans]))
        self.base_plan = widgets.Dropdown(options=names, value=plan.name or "plan",
                                          layout=widgets.Layout(width="460px"))
        c = controls_from_plan(plan)
        self.schedule = widgets.ToggleButtons(options=list(_SCHEDULES), value="uniform")
        slider = dict(continuous_update=False, layout=widgets.Layout(width="460px"))
        self.population = widgets.IntSlider(value=c["population"] or 1600, min=100, max=5000,
                                            step=100, disabled=c["population"] is None, **slider)
        self.years = widgets.IntSlider(value=c["years"], min=1, max=10, **slider)
        self.sessions_per_year = widgets.IntSlider(value=c["sessions_per_year"], min=0, max=30, **slider)
        self.sessions_per_year.add_class("kexie-sessions")
        self.capacity = widgets.IntSlider(value=c["capacity"], min=10, max=500, step=10, **slider)
        self.capacity.add_class("kexie-capacity")
        self.modality = widgets.Dropdown(options=list(IN_PERSON_MODALITIES), value=c["modality"],
                                         layout=widgets.Layout(width="460px"))
        self.online_share = widgets.FloatSlider(value=c["online_share"], min=0, max=1, step=0.05,
                                                readout_format=".0%", **slider)
        self.selection = widgets.Dropdown(options=list(SELECTIONS), value=c["selection"],
                                          layout=widgets.Layout(width="460px"))
        self.accept = widgets.FloatSlider(value=c["accept"], min=0, max=1, step=0.05,
                                          readout_format=".0%", **slider)
        self.accept_cannot_leave = widgets.FloatSlider(value=c["accept_cannot_leave"], min=0, max=1,
                                                       step=0.05, readout_format=".0%", **slider)
        self.no_show = widgets.FloatSlider(value=c["no_show"], min=0, max=0.5, step=0.01,
                                           readout_format=".0%", **slider)
        self.budget = widgets.FloatSlider(value=budget_wan, min=0, max=5000, step=10,
                                          readout_format=",.0f", **slider)
        self.seed = widgets.IntText(value=seed, layout=widgets.Layout(width="340px"))
        self.group_by = widgets.Dropdown(options=list(_GROUPINGS), value="segment",
                                         layout=widgets.Layout(width="300px"))
        self.save_plan_button = widgets.Button(icon="save", layout=widgets.Layout(width="auto"))
        self.save_plan_button.on_click(lambda _b: self.save_plan())
        self.coverage_html = widgets.HTML()
        self.coverage_html.add_class("kexie-coverage")
        self.cost_html = widgets.HTML()
        self.groups_html = widgets.HTML()
        self.timing_html = widgets.HTML()
        self.base_plan.observe(self._on_base_plan, names="value")
        self.schedule.observe(self._on_schedule, names="value")
        self._finish([self.population, self.years, self.sessions_per_year, self.capacity,
                      self.modality, self.online_share, self.selection, self.accept,
                      self.accept_cannot_leave, self.no_show, self.seed])
        self.budget.observe(lambda _c: self._render_cost(), names="value")
        self.group_by.observe(lambda _c: self._render_groups(), names="value")

    # ---- plan <-> controls ---------------------------------------------------------------
    def _base(self) -> Plan:
        name = self.base_plan.value
        if name not in self._plans:
            self._plans[name] = Plan.from_toml(self._plan_files[name])
        return self._plans[name]

    def _on_schedule(self, _change=None) -> None:
        keep = self.schedule.value == "base"
        for attr in _SCHEDULE_CONTROLS:
            getattr(self, attr).disabled = keep
        self._on_change()

    def _on_base_plan(self, _change=None) -> None:
        c = controls_from_plan(self._base())
        self._quiet = True  # set every control, then recompute once
        try:
            for attr in ("years", "sessions_per_year", "capacity", "modality", "online_share",
                         "selection", "accept", "accept_cannot_leave", "no_show"):
                w = getattr(self, attr)
                w.value = min(max(c[attr], w.min), w.max) if hasattr(w, "max") else c[attr]
            self.population.disabled = c["population"] is None
            if c["population"] is not None:
                self.population.value = c["population"]
        finally:
            self._quiet = False
        self._on_change()

    @property
    def plan(self) -> Plan:
        """The plan the controls currently describe."""
        return plan_from_controls(
            self._base(), years=self.years.value, sessions_per_year=self.sessions_per_year.value,
            capacity=self.capacity.value, modality=self.modality.value,
            online_share=self.online_share.value, selection=self.selection.value,
            accept=self.accept.value, accept_cannot_leave=self.accept_cannot_leave.value,
            no_show=self.no_show.value,
            population=None if self.population.disabled else self.population.value,
            keep_sessions=self.schedule.value == "base")

    # ---- explorer protocol ---------------------------------------------------------------
    def labels(self):
        return {
            "base_plan": ("基础计划", "Base plan"), "schedule": ("班次安排", "Sessions"),
            "population": ("代表人数", "Representatives"),
            "years": ("届期（年）", "Term (years)"), "sessions_per_year": ("每年班次", "Sessions per year"),
            "capacity": ("每班名额", "Seats per session"), "modality": ("面授方式", "In-person mode"),
            "online_share": ("网络班占比", "Online share"), "selection": ("遴选方式", "Selection"),
            "accept": ("接受邀请概率", "Acceptance"),
            "accept_cannot_leave": ("难以离岗者接受概率", "Acceptance (tied to post)"),
            "no_show": ("缺席率", "No-show"), "budget": ("预算（万元）", "Budget (10k yuan)"),
            "seed": ("随机种子", "Seed"), "group_by": ("分组", "Group by"),
            "save_plan_button": ("保存计划 (TOML)", "Save plan (TOML)"),
        }

    def option_labels(self):
        return {"schedule": [(k, _SCHEDULES[k]) for k in _SCHEDULES],
                "modality": [(m, _code_pair(m)) for m in IN_PERSON_MODALITIES],
                "selection": [(s, _code_pair(s)) for s in SELECTIONS],
                "group_by": [(g, _grouping_pair(g)) for g in _GROUPINGS]}

    def compute(self) -> SimulationResult:
        return simulate(self.plan, replications=self.replications, seed=int(self.seed.value))

    def render(self) -> None:
        r = self.result
        s = r.summary
        cov = s["coverage"]
        y80 = s["years_to_80pct"]
        if y80["share_reached"] >= 0.5 and y80["p50"] is not None:
            reach = self.t(f"达到 80% 约需 {y80['p50']:g} 年（{y80['share_reached']:.0%} 的模拟做到）",
                           f"80% reached in about {y80['p50']:g} years ({y80['share_reached']:.0%} of runs)")
        else:
            reach = self.t(f"届期内达到 80% 的概率 {y80['share_reached']:.0%}",
                           f"80% reached within the term in {y80['share_reached']:.0%} of runs")
        self.coverage_html.value = self.t(
            f"<b style='font-size:120%'>期末覆盖率 {cov['mean']:.1%}</b>（90% 区间 {cov['p05']:.1%}–{cov['p95']:.1%}）；"
            f"{reach}；全覆盖概率 {s['p_full_coverage']:.0%}；期末未培训约 {s['untrained']['mean']:.0f} 人。",
            f"<b style='font-size:120%'>Coverage at term end {cov['mean']:.1%}</b> (90% interval "
            f"{cov['p05']:.1%}–{cov['p95']:.1%}); {reach}; P(full coverage) {s['p_full_coverage']:.0%}; "
            f"about {s['untrained']['mean']:.0f} left untrained.")
        self.timing_html.value = (f"<span style='color:#888;font-size:90%'>{r.replications} "
                                  f"{self.t('次模拟', 'replications')} · {r.n_population} "
                                  f"{self.t('名代表', 'representatives')} · "
                                  f"{self.last_update_s * 1000:.0f} ms</span>")
        self._render_cost()
        self._render_groups()
        self.show_figure()

    def _render_cost(self) -> None:
        if self.result is None:
            return
        c = self.result.summary["cost"]
        budget = self.budget.value
        mean, p95 = c["mean"] / WAN, c["p95"] / WAN
        trained = self.result.summary["coverage"]["mean"] * self.result.n_population
        per_person = c["mean"] / trained if trained else float("nan")
        p_over = self.p_over_budget()
        if budget <= 0:
            verdict, colour = self.t("未设预算", "no budget set"), "#666"
        elif p95 <= budget:
            verdict, colour = self.t(f"在预算内（用 {mean / budget:.0%}）", f"within budget ({mean / budget:.0%} used)"), "#009E73"
        elif mean <= budget:
            verdict, colour = self.t(f"均值在预算内，但超支概率 {p_over:.0%}",
                                     f"within budget on average, overrun in {p_over:.0%} of runs"), "#E69F00"
        else:
            verdict, colour = self.t(f"超出预算 {mean / budget - 1:.0%}", f"over budget by {mean / budget - 1:.0%}"), "#D55E00"
        self.cost_html.value = self.t(
            f"成本均值 <b>{mean:,.0f} 万元</b>（95 百分位 {p95:,.0f}）；预算 {budget:,.0f} 万元："
            f"<span style='color:{colour}'>{verdict}</span>；每名受训代表约 {per_person:,.0f} 元。",
            f"Cost <b>{mean:,.0f}</b> ×10k yuan on average (95th percentile {p95:,.0f}); budget "
            f"{budget:,.0f}: <span style='color:{colour}'>{verdict}</span>; about {per_person:,.0f} "
            f"yuan per representative trained.")

    def p_over_budget(self) -> float:
        """Share of the replications whose cost exceeds the budget (0 without a budget)."""
        budget = self.budget.value * WAN
        if budget <= 0 or self.result is None:
            return 0.0
        return float((self.result.replicates["cost"] > budget).mean())

    def group_table(self) -> pd.DataFrame:
        """Coverage at term end by the chosen grouping, with display names."""
        key = self.group_by.value
        g = {"segment": self.result.by_segment, "region": self.result.by_region,
             "province": self.result.by_province}[key]
        return pd.DataFrame({
            self.t(*_grouping_pair(key)): [code_name(v, self.lang) for v in g[key]],
            self.t("人数", "People"): g["n"].to_numpy(),
            self.t("覆盖率", "Coverage"): g["coverage_mean"].to_numpy(),
            "p05": g["coverage_p05"].to_numpy(),
            "p95": g["coverage_p95"].to_numpy(),
            self.t("未培训（均值）", "Untrained (mean)"): g["untrained_mean"].to_numpy(),
        })

    def _render_groups(self) -> None:
        if self.result is not None:
            self.groups_html.value = frame_html(self.group_table(), max_rows=40, float_format="{:.3f}")

    def table(self) -> pd.DataFrame:
        return self.group_table()

    def make_figure(self):
        from ..plots.simulation import plot_coverage_fan

        return plot_coverage_fan(self.result, lang=self.lang).figure

    def caption(self) -> str:
        p = self.plan
        r = self.result
        if self.schedule.value == "base":
            n = len(p.session_schedule())
            sched_zh = f"基础计划 {self.base_plan.value} 的班次原样（{p.term.years} 年共 {n} 班）"
            sched_en = (f"the sessions of base plan {self.base_plan.value} as written ({n} sessions "
                        f"over {p.term.years} years)")
        else:
            sched_zh = (f"{p.term.years} 年，每年 {self.sessions_per_year.value} 班 × {self.capacity.value} 名额，"
                        f"网络班占 {self.online_share.value:.0%}；基础计划 {self.base_plan.value}")
            sched_en = (f"{p.term.years} years, {self.sessions_per_year.value} sessions a year × "
                        f"{self.capacity.value} seats, {self.online_share.value:.0%} online; base plan "
                        f"{self.base_plan.value}")
        return self.t(
            f"培训计划模拟：各年末覆盖率（均值与 5–95% 区间），{r.replications} 次蒙特卡罗模拟，种子 {r.seed}。"
            f"计划：{sched_zh}；{code_name(self.selection.value, 'zh')}，"
            f"接受概率 {self.accept.value:.0%}（难以离岗者 {self.accept_cannot_leave.value:.0%}），缺席率 {self.no_show.value:.0%}；"
            f"{r.n_population} 名代表（合成人群）。",
            f"Training-plan simulation: coverage at each year end (mean and 5–95% band), "
            f"{r.replications} Monte Carlo replications, seed {r.seed}. Plan: {sched_en}; selection "
            f"{self.selection.value}, acceptance {self.accept.value:.0%} (cannot leave post "
            f"{self.accept_cannot_leave.value:.0%}), no-show {self.no_show.value:.0%}; {r.n_population} "
            f"representatives (synthetic population).")

    def save_plan(self, name: str | None = None) -> Path:
        """Write the current plan as ``<export_dir>/<name>.toml`` (loadable with ``--plan``)."""
        name = name or "simulator_plan"
        plan = dataclasses.replace(self.plan, name=name)
        path = write_text(self.export_dir / f"{name}.toml", plan.to_toml(), root=self.export_dir)
        self.last_exports = {"toml": path}
        self._note_export(path)
        return path

    def layout(self):
        left = widgets.VBox([self.base_plan, self.schedule, self.population, self.years, self.sessions_per_year,
                             self.capacity, self.modality, self.online_share, self.selection,
                             self.accept, self.accept_cannot_leave, self.no_show, self.budget,
                             self.seed], layout=widgets.Layout(width="480px", flex="0 0 auto"))
        self.image.layout = widgets.Layout(width="100%", max_width="520px")
        right = widgets.VBox([self.coverage_html, self.cost_html, self.image, self.group_by,
                              self.groups_html, self.timing_html],
                             layout=widgets.Layout(flex="1 1 auto", min_width="420px", max_width="640px"))
        box = widgets.VBox([
            widgets.HBox([self.heading, self.lang_toggle]),
            widgets.HBox([left, right]),
            widgets.HBox([self.save_plan_button, self.export_figure_button, self.export_table_button]),
            self.status,
        ])
        box.add_class("kexie-simulator")
        return box


def _code_pair(code: str) -> tuple[str, str]:
    return labels.label(code, "zh"), labels.label(code, "en", capitalize=True)

