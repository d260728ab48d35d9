"""Synthetic national organisation system (organizations) and collaboration network (links).

Calibrated to seed 003's enterprise-association survey (datasets/real/enterprise_assoc_stats.csv)
and consortium compositions (datasets/real/consortia.csv); the hierarchy's size follows the
CAST 2018 breakdown (DOMAIN.md § 5). See docs/synthetic.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..regions import PROVINCES
from ..schema import HELIX_DIMS3
from ._common import COUNTIES, ECONOMIC_WEIGHTS, PREFECTURES, PROVINCE_LIST, apportion, source_label
from .effects import PLANTED_EFFECTS, _co_information

__all__ = ["generate_network", "NETWORK_SIZES"]

#: Sizes at scale 1 (counts of organisations / collaborations) other than the calibrated ones.
NETWORK_SIZES: dict[str, int] = {
    "county_association": 2700, "town_association": 6000, "national_society": 211,
    "provincial_society": 3000, "city_society": 2000, "park_association": 600,
    "joint_association": 300, "workstation_other_provinces": 2500, "consortium_synthetic": 40,
    "university_association": 600, "university": 1200, "research_institute": 1500,
    "enterprise": 12000, "hospital": 2000, "lab": 600, "finance": 400, "other": 200,
    "projects": 40000, "joint_labs": 6000, "technology_transfers": 12000, "trainings": 20000,
    "other_links": 1000,
}

_FIELDS = ("数学", "物理", "化学", "天文", "力学", "地理", "地质", "气象", "海洋", "地球物理",
           "生物化学与分子生物", "植物", "动物", "微生物", "生态", "心理", "统计", "计算机",
           "电子", "通信", "自动化", "机械工程", "电机工程", "航空", "宇航", "造船工程", "汽车工程",
           "土木工程", "水利", "金属", "材料研究", "化工", "纺织工程", "食品科学技术", "环境科学",
           "农学", "林学", "园艺", "畜牧兽医", "水产", "作物", "土壤", "医学", "药学", "中医药",
           "护理", "营养", "预防医学", "生物医学工程", "科学技术史", "科普作家", "图书馆",
           "能源研究", "核", "光学", "仪器仪表", "电工技术", "测绘地理信息", "岩石力学与工程",
           "城市科学", "人工智能", "密码", "遥感", "工程热物理", "复合材料", "颗粒", "腐蚀与防护")
_SUFFIX = ("学会", "协会", "研究会")

# project composition patterns (university, industry, government) -> probability;
# (0, 0, 0) = projects of other actors only (hospitals, finance). Normal provinces lean to
# all-or-one compositions (T near 0); synergy provinces to bilateral ones (T < 0).
_PATTERNS = [tuple(p) for p in PLANTED_EFFECTS["triple_helix_patterns"]["patterns"]]
_P_NORMAL = np.array(PLANTED_EFFECTS["triple_helix_patterns"]["other_provinces"])
_P_SYNERGY = np.array(PLANTED_EFFECTS["triple_helix_patterns"]["synergy_provinces"])
# which organisation types fill a slot of each helix class in a project, and how often; the
# classes are those of the one helix map (schema.ORG_HELIX; "none" = a type in none of the
# three); tests/test_synthetic.py checks the two agree, so the synergy planted is the
# synergy measured
_CLASS_TYPES = {
    "university": (("university", 0.45), ("research_institute", 0.35),
                   ("university_association", 0.08), ("lab", 0.12)),
    "industry": (("enterprise", 0.60), ("enterprise_association", 0.32),
                 ("park_association", 0.04), ("workstation", 0.04)),
    "government": (("national_society", 0.25), ("local_society", 0.35),
                   ("provincial_association", 0.08), ("city_association", 0.17),
                   ("county_association", 0.15)),
    "none": (("hospital", 0.7), ("finance", 0.2), ("other", 0.1)),
}
_P_SAME_PROVINCE = {"university": 0.7, "industry": 0.85, "government": 0.8, "none": 0.9}

# six-haves and activity shares by organisation type: (site, facilities, staff, funding,
# activities, rules, active_last_year, empty-shell share). Enterprise associations follow
# seed 003 (>80 % office, ~3/4 full-time staff, ~2/3 dedicated funds).
_SIX = {
    "cast": (1, 1, 1, 1, 1, 1, 1, 0), "provincial_association": (1, 1, 1, 1, 1, 1, 1, 0),
    "city_association": (0.98, 0.95, 0.95, 0.93, 0.96, 0.97, 0.97, 0.0),
    "county_association": (0.92, 0.85, 0.80, 0.75, 0.88, 0.90, 0.90, 0.02),
    "town_association": (0.70, 0.55, 0.45, 0.40, 0.70, 0.75, 0.70, 0.08),
    "national_society": (0.98, 0.95, 0.97, 0.95, 0.98, 0.99, 0.98, 0.0),
    "local_society": (0.80, 0.70, 0.65, 0.60, 0.82, 0.88, 0.85, 0.04),
    "enterprise_association": (0.84, 0.78, 0.75, 0.667, 0.80, 0.86, 0.85, 0.04),
    "park_association": (0.88, 0.82, 0.78, 0.72, 0.85, 0.88, 0.88, 0.03),
    "federation": (0.90, 0.85, 0.80, 0.75, 0.90, 0.92, 0.92, 0.0),
    "joint_association": (0.75, 0.65, 0.60, 0.55, 0.78, 0.80, 0.80, 0.05),
    "workstation": (0.70, 0.60, 0.55, 0.50, 0.75, 0.70, 0.78, 0.06),
    "consortium": (0.85, 0.80, 0.80, 0.80, 0.92, 0.95, 0.95, 0.0),
    "university_association": (0.85, 0.80, 0.70, 0.65, 0.85, 0.88, 0.86, 0.03),
}
_SIX_COLS = ("has_site", "has_facilities", "has_staff", "has_funding", "has_activities", "has_rules")
_NAT = len(PROVINCE_LIST)
_C02_NAMES = {"enterprise": "会员企业", "lab": "会员实验室", "hospital": "会员医院", "other": "养老机构",
              "unlisted": "未列明会员单位"}  # province code of national bodies (no province)


class _Orgs:
    """Column store of organisations while they are generated."""

    def __init__(self):
        self.cols = {k: [] for k in ("org_id", "name", "type", "level", "prov", "parent",
                                     "founded", "members")}
        self.n = 0
        self.counter: dict[str, int] = {}

    def add(self, prefix, type_, level, prov, parent, founded, names=None, members=None):
        prov = np.atleast_1d(np.asarray(prov, dtype=int))
        k = len(prov)
        start = self.counter.get(prefix, 0)
        width = 6 if prefix in ("EA", "EN", "TO") else 5
        ids = ([prefix] if prefix == "CAST" else
               [f"{prefix}{start + j + 1:0{width}d}" for j in range(k)])
        self.counter[prefix] = start + k
        if names is None:
            names = ids
        for key, val in (("org_id", ids), ("name", list(names)), ("type", [type_] * k),
                         ("level", list(np.broadcast_to(np.asarray(level, dtype=object), (k,)))),
                         ("prov", list(prov)),
                         ("parent", list(np.broadcast_to(np.asarray(parent, dtype=object), (k,)))),
                         ("founded", list(np.broadcast_to(np.asarray(founded, dtype=int), (k,)))),
                         ("members", list(np.broadcast_to(np.asarray(-1 if members is None else members,
                                                                     dtype=int), (k,))))):
            self.cols[key].extend(val)
        first = self.n
        self.n += k
        return np.arange(first, first + k)

    def arrays(self):
        return {k: np.asarray(v, dtype=object if k in ("org_id", "name", "type", "level", "parent") else int)
                for k, v in self.cols.items()}


def _years(gen, n, lo, hi, growth=0.06):
    """Founding years in [lo, hi] with density growing at ``growth`` per year."""
    ys = np.arange(lo, hi + 1)
    w = np.exp(growth * (ys - lo))
    return gen.choice(ys, size=n, p=w / w.sum())


def _pick_parent(gen, parents_by_prov: dict, prov_codes, fallback):
    out = np.empty(len(prov_codes), dtype=object)
    for p in np.unique(prov_codes):
        m = prov_codes == p
        cands = parents_by_prov.get(int(p))
        if cands is None or len(cands) == 0:
            out[m] = fallback[int(p)]
        else:
            out[m] = cands[gen.integers(0, len(cands), int(m.sum()))]
    return out


def _ea_targets(stats: pd.DataFrame, scale: float):
    """Per-province enterprise-association totals (2021), new-in-2021 counts and the 2017 total."""
    sp = stats[stats["series"] == "survey_province"]
    sn = stats[stats["series"] == "survey_national"]
    total21 = int(sn[(sn["year"] == 2021) & (sn["measure"] == "enterprise_associations_count")]["value"].iloc[0])
    total17 = int(sn[(sn["year"] == 2017) & (sn["measure"] == "enterprise_associations_count")]["value"].iloc[0])
    given = {r.province: int(r.value) for r in sp[sp["measure"] == "enterprise_associations_count"].itertuples()}
    new21 = {r.province: int(r.value) for r in sp[sp["measure"] == "new_enterprise_associations"].itertuples()}
    ws = {r.province: int(r.value) for r in sp[sp["measure"] == "enterprise_association_workstations"].itertuples()}
    others = [p for p in PROVINCE_LIST if p not in given]
    rest = total21 - sum(given.values())
    cap = min(given.values()) - 1  # the seed's top five stay the top five
    w = np.array([ECONOMIC_WEIGHTS[p] for p in others])
    alloc = apportion(rest, w)
    for _ in range(20):  # cap and redistribute
        over = alloc > cap
        if not over.any():
            break
        excess = int((alloc[over] - cap).sum())
        alloc[over] = cap
        free = ~over & (alloc < cap)
        alloc[free] += apportion(excess, w[free])
    totals = {**given, **dict(zip(others, alloc.tolist()))}
    if scale != 1.0:
        tot = apportion(round(total21 * scale), [totals[p] for p in PROVINCE_LIST])
        totals = dict(zip(PROVINCE_LIST, tot.tolist()))
        new21 = {p: round(v * scale) for p, v in new21.items()}
        ws = {p: round(v * scale) for p, v in ws.items()}
        total17 = round(total17 * scale)
    return totals, new21, total17, ws


def _ea_founding(gen, totals: dict, new21: dict, total17: int):
    """Founding years per province: sum of stocks by 2017 = total17 exactly; the 2021 new
    counts of the provinces the seed names exactly; other years plausible."""
    provs = list(totals)
    n = np.array([totals[p] for p in provs])
    # stock by 2017 for provinces with a fixed 2021 figure: leave room for 2018-2020 growth
    fixed17 = {}
    for p, k in new21.items():
        after17 = k + int(round((n[provs.index(p)] - k) * 0.4))
        fixed17[p] = n[provs.index(p)] - after17
    free = [p for p in provs if p not in fixed17]
    rest17 = total17 - sum(fixed17.values())
    wf = np.array([totals[p] for p in free], dtype=float) * np.exp(gen.normal(0, 0.15, len(free)))
    s17 = apportion(rest17, wf)
    s17 = np.minimum(s17, [totals[p] for p in free])
    # fix rounding after capping
    short = rest17 - int(s17.sum())
    while short > 0:
        room = np.array([totals[p] for p in free]) - s17
        j = int(np.argmax(room))
        s17[j] += 1
        short -= 1
    stock17 = {**fixed17, **dict(zip(free, s17.tolist()))}
    founded = {}
    for p in provs:
        k17 = stock17[p]
        after = totals[p] - k17
        early = np.clip(2017 - np.floor(gen.exponential(7.0, k17)).astype(int), 1978, 2017)
        if p in new21:
            k21 = min(new21[p], after)
            mid = after - k21
            y1820 = gen.choice([2018, 2019, 2020], size=mid, p=[0.28, 0.33, 0.39])
            later = np.concatenate([y1820, np.full(k21, 2021)])
        else:
            later = gen.choice([2018, 2019, 2020, 2021], size=after, p=[0.21, 0.24, 0.26, 0.29])
        founded[p] = np.concatenate([early, later]).astype(int)
    return founded


def _six_haves(gen, types: np.ndarray):
    n = len(types)
    flags = np.full((n, 7), -1, dtype=int)  # -1 = not applicable (empty)
    for t, spec in _SIX.items():
        idx = np.flatnonzero(types == t)
        if not len(idx):
            continue
        shell_p = spec[7]
        shell = gen.random(len(idx)) < shell_p
        v = gen.normal(0, 1, len(idx))
        from scipy.stats import norm
        for j in range(7):
            p = min(1.0, spec[j] / (1 - shell_p)) if shell_p < 1 else 0.0
            if p >= 1:
                f = np.ones(len(idx), dtype=int)
            else:
                z = 0.7 * v + np.sqrt(1 - 0.49) * gen.normal(0, 1, len(idx))
                f = (z > norm.ppf(1 - p)).astype(int)
            f[shell] = 0
            flags[idx, j] = f
    return flags


class _Pool:
    """Organisations of some types, grouped by province for fast same-province sampling."""

    def __init__(self, idx: np.ndarray, prov: np.ndarray):
        order = np.argsort(prov[idx], kind="stable")
        self.idx = idx[order]
        self.prov = prov[self.idx]
        self.start = np.searchsorted(self.prov, np.arange(_NAT + 1))
        self.count = np.diff(np.append(self.start, len(self.idx)))

    def sample(self, gen, prov_codes: np.ndarray, same: np.ndarray) -> np.ndarray:
        m = len(prov_codes)
        if len(self.idx) == 0:
            raise ValueError("empty pool")
        out = self.idx[gen.integers(0, len(self.idx), m)]  # anywhere
        ok = same & (self.count[np.minimum(prov_codes, _NAT)] > 0)
        if ok.any():
            pc = prov_codes[ok]
            off = (gen.random(int(ok.sum())) * self.count[pc]).astype(int)
            out[ok] = self.idx[self.start[pc] + off]
        return out


class _Net:
    """State shared by the generation steps (one random stream, drawn in a fixed order)."""

    def __init__(self, gen: np.random.Generator, scale: float):
        self.gen = gen
        self.s = float(scale)
        self.O = _Orgs()
        self.pcode = {p: i for i, p in enumerate(PROVINCE_LIST)}
        self.econ = np.array([ECONOMIC_WEIGHTS[p] for p in PROVINCE_LIST])
        self.econ_p = self.econ / self.econ.sum()

    def sc(self, kind: str) -> int:
        """Count of ``kind`` at this scale; at least 12 of each kind, so the named
        compositions (C01: 9 universities) fit at any scale."""
        return max(12, int(round(NETWORK_SIZES[kind] * self.s)))

    def ids(self, rows) -> np.ndarray:
        return np.array(self.O.cols["org_id"], dtype=object)[rows]


def generate_network(gen: np.random.Generator, *, scale: float = 1.0, seed: int | None = None,
                     stats: pd.DataFrame, consortia: pd.DataFrame):
    """Generate the ``organizations`` and ``links`` tables of the national network.

    The steps, in the order they draw from ``gen``: the administrative hierarchy, societies,
    parks / federations / joint associations, enterprise associations (seed 003's counts),
    workstations, university associations, partner organisations, consortia and the named
    compositions (C01–C04); then the organisations table and the links (memberships,
    consortium founders, projects with planted helix compositions, other kinds).

    Parameters
    ----------
    gen : numpy.random.Generator
        The random stream (the caller spawns it from the dataset's SeedSequence).
    scale : float
        Size relative to national scale (counts other than the hierarchy's provinces are
        multiplied by it, with a floor of 12 per kind); the seed-003 counts are exact only
        at 1.0.
    seed : int, optional
        Written into the ``source`` label.
    stats, consortia : DataFrame
        ``load_real("enterprise_assoc_stats")`` and ``load_real("consortia")``: the
        calibration targets.

    Returns
    -------
    (organizations, links, realised) : DataFrame, DataFrame, dict
        Valid ``organizations`` and ``links`` tables and the facts achieved (counts by
        province, shares, realised triple-helix T).

    Examples
    --------
    >>> import numpy as np
    >>> from kexie_research.data import load_real
    >>> orgs, links, real = generate_network(np.random.default_rng(1), scale=0.02,
    ...     stats=load_real("enterprise_assoc_stats"), consortia=load_real("consortia"))
    >>> orgs.loc[0, ["org_id", "type", "level"]].tolist(), (links["source_id"] != links["target_id"]).all()
    (['CAST', 'cast', 'national'], np.True_)
    """
    label = source_label(seed)
    c = _Net(gen, scale)
    _hierarchy(c)
    _societies(c)
    _parks_federations_joint(c, consortia)
    ws_given = _enterprise_associations(c, stats, consortia)
    _workstations(c, ws_given)
    _university_associations(c)
    _partners(c)
    _consortia(c, consortia)
    orgs = _organizations_table(c, label)
    lk = _Links(c)
    _membership_links(c, lk, orgs)
    _founding_links(c, lk, orgs)
    proj = _project_links(c, lk)
    _other_links(c, lk)
    links_df = lk.frame(c.O.arrays()["org_id"], label)
    return orgs, links_df, _realised(c, orgs, proj)


def _hierarchy(c: _Net) -> None:
    """CAST, provincial, city, county and town associations."""
    gen, O, s = c.gen, c.O, c.s
    O.add("CAST", "cast", "national", _NAT, None, 1958, names=["中国科学技术协会"])
    O.add("PA", "provincial_association", "provincial", np.arange(_NAT), "CAST",
          np.where(np.array(PROVINCE_LIST) == "新疆兵团", 1985, _years(gen, _NAT, 1958, 1980)),
          names=[f"{PROVINCES[p][2]}科学技术协会" for p in PROVINCE_LIST])
    c.pa_id = {i: f"PA{i + 1:05d}" for i in range(_NAT)}
    c.pa_ids = np.array([c.pa_id[i] for i in range(_NAT)] + ["CAST"], dtype=object)
    pa_ids = c.pa_ids

    n_city = np.array([max(0, int(round(PREFECTURES[p] * s))) if PREFECTURES[p] else 0 for p in PROVINCE_LIST])
    n_city = np.where((n_city == 0) & (np.array([PREFECTURES[p] for p in PROVINCE_LIST]) > 0), 1, n_city)
    c.n_city = n_city
    city_prov = np.repeat(np.arange(_NAT), n_city)
    city_rank = np.concatenate([np.arange(1, k + 1) for k in n_city])
    city = O.add("CA", "city_association", "city", city_prov, pa_ids[city_prov],
                 _years(gen, len(city_prov), 1958, 1995, 0.03),
                 names=[f"{PROVINCE_LIST[p]}第{r}市科协（合成）" for p, r in zip(city_prov, city_rank)])
    city_ids = c.ids(city)
    c.city_by = {p: city_ids[city_prov == p] for p in range(_NAT)}

    n_county = apportion(int(round(NETWORK_SIZES["county_association"] * s)),
                         [COUNTIES[p] for p in PROVINCE_LIST], minimum=1)
    county_prov = np.repeat(np.arange(_NAT), n_county)
    county_parent = _pick_parent(gen, c.city_by, county_prov, pa_ids)
    county = O.add("CO", "county_association", "county", county_prov, county_parent,
                   _years(gen, len(county_prov), 1965, 2005, 0.02),
                   names=[f"{PROVINCE_LIST[p]}第{r}县科协（合成）" for p, r in
                          zip(county_prov, np.concatenate([np.arange(1, k + 1) for k in n_county]))])
    county_ids = c.ids(county)
    c.county_by = {p: county_ids[county_prov == p] for p in range(_NAT)}

    n_town = apportion(c.sc("town_association"), n_county)
    town_prov = np.repeat(np.arange(_NAT), n_town)
    O.add("TO", "town_association", "town", town_prov, _pick_parent(gen, c.county_by, town_prov, pa_ids),
          _years(gen, len(town_prov), 1985, 2021, 0.05),
          names=[f"{PROVINCE_LIST[p]}乡镇科协{j + 1:05d}（合成）" for j, p in enumerate(town_prov)])


def _societies(c: _Net) -> None:
    """National societies, provincial and city-level local societies."""
    gen, O, econ, pa_ids = c.gen, c.O, c.econ, c.pa_ids
    n_ns = c.sc("national_society")
    ns_names = []
    for j in range(n_ns):
        f = _FIELDS[j % len(_FIELDS)]
        suf = _SUFFIX[(j // len(_FIELDS)) % len(_SUFFIX)]
        ns_names.append(f"中国{f}{suf}（合成）")
    c.ns = O.add("NS", "national_society", "national", np.full(n_ns, _NAT), "CAST",
                 _years(gen, n_ns, 1907, 2021, 0.02), names=ns_names,
                 members=np.round(np.exp(gen.normal(np.log(20000), 0.9, n_ns))).astype(int))
    n_ps = apportion(c.sc("provincial_society"), np.sqrt(econ) * 10, minimum=1)
    ps_prov = np.repeat(np.arange(_NAT), n_ps)
    O.add("LS", "local_society", "provincial", ps_prov, pa_ids[ps_prov], _years(gen, len(ps_prov), 1960, 2021, 0.02),
          names=[f"{PROVINCE_LIST[p]}省级学会{j + 1:05d}（合成）" for j, p in enumerate(ps_prov)],
          members=np.round(np.exp(gen.normal(np.log(800), 0.8, len(ps_prov)))).astype(int))
    has_city = np.flatnonzero(c.n_city > 0)
    cs_prov = has_city[gen.choice(len(has_city), size=c.sc("city_society"), p=econ[has_city] / econ[has_city].sum())]
    cs_prov.sort()
    O.add("LS", "local_society", "city", cs_prov, _pick_parent(gen, c.city_by, cs_prov, pa_ids),
          _years(gen, len(cs_prov), 1975, 2021, 0.03),
          names=[f"{PROVINCE_LIST[p]}市级学会{j + 1:05d}（合成）" for j, p in enumerate(cs_prov)],
          members=np.round(np.exp(gen.normal(np.log(200), 0.8, len(cs_prov)))).astype(int))


def _parks_federations_joint(c: _Net, consortia: pd.DataFrame) -> None:
    """Park associations (C03 first), federations (Hunan's two-level one), joint associations (C02 first)."""
    gen, O, s, pcode, pa_ids = c.gen, c.O, c.s, c.pcode, c.pa_ids
    n_park = c.sc("park_association")
    park_prov = np.sort(gen.choice(_NAT, size=n_park, p=c.econ_p))
    park_prov[0] = pcode["广东"]  # the Huaxin park association (C03) is the first park
    c.park = O.add("PK", "park_association", "county", park_prov,
                   _pick_parent(gen, c.city_by, park_prov, pa_ids), _years(gen, n_park, 1995, 2021, 0.08),
                   names=[f"{PROVINCE_LIST[p]}园区科协{j + 1:04d}（合成）" for j, p in enumerate(park_prov)],
                   members=np.round(np.exp(gen.normal(np.log(120), 0.7, n_park))).astype(int))
    c03 = consortia[consortia["consortium_id"] == "C03"]
    c.c03 = c03
    O.cols["name"][c.park[0]] = str(c03["name"].iloc[0])
    O.cols["founded"][c.park[0]] = int(c03["year"].iloc[0])
    O.cols["members"][c.park[0]] = int(c03.loc[c03["relation"] == "resident", "n_members"].iloc[0])
    park_ids = c.ids(c.park)
    c.park_by = {p: park_ids[park_prov == p] for p in range(_NAT)}

    # federations: Hunan provincial federation with city federations as its members (seed
    # 003: 湖南 city federations are group members of the provincial one); a few others
    fed_specs = [("湖南", 14)] + [(p, max(1, int(round(k * min(1.0, s * 4))))) for p, k in
                                   (("江苏", 6), ("浙江", 4), ("山东", 4), ("广西", 5), ("广东", 5), ("湖北", 3))]
    c.fed_members = {}
    for p, k in fed_specs:
        pc = pcode[p]
        top = O.add("FD", "federation", "provincial", pc, c.pa_id[pc], int(gen.integers(2012, 2018)),
                    names=[f"{PROVINCES[p][2]}企业科协联合会（合成）"])
        top_id = O.cols["org_id"][top[0]]
        kk = min(k, max(1, c.n_city[pc])) if c.n_city[pc] else k
        subs = O.add("FD", "federation", "city", np.full(kk, pc), top_id, _years(gen, kk, 2016, 2021, 0.1),
                     names=[f"{p}第{j + 1}市企业科协联合会（合成）" for j in range(kk)])
        c.fed_members[pc] = np.concatenate([top, subs])

    n_joint = c.sc("joint_association")
    joint_prov = np.sort(gen.choice(_NAT, size=n_joint, p=c.econ_p))
    joint_prov[0] = pcode["江苏"]
    c.joint = O.add("JA", "joint_association", "county", joint_prov,
                    _pick_parent(gen, c.county_by, joint_prov, pa_ids), _years(gen, n_joint, 2012, 2021, 0.15),
                    names=[f"{PROVINCE_LIST[p]}企业联合科协{j + 1:04d}（合成）" for j, p in enumerate(joint_prov)])
    c02 = consortia[consortia["consortium_id"] == "C02"]
    c.c02 = c02
    O.cols["name"][c.joint[0]] = str(c02["name"].iloc[0])
    O.cols["founded"][c.joint[0]] = int(c02["year"].iloc[0])
    O.cols["members"][c.joint[0]] = int(c02["total_members"].iloc[0])


def _enterprise_associations(c: _Net, stats: pd.DataFrame, consortia: pd.DataFrame) -> dict:
    """Enterprise associations by province and founding year (seed 003's counts), with
    group-company associations and their branches (C04). Returns the workstation counts."""
    gen, O, s, pcode, pa_ids = c.gen, c.O, c.s, c.pcode, c.pa_ids
    totals, new21, total17, ws_given = _ea_targets(stats, s)
    founded = _ea_founding(gen, totals, new21, total17)
    ea_prov = np.concatenate([np.full(totals[p], pcode[p]) for p in PROVINCE_LIST])
    ea_found = np.concatenate([founded[p] for p in PROVINCE_LIST])
    ne = len(ea_prov)
    u = gen.random(ne)
    parent = _pick_parent(gen, c.county_by, ea_prov, pa_ids)
    to_city = u < 0.15
    parent[to_city] = _pick_parent(gen, c.city_by, ea_prov[to_city], pa_ids)
    to_park = (u >= 0.15) & (u < 0.25)
    parent[to_park] = _pick_parent(gen, c.park_by, ea_prov[to_park], parent[to_park])
    level = np.full(ne, "grassroots", dtype=object)
    ea = O.add("EA", "enterprise_association", level, ea_prov, parent, ea_found,
               members=np.round(np.exp(gen.normal(np.log(60), 0.9, ne))).astype(int))
    c.ea = ea
    ea_ids = c.ids(ea)
    ea_names = [f"{PROVINCE_LIST[p]}企业科协{j + 1:06d}（合成）" for j, p in enumerate(ea_prov)]
    # group-company associations with subsidiaries' branch associations (seed 003: a group
    # HQ with subsidiaries as branches; China Mobile, C04: 40 branches)
    c04 = consortia[consortia["consortium_id"] == "C04"]
    n_groups = max(1, int(round(60 * s)))
    old = np.flatnonzero(ea_found <= 2012)
    hq = gen.choice(old, size=n_groups, replace=False)
    bj_old = old[ea_prov[old] == pcode["北京"]]
    if len(bj_old) and hq[0] not in bj_old:  # the China Mobile association (C04) is in Beijing
        first = bj_old[np.isin(bj_old, hq, invert=True)][0] if np.isin(bj_old, hq, invert=True).any() else hq[0]
        hq[0] = first
    taken = np.zeros(ne, dtype=bool)
    taken[hq] = True
    for g, h in enumerate(hq):
        k = int(c04["n_members"].iloc[0]) if g == 0 else int(gen.integers(3, 21))
        free = np.flatnonzero(~taken)
        br = gen.choice(free, size=min(k, len(free)), replace=False)
        taken[br] = True
        national = g == 0 or gen.random() < 0.3  # central SOE groups report to CAST directly
        base = ea[0]
        O.cols["level"][base + h] = "national" if national else "provincial"
        O.cols["parent"][base + h] = "CAST" if national else c.pa_id[int(ea_prov[h])]
        for b in br:
            O.cols["level"][base + b] = "provincial" if national else "city"
            O.cols["parent"][base + b] = ea_ids[h]
            ea_names[b] = f"{ea_names[h].replace('（合成）', '')}分会{b:06d}（合成）"
    ea_names[hq[0]] = str(c04["name"].iloc[0])
    for j, i in enumerate(ea):
        O.cols["name"][i] = ea_names[j]
    return ws_given


def _workstations(c: _Net, ws_given: dict) -> None:
    """Enterprise-association workstations: the seed's province counts, apportioned elsewhere."""
    ws_tot = {p: 0 for p in PROVINCE_LIST}
    ws_tot.update(ws_given)
    others = [p for p in PROVINCE_LIST if p not in ws_given]
    ws_tot.update(dict(zip(others, apportion(c.sc("workstation_other_provinces"),
                                             [ECONOMIC_WEIGHTS[p] for p in others]).tolist())))
    ws_prov = np.concatenate([np.full(ws_tot[p], c.pcode[p]) for p in PROVINCE_LIST])
    c.ws = c.O.add("WS", "workstation", "grassroots", ws_prov, _pick_parent(c.gen, c.county_by, ws_prov, c.pa_ids),
                   _years(c.gen, len(ws_prov), 2015, 2021, 0.25),
                   names=[f"{PROVINCE_LIST[p]}企业科协工作站{j + 1:05d}（合成）" for j, p in enumerate(ws_prov)])


def _university_associations(c: _Net) -> None:
    gen = c.gen
    n_ua = c.sc("university_association")
    ua_prov = np.sort(gen.choice(_NAT, size=n_ua, p=c.econ_p))
    c.O.add("UA", "university_association", "city", ua_prov, c.pa_ids[ua_prov], _years(gen, n_ua, 1985, 2021, 0.04),
            names=[f"{PROVINCE_LIST[p]}高校科协{j + 1:04d}（合成）" for j, p in enumerate(ua_prov)],
            members=np.round(np.exp(gen.normal(np.log(300), 0.7, n_ua))).astype(int))


_PARTNER_LEVELS = {
    "university": (("national", 0.1), ("provincial", 0.9)),
    "research_institute": (("national", 0.25), ("provincial", 0.5), ("city", 0.25)),
    "enterprise": (("national", 0.02), ("provincial", 0.08), ("city", 0.3), ("county", 0.6)),
    "hospital": (("provincial", 0.2), ("city", 0.5), ("county", 0.3)),
    "lab": (("national", 0.15), ("provincial", 0.6), ("city", 0.25)),
    "finance": (("provincial", 0.3), ("city", 0.7)),
    "other": (("provincial", 0.2), ("city", 0.4), ("county", 0.4)),
}
_PARTNER_ZH = {"university": "大学", "research_institute": "研究院", "enterprise": "企业", "hospital": "医院",
               "lab": "重点实验室", "finance": "金融机构", "other": "机构"}
_PARTNER_PREFIX = {"university": "UN", "research_institute": "RI", "enterprise": "EN", "hospital": "HO",
                   "lab": "LB", "finance": "FI", "other": "OT"}


def _partners(c: _Net) -> None:
    """Partner organisations outside the association system (universities, firms, hospitals...)."""
    gen = c.gen
    c.partner_idx = {}
    for t, lv in _PARTNER_LEVELS.items():
        k = c.sc(t)
        pp = np.sort(gen.choice(_NAT, size=k, p=c.econ_p))
        levels = np.array([a for a, _ in lv], dtype=object)[
            gen.choice(len(lv), size=k, p=[b for _, b in lv])]
        c.partner_idx[t] = c.O.add(_PARTNER_PREFIX[t], t, levels, pp, None, _years(gen, k, 1900, 2020, 0.03),
                                   names=[f"{PROVINCE_LIST[p]}{_PARTNER_ZH[t]}{j + 1:05d}（合成）"
                                          for j, p in enumerate(pp)])


def _consortia(c: _Net, consortia: pd.DataFrame) -> None:
    """The aero-engine consortium (C01) and synthetic consortia, with the special partner
    organisations of the named compositions (C01 founders, C02 members)."""
    gen, O, pcode = c.gen, c.O, c.pcode
    c01 = consortia[consortia["consortium_id"] == "C01"]
    c.c01 = c01
    n_cons = c.sc("consortium_synthetic")
    c.con = O.add("CN", "consortium", "national", _NAT, "CAST", int(c01["year"].iloc[0]),
                  names=[str(c01["name"].iloc[0])], members=int(c01["total_members"].iloc[0]))
    cons_prov = gen.choice(_NAT + 1, size=n_cons, p=np.append(c.econ_p * 0.7, 0.3))
    c.cons = O.add("CN", "consortium", np.where(cons_prov == _NAT, "national", "provincial"), cons_prov,
                   c.pa_ids[cons_prov], _years(gen, n_cons, 2015, 2021, 0.2),
                   names=[f"{'全国' if p == _NAT else PROVINCE_LIST[p]}企业科技联合体{j + 1:03d}（合成）"
                          for j, p in enumerate(cons_prov)])
    c.c01_other = O.add("OT", "other", "national", _NAT, None, 2016, names=["航空发动机产业联盟（合成）"])
    c.c01_lead = O.add("EN", "enterprise", "national", pcode["北京"], None, 2016,
                       names=["中国航空发动机集团（牵头单位）"])
    c.c01_soe = O.add("EN", "enterprise", "national", np.full(5, pcode["北京"]), None,
                      _years(gen, 5, 1950, 2010, 0.0),
                      names=[f"中央企业{j + 1}（合成，航空发动机联合体发起单位）" for j in range(5)])
    js = pcode["江苏"]
    c02 = c.c02
    c02_rows = c02.set_index("member_type_zh")
    c.c02_new = {}
    for tz, r in c02_rows.iterrows():
        t = r["member_type"]
        if t == "university":
            continue  # three existing Jiangsu universities are members
        k = int(r["n_members"])
        c.c02_new[tz] = O.add(_PARTNER_PREFIX[t], t, "county" if t not in ("lab",) else "city", np.full(k, js),
                              None, _years(gen, k, 1990, 2020, 0.05),
                              names=[f"栖霞{_C02_NAMES.get(t if t != 'other' or '养老' in tz else 'unlisted', tz)}"
                                     f"{j + 1:02d}（合成）" for j in range(k)])
    pu = c.partner_idx["university"]
    js_univ = pu[np.asarray(O.cols["prov"])[pu] == js]
    n_univ = int(c02.loc[c02["member_type"] == "university", "n_members"].iloc[0])
    if len(js_univ) < n_univ:  # tiny scales: add the member universities
        js_univ = np.concatenate([js_univ, O.add("UN", "university", "provincial", np.full(n_univ - len(js_univ), js),
                                                 None, 1980, names=[f"江苏大学{j + 1:02d}（合成）"
                                                                    for j in range(n_univ - len(js_univ))])])
    c.c02_univ = js_univ[:n_univ]


def _organizations_table(c: _Net, label: str) -> pd.DataFrame:
    """The organisations table: ids, types, levels, provinces, parents, six haves."""
    A = c.O.arrays()
    c.n = c.O.n
    c.types = A["type"]
    c.prov = A["prov"]
    c.found = A["founded"].astype(int)
    c.org_ids = A["org_id"]
    c.parents = A["parent"]
    flags = _six_haves(c.gen, c.types)
    orgs = pd.DataFrame({
        "org_id": c.org_ids, "name": A["name"], "type": c.types, "level": A["level"],
        "province": [None if p == _NAT else PROVINCE_LIST[p] for p in c.prov],
        "parent_id": A["parent"], "founded_year": c.found,
    })
    orgs["members"] = pd.array(np.where(A["members"] >= 0, A["members"], 0), dtype="Int64")
    orgs.loc[A["members"] < 0, "members"] = pd.NA
    for j, col_name in enumerate(_SIX_COLS + ("active_last_year",)):
        col = pd.array(flags[:, j] == 1, dtype="boolean")
        col[flags[:, j] < 0] = pd.NA
        orgs[col_name] = col
    orgs["source"] = label
    return orgs


class _Links:
    """Collector of link arrays (source row, target row, kind, year, weight, project)."""

    def __init__(self, c: _Net):
        self.found = c.found
        self.parts: list[tuple] = []

    def add(self, src, tgt, kind, year, weight, project=None):
        found = self.found
        src = np.asarray(src, dtype=int)
        tgt = np.asarray(tgt, dtype=int)
        keep = src != tgt
        yr = np.clip(np.maximum(np.asarray(year, dtype=int) * np.ones(len(src), dtype=int),
                                np.maximum(found[src], found[tgt])), 2015, 2023)
        w = np.asarray(weight, dtype=float) * np.ones(len(src))
        pj = np.asarray(project if project is not None else [None] * len(src), dtype=object)
        self.parts.append((src[keep], tgt[keep], np.full(int(keep.sum()), kind, dtype=object), yr[keep],
                           w[keep], pj[keep]))

    def frame(self, org_ids, label: str) -> pd.DataFrame:
        links = self.parts
        src = np.concatenate([x[0] for x in links])
        tgt = np.concatenate([x[1] for x in links])
        return pd.DataFrame({
            "source_id": org_ids[src], "target_id": org_ids[tgt],
            "kind": np.concatenate([x[2] for x in links]),
            "year": np.concatenate([x[3] for x in links]).astype(int),
            "weight": np.concatenate([x[4] for x in links]).astype(float),
            "project_id": np.concatenate([x[5] for x in links]),
            "source": label})


def _membership_links(c: _Net, lk: _Links, orgs: pd.DataFrame) -> None:
    """Child → parent for every hierarchy edge; members of federations and joint associations (C02 exact)."""
    gen, prov, found = c.gen, c.prov, c.found
    row_of = pd.Series(np.arange(c.n), index=c.org_ids)
    has_parent = np.array([p is not None for p in c.parents])
    ch = np.flatnonzero(has_parent)
    lk.add(ch, row_of[c.parents[ch]].to_numpy(), "membership", 2015, 1.0)
    # federation membership: enterprise associations of federated provinces
    ea = c.ea
    for pc, feds in c.fed_members.items():
        eas = ea[(prov[ea] == pc)]
        share = 0.6 if PROVINCE_LIST[pc] == "湖南" else 0.2
        mem = eas[gen.random(len(eas)) < share]
        target = feds[1:] if len(feds) > 1 else feds
        tg = target[gen.integers(0, len(target), len(mem))]
        lk.add(mem, tg, "membership", gen.integers(2017, 2022, len(mem)), 1.0)
        for f, cnt in zip(*np.unique(tg, return_counts=True)):
            orgs.loc[f, "members"] = int(cnt)
        orgs.loc[feds[0], "members"] = len(target)
    # joint associations' member enterprises (C02: exact composition)
    ent_pool = _Pool(c.partner_idx["enterprise"], prov)
    for j in c.joint[1:]:
        k = int(gen.integers(5, 31))
        mem = ent_pool.sample(gen, np.full(k, prov[j]), np.ones(k, bool))
        mem = np.unique(mem)
        lk.add(mem, np.full(len(mem), j), "membership", found[j], 1.0)
        orgs.loc[j, "members"] = len(mem)
    c02_members = np.concatenate(list(c.c02_new.values()) + [c.c02_univ]).astype(int)
    lk.add(c02_members, np.full(len(c02_members), c.joint[0]), "membership",
           int(c.c02["year"].iloc[0]), 1.0, ["C02"] * len(c02_members))


def _founding_links(c: _Net, lk: _Links, orgs: pd.DataFrame) -> None:
    """Consortium founders (C01 exact, synthetic consortia) and the C03 park's partners."""
    gen, prov, found, pidx = c.gen, c.prov, c.found, c.partner_idx
    c01_ns = gen.choice(c.ns, size=7, replace=False)
    c01_un = gen.choice(pidx["university"], size=9, replace=False)
    c01_ri = gen.choice(pidx["research_institute"], size=2, replace=False)
    founders = np.concatenate([c01_ns, c.c01_other, c01_un, c.c01_soe, c.c01_lead, c01_ri])
    lk.add(founders, np.full(len(founders), c.con[0]), "founding_member", int(c.c01["year"].iloc[0]), 1.0,
           ["C01"] * len(founders))
    cand = np.concatenate([c.ns, pidx["university"], pidx["research_institute"], pidx["enterprise"], c.ea])
    for cn in c.cons:
        k = int(gen.integers(5, 21))
        f = gen.choice(cand, size=k, replace=False)
        lk.add(f, np.full(k, cn), "founding_member", found[cn], 1.0, [c.org_ids[cn]] * k)
        orgs.loc[cn, "members"] = k
    # C03 park partners: universities/institutes (44) and finance (~20) of Guangdong
    c03 = c.c03
    gd = c.pcode["广东"]
    c03_ui = np.concatenate([pidx["university"], pidx["research_institute"]])
    c03_ui = c03_ui[prov[c03_ui] == gd]
    c03_fi = pidx["finance"][prov[pidx["finance"]] == gd]
    k_ui = min(len(c03_ui), int(c03.loc[c03["relation"] == "partner", "n_members"].iloc[0]))
    k_fi = min(len(c03_fi), int(c03.loc[c03["member_type"] == "finance", "n_members"].iloc[0]))
    pk = np.concatenate([gen.choice(c03_ui, k_ui, replace=False), gen.choice(c03_fi, k_fi, replace=False)])
    lk.add(pk, np.full(len(pk), c.park[0]), "other", 2019, 1.0, ["C03"] * len(pk))


def _project_links(c: _Net, lk: _Links) -> dict:
    """Projects of 2–6 partners whose helix composition is drawn from the planted patterns
    (synergy provinces lean to bilateral ones); every pair of partners is linked."""
    gen, types, prov, found = c.gen, c.types, c.prov, c.found
    type_pool = {}
    for t in set(tt for cl in _CLASS_TYPES.values() for tt, _ in cl):
        type_pool[t] = _Pool(np.flatnonzero(types == t), prov)
    n_proj = c.sc("projects")
    lead = gen.choice(_NAT, size=n_proj, p=c.econ_p)
    syn_codes = [c.pcode[p] for p in PLANTED_EFFECTS["triple_helix_synergy_provinces"]]
    is_syn = np.isin(lead, syn_codes)
    pat = np.where(is_syn, gen.choice(8, size=n_proj, p=_P_SYNERGY), gen.choice(8, size=n_proj, p=_P_NORMAL))
    size = gen.choice([2, 3, 4, 5, 6], size=n_proj, p=[0.35, 0.30, 0.18, 0.11, 0.06])
    slot_proj, slot_class = [], []
    for pi in range(8):
        sel = np.flatnonzero(pat == pi)
        present = [HELIX_DIMS3[d] for d in range(3) if _PATTERNS[pi][d]] or ["none"]
        k = np.maximum(size[sel], len(present))
        size[sel] = k
        for cl in present:  # one slot of each present class
            slot_proj.append(sel)
            slot_class.append(np.full(len(sel), cl, dtype=object))
        extra = k - len(present)
        rep = np.repeat(sel, extra)
        slot_proj.append(rep)
        slot_class.append(np.array(present, dtype=object)[gen.integers(0, len(present), len(rep))])
    sp = np.concatenate(slot_proj)
    scl = np.concatenate(slot_class)
    member = np.empty(len(sp), dtype=int)
    for cl, tlist in _CLASS_TYPES.items():
        m = np.flatnonzero(scl == cl)
        tt = np.array([t for t, _ in tlist], dtype=object)[
            gen.choice(len(tlist), size=len(m), p=[w for _, w in tlist])]
        for t in np.unique(tt):
            mm = m[tt == t]
            same = gen.random(len(mm)) < _P_SAME_PROVINCE[cl]
            member[mm] = type_pool[t].sample(gen, lead[sp[mm]], same)
    order = np.lexsort((member, sp))
    sp, member = sp[order], member[order]
    dup = np.zeros(len(sp), bool)
    dup[1:] = (sp[1:] == sp[:-1]) & (member[1:] == member[:-1])
    sp, member = sp[~dup], member[~dup]
    # the lead partner (a member located in the project's province) comes first, so the
    # source_id of a project's first link row is its lead and gives the project's province
    away = prov[member] != lead[sp]
    order = np.lexsort((member, away, sp))
    sp, member = sp[order], member[order]
    pyear = gen.choice(np.arange(2015, 2024), size=n_proj, p=_growth_p(9, 0.08))
    starts = np.searchsorted(sp, np.arange(n_proj))
    ends = np.searchsorted(sp, np.arange(n_proj), side="right")
    maxf = np.zeros(n_proj, dtype=int)
    nonempty = ends > starts
    maxf[nonempty] = np.maximum.reduceat(found[member], starts[nonempty])
    pyear = np.clip(np.maximum(pyear, maxf), 2015, 2023)
    proj_ids = np.array([f"P{j + 1:06d}" for j in range(n_proj)], dtype=object)
    src_l, tgt_l, pj_l = [], [], []
    cnt = ends - starts
    for k in range(2, 7):
        ps = np.flatnonzero(cnt == k)
        if not len(ps):
            continue
        base = starts[ps]
        for a in range(k):
            for b in range(a + 1, k):
                src_l.append(member[base + a])
                tgt_l.append(member[base + b])
                pj_l.append(ps)
    psel = np.concatenate(pj_l)
    lk.add(np.concatenate(src_l), np.concatenate(tgt_l), "project", pyear[psel], 1.0, proj_ids[psel])
    return {"pat": pat, "cnt": cnt, "is_syn": is_syn}


def _other_links(c: _Net, lk: _Links) -> None:
    """Joint labs, technology transfer, expert workstations, training and other ties."""
    gen, types, prov, n = c.gen, c.types, c.prov, c.n

    def pairs(n_, src_types, tgt_types, p_same):
        tgt_all = np.concatenate([np.flatnonzero(types == t) for t in tgt_types])
        tgt = tgt_all[gen.integers(0, len(tgt_all), n_)]
        src_pool = _Pool(np.concatenate([np.flatnonzero(types == t) for t in src_types]), prov)
        src = src_pool.sample(gen, prov[tgt], gen.random(n_) < p_same)
        return src, tgt

    yrs = lambda k: gen.choice(np.arange(2015, 2024), size=k, p=_growth_p(9, 0.06))  # noqa: E731
    k = c.sc("joint_labs")
    a, b = pairs(k, ("university", "research_institute", "lab"), ("enterprise",), 0.7)
    lk.add(a, b, "joint_lab", yrs(k), 1.0)
    k = c.sc("technology_transfers")
    a, b = pairs(k, ("university", "research_institute"), ("enterprise", "enterprise_association"), 0.6)
    lk.add(a, b, "technology_transfer", yrs(k), 1.0 + gen.poisson(1.5, k))
    per = gen.integers(1, 4, len(c.ws))
    wt = np.repeat(c.ws, per)
    ex_pool = _Pool(np.concatenate([c.partner_idx["university"], c.partner_idx["research_institute"], c.ns]), prov)
    ex = ex_pool.sample(gen, prov[wt], gen.random(len(wt)) < 0.7)
    lk.add(ex, wt, "expert_workstation", yrs(len(wt)), 1.0)
    k = c.sc("trainings")
    a, b = pairs(k, ("provincial_association", "city_association", "national_society", "local_society"),
                 ("enterprise_association", "town_association", "workstation", "county_association"), 0.85)
    lk.add(a, b, "training", yrs(k), 1.0 + gen.poisson(1.0, k))
    k = c.sc("other_links")
    a = gen.integers(0, n, k)
    b = gen.integers(0, n, k)
    lk.add(a, b, "other", yrs(k), 1.0)


def _realised(c: _Net, orgs: pd.DataFrame, proj: dict) -> dict:
    """Facts of this draw for the manifest: counts by province, shares, realised helix T."""
    types, prov, found = c.types, c.prov, c.found
    pat, cnt, is_syn = proj["pat"], proj["cnt"], proj["is_syn"]
    ea_mask = types == "enterprise_association"
    return {
        "enterprise_associations_2021": int(ea_mask.sum()),
        "enterprise_associations_2017": int((ea_mask & (found <= 2017)).sum()),
        "enterprise_associations_by_province_2021": {
            PROVINCE_LIST[p]: int(k) for p, k in zip(*np.unique(prov[ea_mask], return_counts=True))},
        "enterprise_associations_new_2021": {
            PROVINCE_LIST[p]: int(k) for p, k in zip(*np.unique(prov[ea_mask & (found == 2021)], return_counts=True))},
        "workstations_by_province_2021": {
            PROVINCE_LIST[p]: int(k) for p, k in zip(*np.unique(prov[types == "workstation"], return_counts=True))},
        "enterprise_association_shares": {
            col: round(float(orgs.loc[ea_mask, col].astype(float).mean()), 4)
            for col in ("has_site", "has_staff", "has_funding", "active_last_year")},
        "n_projects": int((cnt >= 2).sum()),
        "triple_helix_T_bits": {
            f"{name}{suffix}": round(float(_co_information(_PATTERNS, np.bincount(pat[m & (cnt >= 2) & keep],
                                                                                  minlength=len(_PATTERNS)))), 4)
            for name, m in (("synergy_provinces", is_syn), ("other_provinces", ~is_syn),
                            ("all_projects", np.ones(len(pat), bool)))
            for suffix, keep in (("", True), ("_excl_none", pat != 0))},
    }


def _growth_p(k, g):
    w = np.exp(g * np.arange(k))
    return w / w.sum()
