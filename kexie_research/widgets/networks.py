"""Network explorer: filter the organisation graph, choose a measure, see it drawn as size
allows — a node-link layout for small graphs, an aggregated flow matrix for large ones
(a national hairball is not a figure).

Wraps :func:`kexie_research.networks.build_graph` (links of the chosen kinds and years),
:meth:`~kexie_research.networks.OrgGraph.subgraph` (organisation types and province), the
measures step of :func:`kexie_research.networks.pipeline.analyse_network` (the CLI's and the
report's defaults and seed scheme: on the unfiltered graph the numbers equal theirs) and
:func:`~kexie_research.networks.flows.flow_matrix`. Full graphs are cached by (link kinds,
years), so changing the type or province filter costs one subgraph and the measure.
"""

from __future__ import annotations

from collections import OrderedDict

import ipywidgets as widgets
import numpy as np
import pandas as pd

from ..data import Dataset, load_dataset
from ..errors import AnalysisError
from ..networks import OrgGraph, build_graph
from ..networks.flows import FlowMatrix, flow_matrix
from ..networks.measures import MEASURES, MeasuresResult
from ..schema import ORG_ID
from .common import Explorer, code_name, display_frame, frame_html

__all__ = ["NetworkExplorer", "SMALL_GRAPH_NODES"]

SMALL_GRAPH_NODES = 250
"""Graphs with at most this many (non-isolated) nodes are drawn as a layout; larger ones as
a flow matrix."""
_ALL = "all"


