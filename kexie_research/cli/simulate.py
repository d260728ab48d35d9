"""``kexie-research simulate --plan P [--replications N] [--seed S] [--workers W] [--json]``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ._common import add_json_flag, emit_json


def add_parser(sub) -> None:
    p = sub.add_parser(
        "simulate", help="Monte Carlo of a training plan (coverage, time to 80%%, cost, gaps)",
        description="Simulate a training plan (TOML; see docs/simulation.md) and report coverage "
                    "by year and at term end with 90%% intervals, years to 80%%/100%% coverage, "
                    "coverage by province/segment/region and its inequality, cross-region "
                    "mixing, cost and expected competency gain. Results depend only on the "
                    "seed, never on --workers.")
    p.add_argument("--plan", required=True,
                   help="plan file, or the name of a shipped plan (minimal, ninth_congress_history, "
                        "plan_2020_one_duty_class, paper_recommended)")
    p.add_argument("--replications", type=int, default=1000, help="Monte Carlo replications (default 1000)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: the plan's population.seed)")
    p.add_argument("--workers", type=int, default=1, help="local processes (default 1)")
    p.add_argument("--population", metavar="FILE",
                   help="representatives file to use instead of the plan's population")
    p.add_argument("--untrained-out", metavar="FILE",
                   help="write, for a few seeded replications, who is untrained at the end (CSV)")
    p.add_argument("--progress", action="store_true",
                   help="progress bar on stderr (on by default for long runs in a terminal)")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import PlanError
    from ..io import write_csv
    from ..simulation import simulate, simulate_individuals
    from ..simulation.plan import PopulationSpec, resolve_plan

    if args.replications < 1:
        raise PlanError("--replications must be at least 1")
    if args.workers < 1:
        raise PlanError("--workers must be at least 1")
    plan = resolve_plan(args.plan)
    if args.population:
        pth = Path(args.population).resolve()
        plan = dataclasses.replace(plan, population=PopulationSpec(
            synthetic_size=None, file=str(pth), seed=plan.population.seed))
    import sys
    progress = args.progress or (sys.stderr.isatty() and args.replications >= 20000)
    res = simulate(plan, replications=args.replications, seed=args.seed, workers=args.workers,
                   progress=progress)
    if args.untrained_out:
        ind = simulate_individuals(plan, replications=3, seed=res.seed)
        out = Path(args.untrained_out)
        cols = [c for c in ind.columns if c.startswith("trained_r")]
        ind["untrained_in_all"] = ~ind[cols].any(axis=1)
        write_csv(out.name, ind, root=out.parent if str(out.parent) else ".")
    if args.json:
        emit_json(res.to_dict())
        return 0
    s = res.summary
    c = s["coverage"]
    print(f"plan {res.plan_name}: {res.n_population} representatives, {s['sessions']} sessions, "
          f"{s['seats']} seats; {res.replications} replications, seed {res.seed}")
    print(f"coverage at term end: {c['mean']:.1%} (90% interval {c['p05']:.1%}–{c['p95']:.1%}); "
          f"P(full coverage) = {s['p_full_coverage']:.2f}")
    for row in res.by_year.itertuples():
        print(f"  year {row.year}: {row.coverage_mean:.1%} ({row.coverage_p05:.1%}–{row.coverage_p95:.1%})")
    t = s["years_to_80pct"]
    if t["share_reached"] > 0:
        print(f"years to 80%: median {t['p50'] if t['p50'] is not None else 'not reached'} "
              f"(reached in {t['share_reached']:.0%} of replications)")
    else:
        print("80% coverage is not reached within the term")
    print(f"cost: {s['cost']['mean']:,.0f} (90% {s['cost']['p05']:,.0f}–{s['cost']['p95']:,.0f}); "
          f"gain per representative {s['gain_per_rep']['mean']:.2f} points; "
          f"cross-region mixing {s['mixing']['mean']:.2f}; Gini across provinces "
          f"{s['gini_province']['mean']:.3f}")
    print(f"untrained at the end: mean {s['untrained']['mean']:.0f} "
          f"(90% {s['untrained']['p05']:.0f}–{s['untrained']['p95']:.0f})")
    return 0
