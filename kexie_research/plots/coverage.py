"""Coverage figures: cumulative curve, coverage by group, a province tile-grid map, exchange.

Every function takes a result of :mod:`kexie_research.coverage`, draws, and returns the
``Axes``; nothing is computed here. Labels are in ``lang`` ("zh" or "en"). Call inside
:func:`kexie_research.plots.style.use_style` (the functions open it themselves when they
create the figure).

Why a tile grid by default: no boundary data of China's provinces with a licence compatible
with ours ship for offline use (see :mod:`kexie_research.plots.maps`, which draws a
choropleth on boundaries the user supplies). A tile-grid cartogram — every province one
equal square placed near its geographic position — needs no boundary data, gives small
provinces (Beijing, Tianjin, Shanghai, Ningxia) the same visual weight as large ones, and
is a standard device for per-region statistics (e.g. the US state tile grids of NPR and
the Washington Post).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

from .. import labels
from ..regions import REGIONS, normalize_province, province_name
from .style import COLORS, HATCHES, MARKERS, figure, label, new_axes, tag_figure, use_style

__all__ = ["plot_coverage_curve", "plot_coverage_by_group", "plot_province_tiles",
           "plot_exchange", "TILE_GRID", "ISO_CODES", "column_label", "group_label",
           "province_coverage", "coverage_norm"]

# (row, column) of each of the 31 provinces: north at the top, west on the left. Approximate
# geography, hand-placed so that neighbours stay neighbours where a square grid allows.
TILE_GRID: dict[str, tuple[int, int]] = {
    "黑龙江": (0, 7),
    "新疆": (1, 0), "内蒙古": (1, 4), "北京": (1, 5), "辽宁": (1, 6), "吉林": (1, 7),
    "青海": (2, 1), "甘肃": (2, 2), "宁夏": (2, 3), "山西": (2, 4), "河北": (2, 5), "天津": (2, 6),
    "西藏": (3, 1), "四川": (3, 2), "陕西": (3, 3), "河南": (3, 4), "山东": (3, 5),
    "云南": (4, 1), "重庆": (4, 2), "湖北": (4, 3), "安徽": (4, 4), "江苏": (4, 5), "上海": (4, 6),
    "贵州": (5, 2), "湖南": (5, 3), "江西": (5, 4), "浙江": (5, 5),
    "广西": (6, 2), "广东": (6, 3), "福建": (6, 4),
    "海南": (7, 3),
}
"""Tile-grid positions (row, column) of China's 31 provinces (XPCC and delegations not drawn)."""

# ISO 3166-2:CN subdivision codes: English tile labels that fit a tile
ISO_CODES: dict[str, str] = {
    "北京": "BJ", "天津": "TJ", "河北": "HE", "山西": "SX", "内蒙古": "NM", "辽宁": "LN", "吉林": "JL",
    "黑龙江": "HL", "上海": "SH", "江苏": "JS", "浙江": "ZJ", "安徽": "AH", "福建": "FJ", "江西": "JX",
    "山东": "SD", "河南": "HA", "湖北": "HB", "湖南": "HN", "广东": "GD", "广西": "GX", "海南": "HI",
    "重庆": "CQ", "四川": "SC", "贵州": "GZ", "云南": "YN", "西藏": "XZ", "陕西": "SN", "甘肃": "GS",
    "青海": "QH", "宁夏": "NX", "新疆": "XJ",
}


def column_label(col: str, lang: str) -> str:
    """Display name of a breakdown column (``province`` → 省份/代表团); unknown names unchanged.

    The names live in :mod:`kexie_research.labels` (the representatives' columns)."""
    return labels.column_label(col, lang, table="representatives")


def group_label(g, lang: str) -> str:
    """Display name of a group value: yes/no, province (English in ``en``), region, code."""
    return _group_name(str(g), lang)


def _group_name(g: str, lang: str) -> str:
    for kind in ("bool", "sector", "delegation_type"):  # codes first: "military" is also a delegation
        if g in labels.table(kind):
            return labels.label(g, lang, kind=kind)
    zh = normalize_province(g) if isinstance(g, str) else None
    if zh is not None:
        return province_name(zh, lang)
    return labels.label(g, lang)


