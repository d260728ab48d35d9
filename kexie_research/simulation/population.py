"""The population a plan trains: a validated representatives table reduced to what the
simulator needs (province, region, segment), cached for repeated calls.

A plan names either ``file = "representatives.csv"`` (read through
:func:`kexie_research.load_table` as kind ``representatives``) or ``synthetic_size``
(:func:`kexie_research.synthetic.generate_representatives`, seeded by the plan's
``population.seed``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import PlanError
from ..regions import province_region
from ..schema import CAN_LEAVE_POST, IS_FRONTLINE, IS_REELECTED, PROVINCE, REGION, REP_ID
from .plan import SEGMENTS, Plan

__all__ = ["Population", "population_from_frame", "load_population", "assign_segments"]


@dataclass(frozen=True)
class Population:
    """People to train, one row each: ``rep_id``, ``province``, ``region``, ``segment``.

    ``source`` says where they came from (file name or ``synthetic:n=...,seed=...``).
    """

    people: pd.DataFrame
    source: str = ""

    @property
    def size(self) -> int:
        return len(self.people)

    def __len__(self) -> int:
        return len(self.people)


def assign_segments(reps: pd.DataFrame) -> pd.Series:
    """One segment per representative by the precedence of :data:`~.plan.SEGMENTS`.

    ``cannot_leave_post`` when ``can_leave_post`` is false (missing column or cell counts as
    able to leave), else ``frontline`` when ``is_frontline``, else ``reelected`` when
    ``is_reelected``, else ``new``.

    Examples
    --------
    >>> df = pd.DataFrame({"is_frontline": [True, False, False, True],
    ...                    "is_reelected": [False, True, False, True],
    ...                    "can_leave_post": [True, True, True, False]})
    >>> assign_segments(df).tolist()
    ['frontline', 'reelected', 'new', 'cannot_leave_post']
    """
    n = len(reps)

    def flag(col, default):
        if col not in reps.columns:
            return np.full(n, default)
        return reps[col].astype("boolean").fillna(default).to_numpy(dtype=bool)

    seg = np.full(n, "new", dtype=object)
    seg[flag(IS_REELECTED, False)] = "reelected"
    seg[flag(IS_FRONTLINE, False)] = "frontline"
    seg[~flag(CAN_LEAVE_POST, True)] = "cannot_leave_post"
    return pd.Series(seg, index=reps.index, name="segment")


def population_from_frame(reps: pd.DataFrame, *, source: str = "") -> Population:
    """Reduce a representatives table (validated rows) to a :class:`Population`.

    A ``segment`` column, when present, is used as is (it must hold known segments);
    otherwise segments come from :func:`assign_segments`.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["a", "b"], "province": ["上海", "甘肃"],
    ...                      "is_frontline": [True, False], "is_reelected": [False, False]})
    >>> population_from_frame(reps).people[["province", "region", "segment"]].values.tolist()
    [['上海', 'east', 'frontline'], ['甘肃', 'west', 'new']]
    """
    if PROVINCE not in reps.columns:
        raise PlanError(f"population: the representatives table has no {PROVINCE!r} column")
    if len(reps) == 0:
        raise PlanError("population: no representatives")
    prov = reps[PROVINCE].astype(str).to_numpy()
    if REGION in reps.columns:
        reg = reps[REGION].astype(object).where(reps[REGION].notna(), None).to_numpy()
    else:
        reg = np.full(len(reps), None, dtype=object)
    reg = np.array([r if r is not None else (province_region(p) or "national")
                    for r, p in zip(reg, prov)], dtype=object)
    if "segment" in reps.columns:
        seg = reps["segment"].astype(str).to_numpy()
        bad = sorted(set(seg) - set(SEGMENTS))
        if bad:
            raise PlanError(f"population.segment: unknown segment(s) {bad}; allowed: {', '.join(SEGMENTS)}")
    else:
        seg = assign_segments(reps).to_numpy()
    ids = reps[REP_ID].astype(str).to_numpy() if REP_ID in reps.columns else \
        np.array([f"P{i + 1:06d}" for i in range(len(reps))], dtype=object)
    people = pd.DataFrame({"rep_id": ids, "province": prov, "region": reg.astype(str),
                           "segment": seg.astype(str)})
    return Population(people, source=source)


@lru_cache(maxsize=16)
def _synthetic(n: int, seed: int, congress: int) -> Population:
    try:
        from ..synthetic import generate_representatives
    except ImportError:  # pragma: no cover - older checkout
        from ..synthetic.people import generate_representatives
    reps = generate_representatives(n, rng=np.random.default_rng(seed), congress=congress)
    return population_from_frame(reps, source=f"synthetic:n={n},seed={seed},congress={congress}")


@lru_cache(maxsize=16)
def _from_file(path: str, mtime: float) -> Population:
    from ..validate import load_table

    res = load_table(Path(path), "representatives", errors="raise")
    return population_from_frame(res.accepted, source=Path(path).name)


def load_population(plan: Plan) -> Population:
    """The plan's population (cached: repeated calls with the same spec are free).

    Raises
    ------
    PlanError
        The file is missing; :class:`~kexie_research.errors.DataValidationError` when its
        rows break the representatives schema.
    """
    spec = plan.population
    if spec.file is not None:
        p = Path(spec.file)
        if not p.is_absolute():
            p = Path(plan.base_dir or os.getcwd()) / p
        if not p.is_file():
            raise PlanError(f"population.file: file not found: {p}")
        return _from_file(str(p.resolve()), p.stat().st_mtime)
    return _synthetic(int(spec.synthetic_size), int(spec.seed), int(spec.congress))
