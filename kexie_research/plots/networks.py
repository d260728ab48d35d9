"""Figures of the network analyses. They take result objects and never compute.

- :func:`plot_small_graph` — a readable node-link drawing for small graphs (≤ 300 nodes):
  colour *and* marker by type (legend), size by a centrality, labels.
- :func:`plot_flow_matrix` — type × type or province × province ties for large graphs.
- :func:`plot_province_ranking` — counts by province with shares (CAST service-system style).
- :func:`plot_coverage` — formal vs effective coverage by province.
- :func:`plot_growth` — yearly counts, fitted model, projection with prediction interval.
- :func:`plot_triple_helix_slices` — T with bootstrap intervals per slice.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np

from .. import labels as names
from ..regions import province_name
from .style import COLORS, HATCHES, MARKERS, label, new_axes, use_style

__all__ = ["type_name", "plot_small_graph", "plot_flow_matrix",
           "plot_province_ranking", "plot_coverage", "plot_growth", "plot_triple_helix_slices"]

def type_name(t: str, lang: str) -> str:
    """Display name of an organisation type (from :mod:`kexie_research.labels`), capitalised
    for legends and axes."""
    return _cap(names.label(t, lang, kind="org_type"))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _prov(p: str, lang: str) -> str:
    if p in ("(national)", "(other)", None):
        return label(lang, {"(national)": "全国性", "(other)": "其他"}.get(p, "?"), p or "?")
    return province_name(p, lang)


def plot_small_graph(graph, *, size_by=None, measures=None, ax=None, lang: str = "zh",
                     labels: str | None = "name", seed: int = 1, title: str | None = None,
                     max_nodes: int = 300):
    """Node-link drawing of a small :class:`~kexie_research.networks.OrgGraph`.

    Parameters
    ----------
    graph : OrgGraph
    size_by : str, optional
        Column of ``measures.table`` sizing the nodes (e.g. ``"betweenness"``).
    measures : MeasuresResult, optional
    labels : {"name", "org_id", "type", None}
        ``"type"`` labels each node by its type in ``lang`` (numbered within the type).
    seed : int
        Layout seed (spring layout).
    max_nodes : int
        Refuse larger graphs (use :func:`plot_flow_matrix`).
    """
    if graph.n_nodes > max_nodes:
        raise ValueError(f"{graph.n_nodes} nodes: too many for a node-link drawing "
                         f"(max {max_nodes}); aggregate with plot_flow_matrix")
    with use_style(lang):
        ax = new_axes(ax, lang, "double", 4.2)
        G = nx.Graph()
        G.add_nodes_from(range(graph.n_nodes))
        G.add_edges_from(zip(graph.edges["u"], graph.edges["v"]))
        pos = nx.spring_layout(G, seed=seed, k=1.6 / np.sqrt(max(graph.n_nodes, 1)))
        xy = np.array([pos[i] for i in range(graph.n_nodes)]) if graph.n_nodes else np.zeros((0, 2))
        w = graph.edges["weight"].to_numpy(dtype=float)
        lw = 0.4 + 1.6 * (w / w.max()) if len(w) else []
        for (a, b), width in zip(zip(graph.edges["u"], graph.edges["v"]), lw):
            ax.plot([xy[a, 0], xy[b, 0]], [xy[a, 1], xy[b, 1]], color="#9a9a9a", lw=width,
                    zorder=1)
        if size_by and measures is not None:
            s = measures.table[size_by].to_numpy(dtype=float)
            s = np.nan_to_num(s)
            size = 25 + 275 * (s - s.min()) / (np.ptp(s) or 1.0)
        else:
            size = np.full(graph.n_nodes, 60.0)
        types = graph.nodes["type"].astype(str).to_numpy()
        for i, t in enumerate(sorted(set(types), key=lambda x: (-(types == x).sum(), x))):
            m = types == t
            ax.scatter(xy[m, 0], xy[m, 1], s=size[m], color=COLORS[i % len(COLORS)],
                       marker=MARKERS[i % len(MARKERS)], edgecolors="black", linewidths=0.4,
                       zorder=2, label=f"{type_name(t, lang)} ({int(m.sum())})")
        if labels == "type":
            seen: dict[str, int] = {}
            texts = []
            for t in types:
                seen[t] = seen.get(t, 0) + 1
                texts.append(f"{type_name(t, lang)} {seen[t]}" if (types == t).sum() > 1
                             else type_name(t, lang))
        elif labels:
            col = "name" if labels == "name" and "name" in graph.nodes.columns else "org_id"
            texts = graph.nodes[col].astype(str).tolist()
        if labels:
            for i, txt in enumerate(texts):
                ax.annotate(txt[:22], xy[i], fontsize=5.5, ha="center", va="bottom",
                            xytext=(0, 4), textcoords="offset points", zorder=3)
        ax.set_axis_off()
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), markerscale=0.6,
                  title=label(lang, "类型", "Type"))
        if size_by:
            what = names.label(size_by, lang, kind="measure")
            ax.text(0.0, -0.02, label(lang, f"节点大小：{what}", f"Node size: {what}"),
                    transform=ax.transAxes, fontsize=6, va="top")
        if title:
            ax.set_title(title)
    return ax


def plot_flow_matrix(flow, *, ratio: bool = False, ax=None, lang: str = "zh",
                     annotate: bool | None = None, title: str | None = None):
    """Heat map of a :class:`~kexie_research.networks.flows.FlowMatrix` (log colour scale
    for totals; observed/expected on a diverging log scale with ``ratio=True``)."""
    from matplotlib.colors import LogNorm, TwoSlopeNorm

    M = (flow.ratio if ratio else flow.matrix).to_numpy(dtype=float)
    groups = list(flow.matrix.index)
    names = [type_name(g, lang) if flow.by == "type" else
             (_prov(g, lang) if flow.by == "province" else str(g)) for g in groups]
    k = len(groups)
    with use_style(lang):
        side = min(7.2, 1.6 + 0.22 * k)
        ax = new_axes(ax, lang, side, side * 0.9)
        if ratio:
            with np.errstate(divide="ignore", invalid="ignore"):
                L = np.log2(np.where(M > 0, M, np.nan))
            lim = float(np.nanmax(np.abs(L))) if np.isfinite(L).any() else 1.0
            im = ax.imshow(L, cmap="PuOr_r", norm=TwoSlopeNorm(0, -lim - 1e-9, lim + 1e-9))
            cb_label = label(lang, "log2(观测/期望)", "log2(observed / expected)")
        else:
            pos = M[M > 0]
            im = ax.imshow(np.where(M > 0, M, np.nan), cmap="cividis",
                           norm=LogNorm(pos.min(), pos.max()) if len(pos) else None)
            cb_label = label(lang, "联系强度（权重和）" if flow.value == "weight" else "联系数",
                             "tie weight" if flow.value == "weight" else "ties")
        ax.figure.colorbar(im, ax=ax, shrink=0.8, label=cb_label)
        ax.set_xticks(range(k), names, rotation=90)
        ax.set_yticks(range(k), names)
        ax.spines[:].set_visible(False)
        if annotate if annotate is not None else k <= 12:
            for i in range(k):
                for j in range(k):
                    if M[i, j] > 0:
                        ax.text(j, i, f"{M[i, j]:.2g}" if ratio else f"{M[i, j]:.0f}",
                                ha="center", va="center", fontsize=5, color="white" if not ratio else "black")
        if title:
            ax.set_title(title)
    return ax


def plot_province_ranking(ranking, *, top: int = 15, ax=None, lang: str = "zh",
                          title: str | None = None, seed_counts: dict | None = None):
    """Horizontal bars of counts by province, largest on top, share in the label.

    ``seed_counts`` (province → published count) adds a marker at the published figure.
    """
    r = ranking.head(top).iloc[::-1]
    with use_style(lang):
        ax = new_axes(ax, lang, "single", 0.5 + 0.17 * len(r))
        y = np.arange(len(r))
        ax.barh(y, r["count"], color=COLORS[0], hatch=HATCHES[1], edgecolor="white", lw=0.3)
        for yi, (c, s) in enumerate(zip(r["count"], r["share"])):
            ax.annotate(f"{c:,} ({100 * s:.1f}%)", (c, yi), xytext=(7, 0),
                        textcoords="offset points", va="center", fontsize=6)
        if seed_counts:
            xs = [seed_counts.get(p) for p in r["province"]]
            ys = [yi for yi, x in zip(y, xs) if x is not None]
            ax.scatter([x for x in xs if x is not None], ys, marker="|", s=90, linewidths=1.6,
                       color=COLORS[3], zorder=3,
                       label=label(lang, "种子文献公布值", "published (seed 003)"))
            ax.legend(loc="lower right")
        ax.set_yticks(y, [_prov(p, lang) for p in r["province"]])
        ax.set_xlabel(label(lang, "数量", "Count"))
        if len(r):
            ax.set_xlim(0, r["count"].max() * 1.3)
        else:
            ax.text(0.5, 0.5, label(lang, "无数据", "no data"), transform=ax.transAxes,
                    ha="center", va="center")
        if title:
            ax.set_title(title)
    return ax


def plot_coverage(by_province, *, ax=None, lang: str = "zh", title: str | None = None):
    """Formal count and effective share by province (``by_group`` of coverage by province)."""
    d = by_province.sort_values("effective_rate")
    with use_style(lang):
        ax = new_axes(ax, lang, "double", 3.0)
        x = np.arange(len(d))
        ax.bar(x, d["effective_rate"], color=COLORS[2], hatch=HATCHES[2], edgecolor="white", lw=0.3,
               label=label(lang, "有效覆盖（六有且去年活跃）", "effective (six-haves and active)"))
        ax.bar(x, d["empty_shell_rate"], color=COLORS[3], hatch=HATCHES[3], edgecolor="white", lw=0.3,
               bottom=d["effective_rate"], label=label(lang, "空壳", "empty shell"))
        ax.set_xticks(x, [_prov(p, lang) for p in d["province"]], rotation=90)
        ax.set_ylabel(label(lang, "占已建组织比例", "share of existing associations"))
        ax.set_ylim(0, 1)
        ax.legend(loc="upper left", ncols=2)
        if title:
            ax.set_title(title)
    return ax


def plot_growth(result, *, ax=None, lang: str = "zh", seed_points: dict | None = None,
                title: str | None = None):
    """Observed counts, fitted curve, projection with its prediction interval."""
    obs, proj = result.observed, result.projection
    with use_style(lang):
        ax = new_axes(ax, lang, "single")
        ax.plot(obs["year"], obs["count"], marker=MARKERS[0], ms=3, lw=0, color=COLORS[0],
                label=label(lang, "观测", "observed"))
        ax.plot(obs["year"], obs["fitted"], color=COLORS[0], lw=1,
                label=label(lang, "拟合", "fitted") + f" ({result.model})")
        ax.fill_between(proj["year"], proj["lower"], proj["upper"], color=COLORS[1], alpha=0.3,
                        hatch=HATCHES[1], label=label(lang, f"{result.level:.0%}预测区间",
                                                      f"{result.level:.0%} prediction interval"))
        ax.plot(proj["year"], proj["mean"], color=COLORS[1], ls="--", lw=1.2,
                label=label(lang, "预测", "projection"))
        if seed_points:
            ax.scatter(list(seed_points), list(seed_points.values()), marker="D", s=16,
                       color=COLORS[3], zorder=3, label=label(lang, "种子文献", "seed 003"))
        ax.set_xlabel(label(lang, "年份", "Year"))
        ax.set_ylabel(label(lang, "企业科协数量（累计）", "Enterprise associations (cumulative)"))
        ax.legend(loc="upper left")
        if title:
            ax.set_title(title)
    return ax


def plot_triple_helix_slices(table, *, ax=None, lang: str = "zh", title: str | None = None,
                             by: str = "year"):
    """T (bits) per slice with bootstrap intervals; below zero = synergy."""
    d = table.dropna(subset=["T"])
    with use_style(lang):
        ax = new_axes(ax, lang, "double" if len(d) > 12 else "single", 2.6)
        x = np.arange(len(d))
        err = np.vstack([d["T"] - d["ci_low"], d["ci_high"] - d["T"]])
        ax.errorbar(x, d["T"], yerr=np.abs(err), fmt=MARKERS[0], ms=3, color=COLORS[0],
                    capsize=2, lw=0.8)
        ax.axhline(0, color="black", lw=0.6)
        names = [(_prov(s, lang) if by == "province" else str(s)) for s in d["slice"]]
        ax.set_xticks(x, names, rotation=90 if len(d) > 10 else 0)
        ax.set_ylabel(label(lang, "T（比特；负值=协同）", "T (bits; negative = synergy)"))
        if title:
            ax.set_title(title)
    return ax


def close(fig) -> None:  # pragma: no cover - convenience
    plt.close(fig)
