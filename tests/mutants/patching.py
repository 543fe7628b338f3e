"""Copy the repository's Python packages to a scratch directory and apply one mutant there.

The repository itself is never modified: the proxy started on the copy (cwd and PYTHONPATH at
the copy) imports the mutated backend, legacy still runs from the repository.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.mutants.catalog import Mutant

PACKAGES = ("backend", "proxy", "shadow", "rollout", "dbtypes", "deploy", "migrations")
FILES = ("routes.yaml", "pyproject.toml")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")


class Stale(Exception):
    """The mutant's old text no longer occurs exactly once: the code moved under it."""


def check(mutant: Mutant, root: Path) -> str:
    """Return the text of the mutant's file under ``root`` or raise Stale saying why."""
    path = root / mutant.file
    if not path.is_file():
        raise Stale(f"{mutant.file} does not exist")
    text = path.read_text(encoding="utf-8")
    count = text.count(mutant.old)
    if count != 1:
        raise Stale(f"old text occurs {count} times in {mutant.file}, not once")
    return text


def apply(mutant: Mutant, root: Path) -> None:
    """Replace the mutant's old text by its new text in the copy at ``root``."""
    text = check(mutant, root)
    (root / mutant.file).write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")


def copy_packages(source: Path, target: Path) -> Path:
    """Copy the packages the proxy needs from ``source`` into ``target``; return ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PACKAGES:
        shutil.copytree(source / name, target / name, ignore=_IGNORE)
    for name in FILES:
        shutil.copy2(source / name, target / name)
    return target
