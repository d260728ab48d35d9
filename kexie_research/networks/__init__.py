"""Association and collaboration networks (issue 5).

Modules, one topic each:

- :mod:`.hierarchy` — the organisation forest from ``parent_id`` with integrity checks.
- :mod:`.orgcoverage` — formal vs effective coverage, six-haves score, empty shells,
  counts and rankings by province.
- :mod:`.growth` — enterprise-association growth with a fitted model and projections.
- :mod:`.graphs` — typed organisation graphs and the representatives × sessions network.
- :mod:`.measures` — centralities (exact or sampled with a stated error), components,
  assortativity, cross-province/type shares; :mod:`.brokerage` (Gould–Fernandez, Burt);
  :mod:`.communities` (Louvain, modularity); :mod:`.flows` (type × type, province ×
  province); :mod:`.triple_helix` (Leydesdorff's synergy, four-helix co-information).
- :mod:`.backend` — the fast kernels (sparse linear algebra, networkit, and the compiled
  shortest-path sampler of :mod:`._paths`).
- :mod:`.ranking` — rank intervals for league tables.
- :mod:`.pipeline` — :func:`analyse_network`, everything in one call with one seed scheme
  (what the CLI, the report, the widget and notebook 05 run).
"""

from .graphs import (AffiliationNetwork, OrgGraph, TypeAffiliation, build_affiliation,
                     build_graph, consortium_graph, graph_from_networkx, type_affiliation)
from .hierarchy import Hierarchy, build_hierarchy, check_hierarchy
from .orgcoverage import OrgCoverageResult, compute_org_coverage, rank_provinces
from .growth import GrowthResult, fit_growth, fit_growth_by_province, seed_growth, yearly_counts
from .measures import MEASURES, MeasuresResult, bipartite_centralities, compute_measures
from .communities import (CommunityResult, connect_communities, detect_communities, disconnected_communities,
                          modularity)
from .brokerage import BrokerageResult, burt_constraint, compute_brokerage
from .flows import FlowMatrix, flow_matrix
from .triple_helix import (TripleHelixResult, co_information, compute_triple_helix,
                           presence_table, triple_helix, triple_helix_by)
from .ranking import centrality_ranks, rank_interval_table
from .pipeline import NetworkAnalysis, analyse_network, seed_reference

__all__ = [
    "AffiliationNetwork", "OrgGraph", "build_affiliation", "build_graph", "consortium_graph",
    "graph_from_networkx", "TypeAffiliation", "type_affiliation",
    "Hierarchy", "build_hierarchy", "check_hierarchy",
    "OrgCoverageResult", "compute_org_coverage", "rank_provinces",
    "GrowthResult", "fit_growth", "fit_growth_by_province", "seed_growth", "yearly_counts",
    "MEASURES", "MeasuresResult", "bipartite_centralities", "compute_measures",
    "CommunityResult", "detect_communities", "connect_communities", "disconnected_communities", "modularity",
    "BrokerageResult", "burt_constraint", "compute_brokerage",
    "FlowMatrix", "flow_matrix",
    "TripleHelixResult", "co_information", "compute_triple_helix", "presence_table",
    "triple_helix", "triple_helix_by",
    "centrality_ranks", "rank_interval_table",
    "NetworkAnalysis", "analyse_network", "seed_reference",
]
