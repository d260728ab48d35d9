"""Figures of training effectiveness. Each function takes a result object from
:mod:`kexie_research.evaluation` and draws it; nothing is computed here."""

from __future__ import annotations

import numpy as np

from .. import labels
from ..schema import QUALITY_ITEM_NAMES, QUALITY_ITEMS
from .style import COLORS, MARKERS, label, new_axes, use_style

__all__ = ["plot_quality_profile", "plot_effects_forest", "plot_event_study", "plot_rank_intervals"]


def _name(code, lang: str, kind: str) -> str:
    """Display name from :mod:`kexie_research.labels`, capitalised in English (axis text)."""
    s = labels.label(code, lang, kind=kind)
    return s[:1].upper() + s[1:] if lang == "en" else s


_LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1)), (0, (1, 1)))


def plot_quality_profile(result, *, sessions=None, max_sessions: int = 6, ax=None, lang: str = "zh"):
    """Per-dimension quality profile of sessions with confidence intervals.

    Parameters
    ----------
    result : QualityResult
    sessions : sequence of str, optional
        Sessions to draw (default: the ``max_sessions`` with most responses).
    max_sessions : int
    ax : Axes, optional
    lang : {"zh", "en"}

    Returns
    -------
    Axes
        One error-bar series per session over the eight dimensions (distinct marker, colour
        and line style each, so the figure reads in greyscale).
    """
    sc = result.scores
    sc = sc[sc["dimension"].isin(QUALITY_ITEMS)]
    if sessions is None:
        n = sc.groupby("training_id")["n"].max().sort_values(ascending=False, kind="stable")
        sessions = sorted(n.index[:max_sessions])
    with use_style(lang):
        ax = new_axes(ax, lang, "double", 3.4)
        k = len(sessions)
        width = 0.6
        x = np.arange(len(QUALITY_ITEMS))
        for i, s in enumerate(sessions):
            d = sc[sc["training_id"] == s].set_index("dimension").reindex(list(QUALITY_ITEMS))
            off = (i - (k - 1) / 2) * (width / max(k, 1))
            y = d["estimate"].to_numpy(float)
            err = np.vstack([y - d["ci_low"].to_numpy(float), d["ci_high"].to_numpy(float) - y])
            ax.errorbar(x + off, y, yerr=err, marker=MARKERS[i % len(MARKERS)], color=COLORS[i % len(COLORS)],
                        linestyle=_LINESTYLES[i % len(_LINESTYLES)], linewidth=0.9, markersize=4,
                        capsize=2, label=str(s))
        ax.set_xticks(x)
        ax.set_xticklabels([QUALITY_ITEM_NAMES[it][lang] for it in QUALITY_ITEMS], rotation=30, ha="right")
        ax.set_ylabel(label(lang, "评分（1–5，角色加权）", "Score (1–5, role-weighted)"))
        ax.set_xlabel(label(lang, "质量维度", "Quality dimension"))
        lv = int(round(result.level * 100))
        ax.set_title(label(lang, f"各班次分维度评分（{lv}% 置信区间）",
                           f"Quality profile by session ({lv}% CI)"))
        ax.legend(title=label(lang, "班次", "Session"), fontsize="small", ncol=min(k, 3), loc="lower left")
    return ax


def plot_effects_forest(result, *, overall=None, ax=None, lang: str = "zh"):
    """Forest plot of training effects by segment with CIs and corrected interaction p.

    Parameters
    ----------
    result : HeterogeneityResult
    overall : DiDResult, optional
        Adds the overall effect(s) as the top rows.
    ax : Axes, optional
    lang : {"zh", "en"}

    Returns
    -------
    Axes
        One horizontal interval per effect; each segment is annotated with the
        multiple-comparison-adjusted p of its interaction.
    """
    eff = result.effects
    rows = []
    if overall is not None:
        for _, r in overall.table.iterrows():
            m = labels.label(r["method"], lang, kind="estimator")
            name = label(lang, f"总体（{m}）", f"Overall ({m})")
            rows.append((name, r["estimate"], r["ci_low"], r["ci_high"], None))
    ints = result.interactions.set_index("segment")
    for seg, g in eff.groupby("segment", sort=False):
        for _, r in g.iterrows():
            lev = r["level_zh"] if lang == "zh" else r["level"]
            rows.append((f"{_name(seg, lang, 'het_segment')}: {lev}", r["estimate"], r["ci_low"],
                         r["ci_high"], seg))
    with use_style(lang):
        ax = new_axes(ax, lang, "single", 0.35 * len(rows) + 1.2)
        y = np.arange(len(rows))[::-1]
        segs = [r[4] for r in rows]
        uniq = list(dict.fromkeys(s for s in segs if s is not None))
        for yi, (name, est, lo, hi, seg) in zip(y, rows):
            i = (uniq.index(seg) + 1) if seg is not None else 0
            ax.errorbar([est], [yi], xerr=[[est - lo], [hi - est]], fmt=MARKERS[i % len(MARKERS)],
                        color=COLORS[i % len(COLORS)], capsize=2, markersize=4,
                        markerfacecolor="white" if seg is None else COLORS[i % len(COLORS)])
        ax.axvline(0, color="0.4", linewidth=0.8, linestyle="--")
        ax.set_yticks(y)
        ax.set_yticklabels([r[0] for r in rows])
        for seg in uniq:
            ys = [yi for yi, r in zip(y, rows) if r[4] == seg]
            padj = ints.loc[seg, "p_adjusted"] if seg in ints.index else np.nan
            ax.annotate(label(lang, f"交互 p校正={padj:.3f}", f"interaction p_adj={padj:.3f}"),
                        xy=(1.0, float(np.mean(ys))), xycoords=("axes fraction", "data"),
                        xytext=(3, 0), textcoords="offset points", fontsize="x-small", va="center")
        out = labels.label(result.outcome, lang, kind="outcome")
        ax.set_xlabel(label(lang, f"培训效应（{out}，每人每年）",
                            f"Training effect ({out} per representative-year)"))
        corr = labels.label(result.correction, lang, kind="correction")
        ax.set_title(label(lang, f"分群体效应（95% 置信区间，{corr} 校正）",
                           f"Effects by segment (95% CI; {corr}-corrected interactions)"))
    return ax


