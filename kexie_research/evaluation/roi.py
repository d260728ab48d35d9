"""Return on training (Phillips level 5): costs per trained representative and per unit of
gain, and ROI from a monetised benefit that the user supplies.

Costs come from the ``costs`` table (yuan per session and cost item). Benefits are *not*
in the data: the user states what one unit of outcome is worth (e.g. one extra adopted
suggestion, or one point of test gain) and over how many years the effect lasts. Those are
assumptions and are returned with the result so that every report states them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..schema import REP_ID, TRAINING_ID
from ._common import dispatch, require_columns, result_to_dict

__all__ = ["ROIResult", "compute_roi", "roi_percent"]


def roi_percent(benefits: float, costs: float) -> float:
    """Phillips ROI: (benefits − costs) / costs × 100.

    Examples
    --------
    >>> roi_percent(150_000, 100_000)
    50.0
    """
    if not costs > 0:
        raise AnalysisError(f"ROI needs positive costs, got {costs}")
    return float((benefits - costs) / costs * 100)


_EFFECT_PER = {
    "representative": ("distinct representatives", "n_trained_distinct"),
    "attendance": ("person-times (attendances)", "n_trained_person_times"),
}
"""What one unit of ``effect`` is per → (the unit's name in the result, the count it is
multiplied by)."""


@dataclass(frozen=True)
class ROIResult:
    """Costs and return of training.

    Attributes
    ----------
    sessions : DataFrame
        ``training_id, cost, n_trained, cost_per_trained`` (per learner of that session),
        ``n_trained_share`` (with ``effect_per="representative"``: each distinct learner
        counted once, split equally over the costed sessions they attended) and, when an
        effect is given, ``units_gained``, ``cost_per_unit_gain``; cost items as columns.
    summary : dict
        ``total_cost``, ``unit`` (``"distinct representatives"`` or ``"person-times
        (attendances)"``: what the effect is per) and ``n_trained`` (its count: the number
        the effect is multiplied by), ``n_trained_person_times``, ``n_trained_distinct``,
        ``cost_per_trained`` (per ``unit``), ``cost_per_person_time``,
        ``cost_per_distinct_trained``, ``effect``, ``units_gained``, ``cost_per_unit_gain``,
        ``benefits``, ``roi_percent``, ``bcr`` (benefit–cost ratio),
        ``roi_ci_low``/``roi_ci_high`` (ROI at the effect's CI bounds, if given).
    assumptions : dict
        ``value_per_unit``, ``horizon_years``, ``effect_per``, ``effect_unit``,
        ``effect_source``, ``trained``.
    notes : tuple of str
    """

    sessions: pd.DataFrame
    summary: dict
    assumptions: dict
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return result_to_dict(self)


def _check_assumptions(effect, effect_ci, value_per_unit, horizon_years) -> None:
    """Nonsense assumptions raise ValueError naming the option (inf, nan, absurd sizes)."""
    def finite(name, v, *, positive=False, nonneg=False):
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number, not {v!r}") from None
        if not math.isfinite(x) or abs(x) > 1e15:
            raise ValueError(f"{name} must be a finite number of sensible size, not {v!r}")
        if positive and not x > 0:
            raise ValueError(f"{name} must be positive, not {v!r}")
        if nonneg and x < 0:
            raise ValueError(f"{name} must be >= 0, not {v!r}")

    finite("horizon_years", horizon_years, positive=True)
    if horizon_years > 100:
        raise ValueError(f"horizon_years must be at most 100, not {horizon_years!r}")
    if value_per_unit is not None:
        finite("value_per_unit", value_per_unit, nonneg=True)
    if effect is not None:
        finite("effect", effect)
    if effect_ci is not None:
        if len(effect_ci) != 2:
            raise ValueError(f"effect_ci must be a pair (low, high), not {effect_ci!r}")
        for v in effect_ci:
            finite("effect_ci", v)


def _session_costs(costs: pd.DataFrame) -> pd.DataFrame:
    c = costs.assign(**{TRAINING_ID: costs[TRAINING_ID].astype(str),
                        "amount": pd.to_numeric(costs["amount"]).astype(float)})
    if not np.isfinite(c["amount"]).all() or (c["amount"] < 0).any():
        raise AnalysisError("the costs table has negative, missing or infinite amounts")
    by_item = c.pivot_table(index=TRAINING_ID, columns="category", values="amount", aggfunc="sum",
                            fill_value=0.0)
    by_item.columns = [f"cost_{k}" for k in by_item.columns]
    return by_item


def _learners(attendance: pd.DataFrame, completed_only: bool) -> pd.DataFrame:
    att = attendance.assign(**{TRAINING_ID: attendance[TRAINING_ID].astype(str),
                               REP_ID: attendance[REP_ID].astype(str)})
    if "role" in att.columns:
        att = att[att["role"].astype(str) == "learner"]
    if completed_only and "completed" in att.columns:
        att = att[att["completed"].fillna(False).astype(bool)]
    return att


def _benefits(summary, ses, notes, effect, effect_ci, value_per_unit, horizon_years, n_unit, total,
              per_session) -> None:
    """Units gained, cost per unit and ROI (at the effect and its CI bounds), in place."""
    units = effect * n_unit * horizon_years
    summary["units_gained"] = float(units)
    ses["units_gained"] = per_session * effect * horizon_years
    if effect > 0:
        summary["cost_per_unit_gain"] = total / units
        ses["cost_per_unit_gain"] = ses["cost"] / ses["units_gained"].where(ses["units_gained"] > 0)
    else:
        notes.append(f"effect {effect:g} ≤ 0: there is no gain to price (cost per unit of gain undefined)")
    if value_per_unit is None:
        return
    ben = units * value_per_unit
    summary["benefits"] = float(ben)
    summary["roi_percent"] = roi_percent(ben, total)
    summary["bcr"] = float(ben / total)
    if effect_ci is not None:
        lo, hi = sorted(effect_ci)
        summary["roi_ci_low"] = roi_percent(lo * n_unit * horizon_years * value_per_unit, total)
        summary["roi_ci_high"] = roi_percent(hi * n_unit * horizon_years * value_per_unit, total)


def compute_roi(costs: pd.DataFrame, attendance: pd.DataFrame, *, effect: float | None = None,
                effect_ci: tuple[float, float] | None = None, value_per_unit: float | None = None,
                horizon_years: float = 1.0,
                effect_per: Literal["representative", "attendance"] = "representative",
                effect_unit: str = "outcome units per trained representative per year",
                effect_source: str = "user input", completed_only: bool = False) -> ROIResult:
    """Cost per trained representative, per unit of gain, and ROI.

    The effect and the count it is multiplied by must be of the same estimand. An effect
    estimated per representative ever trained (the DiD's ATT, a mean pre/post gain per
    learner) is multiplied by the **distinct** learners (``effect_per="representative"``,
    the default); only an effect per attendance (a dose effect: each further session adds
    that much) is multiplied by person-times (``effect_per="attendance"``). Multiplying a
    per-person effect by person-times counts a representative trained twice as gaining
    twice.

    Parameters
    ----------
    costs : DataFrame
        ``training_id, category, amount`` (yuan).
    attendance : DataFrame
        ``rep_id, training_id`` (+ ``role``: only learners count as trained; + ``completed``).
    effect : float, optional
        Gain per ``effect_per`` and year (e.g. the DiD estimate of extra proposals per
        trained representative, or the mean test gain in points with ``horizon_years=1``).
    effect_ci : (float, float), optional
        Interval of ``effect``; ROI is reported at both bounds (ROI is monotone in effect).
    value_per_unit : float, optional
        Monetised value (yuan) of one unit of outcome — an assumption, stated in the result.
        Without it, costs per unit of gain are given but no ROI.
    horizon_years : float
        Years over which the per-year effect accrues (0 < horizon ≤ 100).
    effect_per : {"representative", "attendance"}
        What one unit of ``effect`` is per (see above); the result states the unit and its
        count (``summary["unit"]``, ``summary["n_trained"]``).
    effect_unit, effect_source : str
        Words for the report.
    completed_only : bool
        Count only completed attendance as trained.

    Returns
    -------
    ROIResult

    Raises
    ------
    ValueError
        Infinite, missing or absurd assumptions (``horizon_years``, ``value_per_unit``,
        ``effect``, ``effect_ci``), each naming the option.

    Examples
    --------
    Hand-computed: 100,000 yuan for 20 trained → 5,000 per person; effect 1 proposal per
    representative and year over 2 years → 40 units → 2,500 yuan per unit; at 3,000 yuan
    per unit benefits are 120,000 → ROI 20 %.

    >>> c = pd.DataFrame({"training_id": ["T1", "T1"], "category": ["venue", "lodging"],
    ...                   "amount": [60_000.0, 40_000.0]})
    >>> a = pd.DataFrame({"rep_id": [f"A{i}" for i in range(20)], "training_id": "T1"})
    >>> r = compute_roi(c, a, effect=1.0, value_per_unit=3000, horizon_years=2)
    >>> r.summary["cost_per_trained"], r.summary["cost_per_unit_gain"], r.summary["roi_percent"]
    (5000.0, 2500.0, 20.0)
    >>> r.summary["unit"], r.summary["n_trained"]
    ('distinct representatives', 20)
    """
    require_columns(costs, [TRAINING_ID, "category", "amount"], table="costs")
    require_columns(attendance, [REP_ID, TRAINING_ID], table="attendance")
    unit_name, count_key = dispatch("effect_per", effect_per, _EFFECT_PER)
    _check_assumptions(effect, effect_ci, value_per_unit, horizon_years)
    by_item = _session_costs(costs)
    att = _learners(attendance, completed_only)
    notes = []
    costed = set(by_item.index)
    att_c = att[att[TRAINING_ID].isin(costed)].drop_duplicates([REP_ID, TRAINING_ID])
    n_by = att_c.groupby(TRAINING_ID)[REP_ID].nunique()
    # each distinct learner counts once, split equally over the costed sessions attended
    share = att_c.groupby(TRAINING_ID)[REP_ID].apply(
        lambda s: float((1.0 / s.map(att_c[REP_ID].value_counts())).sum()))
    no_learners = sorted(costed - set(n_by.index))
    if no_learners:
        notes.append(f"session(s) with costs but no trained learners: {', '.join(no_learners[:10])}"
                     + (" ..." if len(no_learners) > 10 else ""))
    uncosted = sorted(set(att[TRAINING_ID]) - costed)
    if uncosted:
        notes.append(f"{len(uncosted)} attended session(s) have no cost rows and are left out")
    ses = by_item.copy()
    ses.insert(0, "cost", by_item.sum(axis=1))
    ses.insert(1, "n_trained", n_by.reindex(ses.index).fillna(0).astype(int))
    ses.insert(2, "cost_per_trained", (ses["cost"] / ses["n_trained"].where(ses["n_trained"] > 0)))
    ses.insert(3, "n_trained_share", share.reindex(ses.index).fillna(0.0))
    total = float(ses["cost"].sum())
    if not total > 0:
        raise AnalysisError("the costs table sums to 0 yuan: no cost per trained representative")
    n_pt = int(ses["n_trained"].sum())
    n_distinct = int(att_c[REP_ID].nunique())
    if n_pt == 0:
        raise AnalysisError("no trained learner in any costed session")
    counts = {"n_trained_person_times": n_pt, "n_trained_distinct": n_distinct}
    n_unit = counts[count_key]
    per_session = ses["n_trained"] if effect_per == "attendance" else ses["n_trained_share"]
    summary = {"total_cost": total, "unit": unit_name, "n_trained": n_unit, **counts,
               "cost_per_trained": total / n_unit, "cost_per_person_time": total / n_pt,
               "cost_per_distinct_trained": total / n_distinct,
               "effect": effect, "units_gained": None, "cost_per_unit_gain": None, "benefits": None,
               "roi_percent": None, "bcr": None, "roi_ci_low": None, "roi_ci_high": None}
    if effect is not None:
        _benefits(summary, ses, notes, effect, effect_ci, value_per_unit, horizon_years, n_unit, total,
                  per_session)
    elif value_per_unit is not None:
        notes.append("value_per_unit given without an effect: no benefits computed")
    trained = ("distinct learners across the costed sessions (an effect per representative)"
               if effect_per == "representative" else
               "learner person-times across the costed sessions (an effect per attendance)")
    assumptions = {"value_per_unit": value_per_unit, "horizon_years": horizon_years,
                   "effect_per": effect_per, "effect_unit": effect_unit,
                   "effect_source": effect_source, "trained": trained}
    return ROIResult(sessions=ses.reset_index(), summary=summary, assumptions=assumptions,
                     notes=tuple(notes))
