#!/usr/bin/env bash
# Make ./.venv hold exactly the pinned dependencies (requirements/lock.txt, which pins the direct
# dependencies of pyproject.toml and everything they pull in). The environment is built once per
# lock hash in a cache outside the clone (CVQ_VENV_CACHE, default ~/.cache/cvq-audio/venvs) and
# .venv is a link to it, so fresh clones and CI reuse it; a bare machine builds it from nothing.
# The project itself is not installed into the shared environment: commands run from the
# repository root (pytest sets pythonpath=.), so a cached venv never points at another clone.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"' \
  || { echo "error: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

hash=$(cat requirements/lock.txt | sha256sum | cut -c1-16)
cache=${CVQ_VENV_CACHE:-$HOME/.cache/cvq-audio/venvs}
target="$cache/py311-$hash"

if [ ! -f "$target/.complete" ]; then
  echo "[venv] building $target from requirements/lock.txt (about 2 minutes, ~6 GB)" >&2
  rm -rf "$target"
  mkdir -p "$cache"
  "$PY" -m venv "$target"
  "$target/bin/python" -m pip install --quiet --no-deps -r requirements/lock.txt >&2
  "$target/bin/python" -m pip check >&2
  touch "$target/.complete"
fi

if [ -e .venv ] && [ ! -L .venv ]; then
  echo "error: .venv is a real environment (not the link this script manages); move it away," \
       "or run the checks in it directly (python -m pytest)" >&2
  exit 1
fi
if [ "$(readlink .venv 2>/dev/null || true)" != "$target" ]; then
  rm -f .venv
  ln -s "$target" .venv
fi
