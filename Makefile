# Two commands on a fresh machine: `make demo` then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KERNEL := msp-analysis
DEMO_RAW := data/raw/demo
DEMO_PROCESSED := data/processed/demo
DEMO_REPORTS := reports/demo
DEMO_YEAR ?= 2023-24
DEMO_SEED ?= 20261127
# a third of England's volumes (--scale 1 gives about 99,000 concluded enquiries a year): every council, quick to render
DEMO_SCALE ?= 0.33

.PHONY: demo test test-fast lint lab lock clean-demo env

env: $(VENV)/.installed

# The environment is rebuilt when the lock or the project metadata changes.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (msp-analysis)"
	touch $@

# The demo data are made once (delete them, or `make clean-demo`, to simulate again); the reports are
# rendered in one batch of warm kernels and skipped when nothing they read has changed.
DEMO_DATA := $(DEMO_PROCESSED)/evaluation.parquet $(DEMO_PROCESSED)/temperature_check.parquet \
	$(DEMO_PROCESSED)/person_feedback.parquet

# DEMO_ARGS: more reports-demo options, e.g. make demo DEMO_ARGS="--pdf --tables reports/demo/tables"
DEMO_ARGS ?=

demo: env $(DEMO_DATA)
	$(BIN)/msp-analysis reports-demo --year $(DEMO_YEAR) --data-dir $(DEMO_PROCESSED) --out $(DEMO_REPORTS) \
		$(if $(MSP_REAL_DATA),--real-data-dir $(MSP_REAL_DATA)) $(DEMO_ARGS)
	@echo "Open $(DEMO_REPORTS)/index.html"

$(DEMO_RAW)/SIMULATED.json: | env
	$(BIN)/msp-analysis simulate --out $(DEMO_RAW) --seed $(DEMO_SEED) --scale $(DEMO_SCALE)

$(DEMO_PROCESSED)/evaluation.parquet: $(DEMO_RAW)/SIMULATED.json
	$(BIN)/msp-analysis clean evaluation $(DEMO_RAW)/evaluation.csv --out $(DEMO_PROCESSED)

$(DEMO_PROCESSED)/temperature_check.parquet: $(DEMO_RAW)/SIMULATED.json
	$(BIN)/msp-analysis clean temperature_check $(DEMO_RAW)/temperature_check.csv --out $(DEMO_PROCESSED)

$(DEMO_PROCESSED)/person_feedback.parquet: $(DEMO_RAW)/SIMULATED.json
	$(BIN)/msp-analysis clean person_feedback $(DEMO_RAW)/person_feedback.csv --out $(DEMO_PROCESSED)

# The layer order (import-linter) is part of the tests; ruff and mypy are `make lint` (run by CI too).
# Tests run in parallel (pytest-xdist), one worker per core unless TEST_JOBS says otherwise (TEST_JOBS=0: in process).
TEST_JOBS ?= auto
# Python writes the compiled modules (in the ignored __pycache__ folders) even where PYTHONDONTWRITEBYTECODE is set:
# otherwise every test process, and every CLI or kernel process a test starts, compiles the package and the
# tests from source (and pytest rewrites every test module's asserts) on every run, about 5 s of CPU each.
test test-fast: export PYTHONDONTWRITEBYTECODE =

test: env
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n $(TEST_JOBS)

# No kernels, browsers or long simulations: under 90 s on a 2-core machine.
test-fast: env
	$(BIN)/python -m pytest -n $(TEST_JOBS) -m "not kernel and not browser and not long"

lint: env
	$(BIN)/ruff check msp_analysis tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# JupyterLab in notebooks/, the project's kernel the default for a new notebook. Each kernel starts in its
# notebook's folder; relative paths in the notebooks are read from the project root (.msp-project) all the same.
# LAB_ARGS adds options, e.g. `make lab LAB_ARGS="--no-browser --ServerApp.port=8890"`.
LAB_ARGS ?=
lab: env
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks --MappingKernelManager.default_kernel_name=$(KERNEL) $(LAB_ARGS)

# Refresh the lock from the newest releases that satisfy pyproject.toml (needs the network).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e ".[test,lint]"
	{ echo "# Exact versions installed by 'make' (regenerate with 'make lock'); Python 3.11, Linux x86_64."; \
	  .lock-venv/bin/pip freeze --exclude-editable; } > requirements.lock
	rm -rf .lock-venv

clean-demo:
	rm -rf $(DEMO_RAW) $(DEMO_PROCESSED) $(DEMO_REPORTS)
