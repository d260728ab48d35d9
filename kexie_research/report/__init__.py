"""The main job: every analysis on one dataset, written as HTML, Markdown, summary.json,
CSV tables and figures (PNG/PDF/SVG with captions).

The report is built in a staging folder beside ``out_dir`` and swapped in whole at the end
(:func:`kexie_research.io.staged_directory`), under a lock: ``out_dir`` always holds one
complete run, an interrupted run leaves the previous report, and a concurrent run into the
same folder is refused (:class:`~kexie_research.errors.OutputLockedError`).

Sections are modules in :mod:`kexie_research.report.sections`, each with
``build(ctx: ReportContext) -> Section``; :data:`~kexie_research.report.sections.SECTIONS`
lists them in order. A section computes through the analysis API, draws through
:mod:`kexie_research.plots` and hands blocks (text, tables, figures) to the context; only
this module writes files, through the safe writers of :mod:`kexie_research.io`.
"""

from __future__ import annotations

import importlib
import json
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ..data import Dataset, load_dataset
from ..errors import KexieError
from ..io import DirectoryLock, dumps_json, staged_directory, write_csv, write_json, write_text
from .render import render_html, render_markdown

__all__ = ["Block", "Section", "ReportContext", "ReportResult", "build_report"]


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of a section: ``text`` (Markdown), ``table`` or ``figure``.

    A table's ``formats`` ({column: kind}, kinds of
    :data:`kexie_research.formatting.FORMAT_KINDS`: ``"pct"``, ``"int"``, ``"p"``, ...)
    say how its cells are printed in the HTML/Markdown; the CSV keeps the raw values.
    """

    kind: Literal["text", "table", "figure"]
    text: str = ""
    table: pd.DataFrame | None = None
    name: str = ""
    caption: str = ""
    files: dict = field(default_factory=dict)
    formats: dict = field(default_factory=dict)


@dataclass
class Section:
    """A titled part of the report, with a JSON-able ``summary`` for summary.json.

    ``data_origin`` says where the section's numbers come from (one of
    :data:`kexie_research.labels.ORIGINS`); a ``"mixed"`` section names the origin of each
    of its items in ``origin_items`` (summary key -> origin). :func:`build_report` writes
    both into the section's entry of summary.json and refuses a section without an origin.
    """

    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    data_origin: str = ""
    origin_items: dict = field(default_factory=dict)

    def to_summary(self) -> dict:
        """The section's summary.json entry: ``data_origin`` (+ ``data_origin_items``) first."""
        from ..labels import ORIGINS

        if self.data_origin not in ORIGINS:
            raise KexieError(f"report section {self.id!r} has no valid data_origin "
                             f"({self.data_origin!r}; one of {', '.join(ORIGINS)})")
        bad = {k: v for k, v in self.origin_items.items() if v not in ORIGINS}
        if bad:
            raise KexieError(f"report section {self.id!r}: unknown origin(s) {bad}")
        if self.data_origin == "mixed" and not self.origin_items:
            raise KexieError(f"report section {self.id!r} is 'mixed' but names no item origins")
        out = {"data_origin": self.data_origin}
        if self.origin_items:
            out["data_origin_items"] = dict(self.origin_items)
        out.update(self.summary)
        return out


