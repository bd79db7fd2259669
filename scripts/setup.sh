#!/usr/bin/env bash
# Set up what a job needs on this machine: system packages (apt, when root), a
# virtual environment in .venv, and streamlib with the extras the job uses.
#
#   bash scripts/setup.sh               # the tests (default): every apt list, streamlib[dev]
#   bash scripts/setup.sh --for demo    # the demo: streamlib[media], no system package needed
#
# Safe to run again: it only installs what is missing. Without root or apt it
# lists the missing system packages and what works without each, installs the
# Python part anyway, and fails only when the job needs a missing package.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
JOB=test

say() { printf '[setup] %s\n' "$*" >&2; }
usage() { sed -n '2,10s/^# \{0,1\}//p' "$0" >&2; }

while (($#)); do
    case $1 in
    --for) JOB=${2:-}; shift 2 || { usage; exit 2; } ;;
    --for=*) JOB=${1#--for=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) say "unknown option '$1'"; usage; exit 2 ;;
    esac
done

# Every package in scripts/apt/*.txt, with its feature (the file) and what needs it
# (the comment after it on its line).
declare -A FEATURE=() NEEDED_BY=()
ALL_PACKAGES=()
for list in scripts/apt/*.txt; do
    [[ -e "$list" ]] || continue
    while read -r line; do
        pkg=${line%%#*}
        pkg=${pkg//[[:space:]]/}
        [[ -n "$pkg" ]] || continue
        why=""
        [[ "$line" == *"#"* ]] && why=$(sed 's/^[^#]*#[[:space:]]*//' <<<"$line")
        FEATURE[$pkg]=$(basename "$list" .txt)
        NEEDED_BY[$pkg]=$why
        ALL_PACKAGES+=("$pkg")
    done <"$list"
done

# What each job needs (REQUIRED) and what it uses when there (OPTIONAL).
case $JOB in
test)
    REQUIRED=("${ALL_PACKAGES[@]}")
    OPTIONAL=()
    EXTRAS=dev
    WHAT="streamlib with its dev tools"
    ;;
demo)
    # The demo (examples/demo.yaml) is TestPattern, ToneSource, Brightness, Gain,
    # LevelMeter and Mp4Writer: PyAV's wheel brings FFmpeg, nothing comes from apt.
    REQUIRED=()
    OPTIONAL=(ffmpeg)
    EXTRAS=media
    WHAT="streamlib with the media extra"
    ;;
*)
    say "unknown job '$JOB'; use --for test (the default) or --for demo"
    exit 2
    ;;
esac

is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for pkg in "${REQUIRED[@]}" "${OPTIONAL[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done
if ((${#missing[@]})) && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; then
        missing=()
    else
        say "apt-get could not install them"
        still=()
        for pkg in "${missing[@]}"; do is_installed "$pkg" || still+=("$pkg"); done
        missing=("${still[@]}")
    fi
fi

needed_missing=()
if ((${#missing[@]})); then
    if ! command -v dpkg-query >/dev/null; then
        say "cannot check system packages here (no dpkg-query: not Debian or Ubuntu);"
        say "the names below are Debian's, find your system's equivalents"
    fi
    say "missing system packages, and what works only with them:"
    for pkg in "${missing[@]}"; do
        say "  $pkg  [${FEATURE[$pkg]:-?}]  ${NEEDED_BY[$pkg]:-}"
        [[ " ${REQUIRED[*]} " == *" $pkg "* ]] && needed_missing+=("$pkg")
    done
    say "everything else works without them; install them with:"
    say "  sudo apt-get install ${missing[*]}"
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
say "installing $WHAT into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[$EXTRAS]"

if ((${#needed_missing[@]})); then
    say "the $JOB job needs ${needed_missing[*]}: install them (above) and run this again"
    exit 1
fi
say "ready for the $JOB job: $VENV/bin/streamlib --help"
