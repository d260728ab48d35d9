"""Report section: the organisation system (hierarchy, coverage, growth) and the
collaboration network (measures with rank intervals, communities, brokerage, flows,
triple-helix synergy), plus the representatives × sessions affiliation network.

Render-only: every number comes from one call of
:func:`kexie_research.networks.pipeline.analyse_network` (same defaults and seed scheme as
``kexie-research network``) and the seed-003 reference figures of
:func:`~kexie_research.networks.pipeline.seed_reference`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import ReportContext, Section


def _fmt(x, nd=3):
    return "—" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.{nd}f}"


def _header(ctx: ReportContext, col: str) -> str:
    from ...labels import column_label, label, table

    for kind in ("measure", "brokerage_role"):
        if col in table(kind):
            return label(col, ctx.lang, kind=kind)
    return column_label(col, ctx.lang)


def _frame(ctx: ReportContext, df: pd.DataFrame, *, tagged=()) -> pd.DataFrame:
    """Codes named and headers translated in the report's language; ``tagged`` headers get
    the dataset's origin tag (【合成数据】 / [synthetic] for synthetic data)."""
    from ...labels import label

    out = df.copy()
    for c in out.columns:
        if c in ("type", "top_type"):
            out[c] = out[c].map(lambda v: label(v, ctx.lang, kind="org_type") if isinstance(v, str) else v)
        elif c in ("province", "slice", "top_province"):
            out[c] = out[c].map(lambda v: label(v, ctx.lang) if isinstance(v, str) else v)
        elif c == "role":
            out[c] = out[c].map(lambda v: label(v, ctx.lang, kind="brokerage_role"))
    tag = ctx.tag()
    return out.rename(columns={c: _header(ctx, c) + (tag if c in tagged else "") for c in out.columns})


def _set_summary(sec: Section, summary: dict, ctx: ReportContext) -> None:
    """The seed document's figures are real; everything else rests on the dataset."""
    from ...labels import combine_origins

    sec.summary = summary
    items = {k: "real" if k == "seed_growth" else ctx.origin for k in summary}
    sec.data_origin = combine_origins(items.values())
    sec.origin_items = items if sec.data_origin == "mixed" else {}


def build(ctx: ReportContext) -> Section:
    from ...networks.pipeline import DEFAULTS, QUICK, analyse_network, seed_reference

    sec = Section("networks", ctx.t("组织体系与协作网络", "Organisation system and collaboration networks"),
                  data_origin="mixed")
    ds = ctx.dataset
    ref = seed_reference()
    summary: dict = {"seed_growth": {k: ref.growth[k] for k in ("count_2017", "count_2021", "growth",
                                                                  "growth_pct", "cagr")}}
    _seed_blocks(ctx, sec, ref)
    if ds.organizations is None:
        sec.blocks.append(ctx.text(ctx.t("数据集中没有组织表，以下分析略过。",
                                         "The dataset has no organizations table; the rest is skipped.")))
        _set_summary(sec, summary, ctx)
        return sec
    opts = {**DEFAULTS, **(QUICK if ctx.quick else {})}
    a = analyse_network(ds.organizations, ds.links, seed=ctx.seed, attendance=ds.attendance,
                        representatives=ds.representatives, trainings=ds.trainings,
                        **{k: v for k, v in opts.items() if k in DEFAULTS})
    summary.update(a.to_dict())
    _org_blocks(ctx, sec, a, ref)
    _growth_blocks(ctx, sec, a, ref)
    if a.measures is not None:
        _graph_blocks(ctx, sec, a)
    if a.helix_full is not None:
        _helix_blocks(ctx, sec, a)
    elif "triple_helix" in a.skipped and ds.links is not None:
        sec.blocks.append(ctx.text(ctx.t(f"三螺旋未计算：{a.skipped['triple_helix']}",
                                         f"Triple helix not computed: {a.skipped['triple_helix']}")))
    if a.affiliation is not None:
        _affiliation_blocks(ctx, sec, a.affiliation)
    _set_summary(sec, summary, ctx)  # no timings here: summary.json must be byte-identical across runs
    return sec


def _src(ctx: ReportContext) -> str:
    return ctx.t("数据：", "Data: ") + "organizations/links" + ctx.tag()


