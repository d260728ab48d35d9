"""Report section: the 2020–2023 training plan's indicators evaluated on cadres and hours."""

from __future__ import annotations

import pandas as pd

from ... import labels
from ...compliance import evaluate_compliance, load_rules
from .. import ReportContext, Section

__all__ = ["build"]


def _localise(df: pd.DataFrame, lang: str, *, table: str | None = None) -> pd.DataFrame:
    """Statuses, reasons and headers in ``lang`` (names from :mod:`kexie_research.labels`;
    Chinese reasons from the rules file's ``reason_zh``)."""
    cells = {}
    if "status" in df.columns:
        names = labels.labels_for("status", lang)
        cells["status"] = [names.get(v, v) for v in df["status"]]
    if lang == "zh" and "reason_zh" in df.columns:
        cells["reason"] = [z or r for z, r in zip(df["reason_zh"], df["reason"])]
    out = df.assign(**cells).drop(columns=[c for c in ("reason_zh",) if c in df.columns])
    return out.rename(columns={c: labels.column_label(c, lang, table=table) for c in out.columns})


def _pct(x) -> str:
    return "–" if x is None or pd.isna(x) else f"{x:.0%}"


# share columns (raw names): printed as percentages in the report, raw in the CSV
_PCT = ("pass_rate", "rate", "threshold_rate", "shortfall_rate", "mean_share", "min_share", "threshold")


def _table(ctx: ReportContext, name: str, df: pd.DataFrame, caption: str, *, table: str | None = None):
    """A localised table block whose share columns print as percentages."""
    formats = {labels.column_label(c, ctx.lang, table=table): "pct" for c in df.columns if c in _PCT}
    return ctx.table(name, _localise(df, ctx.lang, table=table), caption, formats=formats)


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
    tag = ctx.tag()
    sec.blocks.append(ctx.text(tag + ctx.t(
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
    test = "test_zh" if ctx.lang == "zh" else "test"
    t = res.rules[["rule_id", "indicator", title, test, "evaluated", "n_evaluated", "n_pass",
                   "n_warning", "n_pending", "pass_rate"]].rename(columns={title: "title", test: "test"})
    t = t.assign(evaluated=[labels.label(bool(v), ctx.lang) for v in t["evaluated"]])
    sec.blocks.append(_table(ctx, "compliance_rules", t, tag + ctx.t(
        "表 各规则达标率（干部规则按人·年计；调训率规则按年计；课程规则按班计）",
        "Table. Pass rate per rule (cadre rules per cadre-year; rate rules per year; curriculum rules per class)")))
    if len(res.not_evaluable):
        sec.blocks.append(ctx.table("compliance_not_evaluable", _localise(res.not_evaluable, ctx.lang), ctx.t(
            "表 不可评估的规则及原因", "Table. Rules not evaluable and why")))  # no number: no tag
    sf = res.shortfalls()
    if len(sf):
        agg = sf.groupby("rule_id", sort=True).agg(
            n_miss=("status", "size"), mean_shortfall_hours=("shortfall_hours", "mean"),
            mean_shortfall_days=("shortfall_days", "mean"),
            mean_shortfall_count=("shortfall_count", "mean")).reset_index()
        sec.blocks.append(_table(ctx, "compliance_shortfalls", agg, tag + ctx.t(
            "表 未达标者的平均差距（学时、天数或次数；“或”规则给出两种差距，补足任一即可）",
            "Table. Mean shortfall among misses (hours, days or records; for 'either' rules both "
            "are given — closing either suffices)")))
    if len(res.by_rank):
        ax = plot_compliance_heatmap(res, lang=ctx.lang)
        sec.blocks.append(ctx.figure("compliance_heatmap", ax.figure, tag + ctx.t(
            f"各职级 × 规则的达标率（*列为该职级的脱产调训率）；空格表示规则不适用于该职级。{src}。",
            f"Pass rate by rank × rule (* columns: the rank's off-the-job rate); blank cells: rule "
            f"does not apply to the rank. {src}.")))
    if len(res.rates):
        ax = plot_off_job_rates(res, lang=ctx.lang)
        sec.blocks.append(ctx.figure("compliance_off_job_rates", ax.figure, tag + ctx.t(
            f"年度脱产培训调训率与计划门槛（处级以上 30%、科级以下 25%、专业技术人员 20%）。{src}。",
            f"Annual off-the-job training rates vs the plan's thresholds (division+ 30%, section "
            f"and below 25%, professional staff 20%). {src}.")))
        sec.blocks.append(_table(ctx, "compliance_off_job_rates", res.rates, tag + ctx.t(
            "表 年度脱产调训率（尚需人数 = 达标尚需增加的调训人数）",
            "Table. Annual off-the-job rates (shortfall_cadres = more cadres needed to meet the rate)"),
            table="compliance_rates"))
    if len(res.curriculum):
        ax = plot_curriculum_shares(res, lang=ctx.lang)
        sec.blocks.append(ctx.figure("compliance_curriculum", ax.figure, tag + ctx.t(
            f"各班课程占比：理论与党性教育课时 ≥70%（7a）、领导干部授课课时 ≥20%（7b）、互动式教学课程数 ≥30%（7c）。{src}。",
            f"Curriculum shares per class: theory + party ≥ 70% of hours (7a), leaders lecturing "
            f"≥ 20% of hours (7b), interactive methods ≥ 30% of courses (7c). {src}.")))
        cs = res.curriculum.groupby("rule_id", sort=True).agg(
            n_classes=("share", "size"), mean_share=("share", "mean"),
            min_share=("share", "min"), threshold=("threshold_share", "first"),
            pass_rate=("status", lambda s: float((s == "pass").mean()))).reset_index()
        sec.blocks.append(_table(ctx, "compliance_curriculum", cs, tag + ctx.t(
            "表 课程占比汇总", "Table. Curriculum shares, summary")))
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
