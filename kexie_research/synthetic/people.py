"""Synthetic people: congress representatives, and cadres with their training-hours logs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..regions import province_region
from ..schema import CADRE_ROLES, SECTORS
from ._common import LOCAL_DELEGATION_WEIGHTS, apportion, as_generator, calibrated_probability, \
    categorical, source_label

__all__ = ["generate_representatives", "generate_cadres", "DELEGATION_SHARES", "TARGET_SHARES"]

#: Share of each delegation type in a national congress (documented in docs/synthetic.md).
#: National societies are the largest non-provincial delegation (¼–⅓ of seats: the first
#: 9th-congress class alone drew on 55 national societies, seed 000 Table 1); the military,
#: central enterprises (SASAC system) and central agencies send small delegations.
DELEGATION_SHARES: dict[str, float] = {
    "local_association": 0.62,
    "national_society": 0.28,
    "military": 0.03,
    "central_enterprise": 0.04,
    "central_agency": 0.03,
}
_DELEGATION_PROVINCE = {"national_society": "全国学会", "military": "解放军",
                        "central_enterprise": "中央企业", "central_agency": "中央和国家机关"}

#: Target shares of the binary attributes (expected values; realised shares vary by sampling).
TARGET_SHARES: dict[str, float] = {
    "is_academician": 0.065,
    "is_frontline": 0.55,
    "is_reelected": 0.30,
    "can_leave_post": 0.70,
    "female": 0.27,
}

# Sector mix by delegation type (columns in SECTORS order:
# university, research_institute, enterprise, government, school, hospital, agriculture, other)
_SECTOR_MIX = {
    "local_association": [0.22, 0.14, 0.25, 0.09, 0.06, 0.11, 0.09, 0.04],
    "national_society": [0.40, 0.28, 0.10, 0.03, 0.01, 0.13, 0.02, 0.03],
    "military": [0.30, 0.45, 0.05, 0.05, 0.00, 0.15, 0.00, 0.00],
    "central_enterprise": [0.00, 0.12, 0.86, 0.00, 0.00, 0.00, 0.00, 0.02],
    "central_agency": [0.05, 0.25, 0.00, 0.65, 0.00, 0.00, 0.00, 0.05],
}
# log-odds shifts by sector for academician / frontline / can_leave_post
_SECTOR_ACAD = dict(zip(SECTORS, [1.2, 1.5, -0.3, -1.5, -3.0, 0.3, -0.5, -1.0]))
_SECTOR_FRONT = dict(zip(SECTORS, [0.0, 0.1, 0.2, -2.2, 0.9, 0.5, 1.0, 0.2]))
_SECTOR_LEAVE = dict(zip(SECTORS, [0.2, 0.2, -0.3, -0.2, 0.3, -0.5, 0.0, 0.0]))


def congress_year(congress: int) -> int:
    """Year a congress met: 8th 2011, 9th 2016, 10th 2021 (five-year terms)."""
    return 2016 + 5 * (int(congress) - 9)


def generate_representatives(n: int = 1600, *, rng: np.random.Generator | int | None = None,
                             congress: int = 10) -> pd.DataFrame:
    """Generate ``n`` synthetic congress representatives.

    Delegation sizes are apportioned exactly (largest remainder) to
    :data:`DELEGATION_SHARES`, and local delegations to the provinces by
    ``LOCAL_DELEGATION_WEIGHTS`` (31 provinces + 新疆兵团); attributes are drawn with
    logistic models whose intercepts are calibrated to :data:`TARGET_SHARES`:
    academicians are older and in universities / research institutes, government staff
    are rarely front-line, re-election rises with age, leaders and academicians can
    less often leave their posts. Vectorised: 100,000 rows take well under a second.

    Parameters
    ----------
    n : int
        Number of representatives (≥ 1). The default, 1,600, is near the ~1,590 delegates
        of the 8th congress (DOMAIN.md § 5); a documented parameter choice.
    rng : numpy.random.Generator or int or None
        Random generator or seed.
    congress : int
        Congress number (9 = 2016, 10 = 2021); sets birth years and the ``congress`` column.

    Returns
    -------
    DataFrame
        Rows that validate as the ``representatives`` table (``rep_id`` like
        ``R10-000001``; a ``source`` column labels them synthetic).

    Examples
    --------
    >>> reps = generate_representatives(200, rng=1, congress=9)
    >>> len(reps), reps["rep_id"].is_unique, sorted(reps["delegation_type"].unique())[:2]
    (200, True, ['central_agency', 'central_enterprise'])
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, not {n!r}")
    gen, seed = as_generator(rng)
    n = int(n)
    dtypes = list(DELEGATION_SHARES)
    d_counts = apportion(n, list(DELEGATION_SHARES.values()))
    provs = list(LOCAL_DELEGATION_WEIGHTS)
    p_counts = apportion(int(d_counts[0]), list(LOCAL_DELEGATION_WEIGHTS.values()))
    province = np.concatenate([np.repeat(np.array(provs, dtype=object), p_counts)] +
                              [np.full(c, _DELEGATION_PROVINCE[d], dtype=object)
                               for d, c in zip(dtypes[1:], d_counts[1:])])
    delegation = np.repeat(np.array(dtypes, dtype=object), d_counts)
    perm = gen.permutation(n)
    province, delegation = province[perm], delegation[perm]
    d_idx = np.searchsorted(np.array(sorted(dtypes)), delegation.astype(str))
    mix = np.array([_SECTOR_MIX[d] for d in sorted(dtypes)])
    sector = np.array(SECTORS, dtype=object)[categorical(gen, mix[d_idx])]

    year0 = congress_year(congress)
    age = np.clip(gen.normal(51.0, 7.5, n), 30, 80)
    acad_score = (np.vectorize(_SECTOR_ACAD.get)(sector) + 0.09 * (age - 51)
                  + np.where(delegation == "national_society", 1.0, 0.0))
    is_acad = gen.random(n) < calibrated_probability(acad_score, TARGET_SHARES["is_academician"])
    age = np.where(is_acad, np.clip(age + gen.normal(8, 3, n), 45, 88), age)
    birth_year = (year0 - np.round(age)).astype(int)
    front_score = (np.vectorize(_SECTOR_FRONT.get)(sector) - 1.0 * is_acad - 0.04 * (age - 51)
                   + gen.normal(0, 0.5, n))
    is_front = gen.random(n) < calibrated_probability(front_score, TARGET_SHARES["is_frontline"])
    re_score = 0.06 * (age - 51) + 0.8 * is_acad + 0.4 * (~is_front)
    is_re = gen.random(n) < calibrated_probability(re_score, TARGET_SHARES["is_reelected"])
    leave_score = (np.vectorize(_SECTOR_LEAVE.get)(sector) - 1.0 * is_acad - 0.9 * (~is_front)
                   + 0.02 * (age - 51))
    can_leave = gen.random(n) < calibrated_probability(leave_score, TARGET_SHARES["can_leave_post"])
    fem_score = -1.2 * is_acad + np.where(np.isin(sector, ["school", "hospital"]), 0.6, 0.0)
    female = gen.random(n) < calibrated_probability(fem_score, TARGET_SHARES["female"])

    regions = {p: province_region(p) for p in set(province)}
    width = max(6, len(str(n)))
    return pd.DataFrame({
        "rep_id": [f"R{int(congress):02d}-{i:0{width}d}" for i in range(1, n + 1)],
        "congress": np.full(n, int(congress)),
        "province": province,
        "delegation_type": delegation,
        "sector": sector,
        "region": [regions[p] for p in province],
        "is_academician": is_acad,
        "is_frontline": is_front,
        "is_reelected": is_re,
        "gender": np.where(female, "female", "male"),
        "birth_year": birth_year,
        "can_leave_post": can_leave,
        "source": source_label(seed),
    })