def _seed_blocks(ctx: ReportContext, sec: Section, ref) -> None:
    """Seed 003's growth figures and the aero-engine consortium (real data)."""
    from ...plots.networks import plot_small_graph
    from ...plots.style import figure, use_style

    seed, real = ref.growth, ctx.tag("real")
    sec.blocks.append(ctx.text(ctx.t(
        f"**企业科协发展（种子文献003）**{real}：全国企业科协由2017年的{seed['count_2017']:,}个增至2021年的"
        f"{seed['count_2021']:,}个，增加{seed['growth']:,}个（{seed['growth_pct']:.1f}%），"
        f"年均增长{100 * seed['cagr']:.1f}%；2021年江苏{seed['top'][0]['count']:,}个，"
        f"占全国{100 * seed['top'][0]['share']:.1f}%。",
        f"**Enterprise S&T associations (seed 003)**{real}: {seed['count_2017']:,} in 2017 → "
        f"{seed['count_2021']:,} at end 2021, +{seed['growth']:,} ({seed['growth_pct']:.1f}%), "
        f"{100 * seed['cagr']:.1f}% a year; Jiangsu {seed['top'][0]['count']:,} in 2021 = "
        f"{100 * seed['top'][0]['share']:.1f}% of the national total.")))
    with use_style(ctx.lang):
        fig, ax = figure("double", 3.6)
        plot_small_graph(ref.consortium, measures=ref.consortium_measures, size_by="degree", ax=ax,
                         lang=ctx.lang, labels="type",
                         title=ctx.t("航空发动机产学研联合体发起单位构成（2019）",
                                     "Aero-engine consortium founders by type (2019)"))
    sec.blocks.append(ctx.figure("networks_consortium_c01", fig, ctx.t(
        "图 航空发动机产学研联合体25家发起单位（种子文献003，datasets/real/consortia.csv；第25家为推断的牵头单位）。颜色与形状表示类型。",
        "Figure. The 25 founders of the aero-engine consortium (seed 003, datasets/real/consortia.csv; "
        "the 25th is the inferred lead unit). Colour and marker show the type.")))


def _org_blocks(ctx: ReportContext, sec: Section, a, ref) -> None:
    """Hierarchy, coverage by province, and the enterprise-association league table."""
    from ...plots.networks import plot_coverage, plot_province_ranking
    from ...plots.style import figure, use_style

    tag = ctx.tag()
    h, cov = a.hierarchy, a.coverage
    if h is not None and cov is not None:
        nat = cov.national
        sec.blocks.append(ctx.text(ctx.t(
            f"**组织体系**{tag}：{len(h.table):,}个组织，{len(h.roots):,}个根节点，最大层级深度{h.max_depth}。"
            f"已建科协组织{nat['n_formal']:,}个（有形覆盖），其中满足“六有”且上年有活动的"
            f"{nat['n_effective']:,}个（有效覆盖{100 * nat['effective_rate']:.1f}%）；"
            f"空壳（上年无活动且“六有”不超过{cov.max_score}项）{nat['n_empty_shell']:,}个。",
            f"**Organisation system**{tag}: {len(h.table):,} organisations, {len(h.roots):,} roots, depth "
            f"up to {h.max_depth}. {nat['n_formal']:,} associations exist (formal coverage); "
            f"{nat['n_effective']:,} meet all six haves and were active last year (effective: "
            f"{100 * nat['effective_rate']:.1f}%); {nat['n_empty_shell']:,} are empty shells (inactive, "
            f"at most {cov.max_score} of the six haves).")))
        sec.blocks.append(ctx.table("networks_chain",
                                    _frame(ctx, a.chain, tagged=("n", "under_expected_parent", "share")),
                                    ctx.t(f"表 行政科协链条：挂在上一级科协之下的比例{tag}",
                                          f"Table. Administrative chain: share under the expected parent type{tag}")))
    if cov is not None:
        byp = cov.by_group[cov.by_group["province"] != "(national)"]
        with use_style(ctx.lang):
            fig, ax = figure("double", 3.0)
            plot_coverage(byp, ax=ax, lang=ctx.lang)
        sec.blocks.append(ctx.figure("networks_coverage_by_province", fig, ctx.t(
            f"图 各省有效覆盖与空壳比例（{_src(ctx)}；有效=六有且上年活跃；空壳=上年无活动且六有≤{cov.max_score}）。",
            f"Figure. Effective coverage and empty shells by province ({_src(ctx)}; effective = six haves "
            f"and active last year; shell = inactive and ≤ {cov.max_score} haves).")))
    rank = a.province_ranking
    if rank is None:
        return
    if not len(rank):
        sec.blocks.append(ctx.text(ctx.t("数据中没有带省份的企业科协，省份排名略过。",
                                         "No enterprise association with a province in the data: no ranking.")))
        return
    published = {t["province"]: t["count"] for t in ref.growth["top"]}
    with use_style(ctx.lang):
        fig, ax = figure("single", 3.2)
        plot_province_ranking(rank, ax=ax, lang=ctx.lang, seed_counts=published)
    sec.blocks.append(ctx.figure("networks_province_ranking", fig, ctx.t(
        f"图 2021年各省企业科协数量与占全国比例（{_src(ctx)}；竖线为种子文献003公布值）。",
        f"Figure. Enterprise associations by province, 2021, with share of the national total "
        f"({_src(ctx)}; vertical marks: published in seed 003).")))
    sec.blocks.append(ctx.table("networks_province_ranking", _ranking_table(ctx, rank, published), ctx.t(
        f"表 企业科协数量前十省份（2021，较2017增长）。“数量”等列来自数据集{tag}；“种子文献003公布值”列为种子文献"
        f"真实数字{ctx.tag('real')}；“来源”列说明每行数量是否与公布值一致。",
        f"Table. Top ten provinces by enterprise associations (2021, growth since 2017). Count and growth "
        f"columns come from the dataset{tag}; the 'published' column is seed 003's real figure "
        f"{ctx.tag('real')}; 'origin' says whether a row's count equals the published one.")))


