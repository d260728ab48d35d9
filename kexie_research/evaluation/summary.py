"""Everything the data allow, in one call: the engine behind ``kexie-research evaluate`` and
the report's effectiveness section (one pipeline, one seed scheme, the same defaults)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..io import to_jsonable
from ..schema import POST_SCORE, PRE_SCORE
from .causal import OUTCOMES, build_panel, estimate_did, estimate_event_study, estimate_mixed_model
from .group_time import prepare_did_panel
from .heterogeneity import estimate_heterogeneity
from .learning import compute_learning
from .power import plan_design
from .quality import compute_rater_agreement, compute_session_quality, rank_sessions
from .reliability import compute_reliability
from .roi import compute_roi
from .structure import compute_cfa, compute_efa

__all__ = ["EvaluationResult", "evaluate", "DEFAULTS"]

DEFAULTS: dict[str, Any] = {
    "outcome": "proposals", "cluster": "rep_id", "control": "auto", "base_period": "varying",
    "se": "bootstrap", "late_cohorts": "never_treated", "post_rule": "mid_year", "leads": None,
    "lags": None, "horizon_years": 1.0, "n_boot": 500, "seed": 20240, "level": 0.95,
    "design_outcome": "gain", "design_effect_size": 0.3, "design_cluster_size": 30,
    "design_assumed_icc": 0.05,
}
"""Defaults of :func:`evaluate`, shared by the CLI (``kexie-research evaluate``) and the
report's effectiveness section, so that the same seed gives the same numbers in both."""


