#!/usr/bin/env bash
# Set up everything streamlib needs on this machine: system packages (apt, when
# root), a virtual environment in .venv, and streamlib with its dev tools.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

# System packages the processors and tests use, installed with apt when root:
# one file per feature in scripts/apt/ (one package a line, '#' comments).
# The core needs none.
APT_PACKAGES=()
for list in scripts/apt/*.txt; do
    [[ -e "$list" ]] || continue
    while read -r pkg _; do
        [[ -n "$pkg" && "$pkg" != \#* ]] && APT_PACKAGES+=("$pkg")
    done < "$list"
done

say() { printf '[setup] %s\n' "$*" >&2; }

missing_apt=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing_apt+=("$pkg")
done
if ((${#missing_apt[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        say "installing system packages: ${missing_apt[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing_apt[@]}" >/dev/null
    else
        say "missing system packages: ${missing_apt[*]}"
        say "install them with: sudo apt-get install ${missing_apt[*]}  (then run this again)"
        exit 1
    fi
fi

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "streamlib needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1 || echo missing)"
    say "set PYTHON=/path/to/python3.11 and run this again"
    exit 1
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating virtual environment $VENV"
    "$PYTHON" -m venv "$VENV"
fi
say "installing streamlib and its dev tools into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
say "ready: $VENV/bin/streamlib --help"
