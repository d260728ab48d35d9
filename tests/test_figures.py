"""``make figures`` is reproducible: two runs give byte-identical PNG/PDF/SVG files, and
every figure comes with a caption file naming its data source and parameters.

The two runs are separate processes (fresh interpreters, fresh matplotlib font caches),
started together to halve the wall time, in ``--quick`` mode (smaller Monte Carlo sizes;
determinism does not depend on the size).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# one worker runs the module-scoped pair of runs (not one pair per xdist worker)
pytestmark = pytest.mark.xdist_group("figures")

FORMATS = ("png", "pdf", "svg")
SEED = "20240"


def _start(out: Path, mpl: Path) -> subprocess.Popen:
    env = {**os.environ, "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(mpl), "PYTHONHASHSEED": "random"}
    env.pop("SOURCE_DATE_EPOCH", None)  # determinism must not rely on it
    return subprocess.Popen([sys.executable, "-m", "kexie_research", "figures", "--out", str(out),
                             "--seed", SEED, "--quick", "--no-progress"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("figures")
    outs = [base / "a", base / "b"]
    procs = []
    for i, out in enumerate(outs):
        (base / f"mpl{i}").mkdir()
        procs.append(_start(out, base / f"mpl{i}"))
    for p in procs:
        _, err = p.communicate(timeout=400)
        assert p.returncode == 0, err.decode(errors="replace")[-3000:]
    return outs


def _figures(out: Path) -> dict[str, dict[str, Path]]:
    figs: dict[str, dict[str, Path]] = {}
    for p in sorted(out.iterdir()):
        for fmt in (*FORMATS, "caption.txt"):
            if p.name.endswith("." + fmt):
                figs.setdefault(p.name[: -len(fmt) - 1], {})[fmt] = p
    return figs


@pytest.mark.slow
def test_figures_byte_identical_across_runs(two_runs):
    a, b = two_runs
    names_a, names_b = sorted(p.name for p in a.iterdir()), sorted(p.name for p in b.iterdir())
    assert names_a == names_b
    different = [n for n in names_a if (a / n).read_bytes() != (b / n).read_bytes()]
    assert not different, f"files differ between two runs: {different}"


@pytest.mark.slow
def test_every_figure_has_all_formats_and_a_caption(two_runs):
    figs = _figures(two_runs[0])
    assert figs, "kexie-research figures wrote no figure"
    for name, files in figs.items():
        missing = [f for f in (*FORMATS, "caption.txt") if f not in files]
        assert not missing, f"{name}: missing {missing}"
        caption = files["caption.txt"].read_text(encoding="utf-8").strip()
        assert len(caption) > 20, f"{name}: caption too short: {caption!r}"
        assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert files["pdf"].read_bytes()[:5] == b"%PDF-"
        svg = files["svg"].read_text(encoding="utf-8")
        assert "<svg" in svg and "<dc:date>" not in svg  # no timestamps


@pytest.mark.slow
def test_png_is_300_dpi(two_runs):
    from PIL import Image

    for name, files in _figures(two_runs[0]).items():
        with Image.open(files["png"]) as im:
            dpi = im.info.get("dpi", (0, 0))
        assert round(dpi[0]) == 300, f"{name}: {dpi}"


def test_bundled_cjk_font_wins_over_system_fonts():
    # Debian's fonts-noto-cjk (installed for the browser test) also calls itself
    # "Noto Sans CJK SC"; figures must not depend on whether it is installed
    from importlib import resources

    from matplotlib import font_manager

    from kexie_research.plots.style import cjk_font_name

    name = cjk_font_name()
    found = Path(font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False))
    assert found == Path(str(resources.files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"))
