"""``kexie-research validate PATH [--kind KIND] [--json] [--rejects FILE]``.

``PATH`` is one table file, or a data folder: then every table in it is validated (one
summary line per table, foreign keys across tables checked) and the exit code is 2 if
any row of any table is rejected.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from ..errors import KexieError
from ..io import write_csv
from ..schema import TABLE_KINDS
from ..validate import load_table
from ._common import add_json_flag, bounded_int, emit_json


def add_parser(sub) -> None:
    p = sub.add_parser(
        "validate", help="check a table file (or every table of a data folder) against the data model",
        description="Validate one table file (CSV in UTF-8, UTF-8 with BOM or GB18030/GBK; "
                    "or .xlsx), or every table of a data folder (files named <kind>.csv, "
                    "any case; foreign keys across the tables are checked too). Every problem "
                    "is reported with file, row, column, value and rule; exit code 2 if any "
                    "row is rejected. Rows read = accepted + rejected, per table.")
    p.add_argument("path", help="the file to check, or a data folder")
    p.add_argument("--kind", choices=TABLE_KINDS, help="table kind (guessed from the columns if omitted)")
    p.add_argument("--sheet", help="sheet name in an .xlsx workbook")
    p.add_argument("--encoding", help="force a text encoding (default: detect)")
    p.add_argument("--rejects", metavar="FILE", help="write rejected rows with reasons to this CSV")
    p.add_argument("--max-problems", type=bounded_int(0), default=20, help="problems to print (default 20)")
    add_json_flag(p)
    p.set_defaults(func=run)


def _print_problems(rejects: pd.DataFrame, limit: int, *, with_file: bool = False) -> None:
    for _, r in rejects.head(limit).iterrows():
        parts = []
        if with_file:
            parts.append(Path(str(r["file"])).name)
        parts.append("table" if pd.isna(r["row"]) else f"row {int(r['row'])}")
        if not pd.isna(r["column"]):
            parts.append(f"column {r['column']!r}")
        if not pd.isna(r["value"]):
            parts.append(f"value {r['value']!r}")
        print(f"  {', '.join(parts)}: {r['message']} [rule: {r['rule']}]", file=sys.stderr)
    if len(rejects) > limit:
        print(f"  ... and {len(rejects) - limit} more problems "
              "(use --rejects FILE to get them all)", file=sys.stderr)


def run(args) -> int:
    # a folder is a data folder, unless it is named like a table file (then it is a
    # mistake the reader names: "expected a file, got a directory")
    if Path(args.path).is_dir() and not args.path.lower().rstrip("/").endswith(
            (".csv", ".xlsx", ".xlsm", ".gz", ".xls")):
        return _run_folder(args)
    res = load_table(Path(args.path), args.kind, errors="collect", encoding=args.encoding,
                     sheet=args.sheet)
    if args.rejects:
        write_csv(args.rejects, res.rejects)
    if args.json:
        emit_json({"valid": res.ok, **res.to_dict()})
    else:
        enc = f", encoding {res.encoding}" if res.encoding else ""
        print(f"{res.file}: {res.kind} table{enc}; {res.n_input} rows read, "
              f"{res.n_accepted} accepted, {res.n_rejected} rejected")
        for w in res.warnings:
            print(f"  note: {w}")
        _print_problems(res.rejects, args.max_problems)
    return 0 if res.ok else 2


def _run_folder(args) -> int:
    from ..data import load_dataset

    for opt in ("kind", "sheet", "encoding"):
        if getattr(args, opt):
            raise KexieError(f"--{opt} applies to one table file, not to a data folder "
                             f"({args.path}); validate that file on its own")
    ds = load_dataset(args.path, errors="drop")
    rejects = ds.rejects()
    if args.rejects:
        write_csv(args.rejects, rejects)
    ok = len(rejects) == 0
    if args.json:
        emit_json({"valid": ok, "directory": str(args.path),
                   "tables": {k: r.to_dict() for k, r in ds.loads.items()},
                   "failed": ds.failed, "ignored": list(ds.ignored),
                   "n_input": sum(r.n_input for r in ds.loads.values()),
                   "n_accepted": sum(r.n_accepted for r in ds.loads.values()),
                   "n_rejected": sum(r.n_rejected for r in ds.loads.values()),
                   "n_foreign_key_rejects": int(len(ds.foreign_key_rejects))})
        return 0 if ok else 2
    for kind in TABLE_KINDS:
        res = ds.loads.get(kind)
        if res is None:
            continue
        enc = f", encoding {res.encoding}" if res.encoding else ""
        n_fk = int((res.rejects["rule"] == "foreign_key").sum()) if len(res.rejects) else 0
        fk = f" ({n_fk} with unknown references)" if n_fk else ""
        print(f"{res.file}: {kind} table{enc}; {res.n_input} rows read, {res.n_accepted} "
              f"accepted, {res.n_rejected} rejected{fk}")
    for msg in ds.failed.values():
        print(f"refused: {msg}")
    for note in ds.ignored:
        print(f"  note: not read: {note}")
    for kind, res in ds.loads.items():
        for w in res.warnings:
            print(f"  note: {Path(str(res.file)).name}: {w}")
    _print_problems(rejects[rejects["rule"] != "table_refused"], args.max_problems, with_file=True)
    return 0 if ok else 2
