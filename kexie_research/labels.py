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

__all__ = [
    "Lang",
    "ORIGINS",
    "KINDS",
    "label",
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
        "video": ("视频培训", "video"), "reading_class": ("读书班", "reading class"),
        "exchange": ("交流研讨", "exchange"), "study_tour": ("考察学习", "study tour"),
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
    # column headers of tables the front ends show (data columns and result columns)
    "column": {
        "rep_id": ("代表编号", "rep ID"), "org_id": ("组织编号", "org ID"), "cadre_id": ("干部编号", "cadre ID"),
        "training_id": ("班次", "session"), "name": ("名称", "name"), "province": ("省份", "province"),
        "region": ("地区", "region"), "sector": ("工作领域", "sector"),
        "delegation_type": ("代表团类型", "delegation type"), "is_frontline": ("一线", "front line"),
        "is_academician": ("院士", "academician"), "is_reelected": ("连任", "re-elected"),
        "type": ("类型", "type"), "kind": ("联系类型", "link kind"), "modality": ("培训方式", "modality"),
        "segment": ("群体", "segment"), "rank": ("职级", "rank"), "year": ("年份", "year"),
        "hours": ("学时", "hours"), "days": ("天数", "days"), "status": ("状态", "status"),
        "n": ("样本数", "n"), "estimate": ("估计值", "estimate"),
        "ci_low": ("区间下限", "CI low"), "ci_high": ("区间上限", "CI high"),
        "coverage": ("覆盖率", "coverage"), "n_trained": ("参训人数", "trained"),
        # network tables (organisation system, centrality and synergy league tables)
        "under_expected_parent": ("挂在上一级科协之下", "under the expected parent"),
        "share": ("占比", "share"), "count": ("数量", "count"), "new_in_year": ("当年新建", "new in year"),
        "base_count": ("基期数量", "base-year count"), "growth": ("增长", "growth"),
        "growth_pct": ("增长率（%）", "growth (%)"), "league_rank": ("排名", "place"), "rank_low": ("排名区间下限", "rank from"),
        "rank_high": ("排名区间上限", "rank to"), "rank_interval": ("排名（95%区间）", "rank (95% interval)"),
        "slice": ("分组", "slice"), "n_units": ("分析单位数", "units"), "T": ("T（比特）", "T (bits)"),
        "counting": ("计数方式", "counting"), "group": ("组别", "group"), "origin": ("来源", "origin"),
        "betweenness_se": ("介数标准误", "betweenness SE"), "closeness_se": ("接近度标准误", "closeness SE"),
        "community": ("社区", "community"), "size": ("规模", "size"),
    },
    # Leydesdorff's helices (kexie_research.schema.ORG_HELIX)
    "helix": {
        "university": ("高校与科研院所", "university"), "industry": ("产业", "industry"),
        "government": ("政府与科协", "government"), "society": ("学会与公共机构", "society"),
    },
    # Gould–Fernandez brokerage roles (kexie_research.networks.brokerage)
    "brokerage_role": {
        "coordinator": ("协调者", "coordinator"), "consultant": ("顾问", "consultant"),
        "representative": ("代表者", "representative"), "gatekeeper": ("守门人", "gatekeeper"),
        "liaison": ("联络者", "liaison"),
    },
    "counting": {"full": ("全计数", "full counting"), "fractional": ("分数计数", "fractional counting")},
}

_ALIASES: dict[str, dict[str, str]] = {
    # extra spellings accepted on input (besides both display names and the code itself)
    "segment": {"无法脱岗": "cannot_leave_post", "难以离开工作岗位": "cannot_leave_post",
                "新任": "new", "连任": "reelected", "一线": "frontline"},
    "sector": {"政府": "government", "机关": "government", "大学": "university"},
    "modality": {"集中": "centralized", "网络": "online", "线上": "online", "视频": "video",
                 "交流": "exchange", "考察": "study_tour", "混合": "hybrid",
                 "centralised": "centralized"},
}

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


def label(code: Any, lang: str = "zh", *, kind: str | None = None) -> str:
    """Display name of ``code`` in ``lang``.

    With ``kind`` the code is looked up in that vocabulary only; without it, provinces and
    regions (via :mod:`kexie_research.regions`), booleans and then every kind in turn are
    tried. An unknown code is returned unchanged, as text.

    Examples
    --------
    >>> label("广西", "en"), label("west", "zh"), label(True, "zh")
    ('Guangxi', '西部', '是')
    >>> label("other", "zh", kind="org_type"), label("no_such_code", "zh")
    ('其他', 'no_such_code')
    """
    i = _lang_index(lang)
    if code is None:
        return "–"
    if isinstance(code, bool) or type(code).__name__ == "bool_":
        return _TABLES["bool"][str(bool(code))][i]
    s = str(code)
    if kind is not None:
        return table(kind).get(s, (s, s))[i]
    from .regions import DELEGATIONS, PROVINCES, REGION_NAMES, province_name

    if s in REGION_NAMES:
        return REGION_NAMES[s][lang]
    if s in PROVINCES or s in DELEGATIONS:
        return province_name(s, lang)
    for names in _TABLES.values():
        if s in names:
            return names[s][i]
    return s


def column_label(name: str, lang: str = "zh") -> str:
    """Display name of a column header; unknown names unchanged.

    >>> column_label("rep_id", "zh")
    '代表编号'
    """
    return label(name, lang, kind="column")


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