# ---------------------------------------------------------------- cadres and hours_log
#: Rank mix of the cadre population (CAST organ and affiliated units).
#: Target share of each rank group with an off-the-job record per year (indicator 3's
#: thresholds are 30 %, 25 %, 20 %); the first and last years fall short. Listed for
#: 2020–2023; other periods cycle through them.
OFF_JOB_RATES = {("bureau", "division"): (0.28, 0.36, 0.33, 0.27),
                 ("section", "new_hire"): (0.22, 0.28, 0.26, 0.23),
                 ("professional",): (0.17, 0.24, 0.22, 0.18)}
RANK_SHARES = {"bureau": 0.07, "division": 0.25, "section": 0.30, "professional": 0.28,
               "new_hire": 0.10}


def generate_cadres(n: int = 400, *, rng: np.random.Generator | int | None = None,
                    years: tuple[int, int] = (2020, 2023)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate cadres and their yearly training-hours log with partial plan compliance.

    Each cadre has a latent diligence; hours are drawn around each norm of the 2020–2023
    plan (datasets/real/plan_indicators.toml) so that every evaluable rule has both
    passes and failures: online hours around 50 h/yr (rule 2c), total hours around
    90 h/yr for section level and below (2b), 4-year totals around 450 h for division and
    above (2a), off-the-job training rates around 20–35 % (3a–3c), initial / appointment /
    induction training around 12 / 30 / 5 days (4a–4c), party study around 32 / 56 h
    (5a–5d), system training for role holders (6a).

    Returns
    -------
    (cadres, hours_log) : tuple of DataFrame
        Valid ``cadres`` and ``hours_log`` tables.

    Examples
    --------
    >>> cadres, log = generate_cadres(50, rng=3)
    >>> len(cadres), set(log["year"]) == {2020, 2021, 2022, 2023}
    (50, True)
    """
    gen, seed = as_generator(rng)
    y0, y1 = years
    ranks = list(RANK_SHARES)
    counts = apportion(n, list(RANK_SHARES.values()))
    rank = np.repeat(np.array(ranks, dtype=object), counts)[gen.permutation(n)]
    p_party = np.select([np.isin(rank, ["bureau", "division"]), rank == "section",
                         rank == "new_hire"], [0.97, 0.82, 0.60], 0.65)
    party = gen.random(n) < p_party
    p_sec = np.select([rank == "division", rank == "bureau", rank == "section"], [0.15, 0.12, 0.10], 0.05)
    branch_sec = party & (gen.random(n) < p_sec)
    # hire dates: new hires in the plan period, others years before
    start = np.datetime64(f"{y0}-01-01")
    hire_days = np.where(rank == "new_hire",
                         gen.integers(0, (y1 - y0 + 1) * 365 - 60, n),
                         -gen.integers(365, 30 * 365, n))
    hired_on = start + hire_days.astype("timedelta64[D]")
    leader = np.isin(rank, ["bureau", "division"])
    appointed = leader & (gen.random(n) < 0.35)
    appointed_on = np.where(appointed, start + gen.integers(0, (y1 - y0 + 1) * 365 - 60, n)
                            .astype("timedelta64[D]"), np.datetime64("NaT"))
    unit_type = np.where(gen.random(n) < 0.55, "organ", "affiliate")
    role = np.full(n, "none", dtype=object)
    has_role = leader & (gen.random(n) < 0.45)
    role[has_role] = gen.choice(np.array(CADRE_ROLES[1:], dtype=object), int(has_role.sum()))
    cadre_id = np.array([f"C{i:04d}" for i in range(1, n + 1)], dtype=object)
    diligence = gen.normal(0, 1, n)

    rows = []  # (cadre_idx, year, hours, days, modality, off_job, category)
    hire_year = hired_on.astype("datetime64[Y]").astype(int) + 1970
    app_year = np.where(appointed, appointed_on.astype("datetime64[Y]").astype("int64") + 1970, 0)
    for y in range(y0, y1 + 1):
        active = hire_year <= y
        for i in np.flatnonzero(active):
            d = diligence[i]
            r = rank[i]
            # online training (2c: >= 50 h); party members' online study feeds 5d
            online = max(0.0, gen.normal(52 + 8 * d, 10))
            if online > 0:
                rows.append((i, y, round(online, 1), 0.0, "online", False, "general"))
            if party[i]:
                po = max(0.0, gen.normal(38 + 4 * d, 6))
                rows.append((i, y, round(po, 1), 0.0, "online", False, "party_study"))
                need = 56 if branch_sec[i] else 32
                ps = max(0.0, gen.normal(need + 5 + 6 * d, 7))
                # centralised party training (5c): branch secretaries usually have one off-the-job record
                off = bool(gen.random() < (0.85 if branch_sec[i] else 0.03))
                rows.append((i, y, round(ps, 1), round(ps / 8, 1), "offline", off, "party_study"))
            # offline general (on-the-job) training; off-the-job records are added below
            if r in ("bureau", "division"):
                hrs = max(0.0, gen.normal(25 + 18 * d, 15))
            else:
                hrs = max(0.0, gen.normal(30 + 12 * d, 12))
            if hrs > 0:
                rows.append((i, y, round(hrs, 1), round(hrs / 8, 1), "offline", False, "general"))
            if r == "new_hire" and hire_year[i] in (y, y - 1) and (y == hire_year[i] or gen.random() < 0.3):
                cat = "initial" if unit_type[i] == "organ" else "induction"
                need = 12 if cat == "initial" else 5
                days = max(0.5, round(gen.normal(need + 1 + 2 * d, 2.5), 1))
                rows.append((i, y, round(days * 8, 1), days, "offline", True, cat))
            if appointed[i] and app_year[i] == y:
                days = max(1.0, round(gen.normal(31 + 4 * d, 5), 1))
                rows.append((i, y, round(days * 8, 1), days, "offline", True, "appointment"))
            if role[i] != "none" and gen.random() < 0.28:
                rows.append((i, y, 40.0, 5.0, "offline", True, "system_training"))
    # off-the-job (脱产) training: top up each rank group's yearly rate to OFF_JOB_RATES
    # (indicator 3), so that some group-years pass and some fail
    have = {(i, y) for (i, y, _h, _d, _m, o, _c) in rows if o}
    for group, rates in OFF_JOB_RATES.items():
        members = np.isin(rank, group)
        for y in range(y0, y1 + 1):
            rate = rates[(y - y0) % len(rates)]
            elig = np.flatnonzero(members & (hire_year <= y))
            k = int(round(rate * len(elig))) - sum((i, y) in have for i in elig)
            free = np.array([i for i in elig if (i, y) not in have], dtype=int)
            if k <= 0 or len(free) == 0:
                continue
            w = np.exp(0.5 * diligence[free])
            for i in gen.choice(free, size=min(k, len(free)), replace=False, p=w / w.sum()):
                h = round(float(max(8.0, gen.normal(40, 10))), 1)
                rows.append((int(i), y, h, round(h / 8, 1), "offline", True, "general"))
    rows.sort(key=lambda t: (t[0], t[1]))
    idx, yr, hrs, days, mod, off, cat = map(np.array, zip(*rows))
    log = pd.DataFrame({"cadre_id": cadre_id[idx], "year": yr.astype(int), "hours": hrs.astype(float),
                        "days": days.astype(float), "modality": mod, "off_job": off.astype(bool),
                        "category": cat, "source": source_label(seed)})
    cadres = pd.DataFrame({
        "cadre_id": cadre_id, "rank": rank, "is_party_member": party,
        "is_branch_secretary": branch_sec,
        "hired_on": pd.to_datetime(hired_on).strftime("%Y-%m-%d"),
        "appointed_on": pd.Series(pd.to_datetime(appointed_on)).dt.strftime("%Y-%m-%d").fillna(""),
        "role": role, "unit_type": unit_type, "source": source_label(seed)})
    return cadres, log
