"""``kexie-research network``: the organisation system and its collaboration network —
measures with rank intervals, communities, brokerage, flows and triple-helix synergy — from
:func:`kexie_research.networks.pipeline.analyse_network`, with the report's defaults."""

from __future__ import annotations

import sys

from ..errors import AnalysisError, KexieError
from ._common import add_json_flag, emit_json, load_arg


def add_parser(sub) -> None:
    from ..networks.measures import BETWEENNESS_METHODS, MEASURES
    from ..networks.pipeline import DEFAULTS

    p = sub.add_parser(
        "network", help="collaboration-network measures, communities, triple-helix synergy",
        description="Runs the network pipeline the report uses (same defaults, same seed scheme, "
                    "so the numbers equal the report's networks section): hierarchy and coverage "
                    "when the organisations table allows, the undirected organisation graph "
                    "(parallel links collapse into one weighted edge) with size, density, "
                    "components, the top organisations per centrality with rank intervals "
                    "(betweenness exact on small graphs, else from random shortest paths to a "
                    "median relative SE of 0.05 for the top 20), Louvain communities with "
                    "modularity, brokerage, flows, and Leydesdorff's triple-helix synergy T in "
                    "bits (negative = synergy) with bootstrap intervals, by year and by province "
                    "(with rank intervals).",
        epilog="Example: kexie-research network --orgs organizations.csv --links links.csv "
               "--measures degree betweenness pagerank --top 10 --json")
    p.add_argument("--orgs", required=True, metavar="FILE", help="organizations table")
    p.add_argument("--links", required=True, metavar="FILE", help="links table")
    p.add_argument("--measures", nargs="+", default=list(MEASURES), choices=MEASURES,
                   metavar="M", help=f"measures to compute (default all: {', '.join(MEASURES)})")
    p.add_argument("--top", type=int, default=DEFAULTS["top"], metavar="N",
                   help="organisations listed per measure")
    p.add_argument("--k", type=int, metavar="K",
                   help="sampled sources for closeness on large graphs (default 128; k >= n: exact); "
                        "with --betweenness-method sources, for betweenness too")
    p.add_argument("--target-rse", type=float, default=DEFAULTS["target_rse"], metavar="R",
                   help="on large graphs, sample betweenness until the median relative SE of the "
                        "top 20 is at most R (default %(default)s)")
    p.add_argument("--paths", type=int, metavar="N", help="sample exactly N shortest paths instead")
    p.add_argument("--betweenness-method", choices=BETWEENNESS_METHODS, default="auto",
                   help="auto (exact when small, else sampled paths), exact, paths, or sources "
                        "(networkx's k-source estimator)")
    p.add_argument("--kinds", nargs="+", metavar="KIND", help="use only links of these kinds")
    p.add_argument("--unit", choices=("auto", "project", "ego"), default=DEFAULTS["unit"],
                   help="triple-helix unit: project groups (links sharing project_id) or each "
                        "organisation with its partners; auto = project when project ids exist")
    p.add_argument("--counting", choices=("full", "fractional"), default=DEFAULTS["counting"],
                   help="headline triple-helix counting (both are computed; see docs/networks.md)")
    p.add_argument("--helices", type=int, choices=(3, 4), default=DEFAULTS["helices"],
                   help="headline: 3 (university, industry, government/society) or 4 (societies/"
                        "public apart); all are computed")
    p.add_argument("--n-boot", type=int, default=DEFAULTS["n_boot"], metavar="B",
                   help="bootstrap replicates for T and for rank intervals (default %(default)s)")
    p.add_argument("--connected-communities", action="store_true",
                   help="in the text output, headline the communities with Louvain's disconnected "
                        "ones split (both are in the JSON)")
    p.add_argument("--seed", type=int, default=20240, help="seed of every random step (default 20240)")
    add_json_flag(p)
    p.set_defaults(func=run)


