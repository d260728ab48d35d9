"""Report section: the 2020–2023 training plan's indicators evaluated on cadres and hours."""

from __future__ import annotations

import re

import pandas as pd

from ...compliance import evaluate_compliance, load_rules
from .. import ReportContext, Section

__all__ = ["build"]


_ZH = {"rule_id": "规则", "indicator": "指标", "reason": "原因", "n_miss": "未达标数",
       "mean_shortfall_hours": "平均差距（学时）", "mean_shortfall_days": "平均差距（天）",
       "mean_shortfall_count": "平均差距（次）", "year": "年份", "group_size": "人数",
       "n_trained": "脱产培训人数", "rate": "调训率", "threshold_rate": "门槛", "status": "结果",
       "shortfall_rate": "差距", "shortfall_cadres": "尚需人数", "n_classes": "班数",
       "mean_share": "平均占比", "min_share": "最低占比", "threshold": "门槛",
       "pass_rate": "达标率"}


_STATUS_ZH = {"pass": "达标", "fail": "未达标", "warning": "警示", "pending": "待定",
              "not_applicable": "不适用"}
# zh of the reasons of the shipped rules (datasets/real/plan_indicators.toml); used only when
# the reason text is exactly the shipped one, so an edited rules file shows its own text
_REASONS_ZH = {
    "An obligation of provincial associations, not of cadres: neither cadres nor hours_log "
    "identifies the organising provincial association. Evaluate on an activity table keyed by "
    "province (count rows with category = guidance_activity per province and year) if one is "
    "supplied.":
        "这是省级科协的义务，不是干部个人的：干部表和学时登记表都无法确定组织活动的省级科协。"
        "若提供按省份登记的活动表（统计每省每年 category = guidance_activity 的行），可据此评估。",
    "Needs cadres.unit_type to tell affiliated-unit (直属单位) staff from organ staff; transfers "
    "(转岗) are not expressible (no transfer date in cadres).":
        "需要 cadres.unit_type 区分直属单位与机关人员；转岗无法表达（干部表没有转岗日期）。",
    "An obligation of each party branch per month; cadres has no branch id and hours_log is yearly.":
        "这是各党支部按月的义务；干部表没有支部编号，学时登记按年汇总。",
    "Needs the optional column cadres.role (allowed values in kexie_research.schema.CADRE_ROLES); "
    "the required cadre columns cannot express these roles.":
        "需要可选列 cadres.role（取值见 kexie_research.schema.CADRE_ROLES）；必备的干部列无法表达这些角色。",
}
_UNIT_ZH = {"h": "学时", "d": "天", "record(s)": "次"}


def _test_zh(test: str) -> str:
    """``">= 450 h or >= 75 d in 4 y"`` → ``"4年内 ≥450学时或≥75天"``; unknown forms unchanged."""
    m = re.fullmatch(r"(.+) in (\d+) y", test)
    if m:
        parts = []
        for p in m.group(1).split(" or "):
            q = re.fullmatch(r">= ([\d.]+) (h|d|record\(s\))", p.strip())
            if q is None:
                return test
            parts.append(f"≥{q.group(1)}{_UNIT_ZH[q.group(2)]}")
        return f"{m.group(2)}年内 " + "或".join(parts)
    m = re.fullmatch(r"rate >= ([\d.]+%)", test)
    if m:
        return f"调训率 ≥{m.group(1)}"
    m = re.fullmatch(r"share >= ([\d.]+%) \((hours|modules)\)", test)
    if m:
        return f"占比 ≥{m.group(1)}（{'课时' if m.group(2) == 'hours' else '课程数'}）"
    return test


