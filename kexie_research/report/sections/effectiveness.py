"""Report section: training effectiveness — quality, reliability, learning, behaviour and
results (DiD, event study, mixed model, segments), the design of the next study, and ROI.

Render only: one call of :func:`kexie_research.evaluation.evaluate` (the pipeline the CLI
runs, with the same defaults and seed scheme) and its result turned into text, tables and
figures. Display names come from :mod:`kexie_research.labels`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...evaluation import evaluate
from ...evaluation.summary import DEFAULTS
from ...labels import column_label, label
from .. import ReportContext, Section

__all__ = ["build", "VALUE_PER_UNIT", "HORIZON_YEARS", "QUICK_N_BOOT"]

VALUE_PER_UNIT = 5000.0
"""Illustrative monetised value (yuan) of one extra proposal, for the ROI example only —
an assumption stated in the text, not a finding (the CLI takes it as --value-per-unit)."""
HORIZON_YEARS = 3.0
"""Years over which the per-year effect is assumed to last in the ROI example
(--horizon-years)."""
QUICK_N_BOOT = 100
"""Bootstrap replicates in a quick report (tests); otherwise the pipeline's default."""

# which label kind translates the cells of each column of the section's tables
_CELL_KINDS = {"roles": "rater_role", "method": "estimator", "term": "estimator",
               "segment": "het_segment", "contrast": "contrast", "reject": "bool",
               "scale": "estimator", "indistinguishable_from_above": "bool"}


def _f(x, d=2) -> str:
    return "–" if x is None or pd.isna(x) else f"{x:.{d}f}"


def _p(p) -> str:
    return "–" if p is None or pd.isna(p) else ("<0.001" if p < 0.001 else f"{p:.3f}")


def _cell(v, kind: str, lang: str):
    if isinstance(v, (bool, np.bool_)):
        return label(bool(v), lang)
    if not isinstance(v, str):
        return v
    if v.endswith("]") and "[" in v:  # "quality[learner]"
        head, _, role = v[:-1].partition("[")
        return f"{label(head, lang, kind=kind)}（{label(role, lang, kind='rater_role')}）" if lang == "zh" \
            else f"{label(head, lang, kind=kind)} ({label(role, lang, kind='rater_role')})"
    if kind == "rater_role" and "," in v:  # "learner,manager,office,teacher"
        return ("、" if lang == "zh" else ", ").join(label(x, lang, kind=kind) for x in v.split(","))
    return label(v, lang, kind=kind)


