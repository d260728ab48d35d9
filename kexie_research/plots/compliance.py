"""Compliance figures: rank × indicator heat-map, off-the-job rates per year, curriculum shares.

Functions take a :class:`kexie_research.compliance.ComplianceResult`, draw and return the
``Axes``; labels in ``lang``. The heat-map uses cividis (colour-blind safe, monotone in
lightness) and prints every value, so it reads in greyscale.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colormaps

from .. import labels
from ..schema import CADRE_RANKS, RANK
from .style import COLORS, MARKERS, figure, label, new_axes, tag_figure, use_style

__all__ = ["plot_compliance_heatmap", "plot_off_job_rates", "plot_curriculum_shares"]

def plot_compliance_heatmap(result, *, ax=None, lang: str = "zh", cmap: str = "cividis"):
    """Rank × rule heat-map of pass rates (annual-rate rules: the rank's off-the-job rate).

    Cells where a rule does not apply to a rank are left blank (light grey, "–"). Rule
    columns marked ``*`` show a rate, not a pass rate.

    Returns
    -------
    Axes
    """
    br = result.by_rank
    rules = [r for r in result.rules["rule_id"] if r in set(br["rule_id"])]
    ranks = [r for r in CADRE_RANKS if r in set(br[RANK])] + \
        sorted(set(br[RANK].dropna()) - set(CADRE_RANKS))
    mat = np.full((len(ranks), len(rules)), np.nan)
    measure = dict(zip(br["rule_id"], br["measure"]))
    for rk, rid, v in zip(br[RANK], br["rule_id"], br["value"]):
        if rk in ranks and rid in rules:
            mat[ranks.index(rk), rules.index(rid)] = v
    ax = new_axes(ax, lang, "double" if len(rules) > 8 else "single", 0.35 * len(ranks) + 1.2)
    with use_style(lang):
        if mat.size == 0:
            ax.text(0.5, 0.5, label(lang, "无可评估的干部规则", "No evaluable cadre rules"),
                    ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            return ax
        cm = colormaps[cmap].with_extremes(bad="0.93")
        im = ax.imshow(np.ma.masked_invalid(mat), cmap=cm, vmin=0, vmax=1, aspect="auto")
        for i in range(len(ranks)):
            for j in range(len(rules)):
                v = mat[i, j]
                if np.isnan(v):
                    ax.text(j, i, "–", ha="center", va="center", fontsize=6, color="0.45")
                    continue
                rgba = cm(v)
                lum = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]
                ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=6,
                        color="white" if lum < 0.5 else "black")
        ax.set_xticks(range(len(rules)), [r + ("*" if measure.get(r) == "rate" else "") for r in rules])
        ax.set_yticks(range(len(ranks)), [labels.label(r, lang, kind="cadre_rank", capitalize=True) for r in ranks])
        ax.tick_params(length=0)
        for sp in ax.spines.values():
            sp.set_visible(False)
        cb = ax.figure.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
        cb.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_xlabel(label(lang, "规则（指标编号+字母；*为脱产调训率）",
                            "Rule (indicator + letter; * = off-the-job rate)"))
        ax.set_title(label(lang, "各职级达标率", "Compliance by rank"))
    return ax


def plot_off_job_rates(result, *, ax=None, lang: str = "zh"):
    """Annual off-the-job training rates per rule and year, with each rule's threshold.

    Returns
    -------
    Axes
    """
    ax = new_axes(ax, lang)
    with use_style(lang):
        rates = result.rates
        for i, (rid, g) in enumerate(rates.groupby("rule_id", sort=True)):
            g = g.sort_values("year")
            c = COLORS[i % len(COLORS)]
            ax.plot(g["year"], g["rate"], marker=MARKERS[i % len(MARKERS)], color=c, ms=4,
                    label=label(lang, f"{rid}（门槛 {g['threshold_rate'].iloc[0]:.0%}）",
                                f"{rid} (threshold {g['threshold_rate'].iloc[0]:.0%})"))
            ax.axhline(g["threshold_rate"].iloc[0], color=c, lw=0.7, ls=(0, (4, 2 + i)))
        if len(rates):
            ax.set_xticks(sorted(rates["year"].unique()))
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_xlabel(label(lang, "年份", "Year"))
        ax.set_ylabel(label(lang, "脱产培训调训率", "Off-the-job training rate"))
        ax.set_title(label(lang, "年度脱产调训率与计划门槛", "Annual off-the-job rates vs plan thresholds"))
        ax.legend(loc="upper left", fontsize=6)
    return ax


def plot_curriculum_shares(result, *, ax=None, lang: str = "zh"):
    """Curriculum shares of each class per rule (dots) against the rule's threshold (bar).

    Returns
    -------
    Axes
    """
    cur = result.curriculum
    rules = sorted(cur["rule_id"].unique()) if len(cur) else []
    ax = new_axes(ax, lang)
    with use_style(lang):
        for j, rid in enumerate(rules):
            g = cur[cur["rule_id"] == rid]
            share = g["share"].to_numpy(float)
            jitter = (np.arange(len(share)) % 7 - 3) * 0.04
            ok = g["status"].to_numpy() == "pass"
            ax.plot(j + jitter[ok], share[ok], ls="none", marker=MARKERS[0], ms=3, color=COLORS[0],
                    label=label(lang, "达标", "meets") if j == 0 else None)
            ax.plot(j + jitter[~ok], share[~ok], ls="none", marker=MARKERS[6], ms=3.5, color=COLORS[3],
                    label=label(lang, "未达标", "misses") if j == 0 else None)
            th = float(g["threshold_share"].iloc[0])
            ax.hlines(th, j - 0.35, j + 0.35, color="0.1", lw=1.2)
        ax.set_xticks(range(len(rules)), rules)
        ax.set_xlim(-0.6, max(len(rules), 1) - 0.4)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_xlabel(label(lang, "规则（横线为门槛）", "Rule (line = threshold)"))
        ax.set_ylabel(label(lang, "各班课程占比", "Share per class"))
        ax.set_title(label(lang, "教学安排：理论党性、领导授课、互动式教学",
                           "Curriculum: theory+party, leaders lecturing, interactive"))
        ax.legend(loc="upper right", fontsize=6)
    return ax
