"""The ``strangler`` command: Flask's CLI around the proxy app (``strangler db ...`` included)."""

from __future__ import annotations

from flask.cli import FlaskGroup

from proxy import create_app

cli = FlaskGroup(create_app=create_app, help="Strangler: migrate a live API one route at a time.")
