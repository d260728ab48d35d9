"""The numbered notebooks: stored clean, and each runs top to bottom on the embedded data.

Execution uses nbclient with the ``python3`` kernel of this environment (jupyter_client
maps the kernelspec's ``python`` to the running interpreter), in a temporary working
folder, with the kernel's own (inline) matplotlib backend — as in JupyterLab, so a
package import that replaced it would show here — a fresh ``MPLCONFIGDIR`` and
``KEXIE_QUICK=1`` (small Monte Carlo sizes chosen by the package, not by the cells).
Exports go to temporary folders through ``KEXIE_EXPORT_DIR`` / ``KEXIE_FIGURES_DIR``.

Every cell that calls a ``plot_*`` function, or is tagged ``figure`` in its metadata,
must show an ``image/png`` output.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
EXPECTED = ("01_data_tour", "02_coverage", "03_compliance", "04_effectiveness", "05_networks",
            "06_plan_simulator", "07_paper_figures")
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 150

# absolute paths of any OS, and home-relative ones
_ABS_PATH = re.compile(r"""(?x)
    (?:^|[\s'"(=])(?:/(?:work|home|root|tmp|Users|mnt|var|opt|srv)/)   # POSIX
  | [A-Za-z]:\\\\                                                       # Windows
  | ~/
""")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_all_numbered_notebooks_present():
    assert tuple(p.stem for p in NOTEBOOKS) == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_stored_clean(path):
    nb = _load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    cells = nb["cells"]
    assert cells and cells[0]["cell_type"] == "markdown", "a notebook opens with its question"
    head = "".join(cells[0]["source"])
    # the opening cell names the question answered and the data used, in both languages
    for word in ("问题", "数据", "Question", "Data"):
        assert word in head, f"{path.name}: opening cell lacks {word!r}"
    for i, cell in enumerate(cells):
        src = "".join(cell["source"])
        assert not _ABS_PATH.search(src), f"{path.name} cell {i}: absolute path in {src[:80]!r}"
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {i} has stored outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} has an execution count"
            # thin cells: logic belongs in the package
            logic = [ln for ln in src.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
            assert len(logic) <= 12, f"{path.name} cell {i} has {len(logic)} lines; move logic to the package"
            assert "def " not in src and "class " not in src, f"{path.name} cell {i} defines code"
    assert "widgets" not in nb["metadata"], "widget state must not be stored"
    # a notebook ends with what it exports
    last_code = "".join([c for c in cells if c["cell_type"] == "code"][-1]["source"])
    assert "export" in last_code or "caption" in last_code, f"{path.name} does not end with its exports"


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """Isolated environment for the notebook kernel; returns the working folder."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    work = tmp_path / "work"
    work.mkdir()
    for var, sub in (("MPLCONFIGDIR", "mpl"), ("IPYTHONDIR", "ipython"),
                     ("JUPYTER_DATA_DIR", "jupyter-data"), ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
                     ("JUPYTER_CONFIG_DIR", "jupyter-config"), ("KEXIE_EXPORT_DIR", "exports"),
                     ("KEXIE_FIGURES_DIR", "figures")):
        d = tmp_path / sub
        d.mkdir()
        monkeypatch.setenv(var, str(d))
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    # the kernel picks its inline backend itself (ipykernel sets it when MPLBACKEND is unset)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("KEXIE_QUICK", "1")
    # notebook 07 regenerates these sections only; test_figures.py covers every section
    monkeypatch.setenv("KEXIE_FIGURE_SECTIONS", "paper,coverage,compliance")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:  # register this environment's kernel (into sys.prefix, not $HOME)
        from ipykernel.kernelspec import install

        install(prefix=sys.prefix)
        spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.argv[0] in ("python", "python3", sys.executable), spec.argv
    return work


_PLOT_CALL = re.compile(r"(?<![\w.])(?:\w+\.)*plot_\w+\s*\(")


def figure_cells(nb) -> list[int]:
    """Indices of the code cells that must show a figure: they call ``plot_*(...)`` or are
    tagged ``figure``."""
    out = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        code = "\n".join(ln.split("#", 1)[0] for ln in src.splitlines())
        tags = cell.get("metadata", {}).get("tags", [])
        if "figure" in tags or (_PLOT_CALL.search(code) and not code.lstrip().startswith(("from ", "import "))):
            out.append(i)
    return out


def test_figure_cells_are_found():
    # the notebooks that draw with plot_* functions: the test below has cells to check
    nb = _load(NB_DIR / "02_coverage.ipynb")
    cells = figure_cells(nb)
    assert len(cells) >= 3
    assert all("plot_" in "".join(nb["cells"][i]["source"]) for i in cells)
    # an import line naming plot functions is not a figure cell
    assert not any("import" in "".join(nb["cells"][i]["source"]).split("\n")[0] for i in cells)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, kernel_env, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(kernel_env)}},
                            startup_timeout=60)
    client.execute()  # raises CellExecutionError naming the failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.get("output_type") == "error"]
    assert not errors
    # every plot cell shows its figure (not "<Axes: title=...>" text)
    missing = [i for i in figure_cells(nb)
               if not any("image/png" in o.get("data", {}) for o in nb.cells[i].outputs)]
    assert not missing, (f"{path.name}: figure cells without an image/png output: {missing} "
                         f"({[nb.cells[i].source[:60] for i in missing]})")
    # ran in this environment's interpreter (the first code cell's imports did not fail)
    assert any(c.cell_type == "code" and c.outputs for c in nb.cells), "no cell produced output"
    # nothing written next to the notebooks
    assert not (path.parent / "exports").exists()
    # the last code cell exports something (a figure, a table or a plan file)
    written = [p for p in (tmp_path / "exports").rglob("*") if p.is_file()]
    written += [p for p in (tmp_path / "figures").rglob("*") if p.is_file()]
    assert written, f"{path.name} exported nothing"


