#!/usr/bin/env bash
# Set up, then run every check: ruff (lint + format), mypy (strict), the test suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k graph`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff check"
.venv/bin/ruff check src tests bench
echo "== ruff format --check"
.venv/bin/ruff format --check src tests bench
echo "== mypy --strict"
.venv/bin/mypy
echo "== pytest (with branch coverage)"
.venv/bin/python -m pytest --cov=streamlib --cov-branch --cov-report=term:skip-covered "$@"
