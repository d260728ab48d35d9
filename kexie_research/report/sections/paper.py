"""Report section: the seed paper's Tables 1–3 regenerated from ``datasets/real``, and the
584-distinct vs person-times statement."""

from __future__ import annotations

from ...io import write_text
from ...paper import PaperReproduction, display_tables, reproduce_paper
from .. import ReportContext, Section
from ..render import table_latex, table_markdown

__all__ = ["build", "paper_tables_markdown", "paper_tables_latex"]

_CAPTIONS = {
    "table1": ("表1 中国科协全国代表培训班（2013—2020），据论文表1重制；人数保留原文限定词（“+”＝多/余，“≈”＝约/近）",
               "Table 1. CAST national representative training sessions 2013–2020, regenerated "
               "from the paper's Table 1; counts keep their qualifier (+ = 'more than', ≈ = 'about')"),
    "table2": ("表2 各期培训专题按内容类别计数（据论文表2，类别为编码者判断）",
               "Table 2. Topics per session by content category (from the paper's Table 2; "
               "categories are coder judgement)"),
    "table3_summary": ("表3 省级科协代表培训（据论文表3）",
                       "Table 3. Provincial associations' representative trainings (paper's Table 3)"),
}


def paper_tables_markdown(rep: PaperReproduction, lang: str = "en") -> dict[str, str]:
    """Markdown of the publication tables (``table1``, ``table2``, ``table3_summary``)."""
    tabs = display_tables(rep, lang)
    return {k: table_markdown(tabs[k]) for k in _CAPTIONS}


def paper_tables_latex(rep: PaperReproduction, lang: str = "en") -> dict[str, str]:
    """booktabs LaTeX of the publication tables, with captions and ``tab:paper_<name>`` labels."""
    tabs = display_tables(rep, lang)
    i = 0 if lang == "zh" else 1
    return {k: table_latex(tabs[k], caption=_CAPTIONS[k][i], label=f"tab:paper_{k}") for k in _CAPTIONS}


def build(ctx: ReportContext) -> Section:
    rep = reproduce_paper()
    sec = Section("paper", ctx.t("种子论文表格重现", "Reproducing the seed paper"), data_origin="real")
    tabs = display_tables(rep, ctx.lang)
    sec.blocks.append(ctx.text(ctx.t(
        "以下表格由 `datasets/real/` 中逐字转录（带出处）的数据重新生成（白、吴、鲍：《中国科协全国代表履职培训的实践与思考》）。"
        "LaTeX 版本见 `tables/paper_*.tex`。",
        "The tables below are regenerated from the transcriptions with provenance in "
        "`datasets/real/` (Bai, Wu & Bao, practice and thinking on duty training of CAST "
        "congress representatives). LaTeX versions: `tables/paper_*.tex`.")))
    i = 0 if ctx.lang == "zh" else 1
    for name in ("table1", "table2", "table3_summary"):
        sec.blocks.append(ctx.table(f"paper_{name}", tabs[name], _CAPTIONS[name][i]))
    d = rep.discrepancy
    sec.blocks.append(ctx.text(ctx.t("**不重复人数与人次。** ", "**Distinct persons vs person-times.** ")
                               + rep.statement(ctx.lang)))
    if ctx.table_dir is not None:
        for name, tex in paper_tables_latex(rep, ctx.lang).items():
            write_text(ctx.table_dir / f"paper_{name}.tex", tex, root=ctx.out_dir)
    sec.summary = {
        "n_sessions_table1": int(len(rep.table1)),
        "n_topics_table2": int(rep.table2["total"].iloc[-1]),
        "n_provinces_table3": int(len(rep.table3_summary)),
        "ninth_congress_reported_sum": d["reported_sum"],
        "ninth_congress_distinct": d["distinct_trained"],
        "repeat_attendance_lower_bound": d["repeat_attendance_lower_bound"],
        "statement": rep.statement(ctx.lang),
    }
    return sec