def _tab(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Numbers stay numbers (the CSV export is for reuse), rounded to 4 decimals; in ``zh``
    the headers and the label cells (roles, methods, contrasts, yes/no) are Chinese."""
    out = df.round(4).reset_index(drop=True)
    if lang != "zh":
        return out
    out = out.assign(**{c: [_cell(v, k, lang) for v in out[c]] for c, k in _CELL_KINDS.items() if c in out.columns})
    return out.rename(columns={c: column_label(c, lang) for c in out.columns})


class _Render:
    """Turns one :class:`~kexie_research.evaluation.EvaluationResult` into blocks and the
    section's summary; one method per part, in the order of the report."""

    def __init__(self, ctx: ReportContext, res):
        self.ctx, self.res, self.t = ctx, res, ctx.t
        self.blocks: list = []
        self.summary: dict = {"skipped": dict(res.skipped), "parameters": {
            k: res.parameters[k] for k in ("outcome", "cluster", "control", "base_period", "se", "post_rule",
                                           "n_boot", "seed", "level")}}
        tag = ctx.tag()
        self.tag = (" " + tag) if tag and ctx.lang == "en" else tag
        self.src = self.t("数据：", "Data: ") + (self.t("合成数据", "synthetic data") if ctx.dataset.is_synthetic
                                                else str(ctx.dataset.directory))

    def text(self, zh: str, en: str, *, tag: bool = False) -> None:
        self.blocks.append(self.ctx.text(self.t(zh, en) + (self.tag if tag else "")))

    def table(self, name: str, df: pd.DataFrame, zh: str, en: str) -> None:
        self.blocks.append(self.ctx.table(name, _tab(df, self.ctx.lang), self.t(zh, en) + self.tag))

    def figure(self, name: str, ax, zh: str, en: str) -> None:
        self.blocks.append(self.ctx.figure(name, ax.figure, self.t(zh, en)))

    def lab(self, code, kind: str) -> str:
        return label(code, self.ctx.lang, kind=kind)

    # ---- level 1
    def quality(self) -> None:
        from ...plots.evaluation import plot_quality_profile

        q = self.res.quality
        ov = q.overall()
        w = "、".join(f"{self.lab(k, 'rater_role')} {v:g}" for k, v in q.weights.items()) if self.ctx.lang == "zh" \
            else ", ".join(f"{self.lab(k, 'rater_role')} {v:g}" for k, v in q.weights.items())
        self.text(f"**反应层（培训质量）。** {len(ov)} 个班次按计划八个维度评分（1–5）。四类评价者按权重合成"
                  f"（{w}；各班次按实际参评角色重新归一）。评分有上下界，区间在 (x − 1)/4 的 logit 尺度上按 t 分布"
                  "（Welch–Satterthwaite 自由度，表中列出）构造再变换回来，因此始终落在 1–5 之内；自由度小（某一权重较大的"
                  "角色参评人数少）时区间很宽。",
                  f"**Reaction (quality).** {len(ov)} sessions were rated on the plan's eight dimensions "
                  f"(1–5). The four rater roles are combined with weights ({w}; renormalised over the roles "
                  "present). Scores are bounded, so intervals are t intervals (Welch–Satterthwaite df, shown in "
                  "the table) on the logit of (x − 1)/4, transformed back: they always lie within 1–5, and are "
                  "wide where the df are small (few raters in a heavily weighted role).")
        self.table("effectiveness_quality",
                   ov[["training_id", "estimate", "std_error", "ci_low", "ci_high", "df", "n", "roles"]],
                   "表 班次综合评分（角色加权，1–5 有界区间）", "Table: overall session scores (role-weighted, "
                   "bounded 1–5 intervals)")
        top = ov.sort_values("n", ascending=False)["training_id"].head(5).tolist()
        ax = plot_quality_profile(q, sessions=sorted(top), lang=self.ctx.lang)
        lv = int(round(q.level * 100))
        self.figure("effectiveness_quality_profile", ax,
                    f"图 各班次分维度评分及 {lv}% 置信区间（参评最多的 5 个班次）。{self.src}{self.tag}；权重 {w}。",
                    f"Figure: per-dimension scores with {lv}% CIs (5 sessions with most responses). "
                    f"{self.src}{self.tag}; weights {w}.")
        if q.dropped:
            self.text("仅有一份问卷、无法给出区间的班次未列入：" + ", ".join(q.dropped),
                      "Sessions with a single response (no interval) left out: " + ", ".join(q.dropped))
        self.summary["quality"] = {"n_sessions": int(len(ov)), "weights": q.weights, "interval": q.interval,
                                   "mean_overall": float(ov["estimate"].mean()),
                                   "min_df": float(ov["df"].min())}

    def agreement(self) -> None:
        a = self.res.agreement
        icc = a.icc.set_index("type")
        e = {k: (_f(icc.loc[k, "estimate"]), _f(icc.loc[k, "ci_low"]), _f(icc.loc[k, "ci_high"])) for k in ("ICC2", "ICC2k")}
        self.text(f"评价者角色间一致性（{len(a.roles)} 类角色、{a.n_targets} 个班次）：ICC(2,1) = {e['ICC2'][0]}"
                  f"（{e['ICC2'][1]}–{e['ICC2'][2]}），角色平均分的 ICC(2,k) = {e['ICC2k'][0]}（{e['ICC2k'][1]}–"
                  f"{e['ICC2k'][2]}）（Shrout–Fleiss 双向随机、绝对一致；McGraw–Wong 区间）。",
                  f"Agreement between rater roles ({len(a.roles)} roles, {a.n_targets} sessions): ICC(2,1) = "
                  f"{e['ICC2'][0]} ({e['ICC2'][1]}–{e['ICC2'][2]}); ICC(2,k) of the role average = {e['ICC2k'][0]} "
                  f"({e['ICC2k'][1]}–{e['ICC2k'][2]}) (Shrout–Fleiss two-way random, absolute agreement; "
                  "McGraw–Wong intervals).", tag=True)
        self.summary["agreement"] = {"icc2": a.get("ICC2"), "icc2k": a.get("ICC2k")}
        ka = a.alpha
        if ka is None:
            return
        ci = self.t(f"（自助法 {ka.n_boot} 次区间 {_f(ka.ci_low)}–{_f(ka.ci_high)}）",
                    f" (unit bootstrap, {ka.n_boot} replicates: {_f(ka.ci_low)}–{_f(ka.ci_high)})") if ka.n_boot else ""
        self.text(f"Krippendorff α（等距，角色均分；纳入至少两类角色评过的 {ka.n_units} 个班次，缺评不删整行）= "
                  f"{_f(ka.alpha)}{ci}。α 衡量单个角色评分的一致性，应与 ICC(2,1) 而非角色平均分的 ICC(2,k) 比较；"
                  "α ≥ 0.80 通常视为可靠，0.667–0.80 仅宜作初步结论（Krippendorff 2004）。",
                  f"Krippendorff's alpha (interval, role means; all {ka.n_units} sessions rated by at least two "
                  f"roles, so a missing role does not drop a session) = {_f(ka.alpha)}{ci}. Alpha measures the "
                  "agreement of single roles' ratings: compare it with ICC(2,1), not with the role average's "
                  "ICC(2,k). Alpha ≥ 0.80 is customarily taken as reliable, 0.667–0.80 as tentative "
                  "(Krippendorff 2004).", tag=True)
        self.summary["agreement"]["krippendorff_alpha"] = float(ka.alpha)
        self.summary["agreement"]["krippendorff_ci"] = [ka.ci_low, ka.ci_high]

    def ranking(self) -> None:
        from ...plots.evaluation import plot_rank_intervals

        rk = self.res.ranking
        tab = rk.table
        n_top = int((tab["tied_rank"] == 1).sum())
        n_ind = int(tab["indistinguishable_from_above"].sum())
        lv = int(round(rk.level * 100))
        self.text(f"排名要如实反映不确定性：自助法（{rk.n_boot} 次）给出每个班次的 {lv}% 排名区间；只有置信区间不重叠的班次"
                  f"才分先后——有 {n_top} 个班次并列第一（无别的班次显著优于它们）；{len(tab)} 个班次中有 {n_ind} 个与排在其"
                  "上一位的班次无法区分（两者之差的自助区间含 0），表中标出。",
                  f"A ranking must show its uncertainty: the bootstrap ({rk.n_boot} replicates) gives each session a "
                  f"{lv}% rank interval, and only sessions whose CIs do not overlap are ranked apart — {n_top} "
                  f"sessions tie for first (no session is credibly better); {n_ind} of {len(tab)} sessions cannot "
                  "be told apart from the one placed just above (the bootstrap interval of their difference "
                  "contains 0), flagged in the table.", tag=True)
        shown = tab.rename(columns={"rank": "place"})[
            ["place", "training_id", "estimate", "ci_low", "ci_high", "rank_low", "rank_high", "tied_rank",
             "p_above", "indistinguishable_from_above"]]
        self.table("effectiveness_ranking", shown, f"表 班次质量排名（{lv}% 自助排名区间；与上一名无法区分者标出）",
                   f"Table: session quality league table ({lv}% bootstrap rank intervals; neighbours the data "
                   "cannot order flagged)")
        ax = plot_rank_intervals(rk, lang=self.ctx.lang)
        self.figure("effectiveness_rank_intervals", ax,
                    f"图 班次排名及 {lv}% 自助区间。{self.src}{self.tag}；种子 {self.ctx.seed}。",
                    f"Figure: session ranks with {lv}% bootstrap intervals. {self.src}{self.tag}; seed {self.ctx.seed}.")
        self.summary["ranking"] = {"n_tied_first": n_top, "n_indistinguishable_from_above": n_ind,
                                   "n_boot": rk.n_boot,
                                   "table": [{k: (None if pd.isna(r[k]) else (bool(r[k]) if k.startswith("indist")
                                                                              else r[k])) for k in
                                              ("training_id", "rank", "rank_low", "rank_high",
                                               "indistinguishable_from_above")} for _, r in tab.iterrows()]}

    # ---- instrument
    def reliability(self) -> None:
        rel = self.res.reliability.scales
        self.text("**量表信度与结构。** Cronbach α（Feldt F 区间）、McDonald ω（单因子 ML 模型），按全部及各角色计算。",
                  "**Reliability and structure.** Cronbach's alpha (Feldt F interval) and McDonald's omega "
                  "(one-factor ML model), overall and per rater role.")
        self.table("effectiveness_reliability", rel.rename(columns={"alpha": "estimate"}), "表 量表信度",
                   "Table: scale reliability")
        q = rel.iloc[0]
        self.summary["reliability"] = {"alpha": float(q["alpha"]), "ci_low": float(q["ci_low"]),
                                       "ci_high": float(q["ci_high"]),
                                       "omega": None if pd.isna(q["omega"]) else float(q["omega"])}

    def structure(self) -> None:
        parts = []
        if self.res.efa is not None:
            e = self.res.efa
            parts.append(self.t(f"KMO = {_f(e.kmo)}，Bartlett 球形检验 p {_p(e.bartlett_p)}；平行分析建议 "
                                f"{e.n_factors_suggested} 个因子（首个特征值 {_f(e.eigen['eigenvalue'].iloc[0])}）。",
                                f"KMO = {_f(e.kmo)}, Bartlett's sphericity p {_p(e.bartlett_p)}; parallel analysis "
                                f"suggests {e.n_factors_suggested} factor(s) (first eigenvalue "
                                f"{_f(e.eigen['eigenvalue'].iloc[0])})."))
            self.summary["efa"] = {"n_factors_suggested": e.n_factors_suggested, "kmo": e.kmo}
        if self.res.cfa is not None:
            c = self.res.cfa
            ci = f"{_f(c.rmsea_ci_low, 3)}–{_f(c.rmsea_ci_high, 3)}"
            parts.append(self.t(f"单因子验证性模型：χ²({c.df}) = {_f(c.chi2)}，p {_p(c.p)}，CFI = {_f(c.cfi, 3)}，"
                                f"TLI = {_f(c.tli, 3)}，RMSEA = {_f(c.rmsea, 3)}（90% 区间 {ci}），SRMR = {_f(c.srmr, 3)}。",
                                f"One-factor CFA: χ²({c.df}) = {_f(c.chi2)}, p {_p(c.p)}, CFI = {_f(c.cfi, 3)}, "
                                f"TLI = {_f(c.tli, 3)}, RMSEA = {_f(c.rmsea, 3)} (90% CI {ci}), SRMR = {_f(c.srmr, 3)}."))
            self.summary["cfa"] = dict(c.fit_indices())
        if parts:
            self.blocks.append(self.ctx.text(" ".join(parts) + self.tag))

    # ---- level 2
    def learning(self) -> None:
        g = self.res.learning.overall
        self.text(f"**学习层（前后测）。** {g.n} 名学员前测均分 {_f(g.mean_pre, 1)}、后测 {_f(g.mean_post, 1)}，"
                  f"平均提高 {_f(g.mean_gain)} 分（95% 区间 {_f(g.gain_ci_low)}–{_f(g.gain_ci_high)}；配对 t = {_f(g.t)}，"
                  f"p {_p(g.p)}）。Hedges g = {_f(g.hedges_g, 3)}（{_f(g.ci_low, 3)}–{_f(g.ci_high, 3)}，Bonett 标准误），"
                  f"d_z = {_f(g.d_z, 3)}；Hake 归一化增益 ⟨g⟩ = {_f(g.normalized_gain, 3)}。",
                  f"**Learning (pre/post).** {g.n} learners scored {_f(g.mean_pre, 1)} before and "
                  f"{_f(g.mean_post, 1)} after: a mean gain of {_f(g.mean_gain)} points (95% CI "
                  f"{_f(g.gain_ci_low)}–{_f(g.gain_ci_high)}; paired t = {_f(g.t)}, p {_p(g.p)}). Hedges' g = "
                  f"{_f(g.hedges_g, 3)} ({_f(g.ci_low, 3)}–{_f(g.ci_high, 3)}, Bonett SE), d_z = {_f(g.d_z, 3)}; "
                  f"Hake's normalised gain ⟨g⟩ = {_f(g.normalized_gain, 3)}.", tag=True)
        if len(self.res.learning.sessions):
            self.table("effectiveness_learning", self.res.learning.sessions, "表 各班次前后测提高",
                       "Table: pre/post gain by session")
        self.summary["learning"] = {"mean_gain": g.mean_gain, "hedges_g": g.hedges_g, "ci_low": g.ci_low,
                                    "ci_high": g.ci_high, "p": g.p, "n": g.n}

    # ---- levels 3-4
    def did(self) -> None:
        d = self.res.did
        c = d.choices
        ctrl_zh, ctrl_en = (label(c["control"], lang, kind="control_group") for lang in ("zh", "en"))
        why = self.t("（auto：数据中有从未参训者）" if c.get("control_requested") == "auto" and c["control"] == "never_treated"
                     else "（auto：所有代表最终都参训，故用尚未参训者）" if c.get("control_requested") == "auto" else "",
                     " (auto: the data have never-trained representatives)"
                     if c.get("control_requested") == "auto" and c["control"] == "never_treated" else
                     " (auto: everyone is trained eventually, so the not-yet-trained)"
                     if c.get("control_requested") == "auto" else "")
        out_zh, out_en = (label(d.outcome, lang, kind="outcome") for lang in ("zh", "en"))
        cl_zh, cl_en = (label(d.cluster, lang, kind="cluster_unit") for lang in ("zh", "en"))
        bp_zh, bp_en = (label(c.get("base_period"), lang, kind="base_period") for lang in ("zh", "en"))
        self.text(f"**行为与结果层（履职产出）。** 以{out_zh}为结果、代表与年份双向固定效应的双重差分（按{cl_zh}聚类稳健标准误，"
                  f"{d.n_clusters} 个聚类），{d.n_units} 名代表中 {d.n_treated_units} 名参训。培训分批进行（交错处理）："
                  f"TWFE 系数在效应异质时可能有偏，故同时报告只用{ctrl_zh}作对照的分组-时期估计{why}（Callaway–Sant'Anna；"
                  f"基期：{bp_zh}；队列权重随自助重抽）。",
                  f"**Behaviour and results (duty outputs).** Difference in differences of {out_en} with "
                  f"representative and year fixed effects (cluster-robust by {cl_en}, {d.n_clusters} clusters); "
                  f"{d.n_treated_units} of {d.n_units} representatives were trained. Training is staggered: the "
                  "TWFE coefficient can be biased under heterogeneous effects, so the group-time estimate with "
                  f"{ctrl_en} controls{why} is reported too (Callaway–Sant'Anna; base period: {bp_en}; cohort "
                  "weights redrawn in the bootstrap).")
        co = self.res.parameters.get("cohorts")
        if co:
            rule_zh = {"mid_year": "首次参训班次在 6 月 30 日前结束的，当年起计为已参训，否则从次年起",
                       "session_year": "首次参训班次当年起计为已参训", "next_year": "首次参训班次的次年起计为已参训"}
            moved = co["n_next_year"]
            self.text(f"队列的确定（post_rule = {co['post_rule']}）：{rule_zh[co['post_rule']]}；{co['n_trained']} 名参训代表中"
                      f" {moved} 名因此从班次次年起计入。",
                      "How cohorts were formed: " + "; ".join(self.res.notes) + ".")
        self.table("effectiveness_did", d.table, "表 双重差分估计", "Table: difference-in-differences estimates")
        tw = d.table.set_index("method")
        self.summary["did"] = {m: {"estimate": float(r["estimate"]), "ci_low": float(r["ci_low"]),
                                   "ci_high": float(r["ci_high"]), "p": float(r["p"])} for m, r in tw.iterrows()}
        self.summary["did"]["control"] = c["control"]
        self.summary["did"]["control_requested"] = c.get("control_requested")
        self.summary["did"]["base_period"] = c.get("base_period")

    def event_study(self) -> None:
        from ...plots.evaluation import plot_event_study

        es = self.res.event_study
        binned = es.binned["leads"] is not None or es.binned["lags"] is not None
        how_zh = f"端点合并：{es.binned}" if binned else "各期单列、不合并端点"
        how_en = f"endpoints binned: {es.binned}" if binned else "no binning: every relative year has its own coefficient"
        self.text(f"事件研究（{how_zh}）：培训前各期系数联合为 0 的检验 F = {_f(es.pretrend_F)}，p = {_p(es.pretrend_p)}"
                  "（p 大只说明数据与平行趋势相容，不能证明之）。",
                  f"Event study ({how_en}): joint test that the pre-training coefficients are 0, F = "
                  f"{_f(es.pretrend_F)}, p = {_p(es.pretrend_p)} (a large p is consistent with, not proof of, "
                  "parallel trends).", tag=True)
        ax = plot_event_study(es, group_time=self.res.did, lang=self.ctx.lang)
        out_zh, out_en = (label(es.outcome, lang, kind="outcome") for lang in ("zh", "en"))
        cl_zh, cl_en = (label(es.cluster, lang, kind="cluster_unit") for lang in ("zh", "en"))
        self.figure("effectiveness_event_study", ax,
                    f"图 事件研究：首次培训前后各年效应及 95% 置信区间，参照期 {es.reference}；空心三角为只用干净对照的分组-时期"
                    f"估计。{self.src}{self.tag}；结果：{out_zh}，按{cl_zh}聚类。",
                    f"Figure: event study, effects by year relative to first training with 95% CIs; reference "
                    f"period {es.reference}; hollow triangles: group-time estimates with clean controls only. "
                    f"{self.src}{self.tag}; outcome {out_en}, clustered by {cl_en}.")
        self.summary["event_study"] = {"pretrend_p": es.pretrend_p, "pretrend_F": es.pretrend_F,
                                       "binned": dict(es.binned)}

    def mixed(self) -> None:
        m = self.res.mixed
        r = m.table.iloc[0]
        dg = m.diagnostics
        self.text(f"混合效应模型（代表嵌套于省份，REML，{'已收敛' if m.converged else '未收敛'}）：培训效应 {_f(r['estimate'], 3)}"
                  f"（{_f(r['ci_low'], 3)}–{_f(r['ci_high'], 3)}）；省际 ICC = {_f(m.icc_province, 3)}，代表层 ICC = "
                  f"{_f(m.icc_representative, 3)}。残差偏度 {_f(dg['skew'])}、超额峰度 {_f(dg['excess_kurtosis'])}"
                  f"（计数结果右偏，正态性不成立时以聚类稳健的 DiD 为主）。",
                  f"Mixed model (representatives nested in provinces, REML, "
                  f"{'converged' if m.converged else 'NOT converged'}): effect {_f(r['estimate'], 3)} "
                  f"({_f(r['ci_low'], 3)}–{_f(r['ci_high'], 3)}); province ICC = {_f(m.icc_province, 3)}, "
                  f"representative ICC = {_f(m.icc_representative, 3)}. Residual skew {_f(dg['skew'])}, excess "
                  f"kurtosis {_f(dg['excess_kurtosis'])} (counts are right-skewed; where normality fails, rely on "
                  "the cluster-robust DiD).", tag=True)
        self.summary["mixed"] = {"estimate": float(r["estimate"]), "ci_low": float(r["ci_low"]),
                                 "ci_high": float(r["ci_high"]), "icc_province": m.icc_province,
                                 "converged": m.converged}

    def heterogeneity(self) -> None:
        from ...plots.evaluation import plot_effects_forest

        h = self.res.heterogeneity
        corr = label(h.correction, self.ctx.lang, kind="correction")
        self.table("effectiveness_segments", h.interactions, f"表 分群体效应差异（{corr} 多重比较校正）",
                   f"Table: differences of effects between segments ({corr}-corrected)")
        ax = plot_effects_forest(h, overall=self.res.did, lang=self.ctx.lang)
        out_zh, out_en = (label(h.outcome, lang, kind="outcome") for lang in ("zh", "en"))
        self.figure("effectiveness_segments_forest", ax,
                    f"图 分群体培训效应及 95% 置信区间；右侧为交互项校正后 p（{corr}）。{self.src}{self.tag}；结果：{out_zh}。",
                    f"Figure: training effects by segment with 95% CIs; right: corrected interaction p ({corr}). "
                    f"{self.src}{self.tag}; outcome {out_en}.")
        self.summary["heterogeneity"] = {r["segment"]: {"estimate": float(r["estimate"]),
                                                        "p_adjusted": float(r["p_adjusted"])}
                                         for _, r in h.interactions.iterrows()}

    # ---- design of the next study
    def design(self) -> None:
        d = self.res.design
        o_zh, o_en = (label(d.outcome, lang, kind="design_outcome") for lang in ("zh", "en"))
        src_zh = "由本次问卷估计" if d.icc_source == "estimated" else "假定值"
        src_en = "estimated from this survey" if d.icc_source == "estimated" else "assumed"
        raw = "" if d.icc_raw is None or d.icc_raw >= 0 else self.t(f"，估计值 {d.icc_raw:.3f} 截断为 0",
                                                                   f"; estimate {d.icc_raw:.3f} truncated at 0")
        self.text(f"**评估设计与检验力。** 明年若以{o_zh}为结果、要检出 d = {d.effect_size:g} 的差异（α = {d.alpha:g}，"
                  f"检验力 {d.power:g}），简单随机抽样每组需 {d.n_srs} 人；按班次整群（每班 {d.cluster_size:g} 人），"
                  f"所需的班次间 ICC 取自同一结果——{o_zh}的 ICC = {d.icc:.3f}（{src_zh}{raw}），设计效应 1 + (m − 1)·ICC = "
                  f"{d.design_effect:.2f}，每组需 {d.n_per_arm} 人、{d.clusters_per_arm} 个班次（人数与班次均向上取整）。"
                  "质量评分的班次间 ICC 大得多，但它不是试验的结果变量，不能用来设计学习效果试验。",
                  f"**Design and power.** To detect d = {d.effect_size:g} in {o_en} next year (α = {d.alpha:g}, "
                  f"power {d.power:g}) takes {d.n_srs} per group under simple random sampling; sampling whole "
                  f"sessions ({d.cluster_size:g} per session) needs the between-session ICC of the same outcome — "
                  f"{o_en}: ICC = {d.icc:.3f} ({src_en}{raw}), design effect 1 + (m − 1)·ICC = "
                  f"{d.design_effect:.2f} — so {d.n_per_arm} people in {d.clusters_per_arm} sessions per group "
                  "(people and sessions rounded up). The quality ratings have a much larger session ICC, but they "
                  "are not the trial's outcome and must not size a trial of learning.", tag=True)
        self.table("effectiveness_power", d.table.drop(columns=["n_srs_exact", "n_per_arm_exact"]),
                   f"表 样本量规划（ICC 取自{o_zh}）", f"Table: sample-size planning (ICC of {o_en})")
        self.summary["power"] = {"d": d.effect_size, "outcome": d.outcome, "icc": d.icc, "icc_source": d.icc_source,
                                 "n_srs": d.n_srs, "n_per_arm": d.n_per_arm, "clusters_per_arm": d.clusters_per_arm}

    # ---- ROI
    def roi(self) -> None:
        r = self.res.roi
        s = r.summary
        unit_zh = "名不重复参训代表" if r.assumptions["effect_per"] == "representative" else "人次"
        txt = self.t(f"**成本与回报。** 总成本 {s['total_cost']:,.0f} 元；培训 {s['n_trained_distinct']} 名代表、"
                     f"{s['n_trained_person_times']} 人次，每名代表 {s['cost_per_distinct_trained']:,.0f} 元、每人次 "
                     f"{s['cost_per_person_time']:,.0f} 元。",
                     f"**Cost and return.** Total cost {s['total_cost']:,.0f} yuan for {s['n_trained_distinct']} "
                     f"representatives ({s['n_trained_person_times']} person-times): {s['cost_per_distinct_trained']:,.0f} "
                     f"yuan per representative, {s['cost_per_person_time']:,.0f} per person-time.")
        if s.get("roi_percent") is not None:
            v, hz = r.assumptions["value_per_unit"], r.assumptions["horizon_years"]
            txt += self.t(f"双重差分估计的是每名参训代表的效应，故乘以 {s['n_trained']} {unit_zh}（而非人次）。假设每多一件建议价值 "
                          f"{v:,.0f} 元、效应持续 {hz:g} 年（假设，非数据），每单位增益成本 {s['cost_per_unit_gain']:,.0f} 元，"
                          f"ROI = {s['roi_percent']:.0f}%（按效应区间 {s['roi_ci_low']:.0f}% 至 {s['roi_ci_high']:.0f}%）",
                          f" The DiD estimates an effect per trained representative, so it is multiplied by "
                          f"{s['n_trained']} {s['unit']} (not person-times). Assuming one extra proposal is worth "
                          f"{v:,.0f} yuan and the effect lasts {hz:g} years (assumptions, not data): "
                          f"{s['cost_per_unit_gain']:,.0f} yuan per unit of gain, ROI = {s['roi_percent']:.0f}% "
                          f"({s['roi_ci_low']:.0f}% to {s['roi_ci_high']:.0f}% over the effect's CI)")
            txt += self.tag + self.t("。", ".")
        self.blocks.append(self.ctx.text(txt))
        self.summary["roi"] = {k: s[k] for k in ("total_cost", "unit", "n_trained", "n_trained_distinct",
                                                 "n_trained_person_times", "cost_per_trained", "cost_per_unit_gain",
                                                 "roi_percent", "roi_ci_low", "roi_ci_high")}
        self.summary["roi"]["assumptions"] = r.assumptions

    def skipped(self) -> None:
        if self.res.skipped:
            self.blocks.append(self.ctx.text(self.t("未能进行的分析：", "Analyses not run:") + "\n\n" + "\n".join(
                f"- {k}: {v}" for k, v in sorted(self.res.skipped.items()))))


def build(ctx: ReportContext) -> Section:
    sec = Section("effectiveness", ctx.t("培训效果评估", "Training effectiveness"), data_origin=ctx.origin)
    ds = ctx.dataset
    if ds.survey is None and ds.outputs is None and ds.costs is None:
        sec.blocks.append(ctx.text(ctx.t("数据中没有问卷（survey）、履职产出（outputs）或成本（costs）表，跳过本节。",
                                         "No survey, outputs or costs table: section skipped.")))
        sec.summary = {"skipped": True}
        return sec
    res = evaluate(survey=ds.survey, outputs=ds.outputs, representatives=ds.representatives,
                   attendance=ds.attendance, trainings=ds.trainings, costs=ds.costs,
                   value_per_unit=VALUE_PER_UNIT, horizon_years=HORIZON_YEARS,
                   n_boot=QUICK_N_BOOT if ctx.quick else DEFAULTS["n_boot"], seed=ctx.seed)
    r = _Render(ctx, res)
    r.text("本节按柯氏四级（反应、学习、行为、结果）与菲利普斯投资回报率评估培训效果。所有估计都附置信区间；数据无法支持的部分会"
           "说明原因并跳过。",
           "This section follows Kirkpatrick's four levels (reaction, learning, behaviour, results) and Phillips' "
           "ROI. Every estimate carries a confidence interval; parts the data cannot support are skipped with the "
           "reason.")
    for part in ("quality", "agreement", "ranking", "reliability"):
        if getattr(res, part) is not None:
            getattr(r, part)()
    r.structure()
    if res.learning is not None:
        r.learning()
    else:
        r.text("学习层：" + res.skipped.get("learning", ""), "Learning: " + res.skipped.get("learning", ""))
    if res.did is not None:
        r.did()
    else:
        r.text("行为与结果层：" + res.skipped.get("did", ""), "Behaviour and results: " + res.skipped.get("did", ""))
    for part in ("event_study", "mixed", "heterogeneity", "design", "roi"):
        if getattr(res, part) is not None:
            getattr(r, part)()
    r.skipped()
    sec.blocks.extend(r.blocks)
    sec.summary = r.summary
    return sec
