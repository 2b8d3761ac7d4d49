# edge_assets: `make demo` runs the whole lineage on the simulator, `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DAYS ?= 14
SEED ?= 7
SCENARIO ?= realistic
HOME_DIR ?= .edge/demo

.PHONY: install demo dev test bench lint validate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/edge-assets demo --days $(DAYS) --seed $(SEED) --scenario $(SCENARIO) --home $(HOME_DIR)

dev: install
	$(BIN)/edge-assets dev --home $(HOME_DIR) --seed $(SEED) --scenario $(SCENARIO) --days $(DAYS)

test: install
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/demo_footprint.py

lint: install
	$(BIN)/ruff check edge_assets edge_assets_tests bench

validate: install
	$(BIN)/dagster definitions validate -w workspace.yaml

clean:
	rm -rf .edge
