"""The arrows of the architecture hold over the import graph (/work/shared/ARCHITECTURE.md).

An AST walk over every module of the package, **function-level (lazy) imports included**:
a lazy import is still an arrow. Each top-level unit (``coverage``, ``evaluation``,
``report``, ...) belongs to a layer; the contracts below say which layers may not import
which. Relative imports are resolved against the importing module; ``from kexie_research
import x`` counts as an import of the package root (the data layer, which it re-exports).

Layers, bottom to top::

    base       errors, schema, labels, stats, regions, tomlcheck, settings
    data       io, validate, data (and the package root)
    synthetic  the seeded generator
    analysis   coverage, compliance, evaluation, networks, simulation, paper
    calibration  generated data checked by the analyses (above synthetic and analysis)
    plots
    report, widgets   (side by side: neither imports the other)
    cli        (imported by nothing but itself and ``__main__``)

Why an AST test rather than import-linter/grimp: it needs no extra dependency, reads lazy
imports (grimp does too) and says exactly which line breaks which contract.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import kexie_research

PKG = Path(kexie_research.__file__).parent
ROOT_NAME = "kexie_research"

LAYER_OF_UNIT = {
    "errors": "base", "schema": "base", "labels": "base", "stats": "base", "regions": "base",
    "tomlcheck": "base", "settings": "base", "formatting": "base",
    "io": "data", "validate": "data", "data": "data", "": "data",   # "" = the package root
    "synthetic": "synthetic",
    "coverage": "analysis", "compliance": "analysis", "evaluation": "analysis",
    "networks": "analysis", "simulation": "analysis", "paper": "analysis",
    "calibration": "calibration",
    "plots": "plots",
    "report": "report", "widgets": "widgets",
    "cli": "cli", "__main__": "cli",
}
ANALYSIS_UNITS = ("coverage", "compliance", "evaluation", "networks", "simulation")

# importer layer -> layers it must not import (lazily or not)
FORBIDDEN: dict[str, set[str]] = {
    "base": {"data", "synthetic", "analysis", "calibration", "plots", "report", "widgets", "cli"},
    "data": {"synthetic", "analysis", "calibration", "plots", "report", "widgets", "cli"},
    "synthetic": {"analysis", "calibration", "plots", "report", "widgets", "cli"},
    "analysis": {"calibration", "plots", "report", "widgets", "cli"},
    "calibration": {"plots", "report", "widgets", "cli"},
    "plots": {"calibration", "report", "widgets", "cli"},
    "report": {"widgets", "cli"},
    "widgets": {"report", "cli"},
    "cli": set(),
}

# Known exceptions, each with the reason and the stream that removes it. Keep this empty.
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG).with_suffix("")
    parts = [ROOT_NAME, *rel.parts]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """Absolute names a ``from ... import ...`` brings in (modules or attributes of them)."""
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    if node.module is None:  # from . import x, y: each may be a submodule
        return [f"{prefix}.{a.name}" for a in node.names]
    return [prefix]


def _imports(path: Path):
    """(line, imported absolute name) for every import in the file, at any depth."""
    module = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom):
            for name in _resolve(node, module, path.name == "__init__.py"):
                yield node.lineno, name


def _unit(name: str) -> str | None:
    """Top-level unit of an absolute module name inside the package (None outside it)."""
    parts = name.split(".")
    if parts[0] != ROOT_NAME:
        return None
    return parts[1] if len(parts) > 1 else ""


def import_graph() -> dict[tuple[str, str], list[str]]:
    """(importer unit, imported unit) -> ["file:line", ...] over the whole package."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(PKG.rglob("*.py")):
        src = _unit(_module_name(path))
        for line, name in _imports(path):
            dst = _unit(name)
            if dst is None or dst == src:
                continue
            edges[(src, dst)].append(f"{path.relative_to(PKG.parent)}:{line}")
    return edges


def _layer(unit: str) -> str:
    if unit in LAYER_OF_UNIT:
        return LAYER_OF_UNIT[unit]
    return "data"  # an attribute of the package root: the root re-exports the data layer


def violations() -> list[str]:
    out = []
    for (src, dst), where in sorted(import_graph().items()):
        if (src, dst) in KNOWN_EXCEPTIONS:
            continue
        if _layer(dst) in FORBIDDEN[_layer(src)]:
            out.append(f"{src} ({_layer(src)}) imports {dst} ({_layer(dst)}) at {', '.join(where)}")
    return out


def test_every_unit_has_a_layer():
    units = {_unit(_module_name(p)) for p in PKG.rglob("*.py")}
    assert units <= set(LAYER_OF_UNIT), units - set(LAYER_OF_UNIT)


def test_import_graph_follows_the_architecture():
    bad = violations()
    assert not bad, "\n".join(bad)


def test_the_walk_sees_lazy_and_relative_imports():
    # the checker must see what it claims to see: report sections import plots lazily,
    # the CLI imports the analyses inside its run functions
    g = import_graph()
    assert any("report/sections/coverage.py" in w for w in g[("report", "plots")])
    assert ("cli", "coverage") in g and ("report", "coverage") in g
    assert ("stats", "errors") in g


def _module_graph(subpackage: str) -> dict[str, set[str]]:
    """Module -> modules of the same subpackage it imports (the package ``__init__`` left out:
    it re-exports its modules, and a module importing a sibling through it is no cycle)."""
    pkg = f"{ROOT_NAME}.{subpackage}"
    g: dict[str, set[str]] = {}
    for path in sorted((PKG / subpackage).glob("*.py")):
        if path.name == "__init__.py":
            continue
        mod = _module_name(path)
        g[mod] = {n for _, n in _imports(path) if n.startswith(pkg + ".") and n != mod}
    return g


def _cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Simple cycles through each node (enough to name one per strongly connected group)."""
    out, seen = [], set()
    for start in sorted(g):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(g.get(node, ())):
                if nxt == start:
                    key = frozenset(path)
                    if key not in seen:
                        seen.add(key)
                        out.append(path + [start])
                elif nxt not in path and len(path) < 8:
                    stack.append((nxt, path + [nxt]))
    return out


@pytest.mark.parametrize("subpackage", ["evaluation", "networks", "simulation", "synthetic"])
def test_no_import_cycles_inside_the_analysis_packages(subpackage):
    # evaluation/reliability.py <-> evaluation/structure.py was one (issue 13)
    cycles = _cycles(_module_graph(subpackage))
    assert not cycles, [" -> ".join(c) for c in cycles]


def test_no_cycles_between_analysis_units():
    g = import_graph()
    pairs = [(a, b) for (a, b) in g if a in ANALYSIS_UNITS and b in ANALYSIS_UNITS and (b, a) in g]
    assert not pairs, pairs
