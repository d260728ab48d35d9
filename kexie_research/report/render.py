"""Markdown, HTML and LaTeX rendering of report sections.

- **Markdown → HTML** goes through ``markdown-it-py`` (CommonMark plus GFM tables) with
  raw HTML disabled: a section's ``**bold**``, ``code`` spans and lists become HTML, and
  anything that looks like HTML in the data is shown as text, never interpreted. Images
  are only drawn from figure blocks (the Markdown image rule is off).
- **Tables** are formatted cell by cell through :mod:`kexie_research.formatting` (no float
  noise, whole numbers whole, one number of decimals per column), escaped, and numeric
  columns are right-aligned; the CSV exports keep the raw values.
- **LaTeX tables** (:func:`table_latex`) are what journals accept: booktabs rules,
  long text columns wrapped (tabularx ``X``), numeric columns right-aligned, one caption
  (without a "表1"/"Table 1." prefix that LaTeX numbers itself), special characters
  escaped.
"""

from __future__ import annotations

import html
import os
import re
import unicodedata
from functools import lru_cache
from typing import Mapping

import pandas as pd

from ..formatting import format_frame

__all__ = ["render_markdown", "render_html", "table_markdown", "table_latex", "table_html",
           "markdown_html", "tex_escape", "report_title", "banner_text", "escape_markdown"]

_MAX_ROWS = 60

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



# ---- Markdown --------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.disable("image")  # figures come from figure blocks, never from text (or data)
    return md


def markdown_html(text: str, *, inline: bool = False) -> str:
    """HTML of a Markdown ``text`` (raw HTML in it is escaped, never passed through).

    Parameters
    ----------
    text : str
        CommonMark with GFM tables.
    inline : bool
        Render one line without the enclosing paragraph (captions, titles).

    Examples
    --------
    >>> markdown_html("**合成数据**：见 `datasets/`。")
    '<p><strong>合成数据</strong>：见 <code>datasets/</code>。</p>\\n'
    >>> markdown_html("<script>alert(1)</script> *x*", inline=True)
    '&lt;script&gt;alert(1)&lt;/script&gt; <em>x</em>'
    """
    md = _parser()
    return md.renderInline(text) if inline else md.render(text)


# ---- tables ----------------------------------------------------------------------------
def _display(df: pd.DataFrame, formats: Mapping[str, str] | None) -> pd.DataFrame:
    return format_frame(df, formats)


def _numeric_columns(df: pd.DataFrame, shown: pd.DataFrame) -> list[bool]:
    """Which columns hold numbers (typed, or text that reads as numbers, %, intervals)."""
    num = re.compile(r"^[<>≈~+\-−]?\s*[\d,]*\.?\d+(?:e[+-]?\d+)?\s*%?(?:\s*[–-]\s*[\d,]*\.?\d+%?)?\+?$")
    out = []
    for i in range(df.shape[1]):
        col = df.iloc[:, i]
        if pd.api.types.is_bool_dtype(col):
            out.append(False)
        elif pd.api.types.is_numeric_dtype(col):
            out.append(True)
        else:
            vals = [v for v in shown.iloc[:, i] if v != ""]
            out.append(bool(vals) and all(num.match(v) for v in vals))
    return out


