# theorylab: the two set-up commands are `make verify` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
REPORT ?= report
PYTEST_ARGS ?=

.PHONY: verify test test-slow docs bench clean help

help:
	@echo "make verify   create $(VENV), install theorylab (+ the peers claims compare with), run every claim, write $(REPORT)/"
	@echo "make test     create $(VENV), install with test extras, run pytest (slow tests excluded)"
	@echo "make docs     build the documentation (tutorials executed, warnings are errors)"
	@echo "make bench    run the peer comparisons in benchmarks/ (installs the bench extra)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# One stamp per extra: re-install when pyproject.toml changes.
$(VENV)/.stamp-verify: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[verify]"
	@touch $@
$(VENV)/.stamp-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $@
$(VENV)/.stamp-docs: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[docs]"
	@touch $@
$(VENV)/.stamp-bench: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[bench]"
	@touch $@

verify: $(VENV)/.stamp-verify
	$(VENV)/bin/theorylab verify --report $(REPORT)

test: $(VENV)/.stamp-test
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

test-slow: $(VENV)/.stamp-test
	$(PY) -m pytest -n 2 -m slow $(PYTEST_ARGS)

docs: $(VENV)/.stamp-docs
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(VENV)/.stamp-bench
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(REPORT) docs/_build docs/jupyter_execute build dist *.egg-info .pytest_cache .hypothesis
