"""Shadow mode: mirror requests to the candidate, compare with the control, record verdicts.

Vocabulary (GitHub Scientist): the **control** is the side that serves the client, the
**candidate** the side compared with it. An ``Observation`` is one side's outcome (status,
headers, body bytes, duration, exception); a ``Result`` is the verdict. The steps are
clean (``shadow.clean``), ignore (``Rules``), compare (``shadow.compare``) and publish
(``Publisher``: ``ParityWriter`` for the store, ``Metrics`` for Prometheus).

What the proxy calls
--------------------
Once per worker process (after gunicorn's fork; the threads start on first use anyway)::

    from shadow import Metrics, Mirror, ParityStore, ParityWriter, Rules, engine_from_url

    writer = ParityWriter(ParityStore(engine, reservoir_size=20))   # engine: sa.Engine
    mirror = Mirror([writer, Metrics()], max_in_flight=8, timeout=5.0)

When routes.yaml is (re)loaded, build each shadowed route's rules from the global
``shadow:`` section and the route's own entry, mappings or the proxy's validated models
(raises ``RuleError`` naming the bad path, so a bad table can be refused before use)::

    rules = Rules.from_settings(route_file.shadow, entry)  # reads ignore, unordered, and if
                                                            # present headers, excuse_server_errors

For each request of a shadowed route, after the control has answered and *before or after*
the response is returned (``submit`` never blocks or raises)::

    mirror.submit(
        route="GET /api/articles/:slug",        # the template: metric label and store key
        method="GET",
        control=Observation(status, headers, body, duration),
        candidate=lambda: call_the_other_side(),  # returns an Observation; may raise
        rules=rules,
        control_side="legacy",                  # the side that served: "legacy" or "flask"
        request_id=request_id,
        sample=0.5,                             # route's fraction, else the global default
        writes=entry.writes,                    # "dry-run" lets POST/PUT/DELETE through
        timeout=5.0,                            # per call; defaults to the Mirror's
        recheck=lambda: call_the_control_again(),  # optional: noise calibration, e.g. only
    )                                           # when mirror.sampler.sampled(calibrate)
    # -> Decision: mirrored, unsampled, skipped_unsafe, skipped_overload (failed: logged bug)

Periodically (e.g. hourly, from one process): ``ParityStore(engine).prune(max_age=
timedelta(days=14), max_rows=1_000_000)``. On shutdown: ``mirror.close(); writer.close()``.

Reading the store (CLI, dashboard): ``shadow.report.route_reports(engine, since)``,
``latest_mismatches(engine, route)`` and ``noise_candidates(engine, route)``; the latter gives
the paths for ``parity noise ROUTE --accept`` in rule syntax, ready for the route's
``ignore:`` list. The CLI group ``shadow.cli.parity`` is mounted with
``cli.add_command(parity)``.

Metrics: ``shadow_comparisons_total{route,outcome}``, ``shadow_candidate_seconds{route}``,
``shadow_noise_paths_total{route}``, ``shadow_store_dropped_total``,
``shadow_store_failed_total`` (set PROMETHEUS_MULTIPROC_DIR under gunicorn).
"""

from __future__ import annotations

from shadow.compare import compare
from shadow.comparison import Comparison, Publisher
from shadow.eligibility import Decision, Sampler, mirrorable
from shadow.metrics import Metrics
from shadow.mirror import Mirror
from shadow.noise import calibrate
from shadow.observation import Difference, Kind, Observation, Outcome, Result
from shadow.paths import FieldPath
from shadow.rules import RuleError, Rules
from shadow.store import ParityStore, engine_from_url
from shadow.writer import ParityWriter

__all__ = [
    "Comparison",
    "Decision",
    "Difference",
    "FieldPath",
    "Kind",
    "Metrics",
    "Mirror",
    "Observation",
    "Outcome",
    "ParityStore",
    "ParityWriter",
    "Publisher",
    "Result",
    "RuleError",
    "Rules",
    "Sampler",
    "calibrate",
    "compare",
    "engine_from_url",
    "mirrorable",
]
