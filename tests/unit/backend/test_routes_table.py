"""Every operation of routes.yaml can be served by Flask: the proxy's validation agrees."""

from __future__ import annotations

import re

from flask import Flask

from backend.database import REPO_ROOT
from proxy.validation import backend_shapes, parse_document, validate_document


def test_every_route_of_routes_yaml_validates_as_served_by_flask(app: Flask) -> None:
    text = (REPO_ROOT / "routes.yaml").read_text()
    all_flask = re.sub(r"serve: \S+", "serve: flask", text)
    assert all_flask.count("serve: flask") >= 19
    document = parse_document(all_flask, "routes.yaml")
    table = validate_document(document, "routes.yaml", backend_shapes(app.url_map))
    assert len(table.routes) == 19
    assert len(backend_shapes(app.url_map)) >= 19