def plot_coverage_curve(result, *, ax=None, lang: str = "zh"):
    """Cumulative coverage by date with the 50/80/100 % levels and the dates they were reached.

    Parameters
    ----------
    result : CoverageResult
        With a non-empty ``curve`` (needs ``trainings``).
    ax : Axes, optional
    lang : {"zh", "en"}

    Returns
    -------
    Axes
    """
    ax = new_axes(ax, lang)
    with use_style(lang):
        c = result.curve
        if len(c):
            x = list(pd.to_datetime(c["date"]))
            y = list(c["coverage"].astype(float))
            ax.step([x[0]] + x, [0.0] + y, where="post", color=COLORS[0], lw=1.4,
                    label=label(lang, "累计覆盖率", "Cumulative coverage"))
            ax.plot(x, y, ls="none", marker=MARKERS[0], ms=2.5, color=COLORS[0])
        for i, (level, when) in enumerate(result.milestones.items()):
            ax.axhline(level, color="0.55", lw=0.6, ls=(0, (4, 3)))
            if when is not None:
                ax.plot([when], [level], marker=MARKERS[i + 1], color=COLORS[i + 1], ms=5, ls="none",
                        label=label(lang, f"达到{level:.0%}：{pd.Timestamp(when).date()}",
                                    f"{level:.0%} reached {pd.Timestamp(when).date()}"))
            else:
                ax.text(ax.get_xlim()[0] if not len(c) else x[0], level,
                        label(lang, f" {level:.0%} 未达到", f" {level:.0%} not reached"),
                        va="bottom", ha="left", fontsize=6, color="0.3")
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_xlabel(label(lang, "培训结束日期", "Session end date"))
        ax.set_ylabel(label(lang, "已培训代表占比（不重复人数）", "Representatives trained (distinct)"))
        ax.set_title(label(lang, f"代表培训累计覆盖率（n = {result.total}）",
                           f"Cumulative training coverage (n = {result.total})"))
        ax.legend(loc="lower right")
        ax.figure.autofmt_xdate()
    return ax


def plot_coverage_by_group(result, *, ax=None, lang: str = "zh", max_groups: int = 40):
    """Horizontal bars of coverage per group, sorted, with Wilson whiskers and the threshold.

    Groups below ``result.threshold`` are hatched and coloured differently so they stand
    out in greyscale too.

    Returns
    -------
    Axes
    """
    g = result.groups.sort_values(["coverage", "group"], ascending=[True, True]).tail(max_groups)
    n = len(g)
    ax = new_axes(ax, lang, "single", max(2.0, 0.16 * n + 0.8))
    with use_style(lang):
        names = [_group_name(x, lang) for x in g["group"]]
        y = np.arange(n)
        cov = g["coverage"].to_numpy(float)
        below = g["below_threshold"].to_numpy(bool)
        for yi, c, b in zip(y, cov, below):
            ax.barh(yi, c, color=COLORS[3] if b else COLORS[0], hatch=HATCHES[1] if b else "",
                    edgecolor="white" if not b else "0.15", linewidth=0.3, height=0.7)
        lo = g["ci_low"].to_numpy(float)
        hi = g["ci_high"].to_numpy(float)
        ok = ~(np.isnan(lo) | np.isnan(hi))
        if ok.any():
            ax.errorbar(cov[ok], y[ok], xerr=[cov[ok] - lo[ok], hi[ok] - cov[ok]], fmt="none",
                        ecolor="0.1", elinewidth=0.6, capsize=1.5)
        ax.axvline(result.threshold, color="0.1", ls=(0, (4, 2)), lw=0.8)
        ax.text(result.threshold, n - 0.3, label(lang, f"阈值 {result.threshold:.0%}",
                                                  f"threshold {result.threshold:.0%}"),
                ha="left", va="bottom", fontsize=6)
        ax.set_yticks(y, names)
        ax.set_xlim(0, 1.0)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        by = " × ".join(column_label(c, lang) for c in result.by)
        ax.set_xlabel(label(lang, f"覆盖率（误差线：Wilson {result.confidence:.0%} 区间）",
                            f"Coverage (whiskers: Wilson {result.confidence:.0%} interval)"))
        ax.set_title(label(lang, f"分组覆盖率：{by}", f"Coverage by {by}"))
    return ax


