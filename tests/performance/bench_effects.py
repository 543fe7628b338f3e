"""What comparing effects costs a dry-run: ``python -m tests.performance.bench_effects``.

On a fresh PostgreSQL database, the backend in-process (Flask test client) runs the same
dry-run writes (update an article, comment, follow and unfollow) with the seam's row capture
on and off, then shadow's two reads (``Watch.snapshot`` before the control,
``Watch.differences`` after it) for the reports they produced. Prints medians per request and
the ratio capture-on / capture-off; the machine is shared, so read ratios, not milliseconds.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from backend import create_app, dryrun
from shadow import engine_from_url
from shadow.effects import Schema, Watch
from tests.support.api import Api
from tests.support.databases import DatabaseFactory

ROUNDS = 60


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def main() -> None:
    factory = DatabaseFactory(Path(tempfile.mkdtemp(prefix="bench-effects-")))
    try:
        url = factory.create("postgresql")
        app = create_app({"TESTING": True, "JWT_SECRET": "bench-effects-secret" * 2,
                          "SQLALCHEMY_DATABASE_URI": url.replace(
                              "postgresql://", "postgresql+psycopg://")})
        api = Api(app.test_client())
        api.register("jake")
        api.register("anne")
        slug = api.call("POST", "/api/articles", "jake", json={"article": {
            "title": "T", "description": "d", "body": "b", "tagList": ["x"]}}).json[
            "article"]["slug"]
        requests: list[tuple[str, str, str, dict[str, Any] | None]] = [
            ("PUT", f"/api/articles/{slug}", "jake", {"article": {"body": "changed"}}),
            ("POST", f"/api/articles/{slug}/comments", "anne", {"comment": {"body": "hi"}}),
            ("POST", "/api/profiles/jake/follow", "anne", None),
            ("POST", "/api/articles", "anne", {"article": {"title": "N", "description": "d",
                                                          "body": "b", "tagList": ["x", "y"]}}),
        ]

        def send(method: str, path: str, who: str, body: dict[str, Any] | None) -> Any:
            return api.call(method, path, who, json=body,
                            headers={dryrun.HEADER: dryrun.marker(app)})

        def timed(action: Callable[[], Any]) -> tuple[float, Any]:
            started = time.perf_counter()
            value = action()
            return time.perf_counter() - started, value

        on: list[float] = []
        off: list[float] = []
        reports: list[dict[str, Any]] = []
        for _ in range(ROUNDS):
            for method, path, who, body in requests:
                seconds, response = timed(lambda m=method, p=path, w=who, b=body:
                                          send(m, p, w, b))
                on.append(seconds)
                reports.append(json.loads(response.headers[dryrun.EFFECTS_HEADER]))
                sa.event.remove(sa.Engine, "before_execute", dryrun._before_write)
                try:
                    original, dryrun._changes = dryrun._changes, lambda run: []
                    seconds, _ = timed(lambda m=method, p=path, w=who, b=body: send(m, p, w, b))
                    off.append(seconds)
                finally:
                    dryrun._changes = original
                    sa.event.listen(sa.Engine, "before_execute", dryrun._before_write)
        engine = engine_from_url(url)
        schema = Schema(engine)
        snapshot: list[float] = []
        read_back: list[float] = []
        for report in reports:
            watch = Watch(schema, report)
            seconds, _ = timed(watch.snapshot)
            snapshot.append(seconds)
            seconds, _ = timed(watch.differences)
            read_back.append(seconds)
        engine.dispose()
        print(json.dumps({
            "dry_run_requests": len(on),
            "backend_ms_capture_on": median_ms(on),
            "backend_ms_capture_off": median_ms(off),
            "backend_ratio": round(statistics.median(on) / statistics.median(off), 2),
            "shadow_snapshot_ms (request path)": median_ms(snapshot),
            "shadow_read_back_ms (mirror worker)": median_ms(read_back),
        }, indent=2))
    finally:
        factory.drop_all()


if __name__ == "__main__":
    main()