@dataclass
class ReportContext:
    """What a section builder gets: the data, the options, and ways to add content."""

    dataset: Dataset
    lang: str = "zh"
    seed: int = 20240
    out_dir: Path | None = None
    figure_dir: Path | None = None
    table_dir: Path | None = None
    workers: int = 1
    quick: bool = False
    parameters: dict = field(default_factory=dict)

    def t(self, zh: str, en: str) -> str:
        """Text in the report's language."""
        return zh if self.lang == "zh" else en

    @property
    def origin(self) -> str:
        """Origin of the dataset's numbers: ``"synthetic"`` (embedded or generated) or
        ``"data"`` (the user's files)."""
        return "synthetic" if self.dataset.is_synthetic else "data"

    def tag(self, origin: str | None = None) -> str:
        """The origin tag to put where a number would be copied (【合成数据】, [model], ...);
        default: the dataset's origin. Empty for the user's own data."""
        from ..labels import origin_tag

        return origin_tag(origin or self.origin, self.lang)

    def data_source(self) -> str:
        """Where the data come from, for a caption: ``数据：合成数据`` / ``Data: synthetic`` /
        ``数据：用户数据（folder）`` (the folder's name only, never its full path)."""
        from ..labels import origin_name

        name = origin_name(self.origin, self.lang)
        if self.origin == "data" and self.dataset.directory:
            name += self.t(f"（{Path(self.dataset.directory).name}）", f" ({Path(self.dataset.directory).name})")
        return self.t("数据：", "Data: ") + name

    def text(self, md: str) -> Block:
        return Block("text", text=md)

    def table(self, name: str, df: pd.DataFrame, caption: str = "", *,
              formats: dict | None = None) -> Block:
        """A table block; also exported as ``tables/<name>.csv`` (formula-neutral, raw values).

        ``formats`` ({column: "pct" | "int" | "num" | "p" | "text"}) says how cells are
        printed in the report (:func:`kexie_research.formatting.format_frame`); other
        columns are inferred (integers whole, floats with one number of decimals each).
        """
        from ..formatting import format_frame

        formats = dict(formats or {})
        format_frame(df.head(0), formats)  # unknown kinds or columns fail here, naming them
        files = {}
        if self.table_dir is not None:
            files["csv"] = write_csv(self.table_dir / f"{name}.csv", df, root=self.out_dir)
        return Block("table", table=df, name=name, caption=caption, files=files, formats=formats)

    def figure(self, name: str, fig, caption: str) -> Block:
        """A figure block; written as PNG/PDF/SVG plus a caption file."""
        from ..plots import save_figure

        files = {}
        if self.figure_dir is not None:
            files = save_figure(fig, name, self.figure_dir, caption=caption,
                                root=self.out_dir or self.figure_dir)
        else:
            import matplotlib.pyplot as plt
            plt.close(fig)
        return Block("figure", name=name, caption=caption, files=files)


@dataclass(frozen=True)
class ReportResult:
    """Paths written and the summary dictionary."""

    out_dir: Path
    files: dict
    summary: dict


def _section_modules(only=None):
    from .sections import SECTIONS

    if only is not None:
        unknown = sorted(set(only) - set(SECTIONS))
        if unknown:
            raise KexieError(f"unknown report section(s) {', '.join(unknown)}; "
                             f"sections: {', '.join(SECTIONS)}")
    names = SECTIONS if only is None else [s for s in SECTIONS if s in set(only)]
    mods = []
    for n in names:
        try:
            mods.append((n, importlib.import_module(f"{__name__}.sections.{n}")))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.sections.{n}":
                raise
            # listed but not written yet in this checkout (tests assert none is missing)
            continue
    return mods


def _previous_report(path: Path) -> bool:
    """May ``path`` be replaced by a new report? Yes when empty or a previous report (its
    summary.json written by kexie_research)."""
    if not any(path.iterdir()):
        return True
    summary = path / "summary.json"
    try:
        if not summary.is_file() or summary.stat().st_size > 64 * 1024 ** 2:
            return False
        return json.loads(summary.read_text(encoding="utf-8"))["provenance"]["package"] == "kexie_research"
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _build_sections(ctx: ReportContext, sections, progress: bool) -> list[Section]:
    mods = _section_modules(sections)
    built: list[Section] = []
    try:
        from tqdm.auto import tqdm
        it = tqdm(mods, desc="report", unit="section", disable=not progress, leave=False)
    except ImportError:  # pragma: no cover
        it = mods
    for name, mod in it:
        if hasattr(it, "set_postfix_str"):
            it.set_postfix_str(name)
        built.append(mod.build(ctx))
    return built


