"""Settings: the prefix and the signing key every worker shares."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from rollout.dashboard.settings import persistent_secret_key
from shadow import settings


@pytest.mark.parametrize(("value", "prefix"), [
    ("/_strangler", "/_strangler"), ("_ops/", "/_ops"), ("/a/b/", "/a/b"),
])
def test_the_prefix_is_normalised(value, prefix):
    assert settings.read({"STRANGLER_DASHBOARD_PREFIX": value}).dashboard_prefix == prefix


def test_an_empty_prefix_is_refused():
    with pytest.raises(ValueError, match="STRANGLER_DASHBOARD_PREFIX"):
        settings.read({"STRANGLER_DASHBOARD_PREFIX": "/"})


def test_racing_workers_all_get_the_same_generated_key(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: persistent_secret_key(tmp_path / "instance"), range(16)))
    assert len(keys) == 1
    (key,) = keys
    assert len(key) >= 40
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in (tmp_path / "instance").iterdir()) == ["secret_key"]


def test_the_environment_key_wins(make_app, monkeypatch):
    monkeypatch.setenv("STRANGLER_SECRET_KEY", "from-the-environment")
    assert make_app(SECRET_KEY=None).config["SECRET_KEY"] == "from-the-environment"


def test_an_unwritable_instance_folder_asks_for_the_environment_key(tmp_path):
    instance = tmp_path / "instance"
    instance.write_text("a file where the folder should be")
    with pytest.raises(RuntimeError, match="set STRANGLER_SECRET_KEY"):
        persistent_secret_key(instance)
