# The two commands of the README's quick start, and the helpers they share.
# Works on a fresh Debian 12 machine with Python 3.11 and pip; installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages the project needs at run or test time: pango, harfbuzz and a font for
# WeasyPrint (PDFs); debootstrap, the archive keyring, zstd and ssh for the lab workstations;
# qpdf and poppler-utils for the tests that open every PDF the way strict readers do;
# chromium for the tests that open the HTML pages in a real browser.
DEBIAN_PACKAGES ?= libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
	libfontconfig1 fonts-dejavu-core debootstrap debian-archive-keyring zstd openssh-client \
	qpdf poppler-utils chromium

.PHONY: demo test test-fast lint bench setup debian-packages clean

## demo: set everything up and run the main job on the bundled sample company
demo: setup
	@echo "== Checking the sample company in inventory/"
	$(BIN)/remoteops --inventory inventory check
	@echo "== The employees"
	$(BIN)/remoteops --inventory inventory employees list
	@echo "== Rendering every scheduled employee's agreement packet (PDF/A, owner-only)"
	$(BIN)/remoteops --inventory inventory contracts render --all
	@echo "== Planning the van runs that bring the equipment home (8 working days from 2026-12-01)"
	$(BIN)/remoteops --inventory inventory routes plan --from 2026-12-01 --days 8
	$(BIN)/remoteops --inventory inventory routes sheet 2026-12-01
	$(BIN)/remoteops --inventory inventory routes map
	@echo "== Planning the support rota for 4 weeks from 2027-01-04 (phone, chat, tickets, triage, IT on-call)"
	$(BIN)/remoteops --inventory inventory rota plan --from 2027-01-04 --weeks 4
	$(BIN)/remoteops --inventory inventory rota export --week 2027-W01
	@echo
	@echo "Done. Inputs: inventory/ (see inventory/README.md). State: .remoteops/state.db."
	@echo "Outputs (owner-only): out/contracts/ (agreement packets, manifest.csv),"
	@echo "  out/routes/ (run sheets as PDF and CSV, route maps),"
	@echo "  out/rota/ (the support rota: CSV, JSON, calendars, the printable week)."
	@echo "Try: $(BIN)/remoteops employees show E0001   or   $(BIN)/remoteops --help"

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
