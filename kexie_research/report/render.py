"""Markdown and HTML rendering of report sections. All data are escaped in HTML."""

from __future__ import annotations

import html
import os
import re

import pandas as pd

__all__ = ["render_markdown", "render_html", "table_markdown", "table_latex", "escape_markdown"]

# what can turn data into markup in a paragraph or a table cell (CommonMark + GFM), each
# escaped only where it could act, so that numbers like "[1.03, 1.43]", "<0.001" or "~70"
# and snake_case names stay readable in the raw file
_MD_ACTIVE = re.compile(
    r"[\\`*|]"                      # escapes, code spans, emphasis, table cells: always
    r"|(?<!\w)_|_(?!\w)"            # underscores that could open or close emphasis
    r"|\](?=[(\[])"                 # the "](" or "][" of a link or image
    r"|<(?=[A-Za-z/!?])"            # raw HTML and autolinks
    r"|&(?=#?[0-9A-Za-z]+;)"        # character references
)


def escape_markdown(text) -> str:
    r"""Data as literal Markdown text: emphasis, code spans, links and images, raw HTML,
    autolinks, character references, strikethrough and table pipes are backslash-escaped
    (CommonMark), only where they could act; newlines become spaces. Use it for every data
    value put inline into Markdown (table cells, captions, names in sentences).

    Examples
    --------
    >>> print(escape_markdown("**x** | [link](http://a.test) <b> _y_ ~~z~~"))
    \*\*x\*\* \| [link\](http://a.test) \<b> \_y\_ \~\~z\~\~
    >>> print(escape_markdown("treated_x [1.03, 1.43] <0.001 ~70 A&B"))
    treated_x [1.03, 1.43] <0.001 ~70 A&B
    """
    t = " ".join(str(text).splitlines())
    t = _MD_ACTIVE.sub(lambda m: "\\" + m.group(0), t)
    if t.count("~") >= 2:           # a pair of tildes strikes text through (GFM)
        t = t.replace("~", "\\~")
    return t


def _fmt(v) -> str:
    if isinstance(v, float):
        if pd.isna(v):
            return ""
        return f"{v:.3g}" if abs(v) < 1e-3 and v != 0 else f"{v:,.3f}".rstrip("0").rstrip(".")
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    return str(v)


def table_markdown(df: pd.DataFrame, max_rows: int = 60) -> str:
    """A GitHub-flavoured Markdown table; every cell and header is literal text
    (:func:`escape_markdown`: no emphasis, link, HTML or stray pipe from data)."""
    d = df.head(max_rows)
    esc = lambda s: escape_markdown(_fmt(s))  # noqa: E731
    lines = ["| " + " | ".join(esc(c) for c in d.columns) + " |",
             "|" + "|".join("---" for _ in d.columns) + "|"]
    for row in d.itertuples(index=False):
        lines.append("| " + " | ".join(esc(v) for v in row) + " |")
    if len(df) > max_rows:
        lines.append(f"\n*({len(df) - max_rows} more rows in the CSV export)*")
    return "\n".join(lines)


def table_latex(df: pd.DataFrame, caption: str = "", label: str = "") -> str:
    """A booktabs LaTeX table (special characters escaped)."""
    def esc(s):
        s = _fmt(s)
        for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"),
                     ("#", r"\#"), ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"),
                     ("^", r"\textasciicircum{}")):
            s = s.replace(a, b) if a != "\\" else s.replace(a, b)
        return s
    cols = "l" * len(df.columns)
    out = ["\\begin{table}[htbp]", "\\centering"]
    if caption:
        out.append(f"\\caption{{{esc(caption)}}}")
    if label:
        out.append(f"\\label{{{label}}}")
    out += [f"\\begin{{tabular}}{{{cols}}}", "\\toprule",
            " & ".join(esc(c) for c in df.columns) + " \\\\", "\\midrule"]
    for row in df.itertuples(index=False):
        out.append(" & ".join(esc(v) for v in row) + " \\\\")
    out += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
    return "\n".join(out) + "\n"


def _rel(path, out_dir) -> str:
    return os.path.relpath(path, out_dir).replace(os.sep, "/")


