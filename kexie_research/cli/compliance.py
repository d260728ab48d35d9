"""``kexie-research compliance``: the training plan's indicator rules on cadres and hours."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import KexieError
from ..io import write_csv, write_xlsx
from ._common import add_json_flag, bounded_int, emit_json, load_arg


def add_parser(sub) -> None:
    p = sub.add_parser(
        "compliance", help="evaluate the training plan's indicator rules (per cadre, rank, year, class)",
        description="Evaluate the machine-readable indicator rules (default: the 2020–2023 plan's "
                    "datasets/real/plan_indicators.toml) on a cadres table and an hours_log "
                    "table, and on curricula for the class-level rules: per cadre pass/fail with "
                    "the shortfall in hours or days, per rank pass rates, annual off-the-job "
                    "rates, curriculum shares per class. Edit a copy of the rules file to change "
                    "thresholds or add rules, and pass it with --rules.",
        epilog="Example: kexie-research compliance --cadres cadres.csv --hours hours_log.csv "
               "--trainings trainings.csv --curriculum curriculum.csv --json")
    p.add_argument("--cadres", required=True, metavar="FILE", help="cadres table")
    p.add_argument("--hours", required=True, metavar="FILE", help="hours_log table")
    p.add_argument("--rules", metavar="FILE", help="rules file (TOML; default: the shipped plan indicators)")
    p.add_argument("--trainings", metavar="FILE", help="trainings table (class names)")
    p.add_argument("--curriculum", metavar="FILE", help="curriculum table (indicator 7)")
    p.add_argument("--years", nargs="+", type=bounded_int(1900, 2200), metavar="Y",
                   help="evaluation years (default: all in the log)")
    p.add_argument("--export", metavar="FILE",
                   help="write per-cadre outcomes (.csv) or all result tables (.xlsx)")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..compliance import evaluate_compliance, load_rules

    rules = load_rules(args.rules)
    cad = load_arg(args.cadres, "cadres").accepted
    log = load_arg(args.hours, "hours_log").accepted
    tr = load_arg(args.trainings, "trainings", required=False)
    cur = load_arg(args.curriculum, "curriculum", required=False)
    res = evaluate_compliance(cad, log, rules, curriculum=None if cur is None else cur.accepted,
                              trainings=None if tr is None else tr.accepted, years=args.years)
    for m in res.messages:
        print(f"note: {m}", file=sys.stderr)
    if args.export:
        out = Path(args.export)
        suffix = out.suffix.lower()
        if suffix == ".csv":
            path = write_csv(out, res.outcomes)
        elif suffix == ".xlsx":
            path = write_xlsx(out, {"outcomes": res.outcomes, "rules": res.rules,
                                    "by_rank": res.by_rank, "off_job_rates": res.rates,
                                    "curriculum": res.curriculum,
                                    "not_evaluable": res.not_evaluable})
        else:
            raise KexieError(f"--export: unsupported file type {suffix or '(none)'!r}; use .csv or .xlsx")
        print(f"outcomes written to {path}", file=sys.stderr)
    if args.json:
        emit_json(res.to_dict())
        return 0
    print(f"cadres: {res.n_cadres}; years: {', '.join(map(str, res.years))}")
    for r in res.rules.itertuples(index=False):
        if r.evaluated:
            rate = "–" if r.n_evaluated == 0 else f"{r.pass_rate:.1%}"
            extra = f", {r.n_pending} pending" if r.n_pending else ""
            print(f"  {r.rule_id:>4}  [{r.test}]  pass {r.n_pass}/{r.n_evaluated} = {rate}{extra}")
        else:
            print(f"  {r.rule_id:>4}  not evaluable: {r.reason}")
    for r in res.rates.itertuples(index=False):
        print(f"  off-the-job {r.rule_id} {r.year}: {r.n_trained}/{r.group_size} = "
              f"{r.rate:.1%} (threshold {r.threshold_rate:.0%}) {r.status}")
    return 0
