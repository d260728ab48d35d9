"""``kexie-research figures``: regenerate every paper figure (``make figures``)."""

from __future__ import annotations

import sys

from .report import add_common


def add_parser(sub) -> None:
    p = sub.add_parser("figures", help="regenerate all paper figures into a folder",
                       description="Write every report figure (PNG 300 dpi, PDF, SVG) with its "
                                   "caption file into --out; byte-identical for the same data and seed.")
    add_common(p)
    p.add_argument("--out", default="figures", metavar="DIR", help="output folder (default figures/)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..report import build_report

    res = build_report(args.data, args.out, lang=args.lang, seed=args.seed, workers=args.workers,
                       progress=not args.no_progress, sections=args.sections,
                       figures_only=True, quick=args.quick)
    print(f"figures written to {res.out_dir}", file=sys.stderr)
    return 0
