# kexie_research — the two commands that matter: `make run` and `make test`.
# Both create the virtual environment (.venv/) on first use from the pinned lock file.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
LOCK   := requirements/lock.txt
STAMP  := $(VENV)/.installed
OUT    ?= out
SEED   ?= 20240
LANG_  ?= zh
LAB_PORT ?= 8888
LAB_ARGS ?=
export UV_COMPILE_BYTECODE := 1
# No global MPLBACKEND: the command line selects Agg itself, and `make lab` must leave the
# notebook kernels their inline backend (or no figure shows in a notebook).
# JupyterLab refuses to start as root without --allow-root (containers, CI runners).
ALLOW_ROOT := $(shell [ "$$(id -u)" = "0" ] && echo --allow-root)

.PHONY: run test lab figures bench dashboard lock browser-deps clean help

help:
	@echo "make run      - build the environment if needed, then write the report on the embedded data into $(OUT)/$(LANG_)/ (LANG_=en: $(OUT)/en/)"
	@echo "make test     - build the environment if needed, then run the whole test suite"
	@echo "make lab      - JupyterLab on notebooks/ at http://127.0.0.1:$(LAB_PORT)/ (LAB_ARGS=... for more options)"
	@echo "make figures  - regenerate every paper figure in figures/"
	@echo "make bench    - run the benchmarks and print speed-up ratios"
	@echo "make dashboard - serve the plan simulator as a Voila web page (installs voila)"
	@echo "make lock     - re-resolve $(LOCK) from pyproject.toml"

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required (set PYTHON=python3.11)")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip install --quiet --python $(PY) -r $(LOCK)
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $(STAMP)

# one folder per language: `make run` writes out/zh/, `make run LANG_=en` writes out/en/
run: $(STAMP)
	$(PY) -m kexie_research report --out $(OUT)/$(LANG_) --lang $(LANG_) --seed $(SEED)

test: $(STAMP) browser-deps
	MPLBACKEND=Agg $(PY) -m pytest -n 2 --dist loadgroup

# The real-browser widget test needs Debian's Chromium and a CJK font (see RECIPES.md);
# installed here through the project's own setup, never a downloaded browser build.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium and fonts-noto-cjk from Debian"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	      || echo "warning: could not install chromium; the browser test will be skipped"; \
	  else echo "warning: chromium missing and not root; the browser test will be skipped"; fi; \
	fi

# bound to this machine only (127.0.0.1); open the printed URL (it carries the token)
lab: $(STAMP)
	env -u MPLBACKEND $(VENV)/bin/jupyter lab --ip=127.0.0.1 --port=$(LAB_PORT) \
	  --ServerApp.root_dir=notebooks $(ALLOW_ROOT) $(LAB_ARGS)

figures: $(STAMP)
	$(PY) -m kexie_research figures --out figures --seed $(SEED)

bench: $(STAMP)
	$(UV) pip install --quiet --python $(PY) -r requirements/bench.txt
	MPLBACKEND=Agg $(PY) -m benchmarks $(BENCH_ARGS)

dashboard: $(STAMP)
	$(UV) pip install --quiet --python $(PY) -r requirements/dashboard.txt
	$(VENV)/bin/voila --Voila.ip=127.0.0.1 notebooks/06_plan_simulator.ipynb

lock:
	test -x $(UV) || { $(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet uv; }
	$(UV) pip compile --quiet --python-version 3.11 pyproject.toml --extra dev -o $(LOCK)
	$(UV) pip compile --quiet --python-version 3.11 pyproject.toml --extra dev --extra bench -o requirements/bench.txt
	$(UV) pip compile --quiet --python-version 3.11 pyproject.toml --extra dev --extra dashboard -c $(LOCK) -o requirements/dashboard.txt

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
