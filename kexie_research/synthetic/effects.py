"""The truth planted in the synthetic data (what estimators should recover).

Everything here is a *parameter* of the generator; realised values of one draw (the
session qualities, the average effect on the treated actually present in the shipped
data) are written to ``datasets/synthetic/MANIFEST.json`` under ``"realised"``.
"""

from __future__ import annotations

import numpy as np

from ..stats import co_information

__all__ = ["PLANTED_EFFECTS"]

_PROVINCE_SD_LOG = 0.3
_REP_SD_LOG = 0.6

_EFFECTS = {
    # ---- Kirkpatrick level 2: learners' knowledge test (survey.pre_score / post_score)
    # post = clip(pre + gain, 0, 100), pre ~ N(62, 12) clipped to [0, 100], gain ~ N(8, 10),
    # both rounded to 0.1; the clipping at 100 trims the realised mean gain slightly.
    "pre_post_gain_mean": 8.0,
    "pre_post_gain_sd": 10.0,
    "pre_score_mean": 62.0,
    "pre_score_sd": 12.0,
    "pre_post_missing_rate": 0.03,  # learners without a test (both scores empty)
    # ---- Kirkpatrick levels 3-4: duty outputs (outputs table), additive effects on the
    # expected yearly count from the first post-training year on (no anticipation, no
    # dynamics: leads are exactly 0, lags constant). Effect for NEW representatives
    # (is_reelected = False); re-elected representatives get effect + reelected_extra.
    # No planted difference by is_frontline or by modality (true nulls).
    "did_effect_proposals": 0.5,
    "did_effect_reelected_extra": -0.3,
    "did_effect_frontline_extra": 0.0,
    "did_effect_online_extra": 0.0,
    "did_post_rule": ("a representative counts as treated from the calendar year of the end "
                      "date of his or her first session attended as learner if it ended by "
                      "30 June, else from the next year; never-trained representatives are "
                      "controls"),
    "outputs_years": [2016, 2021],
    "outputs": {
        # E[count_it] = b_i + trend_t + tau_i * post_it, with b_i = baseline_mean *
        # exp(u_province + v_rep - (sd_p^2 + sd_r^2)/2) (so E[b_i] = baseline_mean);
        # count ~ Poisson(E * G), G ~ Gamma(nb_shape, 1/nb_shape): negative binomial with
        # the additive mean above, so linear two-way fixed effects estimate tau directly.
        "proposals": {"baseline_mean": 1.2, "effect_new": 0.5, "effect_reelected_extra": -0.3,
                      "year_trend": {"2016": 0.0, "2017": 0.05, "2018": 0.10, "2019": 0.15,
                                     "2020": 0.08, "2021": 0.20}},
        "research_reports": {"baseline_mean": 0.6, "effect_new": 0.3,
                             "effect_reelected_extra": -0.15,
                             "year_trend": {"2016": 0.0, "2017": 0.03, "2018": 0.06,
                                            "2019": 0.08, "2020": 0.05, "2021": 0.10}},
        "suggestions_adopted": {"baseline_mean": 0.4, "effect_new": 0.2,
                                "effect_reelected_extra": -0.1,
                                "year_trend": {"2016": 0.0, "2017": 0.02, "2018": 0.04,
                                               "2019": 0.05, "2020": 0.03, "2021": 0.06}},
    },
    # log-baseline shifts by attribute (the baselines are rescaled so that their sample mean
    # stays baseline_mean). Sessions recruit on these attributes (can leave post, front-line),
    # so trained and untrained representatives differ in LEVEL before training
    "baseline_log_effects": {"is_reelected": 0.25, "is_academician": 0.2, "is_frontline": -0.15,
                             "can_leave_post": 0.3},
    "province_sd_log": _PROVINCE_SD_LOG,
    "rep_sd_log": _REP_SD_LOG,
    # share of the between-representative variance of the log baseline that lies between
    # provinces: sd_p^2 / (sd_p^2 + sd_r^2) = 0.09 / 0.45
    "icc_province": round(_PROVINCE_SD_LOG ** 2 / (_PROVINCE_SD_LOG ** 2 + _REP_SD_LOG ** 2), 6),
    "nb_shape": 4.0,
    # ---- quality survey: y_ik = round(intercept_k + role_bias + loading_k * f_i + e_ik),
    # clipped to 1..5, f_i = q_session + person_i, q ~ N(0, session_quality_sd),
    # person ~ N(0, person_factor_sd), e ~ N(0, item_error_sd). Loadings are on the Likert
    # scale per unit of f.
    "item_loadings": {"needs_fit": 0.80, "curriculum_design": 0.85, "lecturers": 0.75,
                      "content_satisfaction": 0.90, "method_effectiveness": 0.80,
                      "organisation": 0.60, "study_climate": 0.65, "capability_gain": 0.85},
    "item_intercepts": {"needs_fit": 3.9, "curriculum_design": 3.8, "lecturers": 4.1,
                        "content_satisfaction": 3.9, "method_effectiveness": 3.7,
                        "organisation": 4.2, "study_climate": 4.0, "capability_gain": 3.8},
    "session_quality_sd": 0.3,
    "person_factor_sd": 0.6,
    "item_error_sd": 0.45,
    # session share of the latent factor variance: 0.3^2 / (0.3^2 + 0.6^2)
    "icc_session_latent": 0.2,
    "rater_role_bias": {"learner": 0.0, "teacher": 0.3, "manager": 0.2, "office": 0.4},
    "item_missing_rate": 0.005,  # learners' items left blank at random
    # ---- networks: provinces with planted enterprise-university-government synergy
    # (more bilateral, fewer trilateral-or-single project compositions -> lower T)
    "triple_helix_synergy_provinces": ["江苏", "广东", "浙江", "湖北"],
    # project compositions: probability of each pattern of (university, industry,
    # government) presence; (0, 0, 0) = projects of other actors only (hospitals, finance).
    # Synergy provinces lean to bilateral compositions, the others to all-three-or-one.
    "triple_helix_patterns": {
        "patterns": [[0, 0, 0], [1, 1, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1], [0, 1, 0], [1, 0, 0], [0, 0, 1]],
        "synergy_provinces": [0.08, 0.28, 0.27, 0.27, 0.01, 0.03, 0.03, 0.03],
        "other_provinces": [0.04, 0.22, 0.05, 0.05, 0.28, 0.16, 0.16, 0.04],
    },
}