def table_markdown(df: pd.DataFrame, max_rows: int = _MAX_ROWS, *,
                   formats: Mapping[str, str] | None = None) -> str:
    """A GitHub-flavoured Markdown table (cells formatted, pipes and newlines escaped).

    Examples
    --------
    >>> import pandas as pd
    >>> print(table_markdown(pd.DataFrame({"组": ["a|b"], "成本": [619999.9999999999]})))
    | 组 | 成本 |
    |---|---:|
    | a\\|b | 620,000 |
    """
    d = df.head(max_rows)
    shown = _display(d, formats)
    esc = lambda s: escape_markdown(s)  # noqa: E731 - cells are data: literal text
    numeric = _numeric_columns(d, shown)
    lines = ["| " + " | ".join(esc(c) for c in d.columns) + " |",
             "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    for row in shown.itertuples(index=False):
        lines.append("| " + " | ".join(esc(v) for v in row) + " |")
    if len(df) > max_rows:
        lines.append(f"\n*(+{len(df) - max_rows} rows in the CSV export)*")
    return "\n".join(lines)


def table_html(df: pd.DataFrame, caption: str = "", *, formats: Mapping[str, str] | None = None,
               max_rows: int = _MAX_ROWS, more_note: str = "") -> str:
    """An HTML table: cells formatted and escaped, numeric columns right-aligned, the
    caption rendered as inline Markdown.

    Examples
    --------
    >>> import pandas as pd
    >>> t = table_html(pd.DataFrame({"x": ["<b>"], "n": [1600.0]}), "**表** 1")
    >>> "<caption>**表** 1</caption>" in t, "&lt;b&gt;" in t, '<td class="num">1600</td>' in t
    (True, True, True)
    """
    d = df.head(max_rows)
    shown = _display(d, formats)
    numeric = _numeric_columns(d, shown)
    cls = lambda n: ' class="num"' if n else ""  # noqa: E731
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th{cls(n)}>{html.escape(str(c))}</th>"
                                        for c, n in zip(d.columns, numeric)) + "</tr></thead>")
    out.append("<tbody>")
    for row in shown.itertuples(index=False):
        out.append("<tr>" + "".join(f"<td{cls(n)}>{html.escape(str(v))}</td>"
                                    for v, n in zip(row, numeric)) + "</tr>")
    out.append("</tbody></table>")
    if len(df) > max_rows:
        out.append(f'<p class="more">{html.escape(more_note or f"+{len(df) - max_rows}")}</p>')
    return "\n".join(out)


# ---- LaTeX -----------------------------------------------------------------------------
_TEX_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "≈": r"$\approx$", "≥": r"$\geq$",
    "≤": r"$\leq$", "×": r"$\times$", "−": r"$-$", "\n": " ",
}
_TEX_RE = re.compile("|".join(re.escape(k) for k in _TEX_ESCAPES))
_CAPTION_NUMBER = re.compile(r"^\s*(?:表\s*\d+[.:：．、]?|Table\s+\d+[.:]?)\s*", re.IGNORECASE)


def tex_escape(s) -> str:
    r"""Escape LaTeX's special characters in one pass (so ``\`` does not get its braces escaped).

    Examples
    --------
    >>> print(tex_escape(r"a\b{c}_50% & #1 ~x^2 <0.001"))
    a\textbackslash{}b\{c\}\_50\% \& \#1 \textasciitilde{}x\textasciicircum{}2 \textless{}0.001
    """
    return _TEX_RE.sub(lambda m: _TEX_ESCAPES[m.group(0)], str(s))