def _ranking_table(ctx: ReportContext, rank: pd.DataFrame, published: dict) -> pd.DataFrame:
    from ...labels import origin_name

    t = rank.head(10)[["province", "count", "share", "rank", "new_in_year", "growth", "growth_pct"]]
    t = t.rename(columns={"rank": "league_rank"})
    pub = t["province"].map(published)
    same = pub.notna() & (pub == t["count"])
    data = origin_name(ctx.origin, ctx.lang)
    t[ctx.t("种子文献003公布值", "published (seed 003)") + ctx.tag("real")] = pub.astype("Int64")
    t["origin"] = np.where(same, ctx.t(f"数量=种子文献003（{data}按其校准）；增长：{data}",
                                       f"count = seed 003 ({data}, calibrated to it); growth: {data}"),
                           data)
    return _frame(ctx, t, tagged=("count", "share", "new_in_year", "growth", "growth_pct"))


def _growth_blocks(ctx: ReportContext, sec: Section, a, ref) -> None:
    from ...plots.networks import plot_growth
    from ...plots.style import figure, use_style

    if a.growth is None:
        if "growth" in a.skipped:
            msg = a.skipped["growth"].removeprefix("growth model not fitted: ")
            sec.blocks.append(ctx.text(ctx.t(f"增长模型未拟合：{msg}", f"Growth model not fitted: {msg}")))
        return
    gr, gl, seed = a.growth, a.growth_loglinear, ref.growth
    with use_style(ctx.lang):
        fig, ax = figure("single")
        plot_growth(gr, ax=ax, lang=ctx.lang, seed_points={2017: seed["count_2017"], 2021: seed["count_2021"]})
    fy = gr.params["fit_years"]
    sec.blocks.append(ctx.figure("networks_growth", fig, ctx.t(
        f"图 企业科协累计数量、负二项增长模型与{gr.level:.0%}预测区间（{_src(ctx)}，拟合{fy[0]}–{fy[1]}年；"
        f"模拟{gr.params['n_sim']}次，种子{ctx.seed}）。",
        f"Figure. Enterprise associations (cumulative), negative-binomial growth model and "
        f"{gr.level:.0%} prediction interval ({_src(ctx)}; fit {fy[0]}–{fy[1]}; {gr.params['n_sim']} "
        f"simulations, seed {ctx.seed}).")))
    lo, hi = gr.annual_growth_ci
    sec.blocks.append(ctx.text(ctx.t(
        f"年均增长率{ctx.tag()}：负二项模型{100 * gr.annual_growth:.1f}%（{100 * lo:.1f}%–{100 * hi:.1f}%），"
        f"对数线性模型{100 * gl.annual_growth:.1f}%。",
        f"Annual growth{ctx.tag()}: negative binomial {100 * gr.annual_growth:.1f}% "
        f"({100 * lo:.1f}%–{100 * hi:.1f}%), log-linear {100 * gl.annual_growth:.1f}%.")))


