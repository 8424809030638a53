# The two commands of the README are `make serve` and `make test`; everything else is
# for contributors. Each target creates and fills .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Material prints a notice about MkDocs 2.0 on every run; it is not ours to act on.
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve site test bench chapter clean-cache clean

# One chapter at a time: `make serve CHAPTER=my_chapter`, `make test CHAPTER=my_chapter`.
CHAPTER ?=
# The site `make test` builds before the tests run (and the tests then read).
TEST_SITE := .cache/test-site
# What `make test CHAPTER=…` runs: the chapter's own tests, then its claims at every seed and
# backend, its snippets' contract and recorded sweeps, its page, and its Chinese texts and
# page (BOOK_CHAPTER narrows them).
CHAPTER_TESTS = tests/$(CHAPTER) tests/test_claims.py tests/book/test_snippet_contract.py \
	tests/book/test_sweep.py tests/book/test_pages.py tests/book/test_translations.py

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

## serve: build the site (running every changed snippet) and serve it with live reload
## serve CHAPTER=<slug>: run only that chapter's snippets, the rest from the cache
serve: $(STAMP)
ifdef CHAPTER
	@set -e; only=$$($(BIN)/python -m book.chapters only "$(CHAPTER)"); \
	echo "BOOK_ONLY=$$only (the other chapters come from the cache)"; \
	BOOK_ONLY="$$only" $(BIN)/mkdocs serve --livereload
else
	$(BIN)/mkdocs serve --livereload
endif

## site: static build into site/, failing on any warning, broken link or failed snippet
site: $(STAMP)
	$(BIN)/mkdocs build --strict

## test: the whole test suite (claims at every seed, the strict site build, failure paths)
## test CHAPTER=<slug>: one chapter's tests, claims, contract, sweeps and page (no site build)
test: $(STAMP)
ifdef CHAPTER
	@$(BIN)/python -m book.chapters only "$(CHAPTER)" >/dev/null
	BOOK_CHAPTER="$(CHAPTER)" $(BIN)/python -m pytest $(CHAPTER_TESTS)
else
	@scripts/ensure_chromium.sh
	@# The long waits first, in the open (a progress line each): the strict site build, which
	@# runs every changed snippet, then the claims' second numeric backend. The tests reuse
	@# both; a build that fails leaves no site, and the tests then report its failure.
	@rm -rf $(TEST_SITE)
	@echo "Building the site (strict) for the tests: $(TEST_SITE)"
	@$(BIN)/mkdocs build --strict --site-dir $(TEST_SITE) || rm -rf $(TEST_SITE)
	@echo "Measuring the claims under the second numeric backend (ATEN_CPU_CAPABILITY=default)"
	@ATEN_CPU_CAPABILITY=default $(BIN)/python -m book.runner --claims-only --quiet || true
	BOOK_TEST_SITE=$(TEST_SITE) $(BIN)/python -m pytest
endif

## chapter: scaffold a chapter: make chapter NAME=my_chapter TITLE="My chapter"
chapter: $(STAMP)
	$(BIN)/python -m book.new "$(NAME)" "$(TITLE)"

## bench: cold, warm, one-changed and execution-off build times, and per-snippet times
bench: $(STAMP)
	$(BIN)/python scripts/bench.py

clean-cache:
	rm -rf .cache/book

clean: clean-cache
	rm -rf site $(VENV)
