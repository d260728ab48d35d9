"""Reproducing the seed paper's tables from the shipped real datasets.

The paper (Bai, Wu & Bao, "Practice and thinking on duty training of CAST congress
representatives", seed 000) prints three tables: Table 1, the nine national training
sessions 2013–2020; Table 2, the topics of each session; Table 3, nine provincial
associations' trainings. ``datasets/real/`` holds them transcribed with provenance
(``datasets/real/SOURCES.md``); this module regenerates them as DataFrames, ready for
:func:`kexie_research.report.render.table_markdown` / ``table_latex``, and states the
distinct-persons vs person-times discrepancy of the 9th-congress sessions explicitly.

Counts keep their printed qualifier: ``exact`` → ``"48"``, ``approx`` (约/近) → ``"≈70"``,
``at_least`` (多/余) → ``"140+"``.
"""

from __future__ import annotations

import re

from dataclasses import dataclass

import pandas as pd

from .data import load_real
from .labels import column_label, label, table
from .regions import normalize_province, province_name
from .schema import CURRICULUM_CATEGORIES

__all__ = ["PaperReproduction", "reproduce_paper", "render_count", "display_tables"]

_QUAL_FMT = {"exact": "{v}", "approx": "≈{v}", "at_least": "{v}+", "range_min": "≥{v}",
             "range_max": "≤{v}"}

_COUNT_UNIT_ZH = {"centralised_study_sessions_in_5_years": "次"}  # otherwise classes: 期


def render_count(value, qualifier) -> str:
    """A count with its printed qualifier: ``render_count(140, "at_least") == "140+"``.

    Examples
    --------
    >>> render_count(140, "at_least"), render_count(70, "approx"), render_count(48, "exact")
    ('140+', '≈70', '48')
    >>> render_count(float("nan"), None)
    ''
    """
    if value is None or pd.isna(value):
        return ""
    v = int(value) if float(value).is_integer() else value
    q = qualifier if isinstance(qualifier, str) and qualifier in _QUAL_FMT else "exact"
    return _QUAL_FMT[q].format(v=v)


@dataclass(frozen=True)
class PaperReproduction:
    """The paper's tables regenerated from ``datasets/real``.

    Attributes
    ----------
    table1 : DataFrame
        One row per session (9): ``no``, ``training_id``, ``session``, ``dates``, ``place``,
        ``participants`` (rendered with qualifier), ``participants_value``,
        ``participants_qualifier``, ``participants_as_printed``, ``congress``, ``origin``
        (as printed), ``origin_en`` (the transcriber's English description), ``n_origin_units``.
    table2 : DataFrame
        Topic counts by content category per session (``training_id``, ``session``, one
        column per category, ``total``), plus a ``Total`` row.
    table3 : DataFrame
        One row per provincial figure: ``province``, ``period``, ``measure``, ``figure``
        (rendered), ``as_printed`` (the quote), ``measure_zh``, ``figure_zh`` (Chinese phrasing).
    table3_summary : DataFrame
        Per province: ``province``, ``periods``, ``n_records``, ``figures``, ``figures_zh``.
    discrepancy : dict
        The 9th-congress person-times vs 584 distinct persons comparison (see
        :func:`reproduce_paper`).
    statement_en, statement_zh : str
        The discrepancy in words.
    """

    table1: pd.DataFrame
    table2: pd.DataFrame
    table3: pd.DataFrame
    table3_summary: pd.DataFrame
    discrepancy: dict
    statement_en: str
    statement_zh: str

    def statement(self, lang: str = "en") -> str:
        return self.statement_zh if lang == "zh" else self.statement_en

    def to_dict(self) -> dict:
        return {"table1": self.table1, "table2": self.table2, "table3": self.table3,
                "table3_summary": self.table3_summary, "discrepancy": self.discrepancy,
                "statement_en": self.statement_en, "statement_zh": self.statement_zh}