def _graph_blocks(ctx: ReportContext, sec: Section, a) -> None:
    """The collaboration graph: summary, top organisations with rank intervals, brokerage, flows."""
    meas, comm, split, tag = a.measures, a.communities, a.communities_connected, ctx.tag()
    s = meas.summary
    bm = meas.methods.get("betweenness", {})
    if bm.get("method") == "sampled paths":
        err = ctx.t(f"由{bm['n_paths']:,}条随机最短路径估计，前20名相对标准误中位数{_fmt(bm['median_relative_se_top20'], 3)}",
                    f"estimated from {bm['n_paths']:,} random shortest paths; median relative SE of the "
                    f"top 20: {_fmt(bm['median_relative_se_top20'], 3)}")
    elif bm.get("method") == "sampled":
        err = ctx.t(f"抽样{bm['k']}个源点估计，前20名相对标准误中位数{_fmt(bm['median_relative_se_top20'], 3)}",
                    f"estimated from {bm['k']} sampled sources; median relative SE of the top 20: "
                    f"{_fmt(bm['median_relative_se_top20'], 3)}")
    else:
        err = ctx.t("精确计算", "exact")
    asp = s["assortativity"]
    sec.blocks.append(ctx.text(ctx.t(
        f"**协作网络**{tag}：{s['nodes']:,}个组织、{s['edges']:,}条联系（平行联系合并为加权边），密度{s['density']:.2e}，"
        f"{s['components']:,}个连通分量（最大分量占{100 * s['giant_share']:.1f}%）。"
        f"跨省联系占{100 * s['cross_province_share']:.1f}%，跨类型联系占{100 * s['cross_type_share']:.1f}%；"
        f"按省同配系数{_fmt(asp['province'])}，按类型{_fmt(asp['type'])}。"
        f"Louvain社区{comm.n_communities:,}个，模块度Q={comm.modularity:.3f}，其中{comm.n_split}个社区内部不连通；"
        f"将其拆为连通部分后为{split.n_communities:,}个社区，Q={split.modularity:.3f}。介数中心性{err}。",
        f"**Collaboration network**{tag}: {s['nodes']:,} organisations, {s['edges']:,} ties (parallel "
        f"links merged into weighted edges), density {s['density']:.2e}, {s['components']:,} components "
        f"(largest {100 * s['giant_share']:.1f}%). Cross-province ties {100 * s['cross_province_share']:.1f}%, "
        f"cross-type {100 * s['cross_type_share']:.1f}%; assortativity by province {_fmt(asp['province'])}, "
        f"by type {_fmt(asp['type'])}. Louvain: {comm.n_communities:,} communities, Q = {comm.modularity:.3f}, "
        f"{comm.n_split} of them not internally connected; split into their connected parts: "
        f"{split.n_communities:,} communities, Q = {split.modularity:.3f}. Betweenness {err}.")))
    if "betweenness" in a.ranks:
        how = _rank_method(ctx, a.ranks["betweenness"].attrs)
        sec.blocks.append(ctx.table("networks_top_betweenness", _top_table(ctx, a), ctx.t(
            f"表 介数中心性前十的组织{tag}：估计值、标准误与{a.parameters['level']:.0%}排名区间（{how}），"
            f"及PageRank与Burt约束。",
            f"Table. Top ten organisations by betweenness{tag}: estimate, SE and {a.parameters['level']:.0%} "
            f"rank interval ({how}), with PageRank and Burt's constraint.")))
    if a.brokerage is not None:
        bg = a.brokerage.by_group.pivot(index="group", columns="role", values="ratio").reset_index()
        bg = bg.rename(columns={"group": "type"})
        sec.blocks.append(ctx.table("networks_brokerage_by_type", _frame(ctx, bg), ctx.t(
            f"表 Gould–Fernandez中介角色：观测/随机期望（按中介组织类型）{tag}",
            f"Table. Gould–Fernandez brokerage roles: observed / expected under random labels, by broker "
            f"type{tag}")))
    if a.flows_type is not None:
        _flow_figures(ctx, sec, a)


