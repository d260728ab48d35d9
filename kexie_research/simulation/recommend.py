"""Policy levers ranked by simulated effect per unit cost, with a short text per lever.

Every lever is a declared transformation of a plan (:data:`LEVERS`). The base plan and
each modified plan are simulated with the same seed (common random numbers); effects are
differences of means with 90 % normal intervals (Welch: ``±1.645·√(s₁²/n + s₂²/n)``,
conservative under the positive correlation common random numbers induce). All numbers
are **model-based**: they follow from the plan's assumptions (acceptance, no-shows,
costs, the effect model), not from observed outcomes.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from .. import labels
from ..errors import PlanError
from .engine import Simulator
from .plan import Plan, SessionSpec, segment_value
from .population import load_population

__all__ = ["Lever", "LEVERS", "RecommendationResult", "recommend", "RANK_BY"]


@dataclass(frozen=True)
class Lever:
    """A plan change: its name and the transformation; display names from
    :mod:`kexie_research.labels` (kind ``"lever"``): :meth:`label`, ``label_zh``, ``label_en``."""

    name: str
    apply: Callable[[Plan], Plan]

    def label(self, lang: str = "zh") -> str:
        """Display name in ``lang`` (capitalised in English)."""
        return labels.label(self.name, lang, kind="lever", capitalize=True)

    @property
    def label_zh(self) -> str:
        return self.label("zh")

    @property
    def label_en(self) -> str:
        return self.label("en")


def _add(plan: Plan, s: SessionSpec) -> Plan:
    return dataclasses.replace(plan, sessions=plan.sessions + (s,))


def _default_accept(plan: Plan) -> float:
    a = plan.policy.accept_prob
    if isinstance(a, Mapping):
        return float(a.get("default", segment_value(a, "new")))
    return float(a)


def _online_clp(plan: Plan) -> Plan:
    acc = plan.policy.accept_prob
    d = dict(acc) if isinstance(acc, Mapping) else {"default": float(acc)}
    d["cannot_leave_post"] = _default_accept(plan)
    return _add(plan, SessionSpec(150, per_year=1, modality="online", segments=("cannot_leave_post",),
                                  accept_prob=d, name="lever: online for cannot-leave-post"))


LEVERS: dict[str, Lever] = {lv.name: lv for lv in (
    Lever("add_centralized_class",
          lambda p: _add(p, SessionSpec(100, per_year=1, modality="centralized", name="lever: extra class"))),
    Lever("never_trained_first",
          lambda p: dataclasses.replace(p, policy=dataclasses.replace(
              p.policy, selection="never_trained_first", reinvite_share=0.0))),
    Lever("online_for_cannot_leave_post", _online_clp),
    Lever("cross_region_exchange",
          lambda p: _add(p, SessionSpec(80, per_year=1, modality="exchange", regions=("west", "east"),
                                        name="lever: cross-region exchange"))),
    Lever("rep_organized",
          lambda p: _add(p, SessionSpec(40, per_year=2, modality="rep_organized",
                                        name="lever: representative-organised"))),
    Lever("capacity_plus_20pct",
          lambda p: dataclasses.replace(p, sessions=tuple(
              dataclasses.replace(s, capacity=max(1, int(round(s.capacity * 1.2)))) for s in p.sessions))),
    Lever("halve_no_shows",
          lambda p: dataclasses.replace(p, policy=dataclasses.replace(
              p.policy, no_show_prob=({k: v / 2 for k, v in p.policy.no_show_prob.items()}
                                      if isinstance(p.policy.no_show_prob, Mapping)
                                      else p.policy.no_show_prob / 2)))),
)}

RANK_BY = ("coverage", "mixing", "gain")
_Z90 = 1.6448536269514722


@dataclass(frozen=True)
class RecommendationResult:
    """Levers ranked (``table``), the base plan's outcome, and the options used."""

    table: pd.DataFrame
    base: dict
    rank_by: str
    replications: int
    seed: int
    basis: str = "model-based"

    def to_dict(self) -> dict:
        return {"basis": self.basis, "rank_by": self.rank_by, "replications": self.replications,
                "seed": self.seed, "base": self.base,
                "levers": self.table.to_dict(orient="records")}


