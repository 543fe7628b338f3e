"""The new Flask implementation of the Conduit API."""

from __future__ import annotations

from typing import Any

from flask import Flask

from backend import settings as declared
from backend.database import database_url, db


def create_app(test_config: dict[str, Any] | None = None, settings: Any = None) -> Flask:
    """Create the Conduit API application.

    ``settings`` is a ``backend.settings.BackendSettings``; without it the environment is read
    here, once (backend/settings.py declares every variable).
    """
    settings = declared.read() if settings is None else settings
    app = Flask(__name__)
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=database_url(settings.database_url),
        JWT_SECRET=settings.jwt_secret,
        JWT_TTL_SECONDS=settings.jwt_ttl_seconds,
        STRANGLER_DRY_RUN_SECRET=settings.dry_run_secret,
    )
    if test_config:
        app.config.update(test_config)

    db.init_app(app)
    import backend.models  # noqa: F401  (register the tables on db.metadata)
    from backend import api, body, dryrun, errors, express_json, headers, reads, routing

    express_json.init_app(app)
    errors.init_app(app)
    headers.init_app(app)  # CORS preflight first, as app.use(cors()) in legacy
    dryrun.init_app(app)
    body.init_app(app)  # then app.use(express.json())
    routing.init_app(app)  # then the router (its converter must exist before the rules)
    reads.init_app(app)  # routed reads run without a transaction
    api.init_app(app)
    return app
