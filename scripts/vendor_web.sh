#!/usr/bin/env bash
# Vendor the web page's JavaScript libraries into src/streamlib/web/static/vendor/.
#
# Each package is downloaded from registry.npmjs.org at the exact version below, its
# tarball checked against the sha512 `integrity` the registry publishes for that version,
# and only its browser build (dist files) and LICENSE extracted. The extracted files are
# committed: nothing is fetched when streamlib is installed or when the page is served.
# vendor/MANIFEST.txt records what was taken (name, version, license, integrity).
#
#   bash scripts/vendor_web.sh        # after changing a version below; commit the result
#
# cytoscape-dagre's dist bundles @dagrejs/dagre and @dagrejs/graphlib (the versions
# named in its banner), so their licenses are vendored too, without their code.
set -euo pipefail
cd "$(dirname "$0")/.."

REGISTRY=https://registry.npmjs.org
VENDOR=src/streamlib/web/static/vendor
PYTHON=${PYTHON:-python3}
[[ -x .venv/bin/python ]] && PYTHON=.venv/bin/python

# "npm-name version folder file..." (files are paths inside the tarball's package/).
PACKAGES=(
    "cytoscape 3.35.0 cytoscape dist/cytoscape.min.js LICENSE"
    "cytoscape-dagre 4.0.1 cytoscape-dagre dist/cytoscape-dagre.min.js LICENSE"
    "@dagrejs/dagre 3.0.0 dagre LICENSE"
    "@dagrejs/graphlib 4.0.1 graphlib LICENSE"
    "uplot 1.6.32 uplot dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE"
)

say() { printf '[vendor] %s\n' "$*" >&2; }
fail() {
    say "FAILED: $*"
    exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/streamlib-vendor.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The registry's metadata of one version: "tarball-url integrity license".
metadata() {
    curl -fsS --max-time 60 "$REGISTRY/$1/$2" | "$PYTHON" -c '
import json, sys
meta = json.load(sys.stdin)
print(meta["dist"]["tarball"], meta["dist"]["integrity"], meta.get("license", "?"))'
}

# "sha512-<base64>" of a file, as npm writes integrity.
sha512_integrity() {
    "$PYTHON" -c '
import base64, hashlib, sys
with open(sys.argv[1], "rb") as f:
    print("sha512-" + base64.b64encode(hashlib.sha512(f.read()).digest()).decode())' "$1"
}

rm -rf "$VENDOR"
mkdir -p "$VENDOR"
{
    echo "# The page's vendored libraries (scripts/vendor_web.sh writes this file; do not edit)."
    echo "# name version license folder integrity"
} >"$VENDOR/MANIFEST.txt"

for entry in "${PACKAGES[@]}"; do
    read -r name version folder files <<<"$entry"
    read -r tarball integrity license < <(metadata "$name" "$version") ||
        fail "$name@$version: no metadata from $REGISTRY"
    [[ $integrity == sha512-* ]] || fail "$name@$version: the registry gives no sha512 integrity"
    archive="$WORK/${folder}.tgz"
    curl -fsS --max-time 120 -o "$archive" "$tarball" || fail "$name@$version: cannot download $tarball"
    actual=$(sha512_integrity "$archive")
    [[ $actual == "$integrity" ]] || fail "$name@$version: integrity mismatch (registry $integrity, got $actual)"
    mkdir -p "$WORK/$folder" "$VENDOR/$folder"
    members=()
    for file in $files; do members+=("package/$file"); done
    tar -xzf "$archive" -C "$WORK/$folder" "${members[@]}" || fail "$name@$version: the tarball lacks one of: $files"
    for file in $files; do cp "$WORK/$folder/package/$file" "$VENDOR/$folder/$(basename "$file")"; done
    echo "$name $version $license $folder $integrity" >>"$VENDOR/MANIFEST.txt"
    say "$name@$version ($license): $files"
done
say "done: $VENDOR (commit it)"
