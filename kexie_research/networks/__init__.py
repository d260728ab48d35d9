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
- :mod:`.backend` — the fast kernels (sparse linear algebra, networkit).
"""

from .graphs import (AffiliationNetwork, OrgGraph, build_affiliation, build_graph,
                     graph_from_networkx)

__all__ = [
    "AffiliationNetwork",
    "OrgGraph",
    "build_affiliation",
    "build_graph",
    "graph_from_networkx",
]
