"""Display names, in Chinese and English: the one home for every name a front end shows.

Plots, widgets, the report and the CLI's text output take names from here, and the input
side (:mod:`kexie_research.validate`) uses the same tables to accept the Chinese names the
project itself prints (地方科协 for ``local_association``) plus common variants.

Names are grouped by *kind* (the vocabulary a code belongs to: ``"sector"``,
``"modality"``, ``"column"``, ...). Provinces and regions keep their home in
:mod:`kexie_research.regions`; :func:`label` delegates to it.

The origin of a number (real, synthetic, the user's data, model) has its tags here too, so
every sentence or table that rests on synthetic data can say so where it would be copied.

Examples
--------
>>> label("local_association", "zh", kind="delegation_type")
'地方科协'
>>> label("cannot_leave_post", "en")
'cannot leave post'
>>> origin_tag("synthetic", "zh"), origin_tag("model", "en")
('【合成数据】', '[model]')
>>> aliases("delegation_type")["全国学会"]
'national_society'
"""

from __future__ import annotations

from typing import Any, Literal

from .schema import QUALITY_ITEM_NAMES

__all__ = [
    "Lang",
    "ORIGINS",
    "KINDS",
    "WORDING_DECISIONS",
    "label",
    "labels_for",
    "phrase",
    "column_label",
    "table",
    "aliases",
    "origin_tag",
    "origin_name",
    "combine_origins",
]

Lang = Literal["zh", "en"]

ORIGINS: tuple[str, ...] = ("real", "synthetic", "data", "model", "mixed")
"""Where a number comes from: ``real`` (transcribed from the seed documents), ``synthetic``
(the seeded generator), ``data`` (the user's files), ``model`` (simulated or assumed), or
``mixed`` (with a per-item breakdown beside it)."""