def _rank_method(ctx: ReportContext, attrs: dict) -> str:
    """How the rank intervals were made, in words (see kexie_research.networks.ranking)."""
    m, b = attrs.get("rank_method"), attrs.get("n_boot", 0)
    if m == "path_bootstrap":
        return ctx.t(f"对{attrs['n_paths']:,}条抽样路径做Poisson自助重抽样，{b}次",
                     f"Poisson bootstrap of the {attrs['n_paths']:,} sampled paths, {b} replicates")
    if m == "se_draws":
        return ctx.t(f"按各估计值的标准误独立正态抽样，{b}次", f"independent normal draws from the SEs, {b} replicates")
    return ctx.t("精确值，区间只覆盖并列", "exact values: the interval spans ties only")


def _top_table(ctx: ReportContext, a) -> pd.DataFrame:
    r = a.ranks["betweenness"]
    t = a.measures.table.set_index("org_id")
    names = a.graph.nodes.set_index("org_id")["name"] if "name" in a.graph.nodes.columns else None
    out = pd.DataFrame({"org_id": r["org_id"]})
    if names is not None:
        out["name"] = out["org_id"].map(names)
    out["type"] = out["org_id"].map(t["type"])
    out["province"] = out["org_id"].map(t["province"])
    out["betweenness"] = r["betweenness"].to_numpy()
    if "betweenness_se" in r.columns:
        out["betweenness_se"] = r["betweenness_se"].to_numpy()
    out["rank_interval"] = [f"{int(x.rank)}（{int(x.rank_low)}–{int(x.rank_high)}）" if ctx.lang == "zh"
                            else f"{int(x.rank)} ({int(x.rank_low)}–{int(x.rank_high)})" for x in r.itertuples()]
    for m in ("degree", "pagerank", "constraint"):
        if m in t.columns:
            out[m] = out["org_id"].map(t[m]).to_numpy()
    return _frame(ctx, out, tagged=("betweenness",))


def _flow_figures(ctx: ReportContext, sec: Section, a) -> None:
    from ...plots.networks import plot_flow_matrix
    from ...plots.style import figure, use_style

    ft, fp, m = a.flows_type, a.flows_province, a.measures.summary["edges"]
    with use_style(ctx.lang):
        fig, ax = figure(7.2, 6.2)
        plot_flow_matrix(ft, ratio=True, ax=ax, lang=ctx.lang)
    sec.blocks.append(ctx.figure("networks_flow_type", fig, ctx.t(
        f"图 组织类型之间的联系：观测/期望（按强度随机连接）的log2（{_src(ctx)}；{m:,}条边）。",
        f"Figure. Ties between organisation types: log2 observed / expected under random mixing by "
        f"strength ({_src(ctx)}; {m:,} edges).")))
    with use_style(ctx.lang):
        fig, ax = figure(7.2, 6.6)
        plot_flow_matrix(fp, ax=ax, lang=ctx.lang, annotate=False)
    sec.blocks.append(ctx.figure("networks_flow_province", fig, ctx.t(
        f"图 省际联系强度（对数色标；同省联系占{100 * fp.within_share:.1f}%）（{_src(ctx)}）。",
        f"Figure. Tie weight between provinces (log colour scale; {100 * fp.within_share:.1f}% "
        f"within a province) ({_src(ctx)}).")))


