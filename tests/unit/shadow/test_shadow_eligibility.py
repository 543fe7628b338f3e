"""Which requests are mirrored: sampling and write safety."""

from __future__ import annotations

import random

import pytest

from shadow.eligibility import Sampler, mirrorable


@pytest.mark.parametrize(("fraction", "expected"), [(1.0, 1000), (0.0, 0), (1.5, 1000), (-1, 0)])
def test_sampling_extremes(fraction: float, expected: int) -> None:
    sampler = Sampler(random.Random(1))
    assert sum(sampler.sampled(fraction) for _ in range(1000)) == expected


def test_sampling_is_deterministic_given_the_random_source() -> None:
    first, second = Sampler(random.Random(7)), Sampler(random.Random(7))
    decisions = [first.sampled(0.3) for _ in range(200)]
    assert decisions == [second.sampled(0.3) for _ in range(200)]
    assert 0 < sum(decisions) < 200


def test_sampling_follows_the_random_source() -> None:
    class Fixed(random.Random):
        def random(self) -> float:
            return 0.25

    assert Sampler(Fixed()).sampled(0.3) is True
    assert Sampler(Fixed()).sampled(0.2) is False


@pytest.mark.parametrize(
    ("method", "writes", "expected"),
    [
        ("GET", None, True),
        ("head", None, True),
        ("OPTIONS", None, True),
        ("POST", None, False),
        ("PUT", None, False),
        ("DELETE", "off", False),
        ("POST", "dry-run", True),
        ("DELETE", "dry-run", True),
    ],
)
def test_write_safety(method: str, writes: str | None, expected: bool) -> None:
    assert mirrorable(method, writes) is expected
