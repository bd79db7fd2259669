"""What the audio and CLAP tests share: a PulseAudio server, C builds, signal checks.

The PulseAudio server is real: a user daemon in a private runtime folder with
one ``module-null-sink``; the tests play into the sink and capture its
monitor through PortAudio's ALSA ``pulse`` device. It is started once per
test process (the first test that asks for it) and stopped when the process
exits. Tests skip, saying why, where PulseAudio, gcc or the CLAP headers are
not installed (``scripts/apt/audio.txt`` lists them).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

HERE = Path(__file__).parent
CLAP_HEADERS = Path("/usr/share/dpf/distrho/src/clap")
ZAM_DIR = Path("/usr/lib/clap")
SINK = "streamlib_test"


def require_zam(name: str = "ZamVerb") -> Path:
    path = ZAM_DIR / f"{name}.clap"
    if not path.exists():
        pytest.skip(f"{path} is missing: apt-get install zam-plugins")
    return path


def build_c(source: Path, output: Path, *, shared: bool) -> Path:
    """Compile ``source`` against the CLAP headers with gcc (skip when either is missing)."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed (apt-get install gcc libc6-dev)")
    if not (CLAP_HEADERS / "entry.h").exists():
        pytest.skip(f"the CLAP headers are missing ({CLAP_HEADERS}): apt-get install dpf-source")
    flags = ["-shared", "-fPIC"] if shared else []
    subprocess.run(
        [gcc, *flags, "-std=c11", "-Wall", "-Werror", "-O1", f"-I{CLAP_HEADERS}", "-o",
         str(output), str(source)],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return output


# -- PulseAudio -----------------------------------------------------------------------


class PulseServer:
    """A private PulseAudio daemon with a null sink, reached through ``PULSE_SERVER``."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="streamlib-pulse-"))
        self.folder.chmod(0o700)
        self.socket = self.folder / "native"
        self.log = self.folder / "pulseaudio.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.keeper: subprocess.Popen[bytes] | None = None
        self._zeros = Path("/dev/zero").open("rb")  # noqa: SIM115 - the keeper reads it for life

    def start(self) -> None:
        binary = shutil.which("pulseaudio")
        if binary is None:
            pytest.skip("PulseAudio is not installed (apt-get install pulseaudio pulseaudio-utils)")
        env = {
            **os.environ,
            "XDG_RUNTIME_DIR": str(self.folder),
            "HOME": str(self.folder),  # its cookie and state go here, not into a real home
            "PULSE_RUNTIME_PATH": str(self.folder / "runtime"),
            "PULSE_STATE_PATH": str(self.folder / "state"),
        }
        env.pop("PULSE_SERVER", None)
        modules = [
            f"--load=module-null-sink sink_name={SINK} rate=48000 channels=2",
            f"--load=module-native-protocol-unix auth-anonymous=1 socket={self.socket}",
        ]
        # User mode works as root too (with a warning); some systems refuse it, and
        # there --system is the way, so try that second.
        attempts = [
            [binary, "--daemonize=no", "--exit-idle-time=-1", "--system=false", "-n",
             "--use-pid-file=no", "--log-target=stderr", *modules],
            [binary, "--system", "--daemonize=no", "--exit-idle-time=-1", "-n",
             "--disallow-exit", "--use-pid-file=no", "--log-target=stderr", *modules],
        ]  # fmt: skip
        for command in attempts:
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    command, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL
                )
            if self._wait_ready(10.0):
                break
            self._kill()
        else:
            raise RuntimeError(f"PulseAudio did not start; its log:\n{self.log.read_text()}")
        os.environ["PULSE_SERVER"] = f"unix:{self.socket}"
        self.pactl("set-default-sink", SINK)
        # An idle null sink renders in blocks of its largest latency (2 s), so the first
        # stream to join waits up to that long. A silent low-latency stream kept playing
        # holds the sink's blocks short from the start (the silence adds nothing).
        self.keeper = subprocess.Popen(
            ["pacat", "--playback", "--raw", "--format=s16le", "--rate=48000", "--channels=2",
             f"--device={SINK}", "--latency-msec=5", "--client-name=streamlib-keeper"],
            stdin=self._zeros,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.pactl("set-default-source", f"{SINK}.monitor")
        self.pactl("set-sink-volume", SINK, "100%")
        self._wait_sink_settled(6.0)

    def sink_latency_us(self) -> int:
        """The null sink's current latency, from ``pactl list sinks``."""
        found = re.search(r"Latency: (\d+) usec", self.pactl("list", "sinks"))
        return int(found.group(1)) if found else -1

    def _wait_sink_settled(self, timeout: float) -> None:
        """Wait out the 2 s block the idle sink rendered before the keeper joined."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if 0 <= self.sink_latency_us() < 50_000:
                return
            time.sleep(0.1)
        raise RuntimeError(f"the null sink's latency stayed at {self.sink_latency_us()} µs")

    def pactl(self, *args: str) -> str:
        result = subprocess.run(
            ["pactl", *args],
            env={**os.environ, "PULSE_SERVER": f"unix:{self.socket}"},
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return result.stdout

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False
            if self.socket.exists():
                try:
                    self.pactl("info")
                    return True
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                    pass
            time.sleep(0.1)
        return False

    def _kill(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def stop(self) -> None:
        if self.keeper is not None:
            self.keeper.kill()
            self.keeper.wait(5)
        self._zeros.close()
        self._kill()
        os.environ.pop("PULSE_SERVER", None)
        shutil.rmtree(self.folder, ignore_errors=True)


_server: PulseServer | None = None
_server_lock = threading.Lock()


def pulse_server() -> PulseServer:
    """The test process's PulseAudio server, started on first use, stopped at exit."""
    global _server
    with _server_lock:
        if _server is None:
            from streamlib import DeviceError
            from streamlib.audio import portaudio, rescan_devices

            if shutil.which("pactl") is None:
                pytest.skip("pactl is not installed (apt-get install pulseaudio-utils)")
            try:
                portaudio()
            except DeviceError as error:  # no PortAudio library or sounddevice here
                pytest.skip(str(error))
            server = PulseServer()
            server.start()
            atexit.register(server.stop)
            _server = server
            rescan_devices()  # PortAudio lists the pulse device only once the server runs
        return _server


# -- signal checks --------------------------------------------------------------------


def sine(
    frequency: float, seconds: float, rate: int, amplitude: float = 0.5
) -> np.ndarray[Any, Any]:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def dominant_frequency(signal_: np.ndarray[Any, Any], rate: int) -> float:
    """The frequency of the strongest FFT bin (Hann window), interpolated."""
    x = signal_.astype(np.float64) * np.hanning(len(signal_))
    spectrum = np.abs(np.fft.rfft(x))
    k = int(np.argmax(spectrum[1:]) + 1)
    if 0 < k < len(spectrum) - 1:
        a, b, c = spectrum[k - 1], spectrum[k], spectrum[k + 1]
        k = k + 0.5 * (a - c) / (a - 2 * b + c)
    return float(k * rate / len(signal_))


def rms(signal_: np.ndarray[Any, Any]) -> float:
    return float(np.sqrt(np.mean(np.square(signal_.astype(np.float64)))))
