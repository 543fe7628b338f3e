"""Ask legacy's real Node runtime and libraries what they compute, many questions per process.

``ask([("lower", "ÀB"), ("querystring", "a=1&a=2")])`` runs ``node_oracle.js`` once and returns
one answer per question: the value, or ``OracleError`` naming the exception Node raised. Bytes
are passed as ``bytes`` and travel as lists of numbers. Used by tests that check a Python port
of a Node behaviour against the original.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("node_oracle.js")


class OracleError(Exception):
    """Node raised ``name`` while answering."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OracleError) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


def _portable(value: Any) -> Any:
    if isinstance(value, bytes):
        return list(value)
    if isinstance(value, list | tuple):
        return [_portable(item) for item in value]
    return value


def ask(questions: Iterable[tuple[str, Any]], timeout: float = 120.0) -> list[Any]:
    """Return Node's answer to each ``(operation, argument)`` question, in order."""
    payload = json.dumps([[operation, _portable(argument)] for operation, argument in questions])
    done = subprocess.run(
        ["node", str(SCRIPT)], input=payload.encode("utf-8"), capture_output=True,
        timeout=timeout, check=True,
    )
    answers = json.loads(done.stdout)
    return [OracleError(answer["error"]) if "error" in answer else answer["ok"]
            for answer in answers]


def ask_one(operation: str, argument: Any = None) -> Any:
    """Return Node's answer to one question."""
    (answer,) = ask([(operation, argument)])
    return answer


def ask_each(operation: str, arguments: Sequence[Any]) -> list[Any]:
    """Return Node's answer to ``operation`` for each of ``arguments``."""
    return ask((operation, argument) for argument in arguments)