def _write_report(out: Path, ds: Dataset, *, lang, seed, workers, progress, sections, quick,
                  figures_only) -> tuple[dict, dict]:
    """Build every section into ``out`` and write the report files; ``(files, summary)``."""
    from .. import __version__

    params = {"lang": lang, "seed": seed, "quick": quick,
              "sections": list(sections) if sections else None}
    ctx = ReportContext(dataset=ds, lang=lang, seed=seed, out_dir=out,
                        figure_dir=out if figures_only else out / "figures",
                        table_dir=None if figures_only else out / "tables",
                        workers=workers, quick=quick, parameters=params)
    built = _build_sections(ctx, sections, progress)
    summary = {
        "provenance": {
            "package": "kexie_research", "version": __version__, "seed": seed,
            "parameters": params, "data_dir": Path(ds.directory).name if ds.directory else None,
            "data_files": ds.provenance(), "synthetic_data": ds.is_synthetic,
            "python": platform.python_version(),
        },
        "sections": {s.id: s.to_summary() for s in built},
    }
    files: dict[str, Any] = {}
    if not figures_only:
        rejects = ds.rejects()
        if len(rejects):
            files["rejects.csv"] = write_csv(out / "rejects.csv", rejects, root=out)
        files["summary.json"] = write_json(out / "summary.json", summary, root=out)
        files["report.md"] = write_text(out / "report.md", render_markdown(built, summary, lang), root=out)
        files["report.html"] = write_text(out / "report.html", render_html(built, summary, lang), root=out)
    return files, summary


def build_report(data_dir=None, out_dir="out", *, lang: str = "zh", seed: int = 20240,
                 workers: int = 1, progress: bool = True, sections=None,
                 figures_only: bool = False, quick: bool = False,
                 dataset: Dataset | None = None) -> ReportResult:
    """Run the main job and write the report.

    Parameters
    ----------
    data_dir : path-like, optional
        Dataset folder (``<kind>.csv`` files); default: the embedded synthetic data.
    out_dir : path-like
        Output folder; nothing is written outside it. It is replaced as a whole by the new
        report (built in a staging folder beside it, then swapped in), so it must be new,
        empty or a previous report; a concurrent run into it is refused.
    lang : {"zh", "en"}
        Language of the report and figure labels.
    seed : int
        Seed of every stochastic step (simulations, bootstraps).
    workers : int
        Processes for parallel work; results do not depend on it.
    sections : iterable of str, optional
        Restrict to these sections.
    figures_only : bool
        Write only figures and captions, directly in ``out_dir`` (``make figures``); files
        are replaced one by one (each atomically), other files in the folder are kept.
    quick : bool
        Smaller Monte Carlo/bootstraps, for tests.
    dataset : Dataset, optional
        An already loaded dataset (e.g. ``load_dataset(DIR, errors="drop")`` for
        ``--keep-going``); its rejects, if any, are written to ``rejects.csv``.

    Returns
    -------
    ReportResult

    Raises
    ------
    UnsafeOutputError
        ``out_dir`` is a file, or a non-empty folder that is not a previous report.
    OutputLockedError
        Another run is writing the same folder.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    ds = dataset if dataset is not None else load_dataset(data_dir)
    _section_modules(sections)   # an unknown section is refused before anything is written
    kw = dict(lang=lang, seed=seed, workers=workers, progress=progress, sections=sections,
              quick=quick, figures_only=figures_only)
    if figures_only:
        from ..io import check_output_path

        out = check_output_path(out_dir, directory=True)
        out.mkdir(parents=True, exist_ok=True)
        out = out.resolve()
        with DirectoryLock(out):
            files, summary = _write_report(out, ds, **kw)
        return ReportResult(out_dir=out, files=files, summary=summary)
    with staged_directory(out_dir, replaceable=_previous_report, what="report folder") as stage:
        files, summary = _write_report(stage.resolve(), ds, **kw)
    out = Path(out_dir).resolve()
    files = {k: out / Path(v).relative_to(stage.resolve()) for k, v in files.items()}
    return ReportResult(out_dir=out, files=files, summary=summary)


def summary_text(summary: dict) -> str:  # pragma: no cover - convenience
    return dumps_json(summary)
