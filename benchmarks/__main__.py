"""Run all benchmarks and print speed-up ratios against baselines measured in the same run."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    ap.add_argument("only", nargs="*", help="benchmark modules to run (default: all)")
    args = ap.parse_args(argv)
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if args.only:
        names = [n for n in names if n in args.only or n[6:] in args.only]
    failed = 0
    print(f"{'benchmark':44s} {'baseline':>10s} {'ours':>10s} {'speed-up':>9s} {'target':>7s}")
    for name in names:
        mod = importlib.import_module(f"benchmarks.{name}")
        t0 = time.perf_counter()
        rows = mod.run(quick=args.quick)
        for r in rows:
            ratio = r["baseline_s"] / r["candidate_s"] if r["candidate_s"] > 0 else float("inf")
            tgt = r.get("target")
            ok = tgt is None or ratio >= tgt
            failed += not ok
            print(f"{r['name'][:44]:44s} {r['baseline_s']:10.4f} {r['candidate_s']:10.4f} "
                  f"{ratio:8.1f}x {'' if tgt is None else f'{tgt:g}x':>7s}"
                  f"{'' if ok else '  BELOW TARGET'}")
            if r.get("note"):
                print(f"    {r['note']}")
            print(f"    baseline: {r['baseline']}")
        print(f"  ({name} took {time.perf_counter() - t0:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
