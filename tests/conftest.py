"""Fixtures: a fresh database per test (SQLite always, PostgreSQL when configured) and a desk.

Tests marked `postgres` run once per database: on SQLite, and on PostgreSQL too when
SMSDESK_TEST_POSTGRES_URL is set (CI sets it).
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from storage.db import normalise_url

POSTGRES_URL = os.environ.get("SMSDESK_TEST_POSTGRES_URL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames:
        backends = ["sqlite"]
        if metafunc.definition.get_closest_marker("postgres") and POSTGRES_URL:
            backends.append("postgresql")
        metafunc.parametrize("backend", backends, indirect=False)


@pytest.fixture
def database_url(backend: str, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    url = normalise_url(POSTGRES_URL)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        # One schema per test run keeps tests independent without a database per test.
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def desk(database_url):
    from tests.harness import start_desk

    running = start_desk(database_url)
    yield running
    running.close()
