"""``kexie-research validate PATH [--kind KIND] [--json] [--rejects FILE]``."""

from __future__ import annotations

import sys
from pathlib import Path

from ..io import write_csv
from ..schema import TABLE_KINDS
from ..validate import load_table
from ._common import add_json_flag, emit_json


def add_parser(sub) -> None:
    p = sub.add_parser(
        "validate", help="check a table file against the data model",
        description="Validate one table file (CSV in UTF-8, UTF-8 with BOM or GB18030/GBK; "
                    "or .xlsx). Every problem is reported with file, row, column, value and "
                    "rule; exit code 2 if any row is rejected. Rows read = accepted + rejected.")
    p.add_argument("path", help="the file to check")
    p.add_argument("--kind", choices=TABLE_KINDS, help="table kind (guessed from the columns if omitted)")
    p.add_argument("--sheet", help="sheet name in an .xlsx workbook")
    p.add_argument("--encoding", help="force a text encoding (default: detect)")
    p.add_argument("--rejects", metavar="FILE", help="write rejected rows with reasons to this CSV")
    p.add_argument("--max-problems", type=int, default=20, help="problems to print (default 20)")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    res = load_table(Path(args.path), args.kind, errors="collect", encoding=args.encoding,
                     sheet=args.sheet)
    if args.rejects:
        out = Path(args.rejects)
        write_csv(out.name, res.rejects, root=out.parent if str(out.parent) else ".")
    if args.json:
        emit_json({"valid": res.ok, **res.to_dict()})
    else:
        enc = f", encoding {res.encoding}" if res.encoding else ""
        print(f"{res.file}: {res.kind} table{enc}; {res.n_input} rows read, "
              f"{res.n_accepted} accepted, {res.n_rejected} rejected")
        for w in res.warnings:
            print(f"  note: {w}")
        for _, r in res.rejects.head(args.max_problems).iterrows():
            where = f"row {r['row']}" if r["row"] is not None and str(r["row"]) != "<NA>" else "table"
            print(f"  {where}, column {r['column']!r}, value {r['value']!r}: {r['message']} "
                  f"[rule: {r['rule']}]", file=sys.stderr)
        if len(res.rejects) > args.max_problems:
            print(f"  ... and {len(res.rejects) - args.max_problems} more problems "
                  "(use --rejects FILE to get them all)", file=sys.stderr)
    return 0 if res.ok else 2
