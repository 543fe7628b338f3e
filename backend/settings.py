"""Every setting of the backend, declared once: variable, type, default, meaning.

The backend must stand alone once the migration is over and the tooling is deleted, so it
declares its own settings here rather than importing the tooling's (``shadow/settings.py``,
which has the same shape). ``read()`` parses the environment once, when an app or a gunicorn
process starts, into a frozen ``BackendSettings``; a bad value is one ``SettingError`` naming
the variable. An empty variable counts as unset.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from backend.database import DEFAULT_SQLITE_PATH
from backend.jwt_secret import DEV_JWT_SECRET


class SettingError(ValueError):
    """A variable holds a value its setting cannot take; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    """One setting: the attribute it becomes, its variable, type, default and meaning."""

    name: str
    env: str
    kind: str
    parse: Callable[[str], Any]
    default: Any
    meaning: str
    read_by: str = "backend"
    shown_default: str | None = None

    def value(self, env: Mapping[str, str]) -> Any:
        raw = env.get(self.env)
        if raw is None or raw == "":
            return self.default
        try:
            return self.parse(raw)
        except (TypeError, ValueError) as error:
            raise SettingError(f"{self.env} {error}, got {raw!r}") from None

    @property
    def default_text(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        return "unset" if self.default is None else str(self.default)


def _database_url(raw: str) -> str:
    if not raw.startswith(("postgresql://", "postgres://", "sqlite:", "postgresql+")):
        raise ValueError("is not supported: use postgresql://... or sqlite:///path")
    return raw


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("must be a whole number of at least 1") from None
    if value < 1:
        raise ValueError("must be a whole number of at least 1")
    return value


BACKEND: tuple[Setting, ...] = (
    Setting("database_url", "DATABASE_URL", "URL", _database_url,
            f"sqlite:///{DEFAULT_SQLITE_PATH}",
            "the database (shared by legacy, the backend, the proxy's audit log and /health), in "
            "the URL forms legacy reads too (`postgresql://user@host:port/name`, `sqlite:///path`)",
            shown_default="`sqlite:///instance/strangler.db`"),
    Setting("jwt_secret", "JWT_SECRET", "string", str, DEV_JWT_SECRET,
            "HS256 key of every token, the same as legacy's; refused by the serving entry "
            "points when unset or the published default, outside development"),
    Setting("jwt_ttl_seconds", "JWT_TTL_SECONDS", "integer >= 1", _positive, 2592000,
            "token lifetime in seconds"),
    Setting("dry_run_secret", "STRANGLER_DRY_RUN_SECRET", "string", str, None,
            "signs the proxy's dry-run markers", shown_default="`JWT_SECRET`"),
    Setting("environment", "STRANGLER_ENV", "`development` or unset", str, None,
            "`development` lets the serving entry points start on the development secret "
            "(`make run` sets it when JWT_SECRET is unset)"),
    Setting("host", "HOST", "address", str, "127.0.0.1",
            "where the backend alone listens (deploy/backend.gunicorn.conf.py)",
            read_by="backend's gunicorn"),
    Setting("port", "PORT", "integer >= 1", _positive, 8001,
            "where the backend alone listens (`--bind` overrides)", read_by="backend's gunicorn"),
)


BackendSettings = dataclasses.make_dataclass(
    "BackendSettings",
    [(setting.name, Any, dataclasses.field(default=setting.default)) for setting in BACKEND],
    frozen=True,
)
BackendSettings.__module__ = __name__  # make_dataclass takes module= only from Python 3.12
BackendSettings.__doc__ = "The backend's settings, read once (see ``BACKEND``)."


def read(env: Mapping[str, str] | None = None) -> Any:
    """Parse every backend setting from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    return BackendSettings(**{setting.name: setting.value(env) for setting in BACKEND})