def _display_width(s: str) -> int:
    """Printed width: CJK and full-width characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def table_latex(df: pd.DataFrame, caption: str = "", label: str = "", *,
                formats: Mapping[str, str] | None = None, wrap_at: int = 20,
                width: str = r"\linewidth") -> str:
    r"""A journal-ready LaTeX table.

    booktabs rules (``\toprule``/``\midrule``/``\bottomrule``, no vertical rules); text
    columns wider than ``wrap_at`` characters (CJK characters count double) become
    tabularx ``X`` columns that wrap within ``width``; numeric columns are right-aligned
    (``r``); one caption above the table, without a leading "表1"/"Table 1." (LaTeX
    numbers tables itself, so the prefix would print twice), then the label. Needs
    ``\usepackage{booktabs,tabularx}`` (and ``ctex`` or ``xeCJK`` for Chinese text).

    Parameters
    ----------
    df : DataFrame
        Cells are formatted with :func:`kexie_research.formatting.format_frame`.
    caption, label : str
    formats : mapping, optional
        Column formats for :func:`~kexie_research.formatting.format_frame`.
    wrap_at : int
        Width from which a text column wraps.
    width : str
        Total width of a table with wrapped columns.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"name": ["a_b", "c"], "n": [1600.0, 26708.0], "note": ["x" * 40, "y"]})
    >>> print(table_latex(df, caption="Table 1. Sessions", label="tab:s"))
    % needs \usepackage{booktabs,tabularx}
    \begin{table}[htbp]
    \centering
    \small
    \caption{Sessions}
    \label{tab:s}
    \begin{tabularx}{\linewidth}{lr>{\raggedright\arraybackslash}X}
    \toprule
    name & n & note \\
    \midrule
    a\_b & 1,600 & xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx \\
    c & 26,708 & y \\
    \bottomrule
    \end{tabularx}
    \end{table}
    <BLANKLINE>
    """
    shown = _display(df, formats)
    numeric = _numeric_columns(df, shown)
    spec = []
    for i, n in enumerate(numeric):
        if n:
            spec.append("r")
            continue
        widest = max([_display_width(str(v)) for v in shown.iloc[:, i]] + [0])
        spec.append(r">{\raggedright\arraybackslash}X" if widest > wrap_at else "l")
    wrapped = any("X" in s for s in spec)
    env = "tabularx" if wrapped else "tabular"
    begin = (f"\\begin{{tabularx}}{{{width}}}{{{''.join(spec)}}}" if wrapped
             else f"\\begin{{tabular}}{{{''.join(spec)}}}")
    cap = _CAPTION_NUMBER.sub("", caption).strip()
    out = [r"% needs \usepackage{booktabs" + (",tabularx}" if wrapped else "}"),
           "\\begin{table}[htbp]", "\\centering", "\\small"]
    if cap:
        out.append(f"\\caption{{{tex_escape(cap)}}}")
    if label:
        out.append(f"\\label{{{label}}}")
    out += [begin, "\\toprule", " & ".join(tex_escape(c) for c in df.columns) + " \\\\", "\\midrule"]
    wraps = ["X" in c for c in spec]
    for row in shown.itertuples(index=False):
        # a narrow wrapped column may break after a slash ("East/South")
        out.append(" & ".join(tex_escape(v).replace("/", r"/\allowbreak{}") if w else tex_escape(v)
                              for v, w in zip(row, wraps)) + " \\\\")
    out += ["\\bottomrule", f"\\end{{{env}}}", "\\end{table}"]
    return "\n".join(out) + "\n"


# ---- the report ------------------------------------------------------------------------
def _rel(path, out_dir) -> str:
    return os.path.relpath(path, out_dir).replace(os.sep, "/")


def report_title(lang: str) -> str:
    """The report's title in ``lang``."""
    return ("代表履职培训与科协组织网络研究报告" if lang == "zh" else
            "CAST training, representation and organisation networks: report")


def banner_text(summary: dict, lang: str) -> tuple[str, str]:
    """The data notice that opens the report, in its language: ``(headline, details)``.

    The headline names the data's origin (synthetic or the user's data); the details give
    package version, seed and data files (Markdown).

    Examples
    --------
    >>> s = {"provenance": {"synthetic_data": True, "version": "0.1", "seed": 7, "data_dir": None,
    ...                     "data_files": {"trainings": {"file": "t.csv", "sha256": "ab" * 32}}}}
    >>> banner_text(s, "zh")[0]
    '数据：合成数据（由带种子的生成器按种子文献校准生成，不含真实个人）'
    >>> banner_text(s, "en")[1]
    'kexie_research 0.1 · seed 7 · data files: `t.csv` (sha256 abababababab…)'
    """
    from ..labels import origin_name

    prov = summary["provenance"]
    synthetic = bool(prov.get("synthetic_data"))
    origin = origin_name("synthetic" if synthetic else "data", lang)
    if lang == "zh":
        head = (f"数据：{origin}（由带种子的生成器按种子文献校准生成，不含真实个人）" if synthetic else
                f"数据：{origin}（文件夹 {prov.get('data_dir') or '—'}）")
    else:
        head = ("Data: synthetic (a seeded generator calibrated to the seed documents; no real "
                "persons)" if synthetic else f"Data: user data (folder {prov.get('data_dir') or '—'})")
    files = ", ".join(f"`{v['file']}` (sha256 {v['sha256'][:12]}…)" for v in prov["data_files"].values())
    if lang == "zh":
        details = f"kexie_research {prov['version']} · 随机种子 {prov['seed']} · 数据文件：{files}"
    else:
        details = f"kexie_research {prov['version']} · seed {prov['seed']} · data files: {files}"
    return head, details


