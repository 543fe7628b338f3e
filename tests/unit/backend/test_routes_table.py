"""routes.yaml and the backend agree: every operation can be served by Flask, the repository's
file lists each one, and the tables the tests generate start from what that file says."""

from __future__ import annotations

from typing import Any

from flask import Flask

from backend.database import REPO_ROOT
from proxy.validation import backend_shapes, load_table, parse_document, validate_document
from tests.support import routes


def test_every_operation_validates_as_served_by_flask(app: Flask) -> None:
    all_flask = routes.routes_yaml("flask")
    assert all_flask.count("serve: flask") >= 19
    document = parse_document(all_flask, "routes.yaml")
    table = validate_document(document, "routes.yaml", backend_shapes(app.url_map))
    assert len(table.routes) == 19
    assert len(backend_shapes(app.url_map)) >= 19


def test_the_repo_routes_file_covers_every_operation(app: Flask) -> None:
    shapes = backend_shapes(app.url_map)
    table = load_table((REPO_ROOT / "routes.yaml").read_text(), "routes.yaml", shapes)
    generated = load_table(routes.dump(routes.production()), "generated", shapes)
    assert {r.pattern.shape for r in table.routes} == {r.pattern.shape for r in generated.routes}
    assert len(table.routes) == len(generated.routes) == len(routes.operations()) == 19


def test_generated_tables_start_from_the_repo_routes_file(app: Flask) -> None:
    """Same legacy, default and shadow settings, the same entry for each operation (only
    parameter names may differ: the backend's ``:comment_id`` is legacy's ``:id``)."""
    def settings(text: str) -> tuple[dict[str, Any], dict[Any, dict[str, Any]]]:
        table = load_table(text, "routes.yaml", backend_shapes(app.url_map))
        entries = {r.pattern.shape: r.entry.model_dump(exclude={"route"}) for r in table.routes}
        return table.config.model_dump(exclude={"routes"}), entries

    assert settings(routes.dump(routes.production())) == settings(
        (REPO_ROOT / "routes.yaml").read_text())
