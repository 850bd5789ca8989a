# Two commands set everything up on a fresh machine:
#   make demo   -> the video's example, explained
#   make test   -> every test (it writes only to temporary folders: the tree stays as it was)
#   make screenshots -> the README's pictures of the explorer (docs/screenshots/), from the browser tests
#   make docs   -> the documentation site, built from real runs (mkdocs build --strict) into site/, with the static
#                  explorer in site/explorer/ (docs/hooks/static_explorer.py)
#   make site   -> the static explorer alone, into site/explorer/ (chainrule site: any static host can serve it)
#   make docs-serve -> the same site served at http://127.0.0.1:8000/, rebuilt as you edit
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench screenshots docs docs-serve site clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[docs]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/chainrule demo

# The formulas' KaTeX check runs a real KaTeX (npm, package-lock.json) with Node.js.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The static explorer's wheels: chainrule's own, built from this checkout, and the pure-Python wheels it imports in
# the browser, at the versions installed here (chainrule site copies them beside Pyodide).
WHEELS := build/wheels
$(WHEELS)/.made: pyproject.toml $(shell find src/chainrule -type f -not -path '*/__pycache__/*') | $(BIN)/python
	rm -rf $(WHEELS) && mkdir -p $(WHEELS)
	$(BIN)/python -m pip wheel -q --no-deps -w $(WHEELS) .
	$(BIN)/python -m pip download -q --no-deps --only-binary=:all: -d $(WHEELS) \
		$$($(BIN)/python -c "from importlib.metadata import version as v; print(*(f'{n}=={v(n)}' for n in ('sympy', 'mpmath')))")
	touch $@

# Every test runs: the docs extra too, since the site's tests build the site (once) when CI has not built it; the
# static explorer's tests build it from node_modules and the wheels.
test: $(VENV)/.installed-test $(VENV)/.installed-docs node_modules/.installed $(WHEELS)/.made
	$(BIN)/python -m pytest

# The browser tests check each page, then save its picture where CHAINRULE_SCREENSHOTS says.
screenshots: $(VENV)/.installed-test node_modules/.installed
	CHAINRULE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest tests/test_web_browser.py tests/test_web_playground.py tests/test_web_pages.py tests/test_web_pages_exercise.py tests/test_web_stepthrough_view.py tests/test_web_playground_feel.py -q -p no:cacheprovider

# The site runs every example while it builds (chainrule, the notebooks, the API's docstrings); KaTeX and the
# offline search's shim come from npm (node_modules/) and are served from the site itself.
docs: $(VENV)/.installed-docs node_modules/.installed $(WHEELS)/.made
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

site: $(VENV)/.installed node_modules/.installed $(WHEELS)/.made
	$(BIN)/chainrule site --out site/explorer

docs-serve: $(VENV)/.installed-docs node_modules/.installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

bench: $(VENV)/.installed-bench
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build site src/*.egg-info .pytest_cache