def plot_event_study(result, *, group_time=None, ax=None, lang: str = "zh"):
    """Event-study leads and lags with confidence intervals; the reference period is drawn
    hollow at 0 and marked by a dashed line between it and the training year.

    Parameters
    ----------
    result : EventStudyResult
    group_time : DiDResult, optional
        Overlays its group-time dynamic profile (clean controls), shifted right a little.
    ax : Axes, optional
    lang : {"zh", "en"}

    Returns
    -------
    Axes
    """
    t = result.table
    est = t[~t["reference"].astype(bool)]
    ref = t[t["reference"].astype(bool)]
    with use_style(lang):
        ax = new_axes(ax, lang, "single")
        pre = est["rel_time"] < 0
        for mask, m, c, name in ((pre, "s", COLORS[0], label(lang, "培训前", "before training")),
                                 (~pre, "o", COLORS[3], label(lang, "培训后", "after training"))):
            d = est[mask]
            ax.errorbar(d["rel_time"], d["estimate"],
                        yerr=[d["estimate"] - d["ci_low"], d["ci_high"] - d["estimate"]],
                        fmt=m, color=c, capsize=2, markersize=4, label=name)
        dyn = None if group_time is None else group_time.group_time_dynamic
        if dyn is not None and len(dyn):
            lo_, hi_ = est["rel_time"].min(), est["rel_time"].max()
            d = dyn[(dyn["rel_time"] >= lo_) & (dyn["rel_time"] <= hi_)]
            ax.errorbar(d["rel_time"] + 0.2, d["estimate"],
                        yerr=[d["estimate"] - d["ci_low"], d["ci_high"] - d["estimate"]],
                        fmt="^", color=COLORS[2], markerfacecolor="white", capsize=2, markersize=4,
                        linestyle="none", label=label(lang, "分组-时期（干净对照）", "group-time (clean controls)"))
        ax.plot(ref["rel_time"], ref["estimate"], "D", markerfacecolor="white", color="black",
                markersize=5, label=label(lang, f"参照期（{result.reference}）", f"reference ({result.reference})"))
        ax.axhline(0, color="0.4", linewidth=0.8)
        ax.axvline(result.reference + 0.5, color="0.3", linewidth=0.8, linestyle="--")
        ax.set_xticks(sorted(t["rel_time"].astype(int)))
        ax.set_xlabel(label(lang, "距首次培训年数", "Years relative to first training"))
        out = labels.label(result.outcome, lang, kind="outcome")
        ax.set_ylabel(label(lang, f"效应（{out}）", f"Effect ({out})"))
        ax.set_title(label(lang, f"事件研究（平行趋势检验 p={result.pretrend_p:.3f}）",
                           f"Event study (pre-trend test p={result.pretrend_p:.3f})"))
        ax.legend(fontsize="x-small", loc="upper left")
    return ax


def plot_rank_intervals(result, *, ax=None, lang: str = "zh", max_sessions: int = 30):
    """Session ranking with bootstrap rank intervals (1 = best).

    Returns
    -------
    Axes
    """
    t = result.table.head(max_sessions)
    with use_style(lang):
        ax = new_axes(ax, lang, "single", 0.18 * len(t) + 1.2)
        y = np.arange(len(t))[::-1]
        ax.hlines(y, t["rank_low"], t["rank_high"], color=COLORS[0], linewidth=1.5)
        ax.plot(t["rank"], y, "o", color=COLORS[3], markersize=4, label=label(lang, "点排名", "point rank"))
        ax.set_yticks(y)
        ax.set_yticklabels(t["training_id"], fontsize="x-small")
        ax.set_xlabel(label(lang, "排名（1 = 最佳）", "Rank (1 = best)"))
        lv = int(round(result.level * 100))
        ax.set_title(label(lang, f"班次排名及 {lv}% 自助区间", f"Session ranks with {lv}% bootstrap intervals"))
        # ranks run from top left to bottom right: the upper right corner is free
        ax.legend(fontsize="x-small", loc="upper right")
    return ax
