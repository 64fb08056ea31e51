# Two commands: `make run` sets the box up and starts it; `make test` sets it up and runs the tests.
# Every step is idempotent and cached, so a second `make` does little.

SHELL      := /bin/bash
PYTHON     ?= /usr/bin/python3
VENV       := $(CURDIR)/.venv
STAMPS     := $(CURDIR)/.stamps
export CALLBOX_DATA ?= $(CURDIR)/var
export CALLBOX_CACHE ?= $(HOME)/.cache/callbox

.PHONY: run test setup packages venv pjsua2 prompts bench clean

run: setup
	$(VENV)/bin/callbox run

test: setup
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

setup: packages venv pjsua2 prompts

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

bench: setup
	$(VENV)/bin/python bench/calls.py

clean:
	rm -rf $(STAMPS) build *.egg-info
