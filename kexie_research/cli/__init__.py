"""The ``kexie-research`` command line.

Each subcommand lives in its own module ``kexie_research.cli.<name>`` with two functions:
``add_parser(subparsers)`` (registers its options and ``func``) and ``run(args) -> int``.
:data:`COMMANDS` lists them in ``--help`` order.

Exit codes: 0 success; 2 bad input (invalid data, plan or option, a path that cannot be
used, a full disk — one readable line on stderr, never a traceback); 1 internal error (a
bug: the message asks for ``--debug``); 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
Shared option types and path checks live in :mod:`kexie_research.cli._common`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
from typing import Sequence

from ..errors import KexieError
from ..io import limit_inputs, one_line
from ._common import OneLineParser, add_limit_options, check_args, harden_parser

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


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, just that subcommand (imports only its module, so a
    subcommand starts without loading the others' dependencies)."""
    from .. import __version__

    parser = OneLineParser(
        prog="kexie-research",
        description="Research workbench for CAST training, representation and organisation "
                    "networks. Run a subcommand with --help for its options.",
        epilog="Exit codes: 0 ok, 2 bad input, 1 internal error.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    add_limit_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if only is not None and name != only:
            continue
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # subcommand not built yet in this checkout
            raise
        mod.add_parser(sub)
    harden_parser(parser)
    return parser


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that clean-up (staging folders, temp files) runs."""


@contextlib.contextmanager
def _sigterm_as_exception():
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise _Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # pragma: no cover - no signals here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _error(text) -> None:
    print(f"error: {one_line(text)}", file=sys.stderr)


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
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(only=first if first in COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    limits = {k: v for k, v in (("max_bytes", getattr(args, "max_input_bytes", None)),
                                 ("max_cells", getattr(args, "max_cells", None))) if v}
    try:
        with _sigterm_as_exception(), limit_inputs(**limits):
            check_args(args)
            return int(args.func(args) or 0)
    except KexieError as exc:
        _error(exc)
        return 2
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        _error(exc)
        return 2
    except PermissionError as exc:
        _error(f"permission denied: {exc}")
        return 2
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("terminated", file=sys.stderr)
        return 143
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if isinstance(exc, OSError) and exc.filename is not None and not getattr(args, "debug", False):
            # the system refused a path the user gave (disk full, read-only, name too long...)
            _error(f"{exc.strerror or exc}: {exc.filename}")
            return 2
        if getattr(args, "debug", False):
            raise
        print(f"internal error: {type(exc).__name__}: {one_line(exc)}\n"
              "This is a bug in kexie_research; rerun with --debug for the traceback and "
              "report it.", file=sys.stderr)
        return 1
