# Two commands on a fresh machine:
#   make demo   install, then run the demo Dagster job (the README walkthrough as assets) on generated local images
#   make test   install, then run the test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DAGSTER_HOME ?= $(abspath .dagster_home)

.PHONY: install demo scripts dev test

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

install: $(PY)
	$(PY) -m pip install -q -e '.[test]'

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME) && printf 'telemetry:\n  enabled: false\n' > $@

demo: install $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) $(VENV)/bin/dagster job execute -m definitions.defs -j walkthrough
	$(PY) -c "import dagster_datachain as dc; dc.read_dataset('similar_to_reference').show()"

scripts: install
	PYTHON=$(abspath $(PY)) examples/walkthrough/run_all.sh

dev: install $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) $(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1

test: install
	$(PY) -m pytest -q
