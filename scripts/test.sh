#!/usr/bin/env bash
# Set up, then run every check: ruff (lint + format), mypy (strict), the test suite,
# and, on a full run, the docs site (strict, link check) and the extras matrix
# (each `pip install 'streamlib[x]'` on its own, in fresh environments).
# Extra arguments go to pytest and skip the docs and extras steps, e.g.
# `bash scripts/test.sh -k graph`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff check"
.venv/bin/ruff check src tests bench scripts
echo "== ruff format --check"
.venv/bin/ruff format --check src tests bench scripts
echo "== mypy --strict"
.venv/bin/mypy
echo "== pytest (with branch coverage)"
.venv/bin/python -m pytest --cov=streamlib --cov-branch --cov-report=term:skip-covered "$@"
if (($# == 0)); then
    echo "== docs"
    bash scripts/docs.sh
    echo "== extras matrix"
    bash scripts/check_extras.sh
fi
