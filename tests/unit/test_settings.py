"""Settings: declared once, read once, bad values named at start, the generated table current."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

from backend import create_app as create_backend
from backend import settings as backend_settings
from proxy import create_app as create_proxy
from shadow import settings as tooling_settings
from tools import settings_doc

REPO_ROOT = Path(__file__).resolve().parents[2]
DECLARED = {setting.env for setting in (*backend_settings.BACKEND, *tooling_settings.TOOLING,
                                        *tooling_settings.COMPOSE)}


def test_docs_settings_md_is_generated_from_the_declarations() -> None:
    assert settings_doc.DOC.read_text() == settings_doc.render(), (
        "docs/settings.md is out of date: run python -m tools.settings_doc")
    for env in DECLARED:
        assert f"| `{env}` |" in settings_doc.render()


def test_env_example_names_only_declared_variables_and_every_compose_one() -> None:
    example = (REPO_ROOT / "deploy" / ".env.example").read_text()
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    assert named, "deploy/.env.example names no variable"
    assert named - DECLARED == set()
    compose = (REPO_ROOT / "deploy" / "compose.yaml").read_text()
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", compose))
    assert interpolated - named == set()  # every variable compose reads is listed


def test_defaults_when_nothing_is_set_and_an_empty_variable_counts_as_unset() -> None:
    tooling = tooling_settings.read({"PROXY_LEGACY_POOL_SIZE": "", "GUNICORN_THREADS": "4"})
    assert (tooling.legacy_pool_size, tooling.threads) == (32, 4)
    assert tooling.dashboard_prefix == "/_strangler"
    backend = backend_settings.read({"JWT_TTL_SECONDS": "60"})
    assert (backend.jwt_ttl_seconds, backend.jwt_secret) == (60, "dev-only-secret")


@pytest.mark.parametrize(("env", "raw", "rule"), [
    ("PROXY_LEGACY_POOL_SIZE", "many", "must be a whole number of at least 1"),
    ("PROXY_MAX_BODY_BYTES", "0", "must be a whole number of at least 1"),
    ("PROXY_CLIENT_BODY_TIMEOUT", "-1", "must be a positive number"),
    ("PROXY_HTTP_CLIENT", "curl", "must be one of urllib3, httpx"),
    ("STRANGLER_DASHBOARD_PREFIX", "/", "must not be empty or '/'"),
    ("STRANGLER_READY_PARITY", "high", "must be a number at least 0"),
    ("GUNICORN_THREADS", "1.5", "must be a whole number of at least 1"),
])
def test_a_bad_tooling_value_is_one_error_naming_the_variable(env, raw, rule) -> None:
    with pytest.raises(tooling_settings.SettingError) as error:
        tooling_settings.read({env: raw})
    assert str(error.value) == f"{env} {rule}, got {raw!r}"


@pytest.mark.parametrize(("env", "raw"), [("JWT_TTL_SECONDS", "soon"),
                                          ("DATABASE_URL", "mysql://db/x"), ("PORT", "http")])
def test_a_bad_backend_value_is_one_error_naming_the_variable(env, raw) -> None:
    with pytest.raises(backend_settings.SettingError, match=f"^{env} .*, got {raw!r}$"):
        backend_settings.read({env: raw})


def test_the_apps_and_the_gunicorn_config_refuse_to_start_on_a_bad_value(monkeypatch,
                                                                         tmp_path) -> None:
    monkeypatch.setenv("JWT_TTL_SECONDS", "a month")
    with pytest.raises(backend_settings.SettingError, match="JWT_TTL_SECONDS"):
        create_backend()
    monkeypatch.delenv("JWT_TTL_SECONDS")
    monkeypatch.setenv("STRANGLER_LOGIN_WINDOW", "15m")
    with pytest.raises(tooling_settings.SettingError, match="STRANGLER_LOGIN_WINDOW"):
        create_proxy({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.delenv("STRANGLER_LOGIN_WINDOW")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # the config keeps it
    monkeypatch.setenv("WEB_CONCURRENCY", "lots")
    with pytest.raises(tooling_settings.SettingError, match="WEB_CONCURRENCY"):
        runpy.run_path(str(REPO_ROOT / "deploy" / "gunicorn.conf.py"))
    monkeypatch.setenv("PORT", "http")
    with pytest.raises(backend_settings.SettingError, match="PORT"):
        runpy.run_path(str(REPO_ROOT / "deploy" / "backend.gunicorn.conf.py"))


def test_the_settings_object_is_frozen_and_passed_down(monkeypatch) -> None:
    settings = tooling_settings.read({"SHADOW_MAX_BODY_BYTES": "100",
                                      "STRANGLER_DASHBOARD_PREFIX": "ops/"})
    with pytest.raises(AttributeError):
        settings.threads = 1  # type: ignore[misc]
    monkeypatch.setenv("SHADOW_MAX_BODY_BYTES", "5")  # ignored: the object was given
    app = create_proxy({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, settings=settings)
    assert app.config["SETTINGS"] is settings
    assert (app.config["SHADOW_MAX_BODY_BYTES"], app.config["DASHBOARD_PREFIX"]) == (100, "/ops")


ALLOWED_ENV_READS = {
    "backend/settings.py", "shadow/settings.py",  # the declarations
    "backend/jwt_secret.py",  # the serving entry points' refusal, at start
    "deploy/gunicorn.conf.py",  # sets prometheus_client's directory before it is imported
}


def test_nothing_else_reads_the_environment() -> None:
    readers = set()
    for folder in ("backend", "proxy", "shadow", "rollout", "deploy"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text()):
                readers.add(str(path.relative_to(REPO_ROOT)))
    assert readers == ALLOWED_ENV_READS
