"""Report section: training effectiveness — quality, reliability, learning, behaviour and
results (DiD, event study, mixed model, segments), power for the next survey, and ROI."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import AnalysisError
from ...evaluation import evaluate, power_table, sample_size_clustered, session_icc
from .. import ReportContext, Section

__all__ = ["build", "VALUE_PER_UNIT", "HORIZON_YEARS"]

VALUE_PER_UNIT = 5000.0
"""Illustrative monetised value (yuan) of one extra proposal, for the ROI example only —
an assumption stated in the text, not a finding."""
HORIZON_YEARS = 3.0
"""Years over which the per-year effect is assumed to last in the ROI example."""
PLANNING_ICC = 0.05
"""Between-session ICC assumed for planning when the survey cannot estimate one."""


def _f(x, d=2) -> str:
    return "–" if x is None or pd.isna(x) else f"{x:.{d}f}"


# zh column headers and label cells of the tables (numbers and ids are left as they are)
_ZH_COLUMNS = {
    "training_id": "班次", "estimate": "估计值", "std_error": "标准误", "ci_low": "下限",
    "ci_high": "上限", "n": "n", "roles": "评价角色", "scale": "量表", "omega": "ω",
    "n_items": "条目数", "mean_inter_item_r": "条目间平均相关", "p": "p", "hedges_g": "Hedges g",
    "g_ci_low": "g 下限", "g_ci_high": "g 上限", "normalized_gain": "归一化增益",
    "method": "方法", "term": "项", "segment": "群体", "contrast": "对比",
    "p_adjusted": "校正 p", "reject": "拒绝原假设", "effect_size": "效应量 d",
    "n_srs": "简单随机每组人数", "design_effect": "设计效应", "n_per_arm": "每组人数（整群）",
    "clusters_per_arm": "每组班次数", "cluster_size": "每班人数", "icc": "ICC",
    "pairs_pre_post": "前后测配对", "mean_pre": "前测均分", "mean_post": "后测均分",
}
_ZH_CELLS = {
    "learner": "学员", "teacher": "教师", "manager": "管理者", "office": "办班方",
    "quality": "培训质量", "twfe": "双向固定效应", "group_time": "分组-时期",
    "treated": "参训", "reelected": "新任/连任", "frontline": "领导/一线", "modality": "集中/线上",
    "re-elected - new": "连任 − 新任", "frontline - leader": "一线 − 领导",
    "online - centralised": "线上 − 集中", "True": "是", "False": "否",
}
_CELL_COLUMNS = ("roles", "scale", "method", "term", "segment", "contrast", "reject")


def _zh_cell(v):
    if isinstance(v, (bool, np.bool_)):
        return _ZH_CELLS[str(bool(v))]
    if not isinstance(v, str):
        return v
    if v in _ZH_CELLS:
        return _ZH_CELLS[v]
    if v.endswith("]") and "[" in v:  # "quality[learner]"
        head, _, role = v[:-1].partition("[")
        return f"{_ZH_CELLS.get(head, head)}（{_ZH_CELLS.get(role, role)}）"
    if "," in v:  # "learner,manager,office,teacher"
        return "、".join(_ZH_CELLS.get(x, x) for x in v.split(","))
    return v


_CORRECTIONS = {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg", "bonferroni": "Bonferroni"}


def _cluster_zh(col: str) -> str:
    return {"rep_id": "代表", "training_id": "班次", "province": "省份"}.get(col, col)


def _tab(df: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Numbers stay numbers (the CSV export is for reuse); floats rounded to 4 decimals.

    In ``zh`` the headers and the label cells (roles, methods, contrasts, yes/no) are Chinese.
    """
    out = df.round(4).reset_index(drop=True)
    if lang != "zh":
        return out
    out = out.assign(**{c: [_zh_cell(v) for v in out[c]] for c in _CELL_COLUMNS if c in out.columns})
    return out.rename(columns=_ZH_COLUMNS)


def _p(p) -> str:
    return "–" if p is None or pd.isna(p) else ("<0.001" if p < 0.001 else f"{p:.3f}")