def _diff(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    a = a[np.isfinite(a)]
    b = b[np.isfinite(b)]
    if not len(a) or not len(b):
        return (float("nan"),) * 3
    d = b.mean() - a.mean()
    se = math.sqrt((a.var(ddof=1) if len(a) > 1 else 0) / len(a) + (b.var(ddof=1) if len(b) > 1 else 0) / len(b))
    return float(d), float(d - _Z90 * se), float(d + _Z90 * se)


def _text(row: dict, label: str, lang: str) -> str:
    cov = row["d_coverage"] * 100
    lo, hi = row["d_coverage_lo"] * 100, row["d_coverage_hi"] * 100
    cost = row["d_cost"] / 1e6
    per = row["coverage_per_million"]
    mix = row["d_mixing"]
    gain = row["d_gain"]
    same = abs(row["d_cost"]) < 0.005 * max(row.get("base_cost", 0.0), 1.0)
    if lang == "zh":
        c = ("成本基本不变" if same else f"成本增加{cost:.2f}百万元,每百万元提高{per:.1f}个百分点"
             if cost > 0 else f"成本减少{-cost:.2f}百万元")
        return (f"【模型估计】{label}:任期末覆盖率变化{cov:+.1f}个百分点(90%区间{lo:+.1f}至{hi:+.1f}),"
                f"{c};跨区域交流指数变化{mix:+.3f},人均能力提升变化{gain:+.2f}分。")
    c = ("at about the same cost" if same else
         f"for {cost:.2f} million yuan more ({per:+.1f} points per million)" if cost > 0
         else f"while saving {-cost:.2f} million yuan")
    return (f"[Model-based] {label}: term-end coverage {cov:+.1f} points (90% interval "
            f"{lo:+.1f} to {hi:+.1f}) {c}; cross-region mixing {mix:+.3f}; expected gain per "
            f"representative {gain:+.2f} points.")


def recommend(plan: Plan, *, levers=None, replications: int = 500, seed: int | None = None,
              rank_by: str = "coverage", lang: str = "en") -> RecommendationResult:
    """Simulate each lever against the base plan and rank them by effect per unit cost.

    Parameters
    ----------
    plan : Plan
    levers : iterable of str, optional
        Names from :data:`LEVERS` (default: all).
    replications : int
    seed : int, optional
        Common seed of the base and every lever (default: the plan's population seed).
    rank_by : {"coverage", "mixing", "gain"}
        Ranking: effect on this outcome per million yuan of extra cost; levers that cost
        nothing (or save money) and help come first, ordered by effect.
    lang : {"zh", "en"}
        Language of the generated texts.

    Returns
    -------
    RecommendationResult
    """
    if rank_by not in RANK_BY:
        raise ValueError(f"rank_by must be one of {', '.join(RANK_BY)}, not {rank_by!r}")
    names = list(LEVERS) if levers is None else list(levers)
    for n in names:
        if n not in LEVERS:
            raise PlanError(f"unknown lever {n!r}; allowed: {', '.join(LEVERS)}")
    seed = plan.population.seed if seed is None else int(seed)
    pop = load_population(plan)
    base = Simulator(plan, pop).run(replications=replications, seed=seed)
    b = base.replicates
    rows = []
    for n in names:
        lv = LEVERS[n]
        res = Simulator(lv.apply(plan), pop).run(replications=replications, seed=seed)
        r = res.replicates
        dc = _diff(b["coverage"].to_numpy(float), r["coverage"].to_numpy(float))
        dm = _diff(b["mixing"].to_numpy(float), r["mixing"].to_numpy(float))
        dg = _diff(b["gain_per_rep"].to_numpy(float), r["gain_per_rep"].to_numpy(float))
        dcost = float(r["cost"].mean() - b["cost"].mean())
        row = {"lever": n, "label": lv.label_zh if lang == "zh" else lv.label_en,
               "d_coverage": dc[0], "d_coverage_lo": dc[1], "d_coverage_hi": dc[2],
               "d_mixing": dm[0], "d_mixing_lo": dm[1], "d_mixing_hi": dm[2],
               "d_gain": dg[0], "d_gain_lo": dg[1], "d_gain_hi": dg[2], "d_cost": dcost,
               "coverage_after": res.coverage_mean, "cost_after": res.cost_mean,
               "base_cost": float(b["cost"].mean())}
        per_m = dcost / 1e6
        for k, v in (("coverage", dc[0] * 100), ("mixing", dm[0]), ("gain", dg[0])):
            row[f"{k}_per_million"] = (v / per_m) if per_m > 1e-9 else (math.inf if v > 0 else 0.0) \
                if per_m >= -1e-9 else (math.inf if v >= 0 else -math.inf)
        row["text"] = _text(row, row["label"], lang)
        row["basis"] = "model-based"
        rows.append(row)
    t = pd.DataFrame(rows)
    eff = t[f"d_{rank_by}"].fillna(0)
    per = t[f"{rank_by}_per_million"].replace([np.inf], 1e12).fillna(-1e12)
    t = t.assign(_free=(t["d_cost"] <= 1e-9) & (eff > 0), _per=per, _eff=eff)
    t = t.sort_values(["_free", "_per", "_eff"], ascending=[False, False, False], kind="stable")
    t = t.drop(columns=["_free", "_per", "_eff"]).reset_index(drop=True)
    t.insert(0, "rank", np.arange(1, len(t) + 1))
    s = base.summary
    return RecommendationResult(
        table=t, base={"coverage": s["coverage"], "cost": s["cost"]["mean"],
                       "mixing": s["mixing"]["mean"], "gain_per_rep": s["gain_per_rep"]["mean"]},
        rank_by=rank_by, replications=int(replications), seed=seed)