@dataclass(frozen=True)
class EvaluationResult:
    """Results of every part that could run; ``skipped`` says why the others did not.

    Each attribute is the part's own result object (or ``None``): ``quality``
    (:class:`~.quality.QualityResult`), ``agreement``, ``ranking``, ``reliability``,
    ``efa``, ``cfa``, ``learning``, ``design`` (:class:`~.power.DesignPlan`), ``did``,
    ``event_study``, ``mixed``, ``heterogeneity``, ``roi``. ``parameters`` records the
    options used; ``notes`` what was recoded or assumed on the way (cohort rule, first
    treatment 0...).
    """

    quality: Any = None
    agreement: Any = None
    ranking: Any = None
    reliability: Any = None
    efa: Any = None
    cfa: Any = None
    learning: Any = None
    design: Any = None
    did: Any = None
    event_study: Any = None
    mixed: Any = None
    heterogeneity: Any = None
    roi: Any = None
    skipped: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-able summary. Keys: ``reliability`` (rows: scale, alpha, ci_low, ci_high,
        omega, n...), ``sessions`` (per-session × per-dimension rows with ``df``),
        ``quality_interval``, ``ranking`` (rows with rank intervals and neighbour flags),
        ``learning`` (overall gain fields + ``sessions``), ``design``, and every other part
        present, plus ``skipped``, ``parameters`` and ``notes``."""
        out: dict[str, Any] = {"skipped": dict(self.skipped), "parameters": to_jsonable(self.parameters),
                               "notes": list(self.notes)}
        if self.reliability is not None:
            out["reliability"] = to_jsonable(self.reliability.scales)
            out["reliability_items"] = to_jsonable(self.reliability.items)
            out["reliability_notes"] = list(self.reliability.notes)
        if self.quality is not None:
            out["sessions"] = to_jsonable(self.quality.scores)
            out["quality_weights"] = self.quality.weights
            out["quality_by_role"] = to_jsonable(self.quality.by_role)
            out["quality_interval"] = self.quality.interval
        if self.agreement is not None:
            out["agreement"] = {"icc": to_jsonable(self.agreement.icc), "roles": list(self.agreement.roles),
                                "targets": self.agreement.targets, "n_targets": self.agreement.n_targets,
                                "krippendorff_alpha": to_jsonable(self.agreement.alpha)}
        if self.ranking is not None:
            out["ranking"] = to_jsonable(self.ranking.table)
            out["ranking_n_boot"] = self.ranking.n_boot
        if self.efa is not None:
            out["efa"] = {k: v for k, v in self.efa.to_dict().items()}
        if self.cfa is not None:
            out["cfa"] = {**to_jsonable(self.cfa.fit_indices()), "converged": self.cfa.converged,
                          "heywood": self.cfa.heywood, "loadings": to_jsonable(self.cfa.loadings_frame())}
        if self.learning is not None:
            out["learning"] = {**self.learning.overall.to_dict(),
                               "sessions": to_jsonable(self.learning.sessions),
                               "notes": list(self.learning.notes)}
        for name in ("design", "did", "event_study", "mixed", "heterogeneity", "roi"):
            obj = getattr(self, name)
            if obj is not None:
                out[name] = obj.to_dict()
        return out


def _has(df: pd.DataFrame | None, col: str) -> bool:
    return df is not None and col in df.columns and df[col].notna().any()


class _Runner:
    """Runs parts, recording results and the reason a part was skipped."""

    def __init__(self):
        self.parts: dict[str, Any] = {}
        self.skipped: dict[str, str] = {}

    def __call__(self, name: str, fn: Callable[[], Any], *deps) -> Any:
        missing = [d for d, ok in deps if not ok]
        if missing:
            self.skipped[name] = (f"no session quality scores ({self.skipped.get('quality', 'skipped')})"
                                  if missing[0] == "session quality" else f"no {' / '.join(missing)} data")
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                self.parts[name] = fn()
        except AnalysisError as exc:
            self.skipped[name] = str(exc)
        return self.parts.get(name)


def _survey_parts(run: _Runner, survey, weights, n_boot, level, rngs, design) -> None:
    """Levels 1–2 and the instrument: quality, agreement, ranking, reliability, EFA, CFA,
    learning, and the design of the next study."""
    has_survey = survey is not None and len(survey) > 0
    run("quality", lambda: compute_session_quality(survey, weights=weights, level=level, small="drop"),
        ("survey", has_survey))
    run("agreement", lambda: compute_rater_agreement(survey, level=level, n_boot=n_boot, rng=rngs["agree"]),
        ("survey", has_survey))
    # the ranking re-uses the scores above rather than computing them a second time
    run("ranking", lambda: rank_sessions(survey, n_boot=max(n_boot, 10), level=level, rng=rngs["rank"],
                                         quality=run.parts["quality"]),
        ("survey", has_survey), ("session quality", "quality" in run.parts))
    run("reliability", lambda: compute_reliability(survey, by="rater_role", level=level, errors="skip"),
        ("survey", has_survey))
    run("efa", lambda: compute_efa(survey, n_iter=50, rng=rngs["efa"]), ("survey", has_survey))
    run("cfa", lambda: compute_cfa(survey), ("survey", has_survey))
    run("learning", lambda: compute_learning(survey, level=level),
        ("pre/post score", _has(survey, PRE_SCORE) and _has(survey, POST_SCORE)))
    run("design", lambda: plan_design(survey, outcome=design["outcome"], effect_size=design["effect_size"],
                                      cluster_size=design["cluster_size"], assumed_icc=design["assumed_icc"]),
        ("survey", has_survey))


def _panel_parts(run: _Runner, panel, *, builtin: bool, has_reps: bool, did_kw: dict, es_kw: dict,
                 mixed: bool, level: float, rng_did) -> None:
    """Levels 3–4 on a panel: DiD, event study and (built-in panel) mixed model, segments."""
    run("did", lambda: estimate_did(panel, **did_kw, level=level, rng=rng_did))
    run("event_study", lambda: estimate_event_study(panel, **es_kw, level=level))
    if not builtin:
        for name in ("mixed", "heterogeneity"):
            run.skipped[name] = "needs the built-in outputs/representatives tables (provinces, segments)"
        return
    outcome, cluster = did_kw["outcome"], did_kw["cluster"]
    if mixed:
        run("mixed", lambda: estimate_mixed_model(panel, outcome=outcome, level=level),
            ("representatives (province)", has_reps and "province" in panel.columns))
    else:
        run.skipped["mixed"] = "not requested"
    run("heterogeneity", lambda: estimate_heterogeneity(panel, outcome=outcome, cluster=cluster, level=level),
        ("representatives", has_reps))


def evaluate(*, survey: pd.DataFrame | None = None, outputs: pd.DataFrame | None = None,
             representatives: pd.DataFrame | None = None, attendance: pd.DataFrame | None = None,
             trainings: pd.DataFrame | None = None, costs: pd.DataFrame | None = None,
             panel: pd.DataFrame | None = None, unit: str | None = None, time: str | None = None,
             cohort: str | None = None, weights: Mapping[str, float] | None = None,
             outcome: str = DEFAULTS["outcome"], cluster: str | None = None,
             control: str = DEFAULTS["control"], base_period: str = DEFAULTS["base_period"],
             se: str = DEFAULTS["se"], late_cohorts: str = DEFAULTS["late_cohorts"],
             post_rule: str = DEFAULTS["post_rule"], leads: int | None = DEFAULTS["leads"],
             lags: int | None = DEFAULTS["lags"], value_per_unit: float | None = None,
             horizon_years: float = DEFAULTS["horizon_years"], n_boot: int = DEFAULTS["n_boot"],
             mixed: bool = True, seed: int | None = DEFAULTS["seed"], level: float = DEFAULTS["level"],
             design_outcome: str = DEFAULTS["design_outcome"],
             design_effect_size: float = DEFAULTS["design_effect_size"],
             design_cluster_size: float = DEFAULTS["design_cluster_size"],
             design_assumed_icc: float = DEFAULTS["design_assumed_icc"]) -> EvaluationResult:
    """Run every effectiveness analysis the given tables support.

    Parts that the data cannot support (a table missing, one rater role, no pre scores, a
    singular correlation matrix...) are skipped with the reason in ``skipped`` rather than
    failing the whole evaluation. Errors in the user's options (an unknown rater role in
    ``weights``, an unknown control group) still raise.

    Seeds: ``SeedSequence(seed).spawn(4)`` gives the ranking, DiD, EFA and agreement
    generators, in that order (adding a stream keeps the earlier ones).

    Parameters
    ----------
    survey, outputs, representatives, attendance, trainings, costs : DataFrame, optional
        Validated tables (see :mod:`kexie_research.schema`).
    panel : DataFrame, optional
        A researcher's own long panel instead of the built-in outputs tables: the DiD and
        event study run on it with columns ``unit``, ``time``, ``cohort`` (first treated
        period; 0 = never) and ``outcome`` (any number).
    unit, time, cohort : str, optional
        Column names of ``panel`` (required with it).
    weights : dict, optional
        Rater-role weights (see :data:`~.quality.DEFAULT_ROLE_WEIGHTS`).
    outcome : str
        Outcome of the DiD/event study/mixed model: one of :data:`~.causal.OUTCOMES` for
        the built-in tables, any numeric column of ``panel``.
    cluster : str, optional
        Cluster of the DiD standard errors (default: the unit; ``province`` for the built-in
        tables, any column constant within units for a panel).
    control, base_period, se, late_cohorts
        Group-time options (:func:`~.causal.estimate_did`; defaults as R's ``did``).
    post_rule : {"mid_year", "session_year", "next_year"}
        Which year a session starts a cohort (:func:`~.causal.build_panel`); stated in ``notes``.
    leads, lags : int, optional
        Bin the TWFE event study beyond these (default: no binning).
    value_per_unit, horizon_years : float, optional
        ROI assumptions (yuan per unit of ``outcome``; years the effect lasts).
    n_boot : int
        Bootstrap replicates (ranking, agreement, group-time DiD).
    mixed : bool
        Fit the mixed model (the slowest part).
    seed : int, optional
        Seed of every bootstrap.
    level : float
    design_outcome, design_effect_size, design_cluster_size, design_assumed_icc
        The planned study (:func:`~.power.plan_design`): ICC estimated on ``design_outcome``
        (the learning gain by default).

    Returns
    -------
    EvaluationResult
    """
    if panel is not None and not (unit and time and cohort):
        raise ValueError("a panel needs its unit, time and cohort (first treatment) columns named")
    if panel is None and outputs is not None and outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(map(repr, OUTCOMES))} for the outputs "
                         f"table, not {outcome!r}")
    cohorts = None
    ss = np.random.SeedSequence(seed)
    rng_rank, rng_did, rng_efa, rng_agree = (np.random.default_rng(s) for s in ss.spawn(4))
    run = _Runner()
    notes: list[str] = []
    _survey_parts(run, survey, weights, n_boot, level, {"rank": rng_rank, "efa": rng_efa, "agree": rng_agree},
                  {"outcome": design_outcome, "effect_size": design_effect_size,
                   "cluster_size": design_cluster_size, "assumed_icc": design_assumed_icc})
    group_kw = {"control": control, "base_period": base_period, "se": se, "late_cohorts": late_cohorts}
    if panel is not None:
        cols = {"unit": unit, "time": time, "cohort": cohort, "outcome": outcome}
        cluster = cluster or unit
        # the caller's own panel: a wrong column name or value is an error, not a skipped part
        prepare_did_panel(panel, **cols, cluster=cluster, late_cohorts=late_cohorts)
        _panel_parts(run, panel, builtin=False, has_reps=False,
                     did_kw={**cols, "cluster": cluster, **group_kw, "n_boot": n_boot},
                     es_kw={**cols, "cluster": cluster, "leads": leads, "lags": lags,
                            "late_cohorts": late_cohorts}, mixed=mixed, level=level, rng_did=rng_did)
    else:
        cluster = cluster or "rep_id"
        panel_ok = outputs is not None and attendance is not None and trainings is not None
        built = run("panel", lambda: build_panel(outputs, attendance, trainings, representatives,
                                                 post_rule=post_rule),
                    ("outputs + attendance + trainings", panel_ok))
        run.parts.pop("panel", None)
        if built is not None:
            notes.extend(built.attrs.get("notes", ()))
            cohorts = built.attrs.get("cohorts")
            _panel_parts(run, built, builtin=True, has_reps=representatives is not None,
                         did_kw={"outcome": outcome, "cluster": cluster, **group_kw, "n_boot": n_boot},
                         es_kw={"outcome": outcome, "cluster": cluster, "leads": leads, "lags": lags,
                                "late_cohorts": late_cohorts}, mixed=mixed, level=level, rng_did=rng_did)
        else:
            for name in ("did", "event_study", "mixed", "heterogeneity"):
                run.skipped[name] = run.skipped.get("panel", "no outputs data")
        run.skipped.pop("panel", None)
    if "did" in run.parts:
        notes.extend(run.parts["did"].notes)
    _roi_part(run, costs, attendance, outcome, value_per_unit, horizon_years)
    params = {"weights": run.parts["quality"].weights if "quality" in run.parts else weights,
              "outcome": outcome, "cluster": cluster, "control": control, "base_period": base_period,
              "se": se, "late_cohorts": late_cohorts, "post_rule": post_rule if panel is None else None,
              "leads": leads, "lags": lags, "value_per_unit": value_per_unit,
              "horizon_years": horizon_years, "n_boot": n_boot, "seed": seed, "level": level,
              "mixed": mixed, "cohorts": cohorts, "panel_columns": {"unit": unit, "time": time, "cohort": cohort} if panel is not None
              else None, "design": {"outcome": design_outcome, "effect_size": design_effect_size,
                                    "cluster_size": design_cluster_size, "assumed_icc": design_assumed_icc}}
    return EvaluationResult(**run.parts, skipped=run.skipped, parameters=params,
                            notes=tuple(dict.fromkeys(notes)))


def _roi_part(run: _Runner, costs, attendance, outcome, value_per_unit, horizon_years) -> None:
    """ROI with the group-time ATT, an effect per representative ever trained."""
    eff = eff_ci = None
    src = "none"
    if "did" in run.parts:
        tab = run.parts["did"].table.set_index("method")
        row = tab.iloc[-1]
        eff, eff_ci = float(row["estimate"]), (float(row["ci_low"]), float(row["ci_high"]))
        src = f"difference in differences ({tab.index[-1]}), {outcome}"
    run("roi", lambda: compute_roi(costs, attendance, effect=eff, effect_ci=eff_ci,
                                   value_per_unit=value_per_unit, horizon_years=horizon_years,
                                   # the group-time ATT is per representative ever trained
                                   effect_per="representative",
                                   effect_unit=f"{outcome} per trained representative per year",
                                   effect_source=src),
        ("costs", costs is not None), ("attendance", attendance is not None))