# kind -> code -> (zh, en). English names are lower case where they run inside sentences;
# front ends capitalise where they need to (headers, legends).
_TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "origin": {
        "real": ("真实数据（种子文献）", "real (seed documents)"),
        "synthetic": ("合成数据", "synthetic"),
        "data": ("用户数据", "user data"),
        "model": ("模型估计", "model"),
        "mixed": ("混合来源", "mixed"),
    },
    "bool": {"True": ("是", "yes"), "False": ("否", "no")},
    "sector": {
        "university": ("高校", "university"), "research_institute": ("科研院所", "research institute"),
        "enterprise": ("企业", "enterprise"), "government": ("党政机关", "government"),
        "school": ("中小学", "school"), "hospital": ("医院", "hospital"),
        "agriculture": ("农业", "agriculture"), "other": ("其他", "other"),
    },
    "delegation_type": {
        "local_association": ("地方科协", "local association"),
        "national_society": ("全国学会", "national society"), "military": ("解放军", "military"),
        "central_enterprise": ("中央企业", "central enterprise"),
        "central_agency": ("中央和国家机关", "central agency"), "other": ("其他", "other"),
    },
    "modality": {
        "centralized": ("集中培训", "centralised"), "online": ("网络培训", "online"),
        "video": ("视频授课", "video"), "reading_class": ("读书班", "reading class"),
        "exchange": ("交流研讨", "exchange"), "study_tour": ("调研考察", "study tour"),
        "hybrid": ("线上线下结合", "hybrid"), "rep_organized": ("代表自组织", "representative-organised"),
    },
    "segment": {
        "new": ("新任代表", "new"), "reelected": ("连任代表", "re-elected"),
        "frontline": ("一线代表", "front line"), "cannot_leave_post": ("难以离岗", "cannot leave post"),
    },
    "selection": {
        "random": ("随机", "random"), "never_trained_first": ("未训优先", "never-trained first"),
        "segment_priority": ("分类优先", "segment priority"),
    },
    "gender": {"female": ("女", "female"), "male": ("男", "male")},
    "cadre_rank": {
        "bureau": ("局级", "bureau"), "division": ("处级", "division"),
        "section": ("科级及以下", "section and below"), "professional": ("专业技术", "professional"),
        "new_hire": ("新入职", "new hire"),
    },
    "rater_role": {
        "learner": ("学员", "learners"), "teacher": ("授课教师", "teachers"),
        "manager": ("班主任", "class managers"), "office": ("教务部门", "teaching office"),
    },
    "org_type": {
        "cast": ("中国科协", "CAST"), "provincial_association": ("省级科协", "provincial association"),
        "city_association": ("市级科协", "city association"),
        "county_association": ("县级科协", "county association"),
        "town_association": ("乡镇科协", "town association"),
        "national_society": ("全国学会", "national society"), "local_society": ("地方学会", "local society"),
        "enterprise_association": ("企业科协", "enterprise association"),
        "park_association": ("园区科协", "park association"),
        "federation": ("企业科协联合会", "federation"), "joint_association": ("联合科协", "joint association"),
        "workstation": ("科协工作站", "workstation"), "consortium": ("联合体", "consortium"),
        "university_association": ("高校科协", "university association"),
        "university": ("高校", "university"), "research_institute": ("科研院所", "research institute"),
        "enterprise": ("企业", "enterprise"), "hospital": ("医院", "hospital"), "lab": ("实验室", "lab"),
        "finance": ("金融机构", "finance"), "other": ("其他", "other"),
    },
    "link_kind": {
        "membership": ("隶属/会员", "membership"), "founding_member": ("发起单位", "founding member"),
        "joint_lab": ("联合实验室", "joint lab"), "project": ("合作项目", "project"),
        "technology_transfer": ("技术转移", "technology transfer"),
        "expert_workstation": ("专家工作站", "expert workstation"), "training": ("培训", "training"),
        "other": ("其他", "other"),
    },
    "status": {
        "pass": ("达标", "pass"), "fail": ("未达标", "fail"), "warning": ("警示", "warning"),
        "pending": ("待定", "pending"), "never_trained": ("从未参训", "never trained"),
        "not_trained_within_window": ("周期内未参训", "not trained within window"),
        "not_applicable": ("不适用", "not applicable"),
    },
    # the canonical tables of the data model (schema.TABLE_KINDS)
    "table": {
        "representatives": ("代表", "representatives"), "trainings": ("培训班", "trainings"),
        "curriculum": ("课程", "curriculum"), "attendance": ("参训记录", "attendance"),
        "survey": ("质量评估问卷", "survey"), "cadres": ("干部", "cadres"),
        "hours_log": ("学时登记", "hours log"), "organizations": ("组织", "organizations"),
        "links": ("组织联系", "links"), "outputs": ("履职成果", "outputs"), "costs": ("培训成本", "costs"),
    },
    # content categories of curriculum modules (schema.CURRICULUM_CATEGORIES; paper Table 2)
    "curriculum_category": {
        "theory": ("理论", "theory"), "party": ("党性", "party"), "policy": ("政策", "policy"),
        "mission": ("科协使命", "mission"), "duty_skills": ("履职技能", "duty skills"),
        "exchange": ("交流", "exchange"), "field": ("考察", "field"), "other": ("其他", "other"),
    },
    # the unit of a count: distinct persons or person-times (seed 000: 584 persons vs 人次)
    "count_unit": {"persons": ("人", "persons"), "person_times": ("人次", "person-times")},
    # measures of the paper's Table 3 (datasets/real/paper_table3_provincial.csv)
    "paper_measure": {
        "classes_per_year": ("每年期数", "classes per year"),
        "trained_cast_8th_congress_reps": ("已培训中国科协八大代表", "CAST 8th-congress reps trained"),
        "trained_beijing_8th_congress_reps": ("已培训北京市科协八大代表", "Beijing 8th-congress reps trained"),
        "plan_rotate_all_cast_8th_reps_in_3_years": ("计划3年内轮训全部中国科协八大代表",
                                                     "plan: rotate all CAST 8th-congress reps in 3 years"),
        "plan_rotate_all_beijing_8th_reps_in_3_years": ("计划3年内轮训全部北京市科协八大代表",
                                                        "plan: rotate all Beijing 8th-congress reps in 3 years"),
        "participants": ("参训人数", "participants"),
        "qualitative_no_figure": ("（未给出数字）", "(no figure given)"),
        "class_participants_total": ("培训班参训人数（部分为中国科协代表）", "class participants (only part CAST reps)"),
        "person_times_over_3_years": ("3年累计人次", "person-times over 3 years"),
        "duration_days": ("每期天数", "duration of a class"),
        "centralised_study_sessions_in_5_years": ("5年集中专题学习次数", "centralised study sessions in 5 years"),
        "classes_in_5_years": ("5年举办期数", "classes in 5 years"),
    },
    # the two levels of each segment of evaluation.heterogeneity (is_reelected, is_frontline,
    # the first training's modality); names agree with the "segment" and "modality" kinds
    "segment_level": {
        "new": ("新任代表", "new"), "re-elected": ("连任代表", "re-elected"),
        "leader": ("领导岗位代表", "leader"), "frontline": ("一线代表", "front line"),
        "centralised": ("集中培训", "centralised"), "online": ("网络培训", "online"),
    },
    # the data notes of coverage.compute_coverage (templates: str.format fields; see phrase())
    "coverage_note": {
        "unknown_rows": ("{n} 条参训记录未计入：{parts}", "{n} attendance row(s) not counted: {parts}"),
        "unknown_rep": ("{n} 条的代表编号不在代表表中（如 {examples}）",
                        "{n} with a rep_id not in the representatives table (e.g. {examples})"),
        "unknown_training": ("{n} 条的班次编号不在培训班表中（如 {examples}）",
                             "{n} with a training_id not in the trainings table (e.g. {examples})"),
        "after_as_of": ("{n} 条参训记录所在班次结束于 {date} 之后，已忽略（截止日期）",
                        "{n} attendance row(s) at sessions ending after {date} ignored (as_of)"),
        "zero_hour": ("{n} 条零学时参训记录不计为培训", "{n} zero-hour attendance row(s) not counted as training"),
        "incomplete": ("{n} 条未完成的参训记录不计入", "{n} incomplete attendance row(s) not counted"),
        "duplicate": ("{n} 条重复的（代表，班次）记录只计一次（学时相加）",
                      "{n} duplicate (rep_id, training_id) row(s) counted once (hours summed)"),
        "below_threshold": ("{n_groups} 个组中有 {n} 个低于覆盖率阈值 {threshold:.0%}",
                            "{n} of {n_groups} group(s) below the coverage threshold {threshold:.0%}"),
        "spanning": ("{n} 期培训跨两个日历年（{ids}），各计入结束年份",
                     "{n} session(s) span two calendar years ({ids}); each counts in the year it ends"),
    },
    # evaluation: the segments of evaluation.heterogeneity, their contrasts, estimators and
    # multiple-testing corrections (for the evaluation stream's report section and plots)
    "het_segment": {
        "reelected": ("新任/连任", "new/re-elected"), "frontline": ("领导/一线", "leader/front line"),
        "modality": ("集中/线上", "centralised/online"),
    },
    "contrast": {
        "re-elected - new": ("连任 − 新任", "re-elected − new"),
        "frontline - leader": ("一线 − 领导", "front line − leader"),
        "online - centralised": ("线上 − 集中", "online − centralised"),
    },
    "estimator": {
        "twfe": ("双向固定效应", "TWFE"), "group_time": ("分组-时期", "group-time"),
        "quality": ("培训质量", "quality"), "treated": ("参训", "treated"),
    },
    "correction": {
        "holm": ("Holm", "Holm"), "fdr_bh": ("Benjamini–Hochberg", "Benjamini–Hochberg"),
        "bonferroni": ("Bonferroni", "Bonferroni"),
    },
    # optimiser targets: a region (named by regions.REGION_NAMES) or "cross" (several regions)
    "target": {"cross": ("跨区域", "cross-region")},
    # the basis of a number (simulation.recommend: everything there is model-based)
    "basis": {"model-based": ("模型估计", "model-based")},
    # shipped plan files (datasets/plans/)
    "plan": {
        "ninth_congress_history": ("九大历史(2016–2020)", "9th congress history"),
        "plan_2020_one_duty_class": ("2020计划:每年一期", "2020 plan: one class a year"),
        "paper_recommended": ("论文建议的分类培训", "paper's differentiated plan"),
    },
    # outputs of a simulation sweep (simulation.sweep.OUTPUTS)
    "sim_output": {
        "coverage_mean": ("期末覆盖率（均值）", "coverage at term end (mean)"),
        "coverage_p05": ("期末覆盖率（5% 分位）", "coverage at term end (5th percentile)"),
        "coverage_p95": ("期末覆盖率（95% 分位）", "coverage at term end (95th percentile)"),
        "p_full_coverage": ("全覆盖概率", "P(full coverage)"),
        "share_reaching_80pct": ("达到 80% 的概率", "P(reach 80%)"),
        "years_to_80pct_p50": ("达到 80% 的年数（中位）", "years to 80% (median)"),
        "cost_mean": ("成本（元，均值）", "cost (yuan, mean)"),
        "gain_per_rep_mean": ("人均能力提升", "gain per representative"),
        "mixing_mean": ("跨区域交流指数", "cross-region mixing"),
        "untrained_mean": ("期末未培训人数", "untrained at term end"),
        "gini_province_mean": ("省际基尼系数", "Gini across provinces"),
    },
    # policy levers (simulation.recommend.LEVERS)
    "lever": {
        "add_centralized_class": ("每年增加一期100人集中培训班", "one more 100-seat centralised class a year"),
        "never_trained_first": ("优先邀请从未参训者(不留开放席位)",
                                "invite never-trained representatives first (no open seats)"),
        "online_for_cannot_leave_post": ("为难以离岗代表每年开设150人线上课程",
                                         "a 150-seat online course a year for those who cannot leave their posts"),
        "cross_region_exchange": ("每年一期80人东西部跨区域交流班", "an 80-seat east-west cross-region exchange class a year"),
        "rep_organized": ("每年两期40人代表自组织培训", "two 40-seat representative-organised trainings a year"),
        "capacity_plus_20pct": ("各班名额增加20%", "20% more seats in every session"),
        "halve_no_shows": ("缺席率减半(提醒与调课)", "halve no-shows (reminders, rescheduling)"),
    },
    "outcome": {
        "proposals": ("建议案", "proposals"), "research_reports": ("调研报告", "research reports"),
        "suggestions_adopted": ("建议被采纳", "suggestions adopted"),
    },
    "parameter": {
        "accept_prob": ("接受邀请概率", "acceptance"),
        "accept_prob_cannot_leave_post": ("难以离岗者接受概率", "acceptance (cannot leave post)"),
        "no_show_prob": ("缺席概率", "no-show"),
        "reinvite_share": ("开放席位比例", "open-seat share"),
        "cost_scale": ("成本倍数", "cost multiplier"),
        "capacity_scale": ("名额倍数", "capacity multiplier"),
    },
    "measure": {
        "degree": ("度（合作伙伴数）", "degree (partners)"),
        "strength": ("强度（合作权重和）", "strength (tie weight)"),
        "betweenness": ("中介中心性", "betweenness"), "closeness": ("接近中心性", "closeness"),
        "eigenvector": ("特征向量中心性", "eigenvector"), "pagerank": ("PageRank", "PageRank"),
        "constraint": ("伯特约束（低=中介）", "Burt's constraint (low = broker)"),
        "clustering": ("聚类系数", "clustering"),
    },
    # column headers of tables the front ends show (data columns and result columns); a
    # "<table>.<column>" entry overrides the plain one where a table names a column differently
    "column": {
        # data columns
        "rep_id": ("代表编号", "rep ID"), "org_id": ("组织编号", "org ID"), "cadre_id": ("干部编号", "cadre ID"),
        "training_id": ("班次", "session"), "name": ("名称", "name"), "province": ("省份", "province"),
        "representatives.province": ("省份/代表团", "province/delegation"),
        "region": ("地区", "region"), "sector": ("工作领域", "sector"),
        "delegation_type": ("代表团类型", "delegation type"), "is_frontline": ("一线", "front line"),
        "is_academician": ("院士", "academician"), "is_reelected": ("连任", "re-elected"),
        "can_leave_post": ("能否离岗", "can leave post"), "gender": ("性别", "gender"),
        "type": ("类型", "type"), "kind": ("联系类型", "link kind"), "modality": ("培训方式", "modality"),
        "segment": ("群体", "segment"), "rank": ("职级", "rank"), "year": ("年份", "year"),
        "hours": ("学时", "hours"), "days": ("天数", "days"), "status": ("状态", "status"),
        "count": ("次数", "count"),
        # estimates
        "n": ("样本数", "n"), "estimate": ("估计值", "estimate"),
        "ci_low": ("区间下限", "CI low"), "ci_high": ("区间上限", "CI high"),
        "place": ("排名", "rank"), "rank_low": ("排名下限", "rank low"), "rank_high": ("排名上限", "rank high"),
        "tied_rank": ("并列排名", "tied rank"), "n_better": ("确定更优的班次", "surely better"),
        "std_error": ("标准误", "SE"), "p": ("p", "p"), "p_adjusted": ("校正 p", "adjusted p"),
        "reject": ("拒绝原假设", "reject H0"), "method": ("方法", "method"), "term": ("项", "term"),
        "contrast": ("对比", "contrast"), "roles": ("评价角色", "rater roles"), "scale": ("量表", "scale"),
        "omega": ("ω", "ω"), "n_items": ("条目数", "items"), "mean_inter_item_r": ("条目间平均相关", "mean inter-item r"),
        "hedges_g": ("Hedges g", "Hedges g"), "g_ci_low": ("g 下限", "g low"), "g_ci_high": ("g 上限", "g high"),
        "normalized_gain": ("归一化增益", "normalised gain"), "effect_size": ("效应量 d", "effect size d"),
        "n_srs": ("简单随机每组人数", "n per arm (simple random)"), "design_effect": ("设计效应", "design effect"),
        "n_per_arm": ("每组人数（整群）", "n per arm (clustered)"), "clusters_per_arm": ("每组班次数", "sessions per arm"),
        "cluster_size": ("每班人数", "cluster size"), "icc": ("ICC", "ICC"),
        "pairs_pre_post": ("前后测配对", "pre/post pairs"), "mean_pre": ("前测均分", "mean pre"),
        "mean_post": ("后测均分", "mean post"),
        # coverage
        "coverage": ("覆盖率", "coverage"), "n_trained": ("参训人数", "trained"),
        "dimension": ("维度", "dimension"), "group": ("组", "group"), "total": ("人数", "total"),
        "trained": ("已培训", "trained"), "share_of_reps": ("占代表比", "share of reps"),
        "below_threshold": ("低于阈值", "below threshold"), "n_groups": ("组数", "groups"),
        "n_below_threshold": ("低于阈值组数", "groups below threshold"),
        "sessions": ("期数", "sessions"), "person_times": ("人次", "person-times"),
        "distinct_trained": ("不重复人数", "distinct trained"), "newly_trained": ("首次参训", "newly trained"),
        "n_sessions": ("参训次数", "sessions"), "last_trained": ("最近参训", "last trained"),
        "n_attendees": ("人次", "attendees"), "n_provinces": ("省份数", "provinces"),
        "region_entropy_bits": ("地区熵（比特）", "region entropy (bits)"),
        "n_underdeveloped": ("欠发达地区人次", "under-developed"), "n_developed": ("发达地区人次", "developed"),
        "mixed": ("混合", "mixed"),
        # compliance
        "rule_id": ("规则", "rule"), "indicator": ("指标", "indicator"), "title": ("内容", "title"),
        "test": ("判定", "test"), "evaluated": ("已评估", "evaluated"), "reason": ("原因", "reason"),
        "n_evaluated": ("评估数", "n"), "n_pass": ("达标数", "passed"), "n_fail": ("未达标数", "failed"),
        "n_warning": ("警示数", "warnings"), "n_pending": ("待定数", "pending"), "pass_rate": ("达标率", "pass rate"),
        "n_miss": ("未达标数", "misses"), "mean_shortfall_hours": ("平均差距（学时）", "mean shortfall (h)"),
        "mean_shortfall_days": ("平均差距（天）", "mean shortfall (d)"),
        "mean_shortfall_count": ("平均差距（次）", "mean shortfall (records)"),
        "threshold_hours": ("门槛（学时）", "threshold (h)"), "threshold_days": ("门槛（天）", "threshold (d)"),
        "threshold_count": ("门槛（次）", "threshold (records)"),
        "shortfall_hours": ("差距（学时）", "shortfall (h)"), "shortfall_days": ("差距（天）", "shortfall (d)"),
        "shortfall_count": ("差距（次）", "shortfall (records)"), "group_size": ("人数", "group size"),
        "compliance_rates.n_trained": ("脱产培训人数", "trained off the job"),
        "rate": ("调训率", "rate"), "threshold_rate": ("门槛", "threshold"), "shortfall_rate": ("差距", "shortfall"),
        "shortfall_cadres": ("尚需人数", "cadres short"), "share": ("占比", "share"),
        "threshold_share": ("门槛", "threshold"), "shortfall_share": ("差距", "shortfall"),
        "threshold": ("门槛", "threshold"), "n_classes": ("班数", "classes"), "mean_share": ("平均占比", "mean share"),
        "min_share": ("最低占比", "min share"), "rules": ("规则", "rules"),
        "rules_evaluated": ("可评估", "evaluated"), "rules_not_evaluable": ("不可评估", "not evaluable"),
        # simulation: optimiser, levers
        "optimizer.type": ("类型编号", "type"), "target": ("区域对象", "target"), "capacity": ("名额", "capacity"),
        "seats_assigned": ("分配名额", "seats assigned"), "cost": ("成本(元)", "cost (yuan)"),
        "levers.rank": ("排名", "rank"), "lever": ("政策杠杆", "lever"), "d_coverage": ("覆盖率变化", "Δ coverage"),
        "d_coverage_lo": ("变化下限", "Δ coverage low"), "d_coverage_hi": ("变化上限", "Δ coverage high"),
        "d_mixing": ("交流指数变化", "Δ mixing"), "d_gain": ("能力提升变化", "Δ gain"),
        "d_cost": ("成本变化(元)", "Δ cost (yuan)"),
        "coverage_per_million": ("每百万元覆盖率提高(百分点)", "coverage points per million yuan"),
        "basis": ("依据", "basis"), "effect_multiplier": ("效果乘数", "effect multiplier"),
        # the data section: tables read and validated
        "table": ("表", "table"), "file": ("文件", "file"), "encoding": ("编码", "encoding"),
        "rows_read": ("读入行数", "rows read"), "accepted": ("接受", "accepted"), "rejected": ("拒绝", "rejected"),
        # the paper's tables as published (paper.display_tables)
        "paper_table1.no": ("序号", "no."), "paper_table1.session": ("培训班", "session"),
        "paper_table1.dates": ("时间", "dates"), "paper_table1.place": ("地点", "place"),
        "paper_table1.participants": ("参训人数", "participants"), "paper_table1.origin": ("代表来源", "origin"),
        "paper_table2.training_id": ("编号", "ID"), "paper_table2.session": ("培训班", "session"),
        "paper_table2.total": ("合计", "total"),
        "paper_table3.period": ("时间", "period"), "paper_table3.measure": ("指标", "measure"),
        "paper_table3.figure": ("数字", "figure"), "paper_table3.as_printed": ("原文", "as printed"),
        "paper_table3_summary.periods": ("时间", "periods"), "paper_table3_summary.n_records": ("条数", "records"),
        "paper_table3_summary.figures": ("数字", "figures"),
    },
}