def _check(args) -> None:
    if args.top < 1:
        raise KexieError(f"--top must be at least 1, not {args.top}")
    if args.k is not None and args.k < 2:
        raise KexieError(f"--k must be at least 2, not {args.k}")
    if args.n_boot < 0:
        raise KexieError(f"--n-boot must be >= 0, not {args.n_boot}")
    if not args.target_rse > 0:
        raise KexieError(f"--target-rse must be positive, not {args.target_rse}")
    if args.paths is not None and args.paths < 1:
        raise KexieError(f"--paths must be at least 1, not {args.paths}")
    if args.seed < 0:
        raise KexieError(f"--seed must be a non-negative integer, not {args.seed}")


def run(args) -> int:
    from ..networks import build_graph
    from ..networks.pipeline import analyse_network

    _check(args)
    orgs = load_arg(args.orgs, "organizations").accepted
    links = load_arg(args.links, "links").accepted
    graph = build_graph(orgs, links, kinds=args.kinds, file=args.links)
    if graph.n_nodes == 0:
        raise AnalysisError("the organizations table is empty")
    a = analyse_network(orgs, links, seed=args.seed, graph=graph, measures=tuple(args.measures),
                        k=args.k, target_rse=args.target_rse, n_paths=args.paths,
                        betweenness_method=args.betweenness_method, kinds=args.kinds, unit=args.unit,
                        counting=args.counting, helices=args.helices, n_boot=args.n_boot, top=args.top)
    if args.json:
        out = a.to_dict(args.top)
        out["timings"] = a.measures.timings  # not in the report: timings differ from run to run
        emit_json(out)
        return 0
    _text(a, args)
    return 0


def _text(a, args) -> None:
    from ..labels import label

    w = sys.stdout.write
    s = a.measures.summary
    w(f"nodes {s['nodes']}, edges {s['edges']}, density {s['density']:.3g}, "
      f"components {s['components']} (largest {s['giant_size']})\n")
    for m, tab in a.ranks.items():
        meth = a.measures.methods.get(m, {})
        note = ""
        if meth.get("method") == "sampled paths":
            note = (f" [{meth['n_paths']:,} sampled paths, median rel. SE of top 20 "
                    f"{meth['median_relative_se_top20']:.3f}]")
        elif meth.get("method") == "sampled":
            note = f" [sampled k={meth['k']}, median rel. SE of top 20 {meth['median_relative_se_top20']:.3f}]"
        rows = ", ".join(f"{r.org_id} ({getattr(r, m):.4g}; rank {_rank(r)})" for r in tab.itertuples())
        w(f"top {label(m, 'en', kind='measure')}{note}: {rows}\n")
    comm = a.communities_connected if args.connected_communities else a.communities
    w(f"communities: {comm.n_communities}, modularity {comm.modularity:.3f} ({comm.engine}; "
      f"{comm.n_split} Louvain communities not internally connected"
      f"{', split' if comm.connected and comm.n_split else ''})\n")
    th = a.helix
    if th is not None:
        ci = f" [{th.ci[0]:.4f}, {th.ci[1]:.4f}]" if th.ci else ""
        w(f"triple helix T = {th.T:.4f} bits{ci} ({a.helix_unit}, {th.counting} counting, "
          f"{len(th.dims)} helices, {th.n_units} units); pairwise MI: "
          + ", ".join(f"{k} {v:.4f}" for k, v in th.pairwise.items()) + "\n")
        bp = a.helix_by_province
        if bp is not None and bp["T"].notna().any():
            best = bp.dropna(subset=["T"]).sort_values(["T", "slice"]).head(5)
            w("strongest synergy by province: " + ", ".join(
                f"{label(r.slice, 'en')} {r.T:.4f} (rank {_rank(r)})" for r in best.itertuples()) + "\n")
    else:
        w(f"triple helix: not computed ({a.skipped.get('triple_helix', '')})\n")


def _rank(r) -> str:
    lo, hi = int(r.rank_low), int(r.rank_high)
    return f"{int(r.rank)}" if lo == hi else f"{int(r.rank)}, {lo}–{hi}"
