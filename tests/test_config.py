"""Configuration from the environment, and the SQLite settings the app relies on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from config import ROOT, ProductionConfig, TestConfig
from tests.conftest import dispose, make_app


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    settings = {"SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"}
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(ProductionConfig, settings)


def test_production_refuses_to_start_without_a_mail_server(tmp_path):
    settings = {
        "SECRET_KEY": "k" * 32,
        "PRIVACY_CONTACT": "dpo@example.org",
        "MAIL_SERVER": None,
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": "sqlite://",
    }
    with pytest.raises(RuntimeError, match="MAIL_SERVER must be set"):
        create_app(ProductionConfig, settings)


def production_settings(tmp_path, **settings) -> dict:
    """Everything production requires, on a SQLite file, with `settings` on top."""
    return {
        "SECRET_KEY": "k" * 32,
        "PRIVACY_CONTACT": "dpo@example.org",
        "MAIL_SERVER": "smtp.example.org",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'aula.db'}",
        **settings,
    }


@pytest.mark.parametrize("storage", ["memory://", "", None])
def test_production_refuses_rate_limits_counted_in_each_workers_memory(tmp_path, storage):
    """In memory, each of gunicorn's workers counts apart: 2 workers let 20 wrong
    passwords through for one account before a 429, not 10."""
    settings = production_settings(tmp_path, RATELIMIT_STORAGE_URI=storage)
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI must be set in production"):
        create_app(ProductionConfig, settings)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_SINGLE_PROCESS": True},
        {"RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False},
    ],
    ids=["shared-storage", "one-process", "no-limits"],
)
def test_production_starts_when_rate_limits_are_counted_once(tmp_path, settings):
    app = create_app(ProductionConfig, production_settings(tmp_path, **settings))
    assert app.config["ENV_NAME"] == "production"
    dispose(app)


def test_development_generates_a_secret_key_once_and_keeps_it(tmp_path):
    settings = {"SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path), "AUTO_MIGRATE": False}
    first = create_app(TestConfig, settings)
    second = create_app(TestConfig, settings)
    assert len(first.config["SECRET_KEY"]) >= 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    dispose(first)
    dispose(second)


def test_the_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path):
    app = create_app(TestConfig, {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": None})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'aula.db'}"
    dispose(app)


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'pragmas.db'}", tmp_path / "instance")
    with app.app_context(), db.engine.connect() as connection:
        pragma = lambda name: connection.execute(sa.text(f"PRAGMA {name}")).scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 5000
    dispose(app)


def test_auto_migrate_creates_the_schema_at_start_up(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path / "instance", AUTO_MIGRATE=True)
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    dispose(app)
    assert {"users", "lesson_progress", "alembic_version"} <= tables


def test_an_unknown_app_env_is_an_error(monkeypatch):
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(RuntimeError, match="APP_ENV='staging'"):
        create_app()


@pytest.mark.parametrize(
    ("value", "hosts"),
    [
        (
            "course.example.org, www.course.example.org",
            ["course.example.org", "www.course.example.org"],
        ),
        ("", None),
    ],
)
def test_the_sites_host_names_are_read_from_the_environment(value, hosts):
    read = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, config; print(json.dumps(config.Config.TRUSTED_HOSTS))",
        ],
        cwd=ROOT,
        env={**os.environ, "TRUSTED_HOSTS": value},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(read.stdout) == hosts


def test_a_notice_setting_given_for_some_languages_only_is_refused(tmp_path):
    settings = {
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": "sqlite://",
        "PRIVACY_TRANSFERS": {"en": "Mail goes through a provider in the United States."},
    }
    with pytest.raises(RuntimeError, match="set PRIVACY_TRANSFERS_ES, PRIVACY_TRANSFERS_PT too"):
        create_app(TestConfig, settings)


def test_per_language_settings_are_read_from_the_environment():
    environment = {
        **os.environ,
        "PRIVACY_AUTHORITY": "Any language",
        "PRIVACY_AUTHORITY_ES": "  Agencia Española de Protección de Datos  ",
        "PRIVACY_AUTHORITY_PT": "",
    }
    script = "import json, config; print(json.dumps(config.Config.PRIVACY_AUTHORITY))"
    found = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(found.stdout) == {
        "*": "Any language",
        "es": "Agencia Española de Protección de Datos",
    }


def test_postgresql_runs_the_sites_queries_without_compiling_them_first(app):
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL setting")
        assert connection.execute(sa.text("SHOW jit")).scalar() == "off"
