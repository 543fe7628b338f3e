"""The rollout controller's Prometheus metrics (served by ``strangler rollout run --metrics-port``,
or, under PROMETHEUS_MULTIPROC_DIR shared with the proxy, by the proxy's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

STEP = Gauge(
    "strangler_rollout_step",
    "Each planned route's step: its index in the plan (0 = the first step), -1 off plan.",
    ["route"], multiprocess_mode="livemostrecent",
)
FLASK_PERCENT = Gauge(
    "strangler_rollout_flask_percent",
    "Share of users Flask serves on each planned route's step (0 shadow, 100 flask).",
    ["route"], multiprocess_mode="livemostrecent",
)
EVALUATIONS = Counter(
    "strangler_rollout_gate_evaluations_total",
    "Gate evaluations by the acting controller, by decision (pass, hold, breach).",
    ["route", "decision"],
)
PROMOTIONS = Counter(
    "strangler_rollout_promotions_total", "Steps forward made by the controller.", ["route"],
)
ROLLBACKS = Counter(
    "strangler_rollout_rollbacks_total",
    "Breaches acted on by the controller: rolled back, or paused (on_breach: pause).",
    ["route", "action"],
)
