"""Fixtures: a fresh database per test (SQLite always, PostgreSQL when configured) and a desk.

Tests marked `postgres` run once per database: on SQLite, and on PostgreSQL too when
SMSDESK_TEST_POSTGRES_URL is set (CI sets it).
"""

from __future__ import annotations

import os

import pytest

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

    return fresh_postgres(POSTGRES_URL)


@pytest.fixture
def db(database_url):
    """A migrated database for storage and use-case tests (no Slack, no HTTP)."""
    from storage.db import Database

    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def desk(database_url):
    from tests.harness import start_desk

    running = start_desk(database_url)
    yield running
    running.close()
