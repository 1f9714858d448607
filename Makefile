# The two commands of the README's quick start, and the helpers they share.
# Works on a fresh Debian 12 machine with Python 3.11 and pip; installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages the project needs at run or test time: pango, harfbuzz and a font for
# WeasyPrint (PDFs); debootstrap, the archive keyring, zstd and ssh for the lab workstations,
# systemd-container for booted ones (systemd-nspawn) and lynis to score the baseline;
# qpdf and poppler-utils for the tests that open every PDF the way strict readers do;
# chromium for the tests that open the HTML pages in a real browser; postgresql (the server
# binaries, initdb and pg_ctl) for the tests that run the state store on a throwaway cluster.
DEBIAN_PACKAGES ?= libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
	libfontconfig1 fonts-dejavu-core debootstrap debian-archive-keyring zstd openssh-client \
	systemd-container lynis \
	qpdf poppler-utils chromium postgresql

.PHONY: demo test test-fast lint bench setup debian-packages clean

## demo: set everything up and run the whole story on the bundled sample company
## (scripts/demo.py: check, lab + provisioning + remote check when root, agreements, van
## runs, the support rota, a few signatures and deliveries, the readiness report, an index
## of out/)
demo: setup
	$(BIN)/python scripts/demo.py

## test: set everything up and run the whole test suite (CI runs this, as root)
test: setup
	$(BIN)/python -m pytest

## test-fast: everything but the root (lab) and slow tests, for a quick check while working
test-fast: setup
	$(BIN)/python -m pytest -m "not root and not slow" -q

## lint: ruff and ansible-lint (production profile)
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd playbooks && PATH="$(CURDIR)/$(BIN):$$PATH" ../$(BIN)/ansible-lint --profile production --offline .

## bench: the benchmarks (slow; prints tables with ratios against their baselines)
bench: setup
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/contracts.py
	$(BIN)/python bench/provision.py
	$(BIN)/python bench/routes.py
	$(BIN)/python bench/rota.py
	$(BIN)/python bench/readiness.py
	$(BIN)/python bench/state.py
	$(BIN)/python bench/baseline.py

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml | debian-packages
	@if [ ! -x $(BIN)/python ]; then \
	  $(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	    rm -rf $(VENV); \
	    if [ "$$(id -u)" = 0 ]; then \
	      echo "== python3-venv is missing; installing it with apt-get"; \
	      apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); \
	    else \
	      echo "Cannot create a virtual environment: run 'sudo apt-get install python3-venv' and try again." >&2; \
	      exit 1; \
	    fi; }; \
	fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

debian-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "== Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "remoteops needs these Debian packages:$$missing" >&2; \
	    echo "Install them with: sudo apt-get install$$missing   (then run make again)" >&2; \
	    exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