_ALIASES: dict[str, dict[str, str]] = {
    # extra spellings accepted on input (besides both display names and the code itself),
    # including every name an older version of the package printed (see WORDING_DECISIONS)
    "segment": {"无法脱岗": "cannot_leave_post", "难以离开工作岗位": "cannot_leave_post",
                "新任": "new", "连任": "reelected", "一线": "frontline"},
    "parameter": {"重复邀请席位比例": "reinvite_share", "无法脱岗者接受概率": "accept_prob_cannot_leave_post"},
    "sector": {"政府": "government", "机关": "government", "大学": "university"},
    "modality": {"集中": "centralized", "网络": "online", "线上": "online", "视频": "video",
                 "视频培训": "video", "交流": "exchange", "跨区域交流": "exchange",
                 "考察": "study_tour", "考察学习": "study_tour", "混合": "hybrid", "混合式": "hybrid",
                 "代表自主组织": "rep_organized", "centralised": "centralized"},
    "cadre_rank": {"科级": "section", "section & below": "section"},
}

WORDING_DECISIONS: dict[tuple[str, str], dict] = {
    # (kind, code) -> the name chosen, the other names printed before issue 13 (still accepted
    # on input), where they were printed, and why the chosen one won
    ("segment", "cannot_leave_post"): {
        "chosen": "难以离岗", "was": ("无法脱岗",),
        "where": "plots.simulation, simulation.sweep (parameter), simulation.recommend (lever)",
        "why": "seed 000 §三: 对于难以离开工作岗位的代表"},
    ("modality", "study_tour"): {
        "chosen": "调研考察", "was": ("考察学习",), "where": "plots.simulation, labels",
        "why": "seed 000 §一: 培训方式主要包括专题授课、履职交流、调研考察"},
    ("modality", "video"): {
        "chosen": "视频授课", "was": ("视频培训", "视频"), "where": "plots.simulation; widgets",
        "why": "seed 000 §三: 可以采用视频授课、发放讲座光盘等形式"},
    ("modality", "exchange"): {
        "chosen": "交流研讨", "was": ("跨区域交流",), "where": "widgets",
        "why": "seed 000 names the method 交流研讨; cross-region is a target (kind 'target')"},
    ("modality", "rep_organized"): {
        "chosen": "代表自组织", "was": ("代表自主组织",), "where": "widgets",
        "why": "seed 000 §三: 鼓励科协代表自己组织履职培训班"},
    ("modality", "hybrid"): {
        "chosen": "线上线下结合", "was": ("混合式",), "where": "widgets", "why": "seeds 001–004: 线上线下"},
    ("sector", "government"): {
        "chosen": "党政机关", "was": ("机关",), "where": "widgets",
        "why": "the sector is party and government bodies, not only an organ"},
    ("cadre_rank", "section"): {
        "chosen": "科级及以下", "was": ("科级",), "where": "widgets",
        "why": "seed 001 § 一(三) 2: 科级以下干部 — the rank group includes the levels below"},
    ("segment", "new"): {
        "chosen": "新任代表", "was": ("新任",), "where": "plots.simulation",
        "why": "one name for the segment; the longer form reads alone in a table"},
    ("parameter", "reinvite_share"): {
        "chosen": "开放席位比例", "was": ("重复邀请席位比例",), "where": "simulation.sweep",
        "why": "Policy.reinvite_share is the share of seats open regardless of training history"},
}
"""Where two front ends printed different names for one code, which name won and why
(tests/test_labels.py checks that every former name is still accepted on input)."""