def build(ctx: ReportContext) -> Section:
    from ...plots.evaluation import (outcome_label, plot_effects_forest, plot_event_study,
                                     plot_quality_profile, plot_rank_intervals)

    sec = Section("effectiveness", ctx.t("培训效果评估", "Training effectiveness"),
                  data_origin=ctx.origin)
    ds = ctx.dataset
    t = ctx.t
    src = t("数据：", "Data: ") + (t("合成数据", "synthetic data") if ds.is_synthetic else str(ds.directory))
    if ds.survey is None and ds.outputs is None and ds.costs is None:
        sec.blocks.append(ctx.text(t("数据中没有问卷（survey）、履职产出（outputs）或成本（costs）表，跳过本节。",
                                     "No survey, outputs or costs table: section skipped.")))
        sec.summary = {"skipped": True}
        return sec
    n_boot = 100 if ctx.quick else 400
    res = evaluate(survey=ds.survey, outputs=ds.outputs, representatives=ds.representatives,
                   attendance=ds.attendance, trainings=ds.trainings, costs=ds.costs,
                   value_per_unit=VALUE_PER_UNIT, horizon_years=HORIZON_YEARS, n_boot=n_boot,
                   seed=ctx.seed)
    blocks = sec.blocks
    blocks.append(ctx.text(t(
        "本节按柯氏四级（反应、学习、行为、结果）与菲利普斯投资回报率评估培训效果。"
        "所有估计都附置信区间；数据无法支持的部分会说明原因并跳过。",
        "This section follows Kirkpatrick's four levels (reaction, learning, behaviour, results) "
        "and Phillips' ROI. Every estimate carries a confidence interval; parts the data cannot "
        "support are skipped with the reason.")))
    summary: dict = {"skipped": dict(res.skipped)}

    # ---- level 1: quality
    if res.quality is not None:
        ov = res.quality.overall()
        w = ", ".join(f"{_zh_cell(k) if ctx.lang == 'zh' else k} {v:g}"
                      for k, v in res.quality.weights.items())
        blocks.append(ctx.text(t(
            f"**反应层（培训质量）。** {len(ov)} 个班次按计划八个维度评分（1–5）。四类评价者按权重合成"
            f"（{w}；各班次按实际参评角色重新归一），区间为 t 区间（Welch–Satterthwaite 自由度）。",
            f"**Reaction (quality).** {len(ov)} sessions were rated on the plan's eight dimensions "
            f"(1–5). The four rater roles are combined with weights ({w}; renormalised over the "
            "roles present); intervals are t intervals with Welch–Satterthwaite df.")))
        blocks.append(ctx.table("effectiveness_quality", _tab(
            ov[["training_id", "estimate", "std_error", "ci_low", "ci_high", "n", "roles"]], ctx.lang),
            t("表 班次综合评分（角色加权）", "Table: overall session scores (role-weighted)")))
        with_n = ov.sort_values("n", ascending=False)["training_id"].head(5).tolist()
        ax = plot_quality_profile(res.quality, sessions=sorted(with_n), lang=ctx.lang)
        blocks.append(ctx.figure("effectiveness_quality_profile", ax.figure,
                                 t(f"图 各班次分维度评分及 95% 置信区间（参评最多的 5 个班次）。{src}；权重 {w}。",
                                   f"Figure: per-dimension scores with 95% CIs (5 sessions with most "
                                   f"responses). {src}; weights {w}.")))
        if res.quality.dropped:
            blocks.append(ctx.text(t("仅有一份问卷、无法给出区间的班次未列入：", "Sessions with a single response "
                                     "(no interval) left out: ") + ", ".join(res.quality.dropped)))
        summary["quality"] = {"n_sessions": int(len(ov)), "weights": res.quality.weights,
                              "mean_overall": float(ov["estimate"].mean())}
    if res.agreement is not None:
        icc = res.agreement.icc.set_index("type")
        blocks.append(ctx.text(t(
            f"评价者角色间一致性（{len(res.agreement.roles)} 类角色、{res.agreement.n_targets} 个班次）："
            f"ICC(2,1) = {_f(icc.loc['ICC2', 'estimate'])}（{_f(icc.loc['ICC2', 'ci_low'])}–{_f(icc.loc['ICC2', 'ci_high'])}），"
            f"角色平均分的 ICC(2,k) = {_f(icc.loc['ICC2k', 'estimate'])}（{_f(icc.loc['ICC2k', 'ci_low'])}–{_f(icc.loc['ICC2k', 'ci_high'])}）"
            "（Shrout–Fleiss 双向随机、绝对一致；McGraw–Wong 区间）。",
            f"Agreement between rater roles ({len(res.agreement.roles)} roles, {res.agreement.n_targets} "
            f"sessions): ICC(2,1) = {_f(icc.loc['ICC2', 'estimate'])} ({_f(icc.loc['ICC2', 'ci_low'])}–"
            f"{_f(icc.loc['ICC2', 'ci_high'])}); ICC(2,k) of the role average = {_f(icc.loc['ICC2k', 'estimate'])} "
            f"({_f(icc.loc['ICC2k', 'ci_low'])}–{_f(icc.loc['ICC2k', 'ci_high'])}) (Shrout–Fleiss two-way "
            "random, absolute agreement; McGraw–Wong intervals).")))
        summary["agreement"] = {"icc2": res.agreement.get("ICC2"), "icc2k": res.agreement.get("ICC2k")}
        ka = res.agreement.alpha
        if ka is not None:
            ci = (t(f"（自助法 {ka.n_boot} 次区间 {_f(ka.ci_low)}–{_f(ka.ci_high)}）",
                    f" (unit bootstrap, {ka.n_boot} replicates: {_f(ka.ci_low)}–{_f(ka.ci_high)})")
                  if ka.n_boot else "")
            blocks.append(ctx.text(t(
                f"Krippendorff α（等距，角色均分；纳入至少两类角色评过的 {ka.n_units} 个班次，"
                f"缺评不删整行）= {_f(ka.alpha)}{ci}。α 衡量单个角色评分的一致性，应与 ICC(2,1) 而非角色平均分的 ICC(2,k) 比较；"
                "α ≥ 0.80 通常视为可靠，0.667–0.80 仅宜作初步结论（Krippendorff 2004）。",
                f"Krippendorff's alpha (interval, role means; all {ka.n_units} sessions rated by at least "
                f"two roles, so a missing role does not drop a session) = {_f(ka.alpha)}{ci}. Alpha measures "
                "the agreement of single roles' ratings: compare it with ICC(2,1), not with the role "
                "average's ICC(2,k). Alpha ≥ 0.80 is customarily taken as reliable, 0.667–0.80 as "
                "tentative (Krippendorff 2004).")))
            summary["agreement"]["krippendorff_alpha"] = float(ka.alpha)
    if res.ranking is not None:
        rk = res.ranking.table
        n_top = int((rk["tied_rank"] == 1).sum())
        blocks.append(ctx.text(t(
            f"排名要如实反映不确定性：自助法（{res.ranking.n_boot} 次）给出每个班次的排名区间；"
            f"只有置信区间不重叠的班次才分先后——有 {n_top} 个班次并列第一（无别的班次显著优于它们）。",
            f"A ranking must show its uncertainty: the bootstrap ({res.ranking.n_boot} replicates) gives "
            f"each session a rank interval, and only sessions whose CIs do not overlap are ranked apart — "
            f"{n_top} sessions tie for first (no session is credibly better).")))
        ax = plot_rank_intervals(res.ranking, lang=ctx.lang)
        blocks.append(ctx.figure("effectiveness_rank_intervals", ax.figure,
                                 t(f"图 班次排名及 95% 自助区间。{src}；种子 {ctx.seed}。",
                                   f"Figure: session ranks with 95% bootstrap intervals. {src}; seed {ctx.seed}.")))
        summary["ranking"] = {"n_tied_first": n_top, "n_boot": res.ranking.n_boot}

    # ---- instrument
    if res.reliability is not None:
        rel = res.reliability.scales
        blocks.append(ctx.text(t(
            "**量表信度与结构。** Cronbach α（Feldt F 区间）、McDonald ω（单因子 ML 模型），按全部及各角色计算。",
            "**Reliability and structure.** Cronbach's alpha (Feldt F interval) and McDonald's omega "
            "(one-factor ML model), overall and per rater role.")))
        blocks.append(ctx.table("effectiveness_reliability", _tab(
            rel.rename(columns={"alpha": "estimate"}), ctx.lang), t("表 量表信度", "Table: scale reliability")))
        q = rel.iloc[0]
        summary["reliability"] = {"alpha": float(q["alpha"]), "ci_low": float(q["ci_low"]),
                                  "ci_high": float(q["ci_high"]), "omega": None if pd.isna(q["omega"]) else float(q["omega"])}
    if res.efa is not None or res.cfa is not None:
        parts = []
        if res.efa is not None:
            e = res.efa
            parts.append(t(f"KMO = {_f(e.kmo)}，Bartlett 球形检验 p {_p(e.bartlett_p)}；平行分析建议 "
                           f"{e.n_factors_suggested} 个因子（首个特征值 {_f(e.eigen['eigenvalue'].iloc[0])}）。",
                           f"KMO = {_f(e.kmo)}, Bartlett's sphericity p {_p(e.bartlett_p)}; parallel analysis "
                           f"suggests {e.n_factors_suggested} factor(s) (first eigenvalue "
                           f"{_f(e.eigen['eigenvalue'].iloc[0])})."))
            summary["efa"] = {"n_factors_suggested": e.n_factors_suggested, "kmo": e.kmo}
        if res.cfa is not None:
            c = res.cfa
            parts.append(t(f"单因子验证性模型：χ²({c.df}) = {_f(c.chi2)}，p {_p(c.p)}，CFI = {_f(c.cfi, 3)}，"
                           f"TLI = {_f(c.tli, 3)}，RMSEA = {_f(c.rmsea, 3)}（90% 区间 {_f(c.rmsea_ci_low, 3)}–"
                           f"{_f(c.rmsea_ci_high, 3)}），SRMR = {_f(c.srmr, 3)}。",
                           f"One-factor CFA: χ²({c.df}) = {_f(c.chi2)}, p {_p(c.p)}, CFI = {_f(c.cfi, 3)}, "
                           f"TLI = {_f(c.tli, 3)}, RMSEA = {_f(c.rmsea, 3)} (90% CI {_f(c.rmsea_ci_low, 3)}–"
                           f"{_f(c.rmsea_ci_high, 3)}), SRMR = {_f(c.srmr, 3)}."))
            summary["cfa"] = {k: v for k, v in c.fit_indices().items()}
        blocks.append(ctx.text(" ".join(parts)))

    # ---- level 2: learning
    if res.learning is not None:
        g = res.learning.overall
        blocks.append(ctx.text(t(
            f"**学习层（前后测）。** {g.n} 名学员前测均分 {_f(g.mean_pre, 1)}、后测 {_f(g.mean_post, 1)}，"
            f"平均提高 {_f(g.mean_gain)} 分（95% 区间 {_f(g.gain_ci_low)}–{_f(g.gain_ci_high)}；配对 t = {_f(g.t)}，"
            f"p {_p(g.p)}）。Hedges g = {_f(g.hedges_g, 3)}（{_f(g.ci_low, 3)}–{_f(g.ci_high, 3)}，Bonett 标准误），"
            f"d_z = {_f(g.d_z, 3)}；Hake 归一化增益 ⟨g⟩ = {_f(g.normalized_gain, 3)}。",
            f"**Learning (pre/post).** {g.n} learners scored {_f(g.mean_pre, 1)} before and "
            f"{_f(g.mean_post, 1)} after: a mean gain of {_f(g.mean_gain)} points (95% CI "
            f"{_f(g.gain_ci_low)}–{_f(g.gain_ci_high)}; paired t = {_f(g.t)}, p {_p(g.p)}). Hedges' g = "
            f"{_f(g.hedges_g, 3)} ({_f(g.ci_low, 3)}–{_f(g.ci_high, 3)}, Bonett SE), d_z = {_f(g.d_z, 3)}; "
            f"Hake's normalised gain ⟨g⟩ = {_f(g.normalized_gain, 3)}.")))
        if len(res.learning.sessions):
            blocks.append(ctx.table("effectiveness_learning", _tab(res.learning.sessions, ctx.lang),
                                    t("表 各班次前后测提高", "Table: pre/post gain by session")))
        summary["learning"] = {"mean_gain": g.mean_gain, "hedges_g": g.hedges_g, "ci_low": g.ci_low,
                               "ci_high": g.ci_high, "p": g.p, "n": g.n}
    else:
        blocks.append(ctx.text(t("学习层：", "Learning: ") + res.skipped.get("learning", "")))

    # ---- levels 3-4
    if res.did is not None:
        d = res.did
        tw = d.table.set_index("method")
        blocks.append(ctx.text(t(
            f"**行为与结果层（履职产出）。** 以{outcome_label(d.outcome, 'zh')}为结果、代表与年份双向固定效应的双重差分"
            f"（按{_cluster_zh(d.cluster)}聚类稳健标准误，{d.n_clusters} 个聚类），{d.n_units} 名代表中 {d.n_treated_units} 名参训。"
            "培训分批进行（交错处理）：TWFE 系数在效应异质时可能有偏，故同时报告只用从未参训者作对照的分组-时期估计"
            "（Callaway–Sant'Anna 思路）。",
            f"**Behaviour and results (duty outputs).** Difference in differences of {d.outcome} with "
            f"representative and year fixed effects (cluster-robust by {d.cluster}, {d.n_clusters} "
            f"clusters); {d.n_treated_units} of {d.n_units} representatives were trained. Training is "
            "staggered: the TWFE coefficient can be biased under heterogeneous effects, so the "
            "group-time estimate with never-trained controls (Callaway–Sant'Anna) is reported too.")))
        blocks.append(ctx.table("effectiveness_did", _tab(d.table, ctx.lang),
                                t("表 双重差分估计", "Table: difference-in-differences estimates")))
        summary["did"] = {m: {"estimate": float(r["estimate"]), "ci_low": float(r["ci_low"]),
                              "ci_high": float(r["ci_high"]), "p": float(r["p"])} for m, r in tw.iterrows()}
    else:
        blocks.append(ctx.text(t("行为与结果层：", "Behaviour and results: ") + res.skipped.get("did", "")))
    if res.event_study is not None:
        es = res.event_study
        blocks.append(ctx.text(t(
            f"事件研究：培训前各期系数联合为 0 的检验 F = {_f(es.pretrend_F)}，p = {_p(es.pretrend_p)}"
            "（p 大只说明数据与平行趋势相容，不能证明之）。",
            f"Event study: joint test that the pre-training coefficients are 0, F = {_f(es.pretrend_F)}, "
            f"p = {_p(es.pretrend_p)} (a large p is consistent with, not proof of, parallel trends).")))
        ax = plot_event_study(es, group_time=res.did, lang=ctx.lang)
        blocks.append(ctx.figure("effectiveness_event_study", ax.figure,
                                 t(f"图 事件研究：首次培训前后各年效应及 95% 置信区间，参照期 {es.reference}；"
                                   f"空心三角为只用干净对照的分组-时期估计。{src}；"
                                   f"结果：{outcome_label(es.outcome, 'zh')}，按{_cluster_zh(es.cluster)}聚类。",
                                   f"Figure: event study, effects by year relative to first training with 95% "
                                   f"CIs; reference period {es.reference}; hollow triangles: group-time "
                                   f"estimates with clean controls only. {src}; outcome {es.outcome}, "
                                   f"clustered by {es.cluster}.")))
        summary["event_study"] = {"pretrend_p": es.pretrend_p, "pretrend_F": es.pretrend_F}
    if res.mixed is not None:
        m = res.mixed
        r = m.table.iloc[0]
        dg = m.diagnostics
        blocks.append(ctx.text(t(
            f"混合效应模型（代表嵌套于省份，REML，{'已收敛' if m.converged else '未收敛'}）：培训效应 {_f(r['estimate'], 3)}"
            f"（{_f(r['ci_low'], 3)}–{_f(r['ci_high'], 3)}）；省际 ICC = {_f(m.icc_province, 3)}，代表层 ICC = "
            f"{_f(m.icc_representative, 3)}。残差偏度 {_f(dg['skew'])}、超额峰度 {_f(dg['excess_kurtosis'])}"
            f"（计数结果右偏，正态性不成立时以聚类稳健的 DiD 为主）。",
            f"Mixed model (representatives nested in provinces, REML, {'converged' if m.converged else 'NOT converged'}): "
            f"effect {_f(r['estimate'], 3)} ({_f(r['ci_low'], 3)}–{_f(r['ci_high'], 3)}); province ICC = "
            f"{_f(m.icc_province, 3)}, representative ICC = {_f(m.icc_representative, 3)}. Residual skew "
            f"{_f(dg['skew'])}, excess kurtosis {_f(dg['excess_kurtosis'])} (counts are right-skewed; where "
            "normality fails, rely on the cluster-robust DiD).")))
        summary["mixed"] = {"estimate": float(r["estimate"]), "ci_low": float(r["ci_low"]),
                            "ci_high": float(r["ci_high"]), "icc_province": m.icc_province,
                            "converged": m.converged}
    if res.heterogeneity is not None:
        h = res.heterogeneity
        corr = _CORRECTIONS.get(h.correction, h.correction)
        blocks.append(ctx.table("effectiveness_segments", _tab(h.interactions, ctx.lang),
                                t(f"表 分群体效应差异（{corr} 多重比较校正）",
                                  f"Table: differences of effects between segments ({corr}-corrected)")))
        ax = plot_effects_forest(h, overall=res.did, lang=ctx.lang)
        blocks.append(ctx.figure("effectiveness_segments_forest", ax.figure,
                                 t(f"图 分群体培训效应及 95% 置信区间；右侧为交互项校正后 p（{corr}）。{src}；结果：{outcome_label(h.outcome, 'zh')}。",
                                   f"Figure: training effects by segment with 95% CIs; right: corrected "
                                   f"interaction p ({corr}). {src}; outcome {h.outcome}.")))
        summary["heterogeneity"] = {r["segment"]: {"estimate": float(r["estimate"]), "p_adjusted": float(r["p_adjusted"])}
                                    for _, r in h.interactions.iterrows()}

    # ---- power for next year's survey
    icc_s, icc_src = PLANNING_ICC, t("假定值", "assumed")
    if ds.survey is not None:
        try:
            icc_s, icc_src = session_icc(ds.survey), t("由本次问卷估计", "estimated from this survey")
        except AnalysisError:
            pass
    pt = power_table((0.2, 0.3, 0.5), cluster_size=30, icc=icc_s)
    plan = sample_size_clustered(0.3, cluster_size=30, icc=icc_s)
    blocks.append(ctx.text(t(
        f"**评估设计与检验力。** 若明年要检出 d = 0.3 的差异（α = 0.05，检验力 0.8），简单随机抽样每组需 "
        f"{plan['n_srs']:.0f} 人；按班次整群（每班 30 人、班次间 ICC = {icc_s:.3f}（{icc_src}），"
        f"设计效应 1 + (m − 1)·ICC = {plan['design_effect']:.2f}）每组需 {plan['clusters_per_arm']} 个班次。",
        f"**Design and power.** To detect d = 0.3 next year (α = 0.05, power 0.8) takes "
        f"{plan['n_srs']:.0f} per group under simple random sampling; with whole sessions sampled "
        f"(30 per session, between-session ICC = {icc_s:.3f} ({icc_src}), design effect "
        f"1 + (m − 1)·ICC = {plan['design_effect']:.2f}) it takes {plan['clusters_per_arm']} sessions per group.")))
    blocks.append(ctx.table("effectiveness_power", _tab(pt.round(2), ctx.lang), t("表 样本量规划", "Table: sample-size planning")))
    summary["power"] = {"d": 0.3, "n_srs": plan["n_srs"], "clusters_per_arm": plan["clusters_per_arm"]}

    # ---- ROI
    if res.roi is not None:
        s = res.roi.summary
        txt = t(f"**成本与回报。** 总成本 {s['total_cost']:,.0f} 元，每培训一人次 {s['cost_per_trained']:,.0f} 元"
                f"（每名不重复参训代表 {s['cost_per_distinct_trained']:,.0f} 元）。",
                f"**Cost and return.** Total cost {s['total_cost']:,.0f} yuan: {s['cost_per_trained']:,.0f} "
                f"yuan per person-time trained ({s['cost_per_distinct_trained']:,.0f} per distinct representative).")
        if s.get("roi_percent") is not None:
            txt += t(f"假设每多一件建议价值 {VALUE_PER_UNIT:,.0f} 元、效应持续 {HORIZON_YEARS:g} 年（假设，非数据），"
                     f"每单位增益成本 {s['cost_per_unit_gain']:,.0f} 元，ROI = {s['roi_percent']:.0f}%"
                     f"（按效应区间 {s['roi_ci_low']:.0f}% 至 {s['roi_ci_high']:.0f}%）。",
                     f" Assuming one extra proposal is worth {VALUE_PER_UNIT:,.0f} yuan and the effect lasts "
                     f"{HORIZON_YEARS:g} years (assumptions, not data): {s['cost_per_unit_gain']:,.0f} yuan per "
                     f"unit of gain, ROI = {s['roi_percent']:.0f}% ({s['roi_ci_low']:.0f}% to "
                     f"{s['roi_ci_high']:.0f}% over the effect's CI).")
        blocks.append(ctx.text(txt))
        summary["roi"] = {k: s[k] for k in ("total_cost", "cost_per_trained", "cost_per_unit_gain",
                                            "roi_percent", "roi_ci_low", "roi_ci_high")}
        summary["roi"]["assumptions"] = res.roi.assumptions
    if res.skipped:
        blocks.append(ctx.text(t("未能进行的分析：", "Analyses not run:") + "\n\n"
                               + "\n".join(f"- {k}: {v}" for k, v in sorted(res.skipped.items()))))
    sec.summary = summary
    return sec
