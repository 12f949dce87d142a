# Two commands on a fresh machine: `make demo` installs and runs the walkthrough, `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: install demo test

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

install: $(PY)
	$(PY) -m pip install -q -e '.[test]'

demo: install
	PYTHON=$(abspath $(PY)) examples/walkthrough/run_all.sh

test: install
	$(PY) -m pytest -q