# the quality instrument's eight items: their names live in the schema (its data dictionary
# describes the survey columns with them); labels serves them as a kind
_TABLES["quality_item"] = {k: (v["zh"], v["en"]) for k, v in QUALITY_ITEM_NAMES.items()}

# evaluation (Kirkpatrick levels, DiD, power, ROI): result columns, estimators, segments,
# contrasts and the DiD's choices. Entries are added only where no other name exists yet
# (setdefault), so a name defined above always wins and nothing is named twice.
_TABLES["outcome"].setdefault("total", ("全部产出", "all outputs"))
for _code, _names in {
    "std_error": ("标准误", "SE"), "p": ("p", "p"), "df": ("自由度", "df"), "roles": ("评价角色", "rater roles"),
    "scale": ("量表", "scale"), "alpha": ("α", "alpha"), "omega": ("ω", "ω"), "n_items": ("条目数", "items"),
    "mean_inter_item_r": ("条目间平均相关", "mean inter-item r"), "hedges_g": ("Hedges g", "Hedges g"),
    "g_ci_low": ("g 下限", "g low"), "g_ci_high": ("g 上限", "g high"),
    "normalized_gain": ("归一化增益", "normalised gain"), "mean_pre": ("前测均分", "mean pre"),
    "mean_post": ("后测均分", "mean post"), "mean_gain": ("平均提高", "mean gain"),
    "method": ("方法", "method"), "term": ("项", "term"), "contrast": ("对比", "contrast"),
    "p_adjusted": ("校正 p", "adjusted p"), "reject": ("拒绝原假设", "reject H0"),
    "effect_size": ("效应量 d", "effect size d"), "n_srs": ("简单随机每组人数", "n per arm (simple random)"),
    "design_effect": ("设计效应", "design effect"), "n_per_arm": ("每组人数（整群）", "n per arm (clustered)"),
    "clusters_per_arm": ("每组班次数", "sessions per arm"), "cluster_size": ("每班人数", "cluster size"),
    "icc": ("ICC", "ICC"), "pairs_pre_post": ("前后测配对", "pre/post pairs"),
    "n_srs_exact": ("每组人数（未取整）", "n per arm (exact)"),
    "n_per_arm_exact": ("每组人数（整群，未取整）", "n per arm clustered (exact)"),
    "place": ("名次", "place"), "rank_low": ("排名下限", "rank low"), "rank_high": ("排名上限", "rank high"),
    "tied_rank": ("并列排名", "tied rank"), "n_better": ("确定更优的班次", "surely better"),
    "p_above": ("不低于上一名的比例", "share ≥ the one above"),
    "indistinguishable_from_above": ("与上一名无法区分", "indistinguishable from above"),
    "rel_time": ("距首次培训年数", "years since first training"), "cohort": ("首次参训年份", "cohort"),
    "base_year": ("基期", "base year"), "n_control": ("对照数", "controls"),
}.items():
    _TABLES["column"].setdefault(_code, _names)
