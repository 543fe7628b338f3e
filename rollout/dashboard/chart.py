"""Parity over time as an inline SVG line chart: no charting library, no build step."""

from __future__ import annotations

import math
from dataclasses import dataclass

from shadow.report import Point

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 200, 48, 24, 10


@dataclass(frozen=True)
class Chart:
    """Coordinates ready for the template: the line, the dots, the axis ticks."""

    width: int
    height: int
    polyline: str
    dots: list[tuple[float, float, str]]  # x, y, tooltip
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]


def parity_chart(points: list[Point]) -> Chart | None:
    """Lay out the buckets that have comparisons; None when there are none."""
    shown = [p for p in points if p.parity is not None]
    if not shown:
        return None
    parities = [p.parity for p in points if p.parity is not None]
    floor = min(90.0, 10 * math.floor(min(parities) / 10))
    span_x = WIDTH - LEFT - 10
    span_y = HEIGHT - BOTTOM - TOP

    def y(value: float) -> float:
        return round(TOP + span_y * (100.0 - value) / (100.0 - floor), 1)

    step = span_x / max(len(shown) - 1, 1)
    dots = [
        (round(LEFT + i * step, 1), y(parity),
         f"{p.start:%Y-%m-%d %H:%M}: {parity:.2f}% of {p.compared}")
        for i, (p, parity) in enumerate(zip(shown, parities, strict=True))
    ]
    ticks = [(y(v), f"{v:g}%") for v in (floor, (floor + 100) / 2, 100.0)]
    labels = [(dots[0][0], f"{shown[0].start:%m-%d %H:%M}")]
    if len(shown) > 1:
        labels.append((dots[-1][0], f"{shown[-1].start:%m-%d %H:%M}"))
    return Chart(WIDTH, HEIGHT, " ".join(f"{x},{yy}" for x, yy, _ in dots), dots, ticks, labels)
