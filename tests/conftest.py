"""Fixtures: a fresh database per test (SQLite always, PostgreSQL when configured) and a desk.

Tests marked `postgres` run once per database: on SQLite, and on PostgreSQL too when
SMSDESK_TEST_POSTGRES_URL is set (CI sets it).
"""

from __future__ import annotations

import functools
import os

import pytest

from tests.providers import PROVIDERS

POSTGRES_URL = os.environ.get("SMSDESK_TEST_POSTGRES_URL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames:
        backends = ["sqlite"]
        if metafunc.definition.get_closest_marker("postgres") and POSTGRES_URL:
            backends.append("postgresql")
        metafunc.parametrize("backend", backends, indirect=False)


@pytest.fixture(autouse=True)
def root_logging_restored():
    """`smsdesk` commands run in-process set up the root logger on pytest's captured
    stderr, which is closed after the test: put the root logger back as it was."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def database_url(backend: str, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    from tests.harness import fresh_postgres

    return fresh_postgres(_postgres_url_of_this_worker())


@functools.cache
def _postgres_url_of_this_worker() -> str:
    """Each pytest-xdist worker empties the public schema before every test, so two workers
    on one database would drop each other's tables mid-test: each gets its own database,
    named after the configured one (`test` -> `test_gw0`), created when missing.

    Its commits do not wait for the disk (synchronous_commit off, for this test database
    only): a suite that migrates a fresh schema per test writes WAL fast, and on a busy CI
    disk a checkpoint's fsync could stall a commit for longer than a test waits for its
    effect. What a test asserts does not depend on a commit surviving a crash of the server."""
    assert POSTGRES_URL is not None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from storage.db import normalise_url

    base = make_url(normalise_url(POSTGRES_URL))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = f"{base.database}_{worker}" if worker else base.database
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": name})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def db(database_url):
    """A migrated database for storage and use-case tests (no Slack, no HTTP)."""
    from storage.db import Database

    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    """Each SMS provider in turn (tests/providers.py): a test that asks for it, or a module
    with `pytestmark = pytest.mark.usefixtures("provider")`, runs once per provider, and its
    `desk` runs with that provider."""
    return request.param


@pytest.fixture
def desk(database_url, request: pytest.FixtureRequest):
    from tests.harness import start_desk

    sms_provider = (request.getfixturevalue("provider")
                    if "provider" in request.fixturenames else "twilio")
    running = start_desk(database_url, sms_provider=sms_provider)
    yield running
    running.close()
