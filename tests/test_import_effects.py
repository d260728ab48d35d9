"""Importing the package changes no global state.

A notebook's inline backend, the user's rcParams, warnings filters, pandas/numpy options
and the logging configuration must survive ``import kexie_research.<anything>``: the
package applies its figure style inside a context (at creation and at draw time), and only
the command line selects the Agg backend, at its own entry point.

Each check runs in a fresh interpreter that imports every module of the package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

_PROBE = textwrap.dedent(r"""
    import importlib, json, logging, pkgutil, sys, warnings
    import matplotlib
    import numpy as np
    import pandas as pd

    def state():
        rc = matplotlib.rcParams
        return {
            "backend": repr(rc._get("backend")),   # _get: never resolves the backend
            "rc": {k: repr(rc._get(k)) for k in rc if k != "backend"},
            "pandas": {k: repr(pd.get_option(k)) for k in sorted(pd._config.config._registered_options)
                       if not k.startswith("mode.copy_on_write")},
            "numpy": {"print": repr(np.get_printoptions()), "err": repr(np.geterr())},
            "logging": [repr(h) for h in logging.getLogger().handlers] + [logging.getLogger().level],
            "pyplot_backend": repr(sys.modules["matplotlib.pyplot"].get_backend()) if "matplotlib.pyplot" in sys.modules else None,
        }

    # third-party libraries add warnings filters when imported (scipy does): record who
    # adds each one and hold only our modules to account
    ours = []
    def spy(fn):
        def wrapper(*a, **k):
            f = sys._getframe(1)  # the caller itself, not an import statement further up
            mod = f.f_globals.get("__name__", "")
            if mod.startswith("kexie_research"):
                ours.append(f"{fn.__name__}{a} from {mod}:{f.f_lineno}")
            return fn(*a, **k)
        return wrapper
    warnings.filterwarnings = spy(warnings.filterwarnings)
    warnings.simplefilter = spy(warnings.simplefilter)
    before = state()
    import kexie_research
    names = [m.name for m in pkgutil.walk_packages(kexie_research.__path__, "kexie_research.")
             if not m.name.endswith("__main__")]
    for name in names:
        importlib.import_module(name)
    after = state()
    # pyplot may now be imported (plots import it); it must report the same backend
    after_backend = matplotlib.rcParams._get("backend")
    print(json.dumps({"before": before, "after": after, "n": len(names), "ours": ours,
                      "backend_after": repr(after_backend)}))
""")


def _run(env_backend: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    if env_backend is not None:
        env["MPLBACKEND"] = env_backend
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _diff(a: dict, b: dict) -> dict:
    return {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["module://matplotlib_inline.backend_inline", "svg", None],
                         ids=["inline", "svg", "unset"])
def test_importing_every_module_changes_no_global_state(backend):
    res = _run(backend)
    before, after = res["before"], res["after"]
    assert res["n"] > 50, "the probe did not find the package's modules"
    # the backend the notebook (or the user) chose survives
    assert after["backend"] == before["backend"], (before["backend"], after["backend"])
    if backend is not None:
        assert backend in after["backend"]
    assert not _diff(before["rc"], after["rc"]), f"rcParams changed at import: {_diff(before['rc'], after['rc'])}"
    assert not res["ours"], f"warnings filters set at import: {res['ours']}"
    assert not _diff(before["pandas"], after["pandas"]), "pandas options changed at import"
    assert after["numpy"] == before["numpy"], "numpy print/error options changed at import"
    assert after["logging"] == before["logging"], "root logging changed at import"


def test_use_style_restores_only_its_own_keys():
    """A backend resolved inside the style (the notebook's first figure) switches on
    interactive mode; leaving the style must not switch it off again, or later cells show
    no figure."""
    import matplotlib

    from kexie_research.plots.style import use_style

    rc = matplotlib.rcParams
    was_interactive, size, family = matplotlib.is_interactive(), rc["font.size"], list(rc["font.family"])
    try:
        with use_style("zh"):
            assert rc["font.size"] == 8 and rc["font.family"][0] == "Noto Sans CJK SC"
            matplotlib.interactive(not was_interactive)
        assert matplotlib.is_interactive() is (not was_interactive)
        assert rc["font.size"] == size and list(rc["font.family"]) == family
    finally:
        matplotlib.interactive(was_interactive)


def test_calling_the_cli_from_python_keeps_the_backend(tmp_path):
    """Notebook 01 calls ``kexie_research.cli.main``: only the executable (console_main)
    selects Agg, a call from Python keeps the caller's backend."""
    probe = textwrap.dedent(f"""
        import matplotlib
        from kexie_research.cli import main
        from kexie_research.widgets.data_tour import write_messy_example
        code = main(["validate", str(write_messy_example({str(tmp_path)!r})), "--max-problems", "1"])
        print(code, matplotlib.rcParams._get("backend"))
    """)
    env = {**os.environ, "MPLBACKEND": "svg"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["2", "svg"]
    # the executable is headless
    out = subprocess.run([sys.executable, "-c", "import os, sys; sys.argv = ['kexie-research', '--version'];"
                          "from kexie_research.cli import console_main\n"
                          "try:\n    console_main()\nexcept SystemExit:\n    pass\n"
                          "import matplotlib; print(os.environ['MPLBACKEND'])"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.stdout.split()[-1] == "Agg", out.stderr[-2000:]
