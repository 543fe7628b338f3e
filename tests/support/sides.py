"""Legacy and the backend side by side, each on its own fresh database of the same kind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import ServerProcess


@dataclass
class Sides:
    kind: str
    legacy: ServerProcess
    backend: ServerProcess
    log: Path
    legacy_database: str
    backend_database: str
