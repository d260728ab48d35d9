"""``kexie-research simulate --plan P [--replications N] [--parameter-draws D] [--seed S]
[--workers W] [--json]``.

Imports only what a simulation needs (numpy, pandas, the simulation package) so that it
starts fast; the other subcommands' dependencies are never loaded.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path


def _count(text: str) -> int:
    """A whole number, also written as ``1e6`` (bounds are checked later, naming the option)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(v) or not v.is_integer():
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(v)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "simulate", help="Monte Carlo of a training plan (coverage, time to 80%%, cost, gaps)",
        description="Simulate a training plan (TOML; see docs/simulation.md) and report coverage "
                    "by year and at term end with 90%% intervals, years to 80%%/100%% coverage, "
                    "coverage by province/segment/region and its inequality, cross-region "
                    "mixing, cost and expected competency gain. When the plan declares "
                    "[uncertainty], parameter sets are drawn (Latin hypercube) and replications "
                    "run within each, so the intervals cover both; the JSON's "
                    "uncertainty.parameter_share says how much of the variance the parameters "
                    "explain. Results depend only on the seed, never on --workers.")
    p.add_argument("--plan", required=True,
                   help="plan file, or the name of a shipped plan (minimal, ninth_congress_history, "
                        "plan_2020_one_duty_class, paper_recommended)")
    p.add_argument("--replications", type=_count, default=1000, metavar="N",
                   help="Monte Carlo replications (per parameter set; default 1000; at most "
                        "100,000,000 runs in all)")
    p.add_argument("--parameter-draws", type=_count, default=None, metavar="D",
                   help="parameter sets drawn from the plan's [uncertainty] table (Latin "
                        "hypercube; default 100 when the table exists)")
    p.add_argument("--seed", type=_count, default=None, help="seed (default: the plan's population.seed)")
    p.add_argument("--workers", type=_count, default=1, help="local processes (default 1)")
    p.add_argument("--population", metavar="FILE",
                   help="representatives file to use instead of the plan's population")
    p.add_argument("--untrained-out", metavar="FILE",
                   help="write, for a few seeded replications, who is untrained at the end (CSV)")
    p.add_argument("--progress", action="store_true",
                   help="progress bar on stderr (on by default for long runs in a terminal)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print results as JSON on stdout")
    p.set_defaults(func=run)


def _check_args(args) -> None:
    from ..errors import PlanError
    from ..simulation.engine import check_replications

    check_replications(args.replications, args.parameter_draws or 0)
    if args.parameter_draws is not None and args.parameter_draws < 1:
        raise PlanError("--parameter-draws must be at least 1")
    if args.workers < 1:
        raise PlanError("--workers must be at least 1")
    if args.workers > 256:
        raise PlanError(f"--workers: at most 256, got {args.workers}")
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise PlanError(f"--seed must be a whole number from 0 to 2^63 - 1, got {args.seed}")


def run(args) -> int:
    from ..simulation.plan import PopulationSpec, resolve_plan

    _check_args(args)                     # before anything is read or allocated
    plan = resolve_plan(args.plan)
    if args.population:
        pth = Path(args.population).resolve()
        plan = dataclasses.replace(plan, population=PopulationSpec(
            synthetic_size=None, file=str(pth), seed=plan.population.seed))
    from ..simulation.engine import DEFAULT_PARAMETER_DRAWS, simulate, simulate_individuals

    draws = args.parameter_draws if args.parameter_draws is not None else (
        DEFAULT_PARAMETER_DRAWS if plan.uncertainty else 0)
    total = args.replications * max(draws, 1)
    progress = not args.quiet and (args.progress or (sys.stderr.isatty() and total >= 20000))
    res = simulate(plan, replications=args.replications, seed=args.seed, workers=args.workers,
                   progress=progress, parameter_draws=args.parameter_draws)
    if args.untrained_out:
        from ..io import write_csv

        ind = simulate_individuals(plan, replications=3, seed=res.seed)
        out = Path(args.untrained_out)
        cols = [c for c in ind.columns if c.startswith("trained_r")]
        ind["untrained_in_all"] = ~ind[cols].any(axis=1)
        write_csv(out.name, ind, root=out.parent if str(out.parent) else ".")
    if args.json:
        from ._common import emit_json

        emit_json(res.to_dict())
        return 0
    _print_text(res)
    return 0


def _print_text(res) -> None:
    s = res.summary
    c = s["coverage"]
    u = res.uncertainty
    print(f"plan {res.plan_name}: {res.n_population} representatives, {s['sessions']} sessions, "
          f"{s['seats']} seats; {res.replications} replications, seed {res.seed}")
    if u.get("parameter_draws"):
        share = u["parameter_share"]
        print(f"uncertainty: {u['parameter_draws']} parameter sets x {u['replications_per_draw']} "
              f"replications; intervals cover the parameters and chance; parameters explain "
              f"{share:.0%} (±{u['parameter_share_se']:.0%}) of the variance of term-end coverage")
    else:
        print("uncertainty: chance alone (the plan declares no [uncertainty])")
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
