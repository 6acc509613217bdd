# The README's commands. `make test` is what CI runs (.ci/run).
PY := .venv/bin/python
export PYTHONPATH := $(CURDIR)

.PHONY: help venv system test lint typecheck pytest bench data experiments report reproduce clean

JOBS ?= 2
PROFILE ?= quick
# the corpus every run trains on, by name: recorded (Asterisk's recorded voices, the default) or
# tts (four speech engines); the other one is scored as the cross-corpus set (eval.cross_root)
CORPUS ?= recorded
DATA := data/$(CORPUS)
CROSS := data/$(if $(filter tts,$(CORPUS)),recorded,tts)

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

venv:  ## create or refresh .venv from requirements/lock.txt (cached by its hash)
	@bash scripts/venv.sh

system:  ## install the Debian packages (speech engines, codecs, chromium) when missing
	@bash scripts/system_deps.sh

test: venv system  ## ruff, mypy and the whole pytest suite
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest

lint: venv  ## ruff only
	$(PY) -m ruff check .

typecheck: venv  ## mypy only
	$(PY) -m mypy

bench: data  ## speed benchmarks (ratios to the equal-FLOP floor)
	$(PY) -m benchmarks.bench_conv
	$(PY) -m benchmarks.bench_vgg
	$(PY) -m benchmarks.bench_vq
	$(PY) -m benchmarks.bench_autoencoder
	$(PY) -m benchmarks.bench_train_step
	$(PY) -m benchmarks.bench_corpus

data: venv system  ## both corpora, data/recorded and data/tts (each kept if it exists)
	@case "$(CORPUS)" in recorded|tts) ;; \
	  *) echo "error: CORPUS=$(CORPUS): recorded or tts (your own: --data DIR)" >&2; exit 2;; esac
	@test -f data/recorded/manifest.csv || $(PY) -m data_scripts.make_recorded --out data/recorded --quiet
	@test -f data/tts/manifest.csv || $(PY) -m data_scripts.make_commands --out data/tts

# every ablation of the profile in one pool of JOBS workers, then the codec baselines (the quick
# profile answers the three questions; the others add the seed's reproduction)
experiments: data  ## the ablations and codec baselines (PROFILE=quick|reference|paper, JOBS=2, CORPUS=recorded; skips finished runs)
	$(PY) -m experiments --profile $(PROFILE) --jobs $(JOBS) --data $(DATA) eval.cross_root=$(CROSS)

report: venv  ## reports/index.html from the tracked runs in runs/
	$(PY) -m analysis.report

reproduce:  ## everything on a fresh machine: install, corpus, every ablation, the report
	@start=$$(date +%s); $(MAKE) --no-print-directory -j2 venv system && \
	$(MAKE) --no-print-directory experiments && \
	$(MAKE) --no-print-directory report && \
	echo "reproduce: done in $$(( $$(date +%s) - start )) s; open reports/index.html"

clean:  ## remove caches (the shared venv stays in ~/.cache/cvq-audio)
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