def _co_information(patterns, probs, *, drop_none=False) -> float:
    """T in bits of a distribution over 0/1 helix patterns (``drop_none``: without 000)."""
    t = np.zeros((2,) * len(patterns[0]))
    for k, v in zip(patterns, probs):
        if not (drop_none and not any(k)):
            t[tuple(k)] += v
    return co_information(t)


def _survey_derived(e: dict) -> dict:
    """Standardised loadings and Cronbach's alpha of the continuous (unrounded) learner items."""
    import math
    var_f = e["session_quality_sd"] ** 2 + e["person_factor_sd"] ** 2
    lam = e["item_loadings"]
    err = e["item_error_sd"] ** 2
    std = {k: round(v * math.sqrt(var_f) / math.sqrt(v * v * var_f + err), 4) for k, v in lam.items()}
    k = len(lam)
    tot = sum(lam.values()) ** 2 * var_f + k * err
    alpha = k / (k - 1) * (1 - sum(v * v * var_f + err for v in lam.values()) / tot)
    return {"item_loadings_standardized": std, "alpha_learners_continuous": round(alpha, 4)}


# derived, for checking factor analyses and reliability: the standardised loadings and alpha
# of the continuous items across sessions (rounding to 1..5 attenuates both a little; the
# realised alpha of the shipped data is in the MANIFEST)
_EFFECTS.update(_survey_derived(_EFFECTS))

_TH = _EFFECTS["triple_helix_patterns"]
# expected T (bits) of the planted compositions; unit: a project (project_id); a class counts
# once if any partner of it takes part (classes: kexie_research.synthetic.HELIX_CLASSES);
# province = the lead partner's (source_id of the project's first link row). "excl_none"
# leaves out projects with none of the three classes. Realised values are in the MANIFEST.
_EFFECTS["triple_helix_T_bits"] = {
    f"{grp}{suffix}": round(_co_information(_TH["patterns"], _TH[grp], drop_none=drop), 4)
    for grp in ("synergy_provinces", "other_provinces")
    for suffix, drop in (("", False), ("_excl_none", True))}

PLANTED_EFFECTS = _EFFECTS
"""The planted truth (a plain dict; treat it as read-only). See docs/synthetic.md."""
