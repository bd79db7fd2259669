#!/usr/bin/env bash
# Set up what the demo needs (streamlib[media]; no system package), then run the demo
# pipeline with live statistics (Ctrl-C stops it in order).
# Extra arguments go to `streamlib run`, e.g. `bash scripts/demo.sh --duration 30`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --for demo
if [[ $# -eq 0 ]]; then set -- --duration 10; fi
.venv/bin/streamlib run examples/demo.yaml "$@"
if command -v ffprobe >/dev/null; then
    echo "recorded: $(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 out/demo.mp4 | tr '\n' ' ')"
fi
