"""The serving entry points refuse the published development secret outside development."""

from __future__ import annotations

import subprocess
import sys

import pytest

from backend.jwt_secret import DEV_JWT_SECRET, InsecureSecrets, require_real_secrets


@pytest.mark.parametrize("env", [
    {},
    {"JWT_SECRET": ""},
    {"JWT_SECRET": DEV_JWT_SECRET},
    {"JWT_SECRET": "a real secret", "STRANGLER_DRY_RUN_SECRET": DEV_JWT_SECRET},
    {"JWT_SECRET": "a real secret", "STRANGLER_DRY_RUN_SECRET": ""},
    {"JWT_SECRET": DEV_JWT_SECRET, "STRANGLER_ENV": "production"},
])
def test_missing_or_published_secrets_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(InsecureSecrets, match="JWT_SECRET|STRANGLER_DRY_RUN_SECRET"):
        require_real_secrets(env)


@pytest.mark.parametrize("env", [
    {"JWT_SECRET": "a real secret"},
    {"JWT_SECRET": "a real secret", "STRANGLER_DRY_RUN_SECRET": "another"},
    {"STRANGLER_ENV": "development"},
    {"JWT_SECRET": DEV_JWT_SECRET, "STRANGLER_ENV": "development"},
])
def test_real_secrets_or_explicit_development_start(env: dict[str, str]) -> None:
    require_real_secrets(env)


@pytest.mark.parametrize("module", ["backend.wsgi", "rollout.wsgi"])
def test_the_entry_points_refuse_to_load_without_a_secret(module: str, tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    refused = subprocess.run([sys.executable, "-c", f"import {module}"], env=env,
                             capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode != 0
    assert "JWT_SECRET is not set" in refused.stderr
    started = subprocess.run([sys.executable, "-c", f"import {module}"],
                             env={**env, "STRANGLER_ENV": "development"},
                             capture_output=True, text=True, timeout=60, check=False)
    assert started.returncode == 0, started.stderr
