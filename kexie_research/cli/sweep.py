"""``kexie-research sweep --plan P [--param NAME=LO:HI ...] [--points N] [--method M]
[--scheduler ADDR] [--store FILE.parquet] [--json]``."""

from __future__ import annotations

from ._common import add_json_flag, emit_json


def add_parser(sub) -> None:
    from ..simulation.sweep import PARAMETERS

    p = sub.add_parser(
        "sweep", help="scenario sweep / sensitivity / scenario discovery over uncertain parameters",
        description="Sample uncertain parameters (" + ", ".join(PARAMETERS) + "), simulate the "
                    "plan at each point, and report: 'random' = a sweep streamed to a Parquet "
                    "store with provenance (extendable), plus PRIM scenario discovery of where "
                    "coverage falls below --threshold; 'sobol' / 'morris' = global sensitivity "
                    "(SALib); 'tornado' = one-at-a-time swings. Local processes by default, a "
                    "Dask cluster with --scheduler tcp://host:port; results are identical.")
    p.add_argument("--plan", required=True, help="plan file or shipped plan name")
    p.add_argument("--param", action="append", metavar="NAME[=LO:HI]",
                   help="parameter and range (repeatable; default accept_prob, no_show_prob, cost_scale)")
    p.add_argument("--method", choices=("random", "sobol", "morris", "tornado"), default="random")
    p.add_argument("--points", type=int, default=64,
                   help="random: points; sobol: base sample N (power of 2); morris: trajectories")
    p.add_argument("--replications", type=int, default=200, help="replications per point")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", default="coverage_mean", help="output analysed (default coverage_mean)")
    p.add_argument("--threshold", type=float, default=0.999,
                   help="scenario discovery: cases where the output is below this (default 0.999)")
    p.add_argument("--store", metavar="FILE.parquet", help="stream results to this Parquet store (a folder)")
    p.add_argument("--extend", action="store_true", help="add points to an existing store")
    p.add_argument("--workers", type=int, default=1, help="local processes")
    p.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler address (tcp://host:port)")
    p.add_argument("--progress", action="store_true",
                   help="progress bar on stderr (on by default in a terminal)")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from contextlib import nullcontext

    from ..errors import AnalysisError, PlanError
    from ..simulation.discovery import failure_cases, prim
    from ..simulation.executor import dask_client
    from ..simulation.plan import resolve_plan
    from ..simulation.sensitivity import METHODS
    from ..simulation.sweep import OUTPUTS, parse_parameter_ranges, run_sweep

    if args.points < 1 or args.replications < 1:
        raise PlanError("--points and --replications must be at least 1")
    if args.output not in OUTPUTS:
        raise PlanError(f"--output must be one of {', '.join(OUTPUTS)}")
    import sys
    args.progress = args.progress or sys.stderr.isatty()
    plan = resolve_plan(args.plan)
    ranges = parse_parameter_ranges(args.param)
    ctx = dask_client(args.scheduler) if args.scheduler else nullcontext(None)
    with ctx as client:
        if args.method == "random":
            sw = run_sweep(plan, ranges, args.points, replications=args.replications, seed=args.seed,
                           store=args.store, extend=args.extend, workers=args.workers,
                           executor=client, progress=args.progress)
            out = sw.to_dict()
            table = sw.table
            if args.store and args.extend:
                from ..simulation.store import SweepStore
                table = SweepStore(args.store).load()
                out["points_in_store"] = int(len(table))
            y = failure_cases(table, output=args.output, threshold=args.threshold)
            try:
                pr = prim(table[list(ranges)], y)
                out["discovery"] = {"output": args.output, "threshold": args.threshold,
                                    "share_of_cases": float(y.mean()), **pr.to_dict()}
            except AnalysisError as exc:
                out["discovery"] = {"output": args.output, "threshold": args.threshold,
                                    "share_of_cases": float(y.mean()), "note": str(exc)}
        else:
            kw = {"replications": args.replications, "seed": args.seed, "output": args.output}
            if args.method == "sobol":
                kw.update(n_base=args.points, workers=args.workers, executor=client, progress=args.progress)
            elif args.method == "morris":
                kw.update(trajectories=args.points, workers=args.workers, executor=client,
                          progress=args.progress)
            res = METHODS[args.method](plan, ranges, **kw)
            out = {"plan": plan.name, "parameters": {k: list(v) for k, v in ranges.items()},
                   **res.to_dict()}
    if args.json:
        emit_json(out)
        return 0
    if args.method == "random":
        print(f"sweep of {plan.name}: {out['points']} points x {args.replications} replications, seed {args.seed}"
              + (f"; stored in {args.store}" if args.store else ""))
        for k, v in out["outputs"].items():
            print(f"  {k}: mean {v['mean']:.4g} (range {v['min']:.4g}–{v['max']:.4g})")
        d = out["discovery"]
        print(f"scenario discovery: {d['share_of_cases']:.0%} of points have {d['output']} < {d['threshold']}")
        if "box" in d:
            for k, (lo, hi) in d["box"].items():
                print(f"  {k} in [{lo:.3g}, {hi:.3g}]")
            print(f"  box coverage {d['coverage']:.2f}, density {d['density']:.2f}")
    else:
        print(f"{args.method} sensitivity of {out['output']} ({plan.name}):")
        for r in out["indices"]:
            print("  " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
    return 0