def _helix_blocks(ctx: ReportContext, sec: Section, a) -> None:
    from ...labels import label
    from ...plots.networks import plot_triple_helix_slices
    from ...plots.style import figure, use_style

    full, frac, four, unit, tag = a.helix_full, a.helix_fractional, a.helix_four, a.helix_unit, ctx.tag()
    nb, lvl = a.parameters["n_boot"], a.parameters["level"]
    ci = (f"{_fmt(full.ci[0], 4)}", f"{_fmt(full.ci[1], 4)}") if full.ci else ("—", "—")
    sec.blocks.append(ctx.text(ctx.t(
        f"**三螺旋协同**{tag}（Leydesdorff互信息，比特，负值为协同）：分析单位为"
        f"{'项目（共享project_id的联系）' if unit == 'project' else '组织及其合作伙伴'}，共{full.n_units:,}个。"
        f"全计数T={full.T:.4f}（{lvl:.0%}自助区间{ci[0]}至{ci[1]}），分数计数T={frac.T:.4f}；"
        f"四螺旋（学会/公共机构单列）T={four.T:.4f}。组织类型按schema.ORG_HELIX归入螺旋（金融、医院等不属三螺旋）。",
        f"**Triple-helix synergy**{tag} (Leydesdorff's mutual information, bits, negative = synergy): unit = "
        f"{'project (links sharing a project_id)' if unit == 'project' else 'organisation with its partners'}, "
        f"{full.n_units:,} units. Full counting T = {full.T:.4f} ({lvl:.0%} bootstrap {ci[0]} to {ci[1]}), "
        f"fractional T = {frac.T:.4f}; four helices (societies/public bodies apart) T = {four.T:.4f}. "
        f"Types map to helices by schema.ORG_HELIX (finance, hospitals and other bodies are in none).")))
    rows = []
    for r in (full, frac):
        row = {"counting": label(r.counting, ctx.lang, kind="counting"), "T": r.T,
               "ci_low": r.ci[0] if r.ci else np.nan, "ci_high": r.ci[1] if r.ci else np.nan}
        for pair, v in r.pairwise.items():
            x, y = pair.split("-")
            row[ctx.t(f"互信息：{label(x, 'zh', kind='helix')}–{label(y, 'zh', kind='helix')}",
                      f"MI {label(x, 'en', kind='helix')}–{label(y, 'en', kind='helix')}") + tag] = v
        rows.append(row)
    sec.blocks.append(ctx.table("networks_triple_helix", _frame(ctx, pd.DataFrame(rows), tagged=("T",)), ctx.t(
        f"表 三螺旋T值与两两互信息（比特）{tag}", f"Table. Triple-helix T and pairwise mutual information (bits){tag}")))
    with use_style(ctx.lang):
        fig, ax = figure("single", 2.6)
        plot_triple_helix_slices(a.helix_by_year, ax=ax, lang=ctx.lang, by="year")
    sec.blocks.append(ctx.figure("networks_triple_helix_years", fig, ctx.t(
        f"图 各年三螺旋T值及{lvl:.0%}自助区间（全计数，{nb}次重抽样，种子{ctx.seed}；{_src(ctx)}）。",
        f"Figure. Triple-helix T by year with {lvl:.0%} bootstrap intervals (full counting, {nb} "
        f"resamples, seed {ctx.seed}; {_src(ctx)}).")))
    bp = a.helix_by_province.dropna(subset=["T"]).sort_values(["T", "slice"]).head(10)
    bp = bp[["slice", "n_units", "T", "ci_low", "ci_high", "rank", "rank_low", "rank_high"]]
    bp = bp.rename(columns={"rank": "league_rank", "slice": "province"})
    sec.blocks.append(ctx.table("networks_triple_helix_provinces", _frame(ctx, bp, tagged=("T",)), ctx.t(
        f"表 协同最强（T最小）的十个省份{tag}，含{lvl:.0%}自助区间与排名区间（各省自助重抽样逐次联合排名，{nb}次）",
        f"Table. Ten provinces with the strongest synergy (lowest T){tag}, with {lvl:.0%} bootstrap intervals "
        f"and rank intervals (provinces ranked jointly in each of {nb} bootstrap replicates)")))


def _affiliation_blocks(ctx: ReportContext, sec: Section, s: dict) -> None:
    tag = ctx.tag()
    sec.blocks.append(ctx.text(ctx.t(
        f"**培训形成的代表网络**{tag}：{s['people_trained']:,}名代表在{s['sessions']}期培训中相识，形成"
        f"{s['ties']:,}对同班关系（人均{s['mean_contacts']:.1f}人）；其中跨地区{100 * s['cross_region_share']:.1f}%"
        f"（若同班者随机组合期望{100 * s['cross_region_expected_share']:.1f}%），跨省{100 * s['cross_province_share']:.1f}%。",
        f"**Ties formed by training**{tag}: {s['people_trained']:,} representatives met in "
        f"{s['sessions']} sessions, {s['ties']:,} co-attendance pairs ({s['mean_contacts']:.1f} "
        f"contacts each); {100 * s['cross_region_share']:.1f}% cross regions (expected "
        f"{100 * s['cross_region_expected_share']:.1f}% if classmates were random), "
        f"{100 * s['cross_province_share']:.1f}% cross provinces.")))
