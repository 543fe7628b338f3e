"""The parity chart spans the whole window: buckets at their time, gaps left empty, and axis
labels from the window's real start and end (a 24 h window once drew its one point at the
left edge, labelled with the hour of that point)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rollout.dashboard.chart import LEFT, RIGHT, WIDTH, parity_chart
from shadow.report import Point

END = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
START = END - timedelta(hours=24)


def points(filled: dict[int, float]) -> list[Point]:
    return [Point(START + timedelta(hours=i), 10 if i in filled else 0, filled.get(i))
            for i in range(24)]


def test_one_bucket_late_in_the_window_sits_late_on_the_axis() -> None:
    chart = parity_chart(points({20: 100.0}), START, END)
    assert chart is not None
    (x, _, tip), = chart.dots
    assert x == round(LEFT + (WIDTH - LEFT - RIGHT) * 20.5 / 24, 1)
    assert tip.startswith("2026-12-02 05:00 UTC")
    assert [label for _, label, _ in chart.x_ticks] == ["12-01 09:00", "12-01 21:00",
                                                        "12-02 09:00"]
    assert chart.x_ticks[0][2] == START.isoformat() and chart.x_ticks[-1][2] == END.isoformat()


def test_empty_buckets_are_gaps_in_the_line() -> None:
    chart = parity_chart(points({1: 100.0, 2: 90.0, 10: 95.0}), START, END)
    assert chart is not None
    assert len(chart.dots) == 3
    assert [len(line.split()) for line in chart.lines] == [2, 1]


def test_no_comparisons_no_chart() -> None:
    assert parity_chart(points({}), START, END) is None
