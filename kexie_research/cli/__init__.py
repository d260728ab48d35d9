"""The ``kexie-research`` command line.

Each subcommand lives in its own module ``kexie_research.cli.<name>`` with two functions:
``add_parser(subparsers)`` (registers its options and ``func``) and ``run(args) -> int``.
:data:`COMMANDS` lists them in ``--help`` order.

Exit codes: 0 success; 2 bad input (invalid data, plan or option — one readable line on
stderr, never a traceback); 1 internal error (a bug: the message asks for ``--debug``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from ..errors import KexieError

__all__ = ["main", "console_main", "COMMANDS", "build_parser"]

COMMANDS: tuple[str, ...] = (
    "validate",
    "report",
    "figures",
    "generate",
    "coverage",
    "compliance",
    "evaluate",
    "network",
    "simulate",
    "optimize",
    "sweep",
    "recommend",
)


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="kexie-research",
        description="Research workbench for CAST training, representation and organisation "
                    "networks. Run a subcommand with --help for its options.",
        epilog="Exit codes: 0 ok, 2 bad input, 1 internal error.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # subcommand not built yet in this checkout
            raise
        mod.add_parser(sub)
    return parser


def _headless_matplotlib() -> None:
    """The command line draws only into files: select the Agg backend at the process's
    entry point (the package never does it at import, so notebooks keep their inline
    backend). Through the environment, so worker processes inherit it too."""
    if "matplotlib" in sys.modules:
        import matplotlib

        matplotlib.use("Agg")
    os.environ["MPLBACKEND"] = "Agg"


def console_main() -> int:
    """The ``kexie-research`` executable and ``python -m kexie_research``: a headless
    process (Agg backend), then :func:`main`. Call :func:`main` itself from Python (a
    notebook keeps its backend)."""
    _headless_matplotlib()
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand (``argv`` defaults to ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KexieError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PermissionError as exc:
        print(f"error: permission denied: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if getattr(args, "debug", False):
            raise
        print(f"internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in kexie_research; rerun with --debug for the traceback and "
              "report it.", file=sys.stderr)
        return 1
