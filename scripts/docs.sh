#!/usr/bin/env bash
# Build the docs site (mkdocs.yml) with warnings as errors, then check its links.
#
#   bash scripts/docs.sh            # into site/ (git-ignored)
#   bash scripts/docs.sh OUT_DIR    # anywhere else
#
# Needs the dev extra (mkdocs, mkdocs-material, mkdocstrings[python]) and every
# other extra: the API reference reads the docstrings, and the processor catalogue
# (processors.md, written at build time by scripts/docs_catalog.py) asks the
# registry, which must load every built-in processor type.
# `.venv/bin/mkdocs serve` previews the site while you edit.
set -euo pipefail
cd "$(dirname "$0")/.."
python=.venv/bin/python
[[ -x $python ]] || python=python3
out=${1:-site}
started=$(date +%s%N)
echo "== mkdocs build --strict -> $out"
# Not --quiet: it hides the warnings from --strict too, which then passes anything.
# Material for MkDocs prints a notice about its successor on every build; it is
# not a problem with these docs. INFO lines are left out (pipefail keeps the status).
NO_MKDOCS_2_WARNING=1 "$python" -m mkdocs build --strict --clean --site-dir "$out" 2>&1 |
    { grep -v '^INFO' || true; }
echo "== links: the site's internal links, README.md's links and the paths the docs name"
"$python" scripts/check_links.py --site "$out" README.md --paths-only docs
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
echo "docs: built and checked in $((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000))) s ($out/index.html)"
