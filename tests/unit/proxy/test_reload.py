from __future__ import annotations

import os
from pathlib import Path

import pytest

from proxy import metrics
from proxy.reload import RouteSource
from proxy.validation import RouteFileError

GOOD = "routes:\n  - route: GET /api/tags\n    serve: legacy\n"


def bump(path: Path, text: str) -> None:
    """Write and move the mtime forward, so that even a same-size edit is seen."""
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_a_changed_file_is_swapped_in(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(GOOD)
    source = RouteSource(path, lambda: None)
    first = source.table
    assert source.check() is False
    bump(path, GOOD.replace("GET /api/tags", "GET /api/user"))
    assert source.check() is True
    assert source.table.routes[0].template == "GET /api/user"
    assert source.table.version != first.version


def test_an_invalid_file_keeps_the_last_good_table(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(GOOD)
    source = RouteSource(path, lambda: None)
    good = source.table
    failures = metrics.RELOAD_FAILURES._value.get()
    bump(path, GOOD + "    colour: blue\n")
    assert source.check() is False
    assert source.table is good
    assert "routes[0].colour: unknown key" in source.last_error
    assert metrics.RELOAD_FAILURES._value.get() == failures + 1
    bump(path, GOOD)
    assert source.check() is True
    assert source.last_error is None
    assert source.table.version == good.version


def test_a_missing_first_file_raises(tmp_path: Path) -> None:
    source = RouteSource(tmp_path / "missing.yaml", lambda: None)
    with pytest.raises(RouteFileError, match="missing.yaml"):
        assert source.table is None


def test_the_rejected_gauge_follows_the_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(GOOD)
    source = RouteSource(path, lambda: None)
    assert source.table is not None
    assert metrics.ROUTES_REJECTED._value.get() == 0
    bump(path, GOOD + "    colour: blue\n")
    source.check()
    assert metrics.ROUTES_REJECTED._value.get() == 1
    bump(path, GOOD)
    source.check()
    assert metrics.ROUTES_REJECTED._value.get() == 0


def test_a_file_that_vanishes_and_comes_back_unchanged_clears_the_error(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(GOOD)
    source = RouteSource(path, lambda: None)
    good = source.table
    path.unlink()
    assert source.check() is False
    assert "No such file" in source.last_error
    assert metrics.ROUTES_REJECTED._value.get() == 1
    bump(path, GOOD)  # e.g. restored from a backup: the same text as the table in force
    source.check()
    assert source.last_error is None
    assert metrics.ROUTES_REJECTED._value.get() == 0
    assert source.table.version == good.version


@pytest.mark.parametrize("half_written", ["", "\n", "  \n\n"])
def test_an_empty_file_mid_write_keeps_the_last_good_table(
        tmp_path: Path, half_written: str) -> None:
    """An editor or `>` redirect truncates before it writes: that instant is not a table."""
    path = tmp_path / "routes.yaml"
    path.write_text(GOOD)
    source = RouteSource(path, lambda: None)
    good = source.table
    bump(path, half_written)
    assert source.check() is False
    assert source.table is good
    assert "empty" in source.last_error