def province_coverage(result) -> dict[str, tuple[float, int]]:
    """``{province: (coverage, n representatives)}`` for the 31 provinces in a result grouped
    by province (delegations and unknown names left out): what the maps colour."""
    vals = {}
    for grp, c, n in zip(result.groups["group"], result.groups["coverage"], result.groups["total"]):
        zh = normalize_province(grp)
        if zh in TILE_GRID:
            vals[zh] = (float(c), int(n))
    return vals


def coverage_norm(vals: dict[str, tuple[float, int]]) -> Normalize:
    """The maps' colour scale: from the lowest decile present (at most 90%) to 100%, so
    differences stay visible."""
    lowest = min((v for v, _ in vals.values()), default=0.0)
    return Normalize(min(np.floor(lowest * 10) / 10, 0.9), 1)


def plot_province_tiles(result, *, ax=None, lang: str = "zh", cmap: str = "cividis"):
    """Tile-grid map of China's 31 provinces coloured by coverage, value printed in each tile.

    ``result`` must be grouped by ``province`` alone. Provinces without representatives
    are drawn hatched in light grey. The colour map (cividis) is perceptually uniform,
    colour-blind safe and monotone in lightness, so the map reads in greyscale; text
    switches to white on dark tiles.

    Returns
    -------
    Axes
    """
    if tuple(result.by) != ("province",):
        raise ValueError(f"the tile map needs coverage grouped by province alone, not by {result.by}")
    ax = new_axes(ax, lang, "single", 3.6)
    with use_style(lang):
        vals = province_coverage(result)
        norm = coverage_norm(vals)
        cm = colormaps[cmap]
        for prov, (r, col) in TILE_GRID.items():
            if prov in vals:
                v = vals[prov][0]
                rgba = cm(norm(v))
                ax.add_patch(Rectangle((col, -r), 0.94, 0.94, facecolor=rgba, edgecolor="white", lw=0.5))
                lum = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]
                tc = "white" if lum < 0.5 else "black"
                txt = f"{v:.0%}"
            else:
                ax.add_patch(Rectangle((col, -r), 0.94, 0.94, facecolor="0.92", edgecolor="0.6",
                                       hatch=HATCHES[2], lw=0.5))
                tc, txt = "0.3", "–"
            name = ISO_CODES[prov] if lang == "en" else prov
            ax.text(col + 0.47, -r + 0.64, name, ha="center", va="center", fontsize=5, color=tc)
            ax.text(col + 0.47, -r + 0.3, txt, ha="center", va="center", fontsize=6, color=tc)
        ax.set_xlim(-0.1, 8.05)
        ax.set_ylim(-7.1, 1.05)
        ax.set_aspect("equal")
        ax.axis("off")
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cm)
        cb = ax.figure.colorbar(sm, ax=ax, fraction=0.035, pad=0.02)
        cb.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        cb.set_label(label(lang, "覆盖率", "Coverage"))
        ax.set_title(label(lang, "各省代表培训覆盖率（方块示意图，非地理边界）",
                           "Coverage by province (tile grid, ISO 3166-2:CN codes)"))
    return ax


def plot_exchange(exchange, *, ax=None, lang: str = "zh", max_sessions: int = 40):
    """Region mix of each session (stacked shares) with the term-level exchange indices.

    Returns
    -------
    Axes
    """
    s = exchange.sessions.sort_values("training_id").head(max_sessions)
    n = len(s)
    ax = new_axes(ax, lang, "single", max(2.0, 0.14 * n + 1.0))
    with use_style(lang):
        y = np.arange(n)
        left = np.zeros(n)
        for i, r in enumerate(REGIONS):
            w = s[f"share_{r}"].to_numpy(float) if len(s) else np.zeros(0)
            ax.barh(y, w, left=left, color=COLORS[i], hatch=HATCHES[i], edgecolor="white",
                    linewidth=0.3, height=0.75, label=labels.label(r, lang, capitalize=True))
            left = left + w
        ax.set_yticks(y, list(s["training_id"]))
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_xlabel(label(lang, "参训人次的地区构成", "Regional mix of attendees"))
        ax.set_title(label(
            lang,
            f"跨区域交流：欠发达地区代表与发达地区同班比例 {exchange.exposure:.0%}，混合比 {exchange.mixing_ratio:.2f}",
            f"Cross-region exchange: exposure {exchange.exposure:.0%}, mixing ratio {exchange.mixing_ratio:.2f}"),
            fontsize=7)
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=6)
    return ax
