"""Write docs/settings.md, every setting in one table, from the declarations.

``python -m tools.settings_doc`` rewrites the file; ``--check`` exits 1 when it is out of date
(tests/unit/test_settings.py runs the same comparison). The declarations are
``backend.settings.BACKEND`` (the backend's own, so it stands alone) and
``shadow.settings.TOOLING`` and ``COMPOSE`` (the tooling's and the compose stack's).
"""

from __future__ import annotations

import sys
from pathlib import Path

from backend.settings import BACKEND
from shadow.settings import COMPOSE, TOOLING

DOC = Path(__file__).resolve().parent.parent / "docs" / "settings.md"

HEADER = """\
# Settings

Every environment variable Strangler reads, in one table. **Generated** by
`python -m tools.settings_doc` from the declarations in `backend/settings.py` (the backend's
own: it stands alone) and `shadow/settings.py` (the proxy, shadow, the dashboard and CLI,
gunicorn and the compose stack); do not edit it by hand, a test fails when it is out of date.

Each process reads its declaration once, at start, into a frozen settings object that is
passed down; nothing on the request path reads the environment. An empty variable counts as
unset. A bad value stops the start with one error naming the variable, e.g.
`PROXY_LEGACY_POOL_SIZE must be a whole number of at least 1, got 'many'`. "read by" says which
process reads it: the same variable can be read by more than one (`PORT`: the proxy's
gunicorn and the backend's own). `compose` rows are read only by `deploy/compose.yaml` from
`deploy/.env` (`deploy/.env.example` lists them; [deploy.md](deploy.md)).

| variable | read by | type | default | meaning |
|---|---|---|---|---|
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(text: str) -> str:
    return text if text.startswith("`") or " " in text else f"`{text}`"


def render() -> str:
    """Return the whole of docs/settings.md."""
    rows = []
    for setting in (*BACKEND, *TOOLING, *COMPOSE):
        rows.append(f"| `{setting.env}` | {setting.read_by} | {_cell(setting.kind)} | "
                    f"{_cell(_default(setting.default_text))} | {_cell(setting.meaning)} |")
    return HEADER + "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if DOC.read_text() != text:
            print(f"{DOC} is out of date: run python -m tools.settings_doc", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