for _kind, _names in {
    # difference-in-differences estimators and terms (rows of DiDResult.table), reliability scale
    "estimator": {"twfe": ("双向固定效应", "TWFE"), "group_time": ("分组-时期", "group-time"),
                  "quality": ("培训质量", "quality"), "treated": ("参训", "treated")},
    # group-time control groups (Callaway–Sant'Anna)
    "control_group": {"never_treated": ("从未参训者", "never-trained"),
                      "not_yet_treated": ("尚未参训者", "not-yet-trained")},
    # base period of the group-time pre-treatment cells
    "base_period": {"varying": ("逐期（相邻两年）", "varying (consecutive years)"),
                    "universal": ("统一（培训前一年）", "universal (the year before training)")},
    # what a DiD's standard errors are clustered on, as a noun in a sentence
    "cluster_unit": {"rep_id": ("代表", "representatives"), "province": ("省份", "provinces"),
                     "training_id": ("班次", "sessions")},
    # effect-heterogeneity segments and their contrasts (evaluation.heterogeneity.SEGMENTS)
    "het_segment": {"reelected": ("新任/连任", "new/re-elected"), "frontline": ("领导/一线", "leader/front line"),
                    "modality": ("集中/线上", "centralised/online")},
    "contrast": {"re-elected - new": ("连任 − 新任", "re-elected − new"),
                 "frontline - leader": ("一线 − 领导", "front line − leader"),
                 "online - centralised": ("线上 − 集中", "online − centralised")},
    # multiple-comparison corrections (statsmodels names)
    "correction": {"holm": ("Holm", "Holm"), "fdr_bh": ("Benjamini–Hochberg", "Benjamini–Hochberg"),
                   "bonferroni": ("Bonferroni", "Bonferroni")},
    # the outcome whose ICC plans a study (evaluation.power.plan_design)
    "design_outcome": {"gain": ("前后测提高", "pre/post gain"), "overall": ("综合质量评分", "overall quality"),
                       "pre_score": ("前测成绩", "pre-test score"), "post_score": ("后测成绩", "post-test score")},
}.items():
    _TABLES.setdefault(_kind, _names)
