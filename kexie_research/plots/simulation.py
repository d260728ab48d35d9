"""Simulation figures: coverage fan chart, plan comparison, sensitivity bars, PRIM box.

Every function takes a result of :mod:`kexie_research.simulation`, draws and returns the
``Axes`` (or ``Figure`` for multi-panel plots); nothing is computed here. Labels are in
``lang`` ("zh" or "en"); series differ by hatch/marker as well as colour.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .. import labels
from .style import COLORS, HATCHES, MARKERS, figure, label, new_axes, tag_figure, use_style

__all__ = ["plot_coverage_fan", "plot_plan_comparison", "plot_sensitivity", "plot_discovery", "code_label"]

def code_label(code, lang: str) -> str:
    """Display name of a segment, modality, target or parameter code (names from
    :mod:`kexie_research.labels`); unknown codes unchanged (a region code gives its region name)."""
    for kind in ("segment", "modality", "target", "parameter"):
        if code in labels.table(kind):
            return labels.label(code, lang, kind=kind)
    return labels.label(code, lang)


def _plabel(name: str, lang: str) -> str:
    return labels.label(name, lang, kind="parameter", capitalize=True)


def plot_coverage_fan(result, *, ax=None, lang: str = "zh", target: float = 0.8,
                      name: str | None = None):
    """Coverage after each session: mean line and 5–95 % band; year ends marked.

    Parameters
    ----------
    result : SimulationResult
    target : float
        Horizontal reference line (default 80 %).
    name : str, optional
        Display name of the plan in ``lang`` for the title (default: ``result.plan_name``).
    """
    ax = new_axes(ax, lang)
    with use_style(lang):
        tr = result.trajectory
        t = np.r_[0.0, tr["time"].to_numpy(float)]
        mean = np.r_[0.0, tr["coverage_mean"].to_numpy(float)] * 100
        lo = np.r_[0.0, tr["coverage_p05"].to_numpy(float)] * 100
        hi = np.r_[0.0, tr["coverage_p95"].to_numpy(float)] * 100
        ax.fill_between(t, lo, hi, step="post", color=COLORS[0], alpha=0.25, hatch=HATCHES[1],
                        linewidth=0, label=label(lang, "90%区间", "90% interval"))
        ax.step(t, mean, where="post", color=COLORS[0], label=label(lang, "均值", "Mean"))
        by = result.by_year
        ax.plot(by["year"], by["coverage_mean"] * 100, linestyle="none", marker=MARKERS[0],
                color=COLORS[0], markersize=3.5, label=label(lang, "年末", "Year end"))
        ax.axhline(target * 100, color=COLORS[7], linestyle="--", linewidth=0.7)
        ax.text(0.02, target * 100 + 1.5, f"{target:.0%}", transform=ax.get_yaxis_transform(),
                fontsize=6)
        ax.set_xlim(0, max(result.by_year["year"].max(), t.max()))
        ax.set_ylim(0, 105)
        ax.set_xlabel(label(lang, "任期年份", "Year of term"))
        ax.set_ylabel(label(lang, "覆盖率(%)", "Coverage (%)"))
        title = result.plan_name if name is None else name
        ax.set_title(label(lang, f"覆盖率轨迹:{title}", f"Coverage: {title}"))
        ax.legend(loc="lower right")
    return ax


def plot_plan_comparison(results: Mapping[str, object], *, lang: str = "zh", names=None):
    """Term-end coverage (with 90 % interval) and mean cost of several plans, side by side.

    Parameters
    ----------
    results : {plan name: SimulationResult}
    names : {plan name: display name}, optional

    Returns
    -------
    Figure
    """
    with use_style(lang):
        fig, (a1, a2) = figure("double", 2.6, ncols=2)
        keys = list(results)
        disp = [(names or {}).get(k, k) for k in keys]
        x = np.arange(len(keys))
        cov = np.array([results[k].coverage_mean for k in keys]) * 100
        lo = cov - np.array([results[k].coverage_p05 for k in keys]) * 100
        hi = np.array([results[k].coverage_p95 for k in keys]) * 100 - cov
        cost = np.array([results[k].cost_mean for k in keys]) / 1e6
        for i in range(len(keys)):
            a1.bar(x[i], cov[i], color=COLORS[i % len(COLORS)], hatch=HATCHES[i % len(HATCHES)],
                   edgecolor="black", linewidth=0.5)
            a2.bar(x[i], cost[i], color=COLORS[i % len(COLORS)], hatch=HATCHES[i % len(HATCHES)],
                   edgecolor="black", linewidth=0.5)
        a1.errorbar(x, cov, yerr=[lo, hi], fmt="none", ecolor="black", capsize=2, linewidth=0.7)
        for a in (a1, a2):
            a.set_xticks(x)
            a.set_xticklabels(disp, rotation=20, ha="right")
        a1.set_ylim(0, 105)
        a1.set_ylabel(label(lang, "任期末覆盖率(%)", "Term-end coverage (%)"))
        a2.set_ylabel(label(lang, "期望成本(百万元)", "Expected cost (million yuan)"))
        a1.set_title(label(lang, "覆盖率(90%区间)", "Coverage (90% interval)"))
        a2.set_title(label(lang, "成本", "Cost"))
        fig.tight_layout()
        tag_figure(fig, lang)
    return fig


def plot_sensitivity(result, *, ax=None, lang: str = "zh"):
    """Tornado (one-at-a-time swings), Sobol (S1 and ST with intervals) or Morris (μ*) bars."""
    ax = new_axes(ax, lang)
    with use_style(lang):
        ind = result.indices
        names = [_plabel(p, lang) for p in ind["parameter"]]
        y = np.arange(len(ind))[::-1]
        if result.method == "tornado":
            base = result.baseline * 100
            for i, r in enumerate(ind.itertuples()):
                lo_v, hi_v = r.output_low * 100, r.output_high * 100
                ax.barh(y[i], lo_v - base, left=base, color=COLORS[0], hatch=HATCHES[1],
                        edgecolor="black", linewidth=0.4,
                        label=label(lang, "参数取低值", "Parameter low") if i == 0 else None)
                ax.barh(y[i], hi_v - base, left=base, color=COLORS[1], hatch=HATCHES[2],
                        edgecolor="black", linewidth=0.4,
                        label=label(lang, "参数取高值", "Parameter high") if i == 0 else None)
            ax.axvline(base, color="black", linewidth=0.7)
            ax.set_xlabel(label(lang, "任期末覆盖率(%)", "Term-end coverage (%)")
                          if result.output == "coverage_mean" else result.output)
            ax.set_title(label(lang, "龙卷风图(单因素)", "Tornado (one at a time)"))
        elif result.method == "sobol":
            h = 0.38
            ax.barh(y + h / 2, ind["S1"], h, xerr=ind["S1_conf"], color=COLORS[0], hatch=HATCHES[1],
                    edgecolor="black", linewidth=0.4, label=label(lang, "一阶指数 S1", "First order S1"))
            ax.barh(y - h / 2, ind["ST"], h, xerr=ind["ST_conf"], color=COLORS[1], hatch=HATCHES[2],
                    edgecolor="black", linewidth=0.4, label=label(lang, "总效应指数 ST", "Total ST"))
            ax.set_xlabel(label(lang, "Sobol指数", "Sobol index"))
            ax.set_title(label(lang, f"Sobol敏感性:{result.output}", f"Sobol sensitivity: {result.output}"))
        elif result.method == "morris":
            ax.barh(y, ind["mu_star"], xerr=ind["mu_star_conf"], color=COLORS[2], hatch=HATCHES[3],
                    edgecolor="black", linewidth=0.4, label="μ*")
            ax.set_xlabel(label(lang, "Morris μ*", "Morris μ*"))
            ax.set_title(label(lang, f"Morris筛选:{result.output}", f"Morris screening: {result.output}"))
        else:
            raise ValueError(f"method must be one of tornado, sobol, morris, not {result.method!r}")
        ax.set_yticks(y)
        ax.set_yticklabels(names)
        ax.legend(loc="best")
    return ax


def plot_discovery(result, *, lang: str = "zh", step: int | None = None):
    """PRIM: the peeling trajectory (coverage vs density) and the chosen box's limits.

    Returns
    -------
    Figure
    """
    with use_style(lang):
        fig, (a1, a2) = figure("double", 2.8, ncols=2)
        tr = result.trajectory
        k = result.chosen if step is None else int(step)
        sc = a1.scatter(tr["coverage"], tr["density"], c=tr["n_restricted"], cmap="viridis",
                        s=12, marker=MARKERS[0], edgecolor="black", linewidth=0.3)
        a1.plot(tr["coverage"], tr["density"], color="grey", linewidth=0.5)
        a1.scatter([tr["coverage"].iloc[k]], [tr["density"].iloc[k]], s=60, marker=MARKERS[7],
                   color=COLORS[3], edgecolor="black", linewidth=0.5, zorder=3,
                   label=label(lang, "所选区域", "Chosen box"))
        cb = fig.colorbar(sc, ax=a1)
        cb.set_label(label(lang, "受限参数个数", "Restricted parameters"))
        a1.set_xlabel(label(lang, "覆盖度(捕获的失败情形比例)", "Coverage (share of cases captured)"))
        a1.set_ylabel(label(lang, "密度(区域内失败比例)", "Density (share of box that fails)"))
        a1.set_title(label(lang, "PRIM剥离轨迹", "PRIM peeling trajectory"))
        a1.legend(loc="lower left")
        box = result.box(k)
        params = list(result.parameters)
        y = np.arange(len(params))[::-1]
        for i, p in enumerate(params):
            lo_b, hi_b = result.bounds[p]
            span = (hi_b - lo_b) or 1.0
            lo, hi = box[p]
            a2.barh(y[i], 1.0, left=0.0, color="white", edgecolor="grey", linewidth=0.5)
            a2.barh(y[i], (hi - lo) / span, left=(lo - lo_b) / span, color=COLORS[3],
                    hatch=HATCHES[4], edgecolor="black", linewidth=0.5, alpha=0.8)
            a2.text(1.02, y[i], f"[{lo:.3g}, {hi:.3g}]", va="center", fontsize=6)
        a2.set_yticks(y)
        a2.set_yticklabels([_plabel(p, lang) for p in params])
        a2.set_xlim(0, 1.35)
        a2.set_xlabel(label(lang, "参数范围内的位置(0=下限,1=上限)", "Position in the parameter's range"))
        r = tr.iloc[k]
        a2.set_title(label(lang, f"区域:覆盖度{r['coverage']:.2f},密度{r['density']:.2f}",
                           f"Box: coverage {r['coverage']:.2f}, density {r['density']:.2f}"))
        fig.tight_layout()
        tag_figure(fig, lang)
    return fig
