from __future__ import annotations

import pytest

from backend.database import REPO_ROOT
from proxy.validation import RouteFileError, backend_shapes, load_table

VALID = """\
legacy:
  url: http://127.0.0.1:3000
routes:
  - route: GET /api/tags
    serve: legacy
    shadow: flask
"""

SHAPES = {("GET", ("api", "tags")), ("GET", ("api", "articles", None))}


def problems(text: str, shapes=SHAPES) -> str:
    with pytest.raises(RouteFileError) as caught:
        load_table(text, "routes.yaml", shapes)
    return str(caught.value)


def test_the_repo_routes_file_lists_19_operations_on_legacy() -> None:
    table = load_table((REPO_ROOT / "routes.yaml").read_text(), "routes.yaml", set())
    assert len(table.routes) == 19
    assert {route.entry.serve for route in table.routes} == {"legacy"}
    assert len({route.pattern.shape for route in table.routes}) == 19


def test_a_valid_file_loads_with_defaults() -> None:
    table = load_table(VALID, "routes.yaml", SHAPES)
    assert table.config.default == "legacy"
    assert table.config.legacy.timeouts.read == 10.0
    assert table.routes[0].entry.shadow_side == "flask"
    assert len(table.version) == 16


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (VALID + "    colour: blue\n", "routes.yaml:7: routes[0].colour: unknown key"),
        (VALID.replace("legacy:\n", "legacy:\n  retries: 3\n"),
         "routes.yaml:2: legacy.retries: unknown key"),
        ("extra: 1\n" + VALID, "routes.yaml:1: extra: unknown key"),
        (VALID.replace("GET /api/tags", "FETCH /api/tags"),
         "routes.yaml:4: routes[0].route: bad method 'FETCH'"),
        (VALID + "  - route: GET /api/tags\n    serve: legacy\n",
         "routes.yaml:7: routes[1].route: duplicate of GET /api/tags (line 4)"),
        (VALID + "  - route: GET /api/:a/x\n    serve: legacy\n"
         "  - route: GET /api/b/:c\n    serve: legacy\n",
         "routes.yaml:9: routes[2].route: ambiguous with GET /api/:a/x (line 7)"),
        (VALID + "  - route: GET /api/articles/:id\n    serve: legacy\n"
         "  - route: GET /api/articles/:slug\n    serve: legacy\n",
         "routes.yaml:9: routes[2].route: duplicate of GET /api/articles/:id (line 7)"),
        (VALID.replace("serve: legacy", "serve: {flask: 10, legacy: 80}"),
         "routes.yaml:5: routes[0].serve: weights must sum to 100, got 90"),
        (VALID.replace("serve: legacy", "serve: nginx"),
         "routes.yaml:5: routes[0].serve: Input should be 'legacy' or 'flask'"),
        (VALID.replace("shadow: flask", "shadow: nginx"),
         "routes.yaml:6: routes[0].shadow: Input should be 'legacy' or 'flask'"),
        (VALID.replace("shadow: flask", "shadow: legacy"),
         "routes.yaml:4: routes[0]: shadow: legacy compares the side that serves"),
        (VALID + "default: nginx\n", "routes.yaml:7: default: Input should be"),
        (VALID + "  - route: DELETE /api/tags\n    serve: flask\n",
         "routes.yaml:8: routes[1].serve: the Flask backend does not implement DELETE /api/tags"),
        (VALID + "  - route: POST /api/users\n    serve: {flask: 5, legacy: 95}\n",
         "routes.yaml:8: routes[1].serve: the Flask backend does not implement POST /api/users"),
        (VALID + "shadow:\n  sample: 1.5\n",
         "routes.yaml:8: shadow.sample: Input should be less than or equal to 1"),
        (VALID + "    writes: maybe\n", "routes.yaml:7: routes[0].writes: Input should be"),
        (VALID.replace("http://127.0.0.1:3000", "ftp://x"),
         "routes.yaml:2: legacy.url: must be an http:// or https:// URL"),
        ("routes: [\n", "routes.yaml:2: (yaml):"),
    ],
)
def test_invalid_files_name_file_line_and_key(text: str, expected: str) -> None:
    assert expected in problems(text)


def test_serve_flask_is_checked_against_the_backend_url_map(backend_app) -> None:
    shapes = backend_shapes(backend_app.url_map)
    text = VALID.replace("serve: legacy\n    shadow: flask", "serve: flask")
    assert load_table(text, "routes.yaml", shapes).routes[0].entry.serve == "flask"
    text += "  - route: GET /api/articles/:slug/comments\n    serve: flask\n"
    assert "does not implement GET /api/articles/:slug/comments" in problems(text, shapes)
    assert load_table(text.replace("GET /api/articles/:slug/comments",
                                   "HEAD /api/articles/:slug"), "routes.yaml", shapes)