del _code, _names, _kind

KINDS: tuple[str, ...] = tuple(_TABLES)


def _lang_index(lang: str) -> int:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    return 0 if lang == "zh" else 1


def table(kind: str) -> dict[str, tuple[str, str]]:
    """The ``code -> (zh, en)`` table of one kind (a copy).

    Raises
    ------
    KeyError
        For an unknown kind, naming the known ones.
    """
    try:
        return dict(_TABLES[kind])
    except KeyError:
        raise KeyError(f"unknown label kind {kind!r}; kinds: {', '.join(KINDS)}") from None


def _cap(text: str, lang: str, capitalize: bool) -> str:
    return text[:1].upper() + text[1:] if capitalize and lang == "en" else text


def label(code: Any, lang: str = "zh", *, kind: str | None = None, capitalize: bool = False) -> str:
    """Display name of ``code`` in ``lang``.

    With ``kind`` the code is looked up in that vocabulary only; without it, provinces and
    regions (via :mod:`kexie_research.regions`), booleans and then every kind in turn are
    tried. An unknown code is returned unchanged, as text; a missing value (None, NaN) is
    "–". English names are lower case where they run inside sentences; ``capitalize=True``
    gives the form for a header, legend entry or option list.

    Examples
    --------
    >>> label("广西", "en"), label("west", "zh"), label(True, "zh")
    ('Guangxi', '西部', '是')
    >>> label("other", "zh", kind="org_type"), label("no_such_code", "zh")
    ('其他', 'no_such_code')
    >>> label("centralized", "en", capitalize=True), label("division", "en", kind="cadre_rank")
    ('Centralised', 'division')
    """
    i = _lang_index(lang)
    if code is None or (isinstance(code, float) and code != code) or type(code).__name__ in ("NAType", "NaTType"):
        return "–"
    if isinstance(code, bool) or type(code).__name__ == "bool_":
        return _cap(_TABLES["bool"][str(bool(code))][i], lang, capitalize)
    s = str(code)
    if kind is not None:
        return _cap(table(kind).get(s, (s, s))[i], lang, capitalize)
    from .regions import DELEGATIONS, PROVINCES, REGION_NAMES, province_name

    if s in REGION_NAMES:
        return _cap(REGION_NAMES[s][lang], lang, capitalize)
    if s in PROVINCES or s in DELEGATIONS:
        return province_name(s, lang)
    for names in _TABLES.values():
        if s in names:
            return _cap(names[s][i], lang, capitalize)
    return s


