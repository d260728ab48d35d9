"""``kexie-research optimize --plan P --budget B [--lambda L] [--method M] [--json]``."""

from __future__ import annotations

from pathlib import Path

from ._common import add_json_flag, emit_json


def add_parser(sub) -> None:
    p = sub.add_parser(
        "optimize", help="choose sessions and assign representatives under a budget (MILP)",
        description="Choose how many sessions of which modality, region target and segment to "
                    "hold over the term, and which representatives to seat, maximising expected "
                    "coverage + lambda x cross-region mixing under a budget (mixed-integer "
                    "programme, scipy.optimize.milp / HiGHS; a stated LP-rounding heuristic for "
                    "large models). The plan file gives the population, term, acceptance, "
                    "no-shows and costs; its own sessions are ignored. With --check the chosen "
                    "plan is simulated and compared with the input plan.")
    p.add_argument("--plan", required=True, help="plan file or shipped plan name")
    p.add_argument("--budget", type=float, default=None,
                   help="budget in yuan over the term (default: the input plan's simulated mean cost)")
    p.add_argument("--lambda", dest="lam", type=float, default=0.5,
                   help="weight of cross-region mixing against coverage (default 0.5)")
    p.add_argument("--method", choices=("auto", "milp", "heuristic"), default="auto")
    p.add_argument("--modalities", default="centralized,exchange,online,rep_organized",
                   help="candidate modalities, comma-separated")
    p.add_argument("--time-limit", type=float, default=20.0, help="solver time limit, seconds")
    p.add_argument("--replications", type=int, default=500, help="replications for --check and the default budget")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--check", action="store_true", help="simulate the chosen plan and the input plan")
    p.add_argument("--plan-out", metavar="FILE", help="write the chosen plan as TOML")
    p.add_argument("--assignment-out", metavar="FILE", help="write the representative assignment (CSV)")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import PlanError
    from ..io import write_csv, write_text
    from ..simulation import simulate
    from ..simulation.optimize import optimize_plan, plan_objective
    from ..simulation.plan import resolve_plan

    plan = resolve_plan(args.plan)
    mods = tuple(m.strip() for m in args.modalities.split(",") if m.strip())
    base = None
    budget = args.budget
    if budget is None or args.check:
        base = simulate(plan, replications=args.replications, seed=args.seed)
        if budget is None:
            budget = base.cost_mean
    if budget <= 0:
        raise PlanError("--budget must be positive")
    res = optimize_plan(plan, budget, lam=args.lam, modalities=mods, method=args.method,
                        time_limit=args.time_limit)
    out = res.to_dict()
    if args.check:
        sim = simulate(res.plan, replications=args.replications, seed=args.seed)
        out["check"] = {
            "input_plan": {"objective": plan_objective(base, lam=args.lam),
                           "coverage": base.coverage_mean, "mixing": base.summary["mixing"]["mean"],
                           "cost": base.cost_mean},
            "optimized_plan": {"objective": plan_objective(sim, lam=args.lam),
                               "coverage": sim.coverage_mean, "mixing": sim.summary["mixing"]["mean"],
                               "cost": sim.cost_mean}}
    if args.plan_out:
        po = Path(args.plan_out)
        write_text(po.name, res.plan.to_toml(), root=po.parent if str(po.parent) else ".")
    if args.assignment_out:
        ao = Path(args.assignment_out)
        write_csv(ao.name, res.assignment, root=ao.parent if str(ao.parent) else ".")
    if args.json:
        emit_json(out)
        return 0
    print(f"budget {budget:,.0f}; {res.method} ({res.status}); lambda {args.lam}")
    print(f"predicted coverage {res.coverage:.1%}, mixing term {res.mixing_term:.3f}, cost {res.cost:,.0f}")
    for r in res.sessions.itertuples():
        print(f"  {r.count} x {r.modality} ({r.capacity} seats), target {r.target}, segment {r.segment}: "
              f"{r.seats_assigned} seats assigned, {r.cost:,.0f}")
    if args.check:
        a, b = out["check"]["input_plan"], out["check"]["optimized_plan"]
        print(f"simulated: input plan objective {a['objective']:.3f} (coverage {a['coverage']:.1%}, "
              f"cost {a['cost']:,.0f}); optimised {b['objective']:.3f} (coverage {b['coverage']:.1%}, "
              f"cost {b['cost']:,.0f})")
    return 0