def render_markdown(sections, summary: dict, lang: str) -> str:
    prov = summary["provenance"]
    title = "代表履职培训与科协组织网络研究报告" if lang == "zh" else \
        "CAST training, representation and organisation networks: report"
    out = [f"# {title}", ""]
    out.append(("*数据：" if lang == "zh" else "*Data: ")
               + ("合成数据（非真实个人数据）" if prov["synthetic_data"] and lang == "zh" else
                  "synthetic (not real persons)" if prov["synthetic_data"]
                  else escape_markdown(prov["data_dir"]))
               + f"; kexie_research {prov['version']}; seed {prov['seed']}*")
    out.append("")
    for s in sections:
        out += [f"## {s.title}", ""]
        for b in s.blocks:
            if b.kind == "text":
                out += [b.text, ""]
            elif b.kind == "table":
                if b.caption:
                    out += [f"**{escape_markdown(b.caption)}**", ""]
                out += [table_markdown(b.table), ""]
            elif b.kind == "figure":
                png = b.files.get("png")
                if png is not None:
                    out += [f"![{escape_markdown(b.caption)}](figures/{png.name})", ""]
                out += [f"*{escape_markdown(b.caption)}*", ""]
    return "\n".join(out).rstrip() + "\n"


_CSS = """body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.55;color:#222}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1rem}th,td{border-bottom:1px solid #ddd;padding:.2rem .5rem;text-align:left}
th{border-bottom:2px solid #444}figure{margin:1rem 0}img{max-width:100%}figcaption{font-size:.85rem;color:#444}
.prov{font-size:.8rem;color:#555}"""


def _md_inline_to_html(text: str) -> str:
    """Escape, then keep paragraphs and simple list items (no raw HTML from data)."""
    paras = []
    for para in text.split("\n\n"):
        lines = para.split("\n")
        if all(l.lstrip().startswith(("- ", "* ")) for l in lines if l.strip()):
            items = "".join(f"<li>{html.escape(l.lstrip()[2:])}</li>" for l in lines if l.strip())
            paras.append(f"<ul>{items}</ul>")
        else:
            paras.append(f"<p>{html.escape(para).replace(chr(10), '<br>')}</p>")
    return "\n".join(paras)


def render_html(sections, summary: dict, lang: str) -> str:
    prov = summary["provenance"]
    title = "代表履职培训与科协组织网络研究报告" if lang == "zh" else \
        "CAST training, representation and organisation networks: report"
    out = ["<!DOCTYPE html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', "<head>",
           '<meta charset="utf-8">', f"<title>{html.escape(title)}</title>",
           f"<style>{_CSS}</style>", "</head><body>", f"<h1>{html.escape(title)}</h1>"]
    files = ", ".join(f"{html.escape(v['file'])} (sha256 {v['sha256'][:12]}…)"
                      for v in prov["data_files"].values())
    out.append(f'<p class="prov">kexie_research {html.escape(str(prov["version"]))}; seed '
               f'{html.escape(str(prov["seed"]))}; '
               + ("synthetic data (not real persons); " if prov["synthetic_data"] else "")
               + f"data: {files}</p>")
    out.append("<nav><ol>" + "".join(f'<li><a href="#{html.escape(s.id)}">{html.escape(s.title)}</a></li>'
                                      for s in sections) + "</ol></nav>")
    for s in sections:
        out.append(f'<section id="{html.escape(s.id)}"><h2>{html.escape(s.title)}</h2>')
        for b in s.blocks:
            if b.kind == "text":
                out.append(_md_inline_to_html(b.text))
            elif b.kind == "table":
                cap = f"<caption>{html.escape(b.caption)}</caption>" if b.caption else ""
                t = b.table.head(60).to_html(index=False, escape=True, na_rep="",
                                             float_format=lambda v: _fmt(float(v)), border=0)
                out.append(t.replace("<table", "<table", 1).replace("<thead>", cap + "<thead>", 1))
            elif b.kind == "figure":
                png = b.files.get("png")
                img = (f'<img src="figures/{html.escape(png.name)}" alt="{html.escape(b.caption)}">'
                       if png is not None else "")
                out.append(f"<figure>{img}<figcaption>{html.escape(b.caption)}</figcaption></figure>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
