"""Build hook: copy the course (lessons/) into the package as bot/_lessons (wheel and sdist)."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithLessons(build_py):
    """Start from an empty build/lib, then ship lessons/ inside the package as bot/_lessons."""

    def run(self) -> None:
        build_lib = Path(self.build_lib).resolve()
        if (
            not getattr(self, "editable_mode", False)
            and build_lib != HERE
            and HERE in build_lib.parents
        ):
            # A stale build/lib would put modules deleted from bot/ back into the wheel.
            shutil.rmtree(build_lib, ignore_errors=True)
        super().run()
        source = HERE / "lessons"
        target = Path(self.build_lib) / "bot" / "_lessons"
        if source.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", ".*"))


setup(cmdclass={"build_py": BuildWithLessons})
