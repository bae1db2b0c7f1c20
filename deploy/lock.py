"""Write requirements.lock: every installed runtime and dev dependency of tutorbot, pinned.

Run from the project folder with the project's virtual environment:
    .venv/bin/python deploy/lock.py > requirements.lock
It walks the dependency closure of `tutorbot[dev]` as installed (extras included) and pins
each package to its installed version, in `pip freeze` form; other packages in the venv are left
out. Install reproducibly with `pip install -c requirements.lock -e '.[dev]'`.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata

from packaging.markers import default_environment
from packaging.requirements import Requirement

PROJECT = "tutorbot"
HEADER = (
    "# Pinned runtime and dev dependencies of tutorbot (constraints file).\n"
    "# Regenerate: .venv/bin/python deploy/lock.py > requirements.lock\n"
    "# Install:    pip install -c requirements.lock -e '.[dev]'   (image: -c ... '.')\n"
)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(root: str, extras: set[str]) -> dict[str, str]:
    """Return {normalised name: installed version} of `root[extras]` and everything it needs."""
    found: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [(root, frozenset(extras))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, wanted = todo.pop()
        if (_norm(name), wanted) in seen:
            continue
        seen.add((_norm(name), wanted))
        dist = metadata.distribution(name)
        found[_norm(dist.metadata["Name"])] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            marker_ok = req.marker is None or any(
                req.marker.evaluate({**default_environment(), "extra": extra})
                for extra in (wanted or {""})
            )
            if marker_ok:
                todo.append((req.name, frozenset(req.extras)))
    found.pop(_norm(root), None)
    return found


def main() -> int:
    """Print the lock file."""
    pins = closure(PROJECT, {"dev"})
    sys.stdout.write(HEADER)
    for name in sorted(pins):
        sys.stdout.write(f"{name}=={pins[name]}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
