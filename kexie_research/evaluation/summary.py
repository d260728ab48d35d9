"""Everything the data allow, in one call: the engine behind ``kexie-research evaluate`` and
the report's effectiveness section."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..io import to_jsonable
from ..schema import POST_SCORE, PRE_SCORE
from .causal import build_panel, estimate_did, estimate_event_study, estimate_mixed_model
from .heterogeneity import estimate_heterogeneity
from .learning import compute_learning
from .quality import compute_rater_agreement, compute_session_quality, rank_sessions
from .reliability import compute_reliability
from .roi import compute_roi
from .structure import compute_cfa, compute_efa

__all__ = ["EvaluationResult", "evaluate"]


@dataclass(frozen=True)
class EvaluationResult:
    """Results of every part that could run; ``skipped`` says why the others did not.

    Each attribute is the part's own result object (or ``None``): ``quality``
    (:class:`~.quality.QualityResult`), ``agreement``, ``ranking``, ``reliability``,
    ``efa``, ``cfa``, ``learning``, ``did``, ``event_study``, ``mixed``, ``heterogeneity``,
    ``roi``. ``parameters`` records the options used.
    """

    quality: Any = None
    agreement: Any = None
    ranking: Any = None
    reliability: Any = None
    efa: Any = None
    cfa: Any = None
    learning: Any = None
    did: Any = None
    event_study: Any = None
    mixed: Any = None
    heterogeneity: Any = None
    roi: Any = None
    skipped: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-able summary. Keys: ``reliability`` (rows: scale, alpha, ci_low, ci_high,
        omega, n...), ``sessions`` (per-session × per-dimension rows), ``learning`` (overall
        gain fields + ``sessions``), and every other part present, plus ``skipped``."""
        out: dict[str, Any] = {"skipped": dict(self.skipped), "parameters": to_jsonable(self.parameters)}
        if self.reliability is not None:
            out["reliability"] = to_jsonable(self.reliability.scales)
            out["reliability_items"] = to_jsonable(self.reliability.items)
            out["reliability_notes"] = list(self.reliability.notes)
        if self.quality is not None:
            out["sessions"] = to_jsonable(self.quality.scores)
            out["quality_weights"] = self.quality.weights
            out["quality_by_role"] = to_jsonable(self.quality.by_role)
        if self.agreement is not None:
            out["agreement"] = {"icc": to_jsonable(self.agreement.icc), "roles": list(self.agreement.roles),
                                "targets": self.agreement.targets, "n_targets": self.agreement.n_targets,
                                "krippendorff_alpha": to_jsonable(self.agreement.alpha)}
        if self.ranking is not None:
            out["ranking"] = to_jsonable(self.ranking.table)
        if self.efa is not None:
            out["efa"] = {k: v for k, v in self.efa.to_dict().items()}
        if self.cfa is not None:
            out["cfa"] = {**to_jsonable(self.cfa.fit_indices()), "converged": self.cfa.converged,
                          "heywood": self.cfa.heywood, "loadings": to_jsonable(self.cfa.loadings_frame())}
        if self.learning is not None:
            out["learning"] = {**self.learning.overall.to_dict(),
                               "sessions": to_jsonable(self.learning.sessions),
                               "notes": list(self.learning.notes)}
        for name in ("did", "event_study", "mixed", "heterogeneity", "roi"):
            obj = getattr(self, name)
            if obj is not None:
                out[name] = obj.to_dict()
        return out


def _has(df: pd.DataFrame | None, col: str) -> bool:
    return df is not None and col in df.columns and df[col].notna().any()


