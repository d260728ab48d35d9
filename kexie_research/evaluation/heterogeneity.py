"""Differentiated effects: does training work differently for new vs re-elected
representatives, frontline workers vs leaders, centralised vs online training?

Each segment splits the treatment indicator by a representative-level characteristic S:
``y_it = α_i + γ_t + β₀·D_it·(1 − S_i) + β₁·D_it·S_i + ε_it`` (S_i itself is absorbed by
the representative effects). β₁ and β₀ are the effects in the two levels; the interaction
β₁ − β₀ tests whether they differ. The family of interaction tests is corrected for
multiple comparisons (Holm by default; statsmodels ``multipletests``), and so is the family
of per-level effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import AnalysisError
from ..labels import label
from ..schema import IS_FRONTLINE, IS_REELECTED, MODALITY, REP_ID, YEAR
from ._common import check_level, dispatch, require_columns, result_to_dict, tidy
from .causal import _check_panel, twfe_fit

__all__ = ["SEGMENTS", "HeterogeneityResult", "estimate_heterogeneity"]


def _seg_reelected(p):
    return p[IS_REELECTED].astype("boolean")


def _seg_frontline(p):
    return p[IS_FRONTLINE].astype("boolean")


def _seg_modality(p):
    m = p[MODALITY].astype(str)
    s = m.isin(["online", "video"])
    return s.astype("boolean").where(m != "never", False)


SEGMENTS: dict[str, tuple[str, str, str, callable]] = {
    # name: (column, level when S is False, level when S is True, S from the panel)
    "reelected": (IS_REELECTED, "new", "re-elected", _seg_reelected),
    "frontline": (IS_FRONTLINE, "leader", "frontline", _seg_frontline),
    "modality": (MODALITY, "centralised", "online", _seg_modality),
}
"""Segments: new vs re-elected (``is_reelected``), leader vs frontline (``is_frontline``),
centralised vs online/video first training (``modality`` of the panel)."""

_CORRECTIONS = {"holm": "holm", "fdr_bh": "fdr_bh", "bonferroni": "bonferroni"}


@dataclass(frozen=True)
class HeterogeneityResult:
    """Effects by segment and their differences.

    Attributes
    ----------
    effects : DataFrame
        ``segment, level, level_zh, estimate, std_error, ci_low, ci_high, p, n, p_adjusted,
        n_units`` — the effect within each level (``n`` = trained observations in it).
    interactions : DataFrame
        ``segment, contrast, estimate, std_error, ci_low, ci_high, p, n, p_adjusted,
        reject`` — difference of the two levels' effects.
    correction : str
    alpha : float
    outcome, cluster : str
    """

    effects: pd.DataFrame
    interactions: pd.DataFrame
    correction: str
    alpha: float
    outcome: str
    cluster: str

    def to_dict(self) -> dict:
        return result_to_dict(self)


def estimate_heterogeneity(panel: pd.DataFrame, *, outcome: str = "proposals",
                           segments: Sequence[str] = ("reelected", "frontline", "modality"),
                           cluster: str = REP_ID,
                           correction: Literal["holm", "fdr_bh", "bonferroni"] = "holm",
                           alpha: float = 0.05, level: float = 0.95,
                           errors: Literal["raise", "skip"] = "skip") -> HeterogeneityResult:
    """Treatment effects by segment with multiple-comparison-corrected interaction tests.

    Parameters
    ----------
    panel : DataFrame
        From :func:`kexie_research.evaluation.causal.build_panel` (with representatives).
    outcome : str
    segments : sequence of {"reelected", "frontline", "modality"}
    cluster : str
    correction : {"holm", "fdr_bh", "bonferroni"}
        Holm (1979) controls the family-wise error rate; ``fdr_bh`` the false discovery
        rate (Benjamini & Hochberg 1995).
    alpha : float
        Level of the corrected tests (``reject``).
    level : float
        Confidence level of the (uncorrected) intervals.
    errors : {"raise", "skip"}
        A segment that cannot be estimated (column missing, a level without trained
        representatives) raises or is skipped.

    Returns
    -------
    HeterogeneityResult
    """
    from statsmodels.stats.multitest import multipletests

    level = check_level(level)
    method = dispatch("correction", correction, _CORRECTIONS)
    dispatch("errors", errors, {"raise": None, "skip": None})
    for s in segments:
        dispatch("segment", s, SEGMENTS)
    p = _check_panel(panel, outcome, cluster)
    eff_rows, int_rows = [], []
    for s in segments:
        col, lo_name, hi_name, fn = SEGMENTS[s]
        try:
            require_columns(p, [col], table="panel")
            S = fn(p)
            ok = S.notna().to_numpy()
            q = p[ok]
            sv = S[ok].to_numpy(dtype=bool)
            d = q["treated"].to_numpy(float)
            X = np.column_stack([d * (~sv), d * sv])
            if (X.sum(axis=0) == 0).any():
                raise AnalysisError(f"segment {s!r}: a level has no trained observations")
            fit = twfe_fit(q[outcome].to_numpy(float), X, q[REP_ID].to_numpy(), q[YEAR].to_numpy(),
                           q[cluster].to_numpy(), [lo_name, hi_name])
        except AnalysisError:
            if errors == "raise":
                raise
            continue
        tab = fit.table(level)
        units = q.groupby(REP_ID)["treated"].max()
        seg_units = pd.Series(sv, index=q.index).groupby(q[REP_ID]).first()
        for j, name in enumerate((lo_name, hi_name)):
            eff_rows.append({"segment": s, "level": name, "level_zh": label(name, "zh", kind="segment_level"),
                             **tab.iloc[j][["estimate", "std_error", "ci_low", "ci_high", "p"]].to_dict(),
                             "n": int(X[:, j].sum()),
                             "n_units": int(((seg_units == bool(j)) & (units == 1)).sum())})
        c = np.array([-1.0, 1.0])
        est = float(c @ fit.params)
        se = float(np.sqrt(c @ fit.cov @ c))
        df = fit.n_clusters - 1
        tq = stats.t.ppf(0.5 + level / 2, df)
        int_rows.append({"segment": s, "contrast": f"{hi_name} - {lo_name}", "estimate": est,
                         "std_error": se, "ci_low": est - tq * se, "ci_high": est + tq * se,
                         "p": float(2 * stats.t.sf(abs(est / se), df)), "n": int(len(q))})
    if not int_rows:
        raise AnalysisError("no segment could be estimated (need is_reelected/is_frontline from "
                            "the representatives table, or trainings with modality)")
    eff = pd.DataFrame(eff_rows)
    ints = pd.DataFrame(int_rows)
    eff["p_adjusted"] = multipletests(eff["p"], alpha=alpha, method=method)[1]
    rej, padj, _, _ = multipletests(ints["p"], alpha=alpha, method=method)
    ints["p_adjusted"], ints["reject"] = padj, rej
    return HeterogeneityResult(effects=tidy(eff, ["segment", "level", "level_zh"]),
                               interactions=tidy(ints, ["segment", "contrast"]),
                               correction=correction, alpha=alpha, outcome=outcome, cluster=cluster)
