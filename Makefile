# The two commands of the README are `make serve` and `make test`; everything else is
# for contributors. Each target creates and fills .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Material prints a notice about MkDocs 2.0 on every run; it is not ours to act on.
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve site test bench clean-cache clean

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

## serve: build the site (running every changed snippet) and serve it with live reload
serve: $(STAMP)
	$(BIN)/mkdocs serve --livereload

## site: static build into site/, failing on any warning, broken link or failed snippet
site: $(STAMP)
	$(BIN)/mkdocs build --strict

## test: the whole test suite (claims at every seed, the strict site build, failure paths)
test: $(STAMP)
	@scripts/ensure_chromium.sh
	$(BIN)/python -m pytest

## bench: cold, warm, one-changed and execution-off build times, and per-snippet times
bench: $(STAMP)
	$(BIN)/python scripts/bench.py

clean-cache:
	rm -rf .cache/book

clean: clean-cache
	rm -rf site $(VENV)
