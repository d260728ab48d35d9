"""Report section: the organisation system (hierarchy, coverage, growth) and the
collaboration network (measures, communities, brokerage, flows, triple-helix synergy),
plus the representatives × sessions affiliation network."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import ReportContext, Section


def _fmt(x, nd=3):
    return "—" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.{nd}f}"


def _set_summary(sec: Section, summary: dict, ctx: ReportContext) -> None:
    """The seed document's growth figures are real; everything else rests on the dataset."""
    from ...labels import combine_origins

    sec.summary = summary
    items = {k: "real" if k == "seed_growth" else ctx.origin for k in summary}
    sec.data_origin = combine_origins(items.values())
    sec.origin_items = items if sec.data_origin == "mixed" else {}


def build(ctx: ReportContext) -> Section:
    from ...data import load_real
    from ...networks import build_affiliation, build_graph
    from ...networks.brokerage import compute_brokerage
    from ...networks.communities import connect_communities, detect_communities
    from ...networks.flows import flow_matrix
    from ...networks.graphs import consortium_graph
    from ...networks.growth import fit_growth, seed_growth, yearly_counts
    from ...networks.hierarchy import build_hierarchy
    from ...networks.measures import compute_measures
    from ...networks.orgcoverage import compute_org_coverage, rank_provinces
    from ...networks.triple_helix import (DIMS4, compute_triple_helix, default_unit, presence_table,
                                           triple_helix_by)
    from ...plots.networks import (plot_coverage, plot_flow_matrix, plot_growth,
                                   plot_province_ranking, plot_small_graph,
                                   plot_triple_helix_slices)
    from ...plots.style import figure, use_style

    sec = Section("networks", ctx.t("组织体系与协作网络", "Organisation system and collaboration networks"),
                  data_origin="mixed")
    ds = ctx.dataset
    orgs, links = ds.organizations, ds.links
    seeds = np.random.SeedSequence(ctx.seed).spawn(6)
    summary: dict = {}
    src = ctx.t("数据：", "Data: ") + ("organizations/links" + (" (synthetic)" if ds.is_synthetic else ""))

    # --- seed figures (real data) -------------------------------------------------------
    seed = seed_growth(load_real("enterprise_assoc_stats"))
    summary["seed_growth"] = {k: seed[k] for k in ("count_2017", "count_2021", "growth",
                                                     "growth_pct", "cagr")}
    sec.blocks.append(ctx.text(ctx.t(
        f"**企业科协发展（种子文献003）**：全国企业科协由2017年的{seed['count_2017']:,}个增至2021年的"
        f"{seed['count_2021']:,}个，增加{seed['growth']:,}个（{seed['growth_pct']:.1f}%），"
        f"年均增长{100 * seed['cagr']:.1f}%；2021年江苏{seed['top'][0]['count']:,}个，"
        f"占全国{100 * seed['top'][0]['share']:.1f}%。",
        f"**Enterprise S&T associations (seed 003)**: {seed['count_2017']:,} in 2017 → "
        f"{seed['count_2021']:,} at end 2021, +{seed['growth']:,} ({seed['growth_pct']:.1f}%), "
        f"{100 * seed['cagr']:.1f}% a year; Jiangsu {seed['top'][0]['count']:,} in 2021 = "
        f"{100 * seed['top'][0]['share']:.1f}% of the national total.")))
    cons = load_real("consortia")
    cg = consortium_graph(cons, "C01")
    cm = compute_measures(cg, measures=("degree", "betweenness"))
    with use_style(ctx.lang):
        fig, ax = figure("double", 3.6)
        plot_small_graph(cg, measures=cm, size_by="degree", ax=ax, lang=ctx.lang, labels="type",
                         title=ctx.t("航空发动机产学研联合体发起单位构成（2019）",
                                     "Aero-engine consortium founders by type (2019)"))
    sec.blocks.append(ctx.figure("networks_consortium_c01", fig, ctx.t(
        "图 航空发动机产学研联合体25家发起单位（种子文献003，datasets/real/consortia.csv；第25家为推断的牵头单位）。颜色与形状表示类型。",
        "Figure. The 25 founders of the aero-engine consortium (seed 003, datasets/real/consortia.csv; "
        "the 25th is the inferred lead unit). Colour and marker show the type.")))

    if orgs is None:
        sec.blocks.append(ctx.text(ctx.t("数据集中没有组织表，以下分析略过。",
                                         "The dataset has no organizations table; the rest is skipped.")))
        _set_summary(sec, summary, ctx)
        return sec

    # --- hierarchy and coverage -----------------------------------------------------------
    h = build_hierarchy(orgs)
    summary["hierarchy"] = {"organisations": int(len(h.table)), "roots": len(h.roots),
                            "max_depth": h.max_depth}
    cov = compute_org_coverage(orgs, by=("province",))
    summary["coverage"] = cov.national
    chain = h.chain_completeness()
    sec.blocks.append(ctx.text(ctx.t(
        f"**组织体系**：{len(h.table):,}个组织，{len(h.roots):,}个根节点，最大层级深度{h.max_depth}。"
        f"已建科协组织{cov.national['n_formal']:,}个（有形覆盖），其中满足“六有”且上年有活动的"
        f"{cov.national['n_effective']:,}个（有效覆盖{100 * cov.national['effective_rate']:.1f}%）；"
        f"空壳（上年无活动且“六有”不超过{cov.max_score}项）{cov.national['n_empty_shell']:,}个。",
        f"**Organisation system**: {len(h.table):,} organisations, {len(h.roots):,} roots, depth up "
        f"to {h.max_depth}. {cov.national['n_formal']:,} associations exist (formal coverage); "
        f"{cov.national['n_effective']:,} meet all six haves and were active last year (effective: "
        f"{100 * cov.national['effective_rate']:.1f}%); {cov.national['n_empty_shell']:,} are empty "
        f"shells (inactive, at most {cov.max_score} of the six haves).")))
    sec.blocks.append(ctx.table("networks_chain", chain, ctx.t(
        "表 行政科协链条：挂在上一级科协之下的比例", "Table. Administrative chain: share under the expected parent type")))
    byp = cov.by_group[cov.by_group["province"] != "(national)"]
    with use_style(ctx.lang):
        fig, ax = figure("double", 3.0)
        plot_coverage(byp, ax=ax, lang=ctx.lang)
    sec.blocks.append(ctx.figure("networks_coverage_by_province", fig, ctx.t(
        f"图 各省有效覆盖与空壳比例（{src}；有效=六有且上年活跃；空壳=上年无活动且六有≤{cov.max_score}）。",
        f"Figure. Effective coverage and empty shells by province ({src}; effective = six haves and "
        f"active last year; shell = inactive and ≤ {cov.max_score} haves).")))
    rank = rank_provinces(orgs, year=2021, base_year=2017)
    seed_counts = {t["province"]: t["count"] for t in seed["top"]}
    if len(rank):
        with use_style(ctx.lang):
            fig, ax = figure("single", 3.2)
            plot_province_ranking(rank, ax=ax, lang=ctx.lang, seed_counts=seed_counts)
        sec.blocks.append(ctx.figure("networks_province_ranking", fig, ctx.t(
            f"图 2021年各省企业科协数量与占全国比例（{src}；竖线为种子文献003公布值）。",
            f"Figure. Enterprise associations by province, 2021, with share of the national total "
            f"({src}; vertical marks: published in seed 003).")))
        sec.blocks.append(ctx.table("networks_province_ranking", rank.head(10), ctx.t(
            "表 企业科协数量前十省份（2021，较2017增长）",
            "Table. Top ten provinces by enterprise associations (2021, growth since 2017)")))
    else:
        sec.blocks.append(ctx.text(ctx.t("数据中没有带省份的企业科协，省份排名略过。",
                                         "No enterprise association with a province in the data: "
                                         "no ranking.")))
    summary["ranking_top5"] = rank["province"].head(5).tolist()

    # --- growth ---------------------------------------------------------------------------
    try:
        yc = yearly_counts(orgs, years=range(2008, int(pd.to_numeric(orgs["founded_year"]).max()) + 1))
        gr = fit_growth(yc, model="negbin", horizon=4, rng=np.random.default_rng(seeds[0]),
                        n_sim=1000 if ctx.quick else 4000)
        gl = fit_growth(yc, model="loglinear", horizon=4)
        summary["growth"] = {"negbin_annual_growth": gr.annual_growth,
                             "loglinear_annual_growth": gl.annual_growth,
                             "count_2017": int(yc.set_index("year")["count"].get(2017, 0)),
                             "count_2021": int(yc.set_index("year")["count"].get(2021, 0)),
                             "projection": gr.projection.to_dict("records")}
        with use_style(ctx.lang):
            fig, ax = figure("single")
            plot_growth(gr, ax=ax, lang=ctx.lang, seed_points={2017: seed["count_2017"],
                                                               2021: seed["count_2021"]})
        sec.blocks.append(ctx.figure("networks_growth", fig, ctx.t(
            f"图 企业科协累计数量、负二项增长模型与{gr.level:.0%}预测区间（{src}，拟合{gr.params['fit_years'][0]}–{gr.params['fit_years'][1]}年；模拟{gr.params['n_sim']}次，种子{ctx.seed}）。",
            f"Figure. Enterprise associations (cumulative), negative-binomial growth model and "
            f"{gr.level:.0%} prediction interval ({src}; fit {gr.params['fit_years'][0]}–"
            f"{gr.params['fit_years'][1]}; {gr.params['n_sim']} simulations, seed {ctx.seed}).")))
        sec.blocks.append(ctx.text(ctx.t(
            f"年均增长率：负二项模型{100 * gr.annual_growth:.1f}%（{100 * gr.annual_growth_ci[0]:.1f}%–{100 * gr.annual_growth_ci[1]:.1f}%），"
            f"对数线性模型{100 * gl.annual_growth:.1f}%。",
            f"Annual growth: negative binomial {100 * gr.annual_growth:.1f}% "
            f"({100 * gr.annual_growth_ci[0]:.1f}%–{100 * gr.annual_growth_ci[1]:.1f}%), log-linear "
            f"{100 * gl.annual_growth:.1f}%.")))
    except Exception as exc:  # growth needs founding years; report why it is missing
        from ...errors import AnalysisError
        if not isinstance(exc, (AnalysisError, ValueError, KeyError)):
            raise
        sec.blocks.append(ctx.text(ctx.t(f"增长模型未拟合：{exc}", f"Growth model not fitted: {exc}")))

    if links is None:
        _set_summary(sec, summary, ctx)
        return sec

    # --- collaboration graph --------------------------------------------------------------
    g = build_graph(orgs, links)
    k = 32 if ctx.quick else 64
    meas = compute_measures(g, k=k, rng=np.random.default_rng(seeds[1]))
    comm = detect_communities(g, seed=int(seeds[2].generate_state(1)[0]))
    split = connect_communities(g, comm)
    brok = compute_brokerage(g, by="type", tri=meas.triangles)
    summary["graph"] = {**{kk: meas.summary[kk] for kk in ("nodes", "edges", "density", "components",
                                                          "giant_share", "isolates")},
                        "assortativity": meas.summary["assortativity"],
                        "cross_province_share": meas.summary["cross_province_share"],
                        "cross_type_share": meas.summary["cross_type_share"],
                        "betweenness_method": meas.methods.get("betweenness"),
                        "communities": comm.n_communities, "modularity": comm.modularity,
                        "louvain_disconnected_communities": comm.n_split,
                        "connected_communities": split.n_communities,
                        "connected_modularity": split.modularity}
    bm = meas.methods.get("betweenness", {})
    err = (ctx.t(f"抽样{bm['k']}个源点估计，前20名相对标准误中位数{_fmt(bm['median_relative_se_top20'], 2)}",
                 f"estimated from {bm['k']} sampled sources; median relative SE of the top 20: "
                 f"{_fmt(bm['median_relative_se_top20'], 2)}") if bm.get("method") == "sampled"
           else ctx.t("精确计算", "exact"))
    sec.blocks.append(ctx.text(ctx.t(
        f"**协作网络**：{g.n_nodes:,}个组织、{g.n_edges:,}条联系（平行联系合并为加权边），密度{meas.summary['density']:.2e}，"
        f"{meas.summary['components']:,}个连通分量（最大分量占{100 * meas.summary['giant_share']:.1f}%）。"
        f"跨省联系占{100 * meas.summary['cross_province_share']:.1f}%，跨类型联系占{100 * meas.summary['cross_type_share']:.1f}%；"
        f"按省同配系数{_fmt(meas.summary['assortativity']['province'])}，按类型{_fmt(meas.summary['assortativity']['type'])}。"
        f"Louvain社区{comm.n_communities:,}个，模块度Q={comm.modularity:.3f}，其中{comm.n_split}个社区内部不连通；"
        f"将其拆为连通部分后为{split.n_communities:,}个社区，Q={split.modularity:.3f}。介数中心性{err}。",
        f"**Collaboration network**: {g.n_nodes:,} organisations, {g.n_edges:,} ties (parallel links "
        f"merged into weighted edges), density {meas.summary['density']:.2e}, "
        f"{meas.summary['components']:,} components (largest {100 * meas.summary['giant_share']:.1f}%). "
        f"Cross-province ties {100 * meas.summary['cross_province_share']:.1f}%, cross-type "
        f"{100 * meas.summary['cross_type_share']:.1f}%; assortativity by province "
        f"{_fmt(meas.summary['assortativity']['province'])}, by type "
        f"{_fmt(meas.summary['assortativity']['type'])}. Louvain: {comm.n_communities:,} communities, "
        f"Q = {comm.modularity:.3f}, {comm.n_split} of them not internally connected; split into their "
        f"connected parts: {split.n_communities:,} communities, Q = {split.modularity:.3f}. "
        f"Betweenness {err}.")))
    top = meas.table.sort_values("betweenness", ascending=False).head(10)
    cols = ["org_id", "type", "province", "degree", "betweenness"] + \
        (["betweenness_se"] if "betweenness_se" in top.columns else []) + ["pagerank", "constraint"]
    names = dict(zip(orgs["org_id"], orgs["name"])) if "name" in orgs.columns else {}
    top = top[cols].assign(name=top["org_id"].map(names))
    sec.blocks.append(ctx.table("networks_top_betweenness", top, ctx.t(
        "表 介数中心性前十的组织（含标准误、PageRank与Burt约束）",
        "Table. Top ten organisations by betweenness (with SE, PageRank, Burt's constraint)")))
    bg = brok.by_group.pivot(index="group", columns="role", values="ratio")
    bg = bg.reset_index()
    sec.blocks.append(ctx.table("networks_brokerage_by_type", bg, ctx.t(
        "表 Gould–Fernandez中介角色：观测/随机期望（按中介组织类型）",
        "Table. Gould–Fernandez brokerage roles: observed / expected under random labels, by broker type")))
    summary["brokerage_totals"] = brok.to_dict()["totals"]

    ft = flow_matrix(g, "type")
    fp = flow_matrix(g, "province")
    with use_style(ctx.lang):
        fig, ax = figure(7.2, 6.2)
        plot_flow_matrix(ft, ratio=True, ax=ax, lang=ctx.lang)
    sec.blocks.append(ctx.figure("networks_flow_type", fig, ctx.t(
        f"图 组织类型之间的联系：观测/期望（按强度随机连接）的log2（{src}；{g.n_edges:,}条边）。",
        f"Figure. Ties between organisation types: log2 observed / expected under random mixing by "
        f"strength ({src}; {g.n_edges:,} edges).")))
    with use_style(ctx.lang):
        fig, ax = figure(7.2, 6.6)
        plot_flow_matrix(fp, ax=ax, lang=ctx.lang, annotate=False)
    sec.blocks.append(ctx.figure("networks_flow_province", fig, ctx.t(
        f"图 省际联系强度（对数色标；同省联系占{100 * fp.within_share:.1f}%）（{src}）。",
        f"Figure. Tie weight between provinces (log colour scale; {100 * fp.within_share:.1f}% "
        f"within a province) ({src}).")))
    summary["flows"] = {"within_type_share": ft.within_share, "within_province_share": fp.within_share}

    # --- triple helix ---------------------------------------------------------------------
    nb = 50 if ctx.quick else 200
    try:
        unit = default_unit(g)
        pres = presence_table(g, unit=unit)
        full = compute_triple_helix(g, unit=unit, presence=pres, n_boot=nb,
                                    rng=np.random.default_rng(seeds[3]))
        frac = compute_triple_helix(g, unit=unit, presence=pres, counting="fractional", n_boot=nb,
                                    rng=np.random.default_rng(seeds[4]))
        four = compute_triple_helix(g, unit=unit, dims=DIMS4, n_boot=0)
        years = triple_helix_by(pres, "year", n_boot=nb, rng=np.random.default_rng(seeds[5]))
        provs = triple_helix_by(pres, "province", n_boot=0)
        rows = []
        for r, name in ((full, ctx.t("全计数", "full counting")), (frac, ctx.t("分数计数", "fractional counting"))):
            rows.append({ctx.t("计数", "counting"): name, "T (bits)": r.T,
                         "CI low": r.ci[0] if r.ci else np.nan, "CI high": r.ci[1] if r.ci else np.nan,
                         **{f"MI {kk}": v for kk, v in r.pairwise.items()}})
        sec.blocks.append(ctx.text(ctx.t(
            f"**三螺旋协同**（Leydesdorff互信息，比特，负值为协同）：分析单位为{'项目（共享project_id的联系）' if unit == 'project' else '组织及其合作伙伴'}，"
            f"共{full.n_units:,}个。全计数T={full.T:.4f}（95%自助区间{_fmt(full.ci[0], 4)}至{_fmt(full.ci[1], 4)}），"
            f"分数计数T={frac.T:.4f}；四螺旋（学会/公众单列）T={four.T:.4f}。",
            f"**Triple-helix synergy** (Leydesdorff's mutual information, bits, negative = synergy): "
            f"unit = {'project (links sharing a project_id)' if unit == 'project' else 'organisation with its partners'}, "
            f"{full.n_units:,} units. Full counting T = {full.T:.4f} (95% bootstrap "
            f"{_fmt(full.ci[0], 4)} to {_fmt(full.ci[1], 4)}), fractional T = {frac.T:.4f}; four helices "
            f"(societies/public apart) T = {four.T:.4f}.")))
        sec.blocks.append(ctx.table("networks_triple_helix", pd.DataFrame(rows), ctx.t(
            "表 三螺旋T值与两两互信息（比特）", "Table. Triple-helix T and pairwise mutual information (bits)")))
        with use_style(ctx.lang):
            fig, ax = figure("single", 2.6)
            plot_triple_helix_slices(years, ax=ax, lang=ctx.lang, by="year")
        sec.blocks.append(ctx.figure("networks_triple_helix_years", fig, ctx.t(
            f"图 各年三螺旋T值及95%自助区间（全计数，{nb}次重抽样，种子{ctx.seed}；{src}）。",
            f"Figure. Triple-helix T by year with 95% bootstrap intervals (full counting, {nb} "
            f"resamples, seed {ctx.seed}; {src}).")))
        sec.blocks.append(ctx.table("networks_triple_helix_provinces",
                                    provs.sort_values("T").head(10), ctx.t(
            "表 协同最强（T最小）的十个省份", "Table. Ten provinces with the strongest synergy (lowest T)")))
        summary["triple_helix"] = {"unit": unit, "T_full": full.T, "ci_full": list(full.ci) if full.ci else None,
                                   "T_fractional": frac.T, "T_four_helix": four.T,
                                   "pairwise_full": full.pairwise, "n_units": full.n_units}
    except Exception as exc:
        from ...errors import AnalysisError
        if not isinstance(exc, AnalysisError):
            raise
        sec.blocks.append(ctx.text(ctx.t(f"三螺旋未计算：{exc}", f"Triple helix not computed: {exc}")))

    # --- representatives × sessions -------------------------------------------------------
    if ds.attendance is not None and len(ds.attendance):
        aff = build_affiliation(ds.attendance, ds.representatives, ds.trainings)
        s = aff.summary()
        summary["affiliation"] = s
        sec.blocks.append(ctx.text(ctx.t(
            f"**培训形成的代表网络**：{s['people_trained']:,}名代表在{s['sessions']}期培训中相识，形成"
            f"{s['ties']:,}对同班关系（人均{s['mean_contacts']:.1f}人）；其中跨地区{100 * s['cross_region_share']:.1f}%"
            f"（若同班者随机组合期望{100 * s['cross_region_expected_share']:.1f}%），跨省{100 * s['cross_province_share']:.1f}%。",
            f"**Ties formed by training**: {s['people_trained']:,} representatives met in "
            f"{s['sessions']} sessions, {s['ties']:,} co-attendance pairs ({s['mean_contacts']:.1f} "
            f"contacts each); {100 * s['cross_region_share']:.1f}% cross regions (expected "
            f"{100 * s['cross_region_expected_share']:.1f}% if classmates were random), "
            f"{100 * s['cross_province_share']:.1f}% cross provinces.")))
    _set_summary(sec, summary, ctx)  # no timings here: summary.json must be byte-identical across runs
    return sec
