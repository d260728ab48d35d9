"""The effect model: expected competency gain of an attendance, and its calibration.

Model (:class:`~kexie_research.simulation.plan.EffectModel`): an attendance of ``h`` class
hours in modality ``m`` has ``h_eff = h * multiplier[m]`` effective hours and adds

    gain = gain_per_hour * saturation_hours * (1 - exp(-h_eff / saturation_hours))

score points (0–100 competency scale) to a person never trained before, and
``repeat_factor`` times that to a person already trained: returns diminish within a session
(hours) and across sessions (repeats).

Calibration from the effectiveness module: pre/post test scores (survey ``pre_score`` /
``post_score``) give a mean learning gain per session; with the session's hours and
modality, :func:`calibrate_effect` fits ``gain_per_hour`` (and modality multipliers,
relative to ``centralized``) by non-linear least squares for a fixed ``saturation_hours``;
``repeat_factor`` is the ratio of mean gains of repeat attendees to first-time attendees
where attendance histories exist. Until such data exist the defaults are assumptions.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from .plan import EffectModel, Plan, SessionSpec

__all__ = ["session_hours", "attendance_gain", "calibrate_effect", "session_gains"]


def session_hours(plan: Plan, s: SessionSpec) -> float:
    """Class hours of a session (its own ``hours`` or its modality's)."""
    return float(s.hours if s.hours is not None else plan.modalities[s.modality].hours)


def attendance_gain(plan: Plan, s: SessionSpec) -> tuple[float, float]:
    """Expected gain of one attendance: ``(first-time, repeat)``.

    Examples
    --------
    >>> from kexie_research.simulation.plan import Term
    >>> p = Plan(Term(1), (SessionSpec(10, modality="centralized"),))
    >>> g0, g1 = attendance_gain(p, p.sessions[0])   # 0.6*24*(1-e^-1), half for a repeat
    >>> round(g0, 3), round(g1 / g0, 2)
    (9.103, 0.5)
    """
    m = plan.modalities[s.modality]
    g0 = plan.effect.gain(session_hours(plan, s), m.effect_multiplier)
    return g0, g0 * plan.effect.repeat_factor


def session_gains(trainings: pd.DataFrame, attendance: pd.DataFrame,
                  survey: pd.DataFrame) -> pd.DataFrame:
    """Observed mean learning gain per session, the input of :func:`calibrate_effect`.

    ``gain`` is the mean ``post_score − pre_score`` of the session's learner responses with
    both scores; ``hours`` the mean hours its learners attended; ``modality`` the session's
    (the plan's modality names: schema modalities map onto them, ``exchange`` and
    ``study_tour`` as is).

    Examples
    --------
    >>> tr = pd.DataFrame({"training_id": ["T1", "T2"], "modality": ["centralized", "online"]})
    >>> att = pd.DataFrame({"rep_id": ["a", "b", "c"], "training_id": ["T1", "T1", "T2"],
    ...                     "hours": [24, 24, 10], "role": ["learner"] * 3})
    >>> sv = pd.DataFrame({"training_id": ["T1", "T1", "T2"], "rater_role": ["learner"] * 3,
    ...                    "pre_score": [50, 60, 55], "post_score": [62, 70, 60]})
    >>> session_gains(tr, att, sv)[["training_id", "hours", "modality", "gain"]].values.tolist()
    [['T1', 24.0, 'centralized', 11.0], ['T2', 10.0, 'online', 5.0]]
    """
    need = {"training_id", "pre_score", "post_score"}
    if not need <= set(survey.columns):
        raise AnalysisError("the survey table has no pre_score/post_score: no gains to calibrate on")
    sv = survey
    if "rater_role" in sv.columns:
        sv = sv[sv["rater_role"].astype(str) == "learner"]
    sv = sv.dropna(subset=["pre_score", "post_score"])
    g = (sv["post_score"].astype(float) - sv["pre_score"].astype(float)).groupby(sv["training_id"].astype(str))
    gains = pd.DataFrame({"gain": g.mean(), "n_responses": g.size()})
    att = attendance
    if "role" in att.columns:
        att = att[att["role"].astype(str) == "learner"]
    hours = att.groupby(att["training_id"].astype(str))["hours"].mean().astype(float).rename("hours")
    mod = trainings.set_index(trainings["training_id"].astype(str))["modality"].astype(str).rename("modality")
    out = gains.join(hours, how="inner").join(mod, how="inner").reset_index(names="training_id")
    if out.empty:
        raise AnalysisError("no session has both test scores and attendance hours")
    return out[["training_id", "hours", "modality", "gain", "n_responses"]]


def calibrate_effect(obs: pd.DataFrame, *, saturation_hours: float = 24.0,
                     reference: str = "centralized") -> tuple[EffectModel, dict[str, float]]:
    """Fit ``gain_per_hour`` and modality multipliers to observed mean gains.

    Parameters
    ----------
    obs : DataFrame
        One row per session with ``hours``, ``modality`` and ``gain`` (mean post − pre score
        of first-time attendees, e.g. from the effectiveness module).
    saturation_hours : float
        Held fixed (hours and saturation are not separately identified from a few sessions).
    reference : str
        Modality whose multiplier is 1.

    Returns
    -------
    (EffectModel, dict)
        The model (``repeat_factor`` default) and ``{modality: multiplier}``.

    Examples
    --------
    >>> em = EffectModel(0.5, 24.0)
    >>> obs = pd.DataFrame({"hours": [24, 12, 10, 10], "modality": ["centralized"] * 2 + ["online"] * 2,
    ...                     "gain": [em.gain(24), em.gain(12), em.gain(10, 0.6), em.gain(10, 0.6)]})
    >>> model, mult = calibrate_effect(obs)
    >>> round(model.gain_per_hour, 3), round(mult["online"], 3)
    (0.5, 0.6)
    """
    from scipy.optimize import least_squares

    need = {"hours", "modality", "gain"}
    if not need <= set(obs.columns):
        raise AnalysisError(f"calibrate_effect needs columns {sorted(need)}")
    df = obs.dropna(subset=sorted(need))
    if reference not in set(df["modality"]):
        raise AnalysisError(f"no observation of the reference modality {reference!r}")
    mods = sorted(set(df["modality"]) - {reference})
    if len(df) < 1 + len(mods):
        raise AnalysisError("too few sessions to fit the effect model")
    h = df["hours"].to_numpy(float)
    y = df["gain"].to_numpy(float)
    mi = np.array([mods.index(m) if m != reference else -1 for m in df["modality"]])
    S = float(saturation_hours)

    def resid(theta):
        a = theta[0]
        mult = np.where(mi < 0, 1.0, theta[1:][np.maximum(mi, 0)] if mods else 1.0)
        return a * S * (1 - np.exp(-h * mult / S)) - y

    x0 = np.r_[max(y.mean() / max(h.mean(), 1e-9), 1e-3), np.ones(len(mods))]
    fit = least_squares(resid, x0, bounds=(0, np.inf))
    model = EffectModel(gain_per_hour=float(fit.x[0]), saturation_hours=S)
    mult = {reference: 1.0, **{m: float(v) for m, v in zip(mods, fit.x[1:])}}
    if not math.isfinite(model.gain_per_hour):  # pragma: no cover
        raise AnalysisError("effect calibration did not converge")
    return model, mult
