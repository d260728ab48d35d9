"""``kexie-research report`` (the main job) and its options."""

from __future__ import annotations

import sys

from ._common import bounded_int, seed_arg


def add_common(p) -> None:
    p.add_argument("--data", metavar="DIR", help="dataset folder with <kind>.csv files "
                   "(default: the embedded synthetic data)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of labels (default zh)")
    p.add_argument("--seed", type=seed_arg, default=20240,
                   help="seed of all randomness, 0 to 4294967295 (default 20240)")
    p.add_argument("--workers", type=bounded_int(1, 256), default=1,
                   help="parallel processes (results do not depend on it)")
    from ..report.sections import SECTIONS

    p.add_argument("--sections", nargs="+", metavar="NAME",
                   help=f"only these report sections ({', '.join(SECTIONS)})")
    p.add_argument("--quick", action="store_true", help="fewer Monte Carlo replications (smoke runs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="the main job: full report on a dataset",
                       description="Run every analysis on a dataset and write report.html, "
                                   "report.md, summary.json, tables/*.csv and figures/ "
                                   "(PNG, PDF, SVG with captions) into --out. The report is "
                                   "built in a staging folder beside --out and swapped in at "
                                   "the end, so --out always holds one complete run; a second "
                                   "run into the same folder while one is running is refused "
                                   "(exit 2). --out must be new, empty or a previous report.")
    add_common(p)
    p.add_argument("--out", default="out", metavar="DIR", help="output folder (default out/)")
    p.add_argument("--keep-going", action="store_true",
                   help="analyse the accepted rows when some rows are rejected (including rows "
                        "whose references dangle) instead of stopping; the rejects go to "
                        "OUT/rejects.csv and the counts (rows read = accepted + rejected, per "
                        "table) to the report's data section")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..data import load_dataset
    from ..errors import DataValidationError
    from ..report import build_report

    try:
        ds = load_dataset(args.data, errors="drop" if args.keep_going else "raise")
    except DataValidationError as exc:
        if args.keep_going or exc.row is None:
            raise
        raise DataValidationError(exc.message + " (add --keep-going to analyse the accepted rows "
                                  "and list the rejects)", file=exc.file, row=exc.row,
                                  column=exc.column, value=exc.value, rule=exc.rule,
                                  result=exc.result) from None
    for note in ds.ignored:
        print(f"note: not read: {note}", file=sys.stderr)
    if ds.n_rejected:
        print(f"note: {ds.n_rejected} row(s) rejected; analysing the accepted rows "
              f"(rejects in {args.out}/rejects.csv)", file=sys.stderr)
    res = build_report(args.data, args.out, lang=args.lang, seed=args.seed, workers=args.workers,
                       progress=not args.no_progress, sections=args.sections, quick=args.quick,
                       dataset=ds)
    print(f"report written to {res.out_dir}: " + ", ".join(sorted(res.files)), file=sys.stderr)
    return 0
