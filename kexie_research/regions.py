"""Provinces, delegations and regions: known once, for everyone.

Canonical province names are the Chinese short names used in CAST documents
(``"北京"``, ``"内蒙古"``, ``"新疆兵团"``). :func:`normalize_province` accepts full
official names (``"广西壮族自治区"``), English names (``"Guangxi"``), pinyin with or
without spaces and a few common aliases, and returns the canonical name.

Regions follow the National Bureau of Statistics' four-way division (east, central,
west, northeast; NBS 2011). Non-provincial delegations (national societies, the military,
central enterprises, central agencies) belong to the pseudo-region ``"national"``.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "PROVINCES",
    "PROVINCES_31",
    "GB2260_PREFIX",
    "DELEGATIONS",
    "REGIONS",
    "REGION_NAMES",
    "DEVELOPMENT_TIER",
    "normalize_province",
    "province_region",
    "province_name",
    "is_province",
]

Region = Literal["east", "central", "west", "northeast", "national"]

# canonical zh -> (English name, region, full official zh name)
PROVINCES: dict[str, tuple[str, str, str]] = {
    "北京": ("Beijing", "east", "北京市"),
    "天津": ("Tianjin", "east", "天津市"),
    "河北": ("Hebei", "east", "河北省"),
    "山西": ("Shanxi", "central", "山西省"),
    "内蒙古": ("Inner Mongolia", "west", "内蒙古自治区"),
    "辽宁": ("Liaoning", "northeast", "辽宁省"),
    "吉林": ("Jilin", "northeast", "吉林省"),
    "黑龙江": ("Heilongjiang", "northeast", "黑龙江省"),
    "上海": ("Shanghai", "east", "上海市"),
    "江苏": ("Jiangsu", "east", "江苏省"),
    "浙江": ("Zhejiang", "east", "浙江省"),
    "安徽": ("Anhui", "central", "安徽省"),
    "福建": ("Fujian", "east", "福建省"),
    "江西": ("Jiangxi", "central", "江西省"),
    "山东": ("Shandong", "east", "山东省"),
    "河南": ("Henan", "central", "河南省"),
    "湖北": ("Hubei", "central", "湖北省"),
    "湖南": ("Hunan", "central", "湖南省"),
    "广东": ("Guangdong", "east", "广东省"),
    "广西": ("Guangxi", "west", "广西壮族自治区"),
    "海南": ("Hainan", "east", "海南省"),
    "重庆": ("Chongqing", "west", "重庆市"),
    "四川": ("Sichuan", "west", "四川省"),
    "贵州": ("Guizhou", "west", "贵州省"),
    "云南": ("Yunnan", "west", "云南省"),
    "西藏": ("Tibet", "west", "西藏自治区"),
    "陕西": ("Shaanxi", "west", "陕西省"),
    "甘肃": ("Gansu", "west", "甘肃省"),
    "青海": ("Qinghai", "west", "青海省"),
    "宁夏": ("Ningxia", "west", "宁夏回族自治区"),
    "新疆": ("Xinjiang", "west", "新疆维吾尔自治区"),
    "新疆兵团": ("Xinjiang Production and Construction Corps", "west", "新疆生产建设兵团"),
}

#: The 31 provincial-level divisions (省、自治区、直辖市), without the XPCC (新疆兵团).
PROVINCES_31: tuple[str, ...] = tuple(p for p in PROVINCES if p != "新疆兵团")

#: First two digits of each province's GB/T 2260 administrative-division code (广东 440000 ->
#: "44"), as boundary files key their features.
GB2260_PREFIX: dict[str, str] = dict(zip(
    ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
     "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"),
    PROVINCES_31))

# Non-provincial delegations to a CAST national congress: canonical zh -> English
DELEGATIONS: dict[str, str] = {
    "全国学会": "National societies",
    "解放军": "PLA and armed police",
    "中央企业": "Central enterprises",
    "中央和国家机关": "Central government agencies",
}

REGIONS: tuple[str, ...] = ("east", "central", "west", "northeast", "national")
REGION_NAMES: dict[str, dict[str, str]] = {
    "east": {"zh": "东部", "en": "East"},
    "central": {"zh": "中部", "en": "Central"},
    "west": {"zh": "西部", "en": "West"},
    "northeast": {"zh": "东北", "en": "Northeast"},
    "national": {"zh": "全国性代表团", "en": "National delegations"},
}

# The paper (seed 000 §2.1) contrasts under-developed western regions with developed
# eastern ones; central and northeast sit between. Used by cross-region exchange indices.
DEVELOPMENT_TIER: dict[str, str] = {
    "east": "developed",
    "central": "intermediate",
    "northeast": "intermediate",
    "west": "underdeveloped",
    "national": "national",
}


def _key(s: str) -> str:
    return re.sub(r"[\s\-_'’.·]", "", s).lower()


_ALIASES: dict[str, str] = {}
for _zh, (_en, _region, _full) in PROVINCES.items():
    for _a in (_zh, _en, _full):
        _ALIASES[_key(_a)] = _zh
for _a, _zh in {
    "内蒙": "内蒙古", "neimenggu": "内蒙古", "nei mongol": "内蒙古", "innermongolia": "内蒙古",
    "xizang": "西藏", "新疆生产建设兵团": "新疆兵团", "兵团": "新疆兵团", "xpcc": "新疆兵团",
    "bingtuan": "新疆兵团", "shaanxi": "陕西", "shanxi": "山西", "广西壮族": "广西",
    "宁夏回族": "宁夏", "新疆维吾尔": "新疆", "peking": "北京",
}.items():
    _ALIASES[_key(_a)] = _zh
for _zh, _en in DELEGATIONS.items():
    _ALIASES[_key(_zh)] = _zh
    _ALIASES[_key(_en)] = _zh
for _a, _zh in {
    "national_society": "全国学会", "nationalsocieties": "全国学会", "national society": "全国学会",
    "military": "解放军", "pla": "解放军", "解放军和武警": "解放军", "军队": "解放军",
    "central_enterprise": "中央企业", "央企": "中央企业", "centralenterprise": "中央企业",
    "central_agency": "中央和国家机关", "中央国家机关": "中央和国家机关",
}.items():
    _ALIASES[_key(_a)] = _zh


def normalize_province(name: str) -> str | None:
    """Return the canonical name of a province or delegation, or ``None`` if unknown.

    Examples
    --------
    >>> normalize_province("广西壮族自治区"), normalize_province("Guangxi"), normalize_province(" 上海市 ")
    ('广西', '广西', '上海')
    >>> normalize_province("Atlantis") is None
    True
    """
    if name is None:
        return None
    k = _key(str(name))
    if not k:
        return None
    if k in _ALIASES:
        return _ALIASES[k]
    # trailing administrative suffixes not in the official full name list
    for suffix in ("省", "市", "自治区", "特别行政区"):
        if k.endswith(suffix) and _key(k[: -len(suffix)]) in _ALIASES:
            return _ALIASES[_key(k[: -len(suffix)])]
    return None


def is_province(name: str) -> bool:
    """True for the 31 provinces and the XPCC, False for delegations and unknown names."""
    return normalize_province(name) in PROVINCES


def province_region(name: str) -> str | None:
    """Region (east/central/west/northeast/national) of a province or delegation.

    Examples
    --------
    >>> province_region("甘肃"), province_region("Liaoning"), province_region("全国学会")
    ('west', 'northeast', 'national')
    """
    zh = normalize_province(name)
    if zh is None:
        return None
    if zh in PROVINCES:
        return PROVINCES[zh][1]
    return "national"


def province_name(name: str, lang: str = "zh") -> str:
    """Display name in ``lang`` ("zh" or "en") of a canonical province or delegation."""
    zh = normalize_province(name) or str(name)
    if lang == "en":
        if zh in PROVINCES:
            return PROVINCES[zh][0]
        return DELEGATIONS.get(zh, zh)
    return zh
