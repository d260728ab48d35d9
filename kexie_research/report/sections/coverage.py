"""Report section: representative coverage over the term, who is left out, cross-region exchange."""

from __future__ import annotations

import re

import pandas as pd

from ...coverage import MILESTONES, busiest_congress, compute_coverage, compute_exchange, term_tables
from ...formatting import fmt_int, fmt_interval, fmt_num, fmt_pct
from ...schema import DELEGATION_TYPE, IS_ACADEMICIAN, IS_FRONTLINE, IS_REELECTED, PROVINCE, REGION, SECTOR
from .. import ReportContext, Section

__all__ = ["build", "BREAKDOWNS", "WINDOW_YEARS", "THRESHOLD"]

BREAKDOWNS = (PROVINCE, REGION, DELEGATION_TYPE, SECTOR, IS_FRONTLINE, IS_ACADEMICIAN, IS_REELECTED)
WINDOW_YEARS = 4      # the plan's "not trained in 4 years -> retrain" (seed 001 § 六(六))
THRESHOLD = 0.8


def _pct(x) -> str:
    return fmt_pct(x)


# zh phrasing of the data notes of coverage.compute_coverage (English there: computation
# modules carry no display language); a note not matched stays as it is
_NOTES_ZH = (
    (re.compile(r"^(\d+) of (\d+) group\(s\) below the coverage threshold (\S+)$"),
     "{1} 个组中有 {0} 个低于覆盖率阈值 {2}"),
    (re.compile(r"^(\d+) zero-hour attendance row\(s\) not counted as training$"),
     "{0} 条零学时参训记录不计为培训"),
    (re.compile(r"^(\d+) incomplete attendance row\(s\) not counted$"),
     "{0} 条未完成的参训记录不计入"),
    (re.compile(r"^(\d+) duplicate \(rep_id, training_id\) row\(s\) counted once \(hours summed\)$"),
     "{0} 条重复的（代表，班次）记录只计一次（学时相加）"),
    (re.compile(r"^(\d+) attendance row\(s\) at sessions ending after (\S+) ignored \(as_of\)$"),
     "{0} 条参训记录所在班次结束于 {1} 之后，已忽略（截止日期）"),
)


def _note(msg: str, lang: str) -> str:
    if lang != "zh":
        return msg
    for pat, zh in _NOTES_ZH:
        m = pat.match(msg)
        if m:
            return zh.format(*m.groups())
    return msg


