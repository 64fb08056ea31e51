# Two commands: `make run` sets the box up and starts it; `make test` sets it up and runs the tests.
# Every step is idempotent and cached, so a second `make` does little.

SHELL      := /bin/bash
PYTHON     ?= /usr/bin/python3
VENV       := $(CURDIR)/.venv
STAMPS     := $(CURDIR)/.stamps
export CALLBOX_DATA ?= $(CURDIR)/var
export CALLBOX_CACHE ?= $(HOME)/.cache/callbox

.PHONY: run test lint setup packages venv pjsua2 prompts bench clean

run: setup
	$(VENV)/bin/callbox run

test: setup lint
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# Style and import checks: fast, so they run first and a lint error fails `make test` at once.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

setup: packages venv pjsua2 prompts cython

packages:
	image/setup/install-debian-packages.sh

$(STAMPS):
	mkdir -p $@

venv: $(STAMPS)/venv
$(STAMPS)/venv: pyproject.toml | $(STAMPS)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

pjsua2: venv
	image/pjsua2/build.sh $(VENV)

prompts: venv
	$(VENV)/bin/callbox prompts

# The Cython media kernels, built in place (incremental). After pjsua2: the pjmedia port links the
# shared libraries of that build. CYTHON_FLAGS: CALLBOX_CYTHON_DEBUG=1 and/or CALLBOX_CYTHON_ANNOTATE=1.
cython: venv pjsua2
	CALLBOX_PJPROJECT_PREFIX=$$(image/pjsua2/build.sh --print-prefix $(VENV)) $(CYTHON_FLAGS) \
		$(VENV)/bin/python setup.py -q build_ext --inplace

bench: setup
	$(VENV)/bin/python bench/calls.py

clean:
	rm -rf $(STAMPS) build *.egg-info
