# Dasuhe case study report. Two commands on a fresh machine:
#   make site   build everything (data check, figures, tables, every page executed, the Quarto site)
#   make test   run the test suite
# Everything runs from a local .venv built from requirements.txt.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Caches stay inside the project, not in $HOME.
export MPLCONFIGDIR        := $(CURDIR)/.cache/matplotlib
export JUPYTER_CONFIG_DIR  := $(CURDIR)/.cache/jupyter/config
export JUPYTER_DATA_DIR    := $(CURDIR)/.cache/jupyter/data
export JUPYTER_RUNTIME_DIR := $(CURDIR)/.cache/jupyter/runtime
export IPYTHONDIR          := $(CURDIR)/.cache/ipython
export PYTHONDONTWRITEBYTECODE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Quarto runs the notebooks with the project's Python.
export QUARTO_PYTHON       := $(CURDIR)/$(PY)

.PHONY: site test validate figures tables bench venv clean distclean

site: $(STAMP)
	$(PY) -m analysis site

test: $(STAMP)
	$(PY) -m pytest

validate: $(STAMP)
	$(PY) -m analysis validate

figures: $(STAMP)
	$(PY) -m analysis figures

tables: $(STAMP)
	$(PY) -m analysis tables

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit $$?; done

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	mkdir -p .cache
	$(PY) -m pip install --quiet -r requirements.txt > .cache/pip.log 2>&1 || { cat .cache/pip.log; exit 1; }
	$(PY) -m pip install --quiet --no-deps -e . > .cache/pip.log 2>&1 || { cat .cache/pip.log; exit 1; }
	# the git filter that keeps notebooks' outputs out of commits (.gitattributes names it); cell ids kept
	if git rev-parse --git-dir >/dev/null 2>&1; then $(VENV)/bin/nbstripout --install && \
	  git config filter.nbstripout.clean '"$(CURDIR)/$(PY)" -m nbstripout --keep-id'; fi
	touch $@

clean:
	rm -rf _site .cache tables benchmarks/out .pytest_cache .hypothesis .quarto
	find figures -mindepth 1 ! -name README.md -delete

distclean: clean
	rm -rf $(VENV)
