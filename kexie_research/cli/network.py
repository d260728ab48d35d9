"""``kexie-research network``: measures, communities and triple-helix synergy of an
organisation collaboration network."""

from __future__ import annotations

import sys

from ..errors import AnalysisError, KexieError
from ._common import add_json_flag, emit_json, load_arg


def add_parser(sub) -> None:
    from ..networks.measures import MEASURES

    p = sub.add_parser(
        "network", help="collaboration-network measures, communities, triple-helix synergy",
        description="Builds the undirected organisation graph from the links (parallel links "
                    "collapse into one weighted edge) and reports size, density, components, "
                    "the top organisations per centrality (betweenness/closeness exact on small "
                    "graphs, sampled with a standard error on large ones), Louvain communities "
                    "with modularity, assortativity and cross-province/type shares, and "
                    "Leydesdorff's triple-helix synergy T in bits (negative = synergy) with "
                    "the pairwise mutual informations and a bootstrap interval.",
        epilog="Example: kexie-research network --orgs organizations.csv --links links.csv "
               "--measures degree betweenness pagerank --top 10 --json")
    p.add_argument("--orgs", required=True, metavar="FILE", help="organizations table")
    p.add_argument("--links", required=True, metavar="FILE", help="links table")
    p.add_argument("--measures", nargs="+", default=list(MEASURES), choices=MEASURES,
                   metavar="M", help=f"measures to compute (default all: {', '.join(MEASURES)})")
    p.add_argument("--top", type=int, default=10, metavar="N", help="organisations listed per measure")
    p.add_argument("--k", type=int, metavar="K",
                   help="sampled sources for betweenness/closeness (default: exact if small, else 128)")
    p.add_argument("--target-rse", type=float, metavar="R",
                   help="on large graphs, sample sources in rounds of K until the median relative "
                        "SE of the top 20 is at most R (e.g. 0.15; at most 4,096 sources)")
    p.add_argument("--kinds", nargs="+", metavar="KIND", help="use only links of these kinds")
    p.add_argument("--unit", choices=("auto", "project", "ego"), default="auto",
                   help="triple-helix unit: project groups (links sharing project_id) or each "
                        "organisation with its partners; auto = project when project ids exist")
    p.add_argument("--counting", choices=("full", "fractional"), default="full",
                   help="triple-helix counting (see docs/networks.md)")
    p.add_argument("--helices", type=int, choices=(3, 4), default=3,
                   help="3 (university, industry, government/society) or 4 (societies/public apart)")
    p.add_argument("--n-boot", type=int, default=200, metavar="B", help="bootstrap replicates for T")
    p.add_argument("--connected-communities", action="store_true",
                   help="split Louvain communities that are not internally connected into their "
                        "connected parts (deterministic; modularity can only rise)")
    p.add_argument("--seed", type=int, default=20240, help="seed for sampling, communities and bootstrap")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    import numpy as np

    from ..networks import build_graph
    from ..networks.communities import detect_communities
    from ..networks.measures import compute_measures
    from ..networks.triple_helix import DIMS3, DIMS4, compute_triple_helix, default_unit

    if args.top < 1:
        raise KexieError(f"--top must be at least 1, not {args.top}")
    if args.k is not None and args.k < 2:
        raise KexieError(f"--k must be at least 2, not {args.k}")
    if args.n_boot < 0:
        raise KexieError(f"--n-boot must be >= 0, not {args.n_boot}")
    if args.target_rse is not None and not args.target_rse > 0:
        raise KexieError(f"--target-rse must be positive, not {args.target_rse}")
    orgs = load_arg(args.orgs, "organizations").accepted
    links = load_arg(args.links, "links").accepted
    graph = build_graph(orgs, links, kinds=args.kinds, file=args.links)
    if graph.n_nodes == 0:
        raise AnalysisError("the organizations table is empty")
    seeds = np.random.SeedSequence(args.seed).spawn(3)
    meas = compute_measures(graph, measures=args.measures, k=args.k, target_rse=args.target_rse,
                            rng=np.random.default_rng(seeds[0]))
    comm = detect_communities(graph, connected=args.connected_communities, seed=int(seeds[1].generate_state(1)[0]))
    unit = args.unit
    if unit == "auto":
        unit = default_unit(graph)
    th = None
    th_error = None
    try:
        th = compute_triple_helix(graph, unit=unit, counting=args.counting,
                                  dims=DIMS4 if args.helices == 4 else DIMS3,
                                  n_boot=args.n_boot, rng=np.random.default_rng(seeds[2]))
    except AnalysisError as exc:
        th_error = str(exc)
    out = meas.to_dict(top=args.top)
    out["communities"] = comm.to_dict()
    out["triple_helix_bits"] = th.T if th else None
    out["pairwise_mi_bits"] = th.pairwise if th else None
    out["triple_helix"] = th.to_dict() if th else {"error": th_error}
    out["seed"] = args.seed
    if args.json:
        emit_json(out)
        return 0
    w = sys.stdout.write
    w(f"nodes {out['nodes']}, edges {out['edges']}, density {out['density']:.3g}, "
      f"components {out['components']} (largest {out['giant_size']})\n")
    for m, rows in out["top"].items():
        meth = meas.methods.get(m, {})
        note = f" [sampled k={meth['k']}, median rel. SE of top 20 {meth['median_relative_se_top20']:.2f}]" \
            if meth.get("method") == "sampled" else ""
        w(f"top {m}{note}: " + ", ".join(f"{i} ({v:.4g})" for i, v in rows) + "\n")
    w(f"communities: {comm.n_communities}, modularity {comm.modularity:.3f} ({comm.engine}; "
      f"{comm.n_split} Louvain communities not internally connected"
      f"{', split' if comm.connected and comm.n_split else ''})\n")
    if th:
        ci = f" [{th.ci[0]:.4f}, {th.ci[1]:.4f}]" if th.ci else ""
        w(f"triple helix T = {th.T:.4f} bits{ci} ({unit}, {args.counting} counting, "
          f"{th.n_units} units); pairwise MI: "
          + ", ".join(f"{k} {v:.4f}" for k, v in th.pairwise.items()) + "\n")
    else:
        w(f"triple helix: not computed ({th_error})\n")
    return 0
