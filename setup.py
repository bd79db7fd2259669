"""One build step that pyproject.toml cannot say: ship examples/ inside the package.

The repository's ``examples/`` stays the only copy; the wheel gets it as
``streamlib/examples/`` so that ``streamlib example demo`` finds the demo after a
plain ``pip install``. (An editable install reads the checkout's folder instead.)
Everything else about the build is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

EXAMPLES = Path(__file__).resolve().parent / "examples"


class BuildWithExamples(build_py):
    """``build_py`` plus a copy of ``examples/`` (no caches) into ``streamlib/examples``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "streamlib" / "examples"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(
            EXAMPLES, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "out")
        )


setup(cmdclass={"build_py": BuildWithExamples})
