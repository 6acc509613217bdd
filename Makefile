# The README's commands. `make test` is what CI runs (.ci/run).
PY := .venv/bin/python
export PYTHONPATH := $(CURDIR)

.PHONY: help venv system test lint typecheck pytest bench clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

venv:  ## create or refresh .venv from requirements/lock.txt (cached by its hash)
	@bash scripts/venv.sh

system:  ## install the Debian packages (speech engines) when missing
	@bash scripts/system_deps.sh

test: venv system  ## ruff, mypy and the whole pytest suite
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest

lint: venv  ## ruff only
	$(PY) -m ruff check .

typecheck: venv  ## mypy only
	$(PY) -m mypy

bench: venv  ## speed benchmarks (ratios to the equal-FLOP floor)
	$(PY) -m benchmarks.bench_conv
	$(PY) -m benchmarks.bench_vgg

clean:  ## remove caches (the shared venv stays in ~/.cache/cvq-audio)
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
