"""The README's Python example runs as written (with a shorter duration)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_first_python_example_runs(capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert blocks, "the README has no python example"
    code = blocks[0]
    assert "rt.run(duration_s=5.0)" in code
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(code.replace("duration=5.0", "duration=0.5"), "README.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "'processors'" in printed  # the statistics it prints
    assert "'invert'" in printed
