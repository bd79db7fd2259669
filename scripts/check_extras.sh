#!/usr/bin/env bash
# The extras matrix: each install of streamlib works on its own.
#
# Builds a wheel from this checkout, then for each extra (core only, media, audio,
# gpu, webrtc, mcp, process, all) makes a fresh virtual environment outside the repository,
# installs the wheel with that extra and checks, in that environment:
#   - `streamlib list` lists every processor type, with no traceback and nothing
#     skipped, and marks exactly the types whose extra is missing as unavailable;
#   - a pipeline the extra makes possible runs (core: TestPattern -> NullSink;
#     media: an MP4 that ffprobe reads; audio: ToneSource -> AudioResampler;
#     gpu: ColorInvert on lavapipe; webrtc: a WHEP server for 1 s; mcp: tools/list
#     over stdio; process: a frame through iceoryx2 shared memory; web: the API's
#     operations, and the page at / with its vendored scripts; all: the shipped demo);
#   - no other extra's libraries leaked in (core cannot import av, wgpu, ...).
# The wheel itself must carry examples/demo.yaml and the web page's files.
# pip's cache is reused, so a second run takes well under a minute per extra.
#
#   bash scripts/check_extras.sh                 # every extra
#   bash scripts/check_extras.sh core gpu        # some of them
#   KEEP=1 bash scripts/check_extras.sh          # keep the environments (path printed)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
ALL_EXTRAS=(core media audio gpu webrtc mcp process web all)
if (($#)); then EXTRAS=("$@"); else EXTRAS=("${ALL_EXTRAS[@]}"); fi

say() { printf '[extras] %s\n' "$*" >&2; }
fail() {
    say "FAILED: $*"
    exit 1
}

for extra in "${EXTRAS[@]}"; do
    [[ " ${ALL_EXTRAS[*]} " == *" $extra "* ]] || fail "unknown extra '$extra'; use some of: ${ALL_EXTRAS[*]}"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/streamlib-extras.XXXXXX")
if [[ -n "${KEEP:-}" ]]; then
    say "keeping $WORK"
else
    trap 'rm -rf "$WORK"' EXIT
fi

# One pip (this checkout's .venv when set up, else $PYTHON's) installs into every
# environment through --python, so the new environments need no pip of their own.
HOST_PY=.venv/bin/python
[[ -x "$HOST_PY" ]] || HOST_PY=$PYTHON
pip_() { "$HOST_PY" -m pip --disable-pip-version-check -q "$@"; }

# Seconds since a start time taken with $EPOCHREALTIME.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
total_start=$EPOCHREALTIME
say "building the wheel"
rm -rf build # a stale build/lib would put deleted files into the wheel
pip_ wheel --no-deps -w "$WORK/dist" . >/dev/null || fail "the wheel did not build"
WHEEL=$(ls "$WORK"/dist/streamlib-*.whl)
rm -rf build
unzip -l "$WHEEL" >"$WORK/wheel-files.txt"
grep -q 'streamlib/examples/demo.yaml' "$WORK/wheel-files.txt" || fail "the wheel lacks streamlib/examples/demo.yaml"
# The web page and every vendored file (scripts/vendor_web.sh) travel in the wheel.
for shipped in index.html app.js style.css $(cd src/streamlib/web/static && find vendor -type f); do
    grep -q "streamlib/web/static/$shipped\$" "$WORK/wheel-files.txt" ||
        fail "the wheel lacks streamlib/web/static/$shipped (pyproject's package-data)"
done

# The optional top-level modules of each extra, and which processor types need one.
declare -A MODULES=(
    [media]="av"
    [audio]="sounddevice soxr"
    [gpu]="wgpu glfw PIL"
    [webrtc]="aiortc aiohttp av"
    [mcp]="mcp PIL starlette uvicorn"
    [process]="iceoryx2"
    [web]="starlette uvicorn"
)
EVERY_MODULE="av sounddevice soxr wgpu glfw PIL aiortc aiohttp mcp iceoryx2 starlette uvicorn"
# Types that stay unavailable in each environment (the families it does not install).
declare -A UNAVAILABLE_FAMILIES=(
    [core]="media audio gpu webrtc"
    [media]="audio gpu webrtc"
    [audio]="media gpu webrtc"
    [gpu]="media audio webrtc"
    [webrtc]="audio gpu"
    [mcp]="media audio gpu webrtc"
    [process]="media audio gpu webrtc"
    [web]="media audio gpu webrtc"
    [all]=""
)
# One type of each family, as `streamlib list` names it.
declare -A SAMPLE_TYPE=([media]=Mp4Writer [audio]=AudioResampler [gpu]=ColorInvert [webrtc]=WhepServer)

# Pipelines, one per extra, written where each run happens.
write_pipelines() {
    local dir=$1
    cat >"$dir/core.yaml" <<'EOF'
processors:
  src: {type: TestPattern, config: {width: 320, height: 240, fps: 30}}
  sink: {type: NullSink}
connections:
  - src.video -> sink.video
EOF
    cat >"$dir/media.yaml" <<'EOF'
processors:
  src: {type: TestPattern, config: {width: 320, height: 240, frames: 30, realtime: false, pixel_format: yuv420p}}
  rec: {type: Mp4Writer, config: {path: out.mp4, overwrite: true}}
connections:
  - src.video -> rec.video
EOF
    cat >"$dir/audio.yaml" <<'EOF'
processors:
  tone: {type: ToneSource, config: {sample_rate: 44100, duration_s: 0.5, realtime: false}}
  resample: {type: AudioResampler, config: {sample_rate: 48000}}
  sink: {type: NullSink}
connections:
  - tone.audio -> resample.audio_in
  - resample.audio_out -> sink.audio
EOF
    cat >"$dir/gpu.yaml" <<'EOF'
processors:
  src: {type: TestPattern, config: {width: 320, height: 240, fps: 30}}
  invert: {type: ColorInvert}
  sink: {type: NullSink}
connections:
  - src.video -> invert.video_in
  - invert.video_out -> sink.video
EOF
    cat >"$dir/webrtc.yaml" <<'EOF'
processors:
  src: {type: TestPattern, config: {width: 320, height: 240, fps: 15}}
  web: {type: WhepServer, config: {port: 0, ice: loopback}}
connections:
  - src.video -> web.video
EOF
}

# tools/list over stdio, with nothing but the standard library on the client side.
MCP_CLIENT=$(
    cat <<'EOF'
import json, subprocess, sys
server = subprocess.Popen([sys.argv[1], "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=open(sys.argv[2], "w"), text=True)
def send(message):
    server.stdin.write(json.dumps(message) + "\n"); server.stdin.flush()
def answer(wanted):
    for line in server.stdout:
        message = json.loads(line)
        if message.get("id") == wanted:
            return message
    raise SystemExit(f"the server closed stdout before answering request {wanted}")
send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
      "capabilities": {}, "clientInfo": {"name": "check_extras", "version": "1"}}})
answer(1)
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
tools = [tool["name"] for tool in answer(2)["result"]["tools"]]
server.stdin.close(); server.wait(timeout=20)
assert "list_processor_types" in tools, tools
print(f"{len(tools)} tools")
EOF
)

# One frame through iceoryx2 shared memory, received as a read-only view of it.
IPC_ROUND_TRIP=$(
    cat <<'EOF'
import numpy as np
import streamlib as sl
from streamlib.ipc import FramePublisher, FrameSubscriber, cleanup_dead_nodes
with FrameSubscriber("check-extras/x", capacity=2) as sub, FramePublisher("check-extras/x", capacity=2) as pub:
    pub.send(sl.VideoFrame(np.full((4, 4, 3), 7, np.uint8), "rgb24"))
    assert sub.wait(timeout_s=5.0)
    frame = sub.receive()
    assert frame is not None and (frame.to_ndarray() == 7).all()
    assert not frame.to_ndarray().flags.writeable
cleanup_dead_nodes()
EOF
)

WEB_API=$(
    cat <<'EOF'
import json, threading, urllib.request
import anyio
from streamlib.control import PipelineHost
from streamlib.web import serve_web
host, ready, stop = PipelineHost(), threading.Event(), threading.Event()
url = []
def on_ready(address):
    url.append(address)
    ready.set()
server = threading.Thread(target=lambda: anyio.run(lambda: serve_web(
    host, port=0, on_ready=on_ready, stop=stop)))
server.start()
try:
    assert ready.wait(30), "the web API did not start"
    with urllib.request.urlopen(url[0].rstrip("/") + "/operations", timeout=10) as reply:
        names = [op["name"] for op in json.load(reply)]
    assert "add_processor" in names, names
    page_url = url[0].removesuffix("api")
    with urllib.request.urlopen(page_url, timeout=10) as reply:
        assert b"static/app.js" in reply.read(), "GET / is not the page"
    for shipped in ("app.js", "vendor/cytoscape/cytoscape.min.js", "vendor/uplot/uPlot.iife.min.js"):
        with urllib.request.urlopen(page_url + "static/" + shipped, timeout=10) as reply:
            assert reply.status == 200 and reply.read(), shipped
    print(len(names))
finally:
    stop.set()
    server.join(10)
    host.close()
EOF
)

EXPECTED_TYPES=$(grep -c '= "streamlib.processors:' pyproject.toml)

check_one() {
    local extra=$1 env="$WORK/env-$1" run="$WORK/run-$1"
    local spec="$WHEEL"
    [[ $extra == core ]] || spec="$WHEEL[$extra]"
    "$PYTHON" -m venv --without-pip "$env" || fail "$extra: could not create a virtual environment"
    pip_ --python "$env/bin/python" install "$spec" >"$WORK/$extra-pip.log" 2>&1 ||
        { cat "$WORK/$extra-pip.log" >&2; fail "$extra: pip could not install $spec"; }
    mkdir -p "$run"
    write_pipelines "$run"
    local sl="$env/bin/streamlib"
    # A step's output is kept in $run/step.log and shown only when the step fails
    # (lavapipe, for one, complains about XDG_RUNTIME_DIR on every start).
    step() { (cd "$run" && "$@") >"$run/step.log" 2>&1 || { cat "$run/step.log" >&2; return 1; }; }

    # What leaked in, and what is missing.
    local present absent=""
    present=$("$env/bin/python" -c '
import importlib.util, sys
print(" ".join(m for m in sys.argv[1:] if importlib.util.find_spec(m)))' $EVERY_MODULE)
    local wanted=""
    if [[ $extra == all ]]; then wanted=$EVERY_MODULE; elif [[ $extra != core ]]; then wanted=${MODULES[$extra]}; fi
    for module in $EVERY_MODULE; do
        local is_wanted=no is_present=no
        [[ " $wanted " == *" $module "* ]] && is_wanted=yes
        [[ " $present " == *" $module "* ]] && is_present=yes
        if [[ $is_wanted == yes && $is_present == no ]]; then absent+=" $module"; fi
        if [[ $is_wanted == no && $is_present == yes ]]; then
            fail "$extra: '$module' is installed, but only another extra should bring it (leaked in)"
        fi
    done
    [[ -z $absent ]] || fail "$extra: the extra did not install:$absent"

    # `streamlib list`: every type, no traceback, the right ones marked unavailable.
    "$sl" list >"$run/list.out" 2>"$run/list.err" || { cat "$run/list.err" >&2; fail "$extra: streamlib list failed"; }
    if grep -qE 'Traceback|skipping|skipped' "$run/list.err" || grep -q Traceback "$run/list.out"; then
        cat "$run/list.err" >&2
        fail "$extra: streamlib list skipped types or printed a traceback"
    fi
    local listed unavailable
    listed=$(grep -c . "$run/list.out")
    ((listed == EXPECTED_TYPES)) || fail "$extra: streamlib list shows $listed types, the package has $EXPECTED_TYPES"
    unavailable=$(grep -c '(unavailable: needs ' "$run/list.out" || true)
    for family in "${!SAMPLE_TYPE[@]}"; do
        local type=${SAMPLE_TYPE[$family]} line
        line=$(grep -E "^$type " "$run/list.out")
        if [[ " ${UNAVAILABLE_FAMILIES[$extra]} " == *" $family "* ]]; then
            [[ $line == *"(unavailable: "*"pip install 'streamlib[$family]')"* ]] ||
                fail "$extra: $type should be marked unavailable with pip install 'streamlib[$family]': $line"
        else
            [[ $line != *"(unavailable"* ]] || fail "$extra: $type should be available: $line"
        fi
    done

    # A pipeline the extra makes possible.
    local did
    case $extra in
    core)
        step "$sl" run core.yaml --duration 0.5 --quiet || fail "core: TestPattern -> NullSink did not run"
        # An unavailable type says what to install, without a traceback.
        if (cd "$run" && "$sl" run gpu.yaml --duration 0.5 --quiet) 2>"$run/gpu.err"; then
            fail "core: ColorInvert ran without wgpu"
        fi
        grep -q "pip install 'streamlib\[gpu\]'" "$run/gpu.err" && ! grep -q Traceback "$run/gpu.err" ||
            { cat "$run/gpu.err" >&2; fail "core: running ColorInvert without wgpu did not say what to install"; }
        did="TestPattern -> NullSink 0.5 s; ColorInvert refused with the gpu hint"
        ;;
    media)
        step "$sl" run media.yaml --duration 30 --quiet || fail "media: TestPattern -> Mp4Writer did not run"
        local frames
        frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$run/out.mp4") ||
            fail "media: ffprobe cannot read the recording"
        [[ $frames == 30 ]] || fail "media: the recording has $frames frames, not 30"
        did="TestPattern frames=30 -> Mp4Writer, ffprobe reads 30 frames"
        ;;
    audio)
        step "$sl" run audio.yaml --duration 30 --quiet || fail "audio: ToneSource -> AudioResampler -> NullSink did not run"
        did="ToneSource 44.1 kHz -> AudioResampler 48 kHz -> NullSink"
        ;;
    gpu)
        step "$sl" run gpu.yaml --duration 0.5 --quiet || fail "gpu: TestPattern -> ColorInvert -> NullSink did not run"
        did="TestPattern -> ColorInvert -> NullSink 0.5 s"
        ;;
    webrtc)
        step "$sl" run webrtc.yaml --duration 1 --quiet || fail "webrtc: the WHEP server did not run for 1 s"
        did="TestPattern -> WhepServer (port 0) 1 s"
        ;;
    mcp)
        step "$sl" mcp --help || fail "mcp: streamlib mcp --help failed"
        local tools
        tools=$("$env/bin/python" -c "$MCP_CLIENT" "$sl" "$run/mcp.log") ||
            { cat "$run/mcp.log" >&2; fail "mcp: tools/list over stdio failed"; }
        did="streamlib mcp --help; tools/list over stdio: $tools"
        ;;
    process)
        step "$env/bin/python" -c "$IPC_ROUND_TRIP" || fail "process: a frame did not cross iceoryx2 shared memory"
        did="a VideoFrame through FramePublisher -> FrameSubscriber, read in place"
        ;;
    web)
        local operations
        operations=$("$env/bin/python" -c "$WEB_API") || fail "web: the web API did not serve its operations"
        did="streamlib.web on 127.0.0.1:0: GET /api/operations lists $operations operations; GET / serves the page and its vendored scripts"
        ;;
    all)
        local demo
        demo=$("$sl" example demo) || fail "all: streamlib example demo found no demo"
        step "$sl" run "$demo" --duration 2 --quiet || fail "all: the demo did not run"
        local codecs # not `ffprobe | grep -q`: grep's early exit would fail the pipe (pipefail)
        codecs=$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$run/out/demo.mp4") ||
            fail "all: ffprobe cannot read the demo's recording"
        [[ $'\n'$codecs$'\n' == *$'\nh264\n'* ]] || fail "all: the demo's recording has no H.264 stream ($codecs)"
        did="the shipped demo for 2 s, out/demo.mp4 has H.264"
        ;;
    esac
    printf '%s|%s|%s\n' "$listed" "$unavailable" "$did"
}

command -v ffprobe >/dev/null || fail "ffprobe (apt: ffmpeg) is needed to check the media recordings"
for extra in "${EXTRAS[@]}"; do
    start=$EPOCHREALTIME
    result=$(check_one "$extra")
    IFS='|' read -r listed unavailable did <<<"$result"
    printf 'ok  %-7s %5s s  %s types listed, %s unavailable; %s\n' "$extra" "$(since "$start")" \
        "$listed" "$unavailable" "$did"
done
printf 'extras matrix passed in %s s (%s)\n' "$(since "$total_start")" "${EXTRAS[*]}"
