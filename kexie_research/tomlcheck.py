"""The one validator of TOML arguments: rules files (:mod:`kexie_research.compliance`) and
plan files (:mod:`kexie_research.simulation.plan`) read and check their values through it.

What every TOML file the package reads gets from here:

- **Reading.** :func:`read_toml` / :func:`parse_toml` turn a missing file, a folder, text
  that is not UTF-8, broken TOML and nesting deeper than :data:`MAX_DEPTH` levels (which
  would otherwise end in Python's ``RecursionError``) into the caller's error type
  (a :class:`~kexie_research.errors.KexieError`: the CLI's one line and exit 2).
- **Types, with the key path.** :class:`TomlChecker` checks one value at a time and names
  it by its path in the file (``sessions[0].capacity``, ``rule '2a': applies_to.rank``):
  whole numbers, finite numbers in a range, text, true/false, one of a closed set, lists
  of text, tables and arrays of tables. ``true`` is never a number, ``"thirty"`` never a
  number, ``inf``/``nan`` never a finite number.
- **Closed key sets.** :meth:`TomlChecker.keys` refuses an unknown key, listing the
  allowed ones (a misspelt ``threshhold`` is an error, not a silently ignored line).

Messages read ``<where><key>: <what is wrong>, got <value>``.

Examples
--------
>>> chk = TomlChecker(where="plan.toml: ")
>>> doc = parse_toml('[term]\\nyears = "three"\\n', name="plan.toml")
>>> chk.integer(doc["term"]["years"], "term.years", lo=1)
Traceback (most recent call last):
...
kexie_research.errors.PlanError: plan.toml: term.years: must be a whole number, got 'three'
>>> chk.keys({"yeras": 3}, ("years", "start_year"), "term")
Traceback (most recent call last):
...
kexie_research.errors.PlanError: plan.toml: term.yeras: unknown key; allowed: years, start_year
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import KexieError, PlanError

__all__ = ["MAX_DEPTH", "TomlChecker", "parse_toml", "read_toml", "key_path", "nesting_depth"]

MAX_DEPTH = 16
"""Deepest nesting of tables and arrays accepted (the package's own files use at most 4)."""


def key_path(parent: str, child: str | int) -> str:
    """``parent.child`` for a key, ``parent[i]`` for an array index.

    >>> key_path("", "term"), key_path("term", "years"), key_path("sessions", 0)
    ('term', 'term.years', 'sessions[0]')
    """
    if isinstance(child, int):
        return f"{parent}[{child}]"
    return f"{parent}.{child}" if parent else str(child)


def nesting_depth(obj: Any) -> int:
    """Depth of nested tables/arrays (a scalar 0, ``{}`` 1, ``{"a": [1]}`` 2), without recursion.

    >>> nesting_depth({"a": [{"b": 1}]}), nesting_depth(3)
    (3, 0)
    """
    depth, stack = 0, [(obj, 0)]
    while stack:
        o, d = stack.pop()
        if isinstance(o, Mapping):
            depth = max(depth, d + 1)
            stack.extend((v, d + 1) for v in o.values())
        elif isinstance(o, (list, tuple)):
            depth = max(depth, d + 1)
            stack.extend((v, d + 1) for v in o)
    return depth


def parse_toml(text: str, *, name: str = "", error: type[KexieError] = PlanError,
               max_depth: int = MAX_DEPTH) -> dict:
    """Parse TOML text; broken or too deeply nested TOML raises ``error`` (never RecursionError).

    Parameters
    ----------
    text : str
    name : str
        The file's name for messages (``"rules.toml"``); empty for text from elsewhere.
    error : KexieError subclass
        Raised on every problem (default :class:`~kexie_research.errors.PlanError`).
    max_depth : int
        Deepest nesting accepted.

    Examples
    --------
    >>> parse_toml("a = " + "[" * 40 + "]" * 40, name="deep.toml")
    Traceback (most recent call last):
    ...
    kexie_research.errors.PlanError: deep.toml: a: nested deeper than 16 levels (tables and arrays)
    """
    where = f"{name}: " if name else ""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{where}not valid TOML: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        key = _deep_line_key(text, max_depth)
        raise error(f"{where}{key + ': ' if key else ''}nested deeper than {max_depth} levels "
                    "(tables and arrays)") from None
    if nesting_depth(data) > max_depth:
        deepest = max(data, key=lambda k: nesting_depth(data[k]))
        raise error(f"{where}{deepest}: nested deeper than {max_depth} levels (tables and arrays)")
    return data


_KEY_LINE = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=")


def _deep_line_key(text: str, max_depth: int) -> str:
    """The key of the first line opening more than ``max_depth`` brackets (for the message
    when the parser itself gave up); empty when none can be named."""
    for line in text.splitlines():
        if line.count("[") + line.count("{") > max_depth:
            m = _KEY_LINE.match(line)
            return m.group(1).strip() if m else ""
    return ""


def read_toml(path: str | os.PathLike, *, error: type[KexieError] = PlanError, what: str = "file",
              max_depth: int = MAX_DEPTH) -> dict:
    """Read and parse a TOML file (see :func:`parse_toml`); a missing file, a folder or text
    that is not UTF-8 raises ``error`` naming the file."""
    p = Path(path)
    if not p.is_file():
        raise error(f"{what} not found (or not a regular file): {p}")
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{p.name}: {what} is not UTF-8 text") from None
    except OSError as exc:
        raise error(f"{p.name}: cannot read the {what}: {exc.strerror or exc}") from None
    return parse_toml(text, name=p.name, error=error, max_depth=max_depth)


def _show(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


@dataclass(frozen=True)
class TomlChecker:
    """Checks values read from a TOML file, naming each by its key path.

    Parameters
    ----------
    error : KexieError subclass
        Type raised (default :class:`~kexie_research.errors.PlanError`).
    where : str
        Prefix of every message: the file and, for one item of an array, which item
        (``"rules.toml: rule '2a': "``).

    Every method returns the checked (and, where stated, converted) value or raises.
    """

    error: type[KexieError] = PlanError
    where: str = ""

    def at(self, where: str) -> "TomlChecker":
        """The same checker with ``where`` appended (one item of an array, e.g. a rule)."""
        return TomlChecker(self.error, self.where + where)

    def fail(self, key: str, msg: str) -> KexieError:
        """The error to raise for ``key`` (``raise chk.fail(key, msg)``)."""
        return self.error(f"{self.where}{key + ': ' if key else ''}{msg}")

    # ---- structure ----------------------------------------------------------------------
    def table(self, v: Any, key: str, *, hint: str = "") -> Mapping:
        """A TOML table (``{...}`` or ``[key]``)."""
        if not isinstance(v, Mapping):
            raise self.fail(key, f"must be a table{f' ({hint})' if hint else ''}, got {_show(v)}")
        return v

    def keys(self, d: Any, allowed: Iterable[str], key: str = "", *,
             required: Iterable[str] = ()) -> Mapping:
        """A table whose keys are all in ``allowed`` (an unknown key lists them) and that has
        every key of ``required``."""
        d = self.table(d, key)
        allowed = tuple(allowed)
        for k in d:
            if k not in allowed:
                raise self.fail(key_path(key, k), f"unknown key; allowed: {', '.join(allowed)}")
        for k in required:
            if k not in d:
                raise self.fail(key_path(key, k), "is required")
        return d

    def tables(self, v: Any, key: str, *, hint: str = "", nonempty: bool = True) -> list:
        """An array of tables (``[[key]]``); each item is checked to be a table."""
        if not isinstance(v, list):
            raise self.fail(key, f"must be an array of tables{f' ({hint})' if hint else ''}, got {_show(v)}")
        if nonempty and not v:
            raise self.fail(key, f"at least one table is required{f' ({hint})' if hint else ''}")
        for i, item in enumerate(v):
            self.table(item, key_path(key, i), hint=hint)
        return v

    # ---- scalars ------------------------------------------------------------------------
    def integer(self, v: Any, key: str, *, lo: int | None = None, hi: int | None = None,
                allow_integral_float: bool = True) -> int:
        """A whole number (``3`` or, unless refused, ``3.0``; never ``true``) in [lo, hi]."""
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(key, f"must be a whole number, got {_show(v)}")
        if isinstance(v, float):
            if not (allow_integral_float and math.isfinite(v) and v.is_integer()):
                raise self.fail(key, f"must be a whole number, got {_show(v)}")
            v = int(v)
        if lo is not None and v < lo:
            raise self.fail(key, f"must be at least {lo}, got {v}")
        if hi is not None and v > hi:
            raise self.fail(key, f"must be at most {hi}, got {v}")
        return v

    def number(self, v: Any, key: str, *, lo: float | None = None, hi: float | None = None) -> float:
        """A finite number (never ``true``, ``"thirty"``, ``inf`` or ``nan``) in [lo, hi]."""
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise self.fail(key, f"must be a number, got {_show(v)}")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
            raise self.fail(key, f"must be in {rng}, got {v}")
        return float(v)

    def text(self, v: Any, key: str, *, nonempty: bool = False) -> str:
        """Text (a TOML string)."""
        if not isinstance(v, str):
            raise self.fail(key, f"must be text, got {_show(v)}")
        if nonempty and not v.strip():
            raise self.fail(key, "must not be empty")
        return v

    def boolean(self, v: Any, key: str) -> bool:
        """``true`` or ``false`` (not 1/0, not "yes")."""
        if not isinstance(v, bool):
            raise self.fail(key, f"must be true or false, got {_show(v)}")
        return v

    def choice(self, v: Any, allowed: Iterable[str], key: str) -> str:
        """One text value of a closed set."""
        allowed = tuple(allowed)
        if not isinstance(v, str) or v not in allowed:
            raise self.fail(key, f"must be one of {', '.join(allowed)}, got {_show(v)}")
        return v

    def text_list(self, v: Any, key: str, *, allow_scalar: bool = True) -> tuple[str, ...]:
        """A list of text (a single text value counts as a list of one when allowed)."""
        if allow_scalar and isinstance(v, str):
            v = [v]
        if not isinstance(v, list):
            raise self.fail(key, f"must be a list of text, got {_show(v)}")
        return tuple(self.text(x, key_path(key, i)) for i, x in enumerate(v))

    def scalar_or_list(self, v: Any, key: str, check) -> list:
        """A value or a non-empty list of values, each checked by ``check(value, key)``."""
        if isinstance(v, list):
            if not v:
                raise self.fail(key, "has an empty list of values")
            return [check(x, key_path(key, i)) for i, x in enumerate(v)]
        return [check(v, key)]