@pytest.mark.slow
def test_make_lab_serves_the_notebooks_on_localhost(tmp_path):
    """``make lab`` starts (also as root: --allow-root), bound to 127.0.0.1, on notebooks/,
    and leaves the kernels their own matplotlib backend."""
    import os
    import secrets
    import shutil
    import signal
    import socket
    import subprocess
    import time
    import urllib.request

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    env = dict(os.environ, MPLBACKEND="Agg")  # must not reach the kernels
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR", "HOME"):
        (tmp_path / var).mkdir()
        env[var] = str(tmp_path / var)
    env.pop("JUPYTER_PATH", None)
    log = tmp_path / "lab.log"
    # -o: never rebuild the environment here (the test runs inside it)
    cmd = ["make", "-s", "-o", ".venv/.installed", "lab", f"LAB_PORT={port}",
           f"LAB_ARGS=--no-browser --IdentityProvider.token={token} --ServerApp.port_retries=0"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, "make lab exited:\n" + log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "make lab did not start:\n" + log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=5) as r:
            names = {c["name"] for c in json.loads(r.read())["content"]}
        assert "02_coverage.ipynb" in names  # the server's root is notebooks/
        text = log.read_text(errors="replace")
        assert f"http://127.0.0.1:{port}/" in text
        assert "0.0.0.0" not in text  # bound to this machine only
        # the server (hence its kernels) runs without MPLBACKEND
        with open(f"/proc/{_lab_server_pid(proc.pid)}/environ", "rb") as f:
            assert b"MPLBACKEND=" not in f.read()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # make, the server and its kernels; nothing else
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _lab_server_pid(make_pid: int) -> int:
    """The jupyter-lab process started by ``make`` (a child, or make itself after exec)."""
    from pathlib import Path as _P

    for p in _P("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text()
            cmdline = (p / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if (ppid == make_pid or int(p.name) == make_pid) and b"jupyter" in cmdline:
            return int(p.name)
    raise AssertionError("no jupyter process under make")
