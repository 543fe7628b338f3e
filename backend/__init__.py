"""The new Flask implementation of the Conduit API."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from backend.database import database_url, db
from backend.jwt_secret import DEV_JWT_SECRET


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the Conduit API application."""
    app = Flask(__name__)
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=database_url(),
        JWT_SECRET=os.environ.get("JWT_SECRET") or DEV_JWT_SECRET,
        JWT_TTL_SECONDS=int(os.environ.get("JWT_TTL_SECONDS", "2592000")),
        STRANGLER_DRY_RUN_SECRET=os.environ.get("STRANGLER_DRY_RUN_SECRET"),
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
