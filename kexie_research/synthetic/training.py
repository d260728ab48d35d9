"""Synthetic training history of the 9th congress: sessions, curricula, attendance, survey
responses, duty outputs and costs, calibrated to the paper's Table 1 / Table 2 (seed 000)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..regions import PROVINCES_31
from ..schema import INTERACTIVE_METHODS, QUALITY_ITEMS
from ._common import apportion, source_label
from .effects import PLANTED_EFFECTS

__all__ = ["NINTH_SESSIONS", "SYNTHETIC_SESSIONS", "generate_history", "treated_from_year"]

NINTH_SESSIONS: tuple[str, ...] = ("T1-04", "T1-05", "T1-06", "T1-07", "T1-08", "T1-09")
"""The six sessions after the 9th congress (seed 000 Table 1), kept with their ids."""

N_DISTINCT_NINTH = 584
"""Distinct 9th-congress representatives trained by the six sessions (seed 000 §1, L29)."""

# Who came to each session (seed 000 Table 1 "origin" column). ``n_provinces`` is the
# number of provinces the table states (T1-04 and T1-06 list theirs); ``nonlocal_share``
# is our assumption for T1-04's national societies / army / SASAC / CAST organ share.
_ORIGINS = {
    "T1-04": {"n_provinces": 7, "nonlocal_share": 0.5},
    "T1-05": {"n_provinces": 10},
    "T1-06": {"n_provinces": 12, "new_only": True},
    "T1-07": {"n_provinces": 27, "must": ("上海", "河北")},
    "T1-08": {"n_provinces": 29, "frontline_weight": 6.0},
    "T1-09": {"n_provinces": 25},
}
# share of all repeat attendances (person-times − 584) falling in each later session
_REPEAT_SHARES = {"T1-07": 0.25, "T1-08": 0.30, "T1-09": 0.45}

# Synthetic sessions added around the national ones (all named "（合成）…").
SYNTHETIC_SESSIONS: tuple[dict, ...] = (
    {"training_id": "S9-P01", "level": "provincial", "host_province": "北京", "city": "北京",
     "start_date": "2017-06-13", "days": 3, "modality": "centralized", "share": 0.5, "design": (1, 1, 1)},
    {"training_id": "S9-P02", "level": "provincial", "host_province": "河北", "city": "石家庄",
     "start_date": "2017-09-19", "days": 2, "modality": "centralized", "share": 0.5, "design": (0, 1, 1)},
    {"training_id": "S9-P03", "level": "provincial", "host_province": "青海", "city": "西宁",
     "start_date": "2018-06-20", "days": 3, "modality": "centralized", "share": 0.6, "design": (1, 0, 1)},
    {"training_id": "S9-P04", "level": "provincial", "host_province": "山西", "city": "太原",
     "start_date": "2018-07-10", "days": 2, "modality": "centralized", "share": 0.5, "design": (0, 0, 0)},
    {"training_id": "S9-P05", "level": "provincial", "host_province": "湖北", "city": "武汉",
     "start_date": "2018-11-06", "days": 3, "modality": "centralized", "share": 0.45, "design": (1, 1, 0)},
    {"training_id": "S9-P06", "level": "provincial", "host_province": "辽宁", "city": "沈阳",
     "start_date": "2019-04-16", "days": 7, "modality": "centralized", "share": 0.4, "design": (0, 1, 0)},
    {"training_id": "S9-P07", "level": "provincial", "host_province": "重庆", "city": "重庆",
     "start_date": "2019-09-24", "days": 2, "modality": "study_tour", "share": 0.5, "design": (0, 0, 1)},
    {"training_id": "S9-P08", "level": "provincial", "host_province": "吉林", "city": "长春",
     "start_date": "2019-10-15", "days": 3, "modality": "centralized", "share": 0.45, "design": (1, 1, 1)},
    {"training_id": "S9-N01", "level": "national", "host_province": None, "city": None,
     "start_date": "2019-05-06", "days": 26, "modality": "online", "n": 160, "design": (0, 0, 1)},
    {"training_id": "S9-N02", "level": "national", "host_province": None, "city": None,
     "start_date": "2020-06-15", "days": 5, "modality": "video", "n": 140, "design": (1, 0, 0)},
    {"training_id": "S9-N03", "level": "national", "host_province": "北京", "city": "北京",
     "start_date": "2021-03-15", "days": 3, "modality": "hybrid", "n": 60, "design": (1, 1, 1)},
)

_SYN_NAMES = {
    "provincial": "（合成）{p}科协九大全国代表履职培训班（{y}）",
    "online": "（合成）九大代表网络履职培训课程（{y}）",
    "video": "（合成）九大代表视频履职培训班（{y}）",
    "hybrid": "（合成）九大代表履职能力提升班（{y}，按2020–2023年培训规划设计）",
}

# Modules added to the Table 2 lectures of each national session (synthetic; the paper
# describes lectures, group discussion, experience exchange and field teaching, §2.1).
# (title, category, method, lecturer_type, hours)
_EXTRA_MODULES = {
    "T1-04": [("开班式及动员讲话", "party", "lecture", "leader", 1.5),
              ("分组讨论（四组）：代表如何履职", "exchange", "seminar", "representative", 3.0),
              ("履职经验交流", "duty_skills", "seminar", "representative", 3.0),
              ("结业式", "other", "lecture", "leader", 1.0)],
    "T1-05": [("现场教学：深圳创新企业考察", "field", "field", "other", 3.0),
              ("分组讨论：西部地区代表履职", "exchange", "seminar", "representative", 2.0)],
    "T1-06": [("调研课题交流", "duty_skills", "case", "representative", 3.0),
              ("分组讨论", "exchange", "seminar", "representative", 2.0)],
    "T1-07": [("分组讨论", "exchange", "seminar", "representative", 3.0),
              ("现场教学：上海科技创新中心建设", "field", "field", "other", 3.0),
              ("案例研讨：代表建议的撰写", "duty_skills", "case", "expert", 3.0)],
    "T1-08": [("履职经验交流", "exchange", "seminar", "representative", 3.0),
              ("模拟提案：从调研到建议", "duty_skills", "simulation", "expert", 3.0),
              ("现场教学：南京基层科协", "field", "field", "other", 3.0)],
    "T1-09": [("研讨：中国科协第十次全国代表大会筹备", "exchange", "seminar", "representative", 3.0),
              ("研讨：中国科协章程修改", "mission", "debate", "representative", 3.0),
              ("研讨：“十四五”规划建议", "policy", "seminar", "representative", 3.0),
              ("撰写书面建议", "duty_skills", "experiential", "representative", 3.0),
              ("交流总结", "exchange", "seminar", "leader", 3.0)],
}
_TOPIC_LECTURER = {"theory": "leader", "party": "leader", "mission": "leader", "policy": "expert",
                   "duty_skills": "expert"}

_SYN_TOPICS = {
    "theory": ["习近平新时代中国特色社会主义思想专题", "习近平关于科技创新的重要论述", "新发展理念与高质量发展"],
    "party": ["党史学习教育专题", "全会精神解读", "科技工作者的政治引领"],
    "policy": ["国家科技政策解读", "创新驱动发展战略", "区域创新实践"],
    "mission": ["科协组织的使命与改革", "学会治理与服务", "科普工作新格局"],
    "duty_skills": ["调查研究方法", "建议案撰写", "代表履职实务"],
    "exchange": ["履职经验交流", "跨区域代表交流"],
    "field": ["现场教学"],
}


def treated_from_year(end_date: pd.Timestamp) -> int:
    """First year counted as post-training: the session's year if it ended by 30 June,
    else the next year (documented in PLANTED_EFFECTS["did_post_rule"])."""
    return int(end_date.year) if end_date.month <= 6 else int(end_date.year) + 1


def _session_count(reported: int, qualifier: str, text: str, gen: np.random.Generator) -> int:
    if qualifier == "exact":
        return int(reported)
    if qualifier == "at_least":
        return int(reported) + int(gen.integers(1, max(2, round(0.08 * reported)) + 1))
    if str(text).startswith("近"):  # "nearly": a little below
        return int(reported) - int(gen.integers(0, 4))
    return int(reported) + int(gen.integers(-3, 4))


def _allocate(gen, avail: np.ndarray, m: int) -> np.ndarray:
    """Split m picks over provinces: one each first, rest ∝ availability, capped."""
    out = np.minimum(1, avail).astype(int)
    if out.sum() > m:
        raise ValueError("more provinces than people to pick")
    rest = m - int(out.sum())
    while rest > 0:
        room = avail - out
        if room.sum() <= 0:
            raise ValueError("not enough representatives to fill the session")
        add = gen.multinomial(rest, room / room.sum())
        add = np.minimum(add, room)
        out += add
        rest = m - int(out.sum())
    return out


def _pick_in_provinces(gen, reps, pool: np.ndarray, provinces, m, weights) -> np.ndarray:
    prov = reps["province"].to_numpy()
    idx_by = [np.flatnonzero(pool & (prov == p)) for p in provinces]
    avail = np.array([len(i) for i in idx_by])
    alloc = _allocate(gen, avail, m)
    chosen = []
    for ids, a in zip(idx_by, alloc):
        if a:
            w = weights[ids]
            chosen.append(gen.choice(ids, size=a, replace=False, p=w / w.sum()))
    return np.concatenate(chosen) if chosen else np.zeros(0, dtype=int)


def _curriculum_modules(tid, topics: pd.DataFrame, gen, design=None, days=3, label=""):
    """Modules of one session as tuples (title, category, method, lecturer_type, hours, source)."""
    mods = []
    if tid in NINTH_SESSIONS:
        sub = topics[topics["training_id"] == tid]
        for _lecture, grp in sub.groupby("lecture_no", sort=True):
            cat = grp["category"].iloc[0]
            title = "；".join(grp["topic"])
            lt = "other" if "人大" in title else _TOPIC_LECTURER.get(cat, "expert")
            mods.append((title, cat, "lecture", lt, 3.0,
                         f"{label}; topic from {grp['source'].iloc[0]}"))
        for t in _EXTRA_MODULES[tid]:
            mods.append((*t, f"{label}; module added (synthetic)"))
        return mods
    meet_a, meet_b, meet_c = design
    m = int(np.clip(days * 2, 4, 9)) if days <= 5 else 8
    n_tp = math.ceil(0.75 * m) if meet_a else max(1, math.floor(0.4 * m))
    n_lead = math.ceil(0.3 * m) if meet_b else (1 if m >= 6 else 0)
    n_int = math.ceil(0.4 * m) if meet_c else math.floor(0.2 * m)
    cats = []
    for j in range(m):
        if j < n_tp:
            cats.append("theory" if j % 2 == 0 else "party")
        else:
            cats.append(["duty_skills", "policy", "exchange", "mission", "field"][(j - n_tp) % 5])
    cats = np.array(cats, dtype=object)
    non_field = np.flatnonzero(cats != "field")
    inter = set(gen.choice(non_field, size=min(n_int, len(non_field)), replace=False).tolist())
    lead = set(gen.choice(np.arange(m), size=n_lead, replace=False).tolist())
    for j in range(m):
        cat = cats[j]
        if cat == "field":
            method = "field"
        elif j in inter:
            method = str(gen.choice(np.array(INTERACTIVE_METHODS)))
        else:
            method = "lecture"
        lt = "leader" if j in lead else ("representative" if cat == "exchange" else
                                         str(gen.choice(np.array(["expert", "other"]), p=[0.8, 0.2])))
        pool = _SYN_TOPICS[cat]
        title = f"{pool[int(gen.integers(len(pool)))]}（{j + 1}）"
        mods.append((title, cat, method, lt, 3.0, f"{label}; module synthetic"))
    return mods


def generate_history(reps: pd.DataFrame, table1: pd.DataFrame, topics: pd.DataFrame,
                     gen: np.random.Generator, *, seed: int | None = None) -> dict:
    """Generate trainings, curriculum, attendance, survey, outputs and costs for the 9th
    congress representatives ``reps``.

    Returns a dict of DataFrames keyed by table kind plus ``"_realised"`` (facts for the
    manifest: per-session counts, realised session quality, realised ATT...).
    """
    label = source_label(seed)
    g_att, g_cur, g_sur, g_out, g_cost = (np.random.default_rng(s) for s in
                                          np.random.SeedSequence(gen.integers(2**63)).spawn(5))
    n = len(reps)
    rep_ids = reps["rep_id"].to_numpy()
    prov = reps["province"].to_numpy()
    deleg = reps["delegation_type"].to_numpy()
    front = reps["is_frontline"].to_numpy(bool)
    leave = reps["can_leave_post"].to_numpy(bool)
    local = (deleg == "local_association") & np.isin(prov, PROVINCES_31)

    # ---------------------------------------------------------------- sessions
    t1 = table1.set_index("training_id").loc[list(NINTH_SESSIONS)].reset_index()
    counts = {r.training_id: _session_count(int(r.participants_reported), r.participants_qualifier,
                                            r.participants_text, g_att) for r in t1.itertuples()}
    repeats_total = sum(counts.values()) - N_DISTINCT_NINTH
    if repeats_total <= 0:
        raise AssertionError("session counts must exceed the distinct total")
    rep_split = dict(zip(_REPEAT_SHARES, apportion(repeats_total, list(_REPEAT_SHARES.values())).tolist()))

    trained = np.zeros(n, dtype=bool)
    att_rows: list[tuple[int, str]] = []  # (rep index, training_id)
    for r in t1.itertuples():
        tid = r.training_id
        spec = _ORIGINS[tid]
        c = counts[tid]
        r_s = rep_split.get(tid, 0)
        listed = [p for p in str(r.origin_provinces_listed).split(";") if p and p != "nan"]
        if listed:
            provs = listed
        else:
            must = list(spec.get("must", ()))
            others = [p for p in PROVINCES_31 if p not in must]
            k = spec["n_provinces"] - len(must)
            provs = must + list(g_att.choice(np.array(others, dtype=object), size=k, replace=False))
        w = np.where(leave, 3.0, 1.0) * np.where(front, spec.get("frontline_weight", 1.0), 1.0)
        m_new = c - r_s
        picked = []
        if spec.get("nonlocal_share"):
            n_nl = round(m_new * spec["nonlocal_share"])
            pool_nl = np.flatnonzero(~local & ~trained & (prov != "新疆兵团"))
            picked.append(g_att.choice(pool_nl, size=n_nl, replace=False,
                                       p=w[pool_nl] / w[pool_nl].sum()))
            m_new -= n_nl
        picked.append(_pick_in_provinces(g_att, reps, local & ~trained, provs, m_new, w))
        new = np.concatenate(picked)
        trained[new] = True
        rep_pool = np.flatnonzero(trained & local & np.isin(prov, provs))
        rep_pool = np.setdiff1d(rep_pool, new)
        again = g_att.choice(rep_pool, size=r_s, replace=False) if r_s else np.zeros(0, int)
        for i in np.concatenate([new, again]):
            att_rows.append((int(i), tid))
    n_national = len(att_rows)

    # synthetic sessions
    syn_rows = []
    for s in SYNTHETIC_SESSIONS:
        start = pd.Timestamp(s["start_date"])
        end = start + pd.Timedelta(days=s["days"] - 1)
        if s["level"] == "provincial":
            ids = np.flatnonzero(local & (prov == s["host_province"]))
            k = max(1, round(s["share"] * len(ids)))
            w = np.where(leave[ids], 2.0, 1.0)
            chosen = g_att.choice(ids, size=min(k, len(ids)), replace=False, p=w / w.sum())
            name = _SYN_NAMES["provincial"].format(p=s["host_province"], y=start.year)
            target = f"9th-congress national representatives of {s['host_province']} (synthetic)"
        else:
            ids = np.flatnonzero(prov != "新疆兵团")
            w = np.where(leave[ids], 1.0, 4.0) if s["modality"] in ("online", "video") else \
                np.where(leave[ids], 3.0, 1.0)
            chosen = g_att.choice(ids, size=s["n"], replace=False, p=w / w.sum())
            name = _SYN_NAMES[s["modality"]].format(y=start.year)
            target = "9th-congress national representatives, all delegations (synthetic)"
        for i in chosen:
            att_rows.append((int(i), s["training_id"]))
        syn_rows.append({"training_id": s["training_id"], "name": name, "level": s["level"],
                         "host_province": s["host_province"], "city": s["city"],
                         "start_date": start.strftime("%Y-%m-%d"), "end_date": end.strftime("%Y-%m-%d"),
                         "modality": s["modality"],
                         # seats offered: the next multiple of 10 above the attendance (synthetic)
                         "capacity": int(math.ceil((len(chosen) + 1) / 10) * 10),
                         "participants_reported": len(chosen), "participants_qualifier": "exact",
                         "target": target, "congress": 9, "source": f"{label}; session synthetic"})

    trainings = pd.DataFrame([{
        "training_id": r.training_id, "name": r.name, "level": r.level,
        "host_province": None if pd.isna(r.host_province) else r.host_province,
        "city": None if pd.isna(r.city) else r.city,
        "start_date": r.start_date, "end_date": r.end_date, "modality": r.modality,
        "capacity": None, "participants_reported": int(r.participants_reported),
        "participants_qualifier": r.participants_qualifier, "target": r.target,
        "congress": int(r.congress), "source": f"{label}; session facts from {r.source}"}
        for r in t1.itertuples()] + syn_rows)
    trainings["capacity"] = trainings["capacity"].astype("Int64")  # unknown for the paper's sessions
    trainings["participants_reported"] = trainings["participants_reported"].astype("Int64")
    trainings["congress"] = trainings["congress"].astype("Int64")

    # ---------------------------------------------------------------- curriculum
    cur_rows = []
    design = {s["training_id"]: s["design"] for s in SYNTHETIC_SESSIONS}
    days_of = {s["training_id"]: s["days"] for s in SYNTHETIC_SESSIONS}
    for tid in trainings["training_id"]:
        mods = _curriculum_modules(tid, topics, g_cur, design.get(tid), days_of.get(tid, 3), label)
        for j, (title, cat, method, lt, hrs, src) in enumerate(mods, start=1):
            cur_rows.append({"training_id": tid, "module_id": f"M{j:02d}", "title": title,
                             "category": cat, "method": method, "lecturer_type": lt,
                             "hours": float(hrs), "source": src})
    curriculum = pd.DataFrame(cur_rows)
    total_hours = curriculum.groupby("training_id")["hours"].sum()

    # ---------------------------------------------------------------- attendance
    att = pd.DataFrame(att_rows, columns=["i", "training_id"])
    att["rep_id"] = rep_ids[att["i"].to_numpy()]
    modality = trainings.set_index("training_id")["modality"]
    online = att["training_id"].map(modality).isin(["online", "video"]).to_numpy()
    # the paper's sessions report people trained: all their attendances are completed, so the
    # 584 hold whether or not an analysis counts only completed attendance
    ninth = att["training_id"].isin(NINTH_SESSIONS).to_numpy()
    p_done = np.where(ninth, 1.0, np.where(online, 0.85, 0.93))
    done = g_att.random(len(att)) < p_done
    full = att["training_id"].map(total_hours).to_numpy(float)
    frac = np.where(done, 1.0, g_att.uniform(0.35, 0.9, len(att)))
    att["hours"] = np.round(full * frac * 2) / 2
    att["completed"] = done
    att["role"] = "learner"
    # representatives as lecturers: repeat attendees of later sessions share experience
    prior = att.duplicated("rep_id", keep="first").to_numpy()
    for tid, k in (("T1-08", 2), ("T1-09", 3), ("S9-P05", 1), ("S9-P08", 1), ("S9-N03", 2)):
        cand = np.flatnonzero((att["training_id"].to_numpy() == tid) & prior)
        if len(cand) == 0:
            cand = np.flatnonzero(att["training_id"].to_numpy() == tid)
        sel = g_att.choice(cand, size=min(k, len(cand)), replace=False)
        att.loc[att.index[sel], "role"] = "lecturer"
        att.loc[att.index[sel], "completed"] = True
        att.loc[att.index[sel], "hours"] = 3.0
    att["source"] = label
    attendance = att[["rep_id", "training_id", "hours", "completed", "role", "source"]].reset_index(drop=True)

    # ---------------------------------------------------------------- survey
    survey, quality = _survey(g_sur, trainings, att, label)

    # ---------------------------------------------------------------- outputs
    outputs, realised_att = _outputs(g_out, reps, trainings, att, label)

    # ---------------------------------------------------------------- costs
    costs = _costs(g_cost, trainings, curriculum, att, label)

    # realised statistics that need the analysis layer (the survey's Cronbach alpha) are
    # added by kexie_research.calibration: the generator does not import the analyses
    lrn = survey[survey["rater_role"] == "learner"]
    gains = (lrn["post_score"] - lrn["pre_score"]).dropna()
    realised = {
        "pre_post_gain_mean": round(float(gains.mean()), 4),
        "pre_post_gain_sd": round(float(gains.std()), 4),
        "n_learners_tested": int(len(gains)),
        "session_counts": att[att["training_id"].isin(NINTH_SESSIONS)].groupby("training_id").size().to_dict(),
        "ninth_person_times": int(n_national),
        "ninth_distinct": int(att.loc[att["training_id"].isin(NINTH_SESSIONS), "rep_id"].nunique()),
        "session_quality": quality,
        "did_att_realised": realised_att,
    }
    return {"trainings": trainings, "curriculum": curriculum, "attendance": attendance,
            "survey": survey, "outputs": outputs, "costs": costs, "_realised": realised}


def _survey(gen, trainings, att, label):
    pe = PLANTED_EFFECTS
    load = np.array([pe["item_loadings"][k] for k in QUALITY_ITEMS])
    icpt = np.array([pe["item_intercepts"][k] for k in QUALITY_ITEMS])
    q = gen.normal(0.0, pe["session_quality_sd"], len(trainings))
    quality = dict(zip(trainings["training_id"], np.round(q, 4).tolist()))
    rows = []
    for tid, qs in quality.items():
        learners = att[(att["training_id"] == tid) & (att["role"] == "learner")]
        online = trainings.set_index("training_id").at[tid, "modality"] in ("online", "video")
        resp = learners[gen.random(len(learners)) < (0.7 if online else 0.88)]
        roles = (["learner"] * len(resp) + ["teacher"] * int(gen.integers(3, 7))
                 + ["manager"] * int(gen.integers(2, 4)) + ["office"] * int(gen.integers(1, 3)))
        reps_ = list(resp["rep_id"]) + [None] * (len(roles) - len(resp))
        for role, rid in zip(roles, reps_):
            rows.append((tid, role, rid, qs))
    m = len(rows)
    tids, roles, rids, qs = map(np.array, zip(*rows))
    bias = np.array([pe["rater_role_bias"][r] for r in roles])
    f = qs.astype(float) + gen.normal(0, pe["person_factor_sd"], m)
    y = icpt[None, :] + bias[:, None] + load[None, :] * f[:, None] + gen.normal(0, pe["item_error_sd"], (m, 8))
    y = np.clip(np.rint(y), 1, 5)
    items = pd.DataFrame(y.astype(int), columns=list(QUALITY_ITEMS)).astype("Int64")
    is_l = roles == "learner"
    miss = is_l[:, None] & (gen.random((m, 8)) < pe["item_missing_rate"])
    for j, k in enumerate(QUALITY_ITEMS):
        items.loc[miss[:, j], k] = pd.NA
    tested = is_l & (gen.random(m) >= pe["pre_post_missing_rate"])
    pre = np.clip(gen.normal(pe["pre_score_mean"], pe["pre_score_sd"], m), 0, 100)
    gain = gen.normal(pe["pre_post_gain_mean"], pe["pre_post_gain_sd"], m)
    post = np.clip(pre + gain, 0, 100)
    survey = pd.DataFrame({"response_id": [f"Q{i:06d}" for i in range(1, m + 1)],
                           "training_id": tids, "rater_role": roles,
                           "rep_id": [r if r is not None else None for r in rids]})
    survey = pd.concat([survey, items], axis=1)
    survey["pre_score"] = np.where(tested, np.round(pre, 1), np.nan)
    survey["post_score"] = np.where(tested, np.round(post, 1), np.nan)
    survey["source"] = label
    return survey, quality


def _outputs(gen, reps, trainings, att, label):
    pe = PLANTED_EFFECTS
    years = np.arange(pe["outputs_years"][0], pe["outputs_years"][1] + 1)
    n, T = len(reps), len(years)
    end = trainings.set_index("training_id")["end_date"].map(pd.Timestamp)
    learn = att[att["role"] == "learner"].copy()
    learn["from_year"] = learn["training_id"].map(end).map(treated_from_year)
    first = learn.groupby("rep_id")["from_year"].min()
    from_year = reps["rep_id"].map(first).to_numpy(dtype=float)  # NaN = never trained
    provs = reps["province"].to_numpy()
    uprov, pidx = np.unique(provs.astype(str), return_inverse=True)
    u_prov = gen.normal(0, pe["province_sd_log"], len(uprov))[pidx]
    v_rep = gen.normal(0, pe["rep_sd_log"], n)
    reelected = reps["is_reelected"].to_numpy(bool)
    post = (~np.isnan(from_year))[:, None] & (years[None, :] >= np.nan_to_num(from_year, nan=9999)[:, None])
    out = {}
    att_real = {}
    # attributes shift the (log) baseline: levels differ between who gets trained and who
    # does not (selection on levels), which fixed effects / DiD remove and naive
    # trained-vs-untrained comparisons do not
    xb = sum(coef * reps[col].to_numpy(bool) for col, coef in pe["baseline_log_effects"].items())
    shift = np.exp(xb) / np.exp(xb).mean()
    for k, spec in pe["outputs"].items():
        base = spec["baseline_mean"] * shift * np.exp(u_prov + v_rep - (pe["province_sd_log"] ** 2 + pe["rep_sd_log"] ** 2) / 2)
        trend = np.array([spec["year_trend"][str(y)] for y in years])
        tau = spec["effect_new"] + spec["effect_reelected_extra"] * reelected
        lam = base[:, None] + trend[None, :] + tau[:, None] * post
        mix = gen.gamma(pe["nb_shape"], 1 / pe["nb_shape"], (n, T))
        out[k] = gen.poisson(np.maximum(lam, 0.0) * mix)
        att_real[k] = round(float((tau[:, None] * post).sum() / max(post.sum(), 1)), 4)
    df = pd.DataFrame({"rep_id": np.repeat(reps["rep_id"].to_numpy(), T), "year": np.tile(years, n),
                       **{k: v.ravel() for k, v in out.items()}, "source": label})
    return df, att_real


# cost model (yuan), documented in docs/synthetic.md
_COST = {"venue_per_day": 12000.0, "lodging_per_night": 450.0, "travel_per_person": 1600.0,
         "travel_west_factor": 1.4, "lecturer_per_module": 3000.0, "materials_per_person": 180.0,
         "platform_online": 60000.0, "platform_per_person": 120.0, "staff_per_day": 2400.0}


def _costs(gen, trainings, curriculum, att, label):
    from ..regions import province_region
    rows = []
    n_by = att.groupby("training_id").size()
    for t in trainings.itertuples():
        n = int(n_by.get(t.training_id, 0))
        days = (pd.Timestamp(t.end_date) - pd.Timestamp(t.start_date)).days + 1
        mods = curriculum[curriculum["training_id"] == t.training_id]
        paid = int((mods["lecturer_type"].isin(["expert", "other"])).sum())
        remote = t.modality in ("online", "video")
        items = {}
        if not remote:
            west = t.host_province is not None and province_region(t.host_province) == "west"
            items["venue"] = _COST["venue_per_day"] * days
            items["lodging"] = _COST["lodging_per_night"] * n * max(days, 1)
            items["travel"] = _COST["travel_per_person"] * n * (_COST["travel_west_factor"] if west else 1.0) * \
                (0.4 if t.level == "provincial" else 1.0)
        items["lecturer"] = _COST["lecturer_per_module"] * paid
        items["materials"] = _COST["materials_per_person"] * n
        if remote or t.modality == "hybrid":
            items["platform"] = _COST["platform_online"] + _COST["platform_per_person"] * n
        items["staff"] = _COST["staff_per_day"] * (days if not remote else min(days, 5))
        for cat, amt in items.items():
            amt = amt * float(np.exp(gen.normal(0, 0.12)))
            rows.append({"training_id": t.training_id, "category": cat,
                         "amount": round(amt, 2), "source": label})
    return pd.DataFrame(rows)