def labels_for(kind: str, lang: str = "zh", *, capitalize: bool = False) -> dict[str, str]:
    """``code -> name`` in ``lang`` for every code of ``kind`` (option lists, legends).

    >>> labels_for("gender", "en", capitalize=True)
    {'female': 'Female', 'male': 'Male'}
    """
    i = _lang_index(lang)
    return {code: _cap(names[i], lang, capitalize) for code, names in table(kind).items()}


def column_label(name: str, lang: str = "zh", *, table: str | None = None, capitalize: bool = False) -> str:
    """Display name of a column header; unknown names unchanged.

    ``table`` picks a table-specific name where one exists (``representatives.province``
    is 省份/代表团: the column also holds the national delegations).

    >>> column_label("rep_id", "zh"), column_label("province", "en", table="representatives")
    ('代表编号', 'province/delegation')
    >>> column_label("rep_id", "en", capitalize=True)
    'Rep ID'
    """
    names = _TABLES["column"]
    i = _lang_index(lang)
    key = f"{table}.{name}" if table is not None and f"{table}.{name}" in names else name
    return _cap(names.get(key, (name, name))[i], lang, capitalize)


def phrase(code: str, lang: str = "zh", *, kind: str, **fields) -> str:
    """A sentence of kind ``kind`` (a template table such as ``"coverage_note"``) in ``lang``,
    its ``{fields}`` filled in. A field whose value is a list of ``(code, fields)`` pairs is
    rendered phrase by phrase and joined ("; " in English, "；" in Chinese).

    >>> phrase("zero_hour", "zh", kind="coverage_note", n=3)
    '3 条零学时参训记录不计为培训'
    >>> phrase("unknown_rows", "en", kind="coverage_note", n=2,
    ...        parts=[("unknown_rep", {"n": 2, "examples": "R9"})])
    '2 attendance row(s) not counted: 2 with a rep_id not in the representatives table (e.g. R9)'
    """
    names = table(kind)
    if code not in names:
        raise KeyError(f"no {kind} phrase {code!r}; phrases: {', '.join(names)}")
    sep = "；" if lang == "zh" else "; "
    filled = {k: sep.join(phrase(c, lang, kind=kind, **f) for c, f in v) if isinstance(v, list) else v
              for k, v in fields.items()}
    return names[code][_lang_index(lang)].format(**filled)


