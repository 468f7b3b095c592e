# theorylab: the two set-up commands are `make verify` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
REPORT ?= report
PYTEST_ARGS ?=

.PHONY: verify test test-slow docs docs-check browser bench clean help

help:
	@echo "make verify   create $(VENV), install theorylab (+ the peers claims compare with), run every claim, write $(REPORT)/"
	@echo "make test     create $(VENV), install with test extras, run pytest (slow tests excluded)"
	@echo "make docs     build the documentation (tutorials executed, warnings are errors)"
	@echo "make docs-check  build the docs, run Sphinx linkcheck (internal links) and look at every page in headless Chromium"
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

# Debian's Chromium and ChromeDriver for the browser checks of the docs (tests/test_docs_site.py and
# docs-check). Needs root for apt-get; without it the browser tests skip and say why.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  (apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1)) || \
	  echo "make browser: could not install chromium (no root?); the browser checks will skip"

verify: $(VENV)/.stamp-verify
	$(VENV)/bin/theorylab verify --report $(REPORT)

test: $(VENV)/.stamp-test browser
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

test-slow: $(VENV)/.stamp-test
	$(PY) -m pytest -n 2 -m slow $(PYTEST_ARGS)

docs: $(VENV)/.stamp-docs
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

# linkcheck checks the sources' local links (external addresses are skipped: no network is assumed);
# check_site.py then opens every built page in Chromium: math typeset, images loaded, links and anchors
docs-check: docs browser
	$(PY) -m sphinx -q -b linkcheck -D nb_execution_mode=off -D "linkcheck_ignore=^https?://" -D suppress_warnings=myst-nb.lexer docs docs/_build/linkcheck
	$(PY) docs/check_site.py --site docs/_build/html --out docs/_build/screenshots

bench: $(VENV)/.stamp-bench
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(REPORT) docs/_build docs/jupyter_execute build dist *.egg-info .pytest_cache .hypothesis
