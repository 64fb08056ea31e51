# Two commands: `make run` sets the box up and starts it; `make test` sets it up and runs the tests.
# Every step is idempotent and cached, so a second `make` does little.

SHELL      := /bin/bash
PYTHON     ?= /usr/bin/python3
VENV       := $(CURDIR)/.venv
STAMPS     := $(CURDIR)/.stamps
export CALLBOX_DATA ?= $(CURDIR)/var
export CALLBOX_CACHE ?= $(HOME)/.cache/callbox

.PHONY: run test lint setup packages venv pjsua2 prompts translations translations-update bench clean image bundle test-image

run: setup
	$(VENV)/bin/callbox run

# The suite runs in two parts: most tests on TEST_WORKERS processes (a test module stays on one, so a
# module's box is started once), then the tests marked `alone` (rates, clock ticks) by themselves.
# PYTEST_ARGS narrows both (paths, -k); pytest's exit code 5 (nothing selected) is not a failure.
TEST_WORKERS ?= 2
test: setup lint
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not alone" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(VENV)/bin/python -m pytest -m alone $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Style and import checks: fast, so they run first and a lint error fails `make test` at once.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

setup: packages venv pjsua2 prompts cython translations

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

# The pages' catalogues (webui/translations/<lang>/LC_MESSAGES/messages.po, committed) compiled to
# .mo (not committed); a .mo newer than its .po is left alone. The web also compiles a stale one at start.
PO_FILES := $(wildcard webui/translations/*/LC_MESSAGES/messages.po)
translations: $(PO_FILES:.po=.mo)
webui/translations/%/LC_MESSAGES/messages.mo: webui/translations/%/LC_MESSAGES/messages.po | venv
	$(VENV)/bin/pybabel compile -l $* -i $< -o $@

# After wrapping new page text: the sources' messages into every catalogue (then translate the new
# ones; tests/web/test_i18n_catalogues.py fails while one is missing, untranslated or fuzzy).
translations-update: venv
	mkdir -p build
	$(VENV)/bin/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output --width=120 \
		--project=Callbox -o build/messages.pot .
	$(VENV)/bin/pybabel update -i build/messages.pot -d webui/translations --no-fuzzy-matching \
		--ignore-obsolete --width=120

BABEL_KEYWORDS := -k N_ -k Message -k FieldError:2 -k _l -k _lp:1c,2

# The appliance's disk image (docs/appliance.md): build/image/callbox-<board>.img from Debian
# bookworm packages; the base root file system is cached in $(CALLBOX_CACHE)/image.
ARCH ?= amd64
image: setup
	image/build.sh $(ARCH) $(VENV)

# The signed RAUC update bundle (verity) of the root file system `make image` built last:
# build/image/callbox-<board>-<version>.raucb. Development signer unless CALLBOX_SIGNING_CERT,
# CALLBOX_SIGNING_KEY and CALLBOX_UPDATE_KEYRING name the production ones (docs/appliance.md, "Updates").
bundle: image
	image/update/make-bundle.sh $(ARCH)

# Builds the image (from the cached base) and boots it in QEMU: its own target, as a boot under
# TCG does not fit in `make test`'s time (docs/appliance.md); `make test` deselects tests/appliance.
test-image: setup
	CALLBOX_TEST_IMAGE=1 $(VENV)/bin/python -m pytest tests/appliance -s $(PYTEST_ARGS)

bench: setup
	$(VENV)/bin/python bench/calls.py

clean:
	rm -rf $(STAMPS) build *.egg-info
