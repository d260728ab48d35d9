"""Network figures: drawn objects, labels in both languages, refusal of hairballs."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from kexie_research.data import load_real  # noqa: E402
from kexie_research.networks import graph_from_networkx  # noqa: E402
from kexie_research.networks.flows import flow_matrix  # noqa: E402
from kexie_research.networks.graphs import consortium_graph  # noqa: E402
from kexie_research.networks.growth import fit_growth  # noqa: E402
from kexie_research.networks.measures import compute_measures  # noqa: E402
from kexie_research.plots.networks import (plot_coverage, plot_flow_matrix, plot_growth,  # noqa: E402
                                           plot_province_ranking, plot_small_graph,
                                           plot_triple_helix_slices)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.mark.parametrize("lang, title", [("zh", "类型"), ("en", "Type")])
def test_small_graph_colours_by_type_with_legend(lang, title):
    g = consortium_graph(load_real("consortia"), "C01")
    m = compute_measures(g, measures=("degree", "betweenness"))
    ax = plot_small_graph(g, measures=m, size_by="betweenness", lang=lang, labels=None)
    coll = ax.collections
    assert len(coll) == 6  # one scatter per type: university, society, enterprise, institute, hub, other
    assert sum(len(c.get_offsets()) for c in coll) == 26
    leg = ax.get_legend()
    assert leg.get_title().get_text() == title
    assert len(ax.lines) == 25  # one line per edge
    sizes = {len(c.get_offsets()): c.get_sizes().max() for c in coll}
    assert sizes[1] >= max(sizes.values())  # the hub has the largest betweenness


def test_small_graph_type_labels_follow_language():
    g = consortium_graph(load_real("consortia"), "C01")
    ax = plot_small_graph(g, labels="type", lang="en")
    texts = [t.get_text() for t in ax.texts if t.get_text() != "Node size: None"]
    assert "Consortium" in texts and "National society 7" in texts and "University 9" in texts
    ax = plot_small_graph(g, labels="type", lang="zh")
    assert "高校 9" in [t.get_text() for t in ax.texts]


def test_small_graph_refuses_hairball():
    g = graph_from_networkx(nx.path_graph(400))
    with pytest.raises(ValueError, match="too many"):
        plot_small_graph(g)


def test_flow_matrix_heatmap_and_ratio():
    G = nx.karate_club_graph()
    g = graph_from_networkx(G, type_attr="club")
    f = flow_matrix(g, "type")
    ax = plot_flow_matrix(f, lang="en")
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == (2, 2)
    assert len(ax.texts) == 4  # every non-zero cell annotated
    ax2 = plot_flow_matrix(f, ratio=True, lang="zh")
    assert "观测" in ax2.figure.axes[-1].get_ylabel()


def test_ranking_coverage_growth_and_slices():
    rank = pd.DataFrame({"province": ["江苏", "湖南", "浙江"], "count": [40, 30, 10],
                         "share": [0.5, 0.375, 0.125]})
    ax = plot_province_ranking(rank, lang="en", seed_counts={"江苏": 41})
    assert len(ax.patches) == 3 and ax.get_yticklabels()[-1].get_text() == "Jiangsu"
    cov = pd.DataFrame({"province": ["江苏", "湖南"], "effective_rate": [0.4, 0.6],
                        "empty_shell_rate": [0.1, 0.05]})
    ax = plot_coverage(cov, lang="zh")
    assert len(ax.patches) == 4
    c = pd.DataFrame({"year": range(2010, 2016), "count": 100 * 1.1 ** np.arange(6)})
    ax = plot_growth(fit_growth(c, horizon=3), lang="en", seed_points={2015: 160})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "projection" in labels and any("prediction interval" in s for s in labels)
    tab = pd.DataFrame({"slice": [2019, 2020, 2021], "T": [-0.1, -0.05, np.nan],
                        "ci_low": [-0.12, -0.07, np.nan], "ci_high": [-0.08, -0.03, np.nan]})
    ax = plot_triple_helix_slices(tab, lang="en")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2019", "2020"]
