# edge_assets: `make demo` runs the whole lineage on the simulator, `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONSTRAINTS := constraints.txt
DAYS ?= 14
SEED ?= 7
SCENARIO ?= realistic
HOME_DIR ?= .edge/demo

.PHONY: install lock demo dev test test-quick bench lint validate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Re-pin on purpose: resolve pyproject's dependencies afresh (no pins) in a throwaway venv, then freeze.
lock:
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/pip" install --quiet --upgrade pip; \
	"$$tmp/venv/bin/pip" install --quiet -e '.[test]'; \
	{ echo "# Exact versions for reproducible installs: make install runs pip install -c $(CONSTRAINTS)."; \
	  echo "# Refreshed on purpose by make lock: pyproject's dependencies resolved afresh, without these"; \
	  echo "# pins, in a throwaway venv, then pip freeze --exclude-editable. Do not edit by hand."; \
	  "$$tmp/venv/bin/pip" freeze --exclude-editable; } > "$$tmp/$(CONSTRAINTS)"; \
	mv "$$tmp/$(CONSTRAINTS)" $(CONSTRAINTS)

demo: install
	$(BIN)/edge-assets demo --days $(DAYS) --seed $(SEED) --scenario $(SCENARIO) --home $(HOME_DIR)

dev: install
	$(BIN)/edge-assets dev --home $(HOME_DIR) --seed $(SEED) --scenario $(SCENARIO) --days $(DAYS)

test: install
	$(BIN)/pytest -q

test-quick: install
	$(BIN)/pytest -q -m "not slow"

bench: install
	$(BIN)/python bench/demo_footprint.py

lint: install
	$(BIN)/ruff check edge_assets edge_assets_tests bench

validate: install
	$(BIN)/dagster definitions validate -w workspace.yaml

clean:
	rm -rf .edge
