"""Helpers shared by subcommands: option types, path checks, JSON output, loading tables.

This module is the one home of what a bad option value or a dangerous path is. Every
subcommand gets the same checks, by destination name, so none can forget one:

- ``--seed`` must be a whole number in [0, 2**32 - 1] (:data:`SEED_MAX`; ``-1`` is an
  error): :func:`check_args` after parsing, :func:`seed_arg` as a parse-time type;
- output files (``--rejects``, ``--export``, ``--untrained-out``, ``--plan-out``,
  ``--assignment-out``: :data:`OUTPUT_FILE_OPTIONS`) must not be a directory, a FIFO, a
  device or an input of the same command; output folders (``--out``) must not be an
  existing file, an input or hold one (:func:`check_paths`);
- every option naming an existing path must be a regular file or a folder;
- ``--max-input-bytes`` / ``--max-cells`` (every subcommand) raise the input limits.

:func:`harden_parser` marks the outputs when the parser is built; :func:`check_args` runs
before any work, in :func:`kexie_research.cli.main`. A bad value is exit 2 with one line
naming the option, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import stat
import sys
from pathlib import Path
from typing import Callable, Iterable

from ..errors import DataValidationError, KexieError
from ..io import check_output_path, dumps_json, one_line, parse_size
from ..validate import LoadResult, load_table

__all__ = ["emit_json", "load_arg", "add_json_flag", "seed_arg", "bounded_float", "bounded_int",
           "check_range", "check_args",
           "output_file", "output_dir", "OutputFile", "OutputDir", "OneLineParser",
           "harden_parser", "check_paths", "SEED_MAX", "OUTPUT_FILE_OPTIONS"]

SEED_MAX = 2 ** 32 - 1
"""Largest seed: every random generator the package hands seeds to (numpy, networkx,
igraph) accepts [0, 2**32 - 1]."""

OUTPUT_FILE_OPTIONS = ("rejects", "export", "untrained_out", "plan_out", "assignment_out")
"""Destinations of options that name an output file (checked by :func:`output_file`)."""

OUTPUT_DIR_OPTIONS = ("out",)
"""Destinations of options that name an output folder (checked by :func:`output_dir`)."""


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line (``error: PROG: message``)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"error: {self.prog}: {one_line(message)} (see {self.prog} --help)\n")


def emit_json(obj) -> None:
    """Print deterministic JSON on stdout."""
    sys.stdout.write(dumps_json(obj))


def add_json_flag(p) -> None:
    p.add_argument("--json", action="store_true", help="print results as JSON on stdout")


def load_arg(path: str | None, kind: str, *, required: bool = True) -> LoadResult | None:
    """Load a table named on the command line (raises DataValidationError on bad rows)."""
    if path is None:
        if required:
            raise FileNotFoundError(f"a {kind} file is required")
        return None
    return load_table(Path(path), kind, errors="raise")


# ---- option types -----------------------------------------------------------------------

def seed_arg(text: str) -> int:
    """The one seed type of every subcommand: a whole number in [0, 2**32 - 1].

    Examples
    --------
    >>> seed_arg("20240")
    20240
    >>> seed_arg("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: a seed is a whole number from 0 to 4294967295, not '-1'
    """
    try:
        v = int(str(text).strip())
    except ValueError:
        v = None
    if v is None or not 0 <= v <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"a seed is a whole number from 0 to {SEED_MAX}, not {text!r}")
    return v


def _range_text(lo, hi, lo_open, hi_open) -> str:
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {lo:g}"
    if hi is not None:
        return f"{'<' if hi_open else '<='} {hi:g}"
    return "finite"


def bounded_float(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
                  hi_open: bool = False) -> Callable[[str], float]:
    """An option type: a finite number within bounds (``nan``, ``inf`` always refused).

    Examples
    --------
    >>> years = bounded_float(0, 100, lo_open=True)
    >>> years("4")
    4.0
    >>> years("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a finite number in (0, 100], not 'nan'
    """
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            v = math.nan
        ok = math.isfinite(v) and (lo is None or (v > lo if lo_open else v >= lo)) \
            and (hi is None or (v < hi if hi_open else v <= hi))
        if not ok:
            raise argparse.ArgumentTypeError(
                f"must be a finite number {_range_text(lo, hi, lo_open, hi_open)}, not {text!r}")
        return v
    parse.__name__ = "number"
    return parse


def check_range(option: str, value: float, lo: float | None = None, hi: float | None = None, *,
                lo_open: bool = False, hi_open: bool = False) -> float:
    """Raise :class:`KexieError` (exit 2) unless ``value`` is finite and within bounds —
    the run-time twin of :func:`bounded_float`, for options checked after parsing.

    Examples
    --------
    >>> check_range("--window-years", float("nan"), 0, 200, lo_open=True)
    Traceback (most recent call last):
    ...
    kexie_research.errors.KexieError: --window-years must be a finite number in (0, 200], not nan
    """
    try:
        bounded_float(lo, hi, lo_open=lo_open, hi_open=hi_open)(repr(float(value)))
    except (argparse.ArgumentTypeError, TypeError, ValueError):
        raise KexieError(f"{option} must be a finite number "
                         f"{_range_text(lo, hi, lo_open, hi_open)}, not {value!r}") from None
    return value


def bounded_int(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """An option type: a whole number within bounds (``1e9`` as text is accepted if whole)."""
    def parse(text: str) -> int:
        try:
            f = float(text)
            v = int(f) if math.isfinite(f) and f.is_integer() else None
        except ValueError:
            v = None
        if v is None or (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = _range_text(lo, hi, False, False).replace("finite", "any")
            raise argparse.ArgumentTypeError(f"must be a whole number {rng}, not {text!r}")
        return v
    parse.__name__ = "whole number"
    return parse


class OutputFile(str):
    """An option value naming an output file (checked against the command's inputs)."""


class OutputDir(str):
    """An option value naming an output folder (checked against the command's inputs)."""


def output_file(text: str) -> OutputFile:
    """Marks an option value as an output file (checked by :func:`check_paths`)."""
    return OutputFile(text)


def output_dir(text: str) -> OutputDir:
    """Marks an option value as an output folder (checked by :func:`check_paths`)."""
    return OutputDir(text)


def _size_arg(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _iter_subparsers(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.values()


def harden_parser(parser: argparse.ArgumentParser) -> None:
    """Mark every subcommand's output options by destination name and add the input-limit
    options. Called once by :func:`kexie_research.cli.build_parser`."""
    for sub in _iter_subparsers(parser):
        for action in sub._actions:
            if action.dest in OUTPUT_FILE_OPTIONS and action.type in (None, str):
                action.type = output_file
            elif action.dest in OUTPUT_DIR_OPTIONS and action.type in (None, str):
                action.type = output_dir
        add_limit_options(sub, default=argparse.SUPPRESS)


def add_limit_options(p, *, default=None) -> None:
    """``--max-input-bytes`` and ``--max-cells`` (see ``docs/robustness.md``)."""
    p.add_argument("--max-input-bytes", type=_size_arg, metavar="SIZE", default=default,
                   help="largest input, after decompression (default 64M, or "
                        "$KEXIE_MAX_INPUT_BYTES; e.g. 256M, 1G)")
    p.add_argument("--max-cells", type=_size_arg, metavar="N", default=default,
                   help="most cells read from one table (default 4000000, or $KEXIE_MAX_CELLS)")


# ---- paths ------------------------------------------------------------------------------

def _strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            if isinstance(v, str):
                yield v


def check_args(args: argparse.Namespace) -> None:
    """Every check shared by the subcommands, before any work: the seed's range, then the
    paths (:func:`check_paths`). Raises a :class:`KexieError` naming the option."""
    seed = getattr(args, "seed", None)
    if seed is not None and not (isinstance(seed, int) and 0 <= seed <= SEED_MAX):
        raise KexieError(f"--seed must be a whole number from 0 to {SEED_MAX}, not {seed!r}")
    check_paths(args)


def check_paths(args: argparse.Namespace) -> None:
    """Refuse, before any work, paths that would hang the command or destroy an input.

    Every string option naming an existing path must be a regular file or a folder (a
    FIFO or a device as input hangs or streams forever; as output it would be replaced
    by a regular file). Every output file or folder (typed :class:`OutputFile` /
    :class:`OutputDir`) must not be — or, for a folder, contain — an input of the same
    command (any other option naming an existing path).
    """
    outputs: list[tuple[str, str, bool]] = []
    inputs: list[str] = []
    for dest, value in vars(args).items():
        if dest in ("func",):
            continue
        for v in _strings(value):
            if isinstance(v, (OutputFile, OutputDir)):
                outputs.append((dest, v, isinstance(v, OutputDir)))
                continue
            try:
                st = os.stat(v)
            except (OSError, ValueError):
                continue
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                opt = "--" + dest.replace("_", "-") if dest != "path" else "PATH"
                raise DataValidationError(
                    f"not a regular file ({_kind(st.st_mode)}, given as {opt}); inputs must be regular "
                    "files — copy the data into a file first", file=v, rule="regular_file")
            inputs.append(v)
    for dest, v, is_dir in outputs:
        check_output_path(v, inputs=inputs, directory=is_dir, option="--" + dest.replace("_", "-"))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"