def render_markdown(sections, summary: dict, lang: str) -> str:
    """The report as one Markdown document (the same content as the HTML)."""
    head, details = banner_text(summary, lang)
    out = [f"# {report_title(lang)}", "", f"> **{escape_markdown(head)}**", ">", f"> {details}", ""]
    for s in sections:
        out += [f"## {s.title}", ""]
        for b in s.blocks:
            if b.kind == "text":
                out += [b.text, ""]
            elif b.kind == "table":
                if b.caption:
                    out += [f"**{escape_markdown(b.caption)}**", ""]
                out += [table_markdown(b.table, formats=getattr(b, "formats", None)), ""]
            elif b.kind == "figure":
                png = b.files.get("png")
                if png is not None:
                    out += [f"![{escape_markdown(b.caption)}](figures/{png.name})", ""]
                out += [f"*{escape_markdown(b.caption)}*", ""]
    return "\n".join(out).rstrip() + "\n"


_CSS = """body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#222}
table{border-collapse:collapse;font-size:.88rem;margin:.5rem 0 1.2rem}th,td{border-bottom:1px solid #ddd;padding:.25rem .55rem;text-align:left;vertical-align:top}
th{border-bottom:2px solid #444}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
caption{caption-side:top;text-align:left;font-weight:600;padding:.3rem 0}figure{margin:1.2rem 0}img{max-width:100%}
figcaption{font-size:.92rem;color:#333}code{font-size:.9em;background:#f3f3f3;padding:0 .2em;border-radius:3px}
.banner{font-size:1rem;color:#222;background:#fff6df;border-left:5px solid #e69f00;padding:.7rem 1rem;margin:1rem 0 1.5rem}
.banner.user{background:#eef5fb;border-left-color:#0072b2}.banner .details{margin:.3rem 0 0;font-size:.92rem}
.more{font-size:.88rem;color:#444}"""


def _block_html(b) -> str:
    if b.kind == "text":
        return markdown_html(b.text)
    if b.kind == "table":
        csv = b.files.get("csv")
        note = (f"+{len(b.table) - _MAX_ROWS} rows: tables/{csv.name}" if csv is not None
                else f"+{len(b.table) - _MAX_ROWS}")
        return table_html(b.table, b.caption, formats=getattr(b, "formats", None), more_note=note)
    if b.kind == "figure":
        png = b.files.get("png")
        img = (f'<img src="figures/{html.escape(png.name)}" alt="{html.escape(b.caption)}">'
               if png is not None else "")
        return f"<figure>{img}<figcaption>{html.escape(b.caption)}</figcaption></figure>"
    raise ValueError(f"unknown block kind {b.kind!r}; kinds: text, table, figure")


def render_html(sections, summary: dict, lang: str) -> str:
    """The report as one HTML page: title, data banner, contents, sections."""
    title = report_title(lang)
    head, details = banner_text(summary, lang)
    kind = "" if summary["provenance"].get("synthetic_data") else " user"
    out = ["<!DOCTYPE html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', "<head>",
           '<meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{html.escape(title)}</title>", f"<style>{_CSS}</style>", "</head><body>",
           f"<h1>{html.escape(title)}</h1>",
           f'<div class="banner{kind}" role="note"><p><strong>{html.escape(head)}</strong></p>'
           f'<p class="details">{markdown_html(details, inline=True)}</p></div>']
    out.append("<nav><ol>" + "".join(f'<li><a href="#{html.escape(s.id)}">{html.escape(s.title)}</a></li>'
                                      for s in sections) + "</ol></nav>")
    for s in sections:
        out.append(f'<section id="{html.escape(s.id)}"><h2>{html.escape(s.title)}</h2>')
        out += [_block_html(b) for b in s.blocks]
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