def _localise(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    if lang != "zh":
        return df
    cells = {}
    if "status" in df.columns:
        cells["status"] = [_STATUS_ZH.get(v, v) for v in df["status"]]
    if "reason" in df.columns:
        cells["reason"] = [_REASONS_ZH.get(v, v) for v in df["reason"]]
    return df.assign(**cells).rename(columns=_ZH)


# share columns (after _localise / the rules-table renaming), printed as percentages
_PCT_COLUMNS = {"pass_rate", "rate", "threshold_rate", "shortfall_rate", "mean_share", "min_share",
                "threshold", "达标率", "调训率", "门槛", "差距", "平均占比", "最低占比", "pass rate"}


def _pct_formats(df: pd.DataFrame) -> dict[str, str]:
    return {c: "pct" for c in df.columns if c in _PCT_COLUMNS}


def build(ctx: ReportContext) -> Section:
    from ...plots.compliance import (plot_compliance_heatmap, plot_curriculum_shares,
                                     plot_off_job_rates)

    sec = Section("compliance", ctx.t("培训计划指标达标情况", "Training-plan compliance"),
                  data_origin=ctx.origin)
    ds = ctx.dataset
    if ds.cadres is None or ds.hours_log is None:
        sec.blocks.append(ctx.text(ctx.t("数据中没有干部表或学时登记表，跳过本节。",
                                         "No cadres or hours_log table: section skipped.")))
        sec.summary = {"skipped": True}
        return sec
    rules = load_rules()
    res = evaluate_compliance(ds.cadres, ds.hours_log, rules, curriculum=ds.curriculum,
                              trainings=ds.trainings)
    src = ctx.data_source() + \
        ctx.t("；规则：plan_indicators.toml（科协发组字〔2020〕17号）",
              "; rules: plan_indicators.toml (CAST plan 科协发组字〔2020〕17号)")
    n_ev = int(res.rules["evaluated"].sum())
    sec.blocks.append(ctx.text(ctx.t(
        f"按《中国科协2020—2023年教育培训规划》的 {len(res.rules)} 条机读规则（7 项量化指标及 2 条相关规范）"
        f"评估 {res.n_cadres} 名干部 {min(res.years) if res.years else '–'}—{max(res.years) if res.years else '–'} 年的学时登记"
        f"{'与各班课程' if ds.curriculum is not None else ''}：{n_ev} 条可评估，{len(res.not_evaluable)} 条因数据所限不可评估（原因见下表）。"
        "规则是数据：修改阈值或增加规则只需编辑 TOML 文件（`kexie-research compliance --rules FILE`）。"
        "“一般”措辞的规则未达标记为警示；4 年窗口超出数据范围时未达标记为待定。",
        f"The {len(res.rules)} machine-readable rules of the CAST 2020–2023 training plan (seven "
        f"quantitative indicators plus two related norms) are evaluated on {res.n_cadres} cadres' "
        f"hours logs for {min(res.years) if res.years else '–'}–{max(res.years) if res.years else '–'}"
        f"{' and the classes’ curricula' if ds.curriculum is not None else ''}: {n_ev} rules "
        f"evaluable, {len(res.not_evaluable)} not (reasons below). Rules are data: edit "
        "thresholds or add rules in the TOML file (`kexie-research compliance --rules FILE`). "
        "Misses of rules worded 'generally' (一般) are warnings; misses whose window runs past "
        "the data are pending.")))
    title = "title_zh" if ctx.lang == "zh" else "title_en"
    t = res.rules[["rule_id", "indicator", title, "test", "evaluated", "n_evaluated", "n_pass",
                   "n_warning", "n_pending", "pass_rate"]].rename(columns={
        "rule_id": ctx.t("规则", "rule"), "indicator": ctx.t("指标", "indicator"),
        title: ctx.t("内容", "title"), "test": ctx.t("判定", "test"),
        "evaluated": ctx.t("已评估", "evaluated"), "n_evaluated": ctx.t("评估数", "n"),
        "n_pass": ctx.t("达标", "pass"), "n_warning": ctx.t("警示", "warning"),
        "n_pending": ctx.t("待定", "pending"), "pass_rate": ctx.t("达标率", "pass rate")})
    if ctx.lang == "zh":
        t["判定"] = [_test_zh(v) for v in t["判定"]]
        t["已评估"] = ["是" if v else "否" for v in t["已评估"]]
    sec.blocks.append(ctx.table("compliance_rules", t, ctx.t(
        "表 各规则达标率（干部规则按人·年计；调训率规则按年计；课程规则按班计）",
        "Table. Pass rate per rule (cadre rules per cadre-year; rate rules per year; curriculum rules per class)"),
        formats=_pct_formats(t)))
    if len(res.not_evaluable):
        sec.blocks.append(ctx.table("compliance_not_evaluable", _localise(res.not_evaluable, ctx.lang), ctx.t(
            "表 不可评估的规则及原因", "Table. Rules not evaluable and why")))
    sf = res.shortfalls()
    if len(sf):
        agg = sf.groupby("rule_id", sort=True).agg(
            n_miss=("status", "size"), mean_shortfall_hours=("shortfall_hours", "mean"),
            mean_shortfall_days=("shortfall_days", "mean"),
            mean_shortfall_count=("shortfall_count", "mean")).reset_index()
        sec.blocks.append(ctx.table("compliance_shortfalls", _localise(agg, ctx.lang), ctx.t(
            "表 未达标者的平均差距（学时、天数或次数；“或”规则给出两种差距，补足任一即可）",
            "Table. Mean shortfall among misses (hours, days or records; for 'either' rules both "
            "are given — closing either suffices)")))
    if len(res.by_rank):
        ax = plot_compliance_heatmap(res, lang=ctx.lang)
        sec.blocks.append(ctx.figure("compliance_heatmap", ax.figure, ctx.t(
            f"各职级 × 规则的达标率（*列为该职级的脱产调训率）；空格表示规则不适用于该职级。{src}。",
            f"Pass rate by rank × rule (* columns: the rank's off-the-job rate); blank cells: rule "
            f"does not apply to the rank. {src}.")))
    if len(res.rates):
        ax = plot_off_job_rates(res, lang=ctx.lang)
        sec.blocks.append(ctx.figure("compliance_off_job_rates", ax.figure, ctx.t(
            f"年度脱产培训调训率与计划门槛（处级以上 30%、科级以下 25%、专业技术人员 20%）。{src}。",
            f"Annual off-the-job training rates vs the plan's thresholds (division+ 30%, section "
            f"and below 25%, professional staff 20%). {src}.")))
        rates = _localise(res.rates, ctx.lang)
        sec.blocks.append(ctx.table("compliance_off_job_rates", rates, ctx.t(
            "表 年度脱产调训率（尚需人数 = 达标尚需增加的调训人数）",
            "Table. Annual off-the-job rates (shortfall_cadres = more cadres needed to meet the rate)"),
            formats=_pct_formats(rates)))
    if len(res.curriculum):
        ax = plot_curriculum_shares(res, lang=ctx.lang)
        sec.blocks.append(ctx.figure("compliance_curriculum", ax.figure, ctx.t(
            f"各班课程占比：理论与党性教育课时 ≥70%（7a）、领导干部授课课时 ≥20%（7b）、互动式教学课程数 ≥30%（7c）。{src}。",
            f"Curriculum shares per class: theory + party ≥ 70% of hours (7a), leaders lecturing "
            f"≥ 20% of hours (7b), interactive methods ≥ 30% of courses (7c). {src}.")))
        cs = res.curriculum.groupby("rule_id", sort=True).agg(
            n_classes=("share", "size"), mean_share=("share", "mean"),
            min_share=("share", "min"), threshold=("threshold_share", "first"),
            pass_rate=("status", lambda s: float((s == "pass").mean()))).reset_index()
        cs = _localise(cs, ctx.lang)
        sec.blocks.append(ctx.table("compliance_curriculum", cs, ctx.t(
            "表 课程占比汇总", "Table. Curriculum shares, summary"), formats=_pct_formats(cs)))
    if res.messages:
        sec.blocks.append(ctx.text(ctx.t("数据说明：", "Data notes:") + "\n\n"
                                   + "\n".join(f"- {m}" for m in res.messages)))
    sec.summary = {
        "n_cadres": res.n_cadres, "years": list(res.years),
        "pass_rates": {r: (None if pd.isna(v) else float(v))
                       for r, v in zip(res.rules["rule_id"], res.rules["pass_rate"])},
        "not_evaluable": list(res.not_evaluable["rule_id"]),
        "off_job_rates": {f"{r}:{y}": float(v) for r, y, v in
                          zip(res.rates["rule_id"], res.rates["year"], res.rates["rate"])},
    }
    return sec