def _dates(r) -> str:
    if r.get("date_precision") == "year":
        return str(int(r["year"]))
    s, e = str(r["start_date"]), str(r["end_date"])
    return s if s == e else f"{s} – {e}"


def _place(r) -> str:
    city = r.get("city")
    prov = r.get("host_province")
    parts = [p for p in (prov, city) if isinstance(p, str) and p]
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    return " ".join(parts)


def _table1(t1: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for i, r in enumerate(t1.to_dict(orient="records"), start=1):
        rows.append({
            "no": i, "training_id": r["training_id"], "session": r["name"], "dates": _dates(r),
            "place": _place(r),
            "participants": render_count(r["participants_reported"], r["participants_qualifier"]),
            "participants_value": int(r["participants_reported"]),
            "participants_qualifier": r["participants_qualifier"],
            "participants_as_printed": r["participants_text"],
            "congress": int(r["congress"]),
            "origin": r["origin_text"],
            "origin_en": _strip_cjk_notes(r.get("target")),
            "n_origin_units": None if pd.isna(r["n_origin_units"]) else int(r["n_origin_units"]),
        })
    return pd.DataFrame(rows)


def _table2(t2: pd.DataFrame, t1: pd.DataFrame) -> pd.DataFrame:
    cats = [c for c in CURRICULUM_CATEGORIES if c in set(t2["category"])]
    ct = pd.crosstab(t2["training_id"], t2["category"]).reindex(columns=cats, fill_value=0)
    ct = ct.reindex(t1["training_id"]).dropna(how="all").astype(int)
    ct["total"] = ct.sum(axis=1)
    names = t1.set_index("training_id")["name"]
    out = ct.reset_index()
    out.insert(1, "session", out["training_id"].map(names))
    total = {"training_id": "Total", "session": "", **{c: int(out[c].sum()) for c in [*cats, "total"]}}
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


def _figure(r, lang: str = "en") -> str:
    zh = lang == "zh"
    if not pd.isna(r.get("participants")):
        u = r.get("participants_unit")
        unit = label(u, lang, kind="count_unit") if u in table("count_unit") else ""
        return f"{render_count(r['participants'], r['participants_qualifier'])}{'' if zh else ' '}{unit}".strip()
    if not pd.isna(r.get("n_classes")):
        unit = _COUNT_UNIT_ZH.get(r.get("measure"), "期") if zh else ""
        return f"{render_count(r['n_classes'], r['n_classes_qualifier'])}{unit}"
    if not pd.isna(r.get("duration_days")):
        return f"{int(r['duration_days'])}{'天' if zh else ' days'}"
    return ""


def _measure_zh(r) -> str:
    if r["measure"] in table("paper_measure"):
        return label(r["measure"], "zh", kind="paper_measure")
    for key in ("quote", "description"):
        v = r.get(key)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return str(r["measure"])


def _table3(t3: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for r in t3.to_dict(orient="records"):
        rows.append({"province": r["province"], "period": str(r["period_text"]).replace(" ", ""),
                     "measure": (label(r["measure"], "en", kind="paper_measure")
                                 if r["measure"] in table("paper_measure")
                                 else str(r["measure"]).replace("_", " ")),
                     "figure": _figure(r), "as_printed": r["quote"],
                     "measure_zh": _measure_zh(r), "figure_zh": _figure(r, "zh")})
    t = pd.DataFrame(rows)
    summ = []
    for prov, g in t.groupby("province", sort=False):
        figs = [f"{m}: {f}" for m, f in zip(g["measure"], g["figure"]) if f]
        figs_zh = [f"{m}：{f}" for m, f in zip(g["measure_zh"], g["figure_zh"]) if f]
        summ.append({"province": prov, "periods": "; ".join(dict.fromkeys(g["period"])),
                     "n_records": int(len(g)), "figures": "; ".join(figs),
                     "figures_zh": "；".join(figs_zh)})
    return t, pd.DataFrame(summ)


def _discrepancy(t1: pd.DataFrame, facts: pd.DataFrame) -> dict:
    nine = t1[t1["congress"] == 9]
    q = nine["participants_qualifier"]
    reported = int(nine["participants_reported"].sum())
    f01 = facts.set_index("fact_id").loc["F01"]
    distinct = int(f01["value"])
    firm = int(nine.loc[q.isin(["exact", "at_least"]), "participants_reported"].sum())
    approx = int(nine.loc[q == "approx", "participants_reported"].sum())
    return {
        "sessions": list(nine["training_id"]),
        "n_sessions": int(len(nine)),
        "reported_sum": reported,
        "reported_by_qualifier": {k: int(v) for k, v in
                                  nine.groupby("participants_qualifier")["participants_reported"].sum().items()},
        "n_at_least": int((q == "at_least").sum()), "n_approx": int((q == "approx").sum()),
        "n_exact": int((q == "exact").sum()),
        "distinct_trained": distinct,
        "distinct_source": str(f01["source"]),
        "repeat_attendance_lower_bound": reported - distinct,
        "repeat_share_of_person_times": (reported - distinct) / reported,
        "firm_lower_bound_person_times": firm,
        "approx_sum": approx,
        "approx_needed_for_repeats": distinct - firm,
    }


def reproduce_paper() -> PaperReproduction:
    """Regenerate Tables 1–3 of the seed paper and the 584-distinct statement.

    The six sessions after the 9th congress (T1-04 … T1-09) report 140+, ≈70, 150+, 120+,
    ≈70 and 66 participants: 616 at face value, against 584 distinct 9th-congress
    representatives trained (paper_facts F01). The reported counts are person-times; the
    at-least counts are lower bounds, so, taking the two approximate counts at face value,
    at least 616 − 584 = 32 attendances were repeats. The exact and at-least counts alone
    give 476, so person-times exceed 584 (some repeats) as long as the approximate ones
    total more than 108 (they are given as ≈70 + ≈70 = 140).

    Returns
    -------
    PaperReproduction

    Examples
    --------
    >>> rep = reproduce_paper()
    >>> len(rep.table1), rep.table1.loc[3, "participants"], rep.table1.loc[4, "participants"]
    (9, '140+', '≈70')
    >>> rep.discrepancy["reported_sum"], rep.discrepancy["distinct_trained"], rep.discrepancy["repeat_attendance_lower_bound"]
    (616, 584, 32)
    """
    t1 = load_real("paper_table1_sessions")
    t2 = load_real("paper_table2_topics")
    t3 = load_real("paper_table3_provincial")
    facts = load_real("paper_facts")
    d = _discrepancy(t1, facts)
    table3, table3_summary = _table3(t3)
    en = (f"The {d['n_sessions']} sessions after the 9th congress report "
          f"{d['reported_sum']} participants in total ({d['n_at_least']} counts given as "
          f"'more than', {d['n_approx']} as approximate, {d['n_exact']} exact), whereas the paper "
          f"states that {d['distinct_trained']} distinct 9th-congress representatives were trained. "
          f"The session counts are person-times: taking the approximate counts at face value, "
          f"at least {d['repeat_attendance_lower_bound']} attendances "
          f"({d['repeat_share_of_person_times']:.1%} of person-times) were by representatives "
          f"trained more than once (or by participants other than 9th-congress representatives). "
          f"The exact and 'more than' counts alone sum to {d['firm_lower_bound_person_times']}, so "
          f"person-times exceed the distinct count (some repeats) as long as the two approximate "
          f"counts total more than {d['approx_needed_for_repeats']} (reported: {d['approx_sum']}). "
          f"Coverage must count "
          f"distinct persons, not person-times.")
    zh = (f"九大之后的{d['n_sessions']}期培训班报告的参训人数合计{d['reported_sum']}人"
          f"（其中{d['n_at_least']}期为“多/余”，{d['n_approx']}期为“约/近”，{d['n_exact']}期为确数），"
          f"而论文称共培训了{d['distinct_trained']}位九大全国代表（不重复人数）。各期人数是人次："
          f"若约数按字面计，至少有{d['repeat_attendance_lower_bound']}人次"
          f"（占人次的{d['repeat_share_of_person_times']:.1%}）为重复参训（或非九大代表参训）。"
          f"仅确数与“多/余”之数合计{d['firm_lower_bound_person_times']}，"
          f"只要两个约数合计超过{d['approx_needed_for_repeats']}（报告为{d['approx_sum']}），人次即多于不重复人数（存在重复参训）。"
          f"覆盖率必须按不重复人数计算，而非人次。")
    return PaperReproduction(table1=_table1(t1), table2=_table2(t2, t1), table3=table3,
                             table3_summary=table3_summary, discrepancy=d, statement_en=en,
                             statement_zh=zh)


# the columns of each publication table, in order; their headers come from labels
# (column kind, "paper_<table>.<column>" entries; Table 2's categories from curriculum_category)
_DISPLAY_COLUMNS = {
    "table1": ("no", "session", "dates", "place", "participants", "origin"),
    "table2": ("training_id", "session", *CURRICULUM_CATEGORIES, "total"),
    "table3": ("province", "period", "measure", "figure", "as_printed"),
    "table3_summary": ("province", "periods", "n_records", "figures"),
}


def _header(name: str, col: str, lang: str) -> str:
    if name == "table2" and col in CURRICULUM_CATEGORIES:
        return label(col, lang, kind="curriculum_category", capitalize=True)
    return column_label(col, lang, table=f"paper_{name}", capitalize=True)


def display_tables(rep: PaperReproduction, lang: str = "en") -> dict[str, pd.DataFrame]:
    """Publication versions of the tables: selected columns, headers in ``lang``."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    out = {}
    for name, heads in _DISPLAY_COLUMNS.items():
        df = getattr(rep, name)
        cols = [c for c in heads if c in df.columns]
        # a ``<col>_zh`` / ``<col>_en`` column holds the phrasing of ``<col>`` in that language
        src = {c: f"{c}_{lang}" if f"{c}_{lang}" in df.columns else c for c in cols}
        t = pd.DataFrame({c: df[src[c]].to_numpy() for c in cols}, index=df.index)
        if lang == "en":
            for c in ("province", "place"):
                if c in t.columns:
                    t[c] = [_place_en(v) for v in t[c]]
            for c in ("period", "periods"):
                if c in t.columns:
                    t[c] = [_period_en(v) for v in t[c]]
        elif name == "table2" and len(t) and t["training_id"].iloc[-1] == "Total":
            t.loc[t.index[-1], "training_id"] = "合计"
        out[name] = t.rename(columns={c: _header(name, c, lang) for c in cols})
    return out


def _strip_cjk_notes(v) -> str:
    """English description without its parenthetical Chinese quotes:
    ``"reps from 10 provinces (body L37: 主要来自于西部地区)"`` → ``"reps from 10 provinces"``."""
    if not isinstance(v, str):
        return ""
    return re.sub(r"\s*\([^()]*[\u4e00-\u9fff][^()]*\)", "", v).strip()


def _place_en(v):
    """``"广东 深圳"`` → ``"Guangdong Shenzhen"``: provinces (and the known cities) in English."""
    if not isinstance(v, str) or not v:
        return v
    return " ".join(province_name(p, "en") if normalize_province(p) else _CITY_EN.get(p, p)
                    for p in v.split(" "))


_CITY_EN = {"深圳": "Shenzhen", "南京": "Nanjing"}  # the host cities of paper Table 1


def _period_en(v):
    """``"2012年、2014年、2015年; 2018年"`` → ``"2012, 2014, 2015; 2018"``."""
    if not isinstance(v, str):
        return v
    return v.replace("年", "").replace("、", ", ")
