"""Parity over time as an inline SVG line chart: no charting library, no build step.

The x axis is the whole window the page shows, [start, end): each bucket of
``shadow.report.timeline`` sits at its middle in time, a bucket without comparisons is a gap
in the line (the line is drawn in runs of buckets that have some), and the axis labels are
the window's real start, middle and end, so a point is read at the hour it was compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from shadow.report import Point

WIDTH, HEIGHT, LEFT, RIGHT, BOTTOM, TOP = 720, 200, 48, 10, 24, 10


@dataclass(frozen=True)
class Chart:
    """Coordinates ready for the template: the line's runs, the dots, the axis ticks."""

    width: int
    height: int
    lines: list[str]  # one polyline per run of buckets with comparisons
    dots: list[tuple[float, float, str]]  # x, y, tooltip
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str, str]]  # x, label, ISO instant (the label's time)
    start: datetime
    end: datetime


def parity_chart(points: list[Point], start: datetime, end: datetime) -> Chart | None:
    """Lay out the buckets of [start, end) over the whole window; None without comparisons."""
    if not any(p.parity is not None for p in points) or end <= start:
        return None
    parities = [p.parity for p in points if p.parity is not None]
    floor = min(90.0, 10 * math.floor(min(parities) / 10))
    span_x = WIDTH - LEFT - RIGHT
    span_y = HEIGHT - BOTTOM - TOP
    window = (end - start).total_seconds()
    step = window / max(len(points), 1)

    def x(seconds: float) -> float:
        return round(LEFT + span_x * seconds / window, 1)

    def y(value: float) -> float:
        return round(TOP + span_y * (100.0 - value) / (100.0 - floor), 1)

    dots: list[tuple[float, float, str]] = []
    lines: list[str] = []
    run: list[str] = []
    for point in points:
        if point.parity is None:
            if run:
                lines.append(" ".join(run))
            run = []
            continue
        middle = (point.start - start).total_seconds() + step / 2
        dot = (x(middle), y(point.parity),
               f"{point.start:%Y-%m-%d %H:%M} UTC: {point.parity:.2f}% of {point.compared}")
        dots.append(dot)
        run.append(f"{dot[0]},{dot[1]}")
    if run:
        lines.append(" ".join(run))
    ticks = [(y(v), f"{v:g}%") for v in (floor, (floor + 100) / 2, 100.0)]
    labels = [(x(0), start), (x(window / 2), start + (end - start) / 2), (x(window), end)]
    x_ticks = [(at, f"{instant:%m-%d %H:%M}", instant.isoformat()) for at, instant in labels]
    return Chart(WIDTH, HEIGHT, lines, dots, ticks, x_ticks, start, end)
