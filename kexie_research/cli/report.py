"""``kexie-research report`` (the main job) and its options."""

from __future__ import annotations

import sys


def add_common(p) -> None:
    p.add_argument("--data", metavar="DIR", help="dataset folder with <kind>.csv files "
                   "(default: the embedded synthetic data)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of labels (default zh)")
    p.add_argument("--seed", type=int, default=20240, help="seed of all randomness (default 20240)")
    p.add_argument("--workers", type=int, default=1, help="parallel processes (results do not depend on it)")
    from ..report.sections import SECTIONS

    p.add_argument("--sections", nargs="+", metavar="NAME",
                   help=f"only these report sections ({', '.join(SECTIONS)})")
    p.add_argument("--quick", action="store_true", help="fewer Monte Carlo replications (smoke runs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="the main job: full report on a dataset",
                       description="Run every analysis on a dataset and write report.html, "
                                   "report.md, summary.json, tables/*.csv and figures/ "
                                   "(PNG, PDF, SVG with captions) into --out.")
    add_common(p)
    p.add_argument("--out", default="out", metavar="DIR", help="output folder (default out/)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..report import build_report
    from ..schema import TABLE_KINDS  # noqa: F401

    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    res = build_report(args.data, args.out, lang=args.lang, seed=args.seed, workers=args.workers,
                       progress=not args.no_progress, sections=args.sections, quick=args.quick)
    print(f"report written to {res.out_dir}: " + ", ".join(sorted(res.files)), file=sys.stderr)
    return 0
