"""Report section: the shipped training plans compared by simulation, the 9th-congress
history check, sensitivity, scenario discovery, the optimiser and ranked levers."""

from __future__ import annotations

import math

import pandas as pd

from ... import labels
from .. import ReportContext, Section

__all__ = ["build", "PLANS"]

PLANS = ("ninth_congress_history", "plan_2020_one_duty_class", "paper_recommended")
SENS_PARAMS = ("accept_prob", "accept_prob_cannot_leave_post", "no_show_prob", "capacity_scale",
               "reinvite_share")
RECORDED_DISTINCT = 584   # seed 000 §1: distinct 9th-congress reps trained in 6 sessions
def _zh_headers(df: pd.DataFrame, table: str | None = None) -> pd.DataFrame:
    """Chinese headers from labels (``table``: the optimiser's or the levers' own names)."""
    return df.rename(columns={c: labels.column_label(c, "zh", table=table) for c in df.columns})


def _pct(x) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def build(ctx: ReportContext) -> Section:
    from ...plots.simulation import (code_label, plot_coverage_fan, plot_discovery,
                                     plot_plan_comparison, plot_sensitivity)
    from ...simulation import simulate
    from ...simulation.discovery import failure_cases, prim
    from ...simulation.optimize import optimize_plan, plan_objective
    from ...simulation.plan import resolve_plan
    from ...simulation.recommend import LEVERS, recommend
    from ...simulation.sensitivity import tornado
    from ...simulation.sweep import PARAMETERS, run_sweep

    sec = Section("simulation", data_origin="model", title=ctx.t("培训计划模拟与优化(模型估计)",
                                      "Training-plan simulation and optimisation (model-based)"))
    q = ctx.quick
    R = 100 if q else 1000
    seed = ctx.seed
    name = {k: labels.label(k, ctx.lang, kind="plan", capitalize=True) for k in PLANS}
    plans = {k: resolve_plan(k) for k in PLANS}
    res = {k: simulate(p, replications=R, seed=seed, workers=1) for k, p in plans.items()}

    sec.blocks.append(ctx.text(ctx.t(
        "本节用蒙特卡洛模拟比较三个培训计划(计划文件见 `datasets/plans/`):九大代表六期履职培训的实际安排、"
        "2020–2023年教育培训规划“每年一期代表履职培训班”、论文建议的分类分层培训体系。模型逐期抽取"
        "受邀、接受、缺席的代表(固定名额、无放回抽样,精确而非近似),"
        f"每个计划 {R} 次重复、随机种子 {seed};结果均为**模型估计**,取决于计划文件中的接受率、缺席率、成本与效果假设。",
        "This section compares three training plans by Monte Carlo simulation (plan files in "
        "`datasets/plans/`): the six 9th-congress duty sessions as they happened, the 2020–2023 "
        "plan's one duty class a year, and the paper's differentiated system. Each session "
        "draws invited, accepting and absent representatives exactly (fixed seats, sampling "
        f"without replacement); {R} replications per plan, seed {seed}. All results are "
        "**model-based**: they follow from the acceptance, no-show, cost and effect assumptions "
        "in the plan files.")))

    # ---- comparison table -------------------------------------------------------------
    rows = []
    for k, r in res.items():
        s = r.summary
        t80 = s["years_to_80pct"]
        rows.append({
            ctx.t("计划", "plan"): name[k], ctx.t("代表数", "representatives"): r.n_population,
            ctx.t("期数", "sessions"): s["sessions"], ctx.t("名额", "seats"): s["seats"],
            ctx.t("覆盖率", "coverage"): round(s["coverage"]["mean"], 4),
            ctx.t("5%分位", "p05"): round(s["coverage"]["p05"], 4),
            ctx.t("95%分位", "p95"): round(s["coverage"]["p95"], 4),
            ctx.t("达80%年数(中位)", "years to 80% (median)"): t80["p50"],
            ctx.t("达80%概率", "P(reach 80%)"): round(t80["share_reached"], 3),
            ctx.t("全覆盖概率", "P(full coverage)"): round(s["p_full_coverage"], 3),
            ctx.t("成本(万元)", "cost (10k yuan)"): round(s["cost"]["mean"] / 1e4, 1),
            ctx.t("每覆盖1人成本(元)", "cost per covered rep (yuan)"):
                round(s["cost"]["mean"] / max(s["coverage"]["mean"] * r.n_population, 1), 0),
            ctx.t("跨区域交流指数", "cross-region mixing"): round(s["mixing"]["mean"], 3),
            ctx.t("人均能力提升(分)", "gain per rep (points)"): round(s["gain_per_rep"]["mean"], 2),
            ctx.t("省际基尼系数", "Gini across provinces"): round(s["gini_province"]["mean"], 3),
        })
    comp = pd.DataFrame(rows)
    sec.blocks.append(ctx.table("simulation_plan_comparison", comp, ctx.t(
        f"三个计划的任期末覆盖率(均值与5%/95%分位)、达到80%所需年数、成本、交流与能力提升;{R}次重复,种子{seed}。",
        f"Term-end coverage (mean, 5th/95th percentiles), years to 80%, cost, mixing and gain of "
        f"the three plans; {R} replications, seed {seed}.")))
    fig = plot_plan_comparison(res, lang=ctx.lang, names=name)
    sec.blocks.append(ctx.figure("simulation_plan_comparison", fig, ctx.t(
        f"计划比较:任期末覆盖率(误差线为90%模拟区间)与期望成本。模型估计;计划文件 datasets/plans/;{R}次重复,种子{seed}。",
        f"Plan comparison: term-end coverage (error bars: 90% simulation interval) and expected "
        f"cost. Model-based; plan files datasets/plans/; {R} replications, seed {seed}.")))
    fig = plot_coverage_fan(res["paper_recommended"], lang=ctx.lang,
                            name=name["paper_recommended"]).figure
    sec.blocks.append(ctx.figure("simulation_coverage_fan", fig, ctx.t(
        f"论文建议计划的覆盖率轨迹(均值与90%区间,圆点为年末)。模型估计;{R}次重复,种子{seed}。",
        f"Coverage trajectory of the paper's plan (mean and 90% band; dots: year ends). "
        f"Model-based; {R} replications, seed {seed}.")))

    seg = []
    for k, r in res.items():
        for row in r.by_segment.itertuples():
            seg.append({ctx.t("计划", "plan"): name[k], ctx.t("群体", "segment"): code_label(row.segment, ctx.lang),
                        "n": row.n, ctx.t("覆盖率", "coverage"): round(row.coverage_mean, 4),
                        ctx.t("未覆盖人数(均值)", "untrained (mean)"): round(row.untrained_mean, 1)})
    sec.blocks.append(ctx.table("simulation_coverage_by_segment", pd.DataFrame(seg), ctx.t(
        "各计划按代表群体(新任、连任、一线、无法脱岗)的任期末覆盖率。",
        "Term-end coverage by segment (new, re-elected, front-line, cannot leave post).")))

    # ---- the 9th-congress history check ----------------------------------------------
    h = res["ninth_congress_history"]
    N = h.n_population
    d_mean = h.coverage_mean * N
    d_lo, d_hi = N - h.summary["untrained"]["p95"], N - h.summary["untrained"]["p05"]
    ok = d_lo <= RECORDED_DISTINCT <= d_hi
    pr = h.summary["provinces_reached"]
    sec.blocks.append(ctx.text(ctx.t(
        f"**九大历史校验。** 六期培训共 616 人次;模拟得到不重复参训 {d_mean:.0f} 人(90%区间 {d_lo:.0f}–{d_hi:.0f}),"
        f"论文记载 {RECORDED_DISTINCT} 人{'在区间内' if ok else '不在区间内'};参训者来自的省份平均 {pr['mean']:.1f} 个"
        f"(论文:31个)。校准:开放席位比例 "
        f"{plans['ninth_congress_history'].policy.reinvite_share}(常委、专委会委员等不论是否参训均受邀)。",
        f"**9th-congress history check.** The six sessions seated 616 person-times; the "
        f"simulation gives {d_mean:.0f} distinct representatives (90% interval {d_lo:.0f}–{d_hi:.0f}); "
        f"the recorded {RECORDED_DISTINCT} is {'inside' if ok else 'outside'} the interval; "
        f"trainees come from {pr['mean']:.1f} provinces on average (paper: 31). "
        f"Calibration: open-seat share {plans['ninth_congress_history'].policy.reinvite_share} "
        f"(committee members and others invited whatever their training history).")))

    # ---- sensitivity and scenario discovery (paper plan) ----------------------------
    base_plan = plans["paper_recommended"]
    ranges = {p: (PARAMETERS[p].low, PARAMETERS[p].high) for p in SENS_PARAMS}
    tor = tornado(base_plan, ranges, replications=40 if q else 200, seed=seed)
    fig = plot_sensitivity(tor, lang=ctx.lang).figure
    sec.blocks.append(ctx.figure("simulation_tornado", fig, ctx.t(
        "论文建议计划:各不确定参数取其范围上下限时任期末覆盖率的变化(其余参数取计划值,共同随机数)。模型估计。",
        "Paper's plan: term-end coverage with each uncertain parameter at the low and high end "
        "of its range, others at the plan's values (common random numbers). Model-based.")))
    n_pts = 12 if q else 24
    sw = run_sweep(base_plan, {p: ranges[p] for p in SENS_PARAMS[:4]}, n_pts,
                   replications=20 if q else 50, seed=seed, workers=ctx.workers)
    thr = 0.99
    y = failure_cases(sw.table, output="coverage_mean", threshold=thr)
    disc = None
    if 0 < y.sum():
        disc = prim(sw.table[list(SENS_PARAMS[:4])], y, alpha=0.1, min_support=0.1)
        fig = plot_discovery(disc, lang=ctx.lang)
        sec.blocks.append(ctx.figure("simulation_discovery", fig, ctx.t(
            f"情景发现(PRIM):{n_pts}个参数组合中覆盖率低于{thr:.0%}的情形集中在哪些参数区域;左:剥离轨迹,右:所选区域。",
            f"Scenario discovery (PRIM): where among {n_pts} parameter points coverage falls "
            f"below {thr:.0%}; left: peeling trajectory, right: the chosen box.")))
        box = disc.restricted()
        desc = "; ".join(f"{code_label(k, ctx.lang) if ctx.lang == 'zh' else k} ∈ [{lo:.2f}, {hi:.2f}]"
                         for k, (lo, hi) in box.items()) or "–"
        r0 = disc.trajectory.iloc[disc.chosen]
        sec.blocks.append(ctx.text(ctx.t(
            f"覆盖率低于 {thr:.0%} 的参数组合占 {y.mean():.0%};所选区域 {desc} 捕获其中 {r0['coverage']:.0%},区域内失败比例 {r0['density']:.0%}。",
            f"{y.mean():.0%} of the parameter points give coverage below {thr:.0%}; the chosen box "
            f"{desc} captures {r0['coverage']:.0%} of them with density {r0['density']:.0%}.")))

    # ---- optimiser at the paper plan's budget ----------------------------------------
    budget = res["paper_recommended"].cost_mean
    opt = optimize_plan(base_plan, budget, time_limit=10 if q else 20)
    opt_sim = simulate(opt.plan, replications=R, seed=seed)
    o_obj, b_obj = plan_objective(opt_sim), plan_objective(res["paper_recommended"])
    sec.blocks.append(ctx.text(ctx.t(
        f"**优化。** 在论文建议计划的期望预算 {budget / 1e4:,.0f} 万元下,混合整数规划(覆盖率 + 0.5 × 跨区域交流)"
        f"选出 {int(opt.sessions['count'].sum())} 期培训;模拟覆盖率 {_pct(opt_sim.coverage_mean)}、交流指数 "
        f"{opt_sim.summary['mixing']['mean']:.3f}、成本 {opt_sim.cost_mean / 1e4:,.0f} 万元,目标值 {o_obj:.3f}"
        f"(论文建议计划 {b_obj:.3f})。",
        f"**Optimisation.** At the paper plan's expected budget of {budget:,.0f} yuan, the mixed-"
        f"integer programme (coverage + 0.5 × cross-region mixing) chooses "
        f"{int(opt.sessions['count'].sum())} sessions; simulated coverage {_pct(opt_sim.coverage_mean)}, "
        f"mixing {opt_sim.summary['mixing']['mean']:.3f}, cost {opt_sim.cost_mean:,.0f} yuan, "
        f"objective {o_obj:.3f} (paper's plan {b_obj:.3f}).")))
    st = opt.sessions.rename(columns={"count": "sessions"})
    if ctx.lang == "zh":
        st = st.assign(**{c: [code_label(v, "zh") for v in st[c]]
                          for c in ("modality", "target", "segment") if c in st.columns})
        st = _zh_headers(st, "optimizer")
    sec.blocks.append(ctx.table("simulation_optimized_sessions", st, ctx.t(
        "优化方案的培训期次(方式、区域对象、群体、期数、名额、分配名额、成本)。",
        "Sessions of the optimised plan (modality, region target, segment, count, seats, "
        "assigned seats, cost).")))

    # ---- levers for the 2020 plan ------------------------------------------------------
    rec = recommend(plans["plan_2020_one_duty_class"], replications=40 if q else 300, seed=seed,
                    lang=ctx.lang)
    cols = ["rank", "lever", "d_coverage", "d_coverage_lo", "d_coverage_hi", "d_mixing", "d_gain",
            "d_cost", "coverage_per_million", "basis"]
    lev = rec.table[cols]
    if ctx.lang == "zh":
        lev = _zh_headers(lev.assign(lever=[LEVERS[v].label_zh if v in LEVERS else v for v in lev["lever"]],
                                     basis=[labels.label(v, "zh", kind="basis") for v in lev["basis"]]),
                          "levers")
    sec.blocks.append(ctx.table("simulation_levers", lev, ctx.t(
        "对“每年一期”计划的政策杠杆排序:每百万元带来的覆盖率提高(百分点),含90%区间;模型估计。",
        "Levers for the one-class-a-year plan ranked by coverage points per million yuan, with "
        "90% intervals; model-based.")))
    sec.blocks.append(ctx.text("\n".join(f"{r.rank}. {r.text}" for r in rec.table.itertuples())))

    # ---- the effect model calibrated on the dataset (where test scores exist) ---------
    calib = None
    ds = ctx.dataset
    if ds is not None and ds.trainings is not None and ds.attendance is not None and ds.survey is not None:
        from ...errors import AnalysisError
        from ...simulation.effects import calibrate_effect, session_gains
        try:
            gains = session_gains(ds.trainings, ds.attendance, ds.survey)
            model, mult = calibrate_effect(gains)
            calib = {"gain_per_hour": model.gain_per_hour, "saturation_hours": model.saturation_hours,
                     "multipliers": mult, "sessions": int(len(gains))}
            tab = pd.DataFrame([{"modality": code_label(m, ctx.lang) if ctx.lang == "zh" else m,
                                 "effect_multiplier": round(v, 3),
                                 "sessions": int((gains["modality"] == m).sum())} for m, v in mult.items()])
            if ctx.lang == "zh":
                tab = _zh_headers(tab)
            sec.blocks.append(ctx.text(ctx.t(
                f"**效果模型校准。** 用数据中 {len(gains)} 期培训的前后测平均提高(学员)与学时拟合:首小时提高 "
                f"{model.gain_per_hour:.2f} 分/学时(饱和学时 {model.saturation_hours:g} 固定),计划文件默认值为 0.6;"
                "各方式乘数见下表(期数少的方式不确定性大)。",
                f"**Effect-model calibration.** Fitting the mean pre/post learner gain of {len(gains)} "
                f"sessions against their hours gives {model.gain_per_hour:.2f} points per first hour "
                f"(saturation fixed at {model.saturation_hours:g} h; the plans' default is 0.6); "
                "modality multipliers below (few sessions per modality: uncertain).")))
            sec.blocks.append(ctx.table("simulation_effect_calibration", tab, ctx.t(
                "由数据拟合的各培训方式效果乘数(集中培训=1)。", "Fitted effect multipliers by modality (centralised = 1).")))
        except AnalysisError as exc:
            calib = {"skipped": str(exc)}

    sec.summary = {
        "effect_calibration": calib,
        "replications": R, "seed": seed, "basis": "model-based",
        "plans": {k: {"coverage_mean": r.coverage_mean, "coverage_p05": r.coverage_p05,
                      "coverage_p95": r.coverage_p95, "cost_mean": r.cost_mean,
                      "years_to_80pct": r.summary["years_to_80pct"],
                      "mixing": r.summary["mixing"]["mean"]} for k, r in res.items()},
        "history_check": {"recorded_distinct": RECORDED_DISTINCT, "simulated_mean": d_mean,
                          "simulated_p05": d_lo, "simulated_p95": d_hi, "within_interval": bool(ok),
                          "provinces_reached_mean": pr["mean"]},
        "tornado": tor.indices[["parameter", "swing"]].to_dict(orient="records"),
        "discovery": disc.to_dict() if disc is not None else None,
        "optimizer": {"budget": budget, "objective": o_obj, "paper_plan_objective": b_obj,
                      "coverage": opt_sim.coverage_mean, "status": opt.status},
        "levers": rec.table[["rank", "lever", "d_coverage", "d_cost"]].to_dict(orient="records"),
    }
    return sec
