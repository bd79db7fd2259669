"""The `streamlib` command: run, list, describe, graph, and their errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from streamlib.cli import main

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo.yaml"

SMALL_PIPELINE = """\
processors:
  src: {type: TestPattern, config: {width: 64, height: 48, fps: 50}}
  tone: {type: ToneSource, config: {block_size: 480}}
  sink: {type: NullSink}
connections:
  - src.video -> sink.video
  - tone.audio -> sink.audio
"""


@pytest.fixture
def pipeline(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.yaml"
    path.write_text(SMALL_PIPELINE)
    return path


def test_run_writes_final_stats_json(pipeline: Path, tmp_path: Path, capsys) -> None:
    stats_path = tmp_path / "stats.json"
    status = main(["run", str(pipeline), "--duration", "0.6", "--stats-json", str(stats_path)])
    assert status == 0
    stats = json.loads(stats_path.read_text())
    assert set(stats["processors"]) == {"src", "tone", "sink"}
    assert stats["processors"]["src"]["frames_out"] > 5
    assert stats["processors"]["sink"]["frames_in"] > 5
    assert {c["from"] for c in stats["connections"]} == {"src.video", "tone.audio"}
    assert stats["state"] == "stopped"
    err = capsys.readouterr().err
    assert "processor" in err  # the final table
    assert "src.video -> sink.video" in err


def test_run_quiet_prints_nothing(pipeline: Path, capsys) -> None:
    assert main(["run", str(pipeline), "--duration", "0.3", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_run_shows_live_stats_lines(pipeline: Path, capsys) -> None:
    assert main(["run", str(pipeline), "--duration", "1.3"]) == 0
    err = capsys.readouterr().err
    assert "src=" in err  # the live summary line, written once a second when not a terminal
    assert "dropped=" in err


def test_run_reports_bad_file_with_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "processors:\n  src: {type: TestPattern, config: {fps: -1}}\n  sink: {type: NullSink}\n"
        "connections:\n  - src.video -> sink.video\n"
    )
    assert main(["run", str(path), "--duration", "0.2"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2:" in err
    assert "fps" in err


def test_run_unknown_type_suggests(tmp_path: Path, capsys) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("processors:\n  src: {type: TestPatern}\n")
    assert main(["run", str(path), "--duration", "0.2"]) == 2
    assert "did you mean 'TestPattern'" in capsys.readouterr().err


def test_run_missing_file(capsys) -> None:
    assert main(["run", "/nonexistent/pipe.yaml", "--duration", "0.2"]) == 2
    assert "pipe.yaml" in capsys.readouterr().err


def test_list_and_json(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("TestPattern", "ToneSource", "Passthrough", "NullSink", "Collector"):
        assert name in out
    assert main(["list", "--tag", "source", "--json"]) == 0
    names = {d["name"] for d in json.loads(capsys.readouterr().out)}
    assert {"TestPattern", "ToneSource"} <= names  # other features add sources too
    assert "NullSink" not in names


def test_list_unknown_tag(capsys) -> None:
    assert main(["list", "--tag", "sourse"]) == 2
    assert "did you mean 'source'" in capsys.readouterr().err


def test_describe(capsys) -> None:
    assert main(["describe", "TestPattern"]) == 0
    out = capsys.readouterr().out
    assert "outputs:" in out
    assert "fps" in out
    assert "(live)" in out
    assert "scheduling: timer" in out
    assert main(["describe", "NullSink", "--json"]) == 0
    descriptor = json.loads(capsys.readouterr().out)
    assert {p["name"] for p in descriptor["inputs"]} == {"video", "audio", "data"}
    assert {"name", "description", "tags", "inputs", "outputs", "config_schema"} <= set(descriptor)


def test_describe_unknown(capsys) -> None:
    assert main(["describe", "Nullsink"]) == 2
    assert "did you mean 'NullSink'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fmt", "marker"), [("dot", "digraph"), ("mermaid", "flowchart LR"), ("json", '"processors"')]
)
def test_graph_formats(pipeline: Path, capsys, fmt: str, marker: str) -> None:
    assert main(["graph", str(pipeline), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert marker in out
    assert "sink" in out


def test_help_teaches(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert "src.video -> sink.video" in out


def test_demo_pipeline_is_valid(capsys) -> None:
    assert main(["graph", str(DEMO), "--format", "json"]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert {"pattern", "chord"} <= set(graph["processors"])


def test_sigint_stops_in_order_and_writes_stats(pipeline: Path, tmp_path: Path) -> None:
    """A real process, a real SIGINT: it stops cleanly and still writes its statistics."""
    stats_path = tmp_path / "stats.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlib", "run", str(pipeline), "--stats-json", str(stats_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()  # the first live line: it is running
        assert b"src=" in line
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
        process.communicate(timeout=5)  # read the rest; closes the pipes
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    stats = json.loads(stats_path.read_text())
    assert stats["state"] == "stopped"
    assert all(p["state"] == "stopped" for p in stats["processors"].values())


# -- the exit status says whether the run failed ----------------------------------------------

FAILING_RECORDING = """\
processors:
  src: {type: TestPattern, config: {width: 64, height: 48, fps: 30}}
  rec: {type: Mp4Writer, config: {path: /dev/full, overwrite: true, preset: ultrafast}}
