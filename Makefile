# One command each: `make run` starts everything, `make test` proves it, `make bench` measures it.
# Only Python 3.11+ is needed; uv (from PyPI) installs the rest into .venv.

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: install run test test-fast bench lint clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

install: $(UV)
	$(UV) sync --frozen --quiet

run: install
	$(UV) run --frozen paynto up

# Lint and types first: a style or type error fails CI like a failing test.
test: install lint
	$(UV) run --frozen pytest

# The fast tier while you work: everything but the tests that start services as processes
# (e2e), sandboxes with a real dev server or a browser (slow). `make test` runs them all.
test-fast: install lint
	$(UV) run --frozen pytest -m "not e2e and not slow"

# `make bench BENCH="scrape auth"` runs only those (see bench/__main__.py for the names).
bench: install
	$(UV) run --frozen python -m bench $(BENCH)

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen mypy libs/common/src libs/cli/src services/*/src

clean:
	rm -rf .data .venv .tools
