# Two commands on a fresh machine:
#   make demo   install, then materialize the demo Dagster job (the README walkthrough as assets) on generated images
#   make test   install, then run the test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
VENV2  ?= .venv-duckdb2
PY2    := $(VENV2)/bin/python
CORE_TESTS := tests/chain tests/memory tests/udf tests/runtime
DAGSTER_HOME ?= $(abspath .dagster_home)

.PHONY: install install-demo demo scripts dev lint test test-duckdb2

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# constraints.txt pins every dependency to versions tested together (pip's resolver alone backtracks for many
# minutes over dagster-dg-cli, datasets and their pins); refresh it with `pip freeze --exclude-editable`
install: $(PY)
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'

install-demo: $(PY)
	$(PY) -m pip install -q -c constraints.txt -e '.[ui]'

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME) && printf 'telemetry:\n  enabled: false\n' > $@

demo: install-demo $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) $(PY) -m definitions.demo

scripts: install-demo
	PYTHON=$(abspath $(PY)) examples/walkthrough/run_all.sh

dev: install-demo $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH dg dev -h 127.0.0.1

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest -q

# `make install` gives DuckDB 1.5.5 (the version team features need); the engine's core suites also run on 2.x
$(PY2):
	$(PYTHON) -m venv $(VENV2)
	$(PY2) -m pip install -q --upgrade pip

# the same pins as .venv but for DuckDB; jmespath: read_json(jmespath=); moto + s3fs: the chain tests that use S3
test-duckdb2: $(PY2)
	grep -v '^duckdb==' constraints.txt > $(VENV2)/constraints.txt
	$(PY2) -m pip install -q -c $(VENV2)/constraints.txt -e '.[s3]' pytest pytest-timeout jmespath 'moto[server]' 'duckdb>=2,<3'
	$(PY2) -m pytest -q -p no:cacheprovider $(CORE_TESTS)