def build(ctx: ReportContext) -> Section:
    from ...plots.coverage import column_label, group_label
    from ...plots.coverage import (plot_coverage_by_group, plot_coverage_curve, plot_exchange,
                                   plot_province_tiles)

    sec = Section("coverage", ctx.t("代表培训覆盖率", "Representative training coverage"),
                  data_origin=ctx.origin)
    ds = ctx.dataset
    if ds.representatives is None or ds.attendance is None:
        sec.blocks.append(ctx.text(ctx.t("数据中没有代表表或参训表，跳过本节。",
                                         "No representatives or attendance table: section skipped.")))
        sec.summary = {"skipped": True}
        return sec
    reps_all, att, tr = ds.representatives, ds.attendance, ds.trainings
    congress = busiest_congress(reps_all, att)
    reps, att_term = term_tables(reps_all, att, congress)
    src = ctx.data_source() + ctx.t("；", "; ")

    res = compute_coverage(reps, att_term, tr, by=PROVINCE if PROVINCE in reps.columns else None,
                           window_years=WINDOW_YEARS if tr is not None else None,
                           threshold=THRESHOLD)
    term = ctx.t(f"第{congress}届" if congress is not None else "本届",
                 f"congress {congress}" if congress is not None else "the term")
    ms = "; ".join(f"{lvl:.0%}: {res.milestones[lvl].date() if res.milestones[lvl] is not None else ctx.t('未达到', 'not reached')}"
                   for lvl in MILESTONES)
    sec.blocks.append(ctx.text(ctx.t(
        f"{term}代表共 {res.total} 人，其中 {res.trained} 人至少参加过一次培训，覆盖率 {_pct(res.coverage)}"
        f"（Wilson 95% 区间 {fmt_interval(res.ci_low, res.ci_high, kind='pct')}）。参训共 {fmt_int(res.person_times)} 人次、"
        f"{fmt_int(res.hours)} 学时；{res.n_repeaters} 人参训两次及以上，重复参训 {res.repeat_attendance} 人次——"
        f"覆盖率按不重复人数计算，人次不能代替人数。覆盖率达到各水平的日期：{ms}。"
        f"截至 {res.as_of.date() if res.as_of is not None else '–'}，{len(res.untrained_ids)} 人从未参训，"
        f"{len(res.not_trained_within_window or ())} 人近 {WINDOW_YEARS} 年内未参训（计划要求对 4 年未参训者重新调训）。",
        f"Of the {res.total} representatives of {term}, {res.trained} attended at least one "
        f"session: coverage {_pct(res.coverage)} (Wilson 95% interval "
        f"{fmt_interval(res.ci_low, res.ci_high, kind='pct')}). They account for {fmt_int(res.person_times)} "
        f"person-times and {fmt_int(res.hours)} hours; {res.n_repeaters} attended twice or more "
        f"({res.repeat_attendance} repeat attendances) — coverage counts distinct persons, "
        f"never person-times. Dates the coverage levels were reached: {ms}. As of "
        f"{res.as_of.date() if res.as_of is not None else '–'}, {len(res.untrained_ids)} were "
        f"never trained and {len(res.not_trained_within_window or ())} not within the last "
        f"{WINDOW_YEARS} years (the plan asks to retrain those not trained in 4 years).")))
    if res.messages:
        sec.blocks.append(ctx.text(ctx.t("数据说明：", "Data notes:") + "\n\n"
                                   + "\n".join(f"- {_note(m, ctx.lang)}" for m in res.messages)))

    # breakdowns by every available column
    rows, ineq = [], []
    for col in BREAKDOWNS:
        if col not in reps.columns or not reps[col].notna().any():
            continue
        r = res if col == PROVINCE else compute_coverage(reps, att_term, tr, by=col, threshold=THRESHOLD)
        for g in r.groups.to_dict(orient="records"):
            rows.append({ctx.t("维度", "dimension"): column_label(col, ctx.lang),
                         ctx.t("组", "group"): group_label(g["group"], ctx.lang),
                         ctx.t("人数", "total"): g["total"], ctx.t("已培训", "trained"): g["trained"],
                         ctx.t("覆盖率", "coverage"): g["coverage"],
                         ctx.t("下限", "ci_low"): g["ci_low"], ctx.t("上限", "ci_high"): g["ci_high"],
                         ctx.t("占代表比", "share_of_reps"): g["share_of_reps"],
                         ctx.t("低于阈值", "below_threshold"):
                             ctx.t("是", "yes") if g["below_threshold"] else ctx.t("否", "no")})
        ineq.append({ctx.t("维度", "dimension"): column_label(col, ctx.lang), ctx.t("组数", "groups"): r.inequality["n_groups"],
                     "Gini": r.inequality["gini"], "Theil T": r.inequality["theil"],
                     ctx.t("低于阈值组数", "groups below threshold"): r.inequality["n_below_threshold"]})
    if rows:
        pct = {ctx.t(zh, en): "pct" for zh, en in (("覆盖率", "coverage"), ("下限", "ci_low"),
                                                    ("上限", "ci_high"), ("占代表比", "share_of_reps"))}
        sec.blocks.append(ctx.table("coverage_breakdowns", pd.DataFrame(rows), ctx.t(
            f"表 分组覆盖率（Wilson 95% 区间；阈值 {THRESHOLD:.0%}）",
            f"Table. Coverage by group (Wilson 95% intervals; threshold {THRESHOLD:.0%})"), formats=pct))
        sec.blocks.append(ctx.table("coverage_inequality", pd.DataFrame(ineq), ctx.t(
            "表 组间覆盖率不平等（按人数加权的 Gini 系数与 Theil T 指数；0 = 完全均等）",
            "Table. Inequality of coverage across groups (size-weighted Gini and Theil T; 0 = equal)")))
    if len(res.yearly):
        y = res.yearly.rename(columns={"year": ctx.t("年份", "year"), "sessions": ctx.t("期数", "sessions"),
                                       "person_times": ctx.t("人次", "person_times"),
                                       "distinct_trained": ctx.t("不重复人数", "distinct_trained"),
                                       "newly_trained": ctx.t("首次参训", "newly_trained"),
                                       "hours": ctx.t("学时", "hours")})
        sec.blocks.append(ctx.table("coverage_yearly", y, ctx.t(
            "表 各年培训：人次、不重复人数与首次参训人数（跨年培训班计入结束年份）",
            "Table. Training per year: person-times, distinct persons, first-time trainees "
            "(a session spanning two years counts in the year it ends)")))

    params = ctx.t(f"阈值 {THRESHOLD:.0%}，窗口 {WINDOW_YEARS} 年，第{congress}届代表",
                   f"threshold {THRESHOLD:.0%}, window {WINDOW_YEARS} years, congress {congress}")
    if len(res.curve):
        ax = plot_coverage_curve(res, lang=ctx.lang)
        sec.blocks.append(ctx.figure("coverage_curve", ax.figure, ctx.t(
            f"累计覆盖率（不重复人数）随培训结束日期的变化，标出 50/80/100% 达成日期。{src}{params}。",
            f"Cumulative coverage (distinct persons) by session end date, with the dates "
            f"50/80/100% were reached. {src}{params}.")))
    if len(res.groups):
        ax = plot_coverage_by_group(res, lang=ctx.lang)
        sec.blocks.append(ctx.figure("coverage_by_province", ax.figure, ctx.t(
            f"各省覆盖率（排序），误差线为 Wilson 95% 区间，虚线为阈值；低于阈值者加斜线。{src}{params}。",
            f"Coverage by province (sorted); whiskers Wilson 95% intervals; dashed line the "
            f"threshold; hatched bars below it. {src}{params}.")))
        ax = plot_province_tiles(res, lang=ctx.lang)
        sec.blocks.append(ctx.figure("coverage_province_tiles", ax.figure, ctx.t(
            "各省覆盖率方块示意图：每省一个等大方块，按大致地理位置排布（并非地图边界：没有许可证兼容、可离线使用的"
            "省界数据包，见 docs/coverage_compliance.md；方块图也让小省份同样醒目）；色阶 cividis（色盲友好，灰度可读）。"
            f"{src}{params}。",
            "Coverage by province as a tile grid (labels: ISO 3166-2:CN codes): one equal square "
            "per province at its approximate position (not boundaries: no licence-compatible "
            "offline boundary data exist, see docs/coverage_compliance.md; tiles also give small "
            f"provinces equal weight); cividis colour scale (colour-blind safe, readable in greyscale). {src}{params}.")))

    ex = compute_exchange(reps, att_term, tr)
    if len(ex.sessions):
        ax = plot_exchange(ex, lang=ctx.lang)
        sec.blocks.append(ctx.figure("coverage_exchange", ax.figure, ctx.t(
            "各期培训参训者的地区构成。暴露度 = 欠发达（西部）地区代表的参训人次中，同班至少有一名发达（东部）地区代表的比例；"
            f"混合比 = 实际的（欠发达，发达）同班对数 ÷ 随机分班下的期望对数（1 = 与随机相同，<1 = 地区分开办班；"
            f"期望值为超几何分布的精确值）。{src}第{congress}届代表，{len(ex.sessions)} 期培训。",
            "Regional mix of each session's attendees. Exposure = share of under-developed "
            "(west) representatives' attendances with at least one developed (east) co-attendee; "
            "mixing ratio = observed (under-developed, developed) co-attendee pairs / pairs "
            "expected under random assignment to sessions of the same sizes (1 = random, < 1 = "
            f"regions kept apart; the expectation is exact, hypergeometric). {src}"
            f"congress {congress}, {len(ex.sessions)} sessions.")))
        cols = ["training_id", "n_attendees", "n_provinces", "region_entropy_bits",
                "n_underdeveloped", "n_developed", "mixed"]
        zh = {"training_id": "班次", "n_attendees": "人次", "n_provinces": "省份数",
              "region_entropy_bits": "地区熵（比特）", "n_underdeveloped": "欠发达地区人次",
              "n_developed": "发达地区人次", "mixed": "混合"}
        tab = ex.sessions[cols].assign(
            mixed=[ctx.t("是", "yes") if bool(v) else ctx.t("否", "no") for v in ex.sessions["mixed"]])
        tab = tab.rename(columns=zh) if ctx.lang == "zh" else tab
        sec.blocks.append(ctx.table("coverage_exchange_sessions", tab, ctx.t(
            "表 各期地区构成（熵以比特计）", "Table. Regional mix per session (entropy in bits)")))
    sec.summary = {
        "congress": None if congress is None else int(congress),
        "total": res.total, "trained": res.trained, "coverage": res.coverage,
        "ci_low": res.ci_low, "ci_high": res.ci_high, "person_times": res.person_times,
        "repeat_attendance": res.repeat_attendance, "hours": res.hours,
        "time_to": {f"{round(k * 100)}": (None if v is None else v.date().isoformat())
                    for k, v in res.milestones.items()},
        "n_untrained": len(res.untrained_ids),
        "n_not_trained_within_window": len(res.not_trained_within_window or ()),
        "window_years": WINDOW_YEARS, "threshold": THRESHOLD,
        "groups_below_threshold": int(res.inequality["n_below_threshold"]),
        "gini_province": res.inequality["gini"], "theil_province": res.inequality["theil"],
        "n_unknown_attendance": int(len(res.unknown_attendance)),
        "exchange": {"exposure": ex.exposure, "mixing_ratio": ex.mixing_ratio},
    }
    return sec