class NetworkExplorer(Explorer):
    """Filter by organisation type, province, year and link kind; pick a measure.

    Controls: ``types`` and ``kinds`` (multi-select; nothing selected = all), ``province``,
    ``years`` (range of link years), ``measure``, ``flow_by`` (grouping of the flow matrix:
    type, province or region), ``top_n``. ``result`` is the
    :class:`~kexie_research.networks.measures.MeasuresResult` of the filtered graph
    (isolated organisations dropped); ``graph`` and ``flows`` hold the filtered
    :class:`~kexie_research.networks.OrgGraph` and its
    :class:`~kexie_research.networks.flows.FlowMatrix`. :attr:`view` is ``"layout"`` for
    graphs up to ``small_graph_nodes`` nodes, else ``"matrix"``.

    Parameters
    ----------
    dataset : Dataset, optional
        Needs ``organizations`` and ``links``; default: the embedded synthetic data.
    small_graph_nodes : int
    seed : int
        Seed of sampled centralities and of the layout.
    """

    title = ("组织与合作网络", "Organisation and collaboration network")
    export_name = "network"
    description_width = "110px"

    def __init__(self, dataset: Dataset | None = None, *, small_graph_nodes: int = SMALL_GRAPH_NODES,
                 seed: int = 20240, province: str | None = None, **kw):
        super().__init__(**kw)
        ds = dataset if dataset is not None else load_dataset(kinds=["organizations", "links"])
        if ds.organizations is None or ds.links is None:
            raise ValueError("the network explorer needs the organizations and links tables")
        self.dataset = ds
        self.small_graph_nodes = int(small_graph_nodes)
        self.seed = int(seed)
        orgs, links = ds.organizations, ds.links
        self._types = orgs["type"].value_counts().index.tolist()
        self._kinds = links["kind"].value_counts().index.tolist() if "kind" in links.columns else []
        provs = orgs["province"].dropna().value_counts().index.tolist() if "province" in orgs.columns else []
        self._provinces = [_ALL, *provs]
        y = pd.to_numeric(links["year"], errors="coerce").dropna() if "year" in links.columns else pd.Series([0])
        y0, y1 = int(y.min()), int(y.max())
        self.types = widgets.SelectMultiple(options=self._types, value=(), rows=6)
        self.kinds = widgets.SelectMultiple(options=self._kinds, value=(), rows=6)
        self.province = widgets.Dropdown(options=self._provinces,
                                         value=province if province in self._provinces else _ALL)
        self.years = widgets.IntRangeSlider(value=(y0, y1), min=y0, max=max(y1, y0 + 1),
                                            continuous_update=False, disabled="year" not in links.columns,
                                            layout=widgets.Layout(width="400px"))
        self.measure = widgets.Dropdown(options=list(MEASURES), value="degree")
        self.flow_by = widgets.Dropdown(options=["type", "province", "region"], value="type")
        self.top_n = widgets.IntSlider(value=10, min=5, max=50, continuous_update=False)
        self.flow_ratio = widgets.Checkbox(value=False, indent=False)
        self.summary = widgets.HTML()
        self.summary.add_class("kexie-network")
        self.top_html = widgets.HTML()
        self.graph: OrgGraph | None = None
        self.flows: FlowMatrix | None = None
        self._graphs: OrderedDict = OrderedDict()
        self._finish([self.types, self.kinds, self.province, self.years, self.measure, self.flow_by])
        self.top_n.observe(lambda _c: self._render_top(), names="value")
        self.flow_ratio.observe(lambda _c: self.show_figure(), names="value")

    # ---- computation ------------------------------------------------------------------------
    def _full_graph(self) -> OrgGraph:
        kinds = tuple(self.kinds.value) or None
        years = tuple(self.years.value) if not self.years.disabled else None
        key = (kinds, years)
        if key not in self._graphs:
            self._graphs[key] = build_graph(self.dataset.organizations, self.dataset.links,
                                            kinds=kinds, years=years)
            while len(self._graphs) > 4:
                self._graphs.popitem(last=False)
        return self._graphs[key]

    def filtered_graph(self) -> OrgGraph:
        """The graph after every filter, without isolated organisations."""
        g = self._full_graph()
        mask = np.ones(g.n_nodes, dtype=bool)
        if self.types.value:
            mask &= g.nodes["type"].isin(list(self.types.value)).to_numpy()
        if self.province.value != _ALL:
            mask &= (g.nodes["province"] == self.province.value).to_numpy()
        sub = g.subgraph(mask) if not mask.all() else g
        deg = np.diff(sub.adjacency.indptr)
        return sub.subgraph(deg > 0) if (deg == 0).any() else sub

    @property
    def view(self) -> str:
        """``"layout"`` or ``"matrix"``, by the size of the filtered graph."""
        return "layout" if self.graph is not None and self.graph.n_nodes <= self.small_graph_nodes else "matrix"

    def compute(self) -> MeasuresResult:
        from ..networks.pipeline import analyse_network

        g = self.filtered_graph()
        if g.n_nodes == 0:
            raise AnalysisError(self.t("筛选后没有任何合作关系；请放宽条件。",
                                       "no ties left after filtering; widen the filters"))
        m = self.measure.value
        a = analyse_network(self.dataset.organizations, None, graph=g, seed=self.seed, parts=("measures",),
                            measures=("degree", m) if m != "degree" else ("degree",))
        self.analysis = a
        self.graph = g
        self.flows = flow_matrix(g, by=self.flow_by.value, top=20)
        return a.measures

    # ---- display ----------------------------------------------------------------------------
    def labels(self):
        return {"types": ("组织类型", "Org types"), "kinds": ("合作类型", "Link kinds"),
                "province": ("省份", "Province"), "years": ("年份", "Years"),
                "measure": ("指标", "Measure"), "flow_by": ("矩阵分组", "Matrix by"),
                "top_n": ("前 N 名", "Top N"),
                "flow_ratio": ("矩阵显示观测/期望", "Matrix: observed / expected")}

    def option_labels(self):
        from ..labels import table

        def cap(kind):  # English names run lower case in sentences; options start capitalised
            return {c: (zh, en[:1].upper() + en[1:]) for c, (zh, en) in table(kind).items()}

        types, kinds, measures = cap("org_type"), cap("link_kind"), cap("measure")
        return {
            "types": [(t, types.get(t, (t, t))) for t in self._types],
            "kinds": [(k, kinds.get(k, (k, k))) for k in self._kinds],
            "measure": [(m, measures[m]) for m in MEASURES],
            "flow_by": [("type", ("组织类型", "Type")), ("province", ("省份", "Province")),
                        ("region", ("地区", "Region"))],
            "province": [(p, ("全部", "All") if p == _ALL else (code_name(p, "zh"), code_name(p, "en")))
                         for p in self._provinces],
        }

    def table(self) -> pd.DataFrame:
        """Top organisations on the chosen measure (best first; smallest for constraint), with
        the rank interval of each (:func:`~kexie_research.networks.ranking.centrality_ranks`,
        the pipeline's rank stream)."""
        from ..networks.pipeline import STREAMS, N_STREAMS
        from ..networks.ranking import centrality_ranks

        m = self.measure.value
        rng = np.random.default_rng(np.random.SeedSequence(self.seed).spawn(N_STREAMS)[STREAMS["ranks"]])
        out = centrality_ranks(self.result, m, top=self.top_n.value, rng=rng)
        t = self.result.table.set_index(ORG_ID)
        out.insert(1, "type", out[ORG_ID].map(t["type"]).to_numpy())
        out.insert(2, "province", out[ORG_ID].map(t["province"]).to_numpy())
        if "name" in self.graph.nodes.columns and len(out):
            names = dict(zip(self.graph.nodes[ORG_ID], self.graph.nodes["name"]))
            out.insert(1, "name", out[ORG_ID].map(names))
        return out.rename(columns={"rank": "place"})  # "place": the rank header of display_frame

    def render(self) -> None:
        s = self.result.summary
        from ..labels import label

        meth = self.result.methods.get(self.measure.value, {})
        how = meth.get("method", "")
        mname = (label(self.measure.value, "zh", kind="measure"), label(self.measure.value, "en", kind="measure"))
        by = label(self.flow_by.value, "zh", kind="column")
        view = self.t("节点-连线图" if self.view == "layout" else "聚合流量矩阵",
                      "node-link layout" if self.view == "layout" else "aggregated flow matrix")
        self.summary.value = self.t(
            f"<b>{s['nodes']:,}</b> 个组织、<b>{s['edges']:,}</b> 条合作关系，密度 {s['density']:.2g}，"
            f"{s['components']} 个连通分量（最大占 {s['giant_share']:.0%}）；组内合作占 {self.flows.within_share:.0%}"
            f"（按{by}）。{mname[0]}：{how}。图：{view}。",
            f"<b>{s['nodes']:,}</b> organisations, <b>{s['edges']:,}</b> ties, density {s['density']:.2g}, "
            f"{s['components']} components (largest {s['giant_share']:.0%}); {self.flows.within_share:.0%} "
            f"of tie weight within the same {self.flow_by.value}. {mname[1][:1].upper() + mname[1][1:]}: "
            f"{how}. Figure: {view}.")
        self._render_top()
        self.show_figure()

    def _render_top(self) -> None:
        if self.result is None:
            return
        self.top_html.value = (f"<h4>{self.t('排名前列的组织', 'Top organisations')}</h4>"
                               + frame_html(display_frame(self.table(), self.lang), max_rows=50,
                                            float_format="{:.4g}"))

    def make_figure(self):
        from ..plots import networks as pn

        if self.view == "layout":
            labels = "name" if self.graph.n_nodes <= 40 else None
            return pn.plot_small_graph(self.graph, size_by=self.measure.value, measures=self.result,
                                       lang=self.lang, labels=labels, seed=self.seed,
                                       max_nodes=self.small_graph_nodes).figure
        return pn.plot_flow_matrix(self.flows, ratio=self.flow_ratio.value, lang=self.lang).figure

    def caption(self) -> str:
        src = self.data_source()
        filt = (f"types={','.join(self.types.value) or 'all'}; kinds={','.join(self.kinds.value) or 'all'}; "
                f"province={self.province.value}; years={self.years.value[0]}-{self.years.value[1]}")
        from ..labels import label

        m, by = self.measure.value, self.flow_by.value
        what = self.t("节点大小为" + label(m, "zh", kind="measure") if self.view == "layout"
                      else f"按{label(by, 'zh', kind='column')}聚合的合作权重矩阵",
                      f"node size: {label(m, 'en', kind='measure')}" if self.view == "layout"
                      else f"tie weight aggregated by {label(by, 'en', kind='column')}")
        return self.t(f"组织合作网络（{what}）。筛选：{filt}。数据：{src}。",
                      f"Organisation collaboration network ({what}). Filters: {filt}. Data: {src}.")

    def layout(self):
        controls = widgets.VBox([self.province, self.years, self.types, self.kinds, self.measure,
                                 self.flow_by, self.flow_ratio, self.top_n],
                                layout=widgets.Layout(width="420px"))
        box = widgets.VBox([
            widgets.HBox([self.heading, self.lang_toggle]),
            widgets.HBox([controls, widgets.VBox([self.summary, self.status, self.image])]),
            widgets.HBox([self.export_figure_button, self.export_table_button]),
            self.top_html,
        ])
        box.add_class("kexie-network-explorer")
        return box