connections:
  - src.video -> rec.video
"""


def test_run_exits_1_with_one_line_naming_the_failed_processor(tmp_path: Path, capsys) -> None:
    """/dev/full fails every write (ENOSPC): the recorder fails, so the run did."""
    path = tmp_path / "rec.yaml"
    path.write_text(FAILING_RECORDING)
    stats_path = tmp_path / "stats.json"
    status = main(["run", str(path), "--duration", "1", "--stats-json", str(stats_path)])
    assert status == 1
    err = capsys.readouterr().err
    summary = [line for line in err.splitlines() if line.startswith("streamlib: run failed:")]
    assert summary == [
        "streamlib: run failed: rec (failed): StorageError: cannot write '/dev/full': No space "
        "left on device (ENOSPC); nothing was recorded. What to do: free space on that disk or "
        "record to another one"
    ]
    assert err.rstrip().endswith(summary[0])  # the last word, after the final table
    rec = json.loads(stats_path.read_text())["processors"]["rec"]
    assert (rec["state"], rec["errors"]) == ("failed", 1)


def test_run_quiet_still_says_the_run_failed(tmp_path: Path, capsys) -> None:
    path = tmp_path / "rec.yaml"
    path.write_text(FAILING_RECORDING)
    assert main(["run", str(path), "--duration", "1", "--quiet"]) == 1
    assert "streamlib: run failed: rec (failed)" in capsys.readouterr().err


def test_run_verdict_fails_on_unrecovered_errors_only(pipeline: Path) -> None:
    from streamlib.cli._run_command import Failure, RunVerdict
    from streamlib.core import ProcessorErrored, ProcessorStarted
    from streamlib.runtime import Runtime

    with Runtime.from_file(pipeline) as runtime:
        runtime.run(0.2)
        stats = runtime.statistics()  # every processor "stopped"

    def error(pid: str, phase: str, action: str) -> ProcessorErrored:
        return ProcessorErrored(
            processor_id=pid,
            timestamp_ns=0,
            error_type="StorageError",
            message=f"{pid} broke\nin {phase}",
            phase=phase,
            action=action,
        )

    verdict = RunVerdict()
    verdict.observe(error("src", "process", "restart"))
    verdict.observe(ProcessorStarted(processor_id="src", timestamp_ns=0))  # recovered
    verdict.observe(error("tone", "teardown", "stop"))  # could not finish: never recovered
    verdict.observe(error("sink", "process", "restart"))  # still backing off at the end
    assert verdict.failures(stats) == [
        Failure("tone", "stopped", "StorageError: tone broke\nin teardown"),
        Failure("sink", "stopped", "StorageError: sink broke\nin process"),
    ]


def test_run_help_explains_the_exit_status(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "exit status:" in out
    assert "1  the run failed: a processor ended in the failed state" in out
