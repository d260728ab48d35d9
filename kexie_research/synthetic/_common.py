"""Shared constants and small helpers of the synthetic generator (not public API)."""

from __future__ import annotations

import numpy as np

from ..regions import PROVINCES

GENERATOR_VERSION = 1
"""Bumped whenever the same seed would give different files."""

DEFAULT_SEED = 20240

#: Provinces in the canonical order of :data:`kexie_research.regions.PROVINCES`.
PROVINCE_LIST: tuple[str, ...] = tuple(PROVINCES)

# Relative size of each provincial (local_association) delegation to a national congress.
# Not an official allocation: larger for populous and S&T-intensive provinces (the
# delegation seats of CAST congresses are allotted by the number of S&T workers and
# associations). Documented in docs/synthetic.md.
LOCAL_DELEGATION_WEIGHTS: dict[str, float] = {
    "北京": 60, "天津": 25, "河北": 32, "山西": 24, "内蒙古": 22, "辽宁": 32, "吉林": 25,
    "黑龙江": 28, "上海": 45, "江苏": 50, "浙江": 40, "安徽": 30, "福建": 28, "江西": 25,
    "山东": 45, "河南": 38, "湖北": 40, "湖南": 35, "广东": 50, "广西": 25, "海南": 14,
    "重庆": 25, "四川": 40, "贵州": 22, "云南": 25, "西藏": 12, "陕西": 32, "甘肃": 22,
    "青海": 14, "宁夏": 14, "新疆": 20, "新疆兵团": 8,
}

# Prefecture-level divisions per province (approximate public counts, ~333 in all); the
# four municipalities have none (their districts are county-level); the XPCC's 14
# divisions (师) stand in for its city level.
PREFECTURES: dict[str, int] = {
    "北京": 0, "天津": 0, "河北": 11, "山西": 11, "内蒙古": 12, "辽宁": 14, "吉林": 9,
    "黑龙江": 13, "上海": 0, "江苏": 13, "浙江": 11, "安徽": 16, "福建": 9, "江西": 11,
    "山东": 16, "河南": 17, "湖北": 17, "湖南": 14, "广东": 21, "广西": 14, "海南": 4,
    "重庆": 0, "四川": 21, "贵州": 9, "云南": 16, "西藏": 7, "陕西": 10, "甘肃": 14,
    "青海": 8, "宁夏": 5, "新疆": 14, "新疆兵团": 14,
}

# County-level divisions per province (approximate public counts); scaled so that the
# national total is ~2,700 county associations (CAST 2018: 2,696; DOMAIN.md § 5).
COUNTIES: dict[str, int] = {
    "北京": 16, "天津": 16, "河北": 167, "山西": 117, "内蒙古": 103, "辽宁": 100, "吉林": 60,
    "黑龙江": 121, "上海": 16, "江苏": 95, "浙江": 90, "安徽": 104, "福建": 84, "江西": 100,
    "山东": 136, "河南": 157, "湖北": 103, "湖南": 122, "广东": 122, "广西": 111, "海南": 25,
    "重庆": 38, "四川": 183, "贵州": 88, "云南": 129, "西藏": 74, "陕西": 107, "甘肃": 86,
    "青海": 44, "宁夏": 22, "新疆": 105, "新疆兵团": 10,
}

# Relative economic / S&T weight (for partner organisations, enterprise associations of
# provinces the seed gives no figure for, project locations). Plausible, not official.
ECONOMIC_WEIGHTS: dict[str, float] = {
    "北京": 9, "天津": 4, "河北": 5, "山西": 3, "内蒙古": 2.5, "辽宁": 4, "吉林": 2,
    "黑龙江": 2.5, "上海": 9, "江苏": 12, "浙江": 9, "安徽": 5, "福建": 5.5, "江西": 3.5,
    "山东": 9, "河南": 6, "湖北": 6, "湖南": 5, "广东": 13, "广西": 3, "海南": 1,
    "重庆": 3.5, "四川": 6, "贵州": 2.2, "云南": 2.5, "西藏": 0.4, "陕西": 4, "甘肃": 1.5,
    "青海": 0.6, "宁夏": 0.7, "新疆": 1.8, "新疆兵团": 0.5,
}


def source_label(seed: int | None) -> str:
    """The ``source`` value of every generated row."""
    s = "unspecified" if seed is None else str(int(seed))
    return f"synthetic:kexie_research.synthetic v{GENERATOR_VERSION} seed={s}"


def as_generator(rng) -> tuple[np.random.Generator, int | None]:
    """Normalise ``rng`` (Generator, int seed or None) to a Generator; also return the int seed."""
    if isinstance(rng, np.random.Generator):
        return rng, None
    if rng is None:
        return np.random.default_rng(), None
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng)), int(rng)
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng), None
    raise TypeError(f"rng must be a numpy.random.Generator, SeedSequence, int or None, not {type(rng).__name__}")


def apportion(total: int, weights, *, minimum: int = 0) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder).

    Each share gets at least ``minimum`` when ``total`` allows it. Deterministic: ties are
    broken by position.

    Examples
    --------
    >>> apportion(10, [1, 1, 1]).tolist()
    [4, 3, 3]
    """
    w = np.asarray(weights, dtype=float)
    if total < 0:
        raise ValueError("total must be >= 0")
    k = len(w)
    if k == 0:
        return np.zeros(0, dtype=int)
    base = np.zeros(k, dtype=int)
    if minimum and total >= minimum * int((w > 0).sum()):
        base = np.where(w > 0, minimum, 0)
    rest = total - int(base.sum())
    if w.sum() <= 0:
        w = np.ones(k)
    q = rest * w / w.sum()
    fl = np.floor(q).astype(int)
    rem = rest - int(fl.sum())
    order = np.lexsort((np.arange(k), -(q - fl)))
    fl[order[:rem]] += 1
    return base + fl


def calibrated_probability(score: np.ndarray, target: float) -> np.ndarray:
    """Logistic probabilities ``expit(a + score)`` with ``a`` chosen so their mean is ``target``."""
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        m = float(np.mean(1 / (1 + np.exp(-(mid + score))))) if len(score) else target
        if m < target:
            lo = mid
        else:
            hi = mid
    return 1 / (1 + np.exp(-((lo + hi) / 2 + score)))


def categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of the row-stochastic matrix ``probs`` (vectorised)."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(probs))
    return (u[:, None] > cum).sum(axis=1)
