"""The report reads like a paper: Markdown rendered (none left literal in the HTML), a
data banner in the report's language, LaTeX tables a journal accepts, numbers without
float noise, every caption naming its data (and seed where stochastic), one output folder
per language.

The built-report checks share one pair of reports (zh and en, ``--quick``), built in two
processes at once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from kexie_research.report.render import markdown_html, table_html, table_latex, table_markdown, tex_escape

ROOT = Path(__file__).resolve().parents[1]

# one worker builds the pair of reports (not one pair per xdist worker), the same worker
# as test_figures.py's pair of runs, so the four heavy processes never run at once
pytestmark = pytest.mark.xdist_group("figures")


# ---- Markdown → HTML -------------------------------------------------------------------
def test_markdown_is_rendered_and_raw_html_escaped():
    out = markdown_html("**不重复人数与人次。** 见 `datasets/real/`。\n\n- 一\n- 二\n\n<img src=x onerror=alert(1)>")
    assert "<strong>不重复人数与人次。</strong>" in out
    assert "<code>datasets/real/</code>" in out
    assert "<ul>\n<li>一</li>\n<li>二</li>\n</ul>" in out
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    # images only come from figure blocks; links never run scripts
    assert "<img" not in markdown_html("![x](http://example.org/a.png)")
    assert "<a" not in markdown_html("[x](javascript:alert(1))")


def test_table_html_formats_escapes_and_aligns():
    df = pd.DataFrame({"组": ["<b>上海</b>", "北京"], "人数": [47, 26708],
                       "覆盖率": [0.5531914893617021, 0.296875], "成本": [619999.9999999999, 3900.0]})
    t = table_html(df, "表1 <i>覆盖率</i>", formats={"覆盖率": "pct"})
    assert "&lt;b&gt;上海&lt;/b&gt;" in t and "<b>上海" not in t
    # a caption is plain text (it may carry data, e.g. a session's name): escaped, not rendered
    assert "<caption>表1 &lt;i&gt;覆盖率&lt;/i&gt;</caption>" in t
    assert '<td class="num">26,708</td>' in t and '<td class="num">620,000</td>' in t
    assert '<td class="num">55.3%</td>' in t
    assert "<td>北京</td>" in t  # text left-aligned
    assert "619999" not in t and "0.553191" not in t


def test_table_markdown_right_aligns_numbers():
    md = table_markdown(pd.DataFrame({"a": ["x"], "n": [3.66667]}))
    assert md.splitlines()[1] == "|---|---:|"
    assert "3.67" in md


# ---- LaTeX -----------------------------------------------------------------------------
def _paper_latex(lang):
    from kexie_research.paper import reproduce_paper
    from kexie_research.report.sections.paper import paper_tables_latex

    return paper_tables_latex(reproduce_paper(), lang)


def test_tex_escape_is_one_pass():
    s = r"50% of a_b & {c} \ d #1 $2 ~ ^ <0.001>"
    out = tex_escape(s)
    assert out == (r"50\% of a\_b \& \{c\} \textbackslash{} d \#1 \$2 \textasciitilde{} "
                   r"\textasciicircum{} \textless{}0.001\textgreater{}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_paper_latex_tables_are_journal_ready(lang):
    for name, tex in _paper_latex(lang).items():
        body = [ln for ln in tex.splitlines() if not ln.startswith("%")]
        text = "\n".join(body)
        # booktabs, no vertical rules or \hline
        assert text.count(r"\toprule") == 1 and text.count(r"\midrule") == 1 and text.count(r"\bottomrule") == 1
        assert r"\hline" not in text
        spec = re.search(r"\\begin\{tabularx?\}(?:\{\\linewidth\})?\{(.*)\}$", text, re.M).group(1)
        assert "|" not in spec
        # one caption, without a "表1"/"Table 1." LaTeX would number a second time
        caps = re.findall(r"\\caption\{(.*)\}", text)
        assert len(caps) == 1, name
        assert not re.match(r"\s*(表\s*\d|Table\s+\d)", caps[0]), caps[0]
        assert text.index(r"\caption") < text.index(r"\label{tab:paper_") < text.index(r"\toprule")
        # the long text columns wrap; numeric ones are right-aligned
        cols = re.findall(r">\{\\raggedright\\arraybackslash\}X|[lrcX]", spec)
        header = body[body.index(r"\toprule") + 1].rstrip(" \\").split(" & ")
        assert len(cols) == len(header)
        if name == "table1":
            # 序号 … 参训人数: right; the session name and the origin wrap
            kinds = dict(zip(header, cols))
            assert kinds[header[0]] == "r"
            assert sum("X" in c for c in cols) >= 2, spec
            assert r"\begin{tabularx}{\linewidth}" in text
        if name == "table2":
            assert cols.count("r") >= 5  # the counts
        # every row has as many cells as the header (escaping kept & intact)
        rows = body[body.index(r"\midrule") + 1: body.index(r"\bottomrule")]
        for r in rows:
            assert len(re.split(r"(?<!\\)&", r)) == len(header), r


def _tex_engine():
    for engine in ("xelatex", "lualatex"):
        if shutil.which(engine) and shutil.which("kpsewhich"):
            ok = subprocess.run(["kpsewhich", "ctex.sty"], capture_output=True, text=True).stdout.strip()
            if ok:
                return engine, True
    if shutil.which("pdflatex"):
        return "pdflatex", False
    return None, False


@pytest.mark.slow
def test_latex_tables_compile(tmp_path):
    engine, cjk = _tex_engine()
    if engine is None:
        pytest.skip("no TeX engine (xelatex/lualatex with ctex, or pdflatex) installed: "
                    "the structure of the tables is asserted by test_paper_latex_tables_are_journal_ready")
    for lang in (["zh", "en"] if cjk else ["en"]):
        tables = _paper_latex(lang)
        if not cjk:  # pdflatex: only tables without CJK text
            tables = {k: v for k, v in tables.items() if not re.search(r"[\u4e00-\u9fff]", v)}
            if not tables:
                pytest.skip("pdflatex without ctex cannot typeset the Chinese paper tables")
        doc = ["\\documentclass{article}", "\\usepackage{booktabs,tabularx}"]
        if cjk:
            doc.append("\\usepackage{ctex}")
        doc += ["\\begin{document}", *tables.values(), "\\end{document}"]
        tex = tmp_path / f"tables_{lang}.tex"
        tex.write_text("\n".join(doc), encoding="utf-8")
        out = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", tex.name],
                             cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stdout[-3000:]
        assert (tmp_path / f"tables_{lang}.pdf").stat().st_size > 1000
        # the wrapped columns keep every table within the text width
        log = (tmp_path / f"tables_{lang}.log").read_text(encoding="utf-8", errors="replace")
        assert "Overfull \\hbox" not in log, re.findall(r"Overfull \\hbox.*", log)[:5]


# ---- built reports ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """``report --quick`` in zh and en, in two processes at once: {lang: out_dir}."""
    base = tmp_path_factory.mktemp("reports")
    env = {**os.environ, "MPLCONFIGDIR": str(base / "mpl")}
    procs = {}
    for lang in ("zh", "en"):
        procs[lang] = subprocess.Popen(
            [sys.executable, "-m", "kexie_research", "report", "--out", str(base / lang), "--lang", lang,
             "--quick", "--no-progress"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for lang, p in procs.items():
        _, err = p.communicate(timeout=900)
        assert p.returncode == 0, err.decode(errors="replace")[-3000:]
    return {lang: base / lang for lang in procs}


class _Text(HTMLParser):
    """Visible text nodes of an HTML page (not style/script)."""

    def __init__(self):
        super().__init__()
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.nodes.append(data)


_MD_SYNTAX = {
    "bold/italic **": re.compile(r"\*\*"),
    "bold __": re.compile(r"__"),
    "code backtick": re.compile(r"`"),
    "link ](": re.compile(r"\]\("),
    "heading #": re.compile(r"^\s*#{1,6}\s", re.M),
    "list item": re.compile(r"^\s*[-*+]\s", re.M),
    "pipe table": re.compile(r"^\s*\|.*\|\s*$|^\s*\|?\s*:?-{3,}:?\s*\|", re.M),
    "italic *x*": re.compile(r"(?<![\w*])\*[^*\s][^*]*\*(?![\w*])"),
}


def markdown_left_in_html(page: str) -> dict[str, list[str]]:
    """Markdown syntax found in the visible text of an HTML page."""
    p = _Text()
    p.feed(page)
    found: dict[str, list[str]] = {}
    for node in p.nodes:
        for what, rx in _MD_SYNTAX.items():
            if rx.search(node):
                found.setdefault(what, []).append(node.strip()[:80])
    return found


def test_markdown_detector_finds_what_it_should():
    page = ("<p>**合成数据** 见 `datasets/`</p><p>## 标题</p><p>- 项</p><p>| a | b |</p>"
            "<p>[x](y)</p><p>*图注*</p><style>a{}</style><p>-0.149 与 2013–2020</p>")
    found = markdown_left_in_html(page)
    assert set(found) == {"bold/italic **", "code backtick", "heading #", "list item", "pipe table",
                          "link ](", "italic *x*"}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_markdown_survives_into_the_html(reports, lang):
    page = (reports[lang] / "report.html").read_text(encoding="utf-8")
    assert not markdown_left_in_html(page), markdown_left_in_html(page)
    assert "<strong>" in page and "<code>" in page  # the Markdown was rendered, not dropped


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_banner_in_the_reports_language_names_the_origin(reports, lang):
    page = (reports[lang] / "report.html").read_text(encoding="utf-8")
    m = re.search(r'<div class="banner[^"]*" role="note">(.*?)</div>', page, re.S)
    assert m, "no data banner"
    banner = m.group(1)
    assert page.index("banner") < page.index("<nav>")  # it opens the report
    headline = re.search(r"<strong>(.*?)</strong>", banner).group(1)
    if lang == "zh":
        assert headline.startswith("数据：合成数据") and "随机种子" in banner
        assert not re.search(r"[A-Za-z]", headline)
    else:
        assert "Data: synthetic" in banner and "seed" in banner
        assert not re.search(r"[\u4e00-\u9fff]", banner)
    # readable: body-size text, not grey small print
    css = re.search(r"\.banner\{([^}]*)\}", page).group(1)
    assert "font-size:1rem" in css and "color:#222" in css


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_float_noise_in_the_report(reports, lang):
    for name in ("report.html", "report.md"):
        text = (reports[lang] / name).read_text(encoding="utf-8")
        noise = re.findall(r"\d\.\d*(?:99999|00000)\d*", text)
        assert not noise, f"{name}: {noise[:10]}"


# ---- captions --------------------------------------------------------------------------
# where a caption's numbers come from, in the caption's language
_ORIGIN_WORDS = {"zh": ("合成数据", "用户数据", "种子文献", "模型估计", "真实数据"),
                 "en": ("synthetic", "user data", "seed document", "model", "real data")}
# what makes a figure stochastic (Monte Carlo, bootstrap, sampling): it must name its seed
_STOCHASTIC = re.compile(r"模拟|蒙特卡洛|\d+\s*次重复|自助|重抽样|抽样|预测区间|PRIM|情景发现|"
                         r"simulat|Monte Carlo|replicat|bootstrap|resampl|sampl|prediction interval|PRIM|scenario",
                         re.IGNORECASE)
_SEED = re.compile(r"(?:种子|seed)\s*[:：=]?\s*\d+", re.IGNORECASE)
_CUT = tuple("；;，,:：、（(")

# Captions of the sections other streams rewrite in parallel (effectiveness, networks,
# simulation) that fail today; the lead empties this list at merge. Keys: (lang, figure).
KNOWN_FAILING = {
    # networks: the consortium (real data, seed 003) does not say it is real/seed-document data
    ("en", "networks_consortium_c01"),
    # simulation: scenario discovery names neither data origin nor seed; the tornado no seed
    ("zh", "simulation_discovery"), ("en", "simulation_discovery"),
    ("zh", "simulation_tornado"), ("en", "simulation_tornado"),
}


def caption_problems(name: str, caption: str, lang: str) -> list[str]:
    """What a figure caption lacks: its data origin, its seed (if stochastic), an ending."""
    out = []
    words = _ORIGIN_WORDS[lang]
    if not any(w.lower() in caption.lower() for w in words):
        out.append(f"names no data origin ({' / '.join(words)})")
    if (_STOCHASTIC.search(caption) or name.startswith("simulation_")) and not _SEED.search(caption):
        out.append("stochastic but names no seed")
    if caption.rstrip().endswith(_CUT):
        out.append(f"ends mid-sentence ({caption.rstrip()[-12:]!r})")
    return out


def test_caption_rules():
    assert caption_problems("x", "各省覆盖率。数据：合成数据；阈值 80%。", "zh") == []
    assert caption_problems("x", "Coverage. Data: synthetic; threshold 80%.", "en") == []
    assert caption_problems("x", "地区构成。数据：合成数据；", "zh")[0].startswith("ends mid-sentence")
    assert caption_problems("simulation_tornado", "Tornado. Model estimate.", "en")[-1] == "stochastic but names no seed"
    assert caption_problems("x", "Ranking with bootstrap intervals. Data: synthetic; seed 20240.", "en") == []
    assert caption_problems("x", "Ranking (bootstrap). Data: synthetic.", "en") == ["stochastic but names no seed"]
    assert caption_problems("x", "累计覆盖率（不重复人数）。数据：合成数据。", "zh") == []
    assert caption_problems("x", "覆盖率轨迹。模型估计；100次重复。", "zh") == ["stochastic but names no seed"]
    assert "names no data origin" in caption_problems("x", "Consortium founders (seed 003).", "en")[0]


def _captions(out: Path) -> dict[str, str]:
    return {p.name[: -len(".caption.txt")]: p.read_text(encoding="utf-8").strip()
            for p in sorted((out / "figures").glob("*.caption.txt"))}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_caption_names_data_and_seed(reports, lang):
    caps = _captions(reports[lang])
    assert len(caps) >= 20, sorted(caps)
    failing = {name: caption_problems(name, c, lang) for name, c in caps.items()}
    failing = {k: v for k, v in failing.items() if v}
    unexpected = {k: v for k, v in failing.items() if (lang, k) not in KNOWN_FAILING}
    assert not unexpected, unexpected


@pytest.mark.slow
@pytest.mark.parametrize("lang, name", sorted(KNOWN_FAILING))
@pytest.mark.xfail(strict=True, reason="caption of a section another stream rewrites; remove from KNOWN_FAILING when fixed")
def test_known_failing_captions(reports, lang, name):
    caps = _captions(reports[lang])
    assert name in caps, f"no figure {name}"
    assert not caption_problems(name, caps[name], lang)


# ---- one output folder per language ----------------------------------------------------
def _make_dry_run(*args: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-n", "-o", ".venv/.installed", *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_make_run_writes_one_folder_per_language():
    zh = _make_dry_run("run")
    en = _make_dry_run("run", "LANG_=en")
    assert re.search(r"report --out out/zh --lang zh\b", zh), zh
    assert re.search(r"report --out out/en --lang en\b", en), en
    custom = _make_dry_run("run", "LANG_=en", "OUT=results")
    assert "--out results/en" in custom


@pytest.mark.slow
def test_languages_do_not_overwrite_each_other(reports):
    zh, en = reports["zh"], reports["en"]
    assert zh != en
    for out, lang in ((zh, "zh-CN"), (en, "en")):
        assert f'<html lang="{lang}">' in (out / "report.html").read_text(encoding="utf-8")
        assert (out / "summary.json").is_file()  # report --out DIR writes straight into DIR


def test_banner_for_user_data_names_the_folder_not_a_path():
    from kexie_research.report.render import banner_text

    s = {"provenance": {"synthetic_data": False, "version": "0.1", "seed": 3, "data_dir": "my_roster",
                        "data_files": {"representatives": {"file": "representatives.csv", "sha256": "0" * 64}}}}
    head_zh, details_zh = banner_text(s, "zh")
    head_en, _ = banner_text(s, "en")
    assert head_zh == "数据：用户数据（文件夹 my_roster）"
    assert head_en == "Data: user data (folder my_roster)"
    assert "随机种子 3" in details_zh and "`representatives.csv`" in details_zh