def aliases(kind: str) -> dict[str, str]:
    """Every accepted spelling of the codes of ``kind`` mapped to the code: the code, its
    Chinese and English display names (English case-folded) and the common variants.

    >>> aliases("modality")["交流研讨"], aliases("modality")["centralised"]
    ('exchange', 'centralized')
    """
    out: dict[str, str] = {}
    for code, (zh, en) in table(kind).items():
        out[code] = code
        out[zh] = code
        out[en.casefold()] = code
    out.update(_ALIASES.get(kind, {}))
    return out


def origin_tag(origin: str, lang: str = "zh") -> str:
    """The tag that marks a sentence, table or cell by the origin of its numbers:
    【合成数据】 / [synthetic], 【模型估计】 / [model], ... (empty for user data).

    >>> origin_tag("data", "zh")
    ''
    """
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {', '.join(ORIGINS)}, not {origin!r}")
    if origin == "data":
        return ""
    zh = {"real": "种子文献", "synthetic": "合成数据", "model": "模型估计", "mixed": "混合来源"}[origin]
    en = {"real": "seed documents", "synthetic": "synthetic", "model": "model", "mixed": "mixed"}[origin]
    return f"【{zh}】" if lang == "zh" else f"[{en}]"


def origin_name(origin: str, lang: str = "zh") -> str:
    """The origin's name in words (``"synthetic"`` → 合成数据)."""
    return label(origin, lang, kind="origin")


def combine_origins(origins) -> str:
    """One origin for several: the common one, or ``"mixed"``.

    >>> combine_origins(["synthetic", "synthetic"]), combine_origins(["real", "synthetic"])
    ('synthetic', 'mixed')
    """
    s = {o for o in origins if o}
    bad = s - set(ORIGINS)
    if bad:
        raise ValueError(f"unknown origin(s) {sorted(bad)}; origins: {', '.join(ORIGINS)}")
    if not s:
        raise ValueError("no origin given")
    return s.pop() if len(s) == 1 else "mixed"
