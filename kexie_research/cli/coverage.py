"""``kexie-research coverage``: representative coverage, who is left out, cross-region exchange."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import KexieError
from ..io import write_csv, write_xlsx
from ._common import add_json_flag, check_range, emit_json, load_arg


MAX_WINDOW_YEARS = 200
"""Longest look-back window: beyond ~200 years dates leave the calendar range."""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "coverage", help="coverage of representatives by training (distinct persons, groups, left out)",
        description="Share of a term's representatives trained at least once (distinct persons, "
                    "with person-times, repeats and hours beside it), broken down by any "
                    "representative column with Wilson intervals, Gini/Theil inequality and a "
                    "threshold flag; the cumulative curve and the dates 50/80/100%% were reached; "
                    "the untrained and those not trained within a window; cross-region exchange. "
                    "Attendance rows with an unknown rep_id or training_id are reported (stderr "
                    "and 'unknown_attendance' in --json), not counted; --strict makes them an error.",
        epilog="Example: kexie-research coverage --representatives reps.csv --attendance att.csv "
               "--trainings trainings.csv --by province --window-years 4 --export left_out.xlsx")
    p.add_argument("--representatives", required=True, metavar="FILE", help="representatives table")
    p.add_argument("--attendance", required=True, metavar="FILE", help="attendance table")
    p.add_argument("--trainings", metavar="FILE",
                   help="trainings table (session dates: needed for the curve and --window-years)")
    p.add_argument("--by", nargs="+", metavar="COL", help="break down by these representative columns")
    p.add_argument("--window-years", type=float, metavar="N",
                   help=f"list those not trained within the last N years (the plan: 4; at most "
                        f"{MAX_WINDOW_YEARS})")
    p.add_argument("--threshold", type=float, default=0.8, metavar="X",
                   help="flag groups with coverage below X (default 0.8)")
    p.add_argument("--as-of", metavar="DATE", help="reference date (default: the last session's end)")
    p.add_argument("--confidence", type=float, default=0.95,
                   help="level of the Wilson intervals, in (0, 1)")
    p.add_argument("--sample", action="store_true",
                   help="the representatives file is a sample (intervals are sampling intervals)")
    p.add_argument("--require-completed", action="store_true",
                   help="count only attendance rows with completed = true")
    p.add_argument("--export", metavar="FILE",
                   help="write the left-out list (never trained / not within the window) to "
                        "FILE.csv or FILE.xlsx (spreadsheet formulas in names are neutralised)")
    p.add_argument("--strict", action="store_true",
                   help="exit 2 if any attendance row refers to an unknown rep_id or training_id")
    add_json_flag(p)
    p.set_defaults(func=run)


def _export(path: str, df) -> Path:
    out = Path(path)
    suffix = out.suffix.lower()
    writers = {".csv": write_csv, ".xlsx": write_xlsx}
    if suffix not in writers:
        raise KexieError(f"--export: unsupported file type {suffix or '(none)'!r}; use .csv or .xlsx")
    return writers[suffix](out, df)


def run(args) -> int:
    from ..coverage import compute_coverage, compute_exchange, left_out_table

    # checked here (not by argparse) so that the API-style callers of main() get exit 2
    check_range("--threshold", args.threshold, 0, 1)
    if args.window_years is not None:
        check_range("--window-years", args.window_years, 0, MAX_WINDOW_YEARS, lo_open=True)
    check_range("--confidence", args.confidence, 0, 1, lo_open=True, hi_open=True)
    if (args.window_years is not None or args.as_of) and not args.trainings:
        raise KexieError("--window-years and --as-of need --trainings (the session dates)")
    reps = load_arg(args.representatives, "representatives").accepted
    att = load_arg(args.attendance, "attendance").accepted
    tr = load_arg(args.trainings, "trainings", required=False)
    tr = tr.accepted if tr is not None else None
    as_of = None
    if args.as_of:
        import pandas as pd
        try:
            as_of = pd.Timestamp(args.as_of)
        except (ValueError, TypeError):
            raise KexieError(f"--as-of: not a date: {args.as_of!r}") from None
    res = compute_coverage(reps, att, tr, by=args.by, window_years=args.window_years,
                           threshold=args.threshold, as_of=as_of,
                           require_completed=args.require_completed, sample=args.sample,
                           confidence=args.confidence)
    ex = compute_exchange(reps, att, tr)
    for m in res.messages:
        print(f"note: {m}", file=sys.stderr)
    for r in res.unknown_attendance.head(20).itertuples(index=False):
        print(f"  attendance row {r.row}: rep_id {r.rep_id!r}, training_id {r.training_id!r}: "
              f"{r.reason}", file=sys.stderr)
    if args.export:
        path = _export(args.export, left_out_table(res, reps))
        print(f"left-out list written to {path}", file=sys.stderr)
    if args.json:
        emit_json({**res.to_dict(), "exchange": ex.to_dict()})
    else:
        print(f"representatives: {res.total}; trained (distinct): {res.trained}; coverage "
              f"{res.coverage:.1%} (Wilson {res.confidence:.0%}: {res.ci_low:.1%}–{res.ci_high:.1%})")
        print(f"person-times: {res.person_times}; repeat attendances: {res.repeat_attendance}; "
              f"hours: {res.hours:,.1f}")
        for lvl, when in res.milestones.items():
            if len(res.curve):
                print(f"  {lvl:.0%} reached: {when.date() if when is not None else 'never'}")
        print(f"never trained: {len(res.untrained_ids)}")
        if res.not_trained_within_window is not None:
            print(f"not trained within {res.window_years:g} years of {res.as_of.date()}: "
                  f"{len(res.not_trained_within_window)}")
        if len(res.groups):
            print(f"by {' × '.join(res.by)} (Gini {res.inequality['gini']:.3f}, Theil "
                  f"{res.inequality['theil']:.3f}):")
            for g in res.groups.itertuples(index=False):
                flag = "  < threshold" if g.below_threshold else ""
                print(f"  {g.group}: {g.trained}/{g.total} = {g.coverage:.1%} "
                      f"[{g.ci_low:.1%}, {g.ci_high:.1%}]{flag}")
        if ex.n_person_times:
            print(f"cross-region exchange: exposure {ex.exposure:.1%}, mixing ratio "
                  f"{ex.mixing_ratio:.2f}")
    if args.strict and len(res.unknown_attendance):
        raise KexieError(f"{len(res.unknown_attendance)} attendance row(s) refer to unknown ids (--strict)")
    return 0