def evaluate(*, survey: pd.DataFrame | None = None, outputs: pd.DataFrame | None = None,
             representatives: pd.DataFrame | None = None, attendance: pd.DataFrame | None = None,
             trainings: pd.DataFrame | None = None, costs: pd.DataFrame | None = None,
             weights: Mapping[str, float] | None = None, outcome: str = "proposals",
             cluster: str = "rep_id", value_per_unit: float | None = None,
             horizon_years: float = 1.0, n_boot: int = 500, mixed: bool = True,
             seed: int | None = 20240, level: float = 0.95) -> EvaluationResult:
    """Run every effectiveness analysis the given tables support.

    Parts that the data cannot support (a table missing, one rater role, no pre scores, a
    singular correlation matrix...) are skipped with the reason in ``skipped`` rather than
    failing the whole evaluation. Errors in the user's options (an unknown rater role in
    ``weights``) still raise.

    Parameters
    ----------
    survey, outputs, representatives, attendance, trainings, costs : DataFrame, optional
        Validated tables (see :mod:`kexie_research.schema`).
    weights : dict, optional
        Rater-role weights (see :data:`~.quality.DEFAULT_ROLE_WEIGHTS`).
    outcome : str
        Duty output for DiD/event study/mixed model (see :data:`~.causal.OUTCOMES`).
    cluster : str
        Cluster variable of the DiD standard errors (``rep_id`` or ``province``).
    value_per_unit, horizon_years : float, optional
        ROI assumptions (yuan per unit of ``outcome``; years the effect lasts).
    n_boot : int
        Bootstrap replicates (ranking, group-time DiD).
    mixed : bool
        Fit the mixed model (the slowest part).
    seed : int, optional
        Seed of every bootstrap.
    level : float

    Returns
    -------
    EvaluationResult
    """
    ss = np.random.SeedSequence(seed)
    # spawn(4)'s first three children equal spawn(3)'s: adding a stream keeps old results
    rng_rank, rng_did, rng_efa, rng_agree = (np.random.default_rng(s) for s in ss.spawn(4))
    parts: dict[str, Any] = {}
    skipped: dict[str, str] = {}

    def run(name, fn, *deps):
        missing = [d for d, ok in deps if not ok]
        if missing:
            skipped[name] = f"no {' / '.join(missing)} data" if missing[0] != "session quality" else \
                f"no session quality scores ({skipped.get('quality', 'skipped')})"
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                parts[name] = fn()
        except AnalysisError as exc:
            skipped[name] = str(exc)
        return parts.get(name)

    has_survey = survey is not None and len(survey) > 0
    run("quality", lambda: compute_session_quality(survey, weights=weights, level=level, small="drop"),
        ("survey", has_survey))
    run("agreement", lambda: compute_rater_agreement(survey, level=level, n_boot=n_boot, rng=rng_agree),
        ("survey", has_survey))
    # the ranking re-uses the scores above rather than computing them a second time
    run("ranking", lambda: rank_sessions(survey, n_boot=max(n_boot, 10), level=level, rng=rng_rank,
                                         quality=parts["quality"]),
        ("survey", has_survey), ("session quality", "quality" in parts))
    run("reliability", lambda: compute_reliability(survey, by="rater_role", level=level, errors="skip"),
        ("survey", has_survey))
    run("efa", lambda: compute_efa(survey, n_iter=50, rng=rng_efa), ("survey", has_survey))
    run("cfa", lambda: compute_cfa(survey), ("survey", has_survey))
    run("learning", lambda: compute_learning(survey, level=level),
        ("pre/post score", _has(survey, PRE_SCORE) and _has(survey, POST_SCORE)))
    panel_ok = outputs is not None and attendance is not None and trainings is not None
    panel = run("panel", lambda: build_panel(outputs, attendance, trainings, representatives),
                ("outputs + attendance + trainings", panel_ok))
    parts.pop("panel", None)
    if panel is not None:
        run("did", lambda: estimate_did(panel, outcome=outcome, cluster=cluster, n_boot=n_boot,
                                        level=level, rng=rng_did), ("outputs", True))
        run("event_study", lambda: estimate_event_study(panel, outcome=outcome, cluster=cluster,
                                                        level=level), ("outputs", True))
        if mixed:
            run("mixed", lambda: estimate_mixed_model(panel, outcome=outcome, level=level),
                ("representatives (province)", representatives is not None and "province" in panel.columns))
        else:
            skipped["mixed"] = "not requested"
        run("heterogeneity", lambda: estimate_heterogeneity(panel, outcome=outcome, cluster=cluster,
                                                            level=level),
            ("representatives", representatives is not None))
    else:
        for name in ("did", "event_study", "mixed", "heterogeneity"):
            skipped[name] = skipped.get("panel", "no outputs data")
    skipped.pop("panel", None)
    eff = eff_ci = None
    src = ""
    if "did" in parts:
        row = parts["did"].table.set_index("method").iloc[-1]
        eff, eff_ci = float(row["estimate"]), (float(row["ci_low"]), float(row["ci_high"]))
        src = f"difference in differences ({parts['did'].table['method'].iloc[-1]}), {outcome}"
    run("roi", lambda: compute_roi(costs, attendance, effect=eff, effect_ci=eff_ci,
                                   value_per_unit=value_per_unit, horizon_years=horizon_years,
                                   # the group-time ATT is per representative ever trained
                                   effect_per="representative",
                                   effect_unit=f"{outcome} per trained representative per year",
                                   effect_source=src or "none"),
        ("costs", costs is not None), ("attendance", attendance is not None))
    params = {"weights": parts["quality"].weights if "quality" in parts else weights, "outcome": outcome,
              "cluster": cluster, "value_per_unit": value_per_unit, "horizon_years": horizon_years,
              "n_boot": n_boot, "seed": seed, "level": level, "mixed": mixed}
    return EvaluationResult(**parts, skipped=skipped, parameters=params)
