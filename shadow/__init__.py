"""Shadow mode: mirror requests to the candidate, compare with the control, record verdicts.

Vocabulary (GitHub Scientist): the **control** is the side that serves the client, the
**candidate** the side compared with it. An ``Observation`` is one side's outcome (status,
headers, body bytes, duration, exception); a ``Result`` is the verdict. The steps are
clean (``shadow.clean``), ignore (``Rules``), compare (``shadow.compare``) and publish
(``Publisher``: ``ParityWriter`` for the store, ``Metrics`` for Prometheus).

What the proxy calls
--------------------
Once per worker process (after gunicorn's fork; the threads start on first use anyway)::

    from shadow import Metrics, Mirror, ParityStore, ParityWriter, engine_from_url

    writer = ParityWriter(ParityStore(engine, reservoir_size=20))   # engine: sa.Engine
    mirror = Mirror([writer, Metrics()], max_in_flight=8, timeout=5.0)

When routes.yaml is (re)loaded, resolve each shadowed route's settings once, from the
global ``shadow:`` section and the route's own entry, mappings or the proxy's validated
models (raises ``RuleError`` naming the bad path, so a bad table can be refused before use)::

    experiment = Experiment.from_settings(route_file.shadow, entry)  # rules, sample, timeout,
                                                                      # max_in_flight, writes

For each request of a shadowed route, after the control has answered and *before or after*
the response is returned (``submit`` never blocks or raises)::

    exchange = Exchange(route="GET /api/articles/:slug",  # the template: label and store key
                        method="GET", request_id=request_id, path=path, target=target,
                        headers=headers, control_side="legacy")  # the side that served
    mirror.submit(
        exchange,
        Observation(status, headers, body, duration),       # the control's answer
        lambda: call_the_other_side(exchange),               # returns an Observation; may raise
        experiment,                                          # "dry-run" lets writes through
        recheck=lambda: call_the_control_again(exchange),    # optional, safe methods: confirms
        calibrate=mirror.sampler.sampled(experiment.calibrate),  # a mismatch; finds noise
    )
    # -> Submission: mirrored, unsampled, skipped_unsafe, skipped_overload (failed: logged bug)

With a queue (``SHADOW_QUEUE_URL``, ``shadow.queue``), the proxy publishes each read's
``shadow.record.Record`` (``QueuePublisher.publish``, never blocking or raising) and shadow
workers compare it with ``judge`` / ``noise_of``, the same step the Mirror runs; stored
comparisons then carry the stream entry's ``key`` (unique) and their ``lag``.

Periodically (e.g. hourly, from one process): ``ParityStore(engine).prune(max_age=
timedelta(days=14), max_rows=1_000_000)``. On shutdown: ``mirror.close(); writer.close()``.

Reading the store (CLI, dashboard): ``shadow.report.route_reports(engine, since)``,
``latest_mismatches(engine, route)`` and ``noise_candidates(engine, route)``; the latter gives
the paths for ``parity noise ROUTE --accept`` in rule syntax, ready for the route's
``ignore:`` list. The CLI group ``shadow.cli.parity`` is mounted with
``cli.add_command(parity)``.

Concurrency: give the Mirror the worker's write registry (``Mirror(..., writes=Writes())``,
``shadow.concurrency``), register each write with ``writes.begin(resources)`` / ``end``, and set
the Exchange's ``resources`` (and ``write``, its own token): a mismatch that raced another
write to one of them is recorded as ``concurrent_write``.

Metrics: ``shadow_comparisons_total{route,outcome}``, ``shadow_candidate_seconds{route}``,
``shadow_noise_paths_total{route}``, ``shadow_store_dropped_total``,
``shadow_store_failed_total`` (set PROMETHEUS_MULTIPROC_DIR under gunicorn).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shadow.comparison import Comparison, Publisher
    from shadow.eligibility import Sampler, Submission, mirrorable
    from shadow.exchange import Exchange
    from shadow.experiment import Experiment
    from shadow.metrics import Metrics
    from shadow.mirror import Mirror, judge, noise_of
    from shadow.noise import calibrate
    from shadow.observation import Difference, Kind, Observation, Outcome, Result
    from shadow.paths import FieldPath
    from shadow.rules import RuleError, Rules
    from shadow.store import ParityStore, engine_from_url
    from shadow.writer import ParityWriter

# ``compare`` is also a submodule's name: imported here, so the package attribute is the
# function even after ``import shadow.compare`` (which would otherwise set the module).
from shadow.compare import compare  # noqa: E402

# Every other name is imported from its module when first used (PEP 562), so that importing
# one light module (shadow.rules, shadow.settings) does not import them all: the store
# (SQLAlchemy), the metrics (prometheus_client) and the mirror cost the CLI time.
_MODULES = {
    "Comparison": "shadow.comparison",
    "Difference": "shadow.observation",
    "Exchange": "shadow.exchange",
    "Experiment": "shadow.experiment",
    "FieldPath": "shadow.paths",
    "Kind": "shadow.observation",
    "Metrics": "shadow.metrics",
    "Mirror": "shadow.mirror",
    "Observation": "shadow.observation",
    "Outcome": "shadow.observation",
    "ParityStore": "shadow.store",
    "ParityWriter": "shadow.writer",
    "Publisher": "shadow.comparison",
    "Result": "shadow.observation",
    "RuleError": "shadow.rules",
    "Rules": "shadow.rules",
    "Sampler": "shadow.eligibility",
    "Submission": "shadow.eligibility",
    "calibrate": "shadow.noise",
    "engine_from_url": "shadow.store",
    "judge": "shadow.mirror",
    "mirrorable": "shadow.eligibility",
    "noise_of": "shadow.mirror",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'shadow' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Comparison",
    "Difference",
    "Exchange",
    "Experiment",
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
    "Submission",
    "calibrate",
    "compare",
    "engine_from_url",
    "judge",
    "mirrorable",
    "noise_of",
]
