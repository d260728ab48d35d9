"""Training effectiveness evaluation (Kirkpatrick levels 1–4 and Phillips ROI).

* :mod:`.quality` — per-session × per-dimension quality scores, rater-role weighting,
  inter-rater agreement (ICC, Krippendorff's alpha), uncertainty-aware session ranking;
* :mod:`.reliability` / :mod:`.structure` — Cronbach's alpha, McDonald's omega, item-total
  correlations, EFA and a one-factor CFA with fit indices;
* :mod:`.learning` — pre/post gains, paired tests, Cohen's d, Hedges' g, normalised gain;
* :mod:`.causal` — DiD (TWFE and group-time), event study, mixed model on duty outputs;
* :mod:`.group_time` — the Callaway–Sant'Anna group-time estimator on any panel (columns
  named by the caller; tested against R's ``did`` on ``mpdta``);
* :mod:`.heterogeneity` — effects by segment with multiple-comparison correction;
* :mod:`.power` — sample sizes, MDEs, design effect, simulation power;
* :mod:`.roi` — cost per trained representative and per unit of gain, ROI;
* :mod:`.tables` — Markdown/LaTeX export of tidy results;
* :func:`evaluate` — everything the data allow, in one call (used by the CLI and report).
"""

from .causal import (OUTCOMES, DiDResult, EventStudyResult, GroupTimeResult, MixedModelResult, build_panel,
                     estimate_did, estimate_event_study, estimate_group_time, estimate_mixed_model)
from .group_time import DiDPanel, prepare_did_panel
from .heterogeneity import SEGMENTS, HeterogeneityResult, estimate_heterogeneity
from .learning import GainResult, LearningResult, compute_learning, hedges_g_paired, paired_effect
from .power import (DesignPlan, PowerSimulation, design_effect, mde_clustered, mde_did, mde_ttest, plan_design,
                    power_table, sample_size_clustered, sample_size_paired, sample_size_ttest,
                    simulate_power_mixed)
from .quality import (DEFAULT_ROLE_WEIGHTS, AgreementResult, KrippendorffResult, QualityResult, RankingResult,
                      icc_table, krippendorff_alpha, compute_rater_agreement, compute_session_quality, parse_weights, rank_sessions,
                      session_icc)
from .reliability import (AlphaResult, ReliabilityResult, compute_reliability, cronbach_alpha,
                          item_statistics, mcdonald_omega)
from .roi import ROIResult, compute_roi, roi_percent
from .structure import EFAResult, OneFactorFit, compute_cfa, compute_efa, fit_one_factor
from .summary import EvaluationResult, evaluate
from .tables import format_estimates

__all__ = [
    "OUTCOMES", "SEGMENTS", "DEFAULT_ROLE_WEIGHTS",
    "QualityResult", "AgreementResult", "KrippendorffResult", "RankingResult", "AlphaResult", "ReliabilityResult",
    "EFAResult", "OneFactorFit", "GainResult", "LearningResult", "DiDResult", "EventStudyResult",
    "MixedModelResult", "GroupTimeResult", "DiDPanel", "DesignPlan", "HeterogeneityResult", "PowerSimulation", "ROIResult", "EvaluationResult",
    "compute_session_quality", "compute_rater_agreement", "icc_table", "krippendorff_alpha", "rank_sessions", "parse_weights", "session_icc",
    "cronbach_alpha", "mcdonald_omega", "item_statistics", "compute_reliability",
    "fit_one_factor", "compute_cfa", "compute_efa",
    "compute_learning", "paired_effect", "hedges_g_paired",
    "build_panel", "prepare_did_panel", "estimate_did", "estimate_group_time", "estimate_event_study", "estimate_mixed_model",
    "estimate_heterogeneity",
    "design_effect", "sample_size_ttest", "mde_ttest", "sample_size_paired", "sample_size_clustered",
    "mde_clustered", "mde_did", "simulate_power_mixed", "power_table", "plan_design",
    "compute_roi", "roi_percent",
    "format_estimates",
    "evaluate",
]
