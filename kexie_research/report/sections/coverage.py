"""Report section: representative coverage over the term, who is left out, cross-region exchange.

Renders :func:`kexie_research.coverage.analyse_coverage` (the section computes nothing);
every header comes from :mod:`kexie_research.labels`, and every sentence, table and figure
caption whose numbers could be copied carries the data's origin tag (【合成数据】 on the
embedded data).
"""

from __future__ import annotations

import pandas as pd

from ... import labels
from ...coverage import BREAKDOWNS, MILESTONES, CoverageAnalysis, analyse_coverage
from ...formatting import fmt_int, fmt_interval, fmt_pct
from .. import ReportContext, Section

__all__ = ["build", "BREAKDOWNS", "WINDOW_YEARS", "THRESHOLD"]

WINDOW_YEARS = 4      # the plan's "not trained in 4 years -> retrain" (seed 001 § 六(六))
THRESHOLD = 0.8


def _pct(x) -> str:
    return fmt_pct(x)


_PCT = ("coverage", "ci_low", "ci_high", "share_of_reps")  # shares: percentages in the report


def _headers(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Column headers in ``lang`` (labels' column names)."""
    return df.rename(columns={c: labels.column_label(c, lang) for c in df.columns})


def _yes_no(values, lang: str) -> list[str]:
    return [labels.label(bool(v), lang) for v in values]


def build(ctx: ReportContext) -> Section:
    sec = Section("coverage", ctx.t("代表培训覆盖率", "Representative training coverage"),
                  data_origin=ctx.origin)
    ds = ctx.dataset
    if ds.representatives is None or ds.attendance is None:
        sec.blocks.append(ctx.text(ctx.t("数据中没有代表表或参训表，跳过本节。",
                                         "No representatives or attendance table: section skipped.")))
        sec.summary = {"skipped": True}
        return sec
    a = analyse_coverage(ds.representatives, ds.attendance, ds.trainings, window_years=WINDOW_YEARS,
                         threshold=THRESHOLD)
    _overview(ctx, sec, a)
    _breakdowns(ctx, sec, a)
    _figures(ctx, sec, a)
    _exchange(ctx, sec, a)
    sec.summary = _summary(a)
    return sec


def _source(ctx: ReportContext) -> str:
    return ctx.data_source() + ctx.t("；", "; ")


def _overview(ctx: ReportContext, sec: Section, a: CoverageAnalysis) -> None:
    res, congress, tag = a.result, a.congress, ctx.tag()
    term = ctx.t(f"第{congress}届" if congress is not None else "本届",
                 f"congress {congress}" if congress is not None else "the term")
    ms = "; ".join(f"{lvl:.0%}: {res.milestones[lvl].date() if res.milestones[lvl] is not None else ctx.t('未达到', 'not reached')}"
                   for lvl in MILESTONES)
    ci = fmt_interval(res.ci_low, res.ci_high, kind="pct")
    sec.blocks.append(ctx.text(tag + ctx.t(
        f"{term}代表共 {res.total} 人，其中 {res.trained} 人至少参加过一次培训，覆盖率 {_pct(res.coverage)}"
        f"（Wilson 95% 超总体区间 {ci}，含义见下）。参训共 {fmt_int(res.person_times)} 人次、"
        f"{fmt_int(res.hours)} 学时；{res.n_repeaters} 人参训两次及以上，重复参训 {res.repeat_attendance} 人次——"
        f"覆盖率按不重复人数计算，人次不能代替人数。覆盖率达到各水平的日期：{ms}。"
        f"截至 {res.as_of.date() if res.as_of is not None else '–'}，{len(res.untrained_ids)} 人从未参训，"
        f"{len(res.not_trained_within_window or ())} 人近 {WINDOW_YEARS} 年内未参训（计划要求对 4 年未参训者重新调训）。",
        f"Of the {res.total} representatives of {term}, {res.trained} attended at least one "
        f"session: coverage {_pct(res.coverage)} (Wilson 95% superpopulation interval {ci}, "
        f"explained below). They account for {fmt_int(res.person_times)} person-times and "
        f"{fmt_int(res.hours)} hours; {res.n_repeaters} attended twice or more "
        f"({res.repeat_attendance} repeat attendances) — coverage counts distinct persons, "
        f"never person-times. Dates the coverage levels were reached: {ms}. As of "
        f"{res.as_of.date() if res.as_of is not None else '–'}, {len(res.untrained_ids)} were "
        f"never trained and {len(res.not_trained_within_window or ())} not within the last "
        f"{WINDOW_YEARS} years (the plan asks to retrain those not trained in 4 years).")))
    sec.blocks.append(ctx.text(ctx.t("区间的含义：", "What the interval means: ") + res.ci_meaning(ctx.lang) + ctx.t(
        "因此，某省覆盖率低于阈值而区间跨过阈值时，差距可能出于偶然。",
        " So a province below the threshold whose interval crosses it may fall short by chance.")))
    if res.messages:
        sec.blocks.append(ctx.text(ctx.t("数据说明：", "Data notes:") + "\n\n"
                                   + "\n".join(f"- {m}" for m in res.messages_in(ctx.lang))))


def _breakdowns(ctx: ReportContext, sec: Section, a: CoverageAnalysis) -> None:
    lang, tag = ctx.lang, ctx.tag()
    from ...plots.coverage import column_label, group_label

    rows, ineq = [], []
    for col, r in a.breakdowns.items():
        for g in r.groups.to_dict(orient="records"):
            rows.append({"dimension": column_label(col, lang), "group": group_label(g["group"], lang),
                         "total": g["total"], "trained": g["trained"], "coverage": g["coverage"],
                         "ci_low": g["ci_low"], "ci_high": g["ci_high"], "share_of_reps": g["share_of_reps"],
                         "below_threshold": labels.label(bool(g["below_threshold"]), lang)})
        ineq.append({"dimension": column_label(col, lang), "n_groups": r.inequality["n_groups"],
                     "Gini": r.inequality["gini"], "Theil T": r.inequality["theil"],
                     "n_below_threshold": r.inequality["n_below_threshold"]})
    if rows:
        sec.blocks.append(ctx.table("coverage_breakdowns", _headers(pd.DataFrame(rows), lang), tag + ctx.t(
            f"表 分组覆盖率（区间为 Wilson 95% 超总体区间；阈值 {THRESHOLD:.0%}）",
            f"Table. Coverage by group (Wilson 95% superpopulation intervals; threshold {THRESHOLD:.0%})"),
            formats={labels.column_label(c, lang): "pct" for c in _PCT}))
        sec.blocks.append(ctx.table("coverage_inequality", _headers(pd.DataFrame(ineq), lang), tag + ctx.t(
            "表 组间覆盖率不平等（按人数加权的 Gini 系数与 Theil T 指数；0 = 完全均等）",
            "Table. Inequality of coverage across groups (size-weighted Gini and Theil T; 0 = equal)")))
    res = a.result
    if len(res.yearly):
        sec.blocks.append(ctx.table("coverage_yearly", _headers(res.yearly, lang), tag + ctx.t(
            "表 各年培训：人次、不重复人数与首次参训人数（跨年培训班计入结束年份）",
            "Table. Training per year: person-times, distinct persons, first-time trainees "
            "(a session spanning two years counts in the year it ends)")))


def _figures(ctx: ReportContext, sec: Section, a: CoverageAnalysis) -> None:
    from ...plots.coverage import plot_coverage_by_group, plot_coverage_curve, plot_province_tiles

    res, tag, src = a.result, ctx.tag(), _source(ctx)
    params = ctx.t(f"阈值 {THRESHOLD:.0%}，窗口 {WINDOW_YEARS} 年，第{a.congress}届代表",
                   f"threshold {THRESHOLD:.0%}, window {WINDOW_YEARS} years, congress {a.congress}")
    if len(res.curve):
        ax = plot_coverage_curve(res, lang=ctx.lang)
        sec.blocks.append(ctx.figure("coverage_curve", ax.figure, tag + ctx.t(
            f"累计覆盖率（不重复人数）随培训结束日期的变化，标出 50/80/100% 达成日期。{src}{params}。",
            f"Cumulative coverage (distinct persons) by session end date, with the dates "
            f"50/80/100% were reached. {src}{params}.")))
    if len(res.groups):
        ax = plot_coverage_by_group(res, lang=ctx.lang)
        sec.blocks.append(ctx.figure("coverage_by_province", ax.figure, tag + ctx.t(
            f"各省覆盖率（排序），误差线为 Wilson 95% 超总体区间（参训倾向的不确定性），虚线为阈值；低于阈值者加斜线。{src}{params}。",
            f"Coverage by province (sorted); whiskers Wilson 95% superpopulation intervals (uncertainty "
            f"of the training propensity); dashed line the threshold; hatched bars below it. {src}{params}.")))
        ax = plot_province_tiles(res, lang=ctx.lang)
        sec.blocks.append(ctx.figure("coverage_province_tiles", ax.figure, tag + ctx.t(
            "各省覆盖率方块示意图：每省一个等大方块，按大致地理位置排布（并非地图边界：没有许可证兼容、可离线使用的"
            "省界数据包，见 docs/coverage_compliance.md；方块图也让小省份同样醒目）；色阶 cividis（色盲友好，灰度可读）。"
            f"{src}{params}。",
            "Coverage by province as a tile grid (labels: ISO 3166-2:CN codes): one equal square "
            "per province at its approximate position (not boundaries: no licence-compatible "
            "offline boundary data exist, see docs/coverage_compliance.md; tiles also give small "
            f"provinces equal weight); cividis colour scale (colour-blind safe, readable in greyscale). {src}{params}.")))


def _exchange(ctx: ReportContext, sec: Section, a: CoverageAnalysis) -> None:
    from ...plots.coverage import plot_exchange

    ex, tag, src = a.exchange, ctx.tag(), _source(ctx)
    if not len(ex.sessions):
        return
    ax = plot_exchange(ex, lang=ctx.lang)
    sec.blocks.append(ctx.figure("coverage_exchange", ax.figure, tag + ctx.t(
        "各期培训参训者的地区构成。暴露度 = 欠发达（西部）地区代表的参训人次中，同班至少有一名发达（东部）地区代表的比例；"
        f"混合比 = 实际的（欠发达，发达）同班对数 ÷ 随机分班下的期望对数（1 = 与随机相同，<1 = 地区分开办班；"
        f"期望值为超几何分布的精确值）。{src}第{a.congress}届代表，{len(ex.sessions)} 期培训。",
        "Regional mix of each session's attendees. Exposure = share of under-developed "
        "(west) representatives' attendances with at least one developed (east) co-attendee; "
        "mixing ratio = observed (under-developed, developed) co-attendee pairs / pairs "
        "expected under random assignment to sessions of the same sizes (1 = random, < 1 = "
        f"regions kept apart; the expectation is exact, hypergeometric). {src}"
        f"congress {a.congress}, {len(ex.sessions)} sessions.")))
    cols = ["training_id", "n_attendees", "n_provinces", "region_entropy_bits",
            "n_underdeveloped", "n_developed", "mixed"]
    tab = ex.sessions[cols].assign(mixed=_yes_no(ex.sessions["mixed"], ctx.lang))
    sec.blocks.append(ctx.table("coverage_exchange_sessions", _headers(tab, ctx.lang), tag + ctx.t(
        "表 各期地区构成（熵以比特计）", "Table. Regional mix per session (entropy in bits)")))


def _summary(a: CoverageAnalysis) -> dict:
    res = a.result
    return {
        "congress": None if a.congress is None else int(a.congress),
        "total": res.total, "trained": res.trained, "coverage": res.coverage,
        "coverage_ci_superpopulation": [res.ci_low, res.ci_high],
        "ci_meaning": res.ci_meaning("en"),
        "person_times": res.person_times,
        "repeat_attendance": res.repeat_attendance, "hours": res.hours,
        "time_to": {f"{round(k * 100)}": (None if v is None else v.date().isoformat())
                    for k, v in res.milestones.items()},
        "n_untrained": len(res.untrained_ids),
        "n_not_trained_within_window": len(res.not_trained_within_window or ()),
        "window_years": WINDOW_YEARS, "threshold": THRESHOLD,
        "groups_below_threshold": int(res.inequality["n_below_threshold"]),
        "gini_province": res.inequality["gini"], "theil_province": res.inequality["theil"],
        "n_unknown_attendance": int(len(res.unknown_attendance)),
        "exchange": {"exposure": a.exchange.exposure, "mixing_ratio": a.exchange.mixing_ratio},
    }
