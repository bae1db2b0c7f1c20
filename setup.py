"""Build hook: copy the course (lessons/) into the package as bot/_lessons (wheel and sdist)."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithLessons(build_py):
    """Ship lessons/ inside the package, so an installed bot has a course of its own."""

    def run(self) -> None:
        super().run()
        source = HERE / "lessons"
        target = Path(self.build_lib) / "bot" / "_lessons"
        if source.is_dir():
            shutil.rmtree(target, ignore_errors=True)  # no files left from an older build
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", ".*"))


setup(cmdclass={"build_py": BuildWithLessons})
